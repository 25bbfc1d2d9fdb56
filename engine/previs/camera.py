"""A true pinhole camera and the camera cues executed as paths of poses.

World frame: metres, Y up, X to the right of the initial view, Z away from the initial camera
(the subject stands near the origin, the camera starts on -Z looking +Z). Angles in degrees.
Image frame: OpenCV (x right, y down, principal point at the centre).

Lens: a full-frame sensor 36 mm wide, so f_px = lens_mm / 36 * width. The shot size fixes the
camera distance: the subject's frame height (`ShotSize.frame_height_m`) fills the image height.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Mapping

import numpy as np

from ..cues import MOVE_SPAN, Angle, CameraCue, CameraMove, ShotSize

SENSOR_WIDTH_MM = 36.0
EYE_HEIGHT_M = 1.6
NEAR_M = 0.05
MIN_CAMERA_HEIGHT_M = 0.15


@dataclass(frozen=True)
class CameraPose:
    position: tuple[float, float, float]
    yaw: float = 0.0     # + turns right (toward +X)
    pitch: float = 0.0   # + looks up
    roll: float = 0.0    # + rotates the image clockwise
    lens_mm: float = 35.0

    def basis(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """right, up, forward unit vectors in world coordinates."""
        y, p, r = (math.radians(a) for a in (self.yaw, self.pitch, self.roll))
        fwd = np.array([math.sin(y) * math.cos(p), math.sin(p), math.cos(y) * math.cos(p)])
        right = np.array([math.cos(y), 0.0, -math.sin(y)])
        up = np.array([-math.sin(y) * math.sin(p), math.cos(p), -math.cos(y) * math.sin(p)])
        if r:
            right, up = right * math.cos(r) - up * math.sin(r), right * math.sin(r) + up * math.cos(r)
        return right, up, fwd

    def world_to_camera(self) -> tuple[np.ndarray, np.ndarray]:
        """(R, C): camera coordinates of world points P are (P - C) @ R.T (x right, y down, z forward)."""
        right, up, fwd = self.basis()
        return np.stack([right, -up, fwd]), np.asarray(self.position, dtype=np.float64)

    def focal_px(self, width: int) -> float:
        return self.lens_mm / SENSOR_WIDTH_MM * width

    def to_dict(self) -> dict[str, Any]:
        return {"position": [float(v) for v in self.position], "yaw": float(self.yaw), "pitch": float(self.pitch),
                "roll": float(self.roll), "lens_mm": float(self.lens_mm)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "CameraPose":
        pos = tuple(float(v) for v in data["position"])
        if len(pos) != 3:
            raise ValueError("camera position needs three coordinates")
        return cls(pos, float(data.get("yaw", 0.0)), float(data.get("pitch", 0.0)), float(data.get("roll", 0.0)),
                   float(data.get("lens_mm", 35.0)))


def look_angles(position: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    """yaw, pitch that aim a camera at `position` toward `target`."""
    d = np.asarray(target, dtype=np.float64) - np.asarray(position, dtype=np.float64)
    yaw = math.degrees(math.atan2(d[0], d[2]))
    pitch = math.degrees(math.atan2(d[1], math.hypot(d[0], d[2])))
    return yaw, pitch


def subject_distance(shot_size: ShotSize, lens_mm: float, width: int, height: int) -> float:
    """Distance at which `shot_size.frame_height_m` of the subject fills the image height."""
    sensor_h = SENSOR_WIDTH_MM * height / width
    return shot_size.frame_height_m * lens_mm / sensor_h


def framing_centre_height(shot_size: ShotSize, figure_height: float = 1.75) -> float:
    """The height the frame centres on: the top of the head plus a little headroom, minus half the frame."""
    fh = shot_size.frame_height_m
    if fh <= 0.2:  # extreme close-up: the eye line
        return figure_height * 0.94
    top = figure_height + 0.08 * fh
    # Wide sizes would centre below the knees (or the ground): hold the centre at mid-figure instead.
    return max(top - fh * 0.5, min(0.9, figure_height * 0.5))


def initial_pose(cue: CameraCue, subject: tuple[float, float, float], width: int, height: int,
                 subject_heading_deg: float = 180.0, figure_height: float = 1.75) -> tuple[CameraPose, np.ndarray]:
    """Where a fresh shot's camera stands: framing from the shot size, height/tilt from the angle.

    Returns the pose and the aim point (on the subject, at the framing height). The camera faces the
    subject's front (heading 180 = the figure looks toward -Z, i.e. at a camera on -Z).
    """
    dist = subject_distance(cue.shot_size, cue.lens_mm, width, height)
    centre = framing_centre_height(cue.shot_size, figure_height)
    target = np.array([subject[0], centre, subject[2]], dtype=np.float64)
    if cue.angle is Angle.HIGH:
        elevation = 30.0
    elif cue.angle is Angle.LOW:
        elevation = -math.degrees(math.asin(min(0.9, (centre - 0.35) / dist))) if centre > 0.35 else -5.0
    elif cue.angle is Angle.OVERHEAD:
        elevation = 80.0
    else:  # eye level (and dutch): the lens at eye height for wide shots, at the framing height for close ones
        eye = EYE_HEIGHT_M if cue.shot_size.frame_height_m >= 1.45 else centre
        elevation = math.degrees(math.asin(max(-0.9, min(0.9, (eye - centre) / dist))))
    heading = math.radians(subject_heading_deg)
    facing = np.array([math.sin(heading), 0.0, math.cos(heading)])  # where the subject looks
    e = math.radians(elevation)
    position = target + dist * (math.cos(e) * facing + np.array([0.0, math.sin(e), 0.0]))
    position[1] = max(MIN_CAMERA_HEIGHT_M, position[1])
    yaw, pitch = look_angles(position, target)
    roll = 12.0 if cue.angle is Angle.DUTCH else 0.0
    return CameraPose(tuple(position.tolist()), yaw, pitch, roll, cue.lens_mm), target


def turned_about(point: np.ndarray, pivot: np.ndarray, angle_deg: float) -> np.ndarray:
    """A world point turned about the vertical axis through `pivot` by `angle_deg` in the yaw sense
    (its bearing from the pivot, atan2(dx, dz), grows by the angle)."""
    a = math.radians(angle_deg)
    off = np.asarray(point, dtype=np.float64) - np.asarray(pivot, dtype=np.float64)
    rot = np.array([off[0] * math.cos(a) + off[2] * math.sin(a), off[1],
                    -off[0] * math.sin(a) + off[2] * math.cos(a)])
    return np.asarray(pivot, dtype=np.float64) + rot


def orbited(pose: CameraPose, pivot: np.ndarray, angle_deg: float) -> CameraPose:
    """The camera carried round the vertical axis through `pivot`: what it sees turns with it (an
    orbit move about the subject; an operator going round a spiral stair's column with the climber)."""
    return replace(pose, position=_tuple(turned_about(pose.position, pivot, angle_deg)), yaw=pose.yaw + angle_deg)


def dolly_zoom(pose: CameraPose, aim: np.ndarray, k: float) -> CameraPose:
    """The camera moved along its line to `aim` to k times the distance, the lens widened by as much:
    what is at the aim keeps its size in the frame (an operator who cannot stand further back)."""
    aim = np.asarray(aim, dtype=np.float64)
    new = aim + (np.asarray(pose.position, dtype=np.float64) - aim) * k
    return replace(pose, position=_tuple(new), lens_mm=pose.lens_mm * k)


def out_of_ring(pose: CameraPose, aim: np.ndarray, centre, radius: float) -> CameraPose:
    """A camera standing within `radius` of the vertical axis through `centre` (a spiral stair's
    treads) backed off along its line to `aim` until it stands at `radius`, on a lens as much longer
    (dolly_zoom): the framing at the aim holds. `aim` itself is inside the ring; otherwise unchanged."""
    aim = np.asarray(aim, dtype=np.float64)
    c = np.array([float(centre[0]), float(centre[-1])])
    v = (np.asarray(pose.position, dtype=np.float64) - aim)[[0, 2]]
    w = aim[[0, 2]] - c
    a, b, c0 = float(v @ v), float(w @ v), float(w @ w) - radius * radius
    if a < 1e-12 or c0 >= 0.0:
        return pose
    k = (-b + math.sqrt(b * b - a * c0)) / a   # |w + v k| = radius, the root ahead of the camera
    return dolly_zoom(pose, aim, k) if k > 1.0 else pose


class CameraPath:
    """The camera cue executed over the shot, relative to the start pose (so a continuation starts
    exactly where the previous take ended). `pose(i)` is pure: frame i's pose depends only on i."""

    def __init__(self, cue: CameraCue, start: CameraPose, subject: np.ndarray, frames: int, fps: float,
                 seed: int, focus: np.ndarray | None = None, span: float | None = None):
        """`subject`: the point the frame centres on. `focus` (the framing solver's): the face or
        detail a dolly in or a zoom in ends on, travelling toward it while the aim drifts onto it.
        `span`: the move's span in MOVE_SPAN units when the solver capped it to keep the subject in."""
        self.cue, self.start, self.frames, self.fps = cue, start, frames, float(fps)
        self.subject = np.asarray(subject, dtype=np.float64)
        self.focus = None if focus is None else np.asarray(focus, dtype=np.float64)
        self.span = MOVE_SPAN[cue.move][0] * cue.amount if span is None else float(span)
        if self.focus is not None:
            yaw0, pitch0 = look_angles(np.asarray(start.position, dtype=np.float64), self.subject)
            self._offset = (start.yaw - yaw0, start.pitch - pitch0)
        self._shake = _Shake(seed) if cue.move is CameraMove.HANDHELD else None

    def progress(self, i: int) -> float:
        t = i / (self.frames - 1) if self.frames > 1 else 0.0
        return self.cue.easing.apply(t)

    def time(self, i: int) -> float:
        """Frame i's clock in seconds (the shake's; a retimed path keeps its source's)."""
        return i / self.fps

    def pose(self, i: int) -> CameraPose:
        return self.pose_at(self.progress(i), self.time(i))

    def pose_at(self, s: float, t: float) -> CameraPose:
        """The pose at move progress `s` (0 start .. 1 end of the cue; remix operations go beyond
        and back) and time `t` seconds (the handheld shake's clock)."""
        cue, start, sign = self.cue, self.start, self.cue.sign
        pos = np.asarray(start.position, dtype=np.float64)
        right, _up, fwd = replace(start, roll=0.0).basis()
        move = cue.move
        if move is CameraMove.PAN:
            return replace(start, yaw=start.yaw + sign * self.span * s)
        if move is CameraMove.TILT:
            return replace(start, pitch=_clamp_pitch(start.pitch + sign * self.span * s))
        if self.focus is not None and move in (CameraMove.DOLLY_IN, CameraMove.ZOOM_IN):
            return self._onto_focus(pos, s)
        if move in (CameraMove.DOLLY_IN, CameraMove.DOLLY_OUT):
            # Along the optical axis, by a fraction of the distance to the subject along that axis.
            along = max(0.3, float(np.dot(self.subject - pos, fwd)))
            step = self.span * along * s * (1.0 if move is CameraMove.DOLLY_IN else -1.0)
            return replace(start, position=_tuple(pos + fwd * step))
        if move is CameraMove.TRUCK:
            flat = np.array([right[0], 0.0, right[2]])
            flat /= max(1e-9, np.linalg.norm(flat))
            return replace(start, position=_tuple(pos + flat * sign * self.span * s))
        if move is CameraMove.PEDESTAL:
            y = max(MIN_CAMERA_HEIGHT_M, pos[1] + sign * self.span * s)
            return replace(start, position=(pos[0], y, pos[2]))
        if move is CameraMove.CRANE:
            y = max(MIN_CAMERA_HEIGHT_M, pos[1] + sign * self.span * s)
            new = np.array([pos[0], y, pos[2]])
            # Hold the subject: tilt by how much the aim at it changed (relative, so frame 0 is exact).
            _, p0 = look_angles(pos, self.subject)
            _, p1 = look_angles(new, self.subject)
            return replace(start, position=_tuple(new), pitch=_clamp_pitch(start.pitch + p1 - p0))
        if move is CameraMove.ZOOM_IN:
            return replace(start, lens_mm=start.lens_mm * (1.0 + self.span * s))
        if move is CameraMove.ZOOM_OUT:
            return replace(start, lens_mm=start.lens_mm * (1.0 - self.span * s))
        if move is CameraMove.ORBIT:
            # Rotate the whole rig about the vertical axis through the subject; + moves the camera to its right.
            return orbited(start, self.subject, -sign * self.span * s)
        if move is CameraMove.HANDHELD and self._shake is not None:
            d = self._shake.at(t) - self._shake.at(0.0)
            k = cue.amount
            offset = right * d[3] * 0.03 * k + np.array([0.0, d[4] * 0.02 * k, 0.0])
            return replace(start, position=_tuple(pos + offset), yaw=start.yaw + d[0] * 1.4 * k,
                           pitch=start.pitch + d[1] * 0.9 * k, roll=start.roll + d[2] * 0.7 * k)
        return start


    def _onto_focus(self, pos: np.ndarray, s: float) -> CameraPose:
        """Dolly in / zoom in relative to the subject: travel (or zoom) by a fraction of the distance to
        the face while the aim drifts from the framing centre onto it, so the move ends on the face."""
        start, focus = self.start, self.focus
        aim = self.subject + (focus - self.subject) * min(1.0, max(0.0, s))
        if self.cue.move is CameraMove.DOLLY_IN:
            to_face = focus - pos
            dist = float(np.linalg.norm(to_face))
            new = pos + to_face / max(dist, 1e-9) * min(self.span, 0.95) * dist * s
            lens = start.lens_mm
        else:
            new, lens = pos, start.lens_mm * (1.0 + self.span * s)
        yaw, pitch = look_angles(new, aim)
        return replace(start, position=_tuple(new), yaw=yaw + self._offset[0],
                       pitch=_clamp_pitch(pitch + self._offset[1]), lens_mm=lens)


class _Shake:
    """Seeded smooth operator shake: five channels (yaw, pitch, roll, x, y), each a sum of three sines."""

    def __init__(self, seed: int):
        rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, 0x5A4B])
        self.freq = rng.uniform(0.35, 2.6, size=(5, 3))
        self.phase = rng.uniform(0, 2 * math.pi, size=(5, 3))
        self.weight = rng.uniform(0.4, 1.0, size=(5, 3)) / np.array([1.0, 1.6, 2.4])

    def at(self, t: float) -> np.ndarray:
        return (self.weight * np.sin(2 * math.pi * self.freq * t + self.phase)).sum(axis=1)


def _clamp_pitch(p: float) -> float:
    return max(-89.0, min(89.0, p))


def _tuple(v: np.ndarray) -> tuple[float, float, float]:
    return float(v[0]), float(v[1]), float(v[2])
