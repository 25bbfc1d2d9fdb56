"""HunyuanVideo 1.5 through diffusers: text-to-video.

Who calls: the backend. The pipeline takes its classifier-free guidance from its `guider` component
(not a guidance_scale argument), so each shot sets the guider's scale; it has no step callback, so the
backend follows the steps from the transformer's calls (backend._StepsFromTransformer).
"""
from __future__ import annotations

from typing import Any

from .loader import LoadedPipeline
from .task import ShotInputs, unsupported

FAMILY = "hunyuan15"
STEP_CALLBACK = False


def load_class(class_name: str) -> str:
    return class_name


def build_call(loaded: LoadedPipeline, inp: ShotInputs, generator: Any) -> tuple[Any, dict[str, Any]]:
    info = loaded.info
    if inp.references or inp.task != "t2v":
        raise unsupported(info.label, "references" if inp.references else inp.task)
    pipe = loaded.pipe
    guider = getattr(pipe, "guider", None)
    if guider is not None and hasattr(guider, "guidance_scale"):
        guider.guidance_scale = float(inp.guidance)
    return pipe, {"prompt": inp.prompt, "negative_prompt": inp.negative_prompt or None, "height": inp.height,
                  "width": inp.width, "num_frames": inp.num_frames, "num_inference_steps": inp.steps,
                  "generator": generator, "output_type": "np"}


def latents_cfhw(latents: Any, inp: ShotInputs, loaded: LoadedPipeline) -> Any:
    return latents[0]
