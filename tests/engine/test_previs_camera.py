"""Every camera cue, measured on the rendered take (real ffmpeg encode, PyAV decode) with Farneback flow."""
from __future__ import annotations

import math

import numpy as np
import pytest

from engine.cues import MOVE_SPAN, CameraCue, CameraMove
from engine.previs import make_renderer
from previs_testkit import blob, colour_mask, decode, flow, frames_hash, mean_flow, render, request, textured

FRAMES = 10


def take(tmp_path, move, direction=None, amount=0.5, size="WS", **kw):
    cue = CameraCue(move=move, direction=direction, amount=amount, easing="linear", shot_size=size, **kw)
    result = render(request(tmp_path, f"{move}-{direction or 'x'}", cue, frames=FRAMES))
    return result, decode(result.video)


@pytest.mark.parametrize("move,direction,axis,sign", [
    ("pan", "right", 0, -1), ("pan", "left", 0, 1),
    ("truck", "right", 0, -1), ("truck", "left", 0, 1),
    ("tilt", "up", 1, 1), ("tilt", "down", 1, -1),
    ("pedestal", "up", 1, 1), ("pedestal", "down", 1, -1),
])
def test_translating_moves_flow_the_right_way(tmp_path, move, direction, axis, sign):
    # Camera right/up -> the picture slides left/down (image y grows downward).
    _, frames = take(tmp_path, move, direction)
    dx, dy, _, _ = mean_flow(frames, 4, 5)
    along, across = (dx, dy) if axis == 0 else (dy, dx)
    assert sign * along > 0.3, (dx, dy)
    assert abs(across) < 0.35 * abs(along), (dx, dy)


@pytest.mark.parametrize("move,sign", [("dolly_in", 1), ("zoom_in", 1), ("dolly_out", -1), ("zoom_out", -1)])
def test_in_moves_diverge_and_out_moves_converge(tmp_path, move, sign):
    _, frames = take(tmp_path, move)
    dx, dy, divergence, _ = mean_flow(frames, 4, 5)
    assert sign * divergence > 0.3, (dx, dy, divergence)
    assert abs(divergence) > 2 * max(abs(dx), abs(dy))


def test_zoom_changes_focal_length_and_keeps_the_camera(tmp_path):
    result, _ = take(tmp_path, "zoom_in", amount=1.0, lens_mm=35)
    cam = result.end_state["camera"]
    assert cam["lens_mm"] == pytest.approx(35 * (1 + MOVE_SPAN[CameraMove.ZOOM_IN][0]))
    start = render(request(tmp_path, "zoom-start", CameraCue(move="zoom_in", amount=1.0, shot_size="WS"),
                         frames=1)).end_state["camera"]
    assert cam["position"] == pytest.approx(start["position"])


@pytest.mark.parametrize("direction,sign", [("right", 1), ("left", -1)])
def test_orbit_shows_parallax_between_subject_and_background(tmp_path, direction, sign):
    # Orbiting the subject keeps it put while the world behind it slides; a pan moves both alike.
    _, frames = take(tmp_path, "orbit", direction, amount=0.6, size="MLS")
    _, pan = take(tmp_path, "pan", direction, amount=0.15, size="MLS")
    for clip, is_orbit in ((frames, True), (pan, False)):
        f = flow(clip[4], clip[5])
        fig = colour_mask(clip[4])
        assert fig.sum() > 500
        halo = np.zeros_like(fig)
        ys, xs = np.nonzero(fig)
        halo[max(0, ys.min() - 6):ys.max() + 6, max(0, xs.min() - 6):xs.max() + 6] = True
        subject = float(np.median(f[..., 0][fig]))
        background = float(np.median(f[..., 0][textured(clip[4]) & ~halo]))
        if is_orbit:
            assert sign * background > 1.0 and abs(background) > 4 * abs(subject) + 0.5, (subject, background)
        else:
            assert 0.6 < background / subject < 1.6, (subject, background)


def test_static_shot_does_not_move(tmp_path):
    _, frames = take(tmp_path, "static")
    _, _, _, f = mean_flow(frames, 2, 7)
    assert float(np.abs(f).mean()) < 0.05
    renderer = make_renderer(request(tmp_path, "static-raw", CameraCue(shot_size="WS"), frames=FRAMES))
    assert np.array_equal(renderer.frame(2), renderer.frame(7))  # before the lossy encode: identical


