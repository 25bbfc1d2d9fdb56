"""Previs renderings of the remix operations: extend, loop, blend and variation.

Who calls: `factory.make_renderer` when `request.remix_options()` names a `previs_op` (the typed
`engine.jobs.RemixSpec`); the studio's `studio.remix` builds those requests. Every operation is a
re-simulation, never an image edit: the parent take's request is rendered again in the same world, so the state at any
of its frames (camera pose, figure poses) is exact and deterministic, and the operation continues,
cycles or interpolates from there.

  extend     output = the parent's frames 0..F, then `extend_frames` new frames (forward), or
             `extend_frames` new frames leading into the parent's frame F, then F..end (backward).
             The camera move goes on at the shot's average pace (ramping from its speed at F);
             walkers keep walking at their cue's pace, gestures keep waving, the rest hold.
  loop       `request.frames` frames starting from the parent's state at `from_frame`, on cyclic
             paths: frame N (one past the last) equals frame 0, so the loop plays seamlessly. The
             camera goes out along its move and back (cosine; a sweep goes out the side that
             keeps the subject in frame) and the operator turns to keep the subject in frame
             (framing.keep_in_frame), a handheld shake has whole-cycle frequencies, walkers walk a
             whole number of strides (round an ellipse at constant speed, or marking time on the mark when the
             loop is too short for a lap), gestures wave and acting figures breathe a whole number
             of times, other motion (mouths included) plays out and back. A walking subject's
             follow camera closes with the walker it follows.
  blend      a transition between take A's frame `blend_from_frame` and take B's frame
             `blend_to_frame`: camera pose and each figure (matched by name) interpolated with a
             smoothstep, endpoints excluded (A's last frame -> blend -> B's first frame are all
             one step apart).
  variation  the same shot performed differently, from the seed: camera amount, lens and easing
             and motion intensity jittered, and a fresh camera start orbited and raised a little.
"""
from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Callable, Mapping, Optional

import numpy as np

from ..cues import CameraMove, CueError, Easing, MotionKind
from ..errors import EngineError, ErrorKind
from ..jobs import GenerationRequest
from .camera import CameraPath, CameraPose, look_angles
from .figures import BREATHS_HZ, FigureState, FigureTrack
from .framing import keep_in_frame, subject_boxes
from .rig import coco_keypoints, skeleton

OPS = ("extend", "loop", "blend", "variation")
GESTURE_HZ = 1.6       # figures.FigureTrack waves at this rate
RAMP_S = 0.5           # an extension reaches the shot's pace over this long
ELLIPSE_PERIMETER = 4.844   # a loop's lap: an ellipse with b = a / 2 is ~4.844 a round (Ramanujan)
LAP_MIN_A = 0.8        # m: the shortest lap's half-length; a loop with less time marks time
SWEEPS = (CameraMove.PAN, CameraMove.TILT, CameraMove.TRUCK, CameraMove.PEDESTAL)   # moves across the subject


def _bad(message: str, suggestion: str = "") -> EngineError:
    return EngineError(ErrorKind.BAD_INPUT, message, suggestion)


def _request(data: Any, what: str) -> GenerationRequest:
    if isinstance(data, GenerationRequest):
        return data
    if not isinstance(data, Mapping):
        raise _bad(f"the {what} request is missing from the options", "Plan the operation again from the studio.")
    try:
        return GenerationRequest.from_dict(data)
    except (KeyError, TypeError, ValueError, CueError) as exc:
        raise _bad(f"the {what} request is unreadable: {exc}") from exc


def _frame_opt(opts: Mapping[str, Any], name: str, lo: int, hi: int) -> int:
    value = opts.get(name)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _bad(f"{name}: {value!r} is not a frame number") from None
    if not lo <= number <= hi:
        raise _bad(f"{name}: frame {number} is outside {lo}..{hi}")
    return number


# -- camera ----------------------------------------------------------------------------------------

