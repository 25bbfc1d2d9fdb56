"""Between the project's frame and the model's: frame rules, size multiples and frame rates.

Who calls: the diffusion backend, before generation (how many frames at what size to ask the model
for, how to fit conditioning images) and after it (turn the model's clip at its native fps and
working size into exactly `request.frames` frames of `request.width` x `request.height` at the
project fps). numpy + OpenCV only; no torch.

Frame rates: output frame i is shown at t = i / fps_project; it samples the model clip at position
t * fps_native (in model frames). 'drop' takes the nearest frame, 'blend' cross-fades the two
neighbours, 'interpolate' warps both neighbours along dense optical flow (OpenCV Farnebäck) and
cross-fades the warped pair — smoother motion at the cost of ~10 ms per frame at 480p.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterator, Sequence

import cv2
import numpy as np

from ..errors import EngineError, ErrorKind
from .registry import rule_frames

CONFORM_MODES = ("blend", "interpolate", "drop")


@dataclass(frozen=True)
class FramePlan:
    model_frames: int           # what the model is asked for (satisfies its rule)
    skip: int                   # model frames dropped at the start (the continuation overlap)
    positions: tuple[float, ...]  # for each output frame, where it samples the model clip (after skip)


def plan_frames(frames: int, fps: Fraction, native_fps: Fraction, frame_step: int, *, skip: int = 0,
                conform_fps: bool = True) -> FramePlan:
    """Model frames covering `frames` output frames at `fps`, rounded up to the model's rule.

    `skip`: leading model frames that belong to a clip being continued; the output starts at the
    last of them (so a continued shot starts on the previous shot's last frame, like I2V does).
    With conform_fps=False the model frames are shown one per output frame (a speed change).
    """
    ratio = Fraction(native_fps) / Fraction(fps) if conform_fps else Fraction(1)
    positions = tuple(float(i * ratio) for i in range(frames))
    needed = math.floor(positions[-1] + 1e-9) + (1 if positions[-1] == int(positions[-1]) else 2)
    model_frames = rule_frames(needed + skip, frame_step)
    return FramePlan(model_frames=model_frames, skip=skip, positions=positions)


@dataclass(frozen=True)
class SizePlan:
    """Generate at gen_w x gen_h (multiples of the model's), deliver out_w x out_h.

    resize=False: the working size is the project size rounded to the multiple, so the frame is
    centre-cropped or edge-padded back without resampling. resize=True: the working size is smaller
    (the model's trained area); frames are scaled to cover the project size, then centre-cropped.
    """
    gen_w: int
    gen_h: int
    out_w: int
    out_h: int
    resize: bool


def _round_to(value: float, multiple: int) -> int:
    # half-way rounds up: cropping real pixels beats padding invented ones
    return max(multiple, int(math.floor(value / multiple + 0.5)) * multiple)


def plan_size(width: int, height: int, multiple: int, *, max_area: int | None = None,
              working: tuple[int, int] | None = None) -> SizePlan:
    """The working size for a project size. `working` forces one; `max_area` caps the pixel count."""
    if working is not None:
        gw, gh = (_round_to(v, multiple) for v in working)
        return SizePlan(gw, gh, width, height, resize=(gw, gh) != (width, height))
    if max_area and width * height > max_area:
        scale = math.sqrt(max_area / (width * height))
        return SizePlan(_round_to(width * scale, multiple), _round_to(height * scale, multiple), width, height,
                        resize=True)
    return SizePlan(_round_to(width, multiple), _round_to(height, multiple), width, height, resize=False)


def parse_working_size(value) -> tuple[int, int] | None:
    """'832x480' or (832, 480) -> (832, 480); None/'' -> None."""
    if value in (None, "", "auto"):
        return None
    try:
        if isinstance(value, str):
            w, h = value.lower().split("x")
            return int(w), int(h)
        w, h = value
        return int(w), int(h)
    except (ValueError, TypeError):
        raise EngineError(ErrorKind.BAD_INPUT, f"working size {value!r} is not WIDTHxHEIGHT") from None


def _crop_or_pad(frame: np.ndarray, out_w: int, out_h: int) -> np.ndarray:
    h, w = frame.shape[:2]
    if h > out_h:
        top = (h - out_h) // 2
        frame = frame[top:top + out_h]
    if w > out_w:
        left = (w - out_w) // 2
        frame = frame[:, left:left + out_w]
    h, w = frame.shape[:2]
    if (h, w) != (out_h, out_w):
        top, left = (out_h - h) // 2, (out_w - w) // 2
        frame = cv2.copyMakeBorder(frame, top, out_h - h - top, left, out_w - w - left, cv2.BORDER_REPLICATE)
    return np.ascontiguousarray(frame)


def cover(frame: np.ndarray, out_w: int, out_h: int) -> np.ndarray:
    """Scale to cover out_w x out_h keeping the aspect, then centre-crop."""
    h, w = frame.shape[:2]
    if (w, h) == (out_w, out_h):
        return frame
    scale = max(out_w / w, out_h / h)
    new_w, new_h = max(out_w, round(w * scale)), max(out_h, round(h * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return _crop_or_pad(cv2.resize(frame, (new_w, new_h), interpolation=interp), out_w, out_h)


def to_output(frame: np.ndarray, plan: SizePlan) -> np.ndarray:
    """A model frame (gen size, RGB uint8) -> the project size."""
    if plan.resize:
        return cover(frame, plan.out_w, plan.out_h)
    return _crop_or_pad(frame, plan.out_w, plan.out_h)


def to_model(image: np.ndarray, plan: SizePlan) -> np.ndarray:
    """A conditioning image (any size, RGB uint8) -> the working size, framed like the output.

    The inverse of `to_output` for project-sized images, so a previous take's last frame lands on
    the same pixels it came from.
    """
    h, w = image.shape[:2]
    if not plan.resize and (w, h) == (plan.out_w, plan.out_h):
        return _crop_or_pad(image, plan.gen_w, plan.gen_h)
    return cover(image, plan.gen_w, plan.gen_h)


def to_uint8(frames: np.ndarray) -> np.ndarray:
    """Float frames in [0, 1] (diffusers 'np' output) -> uint8."""
    if frames.dtype == np.uint8:
        return frames
    return (np.clip(frames, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


class _Flow:
    """Farnebäck flow between neighbouring frames, computed once per pair."""

    def __init__(self, frames: Sequence[np.ndarray]):
        self.frames = frames
        self._gray: dict[int, np.ndarray] = {}
        self._flow: dict[int, np.ndarray] = {}

    def gray(self, i: int) -> np.ndarray:
        if i not in self._gray:
            self._gray[i] = cv2.cvtColor(self.frames[i], cv2.COLOR_RGB2GRAY)
        return self._gray[i]

    def between(self, a: int) -> np.ndarray:
        if a not in self._flow:
            self._flow = {a: cv2.calcOpticalFlowFarneback(self.gray(a), self.gray(a + 1), None, 0.5, 3, 15, 3, 5,
                                                           1.2, 0)}
        return self._flow[a]


def _warp(frame: np.ndarray, flow: np.ndarray, factor: float) -> np.ndarray:
    h, w = frame.shape[:2]
    grid_x, grid_y = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    map_x = grid_x + flow[..., 0] * factor
    map_y = grid_y + flow[..., 1] * factor
    return cv2.remap(frame, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def resample(frames: Sequence[np.ndarray], positions: Sequence[float], mode: str = "blend") -> Iterator[np.ndarray]:
    """Yield one frame per position (model-frame units) from uint8 RGB `frames`."""
    if mode not in CONFORM_MODES:
        raise EngineError(ErrorKind.BAD_INPUT, f"frame-rate conform {mode!r} is not one of {', '.join(CONFORM_MODES)}")
    last = len(frames) - 1
    flow = _Flow(frames) if mode == "interpolate" else None
    for pos in positions:
        pos = min(max(pos, 0.0), float(last))
        a = int(math.floor(pos + 1e-6))
        t = pos - a
        if t < 1e-3 or a >= last:
            yield frames[min(a, last)]
            continue
        if t > 1 - 1e-3:
            yield frames[a + 1]
            continue
        if mode == "drop":
            yield frames[a + 1] if t >= 0.5 else frames[a]
        elif mode == "blend":
            yield cv2.addWeighted(frames[a], 1.0 - t, frames[a + 1], t, 0.0)
        else:
            f_ab = flow.between(a)
            # Pull from a backwards along the flow and from b forwards, then cross-fade.
            from_a = _warp(frames[a], f_ab, -t)
            from_b = _warp(frames[a + 1], f_ab, 1.0 - t)
            yield cv2.addWeighted(from_a, 1.0 - t, from_b, t, 0.0)
