"""The mannequin's own joints (engine/previs/rig.py), measured directly: planted feet, seat height,
look at, and the motion tracks that drive them."""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from engine.cues import MotionCue
from engine.previs.figures import FigureState, FigureTrack
from engine.previs.rig import COCO18, SEAT_HEIGHT, coco_keypoints, skeleton


def _walk(frames=96, fps=24, kind="cross"):
    track = FigureTrack(FigureState("A", heading=180.0), MotionCue(kind=kind, screen_direction="right", intensity=0.5),
                        frames, fps, np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.6, -6.0]), fresh=True)
    return track, [track.state(i) for i in range(frames)]


@pytest.mark.parametrize("kind", ["cross", "run"])
def test_planted_foot_does_not_slide(kind):
    # Over the steady middle of the walk: while a foot is on the ground (lowest), it stays put.
    track, states = _walk(kind=kind)
    n = len(states)
    for foot in ("r_ankle", "l_ankle"):
        pts = np.array([skeleton(s)[foot] for s in states])
        ground = pts[:, 1] < pts[:, 1].min() + 1e-6
        runs, start = [], None
        for i in range(int(n * 0.2), int(n * 0.8)):
            if ground[i] and start is None:
                start = i
            if (not ground[i] or i == int(n * 0.8) - 1) and start is not None:
                if i - start >= 2:
                    runs.append((start, i))
                start = None
        assert runs, foot
        for a, b in runs:
            drift = float(np.linalg.norm(pts[a:b, [0, 2]] - pts[a, [0, 2]], axis=1).max())
            assert drift <= 0.01, (foot, a, b, drift)   # <= 1 cm per step
    # and the figure really travels
    assert abs(states[-1].x - states[0].x) > 1.0


def test_seated_hips_are_at_seat_height():
    j = skeleton(FigureState("A", sit=1.0, seat=True))
    hips = (j["r_hip"][1] + j["l_hip"][1]) / 2
    assert abs(hips - (SEAT_HEIGHT + 0.05)) < 0.03   # the hip joints sit just above the seat
    assert abs(j["r_knee"][1] - hips) < 0.08         # thighs level with the seat
    standing = skeleton(FigureState("A"))
    assert standing["r_hip"][1] > hips + 0.3


def test_look_at_turns_the_head_toward_the_target():
    from engine.previs.render import look_yaw
    f = FigureState("A", x=0.0, z=0.0, heading=180.0)     # facing -Z (the camera)
    target = (2.0, 0.0)                                  # to the figure's left (+X): heading 90
    looked = replace(f, head_yaw=look_yaw(f, target))
    j = skeleton(looked)
    gaze = j["nose"] - j["head"]
    want = np.array([target[0] - f.x, 0.0, target[1] - f.z])
    cos = float(np.dot(gaze[[0, 2]], want[[0, 2]]) / np.linalg.norm(gaze[[0, 2]]) / np.linalg.norm(want[[0, 2]]))
    before = skeleton(f)["nose"] - skeleton(f)["head"]
    cos0 = float(np.dot(before[[0, 2]], want[[0, 2]]) / np.linalg.norm(before[[0, 2]]) / np.linalg.norm(want[[0, 2]]))
    assert cos > 0.5 > cos0 + 0.4, (cos, cos0)          # turned toward it (within the neck's 75 degrees)
    # the body did not turn
    assert np.allclose(j["r_hip"], skeleton(f)["r_hip"])


def test_kneel_point_and_carry_move_the_right_joints():
    base = skeleton(FigureState("A"))
    kneel = skeleton(FigureState("A", kneel=1.0))
    assert kneel["r_knee"][1] < 0.2 < base["r_knee"][1]
    point = skeleton(FigureState("A", point=1.0))
    assert point["r_wrist"][1] > base["r_wrist"][1] + 0.5          # the arm comes up to shoulder height
    carry = skeleton(FigureState("A", carry=1.0))
    from engine.previs.framing import HAND, HELD_OUT
    fwd = np.array([0.0, 0.0, -1.0])                                # heading 180
    assert abs(carry["r_hand"][1] - 1.75 * HAND) < 0.06              # where the framing solver puts the prop
    assert abs(float(np.dot(carry["r_hand"], fwd)) - HELD_OUT) < 0.06


def test_coco_keypoints_are_eighteen_in_openpose_order():
    kp = coco_keypoints(skeleton(FigureState("A")))
    assert kp.shape == (18, 3) and COCO18[0] == "nose" and COCO18[1] == "neck"
    assert kp[0, 1] > kp[1, 1] > kp[8, 1] > kp[9, 1] > kp[10, 1]    # nose > neck > hip > knee > ankle
    assert math.isclose(kp[2, 0], -kp[5, 0], abs_tol=1e-9)           # shoulders mirror about the body


