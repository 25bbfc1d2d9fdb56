"""Which model folders Shotreel can drive, what each can do, and what a shot on it will cost.

Who calls: `shotreel models` (lists), the model manager dialog, the generate dialog (estimate before
queueing) and the diffusion backend (resolves `request.model`). No torch here: a folder is
identified from its `model_index.json` and component `config.json` files, and parameter counts
come from the safetensors headers (a JSON table at the start of each file), so scanning a 30 GB
model takes milliseconds and loads nothing.

Safety rules (DESIGN: "no pickle anywhere"): weights must be safetensors; a component shipped only
as .bin/.pt/.ckpt/.pth is refused, and so is anything that would run code from the folder
(a custom pipeline, a component from a non-library module, an `auto_map` in a config).
"""
from __future__ import annotations

import json
import math
import os
import struct
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..errors import EngineError, ErrorKind


class Capability(str, Enum):
    T2V = "t2v"                # text to video
    I2V = "i2v"                # first frame given
    FLF2V = "flf2v"            # first and last frame given
    V2V = "v2v"                # remix a clip with a strength
    KEYFRAMES = "keyframes"    # images pinned at any frame index
    REFERENCES = "references"  # subject/style reference images (not frames of the output)
    CONTINUE = "continue"      # continue a clip from its last N frames
    JOINT_AUDIO = "joint_audio"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class FamilySpec:
    """What a model family needs, independent of the checkpoint size."""
    family: str
    label: str
    native_fps: Fraction
    frame_step: int          # frames must be frame_step * k + 1
    size_multiple: int       # width and height must be multiples of this
    default_size: tuple[int, int]   # (w, h) the family was trained around; the working size by default
    max_frames: int          # longest clip it was trained on (longer works, but drifts)
    default_steps: int
    default_guidance: float
    default_shift: float | None      # flow shift; None = the scheduler has none
    max_sequence_length: int
    caches: tuple[str, ...]          # cache accelerations that run on this family


FAMILIES: dict[str, FamilySpec] = {
    "wan": FamilySpec("wan", "Wan 2.x", Fraction(16), 4, 16, (832, 480), 81, 30, 5.0, 3.0, 512,
                      ("first_block", "mag", "pab")),
    "ltx": FamilySpec("ltx", "LTX-Video", Fraction(24), 8, 32, (768, 512), 257, 40, 3.0, None, 128,
                      ("first_block", "pab")),
    "ltx2": FamilySpec("ltx2", "LTX-2", Fraction(24), 8, 32, (768, 512), 257, 40, 4.0, None, 1024, ()),
    "cogvideox": FamilySpec("cogvideox", "CogVideoX", Fraction(8), 8, 16, (720, 480), 49, 50, 6.0, None, 226,
                            ("first_block", "pab")),
}

C = Capability


@dataclass(frozen=True)
class VariantSpec:
    """One diffusers pipeline class a model folder can declare in model_index.json."""
    class_name: str
    family: str
    variant: str
    capabilities: frozenset[Capability]
    driven: bool = True      # False: recognised and listed, but generation is not implemented yet
    note: str = ""


VARIANTS: dict[str, VariantSpec] = {v.class_name: v for v in (
    VariantSpec("WanPipeline", "wan", "t2v", frozenset({C.T2V, C.V2V})),
    VariantSpec("WanVideoToVideoPipeline", "wan", "t2v", frozenset({C.T2V, C.V2V})),
    VariantSpec("WanImageToVideoPipeline", "wan", "i2v", frozenset({C.I2V, C.FLF2V})),
    VariantSpec("WanVACEPipeline", "wan", "vace",
                frozenset({C.T2V, C.I2V, C.FLF2V, C.KEYFRAMES, C.REFERENCES, C.CONTINUE})),
    VariantSpec("LTXPipeline", "ltx", "condition",
                frozenset({C.T2V, C.I2V, C.FLF2V, C.KEYFRAMES, C.CONTINUE, C.V2V})),
    VariantSpec("LTXConditionPipeline", "ltx", "condition",
                frozenset({C.T2V, C.I2V, C.FLF2V, C.KEYFRAMES, C.CONTINUE, C.V2V})),
    VariantSpec("LTXImageToVideoPipeline", "ltx", "condition",
                frozenset({C.T2V, C.I2V, C.FLF2V, C.KEYFRAMES, C.CONTINUE, C.V2V})),
    VariantSpec("LTX2Pipeline", "ltx2", "t2v", frozenset({C.T2V, C.I2V, C.FLF2V, C.KEYFRAMES, C.JOINT_AUDIO})),
    VariantSpec("LTX2ImageToVideoPipeline", "ltx2", "i2v",
                frozenset({C.T2V, C.I2V, C.FLF2V, C.KEYFRAMES, C.JOINT_AUDIO})),
    VariantSpec("LTX2ConditionPipeline", "ltx2", "condition",
                frozenset({C.T2V, C.I2V, C.FLF2V, C.KEYFRAMES, C.JOINT_AUDIO})),
    VariantSpec("CogVideoXPipeline", "cogvideox", "t2v", frozenset({C.T2V, C.V2V})),
    VariantSpec("CogVideoXVideoToVideoPipeline", "cogvideox", "t2v", frozenset({C.T2V, C.V2V})),
    VariantSpec("CogVideoXImageToVideoPipeline", "cogvideox", "i2v", frozenset({C.I2V})),
)}

