"""Issue 15, the studio as a filmmaker uses it: each rough edge driven with real Qt events (wheel,
drag-and-drop event sequences, key presses) on the real window and panels."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (QAbstractSlider, QAbstractSpinBox, QApplication, QComboBox, QScrollBar)

from tests.ui.ui_fixtures import *  # noqa: F403
from tests.ui.ui_fixtures import make_doc
from ui.app import Studio, make_application


def _studio(tmp_path, shots=5):
    make_application()
    settings = QSettings(str(tmp_path / "studio.ini"), QSettings.Format.IniFormat)
    studio = Studio(settings, audio=False, modal_errors=False, runner_factory=None)
    doc = make_doc(tmp_path, shots)
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
