"""Where the weights live and how fast the denoiser runs: devices, dtypes, memory modes, attention
backends, cache acceleration, regional compile, and turning an out-of-memory into advice.

Who calls: `loader.load_pipeline` (once per loaded pipeline) and the backend (per shot: VAE tiling,
cache). torch is imported inside the functions only.

Memory modes (option `memory_mode`, '+'-joined with 'vae_tiling' allowed, e.g. 'group_offload+vae_tiling'):
  gpu                 everything on the accelerator (fastest)
  model_offload       one component at a time on the accelerator (diffusers model CPU offload)
  sequential_offload  leaf by leaf (slowest, smallest)
  group_offload       transformer blocks streamed from CPU RAM, one group ahead (CUDA streams)
  group_offload_disk  the same, from files on disk (for machines short of RAM as well)
  vae_tiling          decode in overlapping tiles (combine with any of the above)
Model and sequential offload are accelerator features: on a CPU-only machine they run as 'gpu'
(everything already is in RAM) and the take's metadata records the effective mode.
"""
from __future__ import annotations

import contextlib
import os
import shutil
from typing import Any, Iterator, Mapping

from ..errors import EngineError, ErrorKind

from .settings import (CACHE_KINDS, FP8, FP8_COMPONENTS, MemoryMode, compute_dtype, dtype_names,  # noqa: F401
                       parse_memory_mode)


def pick_device(requested: str | None = None) -> str:
    import torch
    if requested:
        return requested
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def parse_dtypes(spec: Any, device: str, family: str = "") -> tuple[Any, dict[str, str]]:
    """Option `dtype` -> (what from_pretrained takes, the names per component; see
    settings.dtype_names). An fp8 component loads in bfloat16; `apply_storage_dtypes` then stores
    its weights in fp8."""
    import torch
    names = dtype_names(spec, device, family)
    loaded = {k: getattr(torch, compute_dtype(names, k)) for k in names}
    return loaded, names


def apply_storage_dtypes(pipe: Any, names: Mapping[str, str]) -> list[str]:
    """fp8 storage for the components that asked for it (diffusers layerwise casting: weights in
    float8_e4m3fn, each layer upcast to bfloat16 to compute). Returns the components so stored."""
    import torch
    stored = []
    for component in FP8_COMPONENTS:
        model = getattr(pipe, component, None)
        if model is not None and names.get(component, names["default"]) == FP8:
            model.enable_layerwise_casting(storage_dtype=torch.float8_e4m3fn, compute_dtype=torch.bfloat16)
            stored.append(component)
    return stored


def match_vae_input_dtype(pipe: Any) -> None:
    """Cast what reaches the VAE to the VAE's own dtype.

    LTX-Video and CogVideoX hand the VAE latents in the transformer's dtype; a float32 VAE under a
    bfloat16 pipeline (a user's per-component choice) then fails at decode ("Input type (BFloat16)
    and bias type (float)"). The VAE's encode/decode get their floating inputs cast first."""
    vae = getattr(pipe, "vae", None)
    if vae is None or getattr(vae, "_shotreel_casts_inputs", False):
        return
    import functools
    import torch

    def cast(value: Any) -> Any:
        if isinstance(value, torch.Tensor) and value.is_floating_point() and value.dtype != vae.dtype:
            return value.to(vae.dtype)
        return value

    for name in ("encode", "decode"):
        method = getattr(vae, name, None)
        if method is None:
            continue

        @functools.wraps(method)
        def wrapper(*args: Any, _method=method, **kwargs: Any) -> Any:
            return _method(*(cast(a) for a in args), **{k: cast(v) for k, v in kwargs.items()})
        setattr(vae, name, wrapper)
    vae._shotreel_casts_inputs = True


def place(pipe: Any, mode: MemoryMode, device: str, offload_dir: str | None) -> str:
    """Put the pipeline's components where `mode` says. Returns the effective placement."""
    placement = mode.placement
    accelerator = device != "cpu"
    if placement in ("model_offload", "sequential_offload") and not accelerator:
        placement = "gpu"   # nothing to offload from: everything is in RAM already
    if placement == "gpu":
        pipe.to(device)
    elif placement == "model_offload":
        pipe.enable_model_cpu_offload(device=device)
    elif placement == "sequential_offload":
        pipe.enable_sequential_cpu_offload(device=device)
    else:
        if placement == "group_offload_disk" and not offload_dir:
            raise EngineError(ErrorKind.BUG, "group offload to disk needs a folder")
        group_offload(pipe, device, offload_dir if placement == "group_offload_disk" else None, mode.vae_tiling)
    return placement


