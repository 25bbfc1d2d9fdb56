"""Cast shadows on the ground (engine/previs/shadows.py): they fall on the anti-sun side as long as the
sun's elevation says (long at dawn, short at noon), follow the walking legs, stay out of the control
passes, render alike on pandagl, and keep frames hash-identical."""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from engine.cues import CameraCue, MotionCue
from engine.plan import Person, Place, ShotPlan
from engine.previs import make_renderer, stage
from engine.previs.projection import Pinhole
from engine.previs.rig import skeleton
from engine.previs.scene import World, key_light, light_for
from engine.previs.shadows import SQUASH, cast_light, flatten_matrix
from previs_testkit import frames_hash, psnr, request, scene, software_and_gl

W, H = 480, 270
HIGH_WS = CameraCue(shot_size="WS", angle="high")     # looking down on the ground
HIGH_EWS = CameraCue(shot_size="EWS", angle="high")   # wide enough for a dawn shadow, 5.5 m long


def _renderer(tmp_path, time: str, motion=(), camera=HIGH_WS, frames: int = 12, **kw):
    # MARA alone on the square's open ground, facing the camera
    return make_renderer(request(tmp_path, f"shadow-{time}", camera, motion=motion, frames=frames, width=W, height=H,
                                 scene=scene(heading=f"EXT. SQUARE - {time.upper()}"), **kw))


def _shadow_mask(r, i: int) -> np.ndarray:
    """The pixels frame i's cast shadows darken: the frame against the same frame without them."""
    sc = r._scene
    with_shadow = r.frame(i).astype(np.int32)
    stage.call(sc.shadows.cast.hide)
    try:
        without = r.frame(i).astype(np.int32)
    finally:
        stage.call(sc.shadows.cast.show)
    return (without - with_shadow).sum(axis=2) > 12


def _shadow_length(r, i: int, mask: np.ndarray) -> float:
    """How far from the feet, along the ground away from the sun, the shadow reaches (metres): ground
    points on that line projected with the engine's pinhole, the farthest that lands in the mask."""
    f = r.figure_states(i)[0]
    light = cast_light(r.world)
    cam = Pinhole(r.camera_pose(i), W, H)
    reach = 0.0
    for d in np.arange(0.05, 15.0, 0.02):
        p = np.array([f.x, 0.0, f.z]) + light.away() * d
        (u, v), depth = cam.pixels(p[None, :])[0][0], cam.pixels(p[None, :])[1][0]
        x, y = int(round(u)), int(round(v))
        assert depth > 0 and 1 <= x < W - 1 and 1 <= y < H - 1, f"the shadow's line leaves the frame at {d:.2f} m"
        if mask[y - 1:y + 2, x - 1:x + 2].any():
            reach = float(d)
        elif d > reach + 0.6:
            break
    return reach


def test_the_light_that_casts_by_time_of_day_and_place():
    day, dawn = light_for("day", False), light_for("dawn", False)
    lights = {}
    def world(name, interior, weather=""):
        w = World("street", light_for(name, interior), [], None, *(np.zeros((0, 3)),) * 4,
                  np.array([120.0, 120.0, 120.0]), info={"interior": interior}, weather=weather)
        w.figure_light = key_light(w.light)
        return w
    for name, interior in (("day", False), ("dawn", False), ("dusk", False), ("night", False), ("day", True)):
        lights[(name, interior)] = cast_light(world(name, interior))
    assert lights[("night", False)] is None                     # the moon: contact shadows only
    assert cast_light(world("day", False, "rain")) is None      # overcast
    assert cast_light(world("day", True, "rain")) is not None   # indoors the practical still casts
    for key, c in lights.items():
        if c is not None:   # the very vector that aims the DirectionalLight (render._Scene)
            assert np.allclose(c.direction, light_for(*key).sun)
    # a low sun: long and light; noon: short and dark; indoors the bounce lifts the shadow
    assert lights[("dawn", False)].length(1.75) > 3 * lights[("day", False)].length(1.75)
    assert lights[("day", False)].darkness < lights[("dawn", False)].darkness < 1
    assert lights[("day", True)].darkness > lights[("day", False)].darkness
    assert math.isclose(lights[("day", False)].length(1.0), 1.0 / math.tan(math.asin(day.sun[1])))
    assert dawn.sun[1] < day.sun[1]


