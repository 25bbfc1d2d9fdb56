"""SkyReels-V2 through diffusers: text-to-video, long shots by diffusion forcing, first(-last) frame
and native extend.

Who calls: the backend. A SkyReelsV2DiffusionForcingPipeline folder generates a shot longer than its
window (`base_num_frames`, 97 by default: what it was trained on) as overlapping windows, each
continuing the last `overlap_history` frames of the one before, so a long shot does not drift the way
one oversized window does. Options: base_num_frames, overlap_history (default 17), ar_step (0 =
synchronous; >0 = asynchronous diffusion forcing).
A SkyReelsV2ImageToVideoPipeline folder (CLIP image encoder) does first(-last) frame on its own.
A diffusion forcing folder also drives its two siblings over the same components:
  i2v / flf2v  SkyReelsV2DiffusionForcingImageToVideoPipeline (image, last_image)
  continue     SkyReelsV2DiffusionForcingVideoToVideoPipeline: the previous take's last 4k+1 frames are
               the prefix (`overlap_history` = all of them) the new frames continue, the model's own
               extend. It returns the given clip, then the re-decoded prefix and the new frames;
               `frames_of` drops the given clip so the output starts like every continued shot does.
"""
from __future__ import annotations

from typing import Any

from .loader import LoadedPipeline
from .task import ShotInputs, unsupported

FAMILY = "skyreels"
CONTINUE_FOLLOWS_FRAME_RULE = True     # the prefix must be 4k+1 frames (whole latent frames)
_DF = "SkyReelsV2DiffusionForcing"


def load_class(class_name: str) -> str:
    return class_name


def _frames_rule(n: int, step: int) -> int:
    return max(1, (n - 1) // step * step + 1)


def build_call(loaded: LoadedPipeline, inp: ShotInputs, generator: Any) -> tuple[Any, dict[str, Any]]:
    info = loaded.info
    forcing = type(loaded.pipe).__name__.startswith(_DF)
    tasks = ("t2v", "i2v", "flf2v", "continue") if forcing else ("i2v", "flf2v") if info.variant == "i2v" else ("t2v",)
    if inp.references or inp.task not in tasks:
        raise unsupported(info.label, "references" if inp.references else inp.task)
    kwargs: dict[str, Any] = {
        "prompt": inp.prompt, "negative_prompt": inp.negative_prompt or None, "height": inp.height,
        "width": inp.width, "num_frames": inp.num_frames, "num_inference_steps": inp.steps,
        "guidance_scale": inp.guidance, "generator": generator, "output_type": "np",
        "max_sequence_length": inp.max_sequence_length}
    if not forcing:
        if info.variant == "i2v":       # SkyReelsV2ImageToVideoPipeline: CLIP image embeddings + image latents
            kwargs.update(image=inp.first, last_image=inp.last)
        return loaded.pipe, kwargs
    base = _frames_rule(int(inp.options.get("base_num_frames") or min(inp.num_frames, info.spec.max_frames)),
                        info.frame_step)
    kwargs.update(base_num_frames=base, ar_step=int(inp.options.get("ar_step", 0)), fps=int(round(inp.native_fps)))
    if inp.task == "continue":
        prefix = len(inp.video)
        if prefix >= base:
            from ..errors import EngineError, ErrorKind
            raise EngineError(ErrorKind.BAD_INPUT, f"{info.label}: continuing {prefix} frames needs a window "
                                                   f"(base_num_frames) longer than that; it is {base}",
                              suggestion="continue fewer frames (video_frames) or raise base_num_frames")
        return loaded.sibling(_DF + "VideoToVideoPipeline"), {**kwargs, "video": inp.video,
                                                                "overlap_history": prefix}
    if inp.num_frames > base:
        kwargs["overlap_history"] = int(inp.options.get("overlap_history", 17))
    if inp.task in ("i2v", "flf2v"):
        return loaded.sibling(_DF + "ImageToVideoPipeline"), {**kwargs, "image": inp.first, "last_image": inp.last}
    return loaded.sibling(_DF + "Pipeline"), kwargs


def frames_of(output: Any, inp: ShotInputs) -> Any:
    """The model frames of the shot: the V2V pipeline puts the given clip in front of its own frames."""
    frames = output.frames[0]
    return frames[len(inp.video):] if inp.task == "continue" else frames


def latents_cfhw(latents: Any, inp: ShotInputs, loaded: LoadedPipeline) -> Any:
    return latents[0]   # [B, C, F, H, W]
