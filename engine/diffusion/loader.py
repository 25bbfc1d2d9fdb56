"""Model folder or hub id -> a loaded, placed diffusers pipeline, kept between shots.

Who calls: the diffusion backend (every shot) and the benchmark. Loading a 14B model takes minutes,
so the last pipeline stays loaded, keyed by folder + dtypes + memory mode + device + compile; a
different key evicts it first (the accelerator is one resource, two models rarely fit).

Safety: the folder is inspected by `registry.inspect_model_dir` first (safetensors only, no remote
code), then loaded with `use_safetensors=True` and `local_files_only=True`. A hub id resolves only
from the local Hugging Face cache unless the user allowed downloads; then only safetensors, JSON,
and tokenizer files are fetched (never pickles or .py files).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..errors import EngineError, ErrorKind
from .memory import (MemoryMode, apply_storage_dtypes, compile_regional, free_accelerator_memory, is_oom,
                     match_vae_input_dtype, parse_dtypes, place)
from .registry import ModelInfo, inspect_model_dir

_HUB_PATTERNS = ["*.json", "*.safetensors", "*.txt", "*.model", "*.tiktoken", "tokenizer*", "spiece*"]


def resolve_model(model: str, *, allow_download: bool = False) -> ModelInfo:
    """A folder path or a hub id ('Wan-AI/Wan2.1-T2V-1.3B-Diffusers') -> ModelInfo."""
    if not model or not str(model).strip():
        raise EngineError(ErrorKind.MODEL_MISSING, "no model was chosen for the diffusion backend",
                          "Choose a model folder in File > Settings > Engine defaults > Model folders (see `shotreel models`).")
    path = Path(model).expanduser()
    if path.exists() or path.is_absolute() or str(model).startswith((".", "~")) or str(model).count("/") != 1:
        return inspect_model_dir(path)
    return inspect_model_dir(_hub_snapshot(str(model), allow_download))


def _hub_snapshot(repo_id: str, allow_download: bool) -> str:
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError as exc:
        raise EngineError(ErrorKind.MODEL_MISSING, f"{repo_id} is not a folder and huggingface_hub is missing") from exc
    try:
        return snapshot_download(repo_id, allow_patterns=_HUB_PATTERNS, local_files_only=True)
    except LocalEntryNotFoundError:
        pass
    except Exception as exc:  # malformed ids and cache errors alike: say what the user can act on
        if not allow_download:
            raise EngineError(ErrorKind.MODEL_MISSING, f"model {repo_id!r} is neither a folder nor in the local "
                                                       f"Hugging Face cache ({exc})") from exc
    if not allow_download:
        raise EngineError(ErrorKind.MODEL_MISSING,
                          f"model {repo_id!r} is not a folder on this machine and downloading is not allowed",
                          "Point at a downloaded model folder, or allow downloads (--allow-download / Settings).")
    try:
        return snapshot_download(repo_id, allow_patterns=_HUB_PATTERNS)
    except Exception as exc:
        raise EngineError(ErrorKind.MODEL_MISSING, f"could not download {repo_id}: {exc}") from exc


@dataclass
class LoadedPipeline:
    """One loaded pipeline plus the sibling pipelines built on its components (I2V on a T2V
    checkpoint, V2V...), which share weights and cost nothing to keep."""
    pipe: Any
    info: ModelInfo
    device: str
    mode: MemoryMode
    placement: str                    # effective placement (see memory.place)
    dtypes: dict[str, str]
    compiled: bool
    scheduler_config: dict
    load_seconds: float
    siblings: dict[str, Any] = field(default_factory=dict)
    loras: dict[str, str] = field(default_factory=dict)    # adapter name -> LoRA file (engine.diffusion.lora)

    def sibling(self, class_name: str) -> Any:
        """The pipeline class `class_name` over the same components.

        Built like diffusers' `from_pipe` (same components, the pipeline's config such as Wan 2.2's
        boundary_ratio / expand_timesteps), but without its last step: from_pipe ends with
        `.to(dtype)` for ONE dtype (float32 when none is given), which casts the shared, already
        placed components in place: a bf16 transformer would turn fp32 (double the memory) and a
        mixed bf16/fp32 load cannot be expressed at all."""
        if type(self.pipe).__name__ == class_name:
            return self.pipe
        if class_name not in self.siblings:
            import diffusers
            cls = getattr(diffusers, class_name)
            expected, optional = cls._get_signature_keys(cls)
            components = dict(self.pipe.components)
            kwargs = {name: components.get(name) for name in expected}
            kwargs.update({k: self.pipe.config[k] for k in optional if k in self.pipe.config})
            missing = [n for n in expected if kwargs[n] is None and n not in getattr(cls, "_optional_components", [])
                       and n not in optional]
            if missing:
                raise EngineError(ErrorKind.MODEL_INVALID, f"{self.info.label} has no {', '.join(missing)} for "
                                                           f"{class_name}")
            sibling = cls(**kwargs)
            sibling.set_progress_bar_config(disable=True)
            self.siblings[class_name] = sibling
        return self.siblings[class_name]

    def all_pipelines(self) -> list[Any]:
        return [self.pipe, *self.siblings.values()]


_CACHE: "OrderedDict[tuple, LoadedPipeline]" = OrderedDict()
_LOCK = threading.Lock()
KEEP_LOADED = 1


def cache_key(info: ModelInfo, dtypes: dict[str, str], mode: MemoryMode, device: str, compile_: bool) -> tuple:
    index = Path(info.path) / "model_index.json"
    stamp = index.stat().st_mtime_ns if index.exists() else 0
    # group offload plans a tiled VAE differently on CUDA (no stream prefetch): part of what is loaded
    tiled = mode.vae_tiling and mode.placement.startswith("group_offload") and device.startswith("cuda")
    return (info.path, stamp, tuple(sorted(dtypes.items())), mode.placement, device, bool(compile_)) + \
        (("vae_tiling",) if tiled else ())


def load_pipeline(info: ModelInfo, load_class: str, *, dtype: Any = None, mode: MemoryMode, device: str,
                  compile_: bool = False, offload_dir: str | None = None,
                  progress: Callable[[str], None] | None = None) -> LoadedPipeline:
    """Load (or reuse) `info` as pipeline class `load_class`. Raises MODEL_* errors with advice."""
    import time

    torch_dtypes, dtype_names = parse_dtypes(dtype, device, info.family)
    key = cache_key(info, dtype_names, mode, device, compile_)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return hit
        while len(_CACHE) >= KEEP_LOADED:
            _, old = _CACHE.popitem(last=False)
            del old
            free_accelerator_memory()
    if not info.driven:
        raise EngineError(ErrorKind.UNSUPPORTED, f"{info.label} ({Path(info.path).name}): {info.note}",
                          "Choose a Wan, LTX-Video or CogVideoX model.")
    import diffusers
    if progress:
        progress(f"loading {info.label}")
    started = time.monotonic()
    cls = getattr(diffusers, load_class)
    failure: EngineError | None = None
    try:
        pipe = cls.from_pretrained(info.path, dtype=torch_dtypes, use_safetensors=True, local_files_only=True)
    except EngineError:
        raise
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, MemoryError) as exc:
        failure = _load_error(exc, info, load_class, "load")
    if failure is not None:
        free_accelerator_memory()      # outside the except block: the half-loaded weights are unreachable now
        raise failure
    pipe.set_progress_bar_config(disable=True)
    if offload_dir is None and mode.placement == "group_offload_disk":
        offload_dir = default_offload_dir(info)
    try:
        apply_storage_dtypes(pipe, dtype_names)
        match_vae_input_dtype(pipe)
        placement = place(pipe, mode, device, offload_dir)
        compiled = compile_regional(pipe) if compile_ else False
    except EngineError:
        raise
    except Exception as exc:
        if not is_oom(exc):
            raise
        failure = _load_error(exc, info, load_class, f"place ({mode.label})")
    if failure is not None:
        del pipe                       # a placement that ran out of memory leaves nothing behind
        free_accelerator_memory()
        raise failure
    loaded = LoadedPipeline(pipe=pipe, info=info, device=device, mode=mode, placement=placement,
                            dtypes=dtype_names, compiled=compiled, scheduler_config=dict(pipe.scheduler.config),
                            load_seconds=time.monotonic() - started)
    with _LOCK:
        _CACHE[key] = loaded
    return loaded


def _load_error(exc: BaseException, info: ModelInfo, load_class: str, what: str) -> EngineError:
    """An error that keeps the message only (a chained exception would keep its frames, and so the
    weights it was loading, alive for as long as the job's error is stored)."""
    text = str(exc)
    if is_oom(exc):
        return EngineError(ErrorKind.OUT_OF_MEMORY, f"not enough memory to {what} {info.label}",
                           "Close other programs, pick a lower-precision dtype (bf16, fp8), or use a smaller "
                           "memory mode (model_offload, group_offload, group_offload_disk).", details=text[:2000])
    return EngineError(ErrorKind.MODEL_INVALID, f"{Path(info.path).name} could not be loaded as {load_class}: "
                                                f"{text.splitlines()[0] if text else type(exc).__name__}",
                       details=text[:4000])


def default_offload_dir(info: ModelInfo) -> str:
    """Where group offload to disk keeps its parameter files: the user's cache, one folder per model
    (never inside the model folder, which may be read-only or shared)."""
    import hashlib
    import platformdirs
    key = hashlib.sha1(info.path.encode("utf-8")).hexdigest()[:12]
    return str(platformdirs.user_cache_path("shotreel") / "offload" / f"{Path(info.path).name}-{key}")


def unload_all() -> None:
    """Drop every kept pipeline (settings changed, the app quits, tests isolate)."""
    with _LOCK:
        _CACHE.clear()
    free_accelerator_memory()


def loaded_keys() -> list[tuple]:
    with _LOCK:
        return list(_CACHE)
