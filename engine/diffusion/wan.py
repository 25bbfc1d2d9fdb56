"""Wan 2.1 / 2.2 through diffusers: T2V, I2V, first-last frame, VACE keyframes and references,
continuation, V2V.

Who calls: the backend, with a `ShotInputs` already in model terms. One checkpoint kind serves
several tasks by sharing its components with a sibling pipeline (`from_pipe`, no extra memory):
  WanPipeline folder        t2v; v2v through WanVideoToVideoPipeline; i2v through
                            WanImageToVideoPipeline when it is a 2.2 TI2V (expand_timesteps)
  WanImageToVideoPipeline   i2v (`image`), first-last frame (`last_image`)
  WanVACEPipeline           everything pinned in pixel space: a control `video` whose known frames
                            are kept where the `mask` is black, plus `reference_images`
"""
from __future__ import annotations

from typing import Any

from .loader import LoadedPipeline
from .task import ShotInputs, unsupported

FAMILY = "wan"
_GREY = (128, 128, 128)   # VACE's "unknown" pixel: 0 after normalising to [-1, 1]


def load_class(class_name: str) -> str:
    return class_name


def takes_control(info: Any, loras: Any = ()) -> bool:
    """Only VACE reads a control video (depth / pose / layout) with its mask."""
    return info.variant == "vace"


def _common(inp: ShotInputs, generator: Any) -> dict[str, Any]:
    return {"prompt": inp.prompt, "negative_prompt": inp.negative_prompt or None,
            "num_inference_steps": inp.steps, "guidance_scale": inp.guidance, "generator": generator,
            "output_type": "np", "max_sequence_length": inp.max_sequence_length}


def build_call(loaded: LoadedPipeline, inp: ShotInputs, generator: Any) -> tuple[Any, dict[str, Any]]:
    pipe, kwargs = _build_call(loaded, inp, generator)
    return pipe, {**kwargs, **experts(pipe, inp)}


def experts(pipe: Any, inp: ShotInputs) -> dict[str, Any]:
    """Wan 2.2 A14B: the high-noise expert (transformer) runs until boundary_ratio x 1000, then the
    low-noise one (transformer_2); `guidance_2` is the second expert's guidance (default: the same)."""
    import inspect
    if getattr(pipe, "transformer_2", None) is None or pipe.config.get("boundary_ratio") is None:
        return {}
    if "guidance_scale_2" not in inspect.signature(type(pipe).__call__).parameters:
        return {}
    return {"guidance_scale_2": float(inp.options.get("guidance_2", inp.guidance))}


def describe_experts(pipe: Any) -> dict[str, Any] | None:
    if getattr(pipe, "transformer_2", None) is None:
        return None
    return {"boundary_ratio": pipe.config.get("boundary_ratio"), "count": 2}


def _build_call(loaded: LoadedPipeline, inp: ShotInputs, generator: Any) -> tuple[Any, dict[str, Any]]:
    info = loaded.info
    kwargs = _common(inp, generator)
    if getattr(loaded.pipe.transformer.config, "image_dim", None):
        kwargs["max_sequence_length"] = 512   # the CLIP-conditioned 2.1 I2V attention assumes 512 text tokens
    size = {"height": inp.height, "width": inp.width}
    if info.variant == "vace":
        return loaded.sibling("WanVACEPipeline"), {**kwargs, **size, "num_frames": inp.num_frames,
                                                   **vace_inputs(inp)}
    if info.variant == "i2v":
        if inp.task not in ("i2v", "flf2v"):
            raise unsupported(info.label, inp.task)
        return loaded.sibling("WanImageToVideoPipeline"), {**kwargs, **size, "num_frames": inp.num_frames,
                                                           "image": inp.first, "last_image": inp.last}
    # a text-to-video checkpoint
    if inp.task == "t2v":
        return loaded.sibling("WanPipeline"), {**kwargs, **size, "num_frames": inp.num_frames}
    if inp.task == "v2v":
        return loaded.sibling("WanVideoToVideoPipeline"), {**kwargs, **size, "video": inp.video,
                                                           "strength": inp.strength}
    if inp.task == "i2v" and info.can("i2v"):
        return loaded.sibling("WanImageToVideoPipeline"), {**kwargs, **size, "num_frames": inp.num_frames,
                                                           "image": inp.first}
    raise unsupported(info.label, inp.task)


def vace_inputs(inp: ShotInputs) -> dict[str, Any]:
    """Control video + mask: known frames (continued clip, pinned images) are copied in and masked
    black (keep); every other frame is grey and masked white (generate)."""
    from PIL import Image
    w, h = inp.width, inp.height
    out: dict[str, Any] = {}
    if inp.references:
        out["reference_images"] = list(inp.references)
    if inp.task == "t2v" and not inp.control:
        return out
    if "conditioning_scale" in inp.options:
        out["conditioning_scale"] = float(inp.options["conditioning_scale"])
    grey = Image.new("RGB", (w, h), _GREY)
    generate, keep = Image.new("L", (w, h), 255), Image.new("L", (w, h), 0)
    # a previs control frame guides its frame (white mask: generate, following it); elsewhere grey
    video = [grey if frame is None else frame for frame in inp.control] if inp.control else [grey] * inp.num_frames
    video += [grey] * (inp.num_frames - len(video))
    mask = [generate] * inp.num_frames
    for i, frame in enumerate(inp.video[: inp.num_frames]):
        video[i], mask[i] = frame, keep
    for index, image, strength in inp.images:
        video[index] = image
        # a soft pin: a grey mask lets the model repaint the frame partly
        mask[index] = keep if strength >= 1.0 else Image.new("L", (w, h), int(round(255 * (1.0 - strength))))
    out.update(video=video, mask=mask)
    return out


def latents_cfhw(latents: Any, inp: ShotInputs, loaded: LoadedPipeline) -> Any:
    return latents[0]   # [B, C, F, H, W]
