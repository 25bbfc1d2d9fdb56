"""LTX-2 through diffusers: video and its audio from one prompt (joint audio), T2V, I2V, and keyframes
at frame indices / first-last frame through LTX2ConditionPipeline (a sibling over the same weights).

Who calls: the backend. The generated audio comes back as `output.audio` ([batch, channels,
samples] at the vocoder's rate); the backend resamples it to 48 kHz and makes it the take's sound
when the shot has no audio cues, or keeps it as the `model` stem beside the shot's scratch mix
when it has some (see backend._render_audio).
"""
from __future__ import annotations

from typing import Any

from .loader import LoadedPipeline
from .task import ShotInputs, unsupported

FAMILY = "ltx2"
JOINT_AUDIO = True


def load_class(class_name: str) -> str:
    return class_name


def distilled_schedule(info: Any, inp: ShotInputs) -> dict[str, Any]:
    """A distilled LTX-2 folder ('distilled' in its name, as the published checkpoints are named; the
    configs equal the full model's) runs the sigmas it was distilled on (diffusers' DISTILLED_SIGMA_VALUES,
    8 steps) without guidance: CFG, STG and modality guidance off, video and audio (one transformer call a
    step). A shot's own steps or guidance win."""
    from .ltx import is_distilled
    if not is_distilled(info):
        return {}
    from diffusers.pipelines.ltx2.utils import DISTILLED_SIGMA_VALUES
    out: dict[str, Any] = {}
    if inp.options.get("steps") in (None, ""):
        out.update(sigmas=list(DISTILLED_SIGMA_VALUES), num_inference_steps=len(DISTILLED_SIGMA_VALUES))
    if inp.options.get("guidance") in (None, ""):
        out.update(guidance_scale=1.0, stg_scale=0.0, modality_scale=1.0, audio_guidance_scale=1.0,
                   audio_stg_scale=0.0, audio_modality_scale=1.0)
    return out


def takes_control(info: Any, loras: Any = ()) -> bool:
    """LTX-2 follows a control video in context (LTX2InContextPipeline) when an IC-LoRA, trained to read
    the reference tokens (depth, pose, camera), is attached: without one the tokens steer nothing."""
    return bool(loras)


def build_call(loaded: LoadedPipeline, inp: ShotInputs, generator: Any) -> tuple[Any, dict[str, Any]]:
    info = loaded.info
    if inp.references or inp.task not in ("t2v", "i2v", "flf2v", "keyframes"):
        raise unsupported(info.label, "references" if inp.references else inp.task)
    kwargs: dict[str, Any] = {
        "prompt": inp.prompt, "negative_prompt": inp.negative_prompt or None, "height": inp.height,
        "width": inp.width, "num_frames": inp.num_frames, "frame_rate": float(inp.native_fps),
        "num_inference_steps": inp.steps, "guidance_scale": inp.guidance, "generator": generator,
        "output_type": "np", "max_sequence_length": inp.max_sequence_length}
    kwargs.update(distilled_schedule(info, inp))
    if inp.control:
        return _in_context(loaded, inp, kwargs)
    if inp.task in ("flf2v", "keyframes"):
        # LTX2ConditionPipeline: an image condition at each pinned frame index (keyframes, first-last)
        from diffusers.pipelines.ltx2.pipeline_ltx2_condition import LTX2VideoCondition
        conditions = [LTX2VideoCondition(frames=image, index=index, strength=strength)
                      for index, image, strength in inp.images]
        return loaded.sibling("LTX2ConditionPipeline"), {**kwargs, "conditions": conditions}
    if inp.task == "i2v":
        return loaded.sibling("LTX2ImageToVideoPipeline"), {**kwargs, "image": inp.first}
    return loaded.sibling("LTX2Pipeline"), kwargs


def _in_context(loaded: LoadedPipeline, inp: ShotInputs, kwargs: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The previs control video as IC-LoRA reference tokens; pinned images as frame conditions."""
    from diffusers.pipelines.ltx2.pipeline_ltx2_condition import LTX2VideoCondition
    from diffusers.pipelines.ltx2.pipeline_ltx2_ic_lora import LTX2ReferenceCondition
    pipe = loaded.sibling("LTX2InContextPipeline")
    frames = [f for f in inp.control if f is not None]
    conditions = [LTX2VideoCondition(frames=image, index=index, strength=strength)
                  for index, image, strength in inp.images]
    out = {**kwargs, "reference_conditions": [LTX2ReferenceCondition(frames=frames, strength=1.0)],
           "conditions": conditions or None}
    # spatio-temporal guidance skips block 28 of the 48-block model; a smaller model skips its last block
    last = int(getattr(pipe.transformer.config, "num_layers", 48)) - 1
    out["spatio_temporal_guidance_blocks"] = [min(28, last)]
    return pipe, out


def audio_of(output: Any, pipe: Any) -> tuple[Any, int] | None:
    """(float32 [samples, channels] in -1..1, sample rate) of the generated sound, if any."""
    audio = getattr(output, "audio", None)
    if audio is None:
        return None
    import numpy as np
    data = audio[0].float().cpu().numpy() if hasattr(audio, "cpu") else np.asarray(audio[0], dtype=np.float32)
    rate = int(getattr(pipe.vocoder.config, "output_sampling_rate", 24000))
    return np.ascontiguousarray(data.T.astype(np.float32)), rate


def latents_cfhw(latents: Any, inp: ShotInputs, loaded: LoadedPipeline) -> Any:
    from .ltx import latents_cfhw as packed
    return packed(latents, inp, loaded)
