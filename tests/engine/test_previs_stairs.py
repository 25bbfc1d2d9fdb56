"""Climb, descend and fall, read from the figure's own joints (rig.skeleton of the states the renderer
poses), and the keeper of the plan on the lighthouse stairs through the real renderer (320x180)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from engine.cues import CameraCue
from engine.jobs import SceneSpec
from engine.previs.dressing import SPIRAL, STRAIGHT
from engine.previs.figures import FigureState, FigureTrack
from engine.previs.projection import Pinhole
from engine.previs.render import BlockingRenderer
from engine.previs.rig import skeleton, stair_foot
from previs_testkit import request
from studio.shotplan import build_plan

ANKLE = 0.07   # the rig's ankle height over the sole (1.75 m figure)


def track(act, stair, frames=72):
    return FigureTrack(FigureState("keeper"), None, frames, 24, np.array([1.0, 0.0, 0.0]), np.zeros(3), True,
                       act, stair)


def on_tread(stair, n: int, x: float, z: float) -> bool:
    """Is (x, z) over tread n's box (the dressing builds it from the same stair)?"""
    if stair.spiral:
        a = math.degrees(math.atan2(x - stair.cx, z - stair.cz))
        want = stair.start + stair.step * (n - 1)
        r = math.hypot(x - stair.cx, z - stair.cz)
        return abs((a - want + 180) % 360 - 180) <= abs(stair.step) / 2 + 1 and 0.14 < r < 1.3
    (cx, _, cz), _ = stair.point(n)
    return abs(z - cz) <= stair.step / 2 + 1e-6 and abs(x - cx) < 0.7


@pytest.mark.parametrize("stair", [SPIRAL, STRAIGHT], ids=["spiral", "straight"])
@pytest.mark.parametrize("act", ["climb", "descend"])
def test_feet_stand_on_the_treads_while_in_stance(act, stair):
    tr = track(act, stair)
    first, last = tr.state(0), tr.state(tr.frames - 1)
    rose = last.y - first.y
    assert (rose > 0.8) if act == "climb" else (rose < -0.8), rose   # he really goes up (down) the flight
    stance_frames = 0
    for i in range(tr.frames):
        f = tr.state(i)
        j = skeleton(f)
        for name, leg in (("r", 0), ("l", 1)):
            s, stance, _ = stair_foot(stair, f.stair_pos, leg, f.stride)
            if not stance:
                continue
            stance_frames += 1
            n = int(s)
            ankle = j[f"{name}_ankle"]
            assert abs(ankle[1] - ANKLE - stair.height(n)) < 0.01, (i, name, n, ankle)
            if n >= 1:
                assert on_tread(stair, n, ankle[0], ankle[2]), (i, name, n, ankle)
        # no foot ever sinks into a tread it is over
        for name in ("r", "l"):
            assert j[f"{name}_ankle"][1] >= ANKLE + stair.height(int(f.stair_pos - 0.5)) - 0.01 - stair.rise
    assert stance_frames >= tr.frames   # one foot or the other stands every frame


def test_a_stance_foot_does_not_slide():
    tr = track("climb", SPIRAL)
    prev = {}
    for i in range(tr.frames):
        f = tr.state(i)
        j = skeleton(f)
        for name, leg in (("r", 0), ("l", 1)):
            s, stance, _ = stair_foot(SPIRAL, f.stair_pos, leg, f.stride)
            key = (name, s)
            if stance and key in prev:
                assert np.linalg.norm(j[f"{name}_ankle"] - prev[key]) < 0.005
            if stance:
                prev[key] = j[f"{name}_ankle"]


def test_a_fall_ends_with_the_body_on_the_ground():
    tr = track("fall", None)
    up, down = skeleton(tr.state(0)), skeleton(tr.state(tr.frames - 1))
    assert up["head"][1] > 1.5
    points = [v for k, v in down.items() if k not in ("head_fwd", "head_right", "head_up", "body_fwd", "body_up")]
    assert max(p[1] for p in points) < 0.4          # everything lies low
    assert min(p[1] for p in points) > -0.01         # and nothing is under the floor
    assert down["head"][1] < 0.35 and down["pelvis"][1] < 0.35
    # lying along the ground: head and feet far apart horizontally
    assert np.hypot(*(down["head"] - down["r_ankle"])[[0, 2]]) > 1.2


