"""SkyReels-V2 through diffusers: text-to-video, and long shots by diffusion forcing.

Who calls: the backend. A SkyReelsV2DiffusionForcingPipeline folder generates a shot longer than its
window (`base_num_frames`, 97 by default: what it was trained on) as overlapping windows, each
continuing the last `overlap_history` frames of the one before, so a long shot does not drift the way
one oversized window does. Options: base_num_frames, overlap_history (default 17), ar_step (0 =
synchronous; >0 = asynchronous diffusion forcing).
"""
from __future__ import annotations

from typing import Any

from .loader import LoadedPipeline
from .task import ShotInputs, unsupported

FAMILY = "skyreels"


def load_class(class_name: str) -> str:
    return class_name


def _frames_rule(n: int, step: int) -> int:
    return max(1, (n - 1) // step * step + 1)


def build_call(loaded: LoadedPipeline, inp: ShotInputs, generator: Any) -> tuple[Any, dict[str, Any]]:
    info = loaded.info
    if inp.references or inp.task != "t2v":
        raise unsupported(info.label, "references" if inp.references else inp.task)
    kwargs: dict[str, Any] = {
        "prompt": inp.prompt, "negative_prompt": inp.negative_prompt or None, "height": inp.height,
        "width": inp.width, "num_frames": inp.num_frames, "num_inference_steps": inp.steps,
        "guidance_scale": inp.guidance, "generator": generator, "output_type": "np",
        "max_sequence_length": inp.max_sequence_length}
    if "DiffusionForcing" in type(loaded.pipe).__name__:
        base = _frames_rule(int(inp.options.get("base_num_frames") or min(inp.num_frames, info.spec.max_frames)),
                            info.frame_step)
        kwargs.update(base_num_frames=base, ar_step=int(inp.options.get("ar_step", 0)),
                      fps=int(round(inp.native_fps)))
        if inp.num_frames > base:
            kwargs["overlap_history"] = int(inp.options.get("overlap_history", 17))
    return loaded.pipe, kwargs


def latents_cfhw(latents: Any, inp: ShotInputs, loaded: LoadedPipeline) -> Any:
    return latents[0]   # [B, C, F, H, W]
