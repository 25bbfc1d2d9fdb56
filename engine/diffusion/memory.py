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
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from ..errors import EngineError, ErrorKind
from .registry import MEMORY_MODES

CACHE_KINDS = ("first_block", "mag", "pab")
_DTYPE_NAMES = {"float32": "float32", "fp32": "float32", "float": "float32", "bfloat16": "bfloat16",
                "bf16": "bfloat16", "float16": "float16", "fp16": "float16", "half": "float16"}


@dataclass(frozen=True)
class MemoryMode:
    placement: str        # one of registry.MEMORY_MODES
    vae_tiling: bool

    @property
    def label(self) -> str:
        return self.placement + ("+vae_tiling" if self.vae_tiling else "")


def parse_memory_mode(value: Any, vae_tiling: bool = False) -> MemoryMode:
    parts = [p.strip().lower() for p in str(value or "gpu").replace(",", "+").split("+") if p.strip()]
    placement = "gpu"
    for part in parts:
        if part in ("vae_tiling", "tiling"):
            vae_tiling = True
        elif part in MEMORY_MODES:
            placement = part
        else:
            raise EngineError(ErrorKind.BAD_INPUT, f"memory mode {part!r} is not one of "
                                                   f"{', '.join(MEMORY_MODES)}, vae_tiling")
    return MemoryMode(placement, bool(vae_tiling))


def pick_device(requested: str | None = None) -> str:
    import torch
    if requested:
        return requested
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def parse_dtypes(spec: Any, device: str) -> tuple[Any, dict[str, str]]:
    """Option `dtype` -> (what from_pretrained takes, a JSON-able description).

    spec: None (bfloat16 on an accelerator with the VAE in float32; float32 on CPU), a name
    ('bfloat16'), or a dict per component ({'transformer': 'bf16', 'vae': 'fp32', 'default': 'bf16'}).
    """
    import torch
    if spec in (None, "", "auto"):
        spec = {"default": "bfloat16", "vae": "float32"} if device != "cpu" else {"default": "float32"}
    if isinstance(spec, str):
        spec = {"default": spec}
    if not isinstance(spec, Mapping):
        raise EngineError(ErrorKind.BAD_INPUT, f"dtype {spec!r} must be a name or a component -> name mapping")
    names: dict[str, str] = {}
    for component, name in spec.items():
        canonical = _DTYPE_NAMES.get(str(name).lower())
        if canonical is None:
            raise EngineError(ErrorKind.BAD_INPUT, f"dtype {name!r} for {component} is not one of "
                                                   "float32, bfloat16, float16")
        names[str(component)] = canonical
    names.setdefault("default", "float32")
    return {k: getattr(torch, v) for k, v in names.items()}, names


def place(pipe: Any, mode: MemoryMode, device: str, offload_dir: str | None) -> str:
    """Put the pipeline's components where `mode` says. Returns the effective placement."""
    import torch
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
        kwargs: dict[str, Any] = {"onload_device": torch.device(device), "offload_device": torch.device("cpu"),
                                  "offload_type": "block_level", "num_blocks_per_group": 1,
                                  "use_stream": device.startswith("cuda")}
        if placement == "group_offload_disk":
            if not offload_dir:
                raise EngineError(ErrorKind.BUG, "group offload to disk needs a folder")
            os.makedirs(offload_dir, exist_ok=True)
            kwargs["offload_to_disk_path"] = offload_dir
        pipe.enable_group_offload(**kwargs)
    return placement


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


def set_attention_backend(pipe: Any, name: str | None) -> None:
    """diffusers' attention dispatcher ('native', 'flash', 'sage', '_native_cudnn', ...).

    The choice is process-wide inside diffusers, so it is set on every shot, not cached."""
    if not name:
        return
    for component in ("transformer", "transformer_2"):
        model = getattr(pipe, component, None)
        if model is not None and hasattr(model, "set_attention_backend"):
            try:
                model.set_attention_backend(name)
            except (ValueError, RuntimeError, ImportError) as exc:
                raise EngineError(ErrorKind.UNSUPPORTED, f"attention backend {name!r} is not available here: {exc}",
                                  "Leave the attention backend on 'native' or install the kernel package.") from exc


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
    if kind not in CACHE_KINDS:
        raise EngineError(ErrorKind.BAD_INPUT, f"cache {kind!r} is not one of {', '.join(CACHE_KINDS)}")
    if kind not in family_caches:
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
