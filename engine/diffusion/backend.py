"""The 'diffusion' generation backend: one shot request -> a take on disk (Wan, LTX-Video, LTX-2,
CogVideoX).

Who calls: the engine runner's worker thread (`engine.jobs.Backend` protocol). Steps: resolve and
check the model (registry), decide the task from the conditioning (task.choose_task), compile the
prompt, plan frames and size (conform), load the pipeline (loader, kept between shots), denoise with
progress / preview / cancel through the step callback, then conform the clip to the project's
frames, size and fps and stream it into the same take files the previs backend writes.

Options (request.options), all optional:
  steps, guidance, shift            sampler; defaults from the family (registry.FAMILIES)
  memory_mode                       gpu | model_offload | sequential_offload | group_offload |
                                    group_offload_disk, '+vae_tiling' to add tiled decode
  vae_tiling, vae_tile_px           tiled VAE decode (tile size override for small frames)
  dtype                             'bfloat16' or {'transformer': 'bf16', 'vae': 'fp32', 'default': ...}
  attention_backend                 diffusers dispatcher name ('native', 'flash', 'sage', ...)
  cache                             'first_block' | 'mag' (needs mag_ratios) | 'pab' | None
  compile                           regional torch.compile of the transformer blocks
  conform_fps                       'blend' (default) | 'interpolate' | 'drop' | 'none' (no retime)
  working_size                      'WxH' to generate at; default: project size capped to the
                                    family's trained area (max_area overrides the cap)
  prompt_override                   the edited compiled prompt, used verbatim (see prompt.py)
  preview_every                     steps between preview images (default 5)
  allow_download                    let a hub id download (safetensors only)
  splice                            {"video", "head": [start, stop], "tail": [start, stop]}: a source
                                    take's frames written before / after the generated ones (an
                                    extend take is the whole, longer shot; engine.take_writer.Splice)
  device, native_fps, max_sequence_length, conditioning_scale, use_dynamic_cfg  (rarely needed)
"""
from __future__ import annotations

import contextlib
import importlib
import itertools
import time
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import EngineError, ErrorKind, JobCancelled
from ..cues import CueError
from ..jobs import CancelToken, GenerationRequest, GenerationResult, Progress, ProgressFn, fps_to_str, parse_fps
from ..take_writer import Splice, WrittenTake, scratch_audio, take_paths, write_take
from . import conform
from .media import read_clip, read_image, retime
from .memory import (attention_backend, cache_acceleration, free_accelerator_memory, is_oom, oom_error, pick_device,
                     set_vae_tiling)
from .control import control_frames, parse_control
from .estimate import Device, Estimate, estimate_shot, find_device
from .lora import apply_loras, parse_loras, with_triggers
from .prompt import compile_prompt
from .registry import ModelInfo
from .settings import check_settings
from .task import ShotInputs, choose_task, needed_capabilities, unsupported

_FAMILY_MODULES = {"wan": "engine.diffusion.wan", "ltx": "engine.diffusion.ltx", "ltx2": "engine.diffusion.ltx2",
                   "cogvideox": "engine.diffusion.cogvideox", "skyreels": "engine.diffusion.skyreels",
                   "hunyuan15": "engine.diffusion.hunyuan15"}
PREVIEW_MAX = 192


def family_module(info: ModelInfo):
    name = _FAMILY_MODULES.get(info.family)
    if name is None or not info.driven:
        raise EngineError(ErrorKind.UNSUPPORTED, f"{info.label}: {info.note or 'not driven by Shotreel'}",
                          "Choose a Wan, LTX-Video or CogVideoX model.")
    return importlib.import_module(name)


def resolve_prompt(request: GenerationRequest, family: str) -> tuple[str, str, str]:
    """(prompt, negative, source): the user's edited prompt verbatim, else compiled from the cues."""
    compiled = compile_prompt(request.prompt, request.camera, request.motion, request.scene, family)
    override = str(request.options.get("prompt_override") or "").strip()
    negative = request.negative_prompt.strip() or compiled.negative_prompt
    if override:
        return override, negative, "override"
    return compiled.prompt, negative, "compiled"