def test_handheld_shakes_deterministically_and_starts_on_the_mark(tmp_path):
    result, frames = take(tmp_path, "handheld", amount=1.0)
    motion = [float(np.abs(flow(frames[i], frames[i + 1])).mean()) for i in range(0, FRAMES - 1, 2)]
    assert max(motion) > 0.05
    again = render(request(tmp_path / "again", "handheld-x", CameraCue(move="handheld", amount=1.0, easing="linear",
                                                                       shot_size="WS"), frames=FRAMES))
    assert frames_hash(decode(again.video)) == frames_hash(frames)
    other = render(request(tmp_path / "seed", "handheld-x", CameraCue(move="handheld", amount=1.0, easing="linear",
                                                                      shot_size="WS"), frames=FRAMES, seed=99))
    assert frames_hash(decode(other.video)[1:]) != frames_hash(frames[1:])
    still = render(request(tmp_path / "still", "still", CameraCue(shot_size="WS"), frames=1))
    assert result.end_state is not None and still.end_state["camera"] != result.end_state["camera"]
    # frame 0 of a handheld shot is exactly the unshaken start pose (continuity), before encoding
    shaky = make_renderer(request(tmp_path, "hh", CameraCue(move="handheld", amount=1.0, shot_size="WS"),
                                  frames=FRAMES))
    steady = make_renderer(request(tmp_path, "st", CameraCue(shot_size="WS"), frames=FRAMES))
    assert np.array_equal(shaky.frame(0), steady.frame(0))
    assert not np.array_equal(shaky.frame(5), steady.frame(5))


def test_crane_rises_and_holds_the_subject(tmp_path):
    result, frames = take(tmp_path, "crane", "up", amount=0.5, size="MLS")
    start = render(request(tmp_path, "crane-start", CameraCue(shot_size="MLS"), frames=1)).end_state["camera"]
    end = result.end_state["camera"]
    assert end["position"][1] == pytest.approx(start["position"][1] + 0.5 * MOVE_SPAN[CameraMove.CRANE][0])
    assert end["pitch"] < start["pitch"] - 5  # tilted down to keep the subject
    y0, y1 = blob(frames[0])[1], blob(frames[-1])[1]
    assert abs(y1 - y0) < 0.2 * frames[0].shape[0], (y0, y1)


def test_lens_and_shot_size_set_a_true_pinhole_framing(tmp_path):
    # A wide shot (3.2 m at the subject fills the frame height) at 50 mm vs 25 mm: same framing of
    # the subject, different distance; the figure's pixel height matches frame_height_m.
    r50 = render(request(tmp_path, "f50", CameraCue(lens_mm=50, shot_size="WS"), frames=1))
    r25 = render(request(tmp_path, "f25", CameraCue(lens_mm=25, shot_size="WS"), frames=1))
    d50 = math.dist(r50.end_state["camera"]["position"], [0, r50.end_state["aim_height"], 0])
    d25 = math.dist(r25.end_state["camera"]["position"], [0, r25.end_state["aim_height"], 0])
    assert d50 == pytest.approx(2 * d25, rel=1e-6)
    mask = colour_mask(decode(r50.video)[0])
    rows = np.nonzero(mask.any(axis=1))[0]
    # shirt and trousers span feet to shoulders (~1.49 m); WS frames 3.2 m in 144 px -> 45 px per metre
    assert abs((rows.max() - rows.min()) - 1.49 * 144 / 3.2) < 5


def test_angles_place_the_camera(tmp_path):
    poses = {a: render(request(tmp_path, f"a-{a}", CameraCue(angle=a, shot_size="MS"), frames=1)).end_state["camera"]
             for a in ("eye", "high", "low", "overhead", "dutch")}
    assert poses["high"]["position"][1] > poses["eye"]["position"][1] > poses["low"]["position"][1]
    assert poses["high"]["pitch"] < -20 and poses["low"]["pitch"] > 5 and poses["overhead"]["pitch"] < -70
    assert poses["dutch"]["roll"] != 0 and poses["eye"]["roll"] == 0
