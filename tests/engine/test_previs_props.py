"""Every prop stands on the surface it is put on (framing.layout, props.prop_node): its lowest point on
the open ground, or on the plan's table's top for the small things there. Held props ride in the hand
(held by definition); the kit hangs nothing (a painting, a sign, a mirror lie or stand on the floor)."""
from __future__ import annotations

import numpy as np

from engine.cues import CameraCue
from engine.plan import PROP_KINDS, Person, Place, Prop, ShotPlan
from engine.previs import make_renderer, stage
from engine.previs.framing import FLOOR_LAMP, TABLE_TOP
from previs_testkit import request


def _props(tmp_path, name, props):
    plan = ShotPlan(place=Place(kind="field", interior=False, neutral=False),
                    people=(Person(description="man", is_subject=True),), props=tuple(props))
    r = make_renderer(request(tmp_path, name, CameraCue(shot_size="WS"), frames=1, width=64, height=36, plan=plan))
    sc = r._scene

    def bounds():   # each prop node's tight bounds in the world (Panda: z up), as the renderer placed it
        return [(p["kind"], node.getTightBounds(sc.root)) for node, p in sc.props]
    return stage.call(bounds)


def test_every_prop_kind_on_open_ground_stands_on_it(tmp_path):
    kinds = [k for k in PROP_KINDS if k not in ("table", "desk")]   # no table: nothing to stand on but the ground
    got = _props(tmp_path, "ground", [Prop(kind=k) for k in kinds])
    assert [k for k, _ in got] == kinds
    low = {k: float(lo[2]) for k, (lo, hi) in got}
    off = {k: round(z, 3) for k, z in low.items() if abs(z) > 0.01}
    assert not off, f"props off the ground (lowest point, m): {off}"
    lamp = next(hi for k, (lo, hi) in got if k == "lamp")
    assert FLOOR_LAMP <= float(lamp[2]) < FLOOR_LAMP + 0.4   # with no table, a standing lamp (its flame on top)


def test_small_props_stand_on_the_table_and_large_ones_on_the_floor(tmp_path):
    got = dict(_props(tmp_path, "table", [Prop(kind="table"), Prop(kind="lamp"), Prop(kind="cup"),
                                          Prop(kind="suitcase")]))
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
