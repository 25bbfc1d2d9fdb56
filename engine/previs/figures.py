"""Mannequin figures and the motion cues that move them.

A figure is posed from a small state (position, heading, sit amount, walk phase and stride, gesture,
head turn, mouth); rig.skeleton turns it into joints and mannequin.Mannequin into Panda3D geometry.
The state at the last frame goes into the take's end_state, so the next shot starts from exactly the
same pose.

Heading: degrees, 0 faces +Z (away from the initial camera), 90 faces +X, 180 faces the camera.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any, Mapping, Optional

import numpy as np

from ..cues import MotionCue, MotionKind, ScreenDirection
from ..jobs import CharacterSpec
from ..plan import short_move
from .rig import SEAT_HEIGHT, foot_offset

__all__ = ["SEAT_HEIGHT", "FigureState", "FigureTrack", "default_figures"]

BREATHS_HZ = 0.25   # a calm breath every four seconds
SETTLE_S = 0.7      # a continued figure with nothing to do finishes its gesture and step over this long


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
    head_yaw: float = 0.0     # look at: the head turned right of the body's heading (degrees)
    head_pitch: float = 0.0   # + looks up
    mouth: float = 0.0        # 0 closed .. 1 wide open (the dialogue envelope)
    breath: float = 0.0       # radians of the breathing cycle
    kneel: float = 0.0        # 0 standing .. 1 on one knee
    point: float = 0.0        # right arm pointing where the head looks, 0..1
    carry: float = 0.0        # left hand holding a prop in front, 0..1
    expression: str = "neutral"  # neutral, smile, frown, surprise, fear
    talk: float = 0.0         # talking hands: the forearms lift and turn out with the line's beat, 0..1
    y: float = 0.0            # height of the figure's ground (on a stair: the walking line's)
    stair: tuple = ()         # rig.Stair.as_tuple() of the flight the figure is on, else ()
    stair_pos: float = 0.0    # where on it, in steps (0 = the ground before the first tread)
    fall: float = 0.0         # 0 upright .. 1 lying on the ground (toppled forward about the feet)
    march: float = 0.0        # 0 walks on .. 1 marks time: each foot lifts and comes down where it stood
    lift: float = 0.0         # a held prop brought up before the chest to be read or checked (a watch), 0..1

    def to_dict(self) -> dict[str, Any]:
        return {k: (float(v) if isinstance(v, (float, np.floating)) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "FigureState":
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        if "stair" in known:
            known["stair"] = tuple(float(v) for v in known["stair"] or ())
        return cls(**known)


def default_figures(characters: tuple[CharacterSpec, ...]) -> list[FigureState]:
    """Blocking for a fresh shot: the first character on the mark at the origin, others beside it."""
    out = []
    for i, c in enumerate(characters):
        side = (i + 1) // 2 * (1 if i % 2 else -1)
        out.append(FigureState(c.name, c.color or "#c0504d", float(c.height_m or 1.75), x=1.3 * side,
                               z=0.6 * abs(side), heading=180.0 - 20.0 * side))
    return out


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


def _toward(s0: FigureState, goal: FigureState, e: float, *fields: str) -> dict[str, float]:
    """The `fields` of s0 moved the fraction e of the way to goal's (a pose taken up, or settled into)."""
    return {f: getattr(s0, f) + (getattr(goal, f) - getattr(s0, f)) * e for f in fields}


# What a gesture cue's arms do (FigureTrack `gesture`); render.gesture_of reads it from the plan's verbs.
GESTURES = ("wave", "point", "talk", "pose")