def _add_skyreels() -> None:
    """SkyReels-V2 (Wan architecture, 24 fps): diffusion forcing generates long shots in overlapping
    windows (base_num_frames + overlap_history)."""
    FAMILIES["skyreels"] = FamilySpec("skyreels", "SkyReels-V2", Fraction(24), 4, 16, (960, 544), 97, 30, 6.0, 8.0,
                                      512, ("first_block",))
    # One diffusion forcing folder drives all three DF pipelines (same components): text, first(-last)
    # frame, and native extend of a previous take (its last frames as the prefix it continues).
    for name in ("SkyReelsV2DiffusionForcingPipeline", "SkyReelsV2DiffusionForcingImageToVideoPipeline",
                 "SkyReelsV2DiffusionForcingVideoToVideoPipeline"):
        VARIANTS[name] = VariantSpec(name, "skyreels", "t2v", frozenset({C.T2V, C.I2V, C.FLF2V, C.CONTINUE}))
    VARIANTS["SkyReelsV2Pipeline"] = VariantSpec("SkyReelsV2Pipeline", "skyreels", "t2v", frozenset({C.T2V}))
    VARIANTS["SkyReelsV2ImageToVideoPipeline"] = VariantSpec("SkyReelsV2ImageToVideoPipeline", "skyreels", "i2v",
                                                             frozenset({C.I2V, C.FLF2V}))


_add_skyreels()


def _add_hunyuan15() -> None:
    """HunyuanVideo 1.5 (24 fps, 4k+1 frames, its own VAE; guidance through the pipeline's guider)."""
    FAMILIES["hunyuan15"] = FamilySpec("hunyuan15", "HunyuanVideo 1.5", Fraction(24), 4, 16, (848, 480), 121, 50,
                                       6.0, None, 256, ())
    VARIANTS["HunyuanVideo15Pipeline"] = VariantSpec("HunyuanVideo15Pipeline", "hunyuan15", "t2v", frozenset({C.T2V}))
    VARIANTS["HunyuanVideo15ImageToVideoPipeline"] = VariantSpec("HunyuanVideo15ImageToVideoPipeline", "hunyuan15",
                                                                 "i2v", frozenset({C.I2V}))


_add_hunyuan15()

# Where a component may come from. Anything else in model_index.json names code to import.
_LIBRARIES = {"diffusers", "transformers"}
_PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
# Components that are weights-free: configs and tokenizers only.
_NO_WEIGHTS = {"scheduler", "tokenizer", "tokenizer_2", "feature_extractor", "image_processor", "guider"}