def working_geometry(req: GenerationRequest, info: ModelInfo) -> tuple[str, Fraction, conform.SizePlan]:
    """(conform mode, the model's frame rate, working size) for a request: what the backend will
    generate at, and what `estimate_request` prices."""
    opts = req.options
    conform_mode = str(opts.get("conform_fps") or "blend")
    if conform_mode != "none" and conform_mode not in conform.CONFORM_MODES:
        raise EngineError(ErrorKind.BAD_INPUT, f"conform_fps {conform_mode!r} is not one of "
                                               f"{', '.join(conform.CONFORM_MODES)}, none")
    try:
        native_fps = parse_fps(opts["native_fps"]) if opts.get("native_fps") else info.native_fps
    except CueError as exc:
        raise EngineError(ErrorKind.BAD_INPUT, f"native_fps: {exc}") from None
    spec = info.spec
    max_area = int(opts.get("max_area") or spec.default_size[0] * spec.default_size[1])
    size = conform.plan_size(req.width, req.height, info.size_multiple, max_area=max_area,
                             working=conform.parse_working_size(opts.get("working_size")))
    choose = getattr(family_module(info), "working_size", None)   # a pipeline that picks its own size
    if choose is not None and not opts.get("working_size"):
        size = choose(info, size)
    return conform_mode, native_fps, size


def estimate_request(req: GenerationRequest, info: ModelInfo | None = None, device: Any = None) -> Estimate:
    """Memory and time for a request as it would run (working size, model frames, steps, memory
    mode, dtypes) on `device` (a name from estimate.DEVICES; default: this machine's GPU, else its
    CPU): what the studio shows before queueing. No torch, nothing loaded. A combination that cannot
    run is refused here too (settings.check_settings)."""
    from .loader import resolve_model
    info = info or resolve_model(req.model, allow_download=False)
    conform_mode, native_fps, size = working_geometry(req, info)
    cond = req.conditioning
    skip = max(0, cond.video_frames - 1) if cond.video and cond.strength is None else 0
    plan = conform.plan_frames(req.frames, req.fps, native_fps, info.frame_step, skip=skip,
                               conform_fps=conform_mode != "none")
    torch_device = str(req.options.get("device") or "")
    dev = device if isinstance(device, Device) else find_device(device or (torch_device if torch_device.startswith(
        "cpu") else None))
    kind = torch_device or ("cpu" if dev.name == "CPU" else "cuda")
    settings = check_settings(req.options, info, "cpu" if kind.startswith("cpu") else kind)
    steps = _int_opt(req.options, "steps", info.spec.default_steps, 1, 500)
    guidance = _float_opt(req.options, "guidance", info.spec.default_guidance, 0.0, 50.0)
    return estimate_shot(info, size.gen_w, size.gen_h, plan.model_frames, steps, settings.mode.placement,
                         dtypes=settings.dtypes, guidance=guidance, vae_tiling=settings.mode.vae_tiling, device=dev)


class DiffusionBackend:
    """Stateless apart from the loader's pipeline cache; one instance serves the whole app."""
    name = "diffusion"

    def generate(self, request: GenerationRequest, progress: ProgressFn, cancel: CancelToken) -> GenerationResult:
        started = time.monotonic()
        cancel.raise_if_cancelled()
        job = _Job(request, progress, cancel)
        return job.run(started)


