"""Diffusion speed and memory settings as the studio keeps them, and the estimate before queueing.

Three layers, lowest first: the project's defaults (`project.settings['diffusion']`, Settings), the
shot's override (`Shot.generation`, the inspector), and what one command asks for (CLI flags). The
values are the engine's own option names (engine.diffusion.settings), checked here without torch so
a bad value is refused when it is typed, not when a job starts.

Who calls: studio.prompting.build_request (merges them into a diffusion request), `shotreel
generate` / `shotreel estimate`, and the inspector's generation section (ui). The estimate of a shot
as it would be queued is studio.diffusion_estimate (it builds the request: kept apart so this module
needs nothing from the studio's model or prompting, which import it).
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from engine.errors import EngineError

from .errors import UserError

# option -> what it is, for help texts and the inspector
KEYS: dict[str, str] = {
    "memory_mode": "gpu | model_offload | sequential_offload | group_offload | group_offload_disk, +vae_tiling",
    "dtype": "auto | bfloat16 | float16 | float32 | fp8 (transformer stored in fp8)",
    "attention_backend": "native | flash | sage | _native_cudnn | ... (diffusers dispatcher)",
    "cache": "none | first_block | pab | mag",
    "compile": "regional torch.compile of the transformer blocks (true / false)",
    "steps": "denoising steps",
    "guidance": "classifier-free guidance scale",
    "follow_previs": "off | camera | camera_blocking: the previs take's passes guide the model (Wan VACE)",
}
FOLLOW_PREVIS = ("off", "camera", "camera_blocking")


def normalise(values: Mapping[str, Any] | Iterable[tuple[str, Any]] | None, what: str = "generation") -> dict:
    """Checked, canonical settings: empty values dropped, unknown keys and bad values refused."""
    from engine.diffusion.settings import CACHE_KINDS, dtype_names, parse_memory_mode
    items = dict(values.items() if isinstance(values, Mapping) else (values or ()))
    out: dict[str, Any] = {}
    for key, value in items.items():
        if key not in KEYS:
            raise UserError(f"{what}: unknown setting {key!r} (known: {', '.join(KEYS)})")
        if value is None or value == "":
            continue
        try:
            if key == "memory_mode":
                out[key] = parse_memory_mode(value).label
            elif key == "dtype":
                if isinstance(value, (list, tuple)):      # a per-component mapping as stored pairs
                    value = dict(value)
                if isinstance(value, Mapping):
                    dtype_names(value, "cuda")
                    out[key] = {str(k): str(v) for k, v in value.items()}
                else:
                    out[key] = "auto" if str(value).lower() == "auto" else str(value).lower()
                    dtype_names(out[key], "cuda")
            elif key == "cache":
                name = str(value).lower()
                if name not in CACHE_KINDS + ("none", "off"):
                    raise UserError(f"{what}: cache {value!r} is not one of none, {', '.join(CACHE_KINDS)}")
                if name not in ("none", "off"):
                    out[key] = name
            elif key == "attention_backend":
                out[key] = str(value).strip().lower()
            elif key == "compile":
                out[key] = _bool(value, f"{what}: compile")
            elif key == "follow_previs":
                mode = str(value).strip().lower().replace(" and ", "_").replace(" ", "_").replace("+", "_")
                if mode not in FOLLOW_PREVIS:
                    raise UserError(f"{what}: follow previs {value!r} is not one of off, camera, camera and "
                                    "blocking")
                out[key] = mode
            elif key == "steps":
                out[key] = _number(value, int, 1, 500, f"{what}: steps")
            else:
                out[key] = _number(value, float, 0.0, 50.0, f"{what}: guidance")
        except EngineError as exc:
            raise UserError(f"{what}: {exc.message}") from None
    if out.get("compile") is False:
        out.pop("compile")
    return out


def _bool(value: Any, what: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise UserError(f"{what}: {value!r} is not true or false")


def _number(value: Any, kind: type, lo: float, hi: float, what: str) -> Any:
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise UserError(f"{what}: {value!r} is not a number") from None
    if not lo <= number <= hi:
        raise UserError(f"{what}: {number} is outside {lo:g}..{hi:g}")
    return number


def project_defaults(project: Any) -> dict:
    return normalise(project.settings.get("diffusion") or {}, "Settings > Generation")


def merged(project: Any, shot: Any, options: Mapping[str, Any] | None = None, folder: Any = None) -> dict:
    """Project defaults < the shot's override < this command's options (None/'' = not given), plus
    the LoRAs of the shot's bible entries and of the shot itself (option `loras`, absolute paths)."""
    given = {k: v for k, v in (options or {}).items() if v is not None and v != ""}
    out = {**project_defaults(project), **shot_override(shot), **given}
    loras = lora_options(project, shot, folder)
    if loras and "loras" not in given:
        out["loras"] = loras
    follow = normalise({"follow_previs": out.get("follow_previs")}).get("follow_previs", "off")
    if follow != "off" and "control" not in given:
        out["control"] = control_option(project, shot, folder, follow)
    return out


