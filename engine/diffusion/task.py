"""What one shot asks of a model, resolved to model frames and working-size images.

Who calls: the backend builds a `ShotInputs` from the request; the family modules (wan, ltx,
cogvideox) turn it into their pipeline's arguments. `choose_task` is also what the studio can use
to grey out models that cannot do a shot (it needs no torch and no images).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import EngineError, ErrorKind
from ..jobs import Conditioning
from .registry import Capability, VARIANTS, FAMILIES

C = Capability
TASK_NEEDS = {"t2v": C.T2V, "i2v": C.I2V, "flf2v": C.FLF2V, "keyframes": C.KEYFRAMES, "continue": C.CONTINUE,
              "v2v": C.V2V}
TASK_WORDS = {"t2v": "text-to-video", "i2v": "start from an image (I2V)",
              "flf2v": "first and last frame", "keyframes": "keyframes at frame indices",
              "continue": "continue a clip", "v2v": "video-to-video remix", "references": "reference images"}


@dataclass(frozen=True)
class Keyed:
    """An image pinned at an OUTPUT frame index (project fps), before mapping to model frames."""
    index: int
    path: str
    strength: float = 1.0


def choose_task(cond: Conditioning, frames: int) -> tuple[str, list[Keyed]]:
    """The task a conditioning asks for, and the pinned images (first/last folded into keyframes).

    A keyframe list that pins only frame 0 and/or the last frame is I2V / first-last-frame, so
    models without free keyframes can still take it.
    """
    if cond.video:
        if cond.strength is not None:
            return "v2v", []
        if cond.video_frames > 0:
            return "continue", []
        raise EngineError(ErrorKind.BAD_INPUT, "a conditioning video needs video_frames (continue the clip) or a "
                                               "strength (remix it)")
    keyed: dict[int, Keyed] = {}
    if cond.first_frame:
        keyed[0] = Keyed(0, cond.first_frame)
    for k in cond.keyframes:
        if k.is_video:
            raise EngineError(ErrorKind.UNSUPPORTED, "a clip pinned at a frame index is not supported; "
                                                     "use the conditioning video to continue a clip")
        if not 0 <= k.frame_index < frames:
            raise EngineError(ErrorKind.BAD_INPUT, f"keyframe at frame {k.frame_index} is outside the shot "
                                                   f"(0..{frames - 1})")
        keyed[k.frame_index] = Keyed(k.frame_index, k.path, float(k.strength))
    if cond.last_frame:
        keyed[frames - 1] = Keyed(frames - 1, cond.last_frame)
    pins = sorted(keyed.values(), key=lambda k: k.index)
    indices = {k.index for k in pins}
    full = all(k.strength >= 1.0 for k in pins)
    if not pins:
        return "t2v", []
    if indices == {0} and full:
        return "i2v", pins
    if indices == {0, frames - 1} and full and frames > 1:
        return "flf2v", pins
    return "keyframes", pins


def needed_capabilities(task: str, cond: Conditioning) -> list[Capability]:
    needs = [TASK_NEEDS[task]]
    if cond.references:
        needs.append(C.REFERENCES)
    return needs


def unsupported(label: str, task_or_cap: str) -> EngineError:
    """'<model> cannot do <what>; models that can: ...' listing the known model kinds."""
    cap = TASK_NEEDS.get(task_or_cap, None) or Capability(task_or_cap)
    kinds = []
    for v in VARIANTS.values():
        name = f"{FAMILIES[v.family].label} ({v.class_name})"
        if cap in v.capabilities and v.driven and name not in kinds:
            kinds.append(name)
    what = TASK_WORDS.get(task_or_cap, task_or_cap)
    return EngineError(ErrorKind.UNSUPPORTED, f"{label} cannot do {what}; models that can: {', '.join(kinds)}",
                       "Pick one of those models for this shot, or change its continuity setting.")


@dataclass
class ShotInputs:
    """Everything a family module needs, in model terms (working size, model frames, PIL images)."""
    task: str
    prompt: str
    negative_prompt: str
    width: int
    height: int
    num_frames: int
    steps: int
    guidance: float
    seed: int
    native_fps: float
    max_sequence_length: int
    images: list[tuple[int, Any, float]] = field(default_factory=list)   # (model frame, PIL, strength)
    video: list[Any] = field(default_factory=list)                      # PIL frames (continue / v2v)
    strength: float | None = None                                       # v2v: how much to change
    references: list[Any] = field(default_factory=list)                 # PIL
    control: list[Any] = field(default_factory=list)                    # PIL per model frame (previs guide)
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def first(self) -> Any:
        return next((img for i, img, _ in self.images if i == 0), None)

    @property
    def last(self) -> Any:
        return next((img for i, img, _ in self.images if i == self.num_frames - 1), None)
