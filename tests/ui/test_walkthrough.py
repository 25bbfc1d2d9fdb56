"""Issue 15, the studio as a filmmaker uses it: each rough edge driven with real Qt events (wheel,
drag-and-drop event sequences, key presses) on the real window and panels."""
from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (QAbstractSlider, QAbstractSpinBox, QApplication, QComboBox, QScrollBar)

from tests.ui.ui_fixtures import *  # noqa: F403
from tests.ui.ui_fixtures import add_take, make_doc
from ui.app import Studio, make_application


def _studio(tmp_path, shots=5, prepare=None):
    make_application()
    settings = QSettings(str(tmp_path / "studio.ini"), QSettings.Format.IniFormat)
    studio = Studio(settings, audio=False, modal_errors=False, runner_factory=None)
    doc = make_doc(tmp_path, shots)
    if prepare is not None:
        prepare(doc)
    path = doc.folder
    doc.close()
    studio.open(path)
    studio.window.resize(1500, 920)
    studio.window.show()
    studio.window.activateWindow()  # offscreen: focus moves only inside the active window
    return studio


def _wheel(widget, steps: int = -1) -> QWheelEvent:
    """One notch of a real mouse wheel over the middle of `widget` (negative: towards the user)."""
    pos = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(pos, QPointF(widget.mapToGlobal(pos.toPoint())), QPoint(0, 0), QPoint(0, 120 * steps),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                        False)
    QApplication.sendEvent(widget, event)
    return event


# ---- 1. the wheel scrolls the form, not the field ------------------------------------------------------
def test_wheel_over_unfocused_fields_changes_nothing_and_focused_ones_step(qtbot, tmp_path, studio_env):
    studio = _studio(tmp_path)
    window = studio.window
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    inspector = window.panels["InspectorDock"]
    doc = studio.doc
    shot_id = window.selection.current()
    before = doc.project.find_shot(shot_id)[2].camera.move
    window.panels["StoryboardDock"].view.setFocus()
    _wheel(inspector.move)
    _wheel(inspector.move)
    assert doc.project.find_shot(shot_id)[2].camera.move == before
    assert not doc.can_undo  # no surprise undo step
    # every wheel-sensitive field of the window and its docks is guarded the same way
    fields = [w for w in window.findChildren(QComboBox) + window.findChildren(QAbstractSpinBox)
              + window.findChildren(QAbstractSlider) if not isinstance(w, QScrollBar) and w.isVisible()
              and w.isEnabled()]
    assert len(fields) >= 5
    for field in fields:
        value = field.currentIndex() if isinstance(field, QComboBox) else field.value()
        _wheel(field, -1)
        _wheel(field, 1)
        _wheel(field, 1)
        assert (field.currentIndex() if isinstance(field, QComboBox) else field.value()) == value, field
        assert field.focusPolicy() != Qt.FocusPolicy.WheelFocus
    assert not doc.can_undo
    # once the user clicked into the combo, the wheel steps it (one undoable edit)
    inspector.move.setFocus(Qt.FocusReason.MouseFocusReason)
    assert inspector.move.hasFocus()
    index = inspector.move.currentIndex()
    _wheel(inspector.move, -1)
    assert inspector.move.currentIndex() == index + 1
    assert doc.project.find_shot(shot_id)[2].camera.move != before and doc.can_undo
    studio.close()


# ---- 2. reordering shots ---------------------------------------------------------------------------
def _ids(doc):
    return [s.id for _, s in doc.project.shots()]


def _drop_target(view, point):
    """The widget Qt's drag manager delivers to at `point` of the viewport (QWidgetWindow's findDnDTarget:
    the deepest widget under the pointer that accepts drops), and `point` in its coordinates."""
    window = view.window()
    at = view.viewport().mapTo(window, point)
    widget = window.childAt(at) or window
    while widget is not None and not widget.isWindow() and not widget.acceptDrops():
        widget = widget.parentWidget()
    assert widget is not None and widget.acceptDrops()
    return widget, widget.mapFrom(window, at)