def _progress_limits(path: CameraPath) -> tuple[float, float]:
    """How far a move may be carried beyond its cue before it makes no sense (through the subject,
    a focal length of zero)."""
    span = path.span
    if span <= 0:
        return -math.inf, math.inf
    move = path.cue.move
    if move is CameraMove.DOLLY_IN:
        return -0.9 / span, 0.9 / span
    if move is CameraMove.DOLLY_OUT:
        return -0.9 / span, math.inf
    if move is CameraMove.ZOOM_OUT:
        return -math.inf, 0.85 / span
    if move is CameraMove.ZOOM_IN:
        return -0.85 / span, math.inf
    return -math.inf, math.inf


class _RetimedPath(CameraPath):
    """A cue path evaluated at a table of (progress, time) per output frame."""

    def __init__(self, base: CameraPath, progress: list[float], times: list[float], shake=None,
                 frames: Optional[int] = None):
        """`frames`: the take's length when the table runs on past it (a loop's frame N, one past the
        last, which must equal frame 0)."""
        self.__dict__.update(base.__dict__)
        self.shown = None   # a loop's poses as its frames show them (see _loop), not inherited
        lo, hi = _progress_limits(base)
        self._s = [min(hi, max(lo, s)) for s in progress]
        self._t = list(times)
        self.frames = len(self._s) if frames is None else frames
        if shake is not None:
            self._shake = shake

    def progress(self, i: int) -> float:
        return self._s[i]

    def time(self, i: int) -> float:
        return self._t[i]

    def pose(self, i: int) -> CameraPose:
        if self.shown is not None:
            return self.shown[i]
        return self.pose_at(self._s[i], self._t[i])


class _HeldPath:
    """A camera that holds one pose (continuing a path that has no cue progress, e.g. a blend)."""

    def __init__(self, pose: CameraPose, frames: int):
        self._pose, self.frames = pose, frames

    def pose(self, i: int) -> CameraPose:
        return self._pose


class _LoopShake:
    """A handheld shake made periodic over [t0, t0 + period]: the same operator's shake (its sines'
    weights and phases) with every frequency rounded to a whole number of cycles per loop, offset so
    it starts exactly where the original was at t0. Its motion stays as lively across the loop as
    anywhere (a cross-fade of two shakes would calm the middle and make the seam stand out); before
    t0 it is the original shake (so at(0) stays the path's reference)."""

    def __init__(self, base, t0: float, period: float):
        self.base, self.t0, self.period = base, t0, max(period, 1e-6)
        # the operator's weights and phases, kept so a loop of this loop can round them again
        self.weight, self.phase = base.weight, base.phase
        self.freq = np.maximum(1.0, np.round(base.freq * self.period)) / self.period
        self.start = base.at(t0) - self._periodic(t0)

    def _periodic(self, t: float) -> np.ndarray:
        return (self.weight * np.sin(2 * math.pi * self.freq * t + self.phase)).sum(axis=1)

    def at(self, t: float) -> np.ndarray:
        if t < self.t0:
            return self.base.at(t)
        return self.start + self._periodic(t)


def _speed_at(path, i: int, sign: int) -> float:
    """Progress per frame at frame i, measured on the side the extension leaves from."""
    n = path.frames
    if n < 2 or not hasattr(path, "progress"):
        return 0.0
    a, b = (i - 1, i) if sign > 0 else (i, i + 1)
    if a < 0:
        a, b = 0, 1
    if b > n - 1:
        a, b = n - 2, n - 1
    return float(path.progress(b) - path.progress(a))


def _continued_progress(path, frame: int, count: int, sign: int, fps: float) -> list[float]:
    """Progress of `count` frames after (sign +1) or before (-1) `frame`: the speed at `frame`
    ramps (smoothstep over RAMP_S) to the shot's average pace, so the join is smooth."""
    s = float(path.progress(frame))
    v0 = _speed_at(path, frame, sign)
    pace = 1.0 / max(1, path.frames - 1)   # progress grows with time: 0..1 over the cue's frames
    ramp = max(1.0, RAMP_S * fps)
    out = []
    for k in range(1, count + 1):
        u = min(1.0, k / ramp)
        v = v0 + (pace - v0) * (u * u * (3 - 2 * u))
        s += sign * v
        out.append(s)
    return out


# -- figures ---------------------------------------------------------------------------------------