@pytest.mark.parametrize("weather", ["rain", "storm", "snow", "fog"])
def test_an_overcast_plan_sky_casts_no_sun_shadow(tmp_path, weather):
    # the shot plan's weather reaches the world (dressing.world_weather), which both the overlays and
    # the shadows' light choice read: no cast shadow outside, the contact shadow stays
    plan = ShotPlan(place=Place(kind="field", interior=False, neutral=False), weather=weather,
                    people=(Person(description="man", is_subject=True),))
    r = _renderer(tmp_path, "day", frames=1, plan=plan)
    assert r.world.weather == ("rain" if weather == "storm" else weather) == r.weather
    assert cast_light(r.world) is None and r._scene.shadows.cast is None
    assert len(r._scene.shadows.contact_nodes) == 1
    clear = _renderer(tmp_path / "clear", "day", frames=1, plan=replace(plan, weather="clear"))
    assert clear.world.weather == "" and clear._scene.shadows.cast is not None


def test_flattening_moves_points_along_the_light_to_the_ground():
    d = light_for("dusk", False).sun
    m = flatten_matrix(d)
    p = np.array([0.3, 1.7, -0.2])                    # engine: y up
    q = np.array([p[0], p[2], p[1], 1.0]) @ m         # Panda row vector: z up
    ground = p - d * (p[1] / d[1])                    # the ray toward the light's opposite meets y = 0
    assert np.allclose(q[:2], [ground[0], ground[2]]) and abs(q[2] - SQUASH * p[1]) < 1e-12


@pytest.mark.parametrize("time", ["dawn", "day"])
def test_a_figure_casts_on_the_anti_sun_side_as_long_as_the_elevation_says(tmp_path, time):
    r = _renderer(tmp_path, time, camera=HIGH_EWS)
    mask = _shadow_mask(r, 0)
    f = r.figure_states(0)[0]
    light = cast_light(r.world)
    expected = light.length(f.height)
    measured = _shadow_length(r, 0, mask)
    assert abs(measured - expected) < 0.1 * expected + 0.1, (time, measured, expected)   # 5.51 vs 5.50, 1.31 vs 1.25 m
    # nothing on the sun's side of the figure
    cam = Pinhole(r.camera_pose(0), W, H)
    sunward = np.array([f.x, 0.0, f.z]) - light.away() * np.linspace(0.5, 1.5, 11)[:, None]
    px, _ = cam.pixels(sunward)
    assert not any(mask[int(round(v)), int(round(u))] for u, v in px if 0 <= u < W and 0 <= v < H)
    # the shadow is the floor darkened by the light's darkness, not a black blob
    frame = r.frame(0).astype(np.float64)
    stage.call(r._scene.shadows.cast.hide)
    lit = r.frame(0).astype(np.float64)
    stage.call(r._scene.shadows.cast.show)
    core = mask & (lit.sum(axis=2) > 60)
    ratio = float(np.median(frame.sum(axis=2)[core] / lit.sum(axis=2)[core]))
    assert abs(ratio - light.darkness) < 0.05, (ratio, light.darkness)


def test_noon_shadow_is_shorter_than_dawns(tmp_path):
    lengths = {}
    for time in ("dawn", "day"):
        r = _renderer(tmp_path / time, time, camera=HIGH_EWS)
        lengths[time] = _shadow_length(r, 0, _shadow_mask(r, 0))
    assert lengths["day"] < 0.5 * lengths["dawn"], lengths


def test_the_shadow_moves_with_the_walking_legs(tmp_path):
    walk = (MotionCue(subject="MARA", kind="cross", screen_direction="right", intensity=0.5),)
    r = _renderer(tmp_path, "dawn", motion=walk, frames=24)
    light = cast_light(r.world)
    spreads, masks = [], []
    for i in (0, 4, 8, 12):
        mask = _shadow_mask(r, i)
        masks.append(mask)
        cam = Pinhole(r.camera_pose(i), W, H)
        joints = skeleton(r.figure_states(i)[0])
        knees = []
        for name in ("r_knee", "l_knee"):   # where the rig's knee throws its shadow on the ground
            p = joints[name]
            (u, v), = cam.pixels((p - light.direction * (p[1] / light.direction[1]))[None, :])[0]
            x, y = int(round(u)), int(round(v))
            assert mask[y - 1:y + 2, x - 1:x + 2].any(), (i, name)
            knees.append(np.array([u, v]))
        spreads.append(float(np.linalg.norm(knees[0] - knees[1])))
    assert max(spreads) - min(spreads) > 3, spreads        # the legs swing apart and together in the shadow
    assert min(int((a ^ b).sum()) for a, b in zip(masks, masks[1:])) > 20


def test_control_passes_are_unchanged_by_shadows(tmp_path):
    r = _renderer(tmp_path, "day", frames=1)
    sc = r._scene
    shaded = r.control_passes(0)
    colour = r.frame(0)
    stage.call(sc.shadows.root.detachNode)
    try:
        plain = r.control_passes(0)
        assert not np.array_equal(r.frame(0), colour)      # the shadows do show in the picture
    finally:
        stage.call(sc.shadows.root.reparentTo, sc.root)
    for name in ("depth", "mask", "pose"):
        assert np.array_equal(shaded[name], plain[name]), name


