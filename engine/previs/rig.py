"""The mannequin's skeleton: joint positions of a posed figure, pure numpy (no renderer).

`skeleton(f)` turns a FigureState (position, heading, sit, walk phase, gesture, head turn, mouth)
into named joints in world metres (Y up). The Panda mannequin (mannequin.py) hangs its limbs on
these joints, the pose pass projects their COCO-18 subset, and the pose tests read them directly.

Gait: the walk phase is distance travelled (phase = 2 pi * distance / stride length), and each foot
is placed, not swung: in stance (half of each cycle) it stays at its footfall on the ground while the
hips travel over it, in swing it moves ahead along a lifted arc; the knee follows by two-bone IK. A
foot in stance therefore does not slide (tests/engine/test_previs_rig.py).
"""
from __future__ import annotations

import math

import numpy as np

SEAT_HEIGHT = 0.47
THIGH, SHIN = 0.46, 0.46   # of a 1.75 m figure
HIP_HEIGHT = 0.93
FOOT_LIFT = 0.09
HELD_HAND, HELD_FWD, HELD_SIDE = 0.87, 0.26, 0.12   # where a held prop sits (framing.HAND, HELD_OUT)

# COCO-18 (OpenPose order) and the joints they come from.
COCO18 = ("nose", "neck", "r_shoulder", "r_elbow", "r_wrist", "l_shoulder", "l_elbow", "l_wrist", "r_hip",
          "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle", "r_eye", "l_eye", "r_ear", "l_ear")
# Limb pairs and the OpenPose colours (RGB) they are drawn in.
COCO_LIMBS = ((1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10), (1, 11), (11, 12), (12, 13),
              (1, 0), (0, 14), (14, 16), (0, 15), (15, 17))
OPENPOSE_COLOURS = ((255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0),
                    (0, 255, 0), (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255),
                    (0, 0, 255), (85, 0, 255), (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85))


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-9)


def foot_offset(distance: float, stride_len: float, leg_phase: float) -> tuple[float, float]:
    """(forward offset from the hip, lift) of a foot after `distance` metres of walking.

    A cycle is one stride (two steps). leg_phase 0 or 0.5 tells the legs apart. Stance (u < 0.5):
    the foot is at its footfall, which the hip passes at constant rate, so offset = footfall - hip
    falls linearly from +S/4 to -S/4 while the world position holds. Swing: back to +S/4, eased."""
    u = (distance / stride_len + leg_phase) % 1.0
    q = stride_len / 4
    if u < 0.5:
        return q - 4 * q * u, 0.0
    s = (u - 0.5) * 2
    e = s * s * (3 - 2 * s)
    return -q + 2 * q * e, FOOT_LIFT * math.sin(math.pi * s)