@dataclass(frozen=True)
class ModelInfo:
    """A model folder the backend can load, as `shotreel models` shows it."""
    path: str
    class_name: str
    family: str
    variant: str
    label: str
    capabilities: frozenset[Capability]
    native_fps: Fraction
    frame_step: int
    size_multiple: int
    params: Mapping[str, int]            # component -> parameter count
    hidden_size: int = 0                 # transformer width, for the time estimate
    layers: int = 0
    latent_channels: int = 16
    vae_spatial: int = 8                 # pixel -> latent factors
    vae_temporal: int = 4
    patch: tuple[int, int, int] = (1, 2, 2)   # transformer patch (t, h, w)
    driven: bool = True
    note: str = ""

    @property
    def spec(self) -> FamilySpec:
        return FAMILIES[self.family]

    def can(self, capability: Capability | str) -> bool:
        return Capability(capability) in self.capabilities

    @property
    def total_params(self) -> int:
        return sum(self.params.values())

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "class_name": self.class_name, "family": self.family, "variant": self.variant,
                "label": self.label, "capabilities": sorted(c.value for c in self.capabilities),
                "native_fps": f"{self.native_fps.numerator}/{self.native_fps.denominator}",
                "frame_rule": f"{self.frame_step}k+1", "size_multiple": self.size_multiple,
                "params": dict(self.params), "driven": self.driven, "note": self.note,
                "default_steps": self.spec.default_steps, "default_guidance": self.spec.default_guidance,
                "default_shift": self.spec.default_shift}


# -- reading folders ------------------------------------------------------------------------------

def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EngineError(ErrorKind.MODEL_INVALID, f"{path} is not readable JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise EngineError(ErrorKind.MODEL_INVALID, f"{path} is not a JSON object")
    return data


def safetensors_param_count(path: Path) -> int:
    """Number of parameters in one .safetensors file, read from its header alone. A header that is not a
    table of tensors with whole-number shapes is refused (hostile headers once raised AttributeError)."""
    def bad(why: str) -> EngineError:
        return EngineError(ErrorKind.MODEL_INVALID, f"{path.name} is not a safetensors file: {why}")
    try:
        with open(path, "rb") as fh:
            (size,) = struct.unpack("<Q", fh.read(8))
            if size > 100 * 1024 * 1024:
                raise ValueError("header larger than 100 MB")
            header = json.loads(fh.read(size))
    except (OSError, ValueError, struct.error) as exc:
        raise bad(str(exc)) from exc
    if not isinstance(header, dict):
        raise bad("its header is not a JSON object")
    total = 0
    for key, value in header.items():
        if key == "__metadata__":
            continue
        if not isinstance(value, dict):
            raise bad(f"tensor {key[:60]!r} is not described by an object")
        shape = value.get("shape")
        if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                                                  for d in shape):
            raise bad(f"tensor {key[:60]!r} has no shape of whole numbers")
        total += math.prod(shape)
    return total


def _is_diffusers_pipeline_module(library: str) -> bool:
    """diffusers names components that live inside a pipeline package by that package ('ltx2' for
    diffusers.pipelines.ltx2): installed library code, not code from the model folder."""
    import importlib.util
    if not library.isidentifier():
        return False
    spec = importlib.util.find_spec("diffusers")       # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return False
    return any((Path(root) / "pipelines" / library / "__init__.py").is_file()
               for root in spec.submodule_search_locations)


def _allowed_root(folder: Path) -> Path:
    """What symlinks in `folder` may point into: the folder itself, or for a Hugging Face cache snapshot
    (models--org--name/snapshots/<rev>/, whose files link to ../../blobs) the cached repository."""
    resolved = folder.resolve()
    if resolved.parent.name == "snapshots" and resolved.parent.parent.name.startswith("models--"):
        return resolved.parent.parent
    return resolved


_CODE_SUFFIXES = (".py", ".pyc", ".so", ".pyd")


def _check_tree(folder: Path) -> None:
    """Refuse a folder when anything in it resolves outside it (a component folder, model_index.json or weights
    symlinked elsewhere would be listed and loaded from there), ships code, or ships a pickle anywhere
    (a .bin beside a decoy .safetensors could still be what a loader picks)."""
    root = _allowed_root(folder)
    seen = 0
    for dirpath, dirnames, filenames in os.walk(folder):  # never follows symlinked folders: checked below
        here = Path(dirpath)
        for entry in [*dirnames, *filenames]:
            seen += 1
            if seen > 100_000:
                raise EngineError(ErrorKind.MODEL_INVALID, f"{folder.name} holds too many files for a model folder")
            path = here / entry
            rel = path.relative_to(folder)
            if path.is_symlink():
                try:
                    target = path.resolve(strict=True)
                except (OSError, RuntimeError):
                    raise EngineError(ErrorKind.MODEL_INVALID,
                                      f"{folder.name}/{rel} is a broken or looping symlink") from None
                if not target.is_relative_to(root):
                    raise EngineError(ErrorKind.MODEL_INVALID,
                                      f"{folder.name}/{rel} is a symlink that resolves outside the model folder "
                                      f"(to {target}); refused",
                                      "Copy the files into the model folder instead of linking them.")
            if entry.endswith(_CODE_SUFFIXES):
                raise EngineError(ErrorKind.MODEL_INVALID,
                                  f"{folder.name}/{rel} is code shipped with the model; Shotreel never runs remote code")
            if entry.endswith(_PICKLE_SUFFIXES) and rel.parts[0] != ".cache":
                raise EngineError(ErrorKind.MODEL_INVALID,
                                  f"{folder.name}/{rel} is a pickle checkpoint; Shotreel loads safetensors only, "
                                  "because a pickle can run arbitrary code when loaded",
                                  "Remove the pickle files (keep the .safetensors) or convert the weights.")
            if entry.endswith(".json") and path.is_file():
                _refuse_auto_map(folder, path)


