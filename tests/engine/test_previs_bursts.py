"""A lunge, a twist away: short moves toward (or from) what the action goes for, not a run or walk
off; and the operator on a close size keeps a travelling subject's size (a step with it), measured
from the joints projected through each frame's camera."""
from __future__ import annotations

import math

import numpy as np
import pytest

from engine.cues import CameraCue, MotionCue
from engine.jobs import CharacterSpec
from engine.plan import short_move
from engine.previs import make_renderer
from engine.previs.framing import HEAD_RADIUS, project
from engine.previs.rig import skeleton
from previs_testkit import H, W, request, scene
from studio.model import BibleEntry, BibleKind
from studio.shotplan import build_plan

BIBLE = (BibleEntry("ch_tomas", BibleKind.CHARACTER, "Tomas", "A dock hand.", color="#d0c020"),
         BibleEntry("ch_mara", BibleKind.CHARACTER, "Mara", "A courier.", color="#e020e0"))
CAST = (CharacterSpec("Tomas", color="#d0c020"), CharacterSpec("Mara", color="#e020e0"))
HANDHELD_MCU = CameraCue("handheld", "", 0.6, "linear", 35, "MCU", "dutch")
LUNGE = MotionCue("Tomas", "lunges for the parcel", 0.9, "right", kind="run")
TWIST = MotionCue("Mara", "twists away", 0.7, "away", kind="recede")


def _renderer(tmp_path, text: str, camera: CameraCue, motion, frames: int = 72):
    plan = build_plan("EXT. HARBOUR - NIGHT", text, camera=camera, bible=BIBLE, motion=motion)
    cast = tuple(c for c in CAST if any(p.name == c.name for p in plan.people))
    req = request(tmp_path, "b", camera, motion, frames=frames, plan=plan, scene=scene(characters=cast))
    return make_renderer(req), plan


def _track(r, name: str) -> list:
    k = next(n for n, t in enumerate(r.tracks) if t.start.name == name)
    return [r.figure_states(i)[k] for i in range(r.frames)]


def _path_length(states) -> float:
    return sum(math.dist((a.x, a.z), (b.x, b.z)) for a, b in zip(states, states[1:]))


def test_the_vocabulary_reads_short_moves_in_any_form():
    assert short_move("lunges for the parcel") == short_move("lunged") == short_move("lunging")
    assert short_move("twists away")[1] == "from" and short_move("lunge")[1] == "to"
    assert short_move("walks away up the ramp") is None and short_move("runs right") is None
    assert short_move("sprang at him") == short_move("springs")       # irregular forms, by lemminflect
    assert short_move("ducked")[1] == "from"


def test_a_lunge_for_a_held_prop_is_a_burst_that_stops_by_its_holder(tmp_path):
    r, plan = _renderer(tmp_path, "Mara holds the parcel. Tomas lunges for the parcel.", HANDHELD_MCU, (LUNGE,))
    assert plan.props[0].held_by is not None and plan.people[plan.props[0].held_by].name == "Mara"
    tomas, mara = _track(r, "Tomas"), _track(r, "Mara")
    end = math.dist((tomas[-1].x, tomas[-1].z), (mara[-1].x, mara[-1].z))
    assert end <= 1.0, f"the lunge ends {end:.2f} m from the holder"
    assert 0.3 < _path_length(tomas) <= 2.5, _path_length(tomas)
    # a burst: over within the first half, then he stands (no stride) where it ended
    half = tomas[r.frames // 2:]
    assert _path_length(half) < 0.02 and tomas[-1].stride < 0.05


def test_a_lunge_at_the_other_one_in_the_shot_goes_for_what_she_has_where_she_twists_to(tmp_path):
    """The reader: one goes *for* the parcel and one other is there, so she has it; he ends by her
    where her twist took her."""
    r, plan = _renderer(tmp_path, "Tomas lunges for the parcel; Mara twists away.", HANDHELD_MCU, (LUNGE, TWIST))
    assert plan.people[plan.props[0].held_by].name == "Mara"
    tomas, mara = _track(r, "Tomas"), _track(r, "Mara")
    assert _path_length(mara) > 0.2, "she steps away"
    assert math.dist((tomas[-1].x, tomas[-1].z), (mara[-1].x, mara[-1].z)) <= 1.0
    assert _path_length(tomas) <= 2.5


def test_a_lunge_for_a_prop_nobody_holds_goes_to_the_prop(tmp_path):
    r, plan = _renderer(tmp_path, "Tomas lunges for the parcel.", HANDHELD_MCU, (LUNGE,))
    assert plan.props[0].held_by is None, "alone in the shot, nobody has it"
    tomas = _track(r, "Tomas")
    parcel = next(p["at"] for p in r.props if p["kind"] == "parcel")
    before = math.dist((tomas[0].x, tomas[0].z), (parcel[0], parcel[2]))
    after = math.dist((tomas[-1].x, tomas[-1].z), (parcel[0], parcel[2]))
    assert after < before and after <= 1.0 and _path_length(tomas) <= 2.5, (before, after)


def test_twists_away_turns_the_body_from_the_other_with_a_step(tmp_path):
    r, _ = _renderer(tmp_path, "Tomas lunges for the parcel; Mara twists away.", HANDHELD_MCU, (LUNGE, TWIST))
    tomas, mara = _track(r, "Tomas"), _track(r, "Mara")
    m, t = mara[-1], tomas[-1]
    to_him = math.degrees(math.atan2(t.x - m.x, t.z - m.z))
    off = abs((m.heading - to_him + 180.0) % 360.0 - 180.0)
    assert off > 90.0, f"her body is {off:.0f} degrees off the line to him"
    assert 0.2 < _path_length(mara) <= 1.5, _path_length(mara)


def _head_px(pose, f) -> float:
    head, r = skeleton(f)["head"], f.height * HEAD_RADIUS
    uv = project(pose, np.array([head + [0.0, r, 0.0], head - [0.0, r, 0.0]]), W, H)
    return float(abs(uv[0, 1] - uv[1, 1]))


@pytest.mark.parametrize("text,camera,motion", [
    ("Tomas lunges for the parcel; Mara twists away.", HANDHELD_MCU, (LUNGE, TWIST)),
    ("Mara walks away along the quay.", CameraCue(shot_size="MS"), (MotionCue("Mara", "walks away", 0.5, "away"),)),
    ("Mara comes closer.", CameraCue(shot_size="MS", lens_mm=85), (MotionCue("Mara", "comes closer", 0.8, "toward"),)),
], ids=["lunge-mcu-handheld", "recede-ms", "approach-ms-85mm"])
def test_a_close_size_keeps_a_travelling_subjects_head_size(tmp_path, text, camera, motion):
    r, _ = _renderer(tmp_path, text, camera, motion)
    lead = _track(r, r.tracks[0].start.name)
    assert _path_length(lead) > 0.5, "the subject travels"
    sizes = [_head_px(r.camera_pose(i), f) for i, f in enumerate(lead)]
    ratios = [s / sizes[0] for s in sizes]
    assert 0.75 <= min(ratios) and max(ratios) <= 1.25, (min(ratios), max(ratios))


def test_a_wide_shot_lets_the_subject_go(tmp_path):
    """The step is for close sizes: on a WS the operator stays put and the walker gets smaller."""
    motion = (MotionCue("Mara", "walks away", 0.5, "away"),)
    r, _ = _renderer(tmp_path, "Mara walks away along the quay.", CameraCue(shot_size="WS"), motion)
    last = r.frames - 1
    assert r.camera_pose(last).position == r.path.pose(last).position
