"""CogVideoX through diffusers: T2V and V2V on a text checkpoint, I2V on an image checkpoint.

Who calls: the backend. CogVideoX has no frame-index conditioning, so first-last frame, keyframes,
continuation and references are refused with the list of models that can.
"""
from __future__ import annotations

from typing import Any

from .loader import LoadedPipeline
from .task import ShotInputs, unsupported

FAMILY = "cogvideox"


def load_class(class_name: str) -> str:
    return class_name


def build_call(loaded: LoadedPipeline, inp: ShotInputs, generator: Any) -> tuple[Any, dict[str, Any]]:
    info = loaded.info
    if inp.references:
        raise unsupported(info.label, "references")
    kwargs: dict[str, Any] = {
        "prompt": inp.prompt, "negative_prompt": inp.negative_prompt or None, "height": inp.height,
        "width": inp.width, "num_inference_steps": inp.steps, "guidance_scale": inp.guidance,
        "use_dynamic_cfg": bool(inp.options.get("use_dynamic_cfg", False)), "generator": generator,
        # The text tokens share the positional table with the video patches: the length is fixed.
        "output_type": "np", "max_sequence_length": int(getattr(loaded.pipe.transformer.config,
                                                                "max_text_seq_length", inp.max_sequence_length))}
    if info.variant == "i2v":
        if inp.task != "i2v":
            raise unsupported(info.label, inp.task)
        return loaded.sibling("CogVideoXImageToVideoPipeline"), {**kwargs, "num_frames": inp.num_frames,
                                                                 "image": inp.first}
    if inp.task == "t2v":
        return loaded.sibling("CogVideoXPipeline"), {**kwargs, "num_frames": inp.num_frames}
    if inp.task == "v2v":
        return loaded.sibling("CogVideoXVideoToVideoPipeline"), {**kwargs, "video": inp.video,
                                                                 "strength": inp.strength}
    raise unsupported(info.label, inp.task)


def latents_cfhw(latents: Any, inp: ShotInputs, loaded: LoadedPipeline) -> Any:
    return latents[0].permute(1, 0, 2, 3)   # [B, F, C, H, W] -> [C, F, H, W]