def _ik(hip: np.ndarray, ankle: np.ndarray, a: float, b: float, bend_dir: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Knee of a two-bone leg (lengths a, b) from hip to ankle, bending toward bend_dir. When the
    ankle is out of reach it is pulled in along the line."""
    d = ankle - hip
    dist = float(np.linalg.norm(d))
    reach = a + b - 1e-4
    if dist > reach:
        ankle = hip + d / dist * reach
        d, dist = ankle - hip, reach
    axis = d / max(dist, 1e-9)
    x = (a * a - b * b + dist * dist) / (2 * dist)
    h = math.sqrt(max(0.0, a * a - x * x))
    side = bend_dir - axis * float(np.dot(bend_dir, axis))
    side = _unit(side) if np.linalg.norm(side) > 1e-6 else np.zeros(3)
    return hip + axis * x + side * h, ankle


def skeleton(f) -> dict[str, np.ndarray]:
    """Named joints (world metres) of a FigureState. Proportions of a 1.75 m figure scaled by height."""
    k = f.height / 1.75
    h = math.radians(f.heading)
    fwd = np.array([math.sin(h), 0.0, math.cos(h)])
    right = np.array([math.cos(h), 0.0, -math.sin(h)])
    up = np.array([0.0, 1.0, 0.0])
    base = np.array([f.x, 0.0, f.z])
    sit = min(1.0, max(0.0, f.sit))
    kneel = min(1.0, max(0.0, getattr(f, "kneel", 0.0)))
    stride = min(1.0, max(0.0, f.stride))
    hip_y = (HIP_HEIGHT - (HIP_HEIGHT - SEAT_HEIGHT - 0.05) * sit) * k
    hip_y -= 0.4 * k * kneel * (1 - sit)
    lean = math.radians(4 + 14 * f.run) * stride + math.radians(8) * kneel
    torso = up * math.cos(lean) + fwd * math.sin(lean)
    breathe = 0.006 * k * math.sin(getattr(f, "breath", 0.0))
    j: dict[str, np.ndarray] = {}
    pelvis = base + up * hip_y
    j["pelvis"] = pelvis
    j["chest"] = pelvis + up * 0.06 * k + torso * (0.25 * k + breathe)
    j["neck"] = pelvis + up * 0.06 * k + torso * (0.50 * k + breathe)
    stride_len = 2.4 if f.run > 0.5 else 1.4
    stride_len *= k
    distance = f.walk_phase / (2 * math.pi) * stride_len
    for name, side, leg_phase in (("r", 1.0, 0.0), ("l", -1.0, 0.5)):
        hip = pelvis + right * side * 0.1 * k
        j[f"{name}_hip"] = hip
        if sit > 0:
            # thighs forward to the seat's edge, shins hanging: blended with the standing leg
            s_knee = hip + fwd * 0.44 * k + up * 0.0
            s_ankle = s_knee - up * (hip_y - 0.06 * k) + fwd * 0.04 * k
        ahead, lift = foot_offset(distance, stride_len, leg_phase) if stride > 0 else (0.0, 0.0)
        ahead *= stride
        lift *= stride
        ankle = base + right * side * 0.1 * k + fwd * ahead + up * (0.07 * k + lift)
        if kneel > 0 and side > 0:   # the right knee goes down, the left foot stays planted ahead
            ankle = ankle - fwd * 0.3 * k * kneel
        knee, ankle = _ik(hip, ankle, THIGH * k, SHIN * k, fwd)
        if kneel > 0 and side > 0:
            knee = knee * (1 - kneel) + (base + right * 0.1 * k + up * 0.07 * k + fwd * 0.1 * k) * kneel
            ankle = ankle * (1 - kneel) + (knee - fwd * SHIN * k * 0.95 - up * 0.0) * kneel
            ankle[1] = max(ankle[1], 0.07 * k)
        if sit > 0:
            knee = knee * (1 - sit) + s_knee * sit
            ankle = ankle * (1 - sit) + s_ankle * sit
        j[f"{name}_knee"], j[f"{name}_ankle"] = knee, ankle
        j[f"{name}_toe"] = ankle + fwd * 0.14 * k - up * 0.05 * k
        # arms swing against the legs (the right arm with the left leg)
        swing = -side * (0.35 + 0.25 * f.run) * stride * math.sin(f.walk_phase)
        shoulder = j["neck"] - torso * 0.06 * k + right * side * 0.2 * k
        upper = _dir(up, fwd, swing)
        fore = _dir(up, fwd, swing + 0.2 + 0.9 * f.run * stride)
        if side > 0 and f.gesture > 0:
            g = min(1.0, f.gesture)
            raised = _unit(-up * math.cos(2.2) + (right * 0.85 + fwd * 0.3) * math.sin(2.2))
            wave = _unit(up + right * 0.5 * math.sin(f.gesture_phase * 2.0))
            upper, fore = _unit(upper * (1 - g) + raised * g), _unit(fore * (1 - g) + wave * g)
        point = getattr(f, "point", 0.0)
        if side > 0 and point > 0:  # the right arm straight toward where the figure looks
            aim = _unit(_look_dir(f, fwd, right) + up * 0.05)
            upper, fore = _unit(upper * (1 - point) + aim * point), _unit(fore * (1 - point) + aim * point)
        carry = getattr(f, "carry", 0.0) if side > 0 and point <= 0 and f.gesture <= 0 else 0.0
        talk = getattr(f, "talk", 0.0)
        if talk > 0 and not (side > 0 and (f.gesture > 0 or point > 0 or carry > 0)):
            # talking hands: the forearm comes up and out with the line (more on the right)
            lift = talk * (0.8 if side > 0 else 0.45)
            fore = _unit(fore * (1 - lift) + _unit(fwd * 0.8 + up * 0.35 + right * side * 0.35) * lift)
        if sit > 0:
            fore = _unit(fore * (1 - sit) + _unit(fwd - up * 0.3) * sit)
        elbow = shoulder + upper * 0.29 * k
        wrist = elbow + fore * 0.26 * k
        hand = wrist + fore * 0.07 * k
        if carry > 0:
            # The right hand holds a prop where the framing solver marks it (framing.HELD_OUT in front,
            # at framing.HAND height): the arm reaches it by two-bone IK, the elbow back and out.
            grip = base + up * (HELD_HAND * k) + fwd * HELD_FWD * k + right * HELD_SIDE * k
            if sit > 0:
                grip = grip + up * (hip_y - HIP_HEIGHT * k) * 0.8
            e, h_ = _ik(shoulder, grip, 0.29 * k, 0.33 * k, _unit(-fwd * 0.6 + right * 0.4 - up * 0.2))
            elbow = elbow * (1 - carry) + e * carry
            hand = hand * (1 - carry) + h_ * carry
            wrist = elbow + (hand - elbow) * (0.26 / 0.33)
        j[f"{name}_shoulder"], j[f"{name}_elbow"], j[f"{name}_wrist"] = shoulder, elbow, wrist
        j[f"{name}_hand"] = hand
    # head: turned by head_yaw / head_pitch (look at), on top of the neck
    look = _look_dir(f, fwd, right)
    head = j["neck"] + torso * 0.13 * k
    j["head"] = head
    hr = _unit(np.cross(up, look))           # head's right
    hu = _unit(np.cross(look, hr))
    j["head_fwd"], j["head_right"], j["head_up"] = look, hr, hu
    j["nose"] = head + look * 0.1 * k - hu * 0.01 * k
    for name, side in (("r", 1.0), ("l", -1.0)):
        j[f"{name}_eye"] = head + look * 0.085 * k + hr * side * 0.034 * k + hu * 0.022 * k
        j[f"{name}_ear"] = head + hr * side * 0.085 * k
    j["mouth"] = head + look * 0.088 * k - hu * 0.045 * k
    return j


def _dir(up: np.ndarray, fwd: np.ndarray, angle: float) -> np.ndarray:
    """A limb hanging down, swung forward by `angle` radians."""
    return -up * math.cos(angle) + fwd * math.sin(angle)


def _look_dir(f, fwd: np.ndarray, right: np.ndarray) -> np.ndarray:
    yaw = math.radians(getattr(f, "head_yaw", 0.0))
    pitch = math.radians(getattr(f, "head_pitch", 0.0))
    flat = fwd * math.cos(yaw) + right * math.sin(yaw)
    return _unit(flat * math.cos(pitch) + np.array([0.0, 1.0, 0.0]) * math.sin(pitch))


def coco_keypoints(j: dict[str, np.ndarray]) -> np.ndarray:
    """(18, 3) world points in COCO-18 order."""
    return np.array([j[n] for n in COCO18])
