"""HunyuanVideo 1.5 through diffusers: text-to-video and image-to-video.

Who calls: the backend. The pipeline takes its classifier-free guidance from its `guider` component
(not a guidance_scale argument), so each shot sets the guider's scale; it has no step callback, so the
backend follows the steps from the transformer's calls (backend._StepsFromTransformer).
The I2V pipeline takes no height/width: it crops the image to the bucket of its transformer's
`target_size` (480 or 720 in the published folders) nearest the image's aspect, so that bucket is the
working size (`working_size` below) and the frames are scaled back to the project size.
"""
from __future__ import annotations

from typing import Any

from .loader import LoadedPipeline
from .task import ShotInputs, unsupported

FAMILY = "hunyuan15"
STEP_CALLBACK = False


def load_class(class_name: str) -> str:
    return class_name


def working_size(info: Any, plan: Any) -> Any:
    """I2V: the pipeline's own bucket for the project's aspect (diffusers' bucket functions, so the
    size planned is the size it generates)."""
    if info.variant != "i2v":
        return plan
    import json
    from pathlib import Path
    try:
        from diffusers.pipelines.hunyuan_video1_5.image_processor import generate_crop_size_list, get_closest_ratio
    except ImportError:      # no `gen` extra: nothing can generate; an estimate prices the planned size
        return plan
    from .conform import SizePlan
    config = json.loads((Path(info.path) / "transformer" / "config.json").read_text(encoding="utf-8"))
    buckets = generate_crop_size_list(base_size=int(config.get("target_size") or 640), patch_size=info.vae_spatial)
    ratios = [round(float(h) / float(w), 5) for h, w in buckets]
    import numpy as np
    h, w = get_closest_ratio(plan.out_h, plan.out_w, np.array(ratios), buckets)[0]
    return SizePlan(int(w), int(h), plan.out_w, plan.out_h, resize=(w, h) != (plan.out_w, plan.out_h))


def build_call(loaded: LoadedPipeline, inp: ShotInputs, generator: Any) -> tuple[Any, dict[str, Any]]:
    info = loaded.info
    wanted = "i2v" if info.variant == "i2v" else "t2v"
    if inp.references or inp.task != wanted:
        raise unsupported(info.label, "references" if inp.references else inp.task)
    pipe = loaded.pipe
    guider = getattr(pipe, "guider", None)
    if guider is not None and hasattr(guider, "guidance_scale"):
        guider.guidance_scale = float(inp.guidance)
    kwargs = {"prompt": inp.prompt, "negative_prompt": inp.negative_prompt or None, "num_frames": inp.num_frames,
              "num_inference_steps": inp.steps, "generator": generator, "output_type": "np"}
    if wanted == "i2v":
        return pipe, {**kwargs, "image": inp.first}       # already at the bucket (working_size)
    return pipe, {**kwargs, "height": inp.height, "width": inp.width}


def latents_cfhw(latents: Any, inp: ShotInputs, loaded: LoadedPipeline) -> Any:
    return latents[0]