def _extrapolate(track: FigureTrack, state: FigureState, dt: float) -> FigureState:
    """A figure `dt` seconds after (or before, dt < 0) `state`, going on with its cue."""
    if track.walking:
        length = float(np.linalg.norm(track.travel))
        speed = length / track.duration
        d = track.travel / length
        dist = speed * dt
        ramp = min(1.0, abs(dt) / 0.4)
        stride = state.stride + (1.0 - state.stride) * ramp
        # one marking time (a loop's walker) steps off into the walk over the same 0.4 s
        return replace(state, x=state.x + float(d[0]) * dist, z=state.z + float(d[2]) * dist,
                       walk_phase=state.walk_phase + dist / track.stride_len * 2 * math.pi, stride=stride,
                       march=state.march * (1.0 - ramp))
    if track.kind is MotionKind.GESTURE:
        return replace(state, gesture_phase=state.gesture_phase + dt * 2 * math.pi * GESTURE_HZ)
    return state


def _tracks(renderer) -> list:
    return list(getattr(renderer, "tracks", []) or [])


# -- operations ------------------------------------------------------------------------------------

def _attach(base, path, figures: Optional[Callable[[int], list]]) -> Any:
    """Point a renderer at another camera path and figure timeline. Instance attributes shadow the
    methods, so frame() and end_state() of either renderer kind use them unchanged."""
    base.path = path
    if figures is not None and hasattr(base, "tracks"):
        base.figure_states = figures
    base.frames = path.frames
    return base


def _extend(request: GenerationRequest, worlds, simulate):
    opts = request.remix_options()
    parent = simulate(_request(opts.get("parent"), "parent take's"), worlds)
    n0 = parent.frames
    frame = _frame_opt(opts, "from_frame", 0, n0 - 1)
    direction = str(opts.get("direction") or "forward")
    if direction not in ("forward", "backward"):
        raise _bad(f"direction: {direction!r} is not forward or backward")
    sign = 1 if direction == "forward" else -1
    count = _frame_opt(opts, "extend_frames", 1, 24 * 60 * 10)
    kept = frame + 1 if sign > 0 else n0 - frame
    if request.frames != kept + count:
        raise _bad(f"an extension of {count} frames {direction} from frame {frame} is {kept + count} frames, "
                   f"not {request.frames}")
    fps = parent.fps
    ppath = parent.path
    if sign > 0:
        mapping = list(range(frame + 1)) + [frame + k for k in range(1, count + 1)]
    else:
        mapping = [frame - k for k in range(count, 0, -1)] + list(range(frame, n0))
    if hasattr(ppath, "pose_at") and hasattr(ppath, "progress"):
        cont = _continued_progress(ppath, frame, count, sign, fps)
        times = getattr(ppath, "_t", None)

        def time_of(i: int) -> float:
            if 0 <= i < n0:
                return times[i] if times is not None else i / fps
            edge = times[frame] if times is not None else frame / fps
            return edge + (i - frame) / fps
        if sign > 0:
            progress = [ppath.progress(i) for i in range(frame + 1)] + cont
        else:
            progress = list(reversed(cont)) + [ppath.progress(i) for i in range(frame, n0)]
        path = _RetimedPath(ppath, progress, [time_of(i) for i in mapping])
    else:
        poses = [ppath.pose(i) if 0 <= i < n0 else ppath.pose(frame) for i in mapping]
        path = _PosesPath(poses)
    base = simulate(request.plain(), worlds)
    figures = None
    tracks = _tracks(parent)
    if tracks:
        at_frame = parent.figure_states(frame)

        def extended(j: int) -> list:
            i = mapping[j]
            if 0 <= i < n0 and (i - frame) * sign <= 0:
                return parent.figure_states(i)
            dt = (i - frame) / fps
            return [_extrapolate(t, s, dt) for t, s in zip(tracks, at_frame)]
        figures = extended
    out = _attach(base, path, figures)
    shown = getattr(ppath, "shown", None)
    if getattr(out, "_follow", None) is not None:
        # The parent's operator: its keep boxes the subject over the parent's frames (the base's box,
        # over the extension's, would turn the kept frames); a loop parent's own keep is in `shown`.
        own = getattr(parent, "_follow", None)
        out._follow = out._follow[:2] + (None,) if shown is not None else (own if own is not None else out._follow)
    if shown is not None and hasattr(out, "_follow"):
        # The parent is a loop whose camera keeps its subject (_loop): its frames as it showed them,
        # then the move going on from there, turned as the keep had turned it at the join.
        cued = [out.camera_pose(j) for j in range(request.frames)]
        at = mapping.index(frame)
        turn, tilt = _wrap(shown[frame].yaw - cued[at].yaw), shown[frame].pitch - cued[at].pitch
        path.shown = [shown[i] if 0 <= i < n0 and (i - frame) * sign <= 0
                      else replace(c, yaw=c.yaw + turn, pitch=c.pitch + tilt) for i, c in zip(mapping, cued)]
        out._follow = None
    out.continued = True
    if hasattr(parent, "tracks"):
        out.tracks = parent.tracks
    return out