def test_the_keeper_climbs_the_lighthouse_spiral(tmp_path):
    act = "An old keeper climbs the spiral stairs of a lighthouse at dusk, lantern in hand"
    cam = CameraCue(move="static", shot_size="WS")
    plan = build_plan("", act, camera=cam, bible=())
    req = request(tmp_path, "jk", cam, frames=24, width=320, height=180, scene=SceneSpec(heading="", set_seed=3),
                  plan=plan)
    r = BlockingRenderer(req)
    assert r.world.stairs is SPIRAL
    f0, f1 = r.figure_states(0)[0], r.figure_states(23)[0]
    assert f0.stair and f1.y > f0.y + 0.2           # on the stair and higher by the end
    # he is in the frame at the start and the end: his feet and head project inside, and the mask
    # pass has his id colour there (the renderer drew him, not just the rig)
    ids = r.pass_ids()
    colour = np.array(ids[next(iter(ids))])
    for i, f in ((0, f0), (23, f1)):
        assert r.frame(i).shape == (180, 320, 3)
        cam = Pinhole(r.camera_pose(i), 320, 180)
        j = skeleton(f)
        px, depth = cam.pixels(np.array([j["head"], j["r_ankle"], j["l_ankle"]]))
        assert (depth > 0.5).all()
        assert ((px[:, 0] > 0) & (px[:, 0] < 320) & (px[:, 1] > 0) & (px[:, 1] < 180)).all(), px
        mask = r.control_passes(i)["mask"][..., ::-1]   # BGR -> RGB
        assert (np.abs(mask.astype(int) - colour).sum(axis=2) < 10).mean() > 0.005


@pytest.mark.parametrize("act", ["climb", "descend"])
def test_the_right_foot_is_on_the_right(act):
    """A descender faces down the flight: its right foot is on its own right, legs not crossed."""
    tr = track(act, STRAIGHT)
    for i in range(0, tr.frames, 6):
        f = tr.state(i)
        j = skeleton(f)
        h = math.radians(f.heading)
        right = np.array([math.cos(h), 0.0, -math.sin(h)])
        assert float(np.dot(j["r_ankle"] - j["l_ankle"], right)) > 0.1


def test_a_climb_without_a_stair_in_the_set_says_so(tmp_path):
    cam = CameraCue(move="static", shot_size="WS")
    plan = build_plan("EXT. BEACH - DAY", "A man climbs.", camera=cam, bible=())
    assert [a.verb for a in plan.actions] == ["climb"]
    r = BlockingRenderer(request(tmp_path, "jc", cam, frames=4, width=160, height=90,
                                 scene=SceneSpec(heading="EXT. BEACH - DAY", set_seed=3), plan=plan))
    assert r.world.stairs is None and r.figure_states(3)[0].y == 0.0
    assert any("no stair" in n for n in r.notes)


def test_indoors_a_long_climb_stops_with_the_head_under_the_ceiling(tmp_path):
    act = "An old keeper climbs the spiral stairs of a lighthouse at dusk, lantern in hand"
    cam = CameraCue(move="static", shot_size="WS")
    plan = build_plan("", act, camera=cam, bible=())
    r = BlockingRenderer(request(tmp_path, "jl", cam, frames=240, width=160, height=90,
                                 scene=SceneSpec(heading="", set_seed=3), plan=plan))
    ceiling = r.world.info["room"][3]
    heads = [skeleton(r.figure_states(i)[0])["head"][1] for i in range(0, 240, 20)]
    assert max(heads) < ceiling - 0.05 and heads[-1] > heads[0] + 0.5, (heads, ceiling)
