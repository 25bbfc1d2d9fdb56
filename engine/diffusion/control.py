"""Previs-guided generation: the shot's previs control passes become the control video of a model that
takes one (Wan VACE: control video + mask; LTX-2 with an IC-LoRA: reference tokens through
LTX2InContextPipeline), so the exact camera path and blocking reach the model instead of prompt words
it may ignore.

Option `control` (request.options), filled by the studio from the shot's previs take:
  {"mode": "camera" | "camera_blocking", "video": <depth pass, or the previs picture>,
   "kind": "depth" | "rgb", "pose": <pose pass video, optional>, "mask": <mask pass video, optional>,
   "figures": [[r, g, b], ...] (the mask colours of the figures, not the props), "take_id": <the previs take>}
mode camera            the camera path without the blocking: the depth pass with the figures taken out
                       (their mask pixels in-painted from the set around them, OpenCV's Telea in-painting),
                       so the model gets the set and the camera move but is free to place the people
mode camera_blocking   the full depth pass (figures included) with the pose pass drawn over it: where each
                       figure stands, faces and moves
A previs take without passes (the renderer before control passes) gives its own picture ("rgb"), which
VACE takes as a layout video (the same for both modes: a picture has no separable figures). The control
frames are sampled at the model's frame rate over the shot's output frames, scaled and cropped to the
working size like every other conditioning.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Mapping

import numpy as np

from ..errors import EngineError, ErrorKind

MODES = ("camera", "camera_blocking")


@dataclass(frozen=True)
class ControlSpec:
    mode: str
    video: str
    kind: str = "depth"
    pose: str = ""
    take_id: str = ""
    mask: str = ""
    figures: tuple[tuple[int, int, int], ...] = ()

    def describe(self) -> dict[str, Any]:
        return {"mode": self.mode, "video": self.video, "kind": self.kind, "pose": self.pose, "take_id": self.take_id,
                "mask": self.mask, "figures": [list(c) for c in self.figures]}


def parse_control(value: Any) -> ControlSpec | None:
    if not value:
        return None
    if not isinstance(value, Mapping) or not value.get("video"):
        raise EngineError(ErrorKind.BAD_INPUT, "control needs a video (the previs take's depth pass)")
    mode = str(value.get("mode") or "camera")
    if mode == "off":
        return None
    if mode not in MODES:
        raise EngineError(ErrorKind.BAD_INPUT, f"follow previs {mode!r} is not one of off, {', '.join(MODES)}")
    kind = str(value.get("kind") or "depth")
    if kind not in ("depth", "rgb"):
        raise EngineError(ErrorKind.BAD_INPUT, f"control kind {kind!r} is not depth or rgb")
    try:
        figures = tuple(tuple(int(v) for v in colour)[:3] for colour in value.get("figures") or ())
    except (TypeError, ValueError):
        raise EngineError(ErrorKind.BAD_INPUT, "control figures must be [r, g, b] mask colours") from None
    return ControlSpec(mode, str(value["video"]), kind, str(value.get("pose") or ""), str(value.get("take_id") or ""),
                       str(value.get("mask") or ""), figures)


def control_frames(spec: ControlSpec, count: int, dst_fps: Fraction, size: Any) -> list[np.ndarray]:
    """`count` RGB frames at the working size, sampled at `dst_fps` from the start of the pass."""
    from . import conform
    from .media import read_clip, retime
    frames, fps = read_clip(spec.video)
    picked = retime(frames, fps, dst_fps, count)
    if spec.mode == "camera" and spec.mask and spec.kind == "depth":
        masks, mask_fps = read_clip(spec.mask)
        picked = [without_figures(d, m, spec.figures) for d, m in zip(picked, retime(masks, mask_fps, dst_fps, count))]
    if spec.mode == "camera_blocking" and spec.pose:
        pose, pose_fps = read_clip(spec.pose)
        drawn = retime(pose, pose_fps, dst_fps, count)
        picked = [np.maximum(a, b) for a, b in zip(picked, drawn)]     # the skeletons over the depth
    return [conform.to_model(_rgb(f), size) for f in picked]


def _rgb(frame: np.ndarray) -> np.ndarray:
    return np.repeat(frame[..., None], 3, axis=2) if frame.ndim == 2 else frame


# h264 smears the flat mask colours at their edges: a pixel within this of a figure colour is that
# figure, and the region grows by 2 px so no rim of the figure's (anti-aliased) depth is left behind.
_MASK_TOLERANCE = 60


def figure_pixels(mask: np.ndarray, figures: tuple = ()) -> np.ndarray:
    """Where the figures are in a mask pass frame (bool HxW). Without their colours, every non-black
    pixel counts (figures and props: more is taken out, nothing of a figure is left)."""
    import cv2
    rgb = _rgb(mask).astype(np.int16)
    if figures:
        hit = np.zeros(rgb.shape[:2], bool)
        for colour in figures:
            hit |= np.abs(rgb - np.array(colour, np.int16)).max(axis=2) <= _MASK_TOLERANCE
    else:
        hit = rgb.max(axis=2) > _MASK_TOLERANCE
    return cv2.dilate(hit.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)


def without_figures(depth: np.ndarray, mask: np.ndarray, figures: tuple = ()) -> np.ndarray:
    """The depth frame with the figures' pixels in-painted from the set around them."""
    import cv2
    depth = _rgb(depth)
    if mask.shape[:2] != depth.shape[:2]:
        mask = cv2.resize(mask, (depth.shape[1], depth.shape[0]), interpolation=cv2.INTER_NEAREST)
    hole = figure_pixels(mask, figures)
    if not hole.any():
        return depth
    return cv2.inpaint(np.ascontiguousarray(depth), hole.astype(np.uint8) * 255, 3, cv2.INPAINT_TELEA)