class _PosesPath:
    """A camera given as one pose per frame."""

    def __init__(self, poses: list[CameraPose], frames: Optional[int] = None):
        self._poses = poses
        self.frames = len(poses) if frames is None else frames

    def pose(self, i: int) -> CameraPose:
        return self._poses[i]


def _cos01(i: int, n: int) -> float:
    """0 at i = 0 (and i = n), 1 at i = n / 2: the out-and-back shape of a loop."""
    return 0.5 * (1.0 - math.cos(2 * math.pi * i / n))


def _whole_cycles(per_second: float, n: int, fps: float) -> int:
    """How many cycles of a rhythm at `per_second` fit an n-frame loop, rounded to a whole number so
    the rhythm closes at the seam (0: the loop is too short for one, the rhythm holds)."""
    return int(round(per_second * n / fps))


def _walk_loop(track: FigureTrack, start: FigureState, cam: np.ndarray, n: int, fps: float) -> list[FigureState]:
    """Frames 0..n (n, one past the last, equals 0) of a walker that keeps walking at its cue's pace
    with a whole number of strides per loop (so the legs match at the seam).

    A loop long enough for a lap goes round an ellipse that starts and ends at `start`, heading
    along its tangent, at constant speed. A shorter one marks time on the mark (heading held, each
    foot lifting and coming down where it stood): a lap squeezed into it would spin the figure
    round in a few frames (a 0.5 s loop turned it 360 degrees, ~30 degrees a frame, and the seam
    was the loop's biggest jump)."""
    length = float(np.linalg.norm(track.travel))
    speed = length / track.duration if length > 0 else 1.0
    lap = speed * n / fps
    stride = start.stride if start.stride > 0.5 else 1.0
    a = lap / ELLIPSE_PERIMETER
    if a < LAP_MIN_A:
        natural = lap / track.stride_len            # strides the loop's time holds at the cue's pace
        cycles = max(1, round(natural))
        # a quicker cadence takes shorter steps (of a full swing, so a loop of this loop does not
        # shorten them again), and the feet keep the walk's speed
        short = min(1.0, natural / cycles)
        # it marks time: the feet lift and come down where they stood (a walk cycle with the hips
        # held slides each planted foot back, a treadmill)
        return [replace(start, walk_phase=start.walk_phase + 2 * math.pi * cycles * i / n, stride=short, march=1.0)
                for i in range(n + 1)]
    h = math.radians(start.heading)
    u = np.array([math.sin(h), 0.0, math.cos(h)])
    v = np.array([u[2], 0.0, -u[0]])
    pos = np.array([start.x, 0.0, start.z])
    if float(np.dot(v, pos - np.array([cam[0], 0.0, cam[2]]))) < 0:
        v = -v  # the far side of the loop is away from the camera
    b = a / 2
    thetas = np.linspace(0.0, 2 * math.pi, 721)
    pts = np.stack([np.sin(thetas) * a, -np.cos(thetas) * b], -1)
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    perimeter = float(arc[-1])
    cycles = max(1, round(perimeter / track.stride_len))
    out = []
    for i in range(n + 1):
        along = perimeter * i / n                     # constant speed round the lap
        th = float(np.interp(along, arc, thetas))
        p = pos + a * math.sin(th) * u + b * (1.0 - math.cos(th)) * v   # frame 0 exactly on `start`
        tangent = a * math.cos(th) * u + b * math.sin(th) * v
        out.append(replace(start, x=float(p[0]), z=float(p[2]),
                           heading=math.degrees(math.atan2(tangent[0], tangent[2])),
                           walk_phase=start.walk_phase + 2 * math.pi * cycles * i / n, stride=stride, march=0.0))
    return out


