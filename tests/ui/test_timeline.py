"""Timeline: layout from the edit list, zoom, snapping, cue drag and trim, take trim handles — every edit a
command that undo restores — seam flags and a non-blank grab of the demo."""
from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest

from studio.demo import build_demo
from studio.playlist import build_edit_list
from tests.ui.ui_fixtures import *  # noqa: F403
from tests.ui.ui_fixtures import add_take, grab_variance
from ui import theme
from ui.selection import ShotSelection
from ui.timeline import TimelinePanel
from ui.timeline.canvas import HEADER_W, RULER_H, VIDEO_H, VIDEO_TOP
from ui.timeline.layout import LANES


def _panel(qtbot, doc, width=1200):
    panel = TimelinePanel(doc, ShotSelection())
    qtbot.addWidget(panel)
    panel.resize(width, 280)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def _drag(widget, start: QPoint, end: QPoint, steps: int = 4) -> None:
    QTest.mousePress(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for i in range(1, steps + 1):
        QTest.mouseMove(widget, start + (end - start) * i / steps)
    QTest.mouseRelease(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)


def _center(rect) -> QPoint:
    return QPoint(int(rect.center().x()), int(rect.center().y()))


def test_layout_follows_the_edit_list_and_the_document(qtbot, doc):
    panel = _panel(qtbot, doc)
    layout = panel.layout_data
    edit = build_edit_list(doc.project, folder=doc.folder)
    assert [(c.shot_id, c.start, c.end) for c in layout.clips] == \
        [(e.shot_id, e.record_in, e.record_out) for e in edit.entries]
    cue = layout.cue("sh001", "au1")
    assert cue is not None and LANES[cue.lane] == "sfx"
    assert cue.start == layout.clip_of("sh001").start + 4
    # a duration change from elsewhere reaches the timeline (debounced to the next loop turn)
    from studio.commands import SetShotFields
    doc.execute(SetShotFields("sh000", duration=48))
    qtbot.waitUntil(lambda: panel.layout_data.clip_of("sh000").end == 48, timeout=2000)
    assert panel.layout_data.clip_of("sh001").start == 48
    # selection is mirrored: clicking a clip selects its shot
    canvas = panel.canvas
    QTest.mouseClick(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     _center(canvas.clip_rect(panel.layout_data.clip_of("sh002"))))
    assert panel.selection.ids() == ["sh002"]
    panel.detach()


def test_zoom_keeps_the_anchor_frame_and_fit_shows_the_cut(qtbot, doc):
    panel = _panel(qtbot, doc)
    canvas = panel.canvas
    canvas.fit()
    assert canvas.x_of(panel.layout_data.duration) <= canvas.width()
    assert canvas.x_of(0) == HEADER_W
    canvas.set_zoom(12.0, anchor_x=600)
    before = canvas.frame_at(600)
    canvas.zoom_by(2.0, anchor_x=600)
    assert canvas.ppf == 24.0
    assert abs(canvas.frame_at(600) - before) < 1e-6
    assert panel.scrollbar.maximum() > 0 and panel.scrollbar.value() == int(canvas.scroll)
    # the scroll bar scrolls the canvas; the toolbar zooms
    canvas.set_zoom(20.0, anchor_x=HEADER_W)
    panel.scrollbar.setValue(50)
    assert canvas.scroll == 50
    panel.actions_by_name["zoom_in"].trigger()
    assert canvas.ppf == 30.0
    panel.detach()


def test_snapping_to_cuts_and_playhead_within_n_pixels(qtbot, doc):
    panel = _panel(qtbot, doc)
    canvas = panel.canvas
    canvas.set_zoom(10.0, anchor_x=HEADER_W)
    canvas.snap_px = 8
    cut = panel.layout_data.clip_of("sh002").start
    assert canvas.snap(cut + 0.7) == (cut, cut)          # 7 px away: snaps
    assert canvas.snap(cut + 0.9) == (cut + 1, None)     # 9 px away: does not
    canvas.set_playhead(cut + 5)
    assert canvas.snap(cut + 5.4) == (cut + 5, cut + 5)  # the playhead is a target too
    canvas.set_snapping(False)
    assert not panel.actions_by_name["snap"].isChecked()
    assert canvas.snap(cut + 0.4) == (cut, None)
    panel.actions_by_name["snap"].trigger()              # the toolbar toggle turns it back on
    assert canvas.snapping
    panel.detach()


def test_dragging_a_cue_moves_its_start_snaps_and_undoes(qtbot, doc):
    panel = _panel(qtbot, doc)
    canvas = panel.canvas
    canvas.set_zoom(10.0, anchor_x=HEADER_W)
    item = panel.layout_data.cue("sh001", "au1")
    origin = panel.layout_data.clip_of("sh001").origin
    start = _center(canvas.cue_rect(item))
    _drag(canvas, start, start + QPoint(30, 0))          # three frames later
    assert doc.project.shot("sh001").audio_cue("au1").start == 7
    assert doc.undo_text == "Edit Sound Effect"
    doc.undo()
    assert doc.project.shot("sh001").audio_cue("au1").start == 4
    panel.refresh()
    # with the playhead 10 frames into the shot, a drop 6 px past it lands on it
    canvas.set_playhead(origin + 10)
    item = panel.layout_data.cue("sh001", "au1")
    start = _center(canvas.cue_rect(item))
    _drag(canvas, start, start + QPoint(60 + 6, 0))
    assert doc.project.shot("sh001").audio_cue("au1").start == 10
    doc.undo()
    panel.refresh()
    canvas.set_snapping(False)
    item = panel.layout_data.cue("sh001", "au1")
    start = _center(canvas.cue_rect(item))
    _drag(canvas, start, start + QPoint(60 + 6, 0))
    assert doc.project.shot("sh001").audio_cue("au1").start == 11  # no snapping: 6.6 frames rounds to 7
    panel.detach()


def test_two_drags_of_one_cue_are_two_undo_steps(qtbot, doc):
    """A drag ends its gesture at the release: the next drag of the same cue does not merge into it."""
    panel = _panel(qtbot, doc)
    canvas = panel.canvas
    canvas.set_zoom(10.0, anchor_x=HEADER_W)
    canvas.set_snapping(False)
    for _ in range(2):
        start = _center(canvas.cue_rect(panel.layout_data.cue("sh001", "au1")))
        _drag(canvas, start, start + QPoint(30, 0))
        panel.refresh()
    assert doc.project.shot("sh001").audio_cue("au1").start == 10
    assert doc.history[-2:] == ["Edit Sound Effect"] * 2
    doc.undo()
    assert doc.project.shot("sh001").audio_cue("au1").start == 7
    panel.detach()


def test_trimming_a_cue_sets_its_length_and_delete_removes_it(qtbot, doc):
    panel = _panel(qtbot, doc)
    canvas = panel.canvas
    canvas.set_zoom(20.0, anchor_x=HEADER_W)
    item = panel.layout_data.cue("sh003", "au3")
    rect = canvas.cue_rect(item)
    right = QPoint(int(rect.right()) - 2, int(rect.center().y()))
    _drag(canvas, right, right - QPoint(200, 0))         # ten frames shorter than drawn
    cue = doc.project.shot("sh003").audio_cue("au3")
    assert cue.start == 4 and cue.duration == (item.end - item.start) - 10
    assert doc.undo_text == "Edit Sound Effect"
    panel.refresh()
    QTest.mouseClick(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     _center(canvas.cue_rect(panel.layout_data.cue("sh003", "au3"))))
    QTest.keyClick(canvas, Qt.Key.Key_Delete)
    assert not doc.project.shot("sh003").audio
    doc.undo()
    doc.undo()
    assert doc.project.shot("sh003").audio_cue("au3").duration == 0
    panel.detach()


def test_trim_handles_set_the_takes_in_and_out_with_set_trim(qtbot, doc):
    add_take(doc, "sh000", "tk_trim", video=True, frames=24)
    panel = _panel(qtbot, doc)
    panel.refresh()
    canvas = panel.canvas
    canvas.set_zoom(10.0, anchor_x=HEADER_W)
    clip = panel.layout_data.clip_of("sh000")
    assert clip.has_take and (clip.start, clip.end) == (0, 24)
    y = VIDEO_TOP + VIDEO_H // 2
    left = QPoint(int(canvas.x_of(clip.start)) + 2, y)
    _drag(canvas, left, left + QPoint(50, 0))
    shot = doc.project.shot("sh000")
    assert (shot.trim_in, shot.trim_out) == (5, 0)
    assert doc.undo_text == "Trim Shot"
    panel.refresh()
    assert panel.layout_data.clip_of("sh000").length == 19  # the cut plays 19 frames of the take now
    clip = panel.layout_data.clip_of("sh000")
    right = QPoint(int(canvas.x_of(clip.end)) - 2, y)
    _drag(canvas, right, right - QPoint(40, 0))
    shot = doc.project.shot("sh000")
    assert (shot.trim_in, shot.trim_out) == (5, 20)
    doc.undo()
    doc.undo()
    shot = doc.project.shot("sh000")
    assert (shot.trim_in, shot.trim_out) == (0, 0)
    assert doc.project.take("tk_trim").files["video"]  # the file is untouched: trims are fields
    panel.detach()


def test_seam_flags_draw_a_marker_at_the_flagged_cut(qtbot, doc):
    panel = _panel(qtbot, doc)
    canvas = panel.canvas
    canvas.set_zoom(10.0, anchor_x=HEADER_W)
    clip = panel.layout_data.clip_of("sh002")
    x = int(canvas.x_of(clip.start))
    def ruler_pixel():
        return canvas.grab().toImage().pixelColor(x, RULER_H - 8)
    assert ruler_pixel() != theme.WARNING
    panel.set_seam_flags({"sh002": "the subject jumps across the frame"})
    color = ruler_pixel()
    assert abs(color.red() - theme.WARNING.red()) < 30 and abs(color.green() - theme.WARNING.green()) < 30
    assert "jumps" in canvas.tooltip_at(x, VIDEO_TOP + 10) or "jumps" in canvas.tooltip_at(x + 5, VIDEO_TOP + 10)
    panel.set_seam_flags({})
    assert ruler_pixel() != QColor(theme.WARNING)
    panel.detach()


def test_demo_timeline_grab_is_not_blank(qtbot, tmp_path, studio_env):
    doc = build_demo(tmp_path / "demo.shotreel")
    panel = _panel(qtbot, doc, 1500)
    assert len(panel.layout_data.clips) == 10
    assert sum(len(c) for c in panel.layout_data.cues) == sum(len(s.audio) for _, s in doc.project.shots())
    assert grab_variance(panel) > 100
    panel.detach()
    doc.close()


def test_in_the_main_window_the_timeline_and_viewer_share_the_playhead(qtbot, doc, app_settings):
    from ui.main_window import MainWindow
    add_take(doc, "sh000", "tk_a", video=True, frames=24)
    add_take(doc, "sh001", "tk_b", video=True, frames=24, color=(40, 160, 40))
    window = MainWindow(doc, settings=app_settings, audio=False, modal_errors=False)
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    timeline, viewer = window.panels["TimelineDock"], window.panels["ViewerDock"]
    assert isinstance(timeline, TimelinePanel) and window.docks["TimelineDock"].widget() is timeline
    viewer.rebuild()
    canvas = timeline.canvas
    canvas.set_snapping(False)
    canvas.set_zoom(10.0, anchor_x=HEADER_W)
    QTest.mouseClick(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(int(canvas.x_of(30)), RULER_H // 2))  # a click on the ruler
    assert canvas.playhead == 30
    qtbot.waitUntil(lambda: viewer.player.position == 30, timeout=3000)
    viewer.player.seek(12)  # and the viewer moves the timeline's playhead
    qtbot.waitUntil(lambda: canvas.playhead == 12, timeout=3000)
    # a sound clicked on the timeline is the one the inspector shows, and the other way round
    inspector = window.panels["InspectorDock"]
    QTest.mouseClick(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     _center(canvas.cue_rect(timeline.layout_data.cue("sh003", "au3"))))
    assert window.selection.current() == "sh003" and inspector.audio.current_cue_id() == "au3"
    from studio.commands import AddAudioCue
    from engine.cues import AudioCue
    doc.execute(AddAudioCue("sh003", AudioCue(kind="music", preset="tense", cue_id="mus3")))
    inspector.audio.select_cue("mus3")
    assert canvas.selected_cue == ("sh003", "mus3")
    window.set_document(None)


def test_alt_arrows_nudge_the_selected_cue_as_one_undo_step(qtbot, doc):
    panel = _panel(qtbot, doc)
    canvas = panel.canvas
    QTest.mouseClick(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     _center(canvas.cue_rect(panel.layout_data.cue("sh001", "au1"))))
    for _ in range(3):
        QTest.keyClick(canvas, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    QTest.keyClick(canvas, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert doc.project.shot("sh001").audio_cue("au1").start == 6
    assert doc.history == ["Edit Sound Effect"]  # the nudges merged
    doc.undo()
    assert doc.project.shot("sh001").audio_cue("au1").start == 4
    panel.detach()


def test_an_empty_project_shows_a_hint_and_ignores_clicks(qtbot, tmp_path, studio_env):
    from tests.ui.ui_fixtures import make_doc
    empty = make_doc(tmp_path, 0)
    panel = _panel(qtbot, empty)
    canvas = panel.canvas
    assert panel.layout_data.clips == [] and panel.layout_data.duration == 0
    for y in (RULER_H // 2, VIDEO_TOP + 10, VIDEO_TOP + VIDEO_H + 20):
        _drag(canvas, QPoint(300, y), QPoint(400, y))
    canvas.fit()
    canvas.zoom_by(3.0)
    assert not empty.can_undo and canvas.playhead == 0
    assert grab_variance(panel) > 10  # headers, lanes and the hint are drawn
    panel.detach()
    empty.close()
