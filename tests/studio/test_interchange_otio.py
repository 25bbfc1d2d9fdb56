"""OTIO master + FCP 7 XML / FCPXML / EDL written through the real adapters and read back."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from studio.errors import UserError
from studio.interchange.otio_export import build_timeline, export_timeline, read_timeline
from studio.playlist import build_edit_list

try:
    from .interchange_sample import make_project
except ImportError:
    from interchange_sample import make_project


@pytest.fixture()
def sample(tmp_path):
    folder = tmp_path / "night.shotreel"
    return make_project(folder), folder


def _items(timeline):
    return [c for c in timeline.video_tracks()[0] if isinstance(c, (otio.schema.Clip, otio.schema.Gap))]


def test_otio_round_trip_keeps_clips_ranges_metadata_markers(sample, tmp_path):
    project, folder = sample
    out = export_timeline(project, folder, tmp_path / "cut.otio")
    back = read_timeline(out)
    track = back.video_tracks()[0]
    kinds = [type(c).__name__ for c in track]
    assert kinds == ["Clip", "Transition", "Clip", "Gap", "Transition", "Clip", "Gap"]
    clips = [c for c in track if isinstance(c, otio.schema.Clip)]
    # ranges at the project rate: the visible part between cut points. Shot 2 crossfades in over 12 frames
    # (the playlist overlaps it with shot 1), so the cut sits mid-overlap: 6 frames of each are handles.
    assert [(c.source_range.start_time.value, c.source_range.duration.value) for c in clips] == \
        [(0, 90), (8 + 6, 60 - 6), (8, 84)]
    assert all(c.source_range.duration.rate == 24 for c in clips)
    assert clips[0].media_reference.target_url == (folder / "media/takes/tk_1.mp4").resolve().as_uri()
    meta = clips[1].metadata["shotreel"]
    assert meta["take_id"] == "tk_2" and meta["seed"] == 101 and meta["model"] == "previs-blocking"
    assert meta["backend"] == "previs" and meta["prompt"] == "She stops at a red door."
    assert meta["conditioning"] == {"source_take_id": "tk_1", "source_frame": 95}
    assert meta["camera"]["move"] == "dolly_in" and meta["camera"]["shot_size"] == "CU"
    # dialogue marker at the cue's offset inside the clip's source range; notes as a marker
    marker = clips[1].markers[0]
    assert marker.name == "Maya: Anyone home?" and marker.marked_range.start_time.value == 8 + 12  # trim_in + cue
    assert marker.color == otio.schema.MarkerColor.YELLOW
    assert [m.comment for m in clips[0].markers] == ["Neon reflections in puddles."]
    # transitions: crossfade is a dissolve centred on the cut, dip to black a named custom transition
    dissolve, dip = [c for c in track if isinstance(c, otio.schema.Transition)]
    assert dissolve.transition_type == otio.schema.TransitionTypes.SMPTE_Dissolve
    assert dissolve.in_offset.value + dissolve.out_offset.value == 12
    assert dip.metadata["shotreel"]["kind"] == "dip_to_black"
    assert (dip.in_offset.value, dip.out_offset.value) == (4, 4)  # fade out of the gap, fade in of shot 4
    # shots without a usable take (board only, take record gone) are gaps of the shot's duration
    gaps = [c for c in track if isinstance(c, otio.schema.Gap)]
    assert [g.duration().value for g in gaps] == [72, 96]
    assert gaps[1].metadata["shotreel"]["shot_id"] == "sh_5"
    assert track.duration().value == 96 + 60 + 72 + 84 + 96 - 12
    # every clip maps source frames to the same record frames as the playlist (player and MP4 export)
    edit = build_edit_list(project, folder=folder)
    assert track.duration().value == edit.duration
    by_take = {e.take_id: e for e in edit.entries if e.take_id}
    for clip in clips:
        entry = by_take[clip.metadata["shotreel"]["take_id"]]
        offset = clip.range_in_parent().start_time.value - clip.source_range.start_time.value
        assert offset == entry.record_in - entry.source_in
    # A1: each take's sound under its picture (same ranges); the take without sound is a gap
    sound = back.audio_tracks()[0]
    sounds = [c for c in sound if isinstance(c, otio.schema.Clip)]
    assert [c.metadata["shotreel"]["take_id"] for c in sounds] == ["tk_1", "tk_4"]
    assert [Path(c.media_reference.target_url).name for c in sounds] == ["tk_1.wav", "tk_4.wav"]
    assert [c.source_range for c in sounds] == [clips[0].source_range, clips[2].source_range]
    assert [c.range_in_parent() for c in sounds] == [clips[0].range_in_parent(), clips[2].range_in_parent()]
    assert sound.duration() == track.duration()
    # lossless: the JSON we read back is the timeline we built
    assert otio.adapters.write_to_string(back, "otio_json") == \
        otio.adapters.write_to_string(build_timeline(project, folder), "otio_json")


def test_relative_urls_when_asked_and_picture_only(sample, tmp_path):
    project, folder = sample
    timeline = build_timeline(project, folder, relative=True, audio=False)
    assert len(timeline.tracks) == 1
    urls = [c.media_reference.target_url for c in timeline.find_clips()]
    assert urls == ["media/takes/tk_1.mp4", "media/takes/tk_2.mp4", "media/takes/tk_4.mp4"]


@pytest.mark.parametrize("suffix", [".xml", ".fcpxml", ".edl"])
def test_editor_formats_reread_by_adapters(sample, tmp_path, suffix):
    project, folder = sample
    out = export_timeline(project, folder, tmp_path / f"cut{suffix}")
    assert out.is_file() and not list(tmp_path.glob("*.partial-*"))
    back = read_timeline(out)
    clips = [c for c in back.video_tracks()[0] if isinstance(c, otio.schema.Clip)]
    assert len(clips) == 3
    assert [c.name for c in clips] == ["001 Rain street", "002 Door", "004 Kitchen"]
    if suffix != ".edl":  # the EDL reader takes a dissolve's media URL from the outgoing event's comment
        assert [Path(c.media_reference.target_url).name for c in clips] == ["tk_1.mp4", "tk_2.mp4", "tk_4.mp4"]
    expected = [(0, 90), (90, 54), (216, 84)]  # record in, duration (see the round trip test)
    # The EDL moves each cut to the start of its dissolve (CMX convention); XML/FCPXML keep our cut points.
    slack = 12 if suffix == ".edl" else 4
    for clip, (record_in, duration) in zip(clips, expected):
        got = clip.range_in_parent()
        assert got.duration.rate == pytest.approx(24)
        assert abs(got.start_time.value - record_in) <= slack
        assert abs(got.duration.value - duration) <= slack
    # the trailing gap is not written by these formats (FIELD-NOTES); everything before it is
    assert abs(back.video_tracks()[0].duration().value - (96 + 60 + 72 + 84 - 12)) <= 4
    if suffix in (".xml", ".fcpxml"):  # the EDL carries the picture track only
        sounds = [c for c in back.audio_tracks()[0] if isinstance(c, otio.schema.Clip)]
        assert [Path(c.media_reference.target_url).name for c in sounds] == ["tk_1.wav", "tk_4.wav"]
        assert [c.source_range.duration.value for c in sounds] == [90, 84]
    if suffix == ".xml":
        assert "Cross Dissolve" in out.read_text()
    if suffix == ".edl":
        text = out.read_text()
        assert "D 012" in text and "MAYA: ANYONE HOME?" in text


def test_ntsc_rate(tmp_path):
    project = make_project(tmp_path / "p.shotreel", fps=Fraction(30000, 1001))
    out = export_timeline(project, tmp_path / "p.shotreel", tmp_path / "cut.edl")
    back = read_timeline(out, rate=project.fps)  # keep the timeline alive: OTIO's tracks die with it
    clips = [c for c in back.video_tracks()[0] if isinstance(c, otio.schema.Clip)]
    assert clips[0].source_range.duration.rate == pytest.approx(30000 / 1001, rel=1e-3)
    assert clips[-1].source_range.duration.value == pytest.approx(84, abs=8)
    # the dip into shot 4 starts at 212 = 7 s 2 f, the cut ends at 300 = 10 s (drop-frame notation at 29.97)
    assert "00:00:07;02 00:00:10;00" in out.read_text()


def test_bad_extension_and_empty_project(sample, tmp_path):
    project, folder = sample
    with pytest.raises(UserError, match="not .mov"):
        export_timeline(project, folder, tmp_path / "cut.mov")
    project.sequences.clear()
    with pytest.raises(UserError, match="no shots"):
        export_timeline(project, folder, tmp_path / "cut.otio")
    assert not (tmp_path / "cut.otio").exists()