def _loop(request: GenerationRequest, worlds, simulate):
    opts = request.remix_options()
    parent = simulate(_request(opts.get("parent"), "parent take's"), worlds)
    n0, n, fps = parent.frames, request.frames, parent.fps
    start = _frame_opt(opts, "from_frame", 0, n0 - 1)
    ppath = parent.path
    # Every table below runs over frames 0..n: frame n (one past the last) is frame 0 again, and
    # that it is can be checked (the renderer's length stays n).
    if hasattr(ppath, "pose_at") and hasattr(ppath, "progress"):
        s0 = float(ppath.progress(start))
        # half the loop at the shot's average pace, then back; never further out than half the cued
        # move (a loop longer than its shot would otherwise truck or pan the set away from the subject)
        reach = min(0.5, 0.5 * n / max(1, n0 - 1))
        times = getattr(ppath, "_t", None)     # a retimed parent (itself an operation) has its own clock
        t0 = times[start] if times is not None else start / fps
        shake = _LoopShake(ppath._shake, t0, n / fps) if getattr(ppath, "_shake", None) is not None else None
        # a sweep may go out either way (out and back, the loop shows both directions): the other
        # way is tried too, for the side that keeps the subject in frame (below)
        sides = (1, -1) if getattr(ppath, "cue", None) is not None and ppath.cue.move in SWEEPS else (1,)
        paths = [_RetimedPath(ppath, [s0 + side * reach * _cos01(i, n) for i in range(n + 1)],
                              [t0 + i / fps for i in range(n + 1)], shake, frames=n) for side in sides]
    else:
        paths = [_HeldPath(ppath.pose(start), n)]
    path = paths[0]
    base = simulate(request.plain(), worlds)
    figures = None
    tracks = _tracks(parent)
    if tracks:
        states = parent.figure_states(start)
        cam = np.asarray(ppath.pose(start).position)
        span = min(n / 2, n0 - 1 - start)
        plain = not _request(opts.get("parent"), "parent take's").remix_options().get("previs_op")
        breaths = _whole_cycles(BREATHS_HZ, n, fps)
        timelines: list[list[FigureState]] = []
        for k, (track, state) in enumerate(zip(tracks, states)):
            if track.walking:
                timeline = _walk_loop(track, state, cam, n, fps)
            elif track.kind is MotionKind.GESTURE:
                waves = max(1, _whole_cycles(GESTURE_HZ, n, fps))
                amp = state.gesture if state.gesture > 0.3 else track.gesture_amp
                timeline = [replace(state, gesture=amp, gesture_phase=state.gesture_phase
                                    + 2 * math.pi * waves * i / n) for i in range(n + 1)]
            else:
                # other motion plays out and back through the parent's frames, its mouth and talking
                # hands with it (the parent's own states carry the line's mouth curve)
                back = [start + span * _cos01(i, n) for i in range(n + 1)]
                said = [parent.figure_states(int(round(f)))[k] for f in back]
                timeline = [replace(track.state(f), mouth=m.mouth, talk=m.talk) if plain else m
                            for f, m in zip(back, said)]
            if track.kind is not MotionKind.NONE:
                # an acting figure breathes a whole number of breaths a loop (none in a short one:
                # it holds its breath where the parent's frame had it, rather than gasp at the seam)
                timeline = [replace(f, breath=state.breath + 2 * math.pi * breaths * i / n)
                            for i, f in enumerate(timeline)]
            timelines.append(timeline)

        def looped(j: int) -> list:
            return [t[j] for t in timelines]
        figures = looped
    out = _attach(base, path, figures)
    out.continued = True
    out.loop_frames = n   # periodic overlays (snow) close over this many frames
    if figures is not None:
        # The subject stays in frame: a walker marking time (or lapping) goes nowhere the cued
        # move went, and a truck or pan out and back would leave it off the edge mid-loop. The
        # poses as shown (the renderer's own follow of a walker, then the operator's keep) are
        # the loop's camera; frame n's pose and figures are frame 0's, so it closes too.
        # A sweep goes out the side that needs the least keeping (a pan away from a walker on the
        # frame's edge would be all kept, a camera standing still).
        who = next((k for k, t in enumerate(tracks) if t.start.name == getattr(out, "subject_name", None)), 0)
        subject = [figures(i)[who] for i in range(n + 1)]
        boxes = subject_boxes(subject)
        if getattr(out, "_follow", None) is not None:
            # the loop's own keep (below) frames the subject: the take's catch-up (on the take's
            # clock, not the loop's) would not close
            out._follow = out._follow[:2] + (None,)
        best = None
        for candidate in paths:
            out.path = candidate
            cued = [out.camera_pose(i) for i in range(n + 1)]
            # a subject out of the parent's frame at the loop's start (a chained pan that takes over
            # a walker on the edge) is framed first: the whole move turned by that much, so it
            # sweeps from there rather than being held still by the keep below
            first = keep_in_frame(cued[0], subject[0], boxes, out.width, out.height)
            turn, tilt = _wrap(first.yaw - cued[0].yaw), first.pitch - cued[0].pitch
            if turn or tilt:
                cued = [replace(c, yaw=c.yaw + turn, pitch=c.pitch + tilt) for c in cued]
            kept = [keep_in_frame(c, f, boxes, out.width, out.height) for c, f in zip(cued, subject)]
            turned = sum(abs(_wrap(k.yaw - c.yaw)) + abs(k.pitch - c.pitch) for c, k in zip(cued, kept))
            if best is None or turned < best[0] - 1e-9:
                best = (turned, candidate, kept)
        _, path, shown = best
        out.path = path
        out._follow = None
        if isinstance(path, _RetimedPath):
            path.shown = shown   # its cued progress and clock stay, for an operation on this loop
        else:
            out.path = _PosesPath(shown, n)
    return out