def _refuse_auto_map(folder: Path, path: Path) -> None:
    """Any config (config.json, tokenizer_config.json, processor configs) naming custom code via auto_map."""
    if path.stat().st_size > 50 * 1024 * 1024:
        return  # a tokenizer.json vocabulary, not a config
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return  # read again (and refused if broken) where it matters
    if isinstance(data, dict) and ("auto_map" in data or "custom_pipeline" in data):
        raise EngineError(ErrorKind.MODEL_INVALID,
                          f"{folder.name}/{path.relative_to(folder)} maps to custom code (auto_map); "
                          "Shotreel never runs remote code")


def _check_component(folder: Path, name: str, entry: Any) -> int:
    """Refuse pickles and remote code in one component; return its parameter count."""
    if isinstance(entry, (dict, tuple)) or (isinstance(entry, list) and len(entry) != 2):
        raise EngineError(ErrorKind.MODEL_INVALID,
                          f"{folder.name}: model_index.json component '{name[:60]}' is not [library, class]",
                          "Use an official diffusers conversion of the model.")
    if not isinstance(entry, list):
        return 0                                    # a plain setting (boundary_ratio, expand_timesteps, ...)
    library, class_name = entry
    if library is None or class_name is None:       # an optional component left empty
        return 0
    if not isinstance(library, str) or not isinstance(class_name, str):
        raise EngineError(ErrorKind.MODEL_INVALID,
                          f"{folder.name}: model_index.json component '{name[:60]}' is not [library, class] names")
    if library not in _LIBRARIES and not _is_diffusers_pipeline_module(library):
        raise EngineError(ErrorKind.MODEL_INVALID,
                          f"{folder.name}: component '{name}' comes from '{library}.{class_name}', which would run "
                          "code shipped with the model; Shotreel never runs remote code",
                          "Use an official diffusers conversion of the model.")
    sub = folder / name
    if not sub.is_dir():
        if name in _NO_WEIGHTS:
            return 0
        raise EngineError(ErrorKind.MODEL_INVALID, f"{folder.name}: the '{name}' folder is missing")
    config = _read_json(sub / "config.json")
    if "auto_map" in config:
        raise EngineError(ErrorKind.MODEL_INVALID,
                          f"{folder.name}/{name}: config.json maps to custom code (auto_map); "
                          "Shotreel never runs remote code")
    files = [p for p in sub.iterdir() if p.is_file()]
    tensors = [p for p in files if p.suffix == ".safetensors"]
    pickles = [p for p in files if p.suffix in _PICKLE_SUFFIXES]
    if pickles and not tensors:
        raise EngineError(ErrorKind.MODEL_INVALID,
                          f"{folder.name}/{name} has only pickle checkpoints ({pickles[0].name}); Shotreel loads "
                          "safetensors only, because a pickle can run arbitrary code when loaded",
                          "Convert the weights to safetensors or download the safetensors variant.")
    component_class = config.get("_class_name", "")
    if not isinstance(component_class, str):
        raise EngineError(ErrorKind.MODEL_INVALID, f"{folder.name}/{name}: config.json's _class_name is not a string")
    if not tensors and name not in _NO_WEIGHTS and config and not component_class.endswith(
            ("Scheduler", "Tokenizer", "TokenizerFast", "Processor")):
        raise EngineError(ErrorKind.MODEL_INVALID, f"{folder.name}/{name} has no safetensors weights")
    return sum(safetensors_param_count(p) for p in tensors)