def group_offload_plan(pipe: Any, device: str, vae_tiling: bool) -> dict[str, dict[str, Any]]:
    """Component -> the apply_group_offloading arguments it gets (no torch work; tests read it).

    Every component streams block by block: diffusers' own `enable_group_offload` groups only a
    model's top-level lists, so a transformers text encoder (UMT5-XXL: 11 GB) moved as ONE group.
    Here its largest nested block list is named (`block_modules`), one block on the device at a time.
    CUDA streams prefetch the next group, except for a tiled VAE: the tiles re-enter the decoder
    out of the order the prefetch assumes (a known diffusers hazard), so that VAE moves in step."""
    import torch
    stream = device.startswith("cuda")
    plan: dict[str, dict[str, Any]] = {}
    for name, component in pipe.components.items():
        if not isinstance(component, torch.nn.Module):
            continue
        kwargs: dict[str, Any] = {"onload_device": torch.device(device), "offload_device": torch.device("cpu"),
                                  "offload_type": "block_level", "num_blocks_per_group": 1,
                                  "use_stream": stream and not (vae_tiling and name == "vae")}
        path = [] if hasattr(component, "enable_group_offload") else _block_path(component)   # diffusers' own
        if path:
            kwargs["block_modules"] = path
        plan[name] = kwargs
    return plan


def _block_path(module: Any) -> list[str]:
    """Names of the modules that lead to `module`'s largest nested ModuleList ([] when the largest
    list is a direct child, which diffusers groups by itself)."""
    import torch
    best, best_n = "", 0
    for name, sub in module.named_modules():
        if isinstance(sub, (torch.nn.ModuleList, torch.nn.Sequential)) and len(sub) > 1:
            n = sum(p.numel() for p in sub.parameters())
            if n > best_n:
                best, best_n = name, n
    return best.split(".")[:-1] if "." in best else []


def group_offload(pipe: Any, device: str, offload_dir: str | None, vae_tiling: bool) -> None:
    from diffusers.hooks import apply_group_offloading
    for name, kwargs in group_offload_plan(pipe, device, vae_tiling).items():
        if offload_dir:
            folder = os.path.join(offload_dir, name)       # one folder each: group ids repeat across models
            # diffusers reuses files it finds there, keyed by position: files from another load
            # (another dtype, another grouping) would be read into the wrong tensors
            shutil.rmtree(folder, ignore_errors=True)
            os.makedirs(folder, exist_ok=True)
            kwargs["offload_to_disk_path"] = folder
        apply_group_offloading(module=getattr(pipe, name), **kwargs)


