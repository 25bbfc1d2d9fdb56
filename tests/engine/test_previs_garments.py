"""Garments are closed where a camera can look into them (mannequin.py, geom.cylinder(lined=True)): a
coat's skirt is an open tube, and a single wall's far side is a culled back face, so seen from above
into its waist (or from below into its hem) the set behind showed through the coat."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from engine.cues import CameraCue, MotionCue
from engine.plan import Garment, Person, Place, ShotPlan
from engine.previs import make_renderer, stage
from engine.previs.projection import Pinhole
from previs_testkit import request

W, H = 480, 270


def _skirt_points(sc, node) -> np.ndarray:
    """The skirt's vertices in the world (engine axes: y up), as the renderer posed them."""
    from panda3d.core import GeomVertexReader
    m = node.getMat(sc.root)
    out = []
    g = node.node()   # the skirt is one GeomNode (a copy of the mannequin's prototype)
    for k in range(g.getNumGeoms()):
        reader = GeomVertexReader(g.getGeom(k).getVertexData(), "vertex")
        while not reader.isAtEnd():
            p = m.xformPoint(reader.getData3())
            out.append((p[0], p[2], p[1]))
    return np.array(out)


@pytest.mark.parametrize("angle", ["high", "eye", "low"])
def test_no_background_shows_inside_a_walking_coat(tmp_path, angle):
    plan = ShotPlan(place=Place(kind="field", interior=False, neutral=False),
                    people=(Person(description="woman", name="Anna", is_subject=True,
                                   garments=(Garment(kind="coat", colour="#c0504d"),)),))
    walk = (MotionCue(subject="Anna", kind="cross", screen_direction="right", intensity=0.5),)
    r = make_renderer(request(tmp_path, f"coat-{angle}", CameraCue(shot_size="WS", angle=angle), motion=walk,
                              frames=13, width=W, height=H, plan=plan))
    sc = r._scene
    m = sc.figures[0]
    skirt = next(node for node, kind, _ in m.parts if kind == "skirt")
    for i in (0, 6, 12):   # legs together and apart
        frame = r.frame(i).astype(np.int32)
        points = stage.call(_skirt_points, sc, skirt)
        stage.call(m.root.hide)
        try:
            background = r.frame(i).astype(np.int32)
        finally:
            stage.call(m.root.show)
        px, depth = Pinhole(r.camera_pose(i), W, H).pixels(points)
        assert (depth > 0).all()
        outline = np.zeros((H, W), np.uint8)
        cv2.fillConvexPoly(outline, cv2.convexHull(np.round(px).astype(np.int32)), 1)
        inside = cv2.erode(outline, np.ones((5, 5), np.uint8)).astype(bool)   # off the anti-aliased rim
        assert inside.sum() > 200
        seen_through = inside & (np.abs(frame - background).sum(axis=2) < 8)
        assert seen_through.sum() == 0, (angle, i, int(seen_through.sum()))