def control_option(project: Any, shot: Any, folder: Any, mode: str) -> dict:
    """The engine's `control` option from the shot's previs take (the selected one if it is a previs
    take, else the newest): its depth pass and, for camera, its mask pass and figure colours (the
    engine takes the figures out), for camera and blocking, its pose pass. A take from the
    renderer before control passes gives its own picture as the control (kind 'rgb')."""
    import json
    from pathlib import Path
    takes = [t for t in project.takes_of(shot.id) if t.backend == "previs" and t.files.get("video")]
    if not takes:
        raise UserError(f"follow previs: shot {shot.title or shot.id} has no previs take yet; generate one with "
                        "the previs backend first, or set follow previs to off")
    take = next((t for t in takes if t.id == shot.selected_take), takes[-1])
    base = Path(folder) if folder is not None else Path(".")
    video = base / take.files["video"]
    passes: dict = {}
    meta_file = take.files.get("metadata")
    if meta_file and (base / meta_file).is_file():
        try:
            passes = json.loads((base / meta_file).read_text(encoding="utf-8")).get("passes") or {}
        except (OSError, ValueError):
            passes = {}

    def beside(name: str) -> str:
        entry = passes.get(name)
        file = entry.get("file") if isinstance(entry, dict) else None
        return str(video.parent / Path(str(file)).name) if file and (video.parent / Path(str(file)).name).is_file() \
            else ""
    depth = beside("depth")
    out = {"mode": mode, "video": depth or str(video), "kind": "depth" if depth else "rgb",
           "pose": beside("pose") if mode == "camera_blocking" else "", "take_id": take.id}
    if mode == "camera" and depth and beside("mask"):
        # camera only: the engine takes the figures (not the props) out of the depth, by their mask colours
        ids = (passes.get("mask") or {}).get("ids") or {}
        out.update(mask=beside("mask"), figures=[list(c) for name, c in ids.items()
                                                 if not str(name).startswith("prop ")])
    return out


def lora_options(project: Any, shot: Any, folder: Any = None) -> list[dict]:
    """The engine's `loras` option for a shot: each referenced bible entry's LoRAs (named after the
    entry), then the shot's own; relative paths resolved against the project folder."""
    from pathlib import Path
    out = []
    sources = []
    for ref in shot.bible_refs:
        try:
            entry = project.bible_entry(ref)
        except UserError:
            continue
        sources += [(entry.name, lora) for lora in entry.loras]
    sources += [(shot.title or shot.id, lora) for lora in shot.loras]
    for name, lora in sources:
        path = Path(lora.path).expanduser()
        if not path.is_absolute() and folder is not None:
            path = Path(folder) / path
        out.append({"path": str(path), "weight": lora.weight, "trigger": lora.trigger, "name": name})
    return out


def shot_override(shot: Any) -> dict:
    """The shot's override as engine options (stored as sorted pairs to keep the Shot hashable)."""
    return {k: dict(v) if k == "dtype" and isinstance(v, tuple) else v for k, v in shot.generation}
