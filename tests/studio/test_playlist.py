"""The edit list: record/source ranges, trims, transitions, missing shots, look-ups, audio mapping.

Media files only need to exist here (frame counts come from the takes); the export tests render them.
"""
from __future__ import annotations

from fractions import Fraction

import pytest

from studio.errors import UserError
from studio.model import Project, Sequence, Shot, Take, TakeStatus, Transition
from studio.playlist import build_edit_list


def _project(tmp_path, shots, takes, fps=24):
    for take in takes:
        for rel in take.files.values():
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"x")
    return Project("Cut", fps, 256, 144, sequences=[Sequence("q1", "INT. ROOM", shots)], takes=takes)


def _take(i, frames=48, fps=24, audio=True, **kw):
    files = {"video": f"media/t{i}.mp4"}
    if audio:
        files["audio"] = f"media/t{i}.wav"
    return Take(id=f"tk{i}", shot_id=f"s{i}", backend="previs", files=files, frames=frames, fps=fps,
                width=256, height=144, **kw)


def _shot(i, **kw):
    kw.setdefault("selected_take", f"tk{i}")
    kw.setdefault("duration", 48)
    return Shot(id=f"s{i}", title=f"Shot {i}", **kw)


def test_cuts_and_trims_lay_clips_end_to_end(tmp_path):
    shots = [_shot(0), _shot(1, trim_in=6, trim_out=30), _shot(2, trim_in=10), _shot(3, duration=72)]
    takes = [_take(0), _take(1), _take(2), _take(3, frames=40)]
    edit = build_edit_list(_project(tmp_path, shots, takes), folder=tmp_path)
    spans = [(e.source_in, e.source_out, e.record_in, e.record_out) for e in edit.entries]
    # shot 3's take is shorter than the planned 72 frames: it plays its own 40 (documented rule)
    assert spans == [(0, 48, 0, 48), (6, 30, 48, 72), (10, 48, 72, 110), (0, 40, 110, 150)]
    assert edit.duration == 150 and edit.missing == ()
    assert edit.entries[1].media == str((tmp_path / "media/t1.mp4").resolve())
    assert edit.entries[1].source_frame(50) == 8
    assert [c[1] for c in edit.cuts()] == ["00:00:00:00", "00:00:02:00", "00:00:03:00", "00:00:04:14"]
    assert [e.shot_number for e in edit.entries] == [1, 2, 3, 4]
    assert edit.entry_at(47).shot_id == "s0" and edit.entry_at(48).shot_id == "s1"
    assert edit.entry_at(149).shot_id == "s3" and edit.entry_at(150) is None and edit.entry_at(-1) is None


def test_crossfade_overlaps_and_shortens_the_cut(tmp_path):
    shots = [_shot(0), _shot(1, transition=Transition("crossfade", 12)), _shot(2)]
    edit = build_edit_list(_project(tmp_path, shots, [_take(0), _take(1), _take(2)]), folder=tmp_path)
    a, b, c = edit.entries
    assert (b.record_in, b.record_out) == (36, 84) and c.record_in == 84
    assert edit.duration == 3 * 48 - 12
    assert a.overlap_out == 12 and b.overlap_in == 12 and b.transition_in.kind.value == "crossfade"
    both = edit.entries_at(40)
    assert [e.shot_id for e in both] == ["s0", "s1"]
    assert edit.entry_at(40).shot_id == "s1"      # the incoming clip is on top
    assert [e.shot_id for e in edit.entries_at(35)] == ["s0"]


def test_dip_to_black_splits_the_fade_without_overlap(tmp_path):
    shots = [_shot(0), _shot(1, transition=Transition("dip_to_black", 9))]
    edit = build_edit_list(_project(tmp_path, shots, [_take(0), _take(1)]), folder=tmp_path)
    a, b = edit.entries
    assert (a.fade_out, b.fade_in) == (4, 5)
    assert b.record_in == a.record_out == 48 and edit.duration == 96
    assert a.overlap_out == 0 and b.overlap_in == 0