def _wrap(deg: float) -> float:
    return (deg + 180.0) % 360.0 - 180.0


def _lerp_pose(a: CameraPose, b: CameraPose, u: float) -> CameraPose:
    pa, pb = np.asarray(a.position), np.asarray(b.position)
    lens = math.exp(math.log(a.lens_mm) + (math.log(b.lens_mm) - math.log(a.lens_mm)) * u)
    return CameraPose(tuple(float(v) for v in pa + (pb - pa) * u), a.yaw + _wrap(b.yaw - a.yaw) * u,
                      a.pitch + (b.pitch - a.pitch) * u, a.roll + _wrap(b.roll - a.roll) * u, lens)


def _lerp_figure(a: FigureState, b: FigureState, u: float) -> FigureState:
    dist = math.hypot(b.x - a.x, b.z - a.z)
    walking = dist > 0.3
    stride = max(a.stride + (b.stride - a.stride) * u, math.sin(math.pi * u)) if walking else \
        a.stride + (b.stride - a.stride) * u
    phase = a.walk_phase + (dist * u / 1.4 * 2 * math.pi if walking else 0.0)
    return replace(a, x=a.x + (b.x - a.x) * u, z=a.z + (b.z - a.z) * u,
                   heading=a.heading + _wrap(b.heading - a.heading) * u, sit=a.sit + (b.sit - a.sit) * u,
                   run=a.run + (b.run - a.run) * u, stride=stride, walk_phase=phase,
                   gesture=a.gesture + (b.gesture - a.gesture) * u,
                   gesture_phase=a.gesture_phase + (b.gesture_phase - a.gesture_phase) * u,
                   march=a.march + (b.march - a.march) * u)