class _Job:
    """One generation, split into the steps `generate` lists."""

    def __init__(self, request: GenerationRequest, progress: ProgressFn, cancel: CancelToken):
        self.request, self.progress, self.cancel = request, progress, cancel
        self.opts = dict(request.options)

    def report(self, stage: str, current: int = 0, total: int = 0, **extra: Any) -> None:
        self.progress(Progress(self.request.job_id, stage, current, total, **extra))

    # -- planning ---------------------------------------------------------------------------------------
    def run(self, started: float) -> GenerationResult:
        from .loader import resolve_model
        req, opts = self.request, self.opts
        self.report("loading", message="checking the model")
        take_paths(req)                                 # a bad output folder fails before any work
        self.splice = Splice.from_options(opts)
        info = resolve_model(req.model, allow_download=bool(opts.get("allow_download")))
        family = family_module(info)
        # refused here, before any clip is read or weight loaded, when the combination cannot run
        self.settings = check_settings(opts, info, pick_device(opts.get("device")))
        spec = info.spec
        cond = req.conditioning
        board = req.scene.board_image
        if board and not (cond.first_frame or cond.keyframes or cond.video) and info.can("i2v"):
            # a storyboard drawing starts the shot (DESIGN: "a board image -> first frame")
            cond = replace(cond, first_frame=board)
        task, pins = choose_task(cond, req.frames)
        for cap in needed_capabilities(task, cond):
            if not info.can(cap):
                raise unsupported(info.label, task if cap.value == task else cap.value)
        prompt, negative, prompt_source = resolve_prompt(req, info.family)
        self.loras = parse_loras(opts.get("loras"))
        control = parse_control(opts.get("control"))
        if control is not None and not getattr(family, "takes_control", lambda i, l: False)(info, self.loras):
            raise EngineError(ErrorKind.UNSUPPORTED, f"{info.label} takes no control video here, so it cannot follow "
                                                     "the previs camera and blocking",
                              "Use a Wan VACE model, or LTX-2 with an IC-LoRA (depth / pose) attached to the shot; "
                              "or set follow previs to off.")
        prompt = with_triggers(prompt, self.loras)
        steps = _int_opt(opts, "steps", spec.default_steps, 1, 500)
        guidance = _float_opt(opts, "guidance", spec.default_guidance, 0.0, 50.0)
        shift = _float_opt(opts, "shift", None, 0.05, 100.0)  # None: the checkpoint's own
        mode = self.settings.mode
        conform_mode, native_fps, size = working_geometry(req, info)
        retime_fps = conform_mode != "none"
        clip_fps = native_fps if retime_fps else req.fps

        video: list[np.ndarray] = []
        skip = 0
        if task == "continue":
            frames, src_fps = read_clip(cond.video, last=max(1, cond.video_frames) * 4)
            count = min(cond.video_frames, len(frames))
            if getattr(family, "CONTINUE_FOLLOWS_FRAME_RULE", False):   # LTX video conditions are 8k+1 long
                count = max(1, (count - 1) // info.frame_step * info.frame_step + 1)
            video = retime(frames, src_fps, clip_fps, count, from_end=True)
            skip = len(video) - 1
        plan = conform.plan_frames(req.frames, req.fps, native_fps, info.frame_step, skip=skip,
                                   conform_fps=retime_fps)
        if task == "v2v":
            frames, src_fps = read_clip(cond.video)
            video = retime(frames, src_fps, clip_fps, plan.model_frames)
        images = []
        ratio = Fraction(native_fps) / req.fps if retime_fps else Fraction(1)
        for pin in pins:
            if task == "flf2v" and pin.index == req.frames - 1:
                index = plan.model_frames - 1          # first-last-frame models pin their own last frame
            else:
                index = min(plan.model_frames - 1, int(round(pin.index * ratio)) + skip)
            images.append((index, _pil(conform.to_model(read_image(pin.path), size)), pin.strength))
        if task == "flf2v":
            # the model's last frame is the pinned one; output frames are sampled to end on it
            plan = conform.FramePlan(plan.model_frames, plan.skip,
                                     _stretch(plan.positions, plan.model_frames - 1 - plan.skip))
        references = [_pil(read_image(p)) for p in cond.references]
        guide: list[Any] = []
        if control is not None:
            # the previs covers the shot's output frames: the continued clip's overlap comes first
            frames_ = control_frames(control, plan.model_frames - plan.skip, clip_fps, size)
            guide = [None] * plan.skip + [_pil(f) for f in frames_]
        inputs = ShotInputs(task=task, prompt=prompt, negative_prompt=negative, width=size.gen_w, height=size.gen_h,
                            num_frames=plan.model_frames, steps=steps, guidance=guidance, seed=req.seed,
                            native_fps=float(native_fps),
                            max_sequence_length=_int_opt(opts, "max_sequence_length", spec.max_sequence_length, 8, 4096),
                            images=images, video=[_pil(conform.to_model(f, size)) for f in video],
                            strength=cond.strength, references=references, control=guide, options=opts)
        guess = estimate_shot(info, size.gen_w, size.gen_h, plan.model_frames, steps, mode.placement,
                              dtypes=self.settings.dtypes, guidance=guidance, vae_tiling=mode.vae_tiling,
                              device=find_device("cpu" if self.settings.device == "cpu" else None))
        self.cancel.raise_if_cancelled()
        return self.generate(info, family, inputs, plan, size, mode, shift, conform_mode, started,
                             {"prompt_source": prompt_source, "estimate": guess.to_dict(),
                              "follow_previs": control.describe() if control is not None else None,
                              "first_frame": cond.first_frame, "board_as_first_frame": cond.first_frame == board
                              and bool(board)})

    # -- denoising ----------------------------------------------------------------------------------
    def generate(self, info, family, inputs: ShotInputs, plan, size, mode, shift, conform_mode, started,
                 meta: dict) -> GenerationResult:
        import torch
        from .loader import load_pipeline
        req, opts = self.request, self.opts
        settings = self.settings
        device = settings.device
        self.report("loading", message=f"loading {info.label}")
        loaded = load_pipeline(info, family.load_class(info.class_name), dtype=settings.dtypes, mode=mode,
                               device=device, compile_=settings.compile, offload_dir=opts.get("offload_dir"))
        adapters = apply_loras(loaded, self.loras)
        if self.loras:
            meta["loras"] = [dict(s.describe(), adapter=a) for s, a in zip(self.loras, adapters)]
        self.cancel.raise_if_cancelled()
        generator = torch.Generator("cpu").manual_seed(int(req.seed))
        pipe, kwargs = family.build_call(loaded, inputs, generator)
        if hasattr(family, "describe_experts") and family.describe_experts(pipe):
            meta["experts"] = {**family.describe_experts(pipe), "guidance_2": kwargs.get("guidance_scale_2")}
        set_vae_tiling(pipe, mode.vae_tiling, opts.get("vae_tile_px"))
        _set_scheduler(pipe, loaded.scheduler_config, shift, getattr(family, "SCHEDULER_OVERRIDES", {}))
        state = {"steps_done": 0, "stopped_early": False, "t0": time.monotonic(), "cpu0": time.process_time()}
        every = _int_opt(opts, "preview_every", 5, 1, 1000)

        def on_step(p, step: int, timestep, tensors: dict) -> dict:
            state["steps_done"] = step + 1
            total = int(getattr(p, "num_timesteps", 0) or inputs.steps)
            if not self.cancel.cancelled:
                elapsed = time.monotonic() - state["t0"]
                eta = elapsed / (step + 1) * max(0, total - step - 1)
                preview = None
                if (step + 1) % every == 0 and "latents" in tensors:
                    preview = _preview(family.latents_cfhw(tensors["latents"], inputs, loaded))
                self.report("denoising", step + 1, total, eta_s=eta, preview=preview)
            # Checked after the report, so a cancel clicked while it was shown acts on this step.
            if self.cancel.cancelled:
                raise JobCancelled()                   # leaves the pipeline before it decodes
            if self.cancel.stopping_early and step + 1 < total:
                state["stopped_early"] = True
                p._interrupt = True                   # remaining steps are skipped, then it decodes
            if step + 1 >= total or state["stopped_early"]:
                self.report("decoding", message="decoding the clip")
            return tensors

        self.report("denoising", 0, inputs.steps)
        oom: EngineError | None = None
        steps_hook = None
        if getattr(family, "STEP_CALLBACK", True):
            kwargs.update(callback_on_step_end=on_step, callback_on_step_end_tensor_inputs=["latents"])
        else:
            steps_hook = _StepsFromTransformer(pipe, on_step)
        try:
            with attention_backend(pipe, settings.attention) as attention_used, \
                    cache_acceleration(pipe, settings.cache, info.spec.caches, inputs.steps, opts), \
                    torch.inference_mode():
                output = pipe(**kwargs)
                if steps_hook is not None:
                    steps_hook.finish()
        except (JobCancelled, EngineError):
            raise
        except Exception as exc:
            if not is_oom(exc):
                raise EngineError(ErrorKind.BUG, f"{info.label} failed: {type(exc).__name__}: {exc}",
                                  details=repr(exc)[:4000]) from exc
            # Only text is kept: the exception's traceback holds every frame of the failed step and
            # so its activations; chaining it (`from exc`) would keep them alive in the job's error.
            oom = oom_error(exc, mode, inputs.width, inputs.height, inputs.num_frames)
        finally:
            with contextlib.suppress(Exception):
                pipe._interrupt = False
            if steps_hook is not None:
                steps_hook.remove()
        if oom is not None:
            # Out of the except block the traceback is gone; now the memory can really be returned.
            del kwargs
            free_accelerator_memory()
            raise oom
        self.cancel.raise_if_cancelled()
        generated_audio = family.audio_of(output, pipe) if getattr(family, "JOINT_AUDIO", False) else None
        clip = conform.to_uint8(np.asarray(family.frames_of(output, inputs) if hasattr(family, "frames_of")
                                           else output.frames[0]))
        meta.update(model_frames_out=int(clip.shape[0]))
        clip = clip[plan.skip:]
        meta.update(steps_done=state["steps_done"], stopped_early=state["stopped_early"],
                    denoise_seconds=round(time.monotonic() - state["t0"], 3),
                    denoise_cpu_seconds=round(time.process_time() - state["cpu0"], 3), device=device,
                    memory_mode=mode.label, placement=loaded.placement, dtypes=loaded.dtypes,
                    attention_backend=attention_used, cache=settings.cache,
                    compiled=loaded.compiled, load_seconds=round(loaded.load_seconds, 3))
        if generated_audio is not None:
            # the model's sound starts where the shot starts (after a continued clip's overlap)
            samples, rate = generated_audio
            start = int(round(plan.skip / inputs.native_fps * rate))
            generated_audio = (samples[start:], rate)
            meta["generated_audio_rate"] = rate
        self.generated_audio = generated_audio
        return self.write_take(info, inputs, plan, size, conform_mode, clip, started, meta)

    # -- output -------------------------------------------------------------------------------------
    def write_take(self, info, inputs: ShotInputs, plan, size, conform_mode, clip, started, meta) -> GenerationResult:
        """Conform the clip to the request's frames, size and fps and write the take (engine.take_writer),
        with the splice's source frames around it when the request has one."""
        req = self.request
        mode = conform_mode if conform_mode in conform.CONFORM_MODES else "drop"
        generated = (conform.to_output(frame, size) for frame in conform.resample(list(clip), plan.positions, mode))
        splice: Splice | None = getattr(self, "splice", None)
        head = tail = 0
        frames: Any = generated
        if splice is not None:
            head, tail = splice.count(splice.head, req.fps), splice.count(splice.tail, req.fps)
            frames = itertools.chain(splice.frames(splice.head, req.width, req.height, req.fps, self.cancel), generated,
                                     splice.frames(splice.tail, req.width, req.height, req.fps, self.cancel))
            meta["splice"] = {**splice.describe(req.fps), "generated_frames": len(plan.positions)}
        generated_audio = getattr(self, "generated_audio", None)

        def audio(wav: Path, frames_written: int, cancel: CancelToken) -> str | None:
            return _render_audio(req, wav, frames_written, cancel, generated_audio, lead_in_frames=head)

        def metadata(written: WrittenTake) -> dict:
            return self.metadata(info, inputs, size, conform_mode, written, meta)

        return write_take(req, frames, total=head + len(plan.positions) + tail, progress=self.progress,
                          cancel=self.cancel, backend="diffusion",
                          renderer_version=f"diffusion/{info.family}/{_diffusers_version()}", metadata=metadata,
                          channel_order="rgb", stage="encoding", audio=audio, model=info.path, started=started)

    def metadata(self, info, inputs: ShotInputs, size, conform_mode, written: WrittenTake, meta) -> dict:
        """Every parameter that made the take (the keys the previs backend writes, plus the model's)."""
        import diffusers
        import torch
        req = self.request
        cond = req.conditioning
        return {
            "backend": "diffusion", "renderer_version": f"diffusion/{info.family}/{_diffusers_version()}",
            "request": req.to_dict(), "seed": req.seed, "model": info.to_dict(), "task": inputs.task,
            "prompt": inputs.prompt, "negative_prompt": inputs.negative_prompt, "steps": inputs.steps,
            "guidance": inputs.guidance, "working_size": [size.gen_w, size.gen_h], "model_frames": inputs.num_frames,
            "native_fps": fps_to_str(Fraction(inputs.native_fps).limit_denominator(1001)),
            "conform_fps": conform_mode, "fps": fps_to_str(req.fps), "width": req.width, "height": req.height,
            "conditioning_source": {"take_id": cond.source_take_id, "frame": cond.source_frame},
            "source_take_id": cond.source_take_id, "source_frame": cond.source_frame,
            "camera": req.camera.describe(),
            "files": written.files, "frames": written.encoded.frames, "render_seconds": round(written.seconds, 3),
            "versions": {"diffusers": diffusers.__version__, "torch": torch.__version__}, **meta}


# -- helpers ----------------------------------------------------------------------------------------

class _StepsFromTransformer:
    """Step progress, cancel and stop-early for a pipeline without `callback_on_step_end`
    (HunyuanVideo 1.5): a denoising step ends when the transformer is called with a new timestep;
    the step callback then runs as if the pipeline had called it (without latents: no preview)."""

    def __init__(self, pipe: Any, on_step: Any):
        self.pipe, self.on_step = pipe, on_step
        self.step, self.last = -1, None
        self.handle = pipe.transformer.register_forward_pre_hook(self._pre, with_kwargs=True)

    def _pre(self, module: Any, args: Any, kwargs: dict) -> None:
        t = kwargs.get("timestep")
        value = float(t.flatten()[0]) if t is not None else None
        if value != self.last:
            if self.step >= 0:
                self.on_step(self.pipe, self.step, self.last, {})
            self.step, self.last = self.step + 1, value

    def finish(self) -> None:
        if self.step >= 0:
            self.on_step(self.pipe, self.step, self.last, {})

    def remove(self) -> None:
        self.handle.remove()


def _pil(array: np.ndarray):
    from PIL import Image
    return Image.fromarray(np.ascontiguousarray(array))


def _stretch(positions: tuple[float, ...], last: int) -> tuple[float, ...]:
    """Rescale sample positions so the final output frame lands exactly on model frame `last`."""
    if len(positions) < 2 or positions[-1] <= 0:
        return positions
    k = last / positions[-1]
    return tuple(p * k for p in positions)


def _int_opt(opts: dict, name: str, default: int, lo: int, hi: int) -> int:
    value = opts.get(name)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise EngineError(ErrorKind.BAD_INPUT, f"{name}: {value!r} is not a whole number") from None
    if not lo <= number <= hi:
        raise EngineError(ErrorKind.BAD_INPUT, f"{name}: {number} is outside {lo}..{hi}")
    return number


def _float_opt(opts: dict, name: str, default: float | None, lo: float, hi: float) -> float | None:
    value = opts.get(name)
    if value in (None, ""):
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise EngineError(ErrorKind.BAD_INPUT, f"{name}: {value!r} is not a number") from None
    if not lo <= number <= hi:
        raise EngineError(ErrorKind.BAD_INPUT, f"{name}: {number:g} is outside {lo:g}..{hi:g}")
    return number


def _set_scheduler(pipe: Any, base_config: dict, shift: Any, overrides: dict) -> None:
    """Rebuild the scheduler from the checkpoint's config with this shot's flow shift and the
    family's overrides (cheap; only when something differs from the current one)."""
    wanted = {**base_config, **overrides}
    key = "flow_shift" if "flow_shift" in base_config else ("shift" if "shift" in base_config else None)
    if key is not None and shift not in (None, ""):
        wanted[key] = float(shift)
    if any(pipe.scheduler.config.get(k) != v for k, v in wanted.items()):
        pipe.scheduler = type(pipe.scheduler).from_config(wanted)


def _preview(cfhw: Any) -> tuple[bytes, int, int]:
    """A rough RGB look at the latents: the middle frame's first three channels, normalised.

    Random-weight and real latents alike decode this way in ~1 ms; it shows composition and motion
    blobs, not colours (a true decode costs a VAE pass)."""
    import cv2
    latent = cfhw[:, cfhw.shape[1] // 2].float().cpu().numpy()        # [C, H, W]
    rgb = latent[:3] if latent.shape[0] >= 3 else np.repeat(latent[:1], 3, axis=0)
    rgb = rgb - rgb.mean(axis=(1, 2), keepdims=True)
    rgb = rgb / (rgb.std(axis=(1, 2), keepdims=True) + 1e-6)
    img = (np.clip(rgb * 0.25 + 0.5, 0, 1) * 255).astype(np.uint8).transpose(1, 2, 0)
    h, w = img.shape[:2]
    scale = max(1, PREVIEW_MAX // max(h, w))
    img = np.ascontiguousarray(cv2.resize(img, (w * scale, h * scale), interpolation=cv2.INTER_NEAREST))
    return img.tobytes(), img.shape[1], img.shape[0]


def _diffusers_version() -> str:
    import diffusers
    return f"diffusers-{diffusers.__version__}"


def _render_audio(req: GenerationRequest, wav_path: Path, frames: int, cancel: CancelToken,
                  generated: tuple[np.ndarray, int] | None = None, *, lead_in_frames: int = 0) -> str | None:
    """The take's scratch audio mix, exactly as previs takes get it (engine.take_writer.scratch_audio), `frames`
    long; None when it has no cues.

    A joint-audio model's sound (LTX-2) is the take's track when the shot has no audio cues, and the
    'model' stem beside the mix when it has some (the editor can then choose); it starts after
    `lead_in_frames` (a splice's head) and is silent over the rest of the take."""
    from ..audio import stems_dir_for
    if generated is not None:
        duration = float(Fraction(frames) / req.fps)
        lead_in = float(Fraction(lead_in_frames) / req.fps)
        if not req.audio:
            write_wav_48k(wav_path, *generated, seconds=duration, offset=lead_in)
            return str(wav_path.resolve())
        write_wav_48k(stems_dir_for(wav_path) / "model.wav", *generated, seconds=duration, offset=lead_in)
    return scratch_audio(req, wav_path, frames, cancel)


def write_wav_48k(target: Path, samples: np.ndarray, rate: int, *, seconds: float, offset: float = 0.0) -> None:
    """Float [n, channels] audio -> 16-bit stereo 48 kHz WAV exactly `seconds` long (atomic), the
    samples starting `offset` seconds in (silence before)."""
    import wave
    from ..fsio import atomic_path
    out_n = int(round(seconds * 48000))
    src = samples if samples.ndim == 2 else samples[:, None]
    if src.shape[1] == 1:
        src = np.repeat(src, 2, axis=1)
    t_out = np.arange(out_n) / 48000.0 - offset
    t_src = np.arange(len(src)) / float(rate)
    stereo = np.stack([np.interp(t_out, t_src, src[:, c], left=0.0, right=0.0) for c in range(2)], axis=1) \
        if len(src) else np.zeros((out_n, 2))
    pcm = (np.clip(stereo, -1.0, 1.0) * 32767).astype("<i2")
    with atomic_path(target) as tmp:
        with wave.open(str(tmp), "wb") as out:
            out.setnchannels(2)
            out.setsampwidth(2)
            out.setframerate(48000)
            out.writeframes(pcm.tobytes())
