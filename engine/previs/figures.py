"""Mannequin figures and the motion cues that move them.

A figure is a handful of shaded boxes (pelvis, torso, limbs) plus a head sphere, posed from a small
state (position, heading, sit amount, walk phase and stride, gesture). The state at the last frame
goes into the take's end_state, so the next shot starts from exactly the same pose.

Heading: degrees, 0 faces +Z (away from the initial camera), 90 faces +X, 180 faces the camera.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any, Mapping, Optional

import numpy as np

from ..cues import MotionCue, MotionKind, ScreenDirection
from ..jobs import CharacterSpec
from .scene import rgb

SEAT_HEIGHT = 0.47


@dataclass(frozen=True)
class FigureState:
    name: str
    color: str = "#c0504d"
    height: float = 1.75
    x: float = 0.0
    z: float = 0.0
    heading: float = 180.0
    sit: float = 0.0          # 0 standing .. 1 seated
    walk_phase: float = 0.0   # radians of the gait cycle
    stride: float = 0.0       # 0 legs together .. 1 full walking swing
    run: float = 0.0          # 0 walk posture .. 1 run posture
    gesture: float = 0.0      # right arm raised 0..1
    gesture_phase: float = 0.0
    seat: bool = False        # a stool is part of the set for this figure

    def to_dict(self) -> dict[str, Any]:
        return {k: (float(v) if isinstance(v, (float, np.floating)) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "FigureState":
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


def default_figures(characters: tuple[CharacterSpec, ...]) -> list[FigureState]:
    """Blocking for a fresh shot: the first character on the mark at the origin, others beside it."""
    out = []
    for i, c in enumerate(characters):
        side = (i + 1) // 2 * (1 if i % 2 else -1)
        out.append(FigureState(c.name, c.color or "#c0504d", float(c.height_m or 1.75), x=1.3 * side,
                               z=0.6 * abs(side), heading=180.0 - 20.0 * side))
    return out


# -- geometry --------------------------------------------------------------------------------------
@dataclass
class Part:
    centre: np.ndarray
    axes: np.ndarray      # (3, 3) unit rows
    half: np.ndarray      # (3,)
    colour: np.ndarray    # unlit BGR


def figure_parts(f: FigureState) -> tuple[list[Part], tuple[np.ndarray, float, np.ndarray]]:
    """Boxes of the posed mannequin and its head (centre, radius, colour)."""
    k = f.height / 1.75
    h = math.radians(f.heading)
    fwd = np.array([math.sin(h), 0.0, math.cos(h)])
    right = np.array([math.cos(h), 0.0, -math.sin(h)])
    up = np.array([0.0, 1.0, 0.0])
    base = np.array([f.x, 0.0, f.z])
    shirt = rgb(f.color)
    trousers = shirt * 0.45 + 25
    skin = rgb((214, 190, 160))

    def world(lx, ly, lz):
        return base + right * lx + up * ly + fwd * lz

    def limb(a, b, thick, colour):
        axis = b - a
        length = float(np.linalg.norm(axis))
        ay = axis / max(length, 1e-9)
        az = _cross(right, ay)
        az /= max(np.linalg.norm(az), 1e-9)
        ax = _cross(ay, az)
        return Part((a + b) / 2, np.stack([ax, ay, az]), np.array([thick / 2, length / 2, thick / 2]), colour)

    def direction(angle):  # a limb hanging down, swung forward by `angle` radians
        return -up * math.cos(angle) + fwd * math.sin(angle)

    sit = min(1.0, max(0.0, f.sit))
    hip_y = (0.93 - (0.93 - SEAT_HEIGHT - 0.05) * sit) * k
    lean = math.radians(4 + 14 * f.run) * f.stride
    torso_dir = up * math.cos(lean) + fwd * math.sin(lean)
    parts: list[Part] = []
    hip = world(0, hip_y, 0)
    parts.append(Part(hip + up * 0.02 * k, np.stack([right, up, fwd]), np.array([0.17, 0.09, 0.11]) * k, trousers))
    chest_bottom = hip + up * 0.06 * k
    chest_top = chest_bottom + torso_dir * 0.50 * k
    parts.append(limb(chest_bottom, chest_top, 0.0, shirt))
    parts[-1].half = np.array([0.19, 0.25, 0.12]) * k
    swing = (0.45 + 0.25 * f.run) * f.stride
    for side, sgn in ((-1, 1.0), (1, -1.0)):
        # legs: opposite phase; seated thighs go horizontal and shins hang down
        a = sgn * swing * math.sin(f.walk_phase)
        thigh_angle = a * (1 - sit) + 1.5 * sit
        knee_bend = max(0.0, -math.sin(f.walk_phase + (0 if sgn > 0 else math.pi))) * 0.6 * f.stride
        joint = hip + right * side * 0.1 * k
        knee = joint + direction(thigh_angle) * 0.46 * k
        shin_angle = (thigh_angle - knee_bend) * (1 - sit)
        foot = knee + direction(shin_angle) * 0.46 * k
        parts.append(limb(joint, knee, 0.14 * k, trousers))
        parts.append(limb(knee, foot, 0.12 * k, trousers))
        # arms swing against the legs; the right arm gestures
        shoulder = chest_top - torso_dir * 0.06 * k + right * side * 0.25 * k
        upper = -a * 0.8
        fore = upper + 0.25 + 0.5 * f.run * f.stride
        upper_dir, fore_dir = direction(upper), direction(fore)
        if side > 0 and f.gesture > 0:
            # The right arm raised out to the side, forearm up and waving: readable from any angle.
            g = min(1.0, f.gesture)
            raised = -up * math.cos(2.2) + (right * 0.85 + fwd * 0.3) * math.sin(2.2)
            wave = up + right * 0.5 * math.sin(f.gesture_phase * 2.0)
            upper_dir = _unit(upper_dir * (1 - g) + _unit(raised) * g)
            fore_dir = _unit(fore_dir * (1 - g) + _unit(wave) * g)
        elbow = shoulder + upper_dir * 0.3 * k
        hand = elbow + fore_dir * 0.28 * k
        parts.append(limb(shoulder, elbow, 0.1 * k, shirt))
        parts.append(limb(elbow, hand, 0.09 * k, shirt * 0.85 + skin * 0.15))
    head = chest_top + torso_dir * 0.14 * k  # standing: centre 1.63 m, top 1.745 m of a 1.75 m figure
    # Eyes, a nose and a dark hair cap: which way a mannequin faces must read at a glance.
    face = np.stack([right, up, fwd])
    for side in (-1, 1):
        parts.append(Part(head + fwd * 0.1 * k + right * side * 0.04 * k + up * 0.02 * k, face,
                          np.array([0.016, 0.012, 0.02]) * k, rgb((40, 32, 28))))
    parts.append(Part(head + fwd * 0.11 * k - up * 0.02 * k, face, np.array([0.014, 0.022, 0.025]) * k,
                      skin * 0.88))
    parts.append(Part(head + up * 0.05 * k - fwd * 0.035 * k, face, np.array([0.1, 0.075, 0.095]) * k,
                      rgb((60, 45, 35))))
    if f.seat:
        parts.append(Part(base + up * SEAT_HEIGHT * 0.5 * k - fwd * 0.12 * k, np.stack([right, up, fwd]),
                          np.array([0.24, SEAT_HEIGHT * 0.5, 0.24]) * k, rgb((105, 82, 60))))
    return parts, (head, 0.115 * k, skin)


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """np.cross costs ~20x more for single 3-vectors; the mannequin needs ~40 per frame."""
    return np.array([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]])


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-9)


# -- motion ----------------------------------------------------------------------------------------
def _ramp(t: float, edge: float = 0.12) -> float:
    """Distance fraction for a walk that accelerates over the first `edge` and stops over the last."""
    t = min(1.0, max(0.0, t))
    v = 1.0 / (1.0 - edge)  # top speed so the area is 1
    if t < edge:
        return 0.5 * v * t * t / edge
    if t > 1 - edge:
        u = 1.0 - t
        return 1.0 - 0.5 * v * u * u / edge
    return 0.5 * v * edge + v * (t - edge)


def _speed_frac(t: float, edge: float = 0.12) -> float:
    if t < edge:
        return t / edge
    if t > 1 - edge:
        return max(0.0, (1.0 - t) / edge)
    return 1.0


def _wrap(deg: float) -> float:
    return (deg + 180.0) % 360.0 - 180.0


def _heading_of(v: np.ndarray) -> float:
    return math.degrees(math.atan2(v[0], v[2]))


class FigureTrack:
    """One figure's state over a shot, executing its motion cue (or standing still)."""

    def __init__(self, start: FigureState, cue: Optional[MotionCue], frames: int, fps: float,
                 cam_right: np.ndarray, cam_pos: np.ndarray, fresh: bool):
        self.frames, self.fps = frames, float(fps)
        self.duration = max(1, frames - 1) / self.fps
        self.kind = cue.kind if cue is not None else MotionKind.NONE
        self.cue = cue
        intensity = cue.intensity if cue is not None else 0.0
        flat_right = np.array([cam_right[0], 0.0, cam_right[2]])
        flat_right /= max(np.linalg.norm(flat_right), 1e-9)
        here = np.array([start.x, 0.0, start.z])
        to_cam = np.array([cam_pos[0], 0.0, cam_pos[2]]) - here
        cam_dist = float(np.linalg.norm(to_cam))
        to_cam /= max(cam_dist, 1e-9)
        self.travel = np.zeros(3)
        self.stride_len = 1.4
        kind = self.kind
        if kind in (MotionKind.CROSS, MotionKind.RUN):
            run = kind is MotionKind.RUN
            speed = (2.6 + 3.0 * intensity) if run else (0.7 + 1.0 * intensity)
            side = -1.0 if cue.screen_direction is ScreenDirection.LEFT else 1.0
            if cue.screen_direction in (ScreenDirection.TOWARD, ScreenDirection.AWAY):
                self.travel = to_cam * speed * self.duration * (1 if cue.screen_direction is ScreenDirection.TOWARD
                                                               else -1)
            else:
                self.travel = flat_right * side * speed * self.duration
            self.stride_len = 2.4 if run else 1.4
            if fresh:  # a fresh cross starts off the mark so the figure crosses the centre mid-shot
                here = here - self.travel / 2
        elif kind in (MotionKind.APPROACH, MotionKind.RECEDE):
            speed = 0.6 + 1.0 * intensity
            dist = speed * self.duration
            if kind is MotionKind.APPROACH:
                dist = max(0.0, min(dist, cam_dist - 1.3))
                self.travel = to_cam * dist
            else:
                self.travel = -to_cam * dist
        walking = float(np.linalg.norm(self.travel)) > 1e-6
        run_posture = 1.0 if kind is MotionKind.RUN else 0.0
        start = replace(start, x=float(here[0]), z=float(here[2]))
        if walking:
            walk_heading = _heading_of(self.travel)
            if fresh:
                start = replace(start, heading=walk_heading, run=run_posture)
            self.walk_heading = walk_heading
        if fresh and kind is MotionKind.STAND:
            start = replace(start, sit=1.0)
        if kind in (MotionKind.SIT, MotionKind.STAND):
            start = replace(start, seat=True)
        self.start = start
        self.walking = walking
        self.run_posture = run_posture
        self.turn_to = start.heading
        if kind is MotionKind.TURN:
            sd = cue.screen_direction
            targets = {ScreenDirection.RIGHT: flat_right, ScreenDirection.LEFT: -flat_right,
                       ScreenDirection.TOWARD: to_cam, ScreenDirection.AWAY: -to_cam}
            if sd in targets:
                delta = _wrap(_heading_of(targets[sd]) - start.heading)
                delta *= 0.5 + 0.5 * intensity if abs(delta) > 1 else 1.0
            else:
                delta = 180.0 * (0.5 + 0.5 * intensity)
            self.turn_to = start.heading + delta
        self.gesture_amp = 0.55 + 0.45 * intensity

    def state(self, i: int) -> FigureState:
        s0 = self.start
        t = i / (self.frames - 1) if self.frames > 1 else 0.0
        secs = i / self.fps
        kind = self.kind
        if self.walking:
            frac = _ramp(t)
            pos = np.array([s0.x, 0.0, s0.z]) + self.travel * frac
            dist = float(np.linalg.norm(self.travel)) * frac
            blend = min(1.0, secs / 0.4)  # turn into the walk over the first 0.4 s
            heading = s0.heading + _wrap(self.walk_heading - s0.heading) * blend
            stride = max(s0.stride * (1 - blend), _speed_frac(t) * blend) if t < 0.5 else _speed_frac(t)
            return replace(s0, x=float(pos[0]), z=float(pos[2]), heading=heading,
                           walk_phase=s0.walk_phase + dist / self.stride_len * 2 * math.pi, stride=stride,
                           run=s0.run + (self.run_posture - s0.run) * blend)
        eased = t * t * (3 - 2 * t)
        if kind is MotionKind.TURN:
            return replace(s0, heading=s0.heading + (self.turn_to - s0.heading) * eased)
        if kind is MotionKind.SIT:
            return replace(s0, sit=s0.sit + (1.0 - s0.sit) * eased)
        if kind is MotionKind.STAND:
            return replace(s0, sit=s0.sit * (1.0 - eased))
        if kind is MotionKind.GESTURE:
            g = s0.gesture + (self.gesture_amp - s0.gesture) * min(1.0, secs / 0.35)
            return replace(s0, gesture=g, gesture_phase=s0.gesture_phase + secs * 2 * math.pi * 1.6)
        return s0