def _blend(request: GenerationRequest, worlds, simulate):
    opts = request.remix_options()
    a = simulate(_request(opts.get("blend_from"), "first take's"), worlds)
    b = simulate(_request(opts.get("blend_to"), "second take's"), worlds)
    fa = _frame_opt(opts, "blend_from_frame", 0, a.frames - 1)
    fb = _frame_opt(opts, "blend_to_frame", 0, b.frames - 1)
    n = request.frames
    us = [(j + 1) / (n + 1) for j in range(n)]
    us = [u * u * (3 - 2 * u) for u in us]
    # The poses the takes really showed (a walking subject's follow included); the blend's own
    # poses are explicit, so no follow is applied on top of them.
    pa, pb = (getattr(r, "camera_pose", r.path.pose)(f) for r, f in ((a, fa), (b, fb)))
    path = _PosesPath([_lerp_pose(pa, pb, u) for u in us])
    # The transition happens in A's world (its set, props and light): the blend shot's own words may
    # read another place, and a cut that changes the set mid-blend would be a jump, not a blend.
    req_a = _request(opts.get("blend_from"), "first take's")
    base_req = request.plain().with_(plan=req_a.plan, scene=req_a.scene) if not req_a.scene.board_image \
        else request.plain()
    base = simulate(base_req, worlds)
    figures = None
    if hasattr(a, "tracks") or hasattr(b, "tracks"):
        sa = {f.name: f for f in (a.figure_states(fa) if hasattr(a, "tracks") else [])}
        sb = {f.name: f for f in (b.figure_states(fb) if hasattr(b, "tracks") else [])}
        names = list(sa) + [k for k in sb if k not in sa]

        def blended(j: int) -> list:
            u = us[j]
            return [_lerp_figure(sa[k], sb[k], u) if k in sa and k in sb else (sa.get(k) or sb[k]) for k in names]
        figures = blended
    out = _attach(base, path, figures)
    out.continued = True
    out._follow = None
    if hasattr(out, "adopt_looks"):
        # The blended figures are the two takes' own: dressed as they were there (the blend shot's
        # own plan may describe nobody).
        looks = {}
        for r in (b, a):
            if hasattr(r, "looks_by_name"):
                looks.update(r.looks_by_name())
        out.adopt_looks(looks)
    return out


def _variation(request: GenerationRequest, worlds, simulate):
    """The shot's cues performed a little differently, chosen by the seed."""
    rng = np.random.default_rng([int(request.seed) & 0xFFFFFFFF, 0x7A71])
    amount = float(request.remix_options().get("variation", 0.5))
    amount = min(1.0, max(0.0, amount))
    cam = request.camera
    changes: dict[str, Any] = {
        "lens_mm": float(np.clip(cam.lens_mm * (1 + rng.uniform(-0.15, 0.15) * amount), 8.0, 600.0))}
    if cam.move is not CameraMove.STATIC:
        changes["amount"] = float(np.clip(cam.amount * (1 + rng.uniform(-0.35, 0.35) * amount), 0.05, 1.0))
        changes["easing"] = list(Easing)[int(rng.integers(0, len(Easing)))]
    motion = tuple(m.with_(intensity=float(np.clip(m.intensity + rng.uniform(-0.25, 0.25) * amount, 0, 1)))
                   for m in request.motion)
    varied = request.plain().with_(camera=cam.with_(**changes), motion=motion)
    out = simulate(varied, worlds)
    if hasattr(out, "tracks") and not getattr(out, "continued", False):
        # A fresh shot: move the camera's start round the subject and up or down, still aimed at it.
        path = out.path
        start = path.start
        aim = path.subject
        angle = math.radians(rng.uniform(-14, 14) * amount)
        off = np.asarray(start.position) - aim
        rot = np.array([off[0] * math.cos(angle) + off[2] * math.sin(angle), off[1] + rng.uniform(-0.3, 0.3) * amount,
                        -off[0] * math.sin(angle) + off[2] * math.cos(angle)])
        pos = aim + rot
        pos[1] = max(0.2, pos[1])
        yaw, pitch = look_angles(pos, aim)
        new_start = replace(start, position=tuple(float(v) for v in pos), yaw=yaw, pitch=pitch)
        out.path = CameraPath(path.cue, new_start, aim, path.frames, path.fps, request.seed)
    return out


_BUILDERS = {"extend": _extend, "loop": _loop, "blend": _blend, "variation": _variation}


def make_op_renderer(request: GenerationRequest, worlds: dict, simulate: Callable):
    """The renderer of a remix operation; `simulate(request, worlds)` makes the renderers of the
    takes it re-simulates (factory.make_renderer, passed in so this module imports no renderer)."""
    op = str(request.remix_options().get("previs_op") or "")
    if op not in _BUILDERS:
        raise _bad(f"previs cannot do the operation {op!r} (it can: {', '.join(OPS)})")
    return _BUILDERS[op](request, worlds, simulate)
