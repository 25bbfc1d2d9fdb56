"""Continuity and request building: what a shot inherits, staleness along a chain, consent."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from engine.cues import AudioCue, CameraCue, MotionCue
from engine.jobs import GenerationRequest
from studio.continuity import inheritance, last_used_frame, stale_shots, upstream_take
from studio.errors import UserError
from studio.model import BibleEntry, ConsentRecord, Continuity, Project, Sequence, Shot, Take
from studio.prompting import build_request, parse_heading, scene_spec


def _take(take_id: str, shot_id: str, source: str = "", frames: int = 48) -> Take:
    return Take(id=take_id, shot_id=shot_id, backend="previs", frames=frames, source_take_id=source,
                source_frame=frames - 1 if source else None, created=f"2026-11-22T00:00:{len(take_id):02d}Z",
                files={"video": f"media/takes/{take_id}/video.mp4",
                       "last_frame": f"media/takes/{take_id}/last.png"},
                end_state={"camera": {"x": 1.0}, "take": take_id})


def _chain(n: int = 5) -> Project:
    """n chained shots, each with a take made from the previous shot's selected take."""
    shots = [Shot(id=f"s{i}", title=f"Shot {i}", duration=48, continuity=Continuity.PREVIOUS) for i in range(n)]
    project = Project("Chain", sequences=[Sequence("q1", "EXT. HARBOUR - NIGHT", shots)])
    previous = ""
    for i, shot in enumerate(shots):
        take = _take(f"t{i}a", shot.id, previous)
        project.takes[take.id] = take
        project.sequences[0].shots[i] = replace(shot, selected_take=take.id)
        previous = take.id
    return project


def _select(project: Project, shot_id: str, take_id: str) -> None:
    seq, index, shot = project.find_shot(shot_id)
    seq.shots[index] = replace(shot, selected_take=take_id)


def test_fresh_chain_is_not_stale():
    assert stale_shots(_chain()) == {}


def test_reselecting_upstream_marks_every_downstream_shot_stale():
    project = _chain(5)
    project.takes["t1b"] = _take("t1b", "s1", "t0a")
    _select(project, "s1", "t1b")
    stale = stale_shots(project)
    assert set(stale) == {"s2", "s3", "s4"}
    assert "t1a" in stale["s2"] and "upstream is stale" in stale["s3"]


def test_chain_break_stops_propagation():
    project = _chain(5)
    seq = project.sequences[0]
    seq.shots[3] = replace(seq.shots[3], continuity=Continuity.NONE)
    project.takes["t1b"] = _take("t1b", "s1", "t0a")
    _select(project, "s1", "t1b")
    assert set(stale_shots(project)) == {"s2"}


def test_regenerated_downstream_take_clears_staleness():
    project = _chain(3)
    project.takes["t1b"] = _take("t1b", "s1", "t0a")
    _select(project, "s1", "t1b")
    assert set(stale_shots(project)) == {"s2"}
    project.takes["t2b"] = _take("t2b", "s2", "t1b")
    _select(project, "s2", "t2b")
    assert stale_shots(project) == {}


def test_inheritance_uses_previous_last_frame_and_end_state(tmp_path: Path):
    project = _chain(2)
    shot = project.shot("s1")
    assert upstream_take(project, shot).id == "t0a"
    got = inheritance(project, tmp_path, shot)
    assert got.conditioning.first_frame == str(tmp_path / "media/takes/t0a/last.png")
    assert got.conditioning.source_take_id == "t0a" and got.conditioning.source_frame == 47
    assert got.start_state == {"camera": {"x": 1.0}, "take": "t0a"}


def test_trimmed_upstream_conditions_on_the_trim_out_frame(tmp_path: Path):
    import av
    import numpy as np
    project = _chain(2)
    video = tmp_path / "media/takes/t0a/video.mp4"
    video.parent.mkdir(parents=True)
    with av.open(str(video), "w") as out:  # frame i is a flat grey of level 5*i
        stream = out.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 32, "yuv420p"
        stream.options = {"crf": "0", "g": "1"}
        for i in range(48):
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.full((32, 64, 3), 5 * i, np.uint8),
                                                                   format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    seq = project.sequences[0]
    seq.shots[0] = replace(seq.shots[0], trim_out=30)
    assert last_used_frame(seq.shots[0], project.take("t0a")) == 29
    got = inheritance(project, tmp_path, project.shot("s1"))
    assert got.conditioning.source_frame == 29
    assert got.start_state is None  # the exact previs state exists only for the last frame
    from PIL import Image
    pixels = np.asarray(Image.open(got.conditioning.first_frame))
    assert abs(float(pixels.mean()) - 5 * 29) < 3  # the frame the cut leaves on, not the take's last one


