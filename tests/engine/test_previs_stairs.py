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
from engine.previs.rig import ANKLE, skeleton, stair_foot
from previs_testkit import request
from studio.shotplan import build_plan


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


def keeper(tmp_path, size, move="static", frames=96, job="jo"):
    act = "The lighthouse keeper climbs the spiral stairs"
    cam = CameraCue(move=move, shot_size=size)
    plan = build_plan("", act, camera=cam, bible=())
    return BlockingRenderer(request(tmp_path, job, cam, frames=frames, width=320, height=180,
                                    scene=SceneSpec(heading="", set_seed=3), plan=plan))


def facing_to_lens(f, pose) -> float:
    """Degrees between where the figure faces and where the camera is, seen from above."""
    h = math.radians(f.heading)
    to = np.asarray(pose.position) - np.array([f.x, 0.0, f.z])
    return math.degrees(math.acos(np.dot([math.sin(h), math.cos(h)], to[[0, 2]]) / np.hypot(to[0], to[2])))


def bearing(stair, p) -> float:
    return math.degrees(math.atan2(p[0] - stair.cx, p[2] - stair.cz))


@pytest.mark.parametrize("size", ["MS", "CU"])
def test_round_a_spiral_the_camera_goes_round_the_column_with_the_climber(tmp_path, size):
    """A static camera on a climber going round the column would end on his back: the operator goes
    round with him, so his face stays toward the lens, and (CU) his head stays in the frame."""
    r = keeper(tmp_path, size)
    stair = r.world.stairs
    first, last = r.figure_states(0)[0], r.figure_states(r.frames - 1)[0]
    went = bearing(stair, (last.x, 0, last.z)) - bearing(stair, (first.x, 0, first.z))
    assert abs((went + 180) % 360 - 180) > 60        # he goes well round the column
    heads = []
    for i in range(r.frames):
        f, pose = r.figure_states(i)[0], r.camera_pose(i)
        assert facing_to_lens(f, pose) < 70.0, (i, facing_to_lens(f, pose))
        px, depth = Pinhole(pose, 320, 180).pixels(skeleton(f)["head"][None])
        assert depth[0] > 0.3 and 0 < px[0, 0] < 320 and 0 < px[0, 1] < 180, (i, px)
        heads.append(px[0])
    # the camera went round as far as he did, and up with him: the head holds its place in the frame
    p0, p1 = r.camera_pose(0).position, r.camera_pose(r.frames - 1).position
    turned = bearing(stair, p1) - bearing(stair, p0)
    assert abs((turned - went + 180) % 360 - 180) < 3.0, (turned, went)
    assert p1[1] - p0[1] == pytest.approx(last.y - first.y, abs=0.02)
    assert np.ptp(np.array(heads), axis=0).max() < 0.05 * 180, heads


def test_a_cued_move_rides_on_the_orbit_round_a_spiral(tmp_path):
    """A push in on the climber still pushes in while the operator goes round with him."""
    r = keeper(tmp_path, "MS", move="dolly_in", job="jd")
    dist = []
    for i in (0, r.frames - 1):
        f, pose = r.figure_states(i)[0], r.camera_pose(i)
        assert facing_to_lens(f, pose) < 70.0
        dist.append(math.dist(pose.position, skeleton(f)["head"]))
    assert dist[1] < 0.85 * dist[0], dist


def test_a_wide_orbit_stops_at_the_walls_and_keeps_its_framing(tmp_path):
    """At WS the orbit would take the camera through the room's wall: it comes in on a wider lens."""
    r = keeper(tmp_path, "WS", frames=240, job="jw")
    hx, z0, z1, _ = r.world.info["room"]
    lenses, heights = [], []
    for i in range(0, r.frames, 8):
        f, pose = r.figure_states(i)[0], r.camera_pose(i)
        x, _, z = pose.position
        assert abs(x) < hx and z0 < z < z1, (i, pose.position)
        assert facing_to_lens(f, pose) < 70.0
        cam = Pinhole(pose, 320, 180)
        j = skeleton(f)
        px, _ = cam.pixels(np.array([j["head"], [f.x, f.y, f.z]]))   # head over his walking line
        heights.append(px[1, 1] - px[0, 1])
        lenses.append(pose.lens_mm)
    assert min(lenses) < 34.0                       # it did meet a wall (this set's front wall)
    assert max(heights) < 1.15 * min(heights), heights   # and the figure kept its size in the frame


@pytest.mark.parametrize("size", ["ECU", "CU", "MS"])
def test_round_a_spiral_the_camera_never_stands_among_the_treads(tmp_path, size):
    """Close on the climber the framing distance would put the lens among the treads (ECU: 0.87 m from
    the column against their 1.33 m reach): the operator stands outside them on a longer lens."""
    from engine.previs.dressing import spiral_reach
    r = keeper(tmp_path, size, job=f"jt{size}")
    stair = r.world.stairs
    for i in range(0, r.frames, 4):
        f, pose = r.figure_states(i)[0], r.camera_pose(i)
        out = math.hypot(pose.position[0] - stair.cx, pose.position[2] - stair.cz)
        assert out >= spiral_reach(stair) + 0.1, (i, out)
        if size == "ECU":
            # still the face: eyes and mouth in the frame, the head across most of it
            j = skeleton(f)
            px, depth = Pinhole(pose, 320, 180).pixels(np.array([j["r_eye"], j["l_eye"], j["mouth"],
                                                                  j["r_ear"], j["l_ear"]]))
            assert (depth > 0).all() and (px[:3, 0] > 0).all() and (px[:3, 0] < 320).all()
            assert (px[:3, 1] > 0).all() and (px[:3, 1] < 180).all(), (i, px)
            assert abs(px[3, 0] - px[4, 0]) > 0.35 * 320, (i, px)
    if size != "MS":
        assert r.camera_pose(0).lens_mm > 45.0   # it stood off, on a longer lens (MS stands outside them as it is)


def test_a_climber_rises_steadily_and_the_boom_rides_with_him_smoothly(tmp_path):
    """The pelvis rises with the walking line, not a tread at a time: riding as high as the legs
    reach made it jump 13 cm in three frames and hang for twelve, and the boom that rides with his
    head jerked with it (4.3 cm/frame^2)."""
    r = keeper(tmp_path, "CU")
    pelvis = np.array([skeleton(r.figure_states(i)[0])["pelvis"][1] for i in range(r.frames)])
    boom = np.array([r.camera_pose(i).position[1] for i in range(r.frames)])
    assert pelvis[-1] - pelvis[0] > 0.5                    # he does climb
    assert np.abs(np.diff(pelvis)).max() < 0.015, np.abs(np.diff(pelvis)).max()
    assert np.abs(np.diff(boom, 2)).max() < 0.005, np.abs(np.diff(boom, 2)).max()