class FigureTrack:
    """One figure's state over a shot, executing its motion cue (or standing still)."""

    def __init__(self, start: FigureState, cue: Optional[MotionCue], frames: int, fps: float,
                 cam_right: np.ndarray, cam_pos: np.ndarray, fresh: bool, act: str = "", stair=None,
                 settle_to: Optional[FigureState] = None, target: Optional[tuple[float, float]] = None,
                 gesture: str = "wave"):
        """`act`: a plan verb the figure performs over the shot ('climb' or 'descend' the set's
        `stair` (a rig.Stair), 'fall'); it takes the place of a motion cue. `settle_to`: for a figure
        carried on from the previous take, its pose in this shot's plan; without a cue or act of its
        own it settles from where it was left into that pose's arms (see _settled). `target`: the
        ground point (x, z) the action goes for or turns from (the holder of the prop a lunge goes for,
        the figure a twist turns away from); a short move (plan.SHORT_MOVES) heads there, or away.
        `gesture`: what a gesture cue does with the arms, from its words (GESTURES): 'wave' (the right arm
        up and waving), 'point', 'talk' (talking hands on a beat) or 'pose' (the plan's pose holds them:
        a figure checking her watch or reading keeps her hand and looks down into it)."""
        self.frames, self.fps = frames, float(fps)
        self.act = act if (act == "fall" or (act in ("climb", "descend") and stair is not None)) else ""
        if self.act:
            cue = None
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
            depth = cue.screen_direction in (ScreenDirection.TOWARD, ScreenDirection.AWAY)
            if depth:   # into or out of the depth: from the mark, and never into the lens
                dist = speed * self.duration
                toward = cue.screen_direction is ScreenDirection.TOWARD
                self.travel = to_cam * max(0.0, min(dist, cam_dist - 1.3)) if toward else -to_cam * dist
            else:
                self.travel = flat_right * side * speed * self.duration
            self.stride_len = 2.4 if run else 1.4
            if fresh and not depth and short_move(cue.action) is None:
                # a fresh cross starts off the mark so the figure crosses the centre mid-shot
                here = here - self.travel / 2
        elif kind in (MotionKind.APPROACH, MotionKind.RECEDE):
            speed = 0.6 + 1.0 * intensity
            dist = speed * self.duration
            if kind is MotionKind.APPROACH:
                dist = max(0.0, min(dist, cam_dist - 1.3))
                self.travel = to_cam * dist
            else:
                self.travel = -to_cam * dist
        self.move_frac = 1.0   # of the shot, the part the travel takes (a burst is over in a second)
        # a cue that moves (or turns) the figure: a gesture's 'reaches for the cup' stays an arm's move
        moving = (MotionKind.CROSS, MotionKind.RUN, MotionKind.APPROACH, MotionKind.RECEDE, MotionKind.TURN)
        burst = short_move(cue.action) if cue is not None and kind in moving else None
        if burst is not None:
            self.travel = self._burst(burst, here, target, speed if kind in (MotionKind.CROSS, MotionKind.RUN)
                                      else 2.6 + 3.0 * intensity, start.heading)
        walking = float(np.linalg.norm(self.travel)) > 1e-6
        run_posture = 1.0 if kind is MotionKind.RUN else 0.0
        # a take's figures walk on (only a loop's timeline marks time): a shot chained onto a loop's
        # end starts from its pose but travels with its feet
        start = replace(start, x=float(here[0]), z=float(here[2]), march=0.0)
        if walking:
            walk_heading = _heading_of(self.travel)
            if fresh and burst is None:   # a burst starts from the plan's pose: the turn into it is seen
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
        self.gesture = gesture if gesture in GESTURES else "wave"
        # the plan's pose a 'pose' gesture takes up: a carried-on figure was left in the last shot's
        # (settle_to is this shot's plan pose), a fresh one starts in it
        self.pose_to = settle_to if settle_to is not None else start
        self.settle_to = settle_to if kind is MotionKind.NONE and not self.act else None
        if self.settle_to is not None:
            self._settle_steps()
        if self.act in ("climb", "descend"):
            self._on_stair(stair, fresh)

    REACH_M = 0.7   # a lunge stops this far short of what it goes for: the arms close the gap

    def _burst(self, burst: tuple[float, str], here: np.ndarray, target, speed: float,
               heading: float) -> np.ndarray:
        """The travel of a short move: at most its reach, toward `target` ('to', stopping REACH_M short)
        or straight away from it ('from', the body turned with the step); with no target, the way the
        cue's travel (or, for a turn, the body) went. It takes reach/speed seconds, the rest is held."""
        reach, sense = burst
        way = self.travel.copy()
        if target is not None:
            way = np.array([target[0], 0.0, target[1]]) - here
            gap = float(np.linalg.norm(way))
            if sense == "to":
                reach = max(0.0, min(reach, gap - self.REACH_M))
            else:
                way = -way
        if float(np.linalg.norm(way)) < 1e-6:
            h = math.radians(heading + (180.0 if sense == "from" else 0.0))
            way = np.array([math.sin(h), 0.0, math.cos(h)])
        self.move_frac = min(1.0, max(0.25, reach / max(speed, 1e-6) * 1.6 / self.duration))
        return way / float(np.linalg.norm(way)) * reach

    # A climber takes 1.6 treads a second (a steady pace on a steep stair); a fresh climb starts two
    # treads up (already on the flight), a descent as far from the top.
    STEPS_PER_S = 1.6

    def _on_stair(self, stair, fresh: bool) -> None:
        s0 = self.start
        run = self.STEPS_PER_S * self.duration
        if fresh or not s0.stair:
            # a fresh descent starts as far above tread 2 as a climb would end (both stay low on a tall flight)
            begin = 2.0 if self.act == "climb" else max(2.0, min(float(stair.steps) - 2.0, 2.0 + run))
        else:
            begin = s0.stair_pos
        end = begin + run if self.act == "climb" else begin - run
        end = min(float(stair.steps), max(0.0, end))
        self.stair_span = (begin, end)
        self.stair = stair
        self.start = self._stair_state(s0, begin, 0.0)
        self.walking = False

    def _stair_state(self, s0: FigureState, p: float, stride: float) -> FigureState:
        at, heading = self.stair.point(p)
        if self.act == "descend":
            heading += 180.0
        return replace(s0, x=float(at[0]), z=float(at[2]), y=self.stair.line_height(p), heading=heading,
                       stair=self.stair.as_tuple(), stair_pos=p, stride=stride, sit=0.0, seat=False)

    def state(self, i: int) -> FigureState:
        out = self._state(i)
        if self.kind is not MotionKind.NONE or self.settle_to is not None:
            # An acting (or settling) figure breathes (a still one holds: a static shot of a mannequin is a still).
            out = replace(out, breath=self.start.breath + i / self.fps * 2 * math.pi * BREATHS_HZ)
        return out

    def _state(self, i: int) -> FigureState:
        s0 = self.start
        t = i / (self.frames - 1) if self.frames > 1 else 0.0
        secs = i / self.fps
        kind = self.kind
        if self.walking:
            t = min(1.0, t / self.move_frac)
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
        if self.act in ("climb", "descend"):
            a, b = self.stair_span
            return self._stair_state(s0, a + (b - a) * _ramp(t), _speed_frac(t) if b != a else 0.0)
        if self.act == "fall":
            # upright for the first quarter, down by three quarters of the shot
            return replace(s0, fall=min(1.0, max(0.0, (t - 0.25) / 0.5)), stride=0.0)
        if kind is MotionKind.TURN:
            return replace(s0, heading=s0.heading + (self.turn_to - s0.heading) * eased)
        if kind is MotionKind.SIT:
            return replace(s0, sit=s0.sit + (1.0 - s0.sit) * eased)
        if kind is MotionKind.STAND:
            return replace(s0, sit=s0.sit * (1.0 - eased))
        if kind is MotionKind.GESTURE and self.gesture != "wave":
            rise = min(1.0, secs / 0.35)
            if self.gesture == "point":
                return replace(s0, point=s0.point + (1.0 - s0.point) * rise)
            if self.gesture == "talk":   # phrases of beats (two a second), from rest
                beat = 0.5 + 0.5 * math.sin(2 * math.pi * 1.8 * secs)
                return replace(s0, talk=self.gesture_amp * rise * (0.35 + 0.65 * beat))
            x = min(1.0, secs / 0.6)   # the hand comes up, the head bows: unhurried
            e = x * x * (3 - 2 * x)
            return replace(s0, **_toward(s0, self.pose_to, e, "carry", "lift", "head_pitch", "gesture", "point"),
                           talk=s0.talk * (1 - e))
        if kind is MotionKind.GESTURE:
            g = s0.gesture + (self.gesture_amp - s0.gesture) * min(1.0, secs / 0.35)
            return replace(s0, gesture=g, gesture_phase=s0.gesture_phase + secs * 2 * math.pi * 1.6)
        if self.settle_to is not None:
            return self._settled(secs)
        return s0

    # -- settling: a continued figure with nothing to do in this shot ----------------------------------
    def _settle_steps(self) -> None:
        """Plan how a figure caught mid-stride finishes its step with no foot sliding. The rig puts a
        foot at hip + stride * foot_offset(gait): a stance foot holds its place while the body travels
        `stride` metres per metre of gait, or, as the stride closes, `stride * offset` less. If the
        stance foot is behind the hip, the swinging foot first lands (the gait runs on at the stride it
        had, phase 1); then on the front stance foot the gait runs on to mid-stance while the stride
        closes (phase 2), so the back foot swings up beside it, lifted, and the feet end together."""
        s0 = self.start
        self.gait_len = (2.4 if s0.run > 0.5 else 1.4) * s0.height / 1.75   # the rig's stride length
        self.settle_stride = min(1.0, max(0.0, s0.stride))
        self.settle_gait = (0.0, 0.0, 0.0)   # phase 1's gait, phase 2's, phase 2's stance leg
        if self.settle_stride <= 0.0 or s0.stair:
            return   # feet together already (on a stair the treads place the feet: it stays as it was)
        d0 = s0.walk_phase / (2 * math.pi) * self.gait_len
        # the stance foot is the leg in the first half of its cycle (the legs are half a cycle apart)
        u, leg = min(((d0 / self.gait_len + lp) % 1.0, lp) for lp in (0.0, 0.5))
        first = 0.0
        if u > 0.25:   # stance foot behind the hip: the swing foot lands first and takes the stance
            first, u, leg = (0.5 - u) * self.gait_len, 0.0, 0.5 - leg
        self.settle_gait = (first, (0.25 - u) * self.gait_len, leg)

    def _settled(self, secs: float) -> FigureState:
        """Eased over SETTLE_S: a gesture, point or talking hands come down to the plan's pose (breathing
        goes on, in state()), and an open stride closes as planned in _settle_steps."""
        s0, goal = self.start, self.settle_to
        x = min(1.0, secs / SETTLE_S)
        e = x * x * (3 - 2 * x)
        out = replace(s0, **_toward(s0, goal, e, "gesture", "point"), talk=s0.talk * (1 - e),
                      gesture_phase=s0.gesture_phase + secs * 2 * math.pi * 1.6)
        sigma = self.settle_stride
        if sigma <= 0.0 or s0.stair:
            return out
        first, second, leg = self.settle_gait
        split = 0.45 if first > 0 else 0.0   # of the settle's time, for the landing step
        if e < split:
            gait, stride = first * e / split, sigma
            travel = sigma * gait
        else:
            f = (e - split) / (1.0 - split)
            gait, stride = first + second * f, sigma * (1.0 - f)
            d0 = s0.walk_phase / (2 * math.pi) * self.gait_len
            held = foot_offset(d0 + first, self.gait_len, leg)[0] * sigma   # the stance foot ahead of the hip
            travel = sigma * first + held - foot_offset(d0 + gait, self.gait_len, leg)[0] * stride
        h = math.radians(s0.heading)
        return replace(out, x=s0.x + math.sin(h) * travel, z=s0.z + math.cos(h) * travel, stride=stride,
                       walk_phase=s0.walk_phase + gait / self.gait_len * 2 * math.pi)