def test_opening_transition_is_a_fade_from_black(tmp_path):
    shots = [_shot(0, transition=Transition("crossfade", 10)), _shot(1)]
    edit = build_edit_list(_project(tmp_path, shots, [_take(0), _take(1)]), folder=tmp_path)
    assert edit.entries[0].fade_in == 10 and edit.entries[0].record_in == 0 and edit.duration == 96


def test_crossfade_longer_than_the_clips_is_clamped_and_reported(tmp_path):
    shots = [_shot(0), _shot(1, transition=Transition("crossfade", 40), trim_out=20)]
    edit = build_edit_list(_project(tmp_path, shots, [_take(0), _take(1)]), folder=tmp_path)
    assert edit.entries[1].overlap_in == 20 and edit.duration == 48
    assert any("crossfade shortened from 40 to 20" in w for w in edit.warnings)


def test_shots_without_a_usable_take_are_slates_and_block_the_export(tmp_path):
    takes = [_take(0), _take(1), _take(2, status=TakeStatus.TRASHED), _take(4)]
    shots = [_shot(0), _shot(1, selected_take=""), _shot(2), _shot(3, selected_take="tk_gone"), _shot(4, duration=30)]
    project = _project(tmp_path, shots, takes)
    (tmp_path / "media/t4.mp4").unlink()
    edit = build_edit_list(project, folder=tmp_path)
    reasons = {m.shot_number: m.reason for m in edit.missing}
    assert reasons[2] == "no take selected"
    assert "trash" in reasons[3] and "not in the project" in reasons[4] and "take file missing" in reasons[5]
    slates = [e for e in edit.entries if e.is_slate]
    assert [e.shot_number for e in slates] == [2, 3, 4, 5]
    assert slates[-1].length == 30 and edit.duration == 48 + 48 * 3 + 30   # slates hold the planned length
    with pytest.raises(UserError) as info:
        edit.require_complete()
    text = str(info.value)
    assert "4 shots have no usable take" in text and "shot 2 'Shot 1'" in text and "shot 5 'Shot 4'" in text


def test_other_rate_take_converts_to_project_frames_and_scene_selection(tmp_path):
    shots_a = [_shot(0, trim_in=3)]
    shots_b = [_shot(1)]
    takes = [_take(0, frames=24, fps=12), _take(1)]
    for take in takes:
        for rel in take.files.values():
            (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / rel).write_bytes(b"x")
    project = Project("Two scenes", 24, 256, 144, sequences=[Sequence("a", "A", shots_a), Sequence("b", "B", shots_b)],
                      takes=takes)
    whole = build_edit_list(project, folder=tmp_path)
    first = whole.entries[0]
    assert (first.source_in, first.source_out, first.length) == (6, 48, 42)
    assert first.media_fps == Fraction(12)
    scene_b = build_edit_list(project, sequence_id="b", folder=tmp_path)
    assert [e.shot_number for e in scene_b.entries] == [2]      # numbers stay the project's
    assert scene_b.entries[0].record_in == 0 and scene_b.title == "B"


def test_audio_segments_follow_the_transitions(tmp_path):
    shots = [_shot(0), _shot(1, transition=Transition("crossfade", 8)), _shot(2, transition=Transition("dip_to_black", 6)),
             _shot(3, trim_in=4)]
    takes = [_take(0), _take(1), _take(2, audio=False), _take(3)]
    edit = build_edit_list(_project(tmp_path, shots, takes), folder=tmp_path)
    segments = edit.to_audio_segments()
    got = [(s.source_in, s.source_out, s.record_in, s.fade_in, s.fade_out) for s in segments]
    # shot 2 has no audio and is skipped; its dip still fades shot 1 out over 3 frames
    assert got == [(0, 48, 0, 0, 8), (0, 48, 40, 8, 3), (4, 48, 136, 0, 0)]
    assert segments[0].wav_path.endswith("media/t0.wav")
