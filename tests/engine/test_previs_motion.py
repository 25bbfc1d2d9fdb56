"""Motion cues move the figures: tracked on the encoded take by the figure's colour."""
from __future__ import annotations

import numpy as np
import pytest

from engine.cues import CameraCue, MotionCue
from engine.jobs import CharacterSpec
from previs_testkit import MAGENTA, W, blob, colour_mask, decode, render, request, scene

FRAMES = 24
GREEN = "#20c040"


def track(tmp_path, kind, direction=None, intensity=0.5, subject="", **kw):
    cue = MotionCue(subject=subject, kind=kind, screen_direction=direction, intensity=intensity)
    result = render(request(tmp_path, f"{kind}-{direction or 'x'}-{intensity}", CameraCue(shot_size="WS"), [cue],
                            frames=FRAMES, **kw))
    frames = decode(result.video)
    return result, frames, blob(frames[0]), blob(frames[-1])


@pytest.mark.parametrize("direction,sign", [("right", 1), ("left", -1)])
def test_cross_moves_the_figure_across_the_frame(tmp_path, direction, sign):
    result, frames, first, last = track(tmp_path, "cross", direction)
    assert sign * (last[0] - first[0]) > 0.12 * W, (first, last)
    xs = [blob(f)[0] for f in frames]
    steps = np.diff(xs)
    assert (sign * steps > -0.5).all()  # steadily one way, no jumps back
    heading = result.end_state["figures"][0]["heading"]
    assert heading == pytest.approx(90.0 if sign > 0 else -90.0, abs=1.0)  # faces where it walks


def test_intensity_and_run_scale_the_distance(tmp_path):
    _, _, a0, a1 = track(tmp_path, "cross", "right", intensity=0.1)
    _, _, b0, b1 = track(tmp_path, "cross", "right", intensity=0.9)
    _, _, c0, c1 = track(tmp_path, "run", "right", intensity=0.1)
    slow, fast, run = a1[0] - a0[0], b1[0] - b0[0], c1[0] - c0[0]
    assert 0 < slow < fast < run, (slow, fast, run)


def test_approach_grows_and_recede_shrinks(tmp_path):
    _, _, a0, a1 = track(tmp_path, "approach")
    _, _, r0, r1 = track(tmp_path, "recede")
    assert a1[2] > 1.25 * a0[2], (a0, a1)
    assert r1[2] < 0.8 * r0[2], (r0, r1)


def test_turn_changes_heading_toward_the_side(tmp_path):
    result, _, first, last = track(tmp_path, "turn", "right", intensity=1.0)
    assert result.end_state["figures"][0]["heading"] == pytest.approx(90.0, abs=1.0)
    assert last[2] < 0.85 * first[2]  # seen side-on, the torso is narrower


def test_sit_lowers_and_stand_raises_the_figure(tmp_path):
    sit, _, s0, s1 = track(tmp_path, "sit")
    stand, _, t0, t1 = track(tmp_path, "stand")
    assert s1[3] > s0[3] + 5 and s1[1] > s0[1] + 5  # top and centre drop
    assert t1[3] < t0[3] - 5 and t1[1] < t0[1] - 5
    assert sit.end_state["figures"][0]["sit"] == pytest.approx(1.0)
    assert stand.end_state["figures"][0]["sit"] == pytest.approx(0.0)


def test_gesture_moves_the_arm_not_the_legs(tmp_path):
    result, frames, first, last = track(tmp_path, "gesture", intensity=1.0)
    m0, m1 = colour_mask(frames[0]), colour_mask(frames[-1])
    rows = np.nonzero(m0.any(axis=1))[0]
    mid = (rows.min() + rows.max()) // 2
    upper_change = int((m0[:mid] ^ m1[:mid]).sum())
    lower_change = int((m0[mid:] ^ m1[mid:]).sum())
    assert upper_change > 40 and lower_change < upper_change / 3, (upper_change, lower_change)
    assert result.end_state["figures"][0]["gesture"] > 0.9
    assert (first[0], first[1]) == pytest.approx((last[0], last[1]), abs=6)  # stays on the mark


def test_cue_moves_the_named_subject_only(tmp_path):
    two = scene(characters=(CharacterSpec("MARA", color=MAGENTA), CharacterSpec("BEN", color=GREEN)))
    result = render(request(tmp_path, "ben", CameraCue(shot_size="EWS"),
                            [MotionCue(subject="ben", kind="cross", screen_direction="left", intensity=0.8)],
                            frames=FRAMES, scene=two))
    frames = decode(result.video)
    mara0, mara1 = blob(frames[0]), blob(frames[-1])
    ben0, ben1 = blob(frames[0], GREEN), blob(frames[-1], GREEN)
    assert ben1[0] < ben0[0] - 10
    assert abs(mara1[0] - mara0[0]) < 1.5
    figures = {f["name"]: f for f in result.end_state["figures"]}
    # BEN stands at x = 1.3 m; a fresh cross starts half a walk before the mark and ends half after
    assert figures["MARA"]["x"] == pytest.approx(0.0) and figures["BEN"]["x"] < 1.3 - 0.5
