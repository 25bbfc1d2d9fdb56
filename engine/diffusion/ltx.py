"""LTX-Video through diffusers' LTXConditionPipeline: every task is a list of conditions.

Who calls: the backend. Any LTX-Video folder (LTXPipeline, LTXImageToVideoPipeline or
LTXConditionPipeline in model_index.json) loads as LTXConditionPipeline, which drives them all:
  i2v / first-last / keyframes  an image condition at each pinned frame index
  continue                      the clip's last 8k+1 frames as a video condition at frame 0
  v2v                           the whole source clip as a video condition at frame 0 whose
                                strength is 1 - remix strength (strength 1 = keep the source)
LTX-2 (joint audio and video) has its own driver, ltx2.py.
"""
from __future__ import annotations

from typing import Any

from .loader import LoadedPipeline
from .task import ShotInputs, unsupported

FAMILY = "ltx"
# The condition pipeline passes its own (linear-quadratic) timesteps and no `mu`: LTX folders whose
# scheduler asks for dynamic shifting (the LTXPipeline ones) must run it with a fixed shift.
SCHEDULER_OVERRIDES = {"use_dynamic_shifting": False}
# A continued clip must be step*k+1 frames long; the backend trims it before planning the overlap.
CONTINUE_FOLLOWS_FRAME_RULE = True


# LTX-Video distilled checkpoints (0.9.7 / 0.9.8 '-distilled' folders) are trained for this schedule, no
# classifier-free guidance (Lightricks' and diffusers' published recipe); the full model's 40 steps at
# guidance 3 over-cook them.
DISTILLED_TIMESTEPS = (1000, 993, 987, 981, 975, 909, 725, 0.03)


def load_class(class_name: str) -> str:
    return "LTXConditionPipeline"


def is_distilled(info: Any) -> bool:
    """The published distilled folders say so in their name (their configs equal the full model's)."""
    from pathlib import Path
    return "distill" in Path(info.path).name.lower()


def _video_len(n: int, step: int) -> int:
    """Video conditions must be step*k+1 frames: keep the most recent ones."""
    return max(1, (n - 1) // step * step + 1)


def build_call(loaded: LoadedPipeline, inp: ShotInputs, generator: Any) -> tuple[Any, dict[str, Any]]:
    from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition
    pipe = loaded.pipe
    info = loaded.info
    if inp.references:
        raise unsupported(info.label, "references")
    conditions = []
    if inp.task in ("i2v", "flf2v", "keyframes"):
        conditions = [LTXVideoCondition(image=image, frame_index=index, strength=strength)
                      for index, image, strength in inp.images]
    elif inp.task == "continue":
        clip = inp.video[-_video_len(len(inp.video), info.frame_step):]
        conditions = [LTXVideoCondition(video=clip, frame_index=0, strength=1.0)]
    elif inp.task == "v2v":
        clip = inp.video[:_video_len(len(inp.video), info.frame_step)]
        conditions = [LTXVideoCondition(video=clip, frame_index=0, strength=max(0.0, 1.0 - float(inp.strength)))]
    elif inp.task != "t2v":
        raise unsupported(info.label, inp.task)
    kwargs: dict[str, Any] = {
        "conditions": conditions or None, "prompt": inp.prompt, "negative_prompt": inp.negative_prompt or None,
        "height": inp.height, "width": inp.width, "num_frames": inp.num_frames, "frame_rate": int(round(inp.native_fps)),
        "num_inference_steps": inp.steps, "guidance_scale": inp.guidance, "generator": generator,
        "output_type": "np", "max_sequence_length": inp.max_sequence_length}
    if is_distilled(info) and inp.options.get("steps") in (None, ""):
        kwargs.update(timesteps=list(DISTILLED_TIMESTEPS), num_inference_steps=len(DISTILLED_TIMESTEPS))
        if inp.options.get("guidance") in (None, ""):
            kwargs["guidance_scale"] = 1.0
    if getattr(pipe.vae.config, "timestep_conditioning", False):   # LTX 0.9.1+: decode with a little noise
        kwargs.update(decode_timestep=float(inp.options.get("decode_timestep", 0.05)),
                      decode_noise_scale=float(inp.options.get("decode_noise_scale", 0.025)))
    return pipe, kwargs


def latents_cfhw(latents: Any, inp: ShotInputs, loaded: LoadedPipeline) -> Any:
    """Packed tokens [B, S, C] (video tokens first, extra condition tokens after) -> [C, F, H, W]."""
    info = loaded.info
    pt, ph, pw = info.patch
    f = ((inp.num_frames - 1) // info.vae_temporal + 1) // pt
    h, w = inp.height // info.vae_spatial // ph, inp.width // info.vae_spatial // pw
    tokens = latents[0, : f * h * w]
    return tokens.reshape(f, h, w, -1).permute(3, 0, 1, 2)