def test_shadowed_frames_are_hash_identical_across_renderers(tmp_path):
    walk = (MotionCue(subject="MARA", kind="cross", screen_direction="right", intensity=0.5),)
    a = _renderer(tmp_path / "a", "dawn", motion=walk)
    b = _renderer(tmp_path / "b", "dawn", motion=walk)
    assert frames_hash([a.frame(i) for i in range(0, 12, 3)]) == frames_hash([b.frame(i) for i in range(0, 12, 3)])


_GL_BODY = """
from engine.cues import CameraCue
from engine.previs import make_renderer, stage
from previs_testkit import request, scene
r = make_renderer(request(TMP, "gl", CameraCue(shot_size="WS", angle="high"), frames=1, width=320,
                          height=180, scene=scene(heading="EXT. SQUARE - DAWN")))
shaded = r.frame(0)
stage.call(r._scene.shadows.cast.hide)
np.save(OUT, np.stack([shaded, r.frame(0)]))
"""


def test_opengl_path_matches_software_on_a_frame_with_shadows(tmp_path):
    (a, a_plain), (b, b_plain) = software_and_gl(tmp_path, _GL_BODY)
    ma = (a_plain.astype(np.int32) - a).sum(axis=2) > 12
    mb = (b_plain.astype(np.int32) - b).sum(axis=2) > 12
    assert ma.sum() > 200                                  # a frame with a long dawn shadow in it
    assert (ma & mb).sum() > 0.85 * (ma | mb).sum()        # the same shadow on both paths
    assert psnr(a, b) > 28, psnr(a, b)


def _crate_shadow(tmp_path, time: str):
    """A 0.8 m crate beside MARA on a plain set in `time`'s light: (the pixels its shadow darkens, the
    renderer, the crate's centre). The kit's free-standing pieces cast like the figures (shadows.py)."""
    from engine.previs.render import world_key
    from engine.previs.scene import SetBuilder
    req = request(tmp_path, f"crate-{time}", HIGH_EWS, frames=1, width=W, height=H,
                  scene=scene(heading=f"EXT. SQUARE - {time.upper()}"))
    light = light_for(time, False)
    b = SetBuilder(light, 0.0)
    crate = np.array([-1.6, 0.4, 1.0])
    b.box(crate, (0.8, 0.8, 0.8), 0.0, (150, 120, 80), tag="crate")
    b.box((0.0, 3.0, 30.0), (20.0, 6.0, 1.0), 0.0, (120, 118, 112), tag="building")   # casts nothing
    w = b.world("generic", np.array([140.0, 140.0, 140.0]), {"interior": False})
    w.figure_light = key_light(light)
    r = make_renderer(req, {world_key(req): w})
    sc = r._scene
    assert sc.shadows.pieces is not None
    shaded = r.frame(0).astype(np.int32)
    stage.call(sc.shadows.pieces.hide)
    try:
        plain = r.frame(0).astype(np.int32)
    finally:
        stage.call(sc.shadows.pieces.show)
    return (plain - shaded).sum(axis=2) > 12, r, crate


def _ground_hits(r, mask, start, direction, steps) -> list[float]:
    cam = Pinhole(r.camera_pose(0), W, H)
    out = []
    for d in steps:
        (u, v), = cam.pixels((start + direction * d)[None, :])[0]
        x, y = int(round(u)), int(round(v))
        if 1 <= x < W - 1 and 1 <= y < H - 1 and mask[y - 1:y + 2, x - 1:x + 2].any():
            out.append(float(d))
    return out


def test_a_kit_crate_casts_on_the_anti_sun_side_long_at_dawn_short_at_noon(tmp_path):
    reach = {}
    for time in ("dawn", "day"):
        mask, r, crate = _crate_shadow(tmp_path / time, time)
        light = cast_light(r.world)
        away = light.away()
        base = np.array([crate[0], 0.0, crate[2]])
        steps = np.arange(0.45, 8.0, 0.02)   # from just outside the crate's foot (half width 0.4 m)
        hits = _ground_hits(r, mask, base, away, steps)
        assert hits and hits[0] < 0.6, (time, hits[:3])                 # the ground beside it is darkened
        assert not _ground_hits(r, mask, base, -away, steps), time       # nothing on the sun's side
        reach[time] = max(hits)
        # as long as its top's shadow: the far top corner lands length(0.8) beyond the far edge
        assert abs(reach[time] - (light.length(0.8) + 0.4)) < 0.25 * light.length(0.8) + 0.2, (time, reach[time])
    assert reach["day"] < 0.5 * reach["dawn"], reach