def inspect_model_dir(path: str | os.PathLike) -> ModelInfo:
    """Identify one diffusers folder. Raises MODEL_MISSING / MODEL_INVALID with a clear message."""
    folder = Path(path).expanduser()
    if not folder.exists():
        raise EngineError(ErrorKind.MODEL_MISSING, f"model folder {folder} does not exist")
    if not folder.is_dir():
        raise EngineError(ErrorKind.MODEL_INVALID, f"{folder} is a file, not a diffusers model folder",
                          "Point at the folder that holds model_index.json (single-file checkpoints "
                          "are not supported).")
    _check_tree(folder)
    index = _read_json(folder / "model_index.json")
    class_name = index.get("_class_name")
    if class_name and not isinstance(class_name, str):
        raise EngineError(ErrorKind.MODEL_INVALID, f"{folder.name}: model_index.json's _class_name is not a string")
    if not class_name:
        pickles = [p.name for p in folder.iterdir() if p.suffix in _PICKLE_SUFFIXES]
        hint = f" (it holds {pickles[0]}, a pickle checkpoint)" if pickles else ""
        raise EngineError(ErrorKind.MODEL_INVALID, f"{folder} has no model_index.json: not a diffusers pipeline "
                                                   f"folder{hint}")
    if index.get("custom_pipeline") or any(folder.glob("*.py")):
        raise EngineError(ErrorKind.MODEL_INVALID,
                          f"{folder.name} ships pipeline code (.py / custom_pipeline); Shotreel never runs remote code")
    variant = VARIANTS.get(class_name)
    if variant is None:
        known = ", ".join(sorted({v.class_name for v in VARIANTS.values()}))
        raise EngineError(ErrorKind.MODEL_INVALID,
                          f"{folder.name} is a {class_name}, not a video model Shotreel knows",
                          f"Supported pipelines: {known}.")
    params: dict[str, int] = {}
    for name, entry in index.items():
        if not name.startswith("_"):
            count = _check_component(folder, name, entry)
            if count:
                params[name] = count
    if not params:
        raise EngineError(ErrorKind.MODEL_INVALID, f"{folder.name} holds no safetensors weights")
    try:
        return _describe(folder, index, variant, params)
    except (TypeError, ValueError, AttributeError, IndexError, KeyError) as exc:  # e.g. num_attention_heads: "many"
        raise EngineError(ErrorKind.MODEL_INVALID,
                          f"{folder.name}: a component config holds a value of the wrong kind ({exc})") from None