def set_vae_tiling(pipe: Any, enabled: bool, tile_px: int | None = None) -> None:
    """Turn tiled VAE decode on or off for this shot. `tile_px` shrinks the tiles (tests use it to
    tile tiny frames; users leave the model's defaults)."""
    vae = getattr(pipe, "vae", None)
    if vae is None or not hasattr(vae, "enable_tiling"):
        return
    if not enabled:
        vae.disable_tiling()
        return
    if not tile_px:
        vae.enable_tiling()
        return
    import inspect
    accepted = inspect.signature(vae.enable_tiling).parameters
    stride = max(8, tile_px * 3 // 4)
    kwargs = {"tile_sample_min_height": tile_px, "tile_sample_min_width": tile_px,
              "tile_sample_stride_height": stride, "tile_sample_stride_width": stride}
    vae.enable_tiling(**{k: v for k, v in kwargs.items() if k in accepted})


@contextlib.contextmanager
def attention_backend(pipe: Any, name: str | None) -> Iterator[str]:
    """Run one shot with diffusers' attention dispatcher set to `name` ('flash', 'sage', ...) and
    put everything back afterwards. Yields the backend the denoiser really uses: 'native' when its
    attention processors ignore the dispatcher (CogVideoX's call SDPA directly), so the take never
    records a kernel that did not run.

    `model.set_attention_backend` also sets diffusers' process-wide active backend, which every
    later model would inherit; it and the processors are restored on the way out."""
    if not name or name == "native":
        yield "native"
        return
    from diffusers.models.attention_dispatch import _AttentionBackendRegistry
    models = [m for m in (getattr(pipe, c, None) for c in ("transformer", "transformer_2"))
              if m is not None and hasattr(m, "set_attention_backend")]
    processors = [p for m in models for p in _attention_processors(m)]
    if not any(hasattr(p, "_attention_backend") for p in processors):
        yield "native"
        return
    previous_active = _AttentionBackendRegistry.get_active_backend()
    previous = [(p, p.__dict__.get("_attention_backend", _UNSET)) for p in processors]
    try:
        for model in models:
            try:
                model.set_attention_backend(name)
            except (ValueError, RuntimeError, ImportError) as exc:
                raise EngineError(ErrorKind.UNSUPPORTED, f"attention backend {name!r} is not available here: {exc}",
                                  "Leave the attention backend on 'native' or install the kernel package.") from None
        yield name
    finally:
        for processor, value in previous:
            if value is _UNSET:
                processor.__dict__.pop("_attention_backend", None)
            else:
                processor._attention_backend = value
        active = previous_active[0] if isinstance(previous_active, tuple) else previous_active
        _AttentionBackendRegistry.set_active_backend(active)


_UNSET = object()


def _attention_processors(model: Any) -> list[Any]:
    return [m.processor for m in model.modules() if getattr(m, "processor", None) is not None]


def compile_regional(pipe: Any) -> bool:
    """torch.compile each repeated transformer block once (regional compile: ~10x faster to warm
    up than compiling the whole model, same speed-up). Returns whether anything was compiled."""
    done = False
    for component in ("transformer", "transformer_2"):
        model = getattr(pipe, component, None)
        if model is not None and getattr(model, "_repeated_blocks", None):
            model.compile_repeated_blocks(fullgraph=True)
            done = True
    return done


@contextlib.contextmanager
def cache_acceleration(pipe: Any, kind: str | None, family_caches: tuple[str, ...], steps: int,
                       options: Mapping[str, Any]) -> Iterator[None]:
    """Enable a denoiser cache for one call and remove it afterwards (its state is per run)."""
    if not kind:
        yield
        return
    if kind not in family_caches:     # check_settings refused it before; the bench calls this directly
        raise EngineError(ErrorKind.UNSUPPORTED, f"the {kind} cache does not run on this model family",
                          f"Use one of: {', '.join(family_caches) or 'no cache'}.")
    from diffusers.hooks import FirstBlockCacheConfig, MagCacheConfig, PyramidAttentionBroadcastConfig
    if kind == "first_block":
        config = FirstBlockCacheConfig(threshold=float(options.get("cache_threshold", 0.05)))
    elif kind == "mag":
        ratios = options.get("mag_ratios")
        if not ratios:
            raise EngineError(ErrorKind.UNSUPPORTED, "MagCache needs magnitude ratios calibrated for this checkpoint",
                              "Set options.mag_ratios (from a calibration run) or use the first_block cache.")
        config = MagCacheConfig(mag_ratios=list(map(float, ratios)), num_inference_steps=steps,
                                threshold=float(options.get("cache_threshold", 0.06)))
    else:
        config = PyramidAttentionBroadcastConfig(
            spatial_attention_block_skip_range=int(options.get("pab_skip", 2)),
            spatial_attention_timestep_skip_range=(100, 800),
            current_timestep_callback=lambda: pipe.current_timestep)
    models = [m for m in (getattr(pipe, "transformer", None), getattr(pipe, "transformer_2", None)) if m is not None]
    for model in models:
        model.enable_cache(config)
    try:
        yield
    finally:
        for model in models:
            with contextlib.suppress(Exception):
                model.disable_cache()


def is_oom(exc: BaseException) -> bool:
    if isinstance(exc, MemoryError):
        return True
    try:
        import torch
    except ImportError:
        return False
    if isinstance(exc, torch.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


_NEXT_MODE = {"gpu": "model_offload", "model_offload": "group_offload", "group_offload": "group_offload_disk",
              "sequential_offload": "group_offload_disk"}


def oom_error(exc: BaseException, mode: MemoryMode, width: int, height: int, frames: int) -> EngineError:
    """An OUT_OF_MEMORY error whose suggestion is the next thing to try for THIS shot."""
    steps = []
    if not mode.vae_tiling:
        steps.append("turn on VAE tiling")
    nxt = _NEXT_MODE.get(mode.placement)
    if nxt:
        steps.append(f"switch the memory mode from {mode.placement} to {nxt}")
    w, h = max(16, width * 3 // 4 // 16 * 16), max(16, height * 3 // 4 // 16 * 16)
    steps.append(f"lower the working size from {width}x{height} to about {w}x{h}")
    if frames > 33:
        steps.append(f"or generate fewer than {frames} frames and extend the shot")
    return EngineError(ErrorKind.OUT_OF_MEMORY,
                       f"out of memory generating {frames} frames at {width}x{height} ({mode.label})",
                       "Try: " + "; ".join(steps) + ".", details=str(exc)[:2000])


def free_accelerator_memory() -> None:
    import gc
    gc.collect()
    try:
        import torch
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except ImportError:
        pass
