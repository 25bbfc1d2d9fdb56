"""studio.timeline_edits: the trim and cue-drag rules the timeline canvas applies, without Qt."""
from __future__ import annotations

from studio import timeline_edits as edits
from studio.commands import SetValue
from studio.model import AudioCue


def test_a_trim_keeps_at_least_one_frame_and_stays_inside_the_take():
    # in point: never below 0, never at or past the out point (0 = the take's end)
    assert edits.trim_in_to(10, 0, 48, -30) == (0, 0)
    assert edits.trim_in_to(10, 0, 48, 100) == (47, 0)
    assert edits.trim_in_to(10, 20, 48, 100) == (19, 20)
    # out point: never past the take, never at or before the in point; the take's end is stored as 0
    assert edits.trim_out_to(10, 30, 48, -100) == (10, 11)
    assert edits.trim_out_to(10, 30, 48, 5) == (10, 35)
    assert edits.trim_out_to(10, 30, 48, 18) == (10, 0)
    assert edits.trim_out_to(10, 0, 48, 7) == (10, 0)


def test_a_trim_gesture_is_one_set_trim_or_nothing():
    assert edits.trim_edit("sh1", 4, 0, 4, 0) is None
    command = edits.trim_edit("sh1", 4, 0, 6, 30)
    assert isinstance(command, SetValue) and command.value == {"trim_in": 6, "trim_out": 30}


def test_cue_drags_stay_inside_the_shot_and_keep_a_frame():
    assert edits.cue_moved_to(-5, 24) == 0 and edits.cue_moved_to(40, 24) == 23 and edits.cue_moved_to(7, 24) == 7
    assert edits.cue_moved_to(3, 0) == 0          # an empty shot: the cue sits at its frame 0
    assert edits.cue_end_to(10, 4) == 11 and edits.cue_end_to(10, 30) == 30
    assert edits.cue_start_to(-3, 12, 24) == 0
    assert edits.cue_start_to(20, 12, 24) == 11   # one frame before the end
    assert edits.cue_start_to(30, 40, 24) == 23   # inside the shot


def test_cue_gestures_become_one_set_audio_cue_or_nothing():
    cue = AudioCue(kind="sfx", preset="door", start=4, duration=10, cue_id="c1")
    assert edits.cue_edit("sh1", cue, "move", 4, 14) is None
    moved = edits.cue_edit("sh1", cue, "move", 9, 19)
    assert moved.value.start == 9 and moved.value.duration == 10
    assert edits.cue_edit("sh1", cue, "right", 4, 14) is None
    trimmed = edits.cue_edit("sh1", cue, "left", 6, 14)
    assert (trimmed.value.start, trimmed.value.duration) == (6, 8)
    assert edits.nudge_cue("sh1", cue, -10, 24).value.start == 0
    assert edits.nudge_cue("sh1", cue.with_(start=0), -1, 24) is None