def test_first_shot_and_fresh_shots_inherit_nothing(tmp_path: Path):
    project = _chain(2)
    assert inheritance(project, tmp_path, project.shot("s0")).source is None
    seq = project.sequences[0]
    seq.shots[1] = replace(seq.shots[1], continuity=Continuity.NONE, board_image="media/imports/b.png")
    got = inheritance(project, tmp_path, project.shot("s1"))
    assert got.source is None and got.conditioning.first_frame == str(tmp_path / "media/imports/b.png")


def test_real_person_without_consent_is_refused(tmp_path: Path):
    project = _chain(1)
    entry = BibleEntry("b1", "character", "Real Actor", real_person=True)
    project.bible.append(entry)
    seq = project.sequences[0]
    seq.shots[0] = replace(seq.shots[0], bible_refs=("b1",))
    with pytest.raises(UserError, match="consent"):
        inheritance(project, tmp_path, project.shot("s0"))
    project.bible[0] = replace(entry, consent=ConsentRecord("Real Actor", "2026-11-01", "previs only"))
    inheritance(project, tmp_path, project.shot("s0"))


def test_request_is_complete_and_serializable(tmp_path: Path):
    project = _chain(2)
    project.bible += [BibleEntry("c1", "character", "Mara", color="#aa3344"),
                      BibleEntry("c2", "character", "Theo"),
                      BibleEntry("l1", "location", "Harbour", description="wet stone quay, cranes")]
    seq = project.sequences[0]
    seq.shots[1] = replace(seq.shots[1], prompt="Mara turns to Theo", camera=CameraCue(move="dolly_in"),
                           motion=(MotionCue(subject="Mara", action="turns"),),
                           audio=(AudioCue(kind="dialogue", text="Did you see it?", character="Theo", start=6),),
                           bible_refs=("c1",))
    request = build_request(project, tmp_path, "s1", job_id="tk_test")
    assert request.frames == 48 and request.fps == 24 and request.width == 1280
    assert request.output_dir == str(tmp_path / "media/takes/tk_test")
    # Theo is named in the action: the shot plan puts him in the set too (issue 10), after the refs.
    assert [c.name for c in request.scene.characters] == ["Mara", "Theo"]
    assert [p.name for p in request.plan.people] == ["Mara", "Theo"]
    assert request.scene.characters[0].color == "#aa3344"
    assert request.scene.time_of_day == "night" and not request.scene.interior
    assert request.scene.location.startswith("Harbour")
    assert request.audio[0].voice  # Theo is off screen but still gets his own voice
    assert request.conditioning.source_take_id == "t0a"
    again = GenerationRequest.from_dict(json.loads(json.dumps(request.to_dict())))
    assert again == request


def test_scene_is_shared_by_every_shot_of_a_scene(tmp_path: Path):
    project = _chain(3)
    seq = project.sequences[0]
    seeds = {scene_spec(project, seq, s, tmp_path).set_seed for s in seq.shots}
    assert len(seeds) == 1


@pytest.mark.parametrize("heading,interior,location,time", [
    ("EXT. HARBOUR - NIGHT", False, "HARBOUR", "night"),
    ("INT. KITCHEN - DAY", True, "KITCHEN", "day"),
    ("INT./EXT. CAR - DUSK", True, "CAR", "dusk"),
    ("Rooftop", False, "Rooftop", "day"),
])
def test_parse_heading(heading, interior, location, time):
    parsed = parse_heading(heading)
    assert (parsed.interior, parsed.location, parsed.time_of_day) == (interior, location, time)


def test_diffusion_request_carries_the_action_and_the_users_prompt_edit(tmp_path: Path):
    project = _chain(1)
    seq = project.sequences[0]
    seq.shots[0] = replace(seq.shots[0], prompt="Mara runs", backend="diffusion", model="/models/wan")
    request = build_request(project, tmp_path, "s0")
    assert request.prompt == "Mara runs" and "prompt_override" not in request.options  # the backend compiles
    seq.shots[0] = replace(seq.shots[0], prompt_override="cinematic night, a woman runs along a quay")
    request = build_request(project, tmp_path, "s0")
    assert request.options["prompt_override"].startswith("cinematic night")
    previs = build_request(project, tmp_path, "s0", backend="previs")
    assert previs.backend == "previs" and "prompt_override" not in previs.options