def _describe(folder: Path, index: dict, variant: VariantSpec, params: dict[str, int]) -> ModelInfo:
    if variant.family == "skyreels":
        return _describe_skyreels(folder, variant, params)
    if variant.family == "hunyuan15":
        return _describe_hunyuan15(folder, variant, params)
    spec = FAMILIES[variant.family]
    tcfg = _read_json(folder / "transformer" / "config.json") or _read_json(folder / "transformer_2" / "config.json")
    vcfg = _read_json(folder / "vae" / "config.json")
    caps = set(variant.capabilities)
    fps = spec.native_fps
    heads = int(tcfg.get("num_attention_heads") or 0)
    head_dim = int(tcfg.get("attention_head_dim") or 0)
    layers = int(tcfg.get("num_layers") or 0)
    label = spec.label
    if variant.family == "wan":
        patch = tuple(tcfg.get("patch_size") or (1, 2, 2))
        temporal_down = vcfg.get("temperal_downsample") or [False, True, True]
        spatial = int(vcfg.get("scale_factor_spatial") or 2 ** len(temporal_down))
        temporal = int(vcfg.get("scale_factor_temporal") or 2 ** sum(bool(x) for x in temporal_down))
        latent = int(vcfg.get("z_dim") or 16)
        if index.get("expand_timesteps"):          # Wan 2.2 TI2V-5B: 24 fps, image or text input
            fps, label = Fraction(24), "Wan 2.2 TI2V"
            caps |= {C.I2V}
        elif index.get("boundary_ratio") is not None or (folder / "transformer_2").is_dir():
            label = "Wan 2.2 (two experts)"
        else:
            label = "Wan 2.1"
        if variant.variant == "i2v" and tcfg.get("image_dim") and not tcfg.get("pos_embed_seq_len"):
            caps.discard(C.FLF2V)                  # CLIP-conditioned 2.1 I2V was not trained on last frames
        label += {"t2v": "", "i2v": " I2V", "vace": " VACE"}[variant.variant]
        multiple = spatial * int(patch[-1])
        frame_step = temporal
    elif variant.family in ("ltx", "ltx2"):
        spatial = int(vcfg.get("spatial_compression_ratio") or _ltx_ratio(vcfg, spatial=True))
        temporal = int(vcfg.get("temporal_compression_ratio") or _ltx_ratio(vcfg, spatial=False))
        latent = int(vcfg.get("latent_channels") or 128)
        p = int(tcfg.get("patch_size") or 1)
        patch = (int(tcfg.get("patch_size_t") or 1), p, p)
        multiple, frame_step = spatial * p, temporal
    else:  # cogvideox
        spatial = 2 ** (len(vcfg.get("block_out_channels") or (1, 1, 1, 1)) - 1)
        temporal = int(vcfg.get("temporal_compression_ratio") or 4)
        latent = int(vcfg.get("latent_channels") or 16)
        p = int(tcfg.get("patch_size") or 2)
        patch = (int(tcfg.get("patch_size_t") or 1), p, p)
        # An even number of latent frames decodes to 4L frames, an odd one to 4(L-1)+1: only
        # 8k+1 frames round-trip (49 for 1.0, 81 for 1.5).
        multiple, frame_step = spatial * p, temporal * 2
        if tcfg.get("patch_size_t"):              # CogVideoX 1.5: 16 fps
            fps, label = Fraction(16), "CogVideoX 1.5"
        label += " I2V" if variant.variant == "i2v" else ""
    return ModelInfo(path=str(folder.resolve()), class_name=variant.class_name, family=variant.family,
                     variant=variant.variant, label=label, capabilities=frozenset(caps), native_fps=fps,
                     frame_step=frame_step, size_multiple=multiple, params=params, hidden_size=heads * head_dim,
                     layers=layers, latent_channels=latent, vae_spatial=spatial, vae_temporal=temporal,
                     patch=patch, driven=variant.driven, note=variant.note)


def _describe_skyreels(folder: Path, variant: VariantSpec, params: dict[str, int]) -> ModelInfo:
    spec = FAMILIES["skyreels"]
    tcfg = _read_json(folder / "transformer" / "config.json")
    vcfg = _read_json(folder / "vae" / "config.json")
    patch = tuple(tcfg.get("patch_size") or (1, 2, 2))
    temporal_down = vcfg.get("temperal_downsample") or [False, True, True]
    spatial = 2 ** len(temporal_down)
    temporal = 2 ** sum(bool(x) for x in temporal_down)
    label = spec.label + (" diffusion forcing" if "DiffusionForcing" in variant.class_name else
                          " I2V" if variant.variant == "i2v" else "")
    return ModelInfo(path=str(folder.resolve()), class_name=variant.class_name, family="skyreels",
                     variant=variant.variant, label=label, capabilities=variant.capabilities,
                     native_fps=spec.native_fps, frame_step=temporal, size_multiple=spatial * int(patch[-1]),
                     params=params, hidden_size=int(tcfg.get("num_attention_heads") or 0) * int(
                         tcfg.get("attention_head_dim") or 0), layers=int(tcfg.get("num_layers") or 0),
                     latent_channels=int(vcfg.get("z_dim") or 16), vae_spatial=spatial, vae_temporal=temporal,
                     patch=patch, driven=variant.driven, note=variant.note)


def _describe_hunyuan15(folder: Path, variant: VariantSpec, params: dict[str, int]) -> ModelInfo:
    spec = FAMILIES["hunyuan15"]
    tcfg = _read_json(folder / "transformer" / "config.json")
    vcfg = _read_json(folder / "vae" / "config.json")
    spatial = int(vcfg.get("spatial_compression_ratio") or 16)
    temporal = int(vcfg.get("temporal_compression_ratio") or 4)
    p = int(tcfg.get("patch_size") or 1)
    return ModelInfo(path=str(folder.resolve()), class_name=variant.class_name, family="hunyuan15",
                     variant=variant.variant, label=spec.label + (" I2V" if variant.variant == "i2v" else ""), capabilities=variant.capabilities,
                     native_fps=spec.native_fps, frame_step=temporal, size_multiple=spatial * p, params=params,
                     hidden_size=int(tcfg.get("num_attention_heads") or 0) * int(tcfg.get("attention_head_dim") or 0),
                     layers=int(tcfg.get("num_layers") or 0), latent_channels=int(vcfg.get("latent_channels") or 32),
                     vae_spatial=spatial, vae_temporal=temporal, patch=(int(tcfg.get("patch_size_t") or 1), p, p),
                     driven=variant.driven, note=variant.note)


