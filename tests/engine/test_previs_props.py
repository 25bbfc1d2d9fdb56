"""Every prop stands on the surface it is put on (framing.layout, props.prop_node): its lowest point on
the open ground, or on the plan's table's top for the small things there. Held props ride in the hand
(held by definition); the kit hangs nothing (a painting, a sign, a mirror lie or stand on the floor).
A lamp is chosen by place: outdoors a lamp post (the set kit's, dressing.lamp_post) whose head hangs
over whoever stands 'under' it and whose light falls on her at night; indoors a table lamp on the
table, or a standing lamp on the floor."""
from __future__ import annotations

import numpy as np

from dataclasses import replace

import cv2
import pytest

from engine.cues import CameraCue
from engine.jobs import SceneSpec
from engine.plan import PROP_KINDS, Person, Place, Prop, ShotPlan
from engine.previs import make_renderer, stage
from engine.previs.framing import FLOOR_LAMP, TABLE_TOP, box_in_frame, solve
from engine.previs.geom import swap
from engine.previs.props import practical
from engine.previs.render import MASK_COLOURS
from previs_testkit import request
from studio.shotplan import build_plan

QUAY = "EXT. HARBOUR QUAY - NIGHT"
UNDER = "Mara stands under a lamp, collar up, and checks her watch."


def _props(tmp_path, name, props, interior=False):
    place = Place(kind="kitchen", interior=True, neutral=False) if interior else \
        Place(kind="field", interior=False, neutral=False)
    plan = ShotPlan(place=place, people=(Person(description="man", is_subject=True),), props=tuple(props))
    r = make_renderer(request(tmp_path, name, CameraCue(shot_size="WS"), frames=1, width=64, height=36, plan=plan))
    sc = r._scene

    def bounds():   # each prop node's tight bounds in the world (Panda: z up), as the renderer placed it
        return [(p["kind"], node.getTightBounds(sc.root)) for node, p in sc.props]
    return stage.call(bounds)


@pytest.mark.parametrize("interior", [False, True], ids=["exterior", "interior"])
def test_every_prop_kind_on_open_ground_stands_on_it(tmp_path, interior):
    kinds = [k for k in PROP_KINDS if k not in ("table", "desk")]   # no table: nothing to stand on but the ground
    got = _props(tmp_path, "ground", [Prop(kind=k) for k in kinds], interior)
    assert [k for k, _ in got] == kinds
    low = {k: float(lo[2]) for k, (lo, hi) in got}
    off = {k: round(z, 3) for k, z in low.items() if abs(z) > 0.01}
    assert not off, f"props off the ground (lowest point, m): {off}"
    lamp = next(hi for k, (lo, hi) in got if k == "lamp")
    if interior:   # with no table, a standing lamp (its flame on top)
        assert FLOOR_LAMP <= float(lamp[2]) < FLOOR_LAMP + 0.4
    else:          # outdoors, a lamp post
        assert 3.5 <= float(lamp[2]) <= 4.6


def test_small_props_stand_on_the_table_and_large_ones_on_the_floor(tmp_path):
    got = dict(_props(tmp_path, "table", [Prop(kind="table"), Prop(kind="lamp"), Prop(kind="cup"),
                                          Prop(kind="suitcase")], interior=True))
    (tlo, thi) = got["table"]
    assert abs(float(tlo[2])) < 0.01 and abs(float(thi[2]) - TABLE_TOP) < 0.01
    for kind in ("lamp", "cup"):   # on the top, inside its footprint
        lo, hi = got[kind]
        assert abs(float(lo[2]) - TABLE_TOP) < 0.01, kind
        centre = (np.array(lo) + np.array(hi)) / 2
        assert tlo[0] < centre[0] < thi[0] and tlo[1] < centre[1] < thi[1], kind
        assert float(hi[2]) - float(lo[2]) < 0.6, kind        # a table lamp, not a standing one
    assert abs(float(got["suitcase"][0][2])) < 0.01


def test_a_held_prop_is_in_the_hand_not_on_the_ground(tmp_path):
    (_, (lo, hi)), = _props(tmp_path, "held", [Prop(kind="lantern", held_by=0)])
    assert float(lo[2]) > 0.5


def _quay(tmp_path, name, action=UNDER, size="MS", width=64, height=36):
    cam = CameraCue(shot_size=size)
    plan = build_plan(QUAY, action, camera=cam)
    return make_renderer(request(tmp_path, name, cam, frames=1, width=width, height=height, plan=plan,
                                 scene=SceneSpec(heading=QUAY, set_seed=3)))


def test_an_exterior_lamp_is_a_post_with_its_head_over_whoever_stands_under_it(tmp_path):
    r = _quay(tmp_path, "under")
    sc = r._scene
    mark = r.figure_states(0)[0]

    def post():
        node, p = next((n, p) for n, p in sc.props if p["kind"] == "lamp")
        head = sc.root.getRelativePoint(node, tuple(swap(practical(node)[0])))   # Panda: z up
        return node.getTightBounds(sc.root), (float(head[0]), float(head[1]), float(head[2])), p["at"]
    (lo, hi), head, foot = stage.call(post)
    assert abs(float(lo[2])) < 0.01 and float(hi[2]) - float(lo[2]) >= 3.0   # a post on the ground, >= 3 m
    assert float(head[2]) > 3.0
    assert np.hypot(head[0] - mark.x, head[1] - mark.z) < 1.0                 # over her mark
    # the post itself stands clear of her, behind her (away from the lens)
    assert foot[2] > mark.z and np.hypot(foot[0] - mark.x, foot[2] - mark.z) > 0.5


def test_at_night_she_is_brighter_under_the_lamp_than_5_m_from_it(tmp_path):
    r = _quay(tmp_path, "light", width=160, height=90)
    pose, states = r.camera_pose(0), r.figure_states(0)
    means = []
    for dx in (0.0, 5.0):   # the same figure and framing, 5 m along the quay from the post
        st = [replace(s, x=s.x + dx) for s in states]
        ps = replace(pose, position=tuple(np.asarray(pose.position) + [dx, 0.0, 0.0]))
        img = stage.call(r._scene.render, ps, st, "colour")[..., :3]
        mask = stage.call(r._scene.render, ps, st, "mask")[..., :3].astype(int)
        hers = np.zeros(mask.shape[:2], bool)
        for c in (MASK_COLOURS[0], MASK_COLOURS[0][::-1]):   # her id, whichever channel order
            hers |= np.all(np.abs(mask - np.array(c)) < 40, axis=2)
        assert hers.mean() > 0.05
        means.append(float(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)[hers].mean()))
    under, away = means
    assert under > away + 6.0, means


def test_under_a_lamp_the_ms_stays_on_her(tmp_path):
    """The post may leave the top of frame: the solver frames her exactly as it would with no lamp."""
    cam = CameraCue(shot_size="MS")
    lit = solve(build_plan(QUAY, UNDER, camera=cam), cam, 320, 180)
    bare = solve(build_plan(QUAY, "Mara stands, collar up.", camera=cam), cam, 320, 180)
    assert lit.pose == bare.pose
    assert box_in_frame(lit.pose, np.array(lit.box), 320, 180)
