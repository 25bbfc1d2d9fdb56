"""The speed/memory settings of one diffusion shot, parsed and checked before anything loads.

Who calls: the backend (every shot), `estimate_request` (the studio's estimate), the CLI flags of
`shotreel generate` / `shotreel estimate` and the per-shot override. No torch here: a combination
that cannot work is refused up front, with the reason, by `check_settings`, instead of failing
after minutes of loading or denoising.

Options read (request.options): memory_mode (+vae_tiling), vae_tiling, dtype, attention_backend,
cache, compile, allow_download.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..errors import EngineError, ErrorKind
from .registry import MEMORY_MODES, ModelInfo

CACHE_KINDS = ("first_block", "mag", "pab")
FP8 = "float8_e4m3fn"
_DTYPE_NAMES = {"float32": "float32", "fp32": "float32", "float": "float32", "bfloat16": "bfloat16",
                "bf16": "bfloat16", "float16": "float16", "fp16": "float16", "half": "float16",
                "fp8": FP8, "float8": FP8, "float8_e4m3fn": FP8, "e4m3": FP8}
DTYPE_CHOICES = ("auto", "bfloat16", "float16", "float32", "fp8")
# fp8 is a storage dtype: the weights sit in 8 bits and each layer computes in bfloat16 (diffusers
# layerwise casting). Only the denoiser's linear layers take it well.
FP8_COMPONENTS = ("transformer", "transformer_2")
# The VAE's own dtype under a half-precision pipeline: the Wan authors decode in float32; the
# LTX-Video, LTX-2 and CogVideoX VAEs ship and run in bfloat16 (their pipelines hand the VAE the
# latents in the transformer's dtype, so a float32 VAE there needs the cast loader adds). SkyReels-V2
# decodes with the Wan VAE, loaded in float32 in its published recipe too.
VAE_DTYPE = {"wan": "float32", "skyreels": "float32"}
ATTENTION_CHOICES = ("native", "flash", "sage", "_native_cudnn", "_native_efficient", "_native_flash",
                     "_native_math", "flex", "xformers", "flash_hub", "sage_hub")


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


def dtype_names(spec: Any, device: str, family: str = "") -> dict[str, str]:
    """Option `dtype` -> component -> canonical name ('default' for the rest).

    spec: None/'auto' (bfloat16 on an accelerator with the VAE in the family's own dtype; float32 on
    a CPU), a name ('bf16', 'fp8' = the transformer stored in fp8, the rest bfloat16), or a
    mapping per component ({'transformer': 'bf16', 'vae': 'fp32', 'default': 'bf16'})."""
    if spec in (None, "", "auto"):
        spec = "float32" if device == "cpu" else "bfloat16"
    if isinstance(spec, str):
        name = _canonical(spec, "the pipeline")
        if name == FP8:
            spec = {"default": "bfloat16", **{c: FP8 for c in FP8_COMPONENTS}}
        else:
            spec = {"default": name}
        if spec["default"] != "float32" and family in VAE_DTYPE:
            spec["vae"] = VAE_DTYPE[family]
    if not isinstance(spec, Mapping):
        raise EngineError(ErrorKind.BAD_INPUT, f"dtype {spec!r} must be a name or a component -> name mapping")
    names = {str(component): _canonical(name, str(component)) for component, name in spec.items()}
    names.setdefault("default", "float32")
    for component, name in names.items():
        if name == FP8 and component not in FP8_COMPONENTS:
            raise EngineError(ErrorKind.BAD_INPUT, f"fp8 is a storage dtype for the transformer only, not for "
                                                   f"{component}", "Use fp8 for 'transformer' (or the whole "
                                                                   "pipeline: --dtype fp8), bf16 elsewhere.")
    return names


def _canonical(name: Any, component: str) -> str:
    canonical = _DTYPE_NAMES.get(str(name).lower())
    if canonical is None:
        raise EngineError(ErrorKind.BAD_INPUT, f"dtype {name!r} for {component} is not one of "
                                               "float32, bfloat16, float16, fp8")
    return canonical


def compute_dtype(names: Mapping[str, str], component: str) -> str:
    """The dtype `component` is loaded and computes in (an fp8 one computes in bfloat16)."""
    name = names.get(component, names["default"])
    return "bfloat16" if name == FP8 else name


@dataclass(frozen=True)
class ShotSettings:
    """Everything that decides where the weights live and how fast the denoiser runs."""
    mode: MemoryMode
    dtypes: dict[str, str]
    attention: str | None
    cache: str | None
    compile: bool
    device: str

    def to_dict(self) -> dict[str, Any]:
        return {"memory_mode": self.mode.label, "dtype": dict(self.dtypes), "attention_backend": self.attention,
                "cache": self.cache, "compile": self.compile, "device": self.device}


def check_settings(options: Mapping[str, Any], info: ModelInfo, device: str) -> ShotSettings:
    """Parse the options and refuse a combination that cannot work, saying why (BAD_INPUT for a
    value that means nothing, UNSUPPORTED for one this model, device or combination cannot run)."""
    mode = parse_memory_mode(options.get("memory_mode"), bool(options.get("vae_tiling")))
    names = dtype_names(options.get("dtype"), device, info.family)
    cache = str(options.get("cache") or "").strip().lower() or None
    if cache in ("none", "off"):
        cache = None
    if cache is not None:
        if cache not in CACHE_KINDS:
            raise EngineError(ErrorKind.BAD_INPUT, f"cache {cache!r} is not one of {', '.join(CACHE_KINDS)}")
        if cache not in info.spec.caches:
            raise EngineError(ErrorKind.UNSUPPORTED, f"the {cache} cache does not run on {info.label}",
                              f"Use one of: {', '.join(info.spec.caches) or 'no cache'}.")
        if cache == "mag" and not options.get("mag_ratios"):
            raise EngineError(ErrorKind.UNSUPPORTED, "MagCache needs magnitude ratios calibrated for this checkpoint",
                              "Set options.mag_ratios (from a calibration run) or use the first_block cache.")
    compile_ = bool(options.get("compile"))
    if compile_ and cache:
        # Measured on diffusers 0.42.1: compile_repeated_blocks(fullgraph=True) cannot trace the cache
        # hooks (FirstBlockCache: "Unsupported hasattr call"; PAB: data-dependent branching). Without
        # fullgraph every block graph-breaks at the hook, which is slower than either alone.
        raise EngineError(ErrorKind.UNSUPPORTED, f"regional compile and the {cache} cache cannot run together "
                                                 "(the compiled blocks cannot trace the cache's hooks)",
                          "Choose one: the cache (no warm-up) or compile (faster after a warm-up).")
    if compile_ and mode.placement in ("sequential_offload", "group_offload_disk"):
        raise EngineError(ErrorKind.UNSUPPORTED, f"regional compile does not run with {mode.placement} (every "
                                                 "leaf move breaks the compiled graph)",
                          "Use compile with gpu, model_offload or group_offload.")
    attention = str(options.get("attention_backend") or "").strip().lower() or None
    if attention and attention.endswith("_hub") and not options.get("allow_download"):
        raise EngineError(ErrorKind.UNSUPPORTED, f"attention backend {attention!r} downloads its kernel from the "
                                                 "Hugging Face hub and downloading is not allowed",
                          "Allow downloads (--allow-download / Settings) or pick an installed backend "
                          "(native, flash, sage).")
    return ShotSettings(mode, names, attention, cache, compile_, device)