def test_an_acting_figure_breathes_and_a_still_one_holds():
    _, states = _walk(frames=48)
    still = FigureTrack(FigureState("B"), None, 48, 24, np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.6, -6.0]),
                        fresh=True)
    assert states[24].breath > states[0].breath and still.state(24) == still.state(0)
    a, b = skeleton(FigureState("A", breath=0.0)), skeleton(FigureState("A", breath=math.pi / 2))
    assert 0.003 < b["neck"][1] - a["neck"][1] < 0.02          # the chest rises a few millimetres


def test_talking_hands_lift_the_forearms():
    still, talking = skeleton(FigureState("A")), skeleton(FigureState("A", talk=1.0))
    assert talking["r_wrist"][1] > still["r_wrist"][1] + 0.08      # the right hand comes up with the line
    assert talking["l_wrist"][1] > still["l_wrist"][1] + 0.03
    assert np.allclose(talking["r_ankle"], still["r_ankle"])        # upper body only


def test_a_gesture_coming_down_takes_up_the_held_prop_without_a_snap():
    """A figure holding a prop lowers a raised arm (a settling chained shot): the hand goes to the grip
    smoothly, not in one jump at the frame the gesture reaches zero."""
    hands = [skeleton(FigureState("m", carry=1.0, gesture=g))["r_hand"] for g in np.linspace(0.4, 0.0, 41)]
    steps = np.linalg.norm(np.diff(np.array(hands), axis=0), axis=1)
    assert steps.max() < 0.04, steps.max()
    assert np.allclose(hands[-1], skeleton(FigureState("m", carry=1.0))["r_hand"])


def _knee(j, s):
    """(flexion in degrees, how far the knee stands ahead of the hip-ankle line) of leg s."""
    hip, knee, ankle = j[f"{s}_hip"], j[f"{s}_knee"], j[f"{s}_ankle"]
    a, b = hip - knee, ankle - knee
    flex = 180.0 - math.degrees(math.acos(np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b)))
    axis = (ankle - hip) / np.linalg.norm(ankle - hip)
    off = (knee - hip) - axis * float(np.dot(knee - hip, axis))
    return flex, float(np.dot(off, j["body_fwd"]))


@pytest.mark.parametrize("height", [1.55, 1.75, 1.95])
def test_a_standing_figure_stands_straight_at_its_height(height):
    # soft knees, not a crouch: the legs reach the ground almost straight, the crown at the height
    j = skeleton(FigureState("A", height=height))
    for s in ("r", "l"):
        flex, ahead = _knee(j, s)
        assert flex < 5.0 and ahead < 0.03, (s, flex, ahead)
        assert abs(j[f"{s}_toe"][1] - 0.02 * height / 1.75) < 1e-6      # the foot flat on the ground
    crown = j["head"][1] + 0.129 * height / 1.75    # the hair's top (mannequin.py's head ellipsoids)
    assert abs(crown - height) < 0.02, crown


def test_a_walk_bobs_on_straight_stance_legs():
    """The pelvis rides up over the stance leg (near straight at mid-stance) and down as the weight
    passes to the other foot: 2-6 cm a step, smoothly."""
    track, states = _walk()
    joints = [skeleton(s) for s in states]
    mid = range(len(states) // 4, 3 * len(states) // 4)
    ys = np.array([joints[i]["pelvis"][1] for i in mid])
    assert 0.02 <= ys.max() - ys.min() <= 0.06, ys.max() - ys.min()
    fps_step = 0.7 / 1.2 * 24        # frames a step (1.4 m stride at 1.2 m/s)
    amp = (ys.max() - ys.min()) / 2
    assert np.abs(np.diff(ys)).max() < 2 * amp * 2 * math.pi / fps_step   # no jolt at the changeover
    seen = 0
    for i in mid:
        j = joints[i]
        for s in ("r", "l"):
            under = j[f"{s}_ankle"] - j[f"{s}_hip"]
            if abs(float(np.dot(under, j["body_fwd"]))) < 0.04 and j[f"{s}_ankle"][1] < 0.075:   # mid-stance
                seen += 1
                assert _knee(j, s)[0] < 8.0, (i, s, _knee(j, s))
    assert seen >= 4
    # lowest at double support (both feet down), highest over one
    low = int(np.argmin(ys)) + mid.start
    assert max(joints[low][f"{s}_toe"][1] for s in ("r", "l")) < 0.03


def test_a_heel_lifting_off_keeps_its_toe_planted():
    # at the end of stance the heel rises about the ball of the foot: the toe does not slide
    track, states = _walk()
    toes = np.array([skeleton(s)["r_toe"] for s in states])
    ankles = np.array([skeleton(s)["r_ankle"] for s in states])
    rolled = [i for i in range(24, 72) if toes[i, 1] < 0.021 and ankles[i, 1] > 0.08]
    assert len(rolled) >= 2
    for i in rolled:
        assert np.linalg.norm(toes[i, [0, 2]] - toes[rolled[0], [0, 2]]) < 0.01 or \
            np.linalg.norm(toes[i, [0, 2]] - toes[rolled[-1], [0, 2]]) < 0.01