def _drag_cards(view, rows, points):
    """What Qt's drag manager delivers while the user drags cards over the board: enter, moves, and a
    drop only where the last move was accepted (offscreen Qt has no platform drag loop for QDrag.exec)."""
    from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
    model = view.model()
    mime = model.mimeData([model.index(r) for r in rows])
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    move_action = Qt.DropAction.MoveAction
    target, pos = _drop_target(view, points[0])
    enter = QDragEnterEvent(pos, move_action, mime, buttons, mods)
    QApplication.sendEvent(target, enter)
    accepted, frames = enter.isAccepted(), []
    for point in points:
        target, pos = _drop_target(view, point)
        move = QDragMoveEvent(pos, move_action, mime, buttons, mods)
        QApplication.sendEvent(target, move)
        accepted = move.isAccepted()
        frames.append(view.viewport().grab().toImage())
    if accepted:
        QApplication.sendEvent(target, QDropEvent(QPointF(pos), move_action, mime, buttons, mods))
    return accepted, frames


def test_dragging_a_card_onto_another_shows_a_bar_and_moves_it(qtbot, doc):
    from ui import theme
    from ui.selection import ShotSelection
    from ui.storyboard import StoryboardPanel
    panel = StoryboardPanel(doc, ShotSelection())
    qtbot.addWidget(panel)
    panel.resize(1200, 500)
    panel.show()
    qtbot.waitExposed(panel)
    view = panel.view
    target = view.visualRect(panel.model.index(3))
    over = QPoint(target.left() + 10, target.center().y())  # over shot 4, its left half: before it
    start = view.visualRect(panel.model.index(0)).center()
    accepted, frames = _drag_cards(view, [0], [start + QPoint(20, 0), over])
    assert accepted  # Qt's icon mode refused a drop onto another card: nothing moved
    bar = view.drop_indicator_rect()
    assert bar.isEmpty()  # gone after the drop
    # while the drag was over shot 4 an accent bar stood at its left edge
    x, y = target.left() + 1, target.center().y()
    assert frames[-1].pixelColor(x, y) == theme.ACCENT
    assert frames[0].pixelColor(x, y) != theme.ACCENT
    assert _ids(doc) == ["sh001", "sh002", "sh000", "sh003", "sh004"] and doc.undo_text == "Move Shot"
    panel.detach()


