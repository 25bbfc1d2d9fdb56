"""Previs-guided generation: the shot's previs control passes become the control video of a model that
takes one (Wan VACE: control video + mask; LTX-2 with an IC-LoRA: reference tokens through
LTX2InContextPipeline), so the exact camera path and blocking reach the model instead of prompt words
it may ignore.

Option `control` (request.options), filled by the studio from the shot's previs take:
  {"mode": "camera" | "camera_blocking", "video": <depth pass, or the previs picture>,
   "kind": "depth" | "rgb", "pose": <pose pass video, optional>, "take_id": <the previs take>}
mode camera            the depth pass (near = bright): the set and the camera move, figures included
                       as depth only
mode camera_blocking   the depth pass with the pose pass drawn over it: where each figure stands,
                       faces and moves
A previs take without passes (the renderer before control passes) gives its own picture ("rgb"), which
VACE takes as a layout video. The control frames are sampled at the model's frame rate over the shot's
output frames, scaled and cropped to the working size like every other conditioning.
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

    def describe(self) -> dict[str, Any]:
        return {"mode": self.mode, "video": self.video, "kind": self.kind, "pose": self.pose, "take_id": self.take_id}


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
    return ControlSpec(mode, str(value["video"]), kind, str(value.get("pose") or ""), str(value.get("take_id") or ""))


def control_frames(spec: ControlSpec, count: int, dst_fps: Fraction, size: Any) -> list[np.ndarray]:
    """`count` RGB frames at the working size, sampled at `dst_fps` from the start of the pass."""
    from . import conform
    from .media import read_clip, retime
    frames, fps = read_clip(spec.video)
    picked = retime(frames, fps, dst_fps, count)
    if spec.mode == "camera_blocking" and spec.pose:
        pose, pose_fps = read_clip(spec.pose)
        drawn = retime(pose, pose_fps, dst_fps, count)
        picked = [np.maximum(a, b) for a, b in zip(picked, drawn)]     # the skeletons over the depth
    return [conform.to_model(_rgb(f), size) for f in picked]


def _rgb(frame: np.ndarray) -> np.ndarray:
    return np.repeat(frame[..., None], 3, axis=2) if frame.ndim == 2 else frame