def _ltx_ratio(vcfg: dict, *, spatial: bool) -> int:
    scaling = vcfg.get("spatio_temporal_scaling") or (True, True, True, False)
    base = int(vcfg.get("patch_size") or 4) if spatial else int(vcfg.get("patch_size_t") or 1)
    return base * 2 ** sum(bool(s) for s in scaling)


def scan_model_dirs(paths: Iterable[str | os.PathLike], errors: list[EngineError] | None = None) -> list[ModelInfo]:
    """Every usable model in `paths` (each a model folder or a folder of model folders, one level).

    Folders that are not models are skipped quietly; folders that look like models but break a rule
    (pickles, remote code, unknown pipeline) are reported through `errors` when given.
    """
    found: list[ModelInfo] = []
    seen: set[str] = set()
    for raw in paths:
        root = Path(raw).expanduser()
        if not root.is_dir():
            continue
        try:
            candidates = [root] if (root / "model_index.json").exists() else sorted(
                p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        except OSError as exc:  # an unreadable models folder: say so, do not crash the listing
            if errors is not None:
                errors.append(EngineError(ErrorKind.MODEL_INVALID, f"cannot read {root}: {exc.strerror or exc}"))
            continue
        for folder in candidates:
            try:
                looks_like_model = (folder / "model_index.json").exists() or any(
                    p.suffix in _PICKLE_SUFFIXES + (".safetensors",) for p in folder.iterdir() if p.is_file())
            except OSError as exc:
                if errors is not None:
                    errors.append(EngineError(ErrorKind.MODEL_INVALID, f"cannot read {folder}: {exc.strerror or exc}"))
                continue
            if not looks_like_model:
                continue
            try:
                info = inspect_model_dir(folder)
            except EngineError as exc:
                if errors is not None:
                    errors.append(exc)
                continue
            if info.path not in seen:
                seen.add(info.path)
                found.append(info)
    return found


# -- estimates --------------------------------------------------------------------------------------

MEMORY_MODES = ("gpu", "model_offload", "sequential_offload", "group_offload", "group_offload_disk")


def rule_frames(frames: int, step: int) -> int:
    """Smallest step*k+1 >= frames."""
    return max(1, math.ceil(max(frames - 1, 0) / step)) * step + 1


def capability_names(models: Iterable[ModelInfo], capability: Capability) -> str:
    """'Wan 2.1 VACE (/models/wan-vace), LTX-Video (...)' for error messages; 'none found' if empty."""
    names = [f"{m.label} ({Path(m.path).name})" for m in models if m.can(capability) and m.driven]
    return ", ".join(names) if names else "none of the scanned models"


def models_report(paths: Iterable[str | os.PathLike], *, as_json: bool = False) -> tuple[str, int]:
    """What `shotreel models [--path DIR] [--json]` prints, and its exit code (1 when nothing usable
    was found). Refused folders are listed with the reason, so a user sees why a model is missing."""
    errors: list[EngineError] = []
    models = scan_model_dirs(paths, errors)
    if as_json:
        data = {"models": [m.to_dict() for m in models], "refused": [e.to_dict() for e in errors]}
        return json.dumps(data, indent=1), 0 if models else 1
    lines = []
    for m in models:
        billions = m.total_params / 1e9
        size = f"{billions:.1f} B params" if billions >= 0.1 else f"{m.total_params / 1e6:.2f} M params"
        state = "" if m.driven else f"  ({m.note})"
        lines.append(f"{m.label:<24} {m.path}\n    can: {', '.join(sorted(c.value for c in m.capabilities))}; "
                     f"{m.native_fps} fps, {m.frame_step}k+1 frames, sizes in multiples of {m.size_multiple}; "
                     f"{size}{state}")
    for e in errors:
        lines.append(f"refused: {e.message}")
    if not models:
        lines.append("no usable video models found" + ("" if errors else " (add a model folder in File > "
                                                                       "Settings > Engine defaults > Model "
                                                                       "folders or pass --path DIR)"))
    return "\n".join(lines), 0 if models else 1