def test_move_earlier_and_later_from_the_keyboard_and_the_shot_menu(qtbot, tmp_path, studio_env):
    from PySide6.QtTest import QTest
    studio = _studio(tmp_path)
    window = studio.window
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    doc = studio.doc
    board = window.panels["StoryboardDock"]
    window.selection.set(["sh002"])
    board.view.setFocus()
    QTest.keyClick(board.view, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    assert _ids(doc) == ["sh000", "sh001", "sh003", "sh002", "sh004"]
    assert window.selection.ids() == ["sh002"]  # the moved card stays selected: press again to go on
    QTest.keyClick(board.view, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClick(board.view, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    assert _ids(doc) == ["sh000", "sh002", "sh001", "sh003", "sh004"]
    menu_texts = [a.text() for a in window.shot_menu.actions()]
    assert "Move Earlier" in menu_texts and "Move Later" in menu_texts
    later = next(a for a in window.shot_menu.actions() if a.text() == "Move Later")
    later.trigger()
    assert _ids(doc) == ["sh000", "sh001", "sh002", "sh003", "sh004"]
    window.selection.set(["sh000"])
    earlier = next(a for a in window.shot_menu.actions() if a.text() == "Move Earlier")
    assert not earlier.isEnabled()  # the first shot cannot go earlier
    studio.close()


# ---- 3. in / out marks ---------------------------------------------------------------------------------
def _with_takes(doc):
    for i in range(3):
        add_take(doc, f"sh00{i}", f"tk_a{i}", video=True, color=(60 * i, 90, 160))


def test_marks_show_on_the_timeline_and_survive_a_new_take_and_the_status_row_never_overlaps(
        qtbot, tmp_path, studio_env):
    from PySide6.QtTest import QTest
    from studio.commands import SetShotFields
    from ui.timeline.canvas import _MARK
    studio = _studio(tmp_path, prepare=_with_takes)
    window = studio.window
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    doc = studio.doc
    doc.execute(SetShotFields("sh000", title="Mara waits in the rain by the ferry ramp, listening for the horn"))
    viewer, timeline = window.panels["ViewerDock"], window.panels["TimelineDock"]
    player = viewer.player
    qtbot.waitUntil(lambda: player.playlist is not None and player.playlist.duration > 60, timeout=5000)
    player.setFocus()
    player.seek(5)
    QTest.keyClick(player, Qt.Key.Key_I)
    player.seek(40)
    QTest.keyClick(player, Qt.Key.Key_O)
    assert player.marks == (5, 40)
    # drawn on the timeline: lines at the in and past the out, a band on the ruler
    assert timeline.canvas.marks == (5, 40)
    image = timeline.canvas.grab().toImage()
    x0, x1 = timeline.canvas.marks_span()
    assert image.pixelColor(int(x0), 60) == _MARK
    assert image.pixelColor(int(x1), 60) == _MARK
    # a narrow viewer with a long title and both marks: the row's texts stay apart
    player.seek(2)
    viewer.resize(420, 300)
    texts = player.bar_texts()
    assert len(texts) == 3 and "I 00:00:00:05" in texts[1][1]
    rects = [r for r, *_ in texts]
    for i in range(len(rects)):
        for j in range(i + 1, len(rects)):
            assert not rects[i].intersects(rects[j]), (texts[i][1], texts[j][1])
    assert texts[2][1].endswith("…")  # the title elided, not drawn under the marks
    # a new take arrives (Variations): the cut is rebuilt and the marks stay
    add_take(doc, "sh001", "tk_b1", video=True, color=(200, 200, 40))
    qtbot.waitUntil(lambda: not viewer._rebuild_timer.isActive(), timeout=3000)
    qtbot.wait(50)
    assert player.marks == (5, 40) and timeline.canvas.marks == (5, 40)
    studio.close()


# ---- 6. no ids or tracebacks ---------------------------------------------------------------------------
def test_people_read_take_numbers_operations_and_sentences_not_ids_or_tracebacks(qtbot, tmp_path, studio_env):
    import traceback
    from PySide6.QtTest import QTest
    from studio.errors import UserError  # noqa: F811
    from ui.dialogs.error import ErrorDialog
    from ui.dialogs.remix import RemixDialog
    from ui.queue.control import QueueControl
    from ui.takes.model import TakeTreeItemModel
    doc = make_doc(tmp_path, 3)
    add_take(doc, "sh001", "tk_dc98b40ef1")
    add_take(doc, "sh001", "tk_0a0b0c0d0e", parent="tk_dc98b40ef1", operation="variation")
    dialog = RemixDialog(doc, "tk_0a0b0c0d0e")
    qtbot.addWidget(dialog)
    shown = dialog.windowTitle() + " " + dialog.take_text.text()
    assert "Take 2 of shot 2" in shown and "tk_" not in shown
    tree = TakeTreeItemModel(doc)
    tree.set_shot("sh001")
    tips = [tree.data(tree.index(0, 0, tree.index(0, 0)), Qt.ItemDataRole.ToolTipRole),
            tree.data(tree.index(0, 0), Qt.ItemDataRole.ToolTipRole)]
    assert all("tk_" not in tip for tip in tips) and any("from Take 1 of shot 2" in tip for tip in tips)
    # a refusal the dialog shows names the take the same way
    import pytest
    from studio import remix
    with pytest.raises(UserError) as refused:
        remix.plan_loop(doc, "tk_0a0b0c0d0e", start=500)
    assert "take 2 of shot 2" in str(refused.value) and "tk_" not in str(refused.value)
    # queue rows say what the job does
    control = QueueControl(doc)
    assert control.label_for("sh001", "variation") == "Variation · 2. Shot title 1"
    assert control.label_for("sh000") == "Generate · 1. Shot title 0"
    # a refusal's Show Details is a sentence, even when the hook handed over a traceback
    try:
        raise UserError("the consent date must be a date like 2026-11-22")
    except UserError as exc:
        error = ErrorDialog.from_exception(exc, None, "".join(traceback.format_exception(exc)))
    qtbot.addWidget(error)
    error.show()
    QTest.mouseClick(error.toggle_button, Qt.MouseButton.LeftButton)
    assert error.details.isVisible()
    text = error.details.toPlainText()
    assert "Traceback" not in text and "File \"" not in text and text.endswith(".")
    doc.close()


def test_the_consent_date_placeholder_does_not_look_filled_in(qtbot, doc):
    from datetime import date
    from ui.bible import BiblePanel
    from ui.selection import ShotSelection
    panel = BiblePanel(doc, ShotSelection())
    qtbot.addWidget(panel)
    for edit in (panel.consent_who, panel.consent_when):  # the scope is a set of checkboxes
        assert edit.placeholderText().startswith("Required")
    placeholder = panel.consent_when.placeholderText()
    for word in placeholder.replace(",", " ").split():
        try:
            date.fromisoformat(word)
        except ValueError:
            continue
        raise AssertionError(f"the placeholder shows a real date: {placeholder}")
    panel.detach()


# ---- 5. the takes header follows a rename ----------------------------------------------------------------
def test_the_takes_header_follows_a_rename_typed_in_the_inspector(qtbot, doc):
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QHBoxLayout, QWidget
    from ui.inspector import ShotInspectorPanel
    from ui.selection import ShotSelection
    from ui.takes import TakesPanel
    selection = ShotSelection()
    window = QWidget()
    qtbot.addWidget(window)
    takes, inspector = TakesPanel(doc, selection), ShotInspectorPanel(doc, selection)
    row = QHBoxLayout(window)
    row.addWidget(takes)
    row.addWidget(inspector)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    selection.set(["sh001"])
    assert "Shot title 1" in takes.title.text()
    inspector.title.setFocus()
    inspector.title.selectAll()
    QTest.keyClicks(inspector.title, "Harbour at dawn")
    QTest.keyClick(inspector.title, Qt.Key.Key_Return)
    assert doc.project.shot("sh001").title == "Harbour at dawn"
    assert takes.title.text().strip() == "Shot 2: Harbour at dawn"
    takes.detach()
    inspector.detach()


# ---- 11. after Add Shot; plurals -------------------------------------------------------------------------
def test_add_shot_puts_the_inspector_on_the_new_title_and_counts_read_right(qtbot, tmp_path, studio_env):
    from PySide6.QtTest import QTest
    studio = _studio(tmp_path, shots=1)
    window = studio.window
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    board, inspector = window.panels["StoryboardDock"], window.panels["InspectorDock"]
    board._update_counts()
    assert board.count_label.text().startswith("1 shot ·")
    assert "· 1 shot ·" in window.project_label.text()
    window.resize(1500, 700)
    qtbot.wait(20)
    bar = inspector.scroll.verticalScrollBar()
    assert bar.maximum() > 0  # the form is taller than the dock: there is something to scroll
    bar.setValue(bar.maximum())
    board.ask_heading = lambda title, text: None  # the scene has no heading: the user skips the question
    board.view.setFocus()
    QTest.keyClick(board.view, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    new_id = window.selection.current()
    assert new_id != "sh000" and studio.doc.project.shot(new_id).title == "New shot"
    assert bar.value() == 0
    assert QApplication.focusWidget() is inspector.title and inspector.title.selectedText() == "New shot"
    QTest.keyClicks(inspector.title, "Ferry horn")  # typing replaces the placeholder title
    QTest.keyClick(inspector.title, Qt.Key.Key_Tab)
    assert studio.doc.project.shot(new_id).title == "Ferry horn"
    board._update_counts()
    assert board.count_label.text().startswith("2 shots ·")
    studio.close()


# ---- 10. help and the View menu --------------------------------------------------------------------------
def test_help_question_mark_about_version_offline_guide_and_viewer_options_in_view(qtbot, tmp_path, studio_env):
    from importlib.metadata import version
    from PySide6.QtTest import QTest
    from ui.dialogs.guide import UserGuideDialog
    from ui.dialogs.shortcuts import ShortcutsOverlay
    studio = _studio(tmp_path)
    window = studio.window
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    board = window.panels["StoryboardDock"]
    board.view.setFocus()
    QTest.keyClick(board.view, "?")
    overlays = [w for w in window.findChildren(ShortcutsOverlay) if w.isVisible()]
    assert overlays, "'?' should open the shortcuts overlay like F1"
    studio_keys = dict((what, keys) for keys, what in window.shortcut_groups()[0][1])
    assert studio_keys["Keyboard Shortcuts"] == "F1 / ?"
    board_keys = dict((what, keys) for keys, what in window.shortcut_groups()[1][1])
    assert "Move Earlier" in board_keys and "Move Later" in board_keys  # listed with their keys
    overlays[0].close()
    inspector = window.panels["InspectorDock"]
    inspector.title.setFocus()
    QTest.keyClick(inspector.title, "?")  # typing a question mark in a field stays typing
    assert inspector.title.text().endswith("?")
    assert version("shotreel") in window.about_text()
    guide = window.actions_by_name["guide"]
    guide.trigger()
    dialogs = [w for w in window.findChildren(UserGuideDialog) if w.isVisible()]
    assert dialogs and "Command line" in dialogs[0].browser.toPlainText()
    assert "shotreel export" in dialogs[0].browser.toPlainText()
    qtbot.wait(50)
    assert dialogs[0].browser.horizontalScrollBar().maximum() == 0  # screenshots fit the dialog's width
    dialogs[0].close()
    # the viewer's options are in View as well as on its right-click menu
    player = window.panels["ViewerDock"].player
    view = {a.text().split("\t")[0]: a for a in window.view_menu.actions()}
    for name in ("Loop", "Safe Areas", "Aspect Mask", "Full Screen"):
        assert name in view, name
    view["Loop"].trigger()
    assert player.loop
    player.setFocus()
    QTest.keyClick(player, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)  # off from the keyboard
    assert not player.loop and not view["Loop"].isChecked()  # the menu shows the player's state
    view["Safe Areas"].trigger()
    assert player._safe_areas
    masks = {a.text(): a for a in view["Aspect Mask"].menu().actions()}
    masks["2.39"].trigger()
    assert player._aspect_mask == "2.39"
    studio.close()


# ---- 7. export: the project's size, and a warning for an unfinished cut ------------------------------------
def test_export_defaults_to_the_project_size_and_warns_about_stale_and_missing_shots(qtbot, doc):
    from PySide6.QtTest import QTest
    from ui.dialogs.export import ExportDialog
    add_take(doc, "sh000", "tk_a0")  # shots 1 and 2 have takes; 2 continues from 1 but not from its take: stale
    add_take(doc, "sh001", "tk_a1")
    dialog = ExportDialog(doc)
    qtbot.addWidget(dialog)
    dialog.show()
    preset, ext = dialog.format.currentData()
    assert (preset, ext) == ("source", ".mp4")  # not 1080p: the 320x180 project is not upscaled
    assert "320×180" in dialog.format.currentText()
    queued = []
    dialog.regenerate_requested.connect(queued.append)
    QTest.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    box = dialog.warning
    assert box.isVisible() and "3 shots have no take yet" in box.text() and "1 shot is stale" in box.text()
    assert dialog.anyway_button is None  # a movie needs every shot: exporting anyway would only fail
    assert dialog.task is None  # nothing started behind the question
    QTest.mouseClick(dialog.regenerate_button, Qt.MouseButton.LeftButton)
    assert queued == [["sh001", "sh002", "sh003", "sh004"]]  # in cut order
    dialog.close()


def test_the_window_queues_what_the_export_question_asks_for(qtbot, tmp_path, studio_env):
    """The window wires the question's answer to the queue (no engine here: the queue says so)."""
    studio = _studio(tmp_path)
    dialog = studio.window.show_export()
    calls = []
    studio.window._generate_for_export = calls.append
    dialog.regenerate_requested.emit(["sh002"])
    assert calls == [["sh002"]]
    dialog.close()
    studio.close()


# ---- 9. pictures and waveforms on the timeline --------------------------------------------------------------
def test_timeline_shows_thumbnails_a_filmstrip_and_waveforms_decoded_off_the_gui_thread(qtbot, doc, monkeypatch):
    import threading
    from ui.selection import ShotSelection
    from ui.storyboard import thumbnails
    from ui.timeline import TimelinePanel
    from ui.timeline.canvas import LANE_COLORS, LANES, lane_top
    decoded_on = []
    real = thumbnails._video_frame

    def recording(path, frame, size):
        decoded_on.append(threading.current_thread())
        return real(path, frame, size)
    monkeypatch.setattr(thumbnails, "_video_frame", recording)
    colours = {"sh000": (220, 40, 40), "sh001": (40, 200, 60)}
    for shot_id, colour in colours.items():
        add_take(doc, shot_id, f"tk_{shot_id}", video=True, frames=24, color=colour)
    panel = TimelinePanel(doc, ShotSelection())
    qtbot.addWidget(panel)
    panel.resize(1200, 300)
    panel.show()
    qtbot.waitExposed(panel)
    canvas = panel.canvas
    canvas.set_zoom(4.0, anchor_x=0)
    canvas.set_scroll(0)
    first = canvas.grab().toImage()  # the first paint asks; nothing is decoded while painting
    assert panel.media.busy

    def settled():
        for _ in range(3):  # a paint asks for what it shows; what arrives repaints and may ask for more
            canvas.grab()
            qtbot.waitUntil(lambda: not panel.media.busy, timeout=20000)
        return canvas.grab().toImage()
    image = settled()
    clip = canvas.clip_rect(panel.layout_data.clip_of("sh000"))
    x, y = int(clip.left() + 20), int(clip.center().y())
    assert first.pixelColor(x, y).red() < 150  # not there yet at the first paint: it is loading
    picture = image.pixelColor(x, y)
    assert picture.red() > 150 and picture.green() < 90  # the take's (red) picture on its clip
    # zoomed in: the clip is a filmstrip of the take's frames, each frame decoded on a pool thread
    canvas.set_zoom(40.0, anchor_x=0)
    canvas.set_scroll(0)
    image = settled()
    clip = canvas.clip_rect(panel.layout_data.clip_of("sh000"))
    tile_w = (clip.height() - 2) * 16 / 9
    assert clip.width() > 3 * tile_w
    for k in (1, 3):
        colour = image.pixelColor(int(clip.left() + k * tile_w + tile_w / 2), int(clip.center().y()))
        assert colour.red() > 150 and colour.green() < 90, k
    assert decoded_on and all(t is not threading.main_thread() for t in decoded_on)
    # the door sound of shot 2 carries its waveform (dark columns over the lane colour), off the GUI thread
    item = next(i for i in panel.layout_data.cue_items if i.shot_id == "sh001")
    canvas.set_scroll(max(0.0, canvas.scroll + canvas.x_of(item.start) - 200))
    image = settled()
    rect = canvas.cue_rect(item)
    assert LANES[item.lane] == "sfx" and rect.width() > 40
    lane_colour = LANE_COLORS["sfx"].darker(112 if item.natural else 100)  # the box's fill
    above_mid = int(rect.center().y()) - 4  # the sound's peaks reach above the centre line somewhere
    row = [image.pixelColor(xx, above_mid) for xx in range(int(rect.left()) + 2, int(rect.right()) - 20)]
    assert any(c.lightness() < lane_colour.lightness() - 20 for c in row)
    assert lane_top(item.lane) <= rect.top()
    panel.detach()

