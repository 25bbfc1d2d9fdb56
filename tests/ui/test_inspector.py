"""Shot inspector: edits made through its widgets become commands that undo restores (camera move, lens,
action text, prompt override, motion intensity, sound cues, references, seed), refused values are marked
inline and kept, the camera diagram animates only while visible, the waveform renders off the GUI thread."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from engine.cues import CameraMove, MotionCue
from studio.commands import SetMotionCues
from studio.demo import build_demo
from tests.ui.ui_fixtures import *  # noqa: F403
from tests.ui.ui_fixtures import grab_variance
from ui.inspector import ShotInspectorPanel
from ui.inspector.fields import field_error
from ui.selection import ShotSelection


def _panel(qtbot, doc, shot_id="sh001"):
    selection = ShotSelection()
    panel = ShotInspectorPanel(doc, selection)
    qtbot.addWidget(panel)
    panel.resize(480, 900)
    panel.show()
    qtbot.waitExposed(panel)
    selection.set([shot_id])
    return panel


def _type_line(widget, text: str) -> None:
    widget.setFocus()
    widget.selectAll()
    QTest.keyClick(widget, Qt.Key.Key_Delete)
    QTest.keyClicks(widget, text)
    QTest.keyClick(widget, Qt.Key.Key_Return)


def test_shows_the_current_shot_and_follows_undo(qtbot, doc):
    panel = _panel(qtbot, doc, "sh002")
    assert panel.title.text() == "Shot title 2"
    assert panel.action.toPlainText() == "action 2"
    assert panel.heading.text().startswith("Shot 3")
    panel.selection.set([])
    assert panel.stack.currentIndex() == 0  # nothing selected: the placeholder
    panel.detach()


def test_camera_move_change_through_the_combo_is_one_command(qtbot, doc):
    panel = _panel(qtbot, doc, "sh000")
    assert doc.project.shot("sh000").camera.move is CameraMove.STATIC
    panel.move.setFocus()
    QTest.keyClick(panel.move, Qt.Key.Key_Down)  # static -> pan (emits activated, like a user pick)
    cue = doc.project.shot("sh000").camera
    assert cue.move is CameraMove.PAN and cue.direction.value == "right"
    assert doc.undo_text == "Change Camera"
    assert panel.direction.isEnabled() and panel.direction.currentData() == "right"
    assert panel.diagram.cue == cue
    doc.undo()
    assert doc.project.shot("sh000").camera.move is CameraMove.STATIC
    assert panel.move.currentData() == "static"  # the panel follows the undo
    panel.detach()


def test_move_amount_lens_and_size_edited_in_turn_are_four_undo_steps(qtbot, doc):
    """Issue 15 item 4: one undo reverted four different camera edits (they merged as one 'camera' field)."""
    panel = _panel(qtbot, doc, "sh000")
    start = len(doc.history)
    seen = [doc.project.shot("sh000").camera]
    panel.move.setFocus()
    QTest.keyClick(panel.move, Qt.Key.Key_Down)                 # static -> pan
    seen.append(doc.project.shot("sh000").camera)
    panel.amount.setFocus()
    QTest.keyClick(panel.amount, Qt.Key.Key_PageUp)             # a keyboard step commits at once
    seen.append(doc.project.shot("sh000").camera)
    _type_line(panel.lens.lineEdit(), "85")
    seen.append(doc.project.shot("sh000").camera)
    panel.shot_size.setFocus()
    QTest.keyClick(panel.shot_size, Qt.Key.Key_Down)
    seen.append(doc.project.shot("sh000").camera)
    assert len(set(seen)) == 5                                   # each widget changed the cue
    assert doc.history[start:] == ["Change Camera"] * 4
    for expected in reversed(seen[:-1]):
        doc.undo()
        assert doc.project.shot("sh000").camera == expected
    panel.detach()


def test_lens_edit_and_an_impossible_lens_is_marked_and_kept(qtbot, doc):
    panel = _panel(qtbot, doc, "sh001")
    line = panel.lens.lineEdit()
    _type_line(line, "85 mm")
    assert doc.project.shot("sh001").camera.lens_mm == 85.0
    _type_line(line, "900")
    assert doc.project.shot("sh001").camera.lens_mm == 85.0  # refused: the document is unchanged
    assert "outside" in field_error(panel.lens)
    assert panel.lens.currentText() == "900"                  # and what was typed is still there
    _type_line(line, "50")
    assert field_error(panel.lens) == ""
    assert doc.project.shot("sh001").camera.lens_mm == 50.0
    doc.undo()  # the two lens edits merged into one step
    assert doc.project.shot("sh001").camera.lens_mm == 35.0
    panel.detach()


def test_action_text_commits_and_typing_merges_into_one_undo_step(qtbot, doc):
    panel = _panel(qtbot, doc, "sh001")
    panel.action.setFocus()
    panel.action.moveCursor(panel.action.textCursor().MoveOperation.End)
    QTest.keyClicks(panel.action, " in the rain")
    panel.action.commit()  # what focus-out / a typing pause does
    assert doc.project.shot("sh001").prompt == "action 1 in the rain"
    QTest.keyClicks(panel.action, ", slowly")
    qtbot.waitUntil(lambda: doc.project.shot("sh001").prompt.endswith("slowly"), timeout=3000)  # typing pause
    assert doc.undo_text == "Edit Action"
    doc.undo()
    assert doc.project.shot("sh001").prompt == "action 1"
    assert panel.action.toPlainText() == "action 1" or panel.action.hasFocus()
    panel.detach()


def test_prompt_preview_and_override(qtbot, doc):
    panel = _panel(qtbot, doc, "sh001")
    assert panel.prompt.isReadOnly() and panel.prompt.toPlainText() == "action 1"  # previs: the action as is
    panel.override.setChecked(True)
    assert not panel.prompt.isReadOnly()
    panel.prompt.selectAll()
    QTest.keyClicks(panel.prompt, "my own prompt")
    panel.prompt.commit()
    assert doc.project.shot("sh001").prompt_override == "my own prompt"
    assert doc.undo_text == "Edit Prompt"
    doc.undo()
    assert doc.project.shot("sh001").prompt_override == ""
    assert not panel.override.isChecked() and panel.prompt.isReadOnly()
    doc.redo()
    assert panel.override.isChecked() and panel.prompt.toPlainText() == "my own prompt"
    panel.override.setChecked(False)  # back to the compiled prompt
    assert doc.project.shot("sh001").prompt_override == ""
    assert panel.prompt.toPlainText() == "action 1"
    panel.detach()


def test_motion_intensity_slider_commits_once_on_release(qtbot, doc):
    doc.execute(SetMotionCues("sh001", [MotionCue("Mara", "walks to the door", 0.5, "left")]))
    doc.clear_history()
    panel = _panel(qtbot, doc, "sh001")
    row = panel.motion.rows[0]
    slider = row.intensity
    slider.setSliderDown(True)
    for value in (55, 65, 80):  # a drag: no command while the handle is held
        slider.setValue(value)
    assert doc.project.shot("sh001").motion[0].intensity == 0.5
    slider.setSliderDown(False)  # release
    motion = doc.project.shot("sh001").motion[0]
    assert motion.intensity == 0.8 and motion.subject == "Mara" and motion.kind.value == "cross"
    assert doc.history == ["Change Motion"]
    doc.undo()
    assert doc.project.shot("sh001").motion[0].intensity == 0.5
    assert panel.motion.rows[0].intensity.value() == 50
    # a new motion row and a direction change are commands too
    panel.motion.add_button.click()
    assert len(doc.project.shot("sh001").motion) == 2
    doc.undo()
    assert len(panel.motion.rows) == 1
    panel.detach()


def test_sound_cues_add_edit_remove_and_waveform(qtbot, doc):
    panel = _panel(qtbot, doc, "sh001")
    audio = panel.audio
    assert audio.list.count() == 1 and audio.current_cue().cue_id == "au1"
    qtbot.waitUntil(lambda: not audio.waveform.pending, timeout=20000)  # synthesized on the pool thread
    assert audio.waveform.error == "" and float(abs(audio.waveform.peaks).max()) > 0.01
    audio.start.setValue(9)
    assert doc.project.shot("sh001").audio_cue("au1").start == 9
    assert doc.undo_text == "Edit Sound Effect"
    cue_id = audio.add_cue("dialogue")
    assert cue_id and len(doc.project.shot("sh001").audio) == 2
    assert audio.current_cue_id() == cue_id
    _type_line(audio.text, "")  # a dialogue cue needs a line: refused, marked, kept
    assert "dialogue cue needs" in field_error(audio.text)
    assert doc.project.shot("sh001").audio_cue(cue_id).text == "New line."
    _type_line(audio.text, "Where is it?")
    assert doc.project.shot("sh001").audio_cue(cue_id).text == "Where is it?"
    assert field_error(audio.text) == ""
    audio.remove_selected()
    assert len(doc.project.shot("sh001").audio) == 1
    doc.undo()
    doc.undo()
    doc.undo()
    doc.undo()
    shot = doc.project.shot("sh001")
    assert len(shot.audio) == 1 and shot.audio[0].start == 4
    panel.detach()


def test_references_continuity_seed_backend(qtbot, tmp_path, studio_env):
    doc = build_demo(tmp_path / "demo.shotreel")
    panel = _panel(qtbot, doc, "sh_ferry03")
    before = doc.project.shot("sh_ferry03").bible_refs
    item = next(panel.refs.item(i) for i in range(panel.refs.count())
                if panel.refs.item(i).data(Qt.ItemDataRole.UserRole) == "pr_parcel")
    item.setCheckState(Qt.CheckState.Checked)
    assert doc.project.shot("sh_ferry03").bible_refs == before + ("pr_parcel",)
    doc.undo()
    assert doc.project.shot("sh_ferry03").bible_refs == before
    panel.continuity.setFocus()
    QTest.keyClick(panel.continuity, Qt.Key.Key_Down)
    assert doc.project.shot("sh_ferry03").continuity.value == "reference"
    seed = panel.roll_seed()
    assert seed and doc.project.shot("sh_ferry03").seed == seed and panel.seed.text() == str(seed)
    _type_line(panel.seed, "not a seed")
    assert field_error(panel.seed) and panel.seed.text() == "not a seed"
    assert doc.project.shot("sh_ferry03").seed == seed
    index = panel.backend.findData("previs")
    panel.backend.setCurrentIndex(index)
    panel.backend.activated.emit(index)
    assert doc.project.shot("sh_ferry03").backend == "previs"
    doc.undo()
    doc.undo()
    doc.undo()
    assert doc.project.shot("sh_ferry03").seed == 103
    panel.detach()
    doc.close()


def test_camera_diagram_animates_only_while_visible_and_the_grab_is_not_blank(qtbot, tmp_path, studio_env):
    doc = build_demo(tmp_path / "demo.shotreel")
    panel = _panel(qtbot, doc, "sh_ferry05")  # an orbit
    diagram = panel.diagram
    qtbot.waitUntil(diagram.timer.isActive, timeout=2000)
    first = diagram.grab().toImage()
    diagram.fixed_t = 1.0
    diagram.repaint()
    assert diagram.grab().toImage() != first  # the camera moved along its orbit
    panel.hide()
    assert not diagram.timer.isActive()
    panel.show()
    qtbot.waitExposed(panel)
    qtbot.waitUntil(diagram.timer.isActive, timeout=2000)
    assert grab_variance(panel) > 100
    panel.selection.set(["sh_ferry02"])  # a static shot: nothing to animate
    qtbot.waitUntil(lambda: not diagram.timer.isActive(), timeout=2000)
    panel.detach()
    doc.close()


def test_title_and_duration_fields(qtbot, doc):
    panel = _panel(qtbot, doc, "sh002")
    _type_line(panel.duration, "3s")
    assert doc.project.shot("sh002").duration == 72 and panel.duration.text() == "72f"
    _type_line(panel.duration, "three seconds")
    assert "duration" in field_error(panel.duration) and panel.duration.text() == "three seconds"
    assert doc.project.shot("sh002").duration == 72
    _type_line(panel.title, "On the ramp")  # another field's edit keeps the marked one as typed
    assert doc.project.shot("sh002").title == "On the ramp"
    assert panel.duration.text() == "three seconds" and panel.heading.text() == "Shot 3 · On the ramp"
    doc.undo()
    doc.undo()
    assert doc.project.shot("sh002").duration == 26
    panel.selection.set(["sh001"])  # another shot: marks are cleared, its values shown
    assert field_error(panel.duration) == "" and panel.duration.text() == "25f"
    panel.detach()


def test_waveforms_queued_for_cues_no_longer_shown_are_dropped(qtbot, tmp_path, studio_env):
    from ui.waveform import WaveformRenderer
    from engine.cues import AudioCue
    renderer = WaveformRenderer()
    cues = [AudioCue(kind="ambience", preset="rain", cue_id=f"a{i}") for i in range(6)]
    keys = [renderer.request(cue, 24 * (i + 2), 24, seed=i) for i, cue in enumerate(cues)]
    qtbot.waitUntil(lambda: renderer.result(keys[-1]) is not None, timeout=20000)
    renderer.wait()
    qtbot.wait(50)  # deliver queued results
    done = [k for k in keys if renderer.result(k) is not None]
    assert keys[-1] in done and len(done) < len(keys)  # the skipped middle ones were never synthesized
    peaks, fill, error = renderer.result(keys[-1])
    assert error == "" and peaks.shape == (600, 2) and fill > 0.9
    renderer.shutdown()


def test_previs_sees_follows_typing_and_the_old_label_is_gone(qtbot, doc):
    panel = _panel(qtbot, doc, "sh001")
    assert panel.previs_sees.text().startswith("Previs sees: ")
    assert "backend receives" not in panel.prompt_hint.text()
    panel.action.setFocus()
    panel.action.selectAll()
    QTest.keyClicks(panel.action, "A fisherman in a yellow oilskin mends a net at dusk")
    text = panel.previs_sees.text()   # before the edit commits: updated as the user types
    assert "fisherman in yellow oilskin" in text and "net" in text and "dusk" in text and "mend" in text
    QTest.keyClicks(panel.action, ". Rey waves.")
    assert "Rey is not in the bible" in panel.previs_sees.text() and 'href="add:Rey"' in panel.previs_sees.text()
    panel.action.commit()
    panel.previs_sees.linkActivated.emit("add:Rey")      # the offer: add Rey to the bible, one command
    assert doc.project.bible_by_name("Rey") is not None and doc.undo_text == "Add Character"
    assert "Rey is not in the bible" not in panel.previs_sees.text()
    doc.undo()
    assert doc.project.bible_by_name("Rey") is None
    panel.detach()


def test_camera_diagram_draws_the_engine_camera_path(qtbot, doc):
    from engine.cues import CameraCue
    from engine.previs.framing import solve
    from ui.inspector.camera_diagram import CameraPose, _DEFAULT_PLAN
    cue = CameraCue(move="dolly_in", amount=0.8, shot_size="MS", easing="linear")
    framing = solve(_DEFAULT_PLAN, cue, 1280, 720)
    path = framing.path(cue, 72, 24.0, 0)
    for t in (0.0, 0.5, 1.0):
        drawn = CameraPose(cue, t)
        engine = path.pose_at(t, t * 3.2)
        assert (drawn.x, drawn.y, drawn.z) == (engine.position[0], engine.position[2], engine.position[1])
        assert drawn.pitch == engine.pitch and drawn.lens == engine.lens_mm
