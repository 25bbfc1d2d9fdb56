"""Shot + cues + bible -> a frozen engine request (and the prompt text the user can preview and edit).

Called on the GUI thread (or the CLI's main thread) right before a job is queued: everything the
backend needs is resolved here to absolute paths and plain values, so the engine never sees the
project.
"""
from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from engine.cues import AudioCue
from engine.jobs import AssetSpec, CharacterSpec, GenerationRequest, SceneSpec
from engine.plan import ShotPlan, heading_time

from .continuity import inheritance
from .model import BibleEntry, BibleKind, Project, Sequence, Shot, new_id
from .shotplan import plan_for_shot

_PALETTE = ("#c0504d", "#4f81bd", "#9bbb59", "#f79646", "#8064a2", "#4bacc6", "#d4a017", "#7f7f7f")
_VOICES = ("en-us+m3", "en-gb+f3", "en-us+f2", "en-gb+m7", "en-us+m1", "en-us+f4")


@dataclass(frozen=True)
class Heading:
    interior: bool
    location: str
    time_of_day: str


def parse_heading(text: str) -> Heading:
    """'EXT. HARBOUR - NIGHT' -> exterior, 'HARBOUR', 'night'. Forgiving: anything else is a location.
    The time is engine.plan's reading (whole words: 'MORNING' is morning, 'KNIGHT'S HALL' no night)."""
    text = (text or "").strip()
    interior = bool(re.match(r"^(INT|I/E|INT\./EXT)\b", text, re.I))
    body = re.sub(r"^(INT\./EXT\.|INT/EXT|I/E|INT|EXT|EST)\.?\s*", "", text, flags=re.I)
    time = heading_time(text)
    parts = [p.strip() for p in re.split(r"\s+-+\s+|\s+–\s+", body) if p.strip()]
    if len(parts) > 1 and time:
        parts.pop()
    return Heading(interior, " - ".join(parts), time or "day")


def stable_seed(*parts: str) -> int:
    return zlib.crc32("\x1f".join(parts).encode("utf-8")) & 0x7FFFFFFF


def character_spec(entry: BibleEntry, index: int, folder: Path | None = None) -> CharacterSpec:
    """The engine's view of a character; its 3D model (if any) as an absolute path inside `folder`
    (the project), so the renderer reads nothing outside the project."""
    model = str((Path(folder) / entry.model).resolve()) if (entry.model and folder is not None) else ""
    return CharacterSpec(name=entry.name, description=entry.description,
                         color=entry.color or _PALETTE[index % len(_PALETTE)],
                         voice=entry.voice or _VOICES[index % len(_VOICES)], model=model)


def shot_characters(project: Project, shot: Shot) -> list[BibleEntry]:
    """Characters in the shot: its bible references, else everyone its cues name."""
    refs = [project.bible_entry(r) for r in shot.bible_refs]
    chars = [e for e in refs if e.kind is BibleKind.CHARACTER]
    if chars:
        return chars
    named = {m.subject.lower() for m in shot.motion if m.subject} | \
            {a.character.lower() for a in shot.audio if a.character}
    return [e for e in project.bible if e.kind is BibleKind.CHARACTER and e.name.lower() in named]


def scene_spec(project: Project, seq: Sequence, shot: Shot, folder: Path,
               start_state: Mapping[str, Any] | None = None, plan: ShotPlan | None = None) -> SceneSpec:
    """The world of a shot. Built from the scene, so every shot of a scene shares set, light and cast.
    Its light and interior come from the shot plan (one reading of the heading for studio and engine)."""
    heading = parse_heading(seq.heading)
    plan = plan if plan is not None else plan_for_shot(project, seq, shot)
    refs = [project.bible_entry(r) for r in shot.bible_refs]
    location = next((e for e in refs if e.kind is BibleKind.LOCATION), None) or \
        next((e for e in project.bible if e.kind is BibleKind.LOCATION), None)
    styles = [e.description or e.name for e in refs if e.kind is BibleKind.STYLE] or \
        [e.description or e.name for e in project.bible if e.kind is BibleKind.STYLE]
    all_chars = [e for e in project.bible if e.kind is BibleKind.CHARACTER]
    in_shot = shot_characters(project, shot)
    planned = {p.name.lower() for p in plan.people if p.in_bible}
    in_shot += [e for e in all_chars if e.name.lower() in planned and e not in in_shot]
    # Colours and voices come from a character's place in the whole bible, so they never change per shot.
    characters = tuple(character_spec(e, all_chars.index(e), folder) for e in in_shot)
    location_text = heading.location
    if location is not None:
        location_text = f"{location.name}: {location.description}".strip(": ")
    # Prop and location entries with their own 3D model: every prop (the renderer matches the plan's
    # props by name) and the shot's location, as absolute paths inside the project.
    assets = tuple(AssetSpec(e.kind.value, e.name, str((Path(folder) / e.model).resolve()))
                   for e in project.bible if e.model and (e.kind is BibleKind.PROP or e is location))
    return SceneSpec(heading=seq.heading, location=location_text, interior=plan.place.interior,
                     time_of_day=plan.light, style="; ".join(styles), characters=characters, assets=assets,
                     set_seed=stable_seed(project.name, seq.id),
                     board_image=str(Path(folder) / shot.board_image) if shot.board_image else None,
                     start_state=start_state)


def absolute_audio(project: Project, shot: Shot, folder: Path) -> tuple[AudioCue, ...]:
    """Audio cues with absolute file paths and each dialogue line's voice resolved (off-screen speakers too)."""
    all_chars = [e for e in project.bible if e.kind is BibleKind.CHARACTER]
    voices = {e.name.lower(): character_spec(e, i).voice for i, e in enumerate(all_chars)}
    cues = []
    for cue in shot.audio:
        changes: dict[str, Any] = {}
        if cue.file:
            changes["file"] = str(Path(folder) / cue.file)
        if cue.kind.value == "dialogue" and not cue.voice and cue.character.lower() in voices:
            changes["voice"] = voices[cue.character.lower()]
        cues.append(cue.with_(**changes) if changes else cue)
    return tuple(cues)


def backend_of(project: Project, shot: Shot) -> str:
    return shot.backend or project.default_backend or "previs"


_FAMILY_CACHE: dict[tuple[str, float], str] = {}


def prompt_family(project: Project, shot: Shot) -> tuple[str, str]:
    """(family, what the preview says) of the backend and model the shot will really use:
    previs -> ('', 'previs'); diffusion -> the family read from the model folder (no torch)."""
    if backend_of(project, shot) != "diffusion":
        return "", "previs (built-in renderer)"
    model = (shot.model or "").strip()
    if not model:
        return "wan", "diffusion, no model chosen yet (Wan-style prompt)"
    path = Path(model).expanduser()
    try:
        key = (str(path), path.stat().st_mtime)
    except OSError:
        return "wan", f"diffusion, {model} (not a folder here: Wan-style prompt)"
    if key not in _FAMILY_CACHE:
        from engine.diffusion.registry import inspect_model_dir  # no torch: reads the folder's JSON
        try:
            _FAMILY_CACHE[key] = inspect_model_dir(path).family
        except Exception:  # an unreadable folder: the generate step reports it properly
            _FAMILY_CACHE[key] = ""
    family = _FAMILY_CACHE[key]
    return (family, f"diffusion, {family} ({path.name})") if family else \
        ("wan", f"diffusion, {path.name} (unreadable model folder: Wan-style prompt)")


def compiled_prompt(project: Project, seq: Sequence, shot: Shot, folder: Path, family: str = "") -> tuple[str, str]:
    """The prompt and negative prompt a backend receives, for the model family it will really use.
    The user's override wins."""
    if shot.prompt_override.strip():
        return shot.prompt_override.strip(), ""
    if backend_of(project, shot) == "diffusion":
        from engine.diffusion.prompt import compile_prompt  # no torch: the compiler is plain text work
        compiled = compile_prompt(shot.prompt, shot.camera, shot.motion, scene_spec(project, seq, shot, folder),
                                  family or prompt_family(project, shot)[0] or "wan")
        return compiled.prompt, compiled.negative_prompt
    return shot.prompt, ""


def build_request(project: Project, folder: Path, shot_id: str, *, job_id: str | None = None,
                  seed: int | None = None, operation: str = "generate", backend: str | None = None,
                  options: Mapping[str, Any] | None = None, **overrides: Any) -> GenerationRequest:
    """A ready-to-queue request for a shot as the project is now. `overrides` replace request fields
    (remix passes changed cues, frames, conditioning)."""
    folder = Path(folder)
    seq, index, shot = project.find_shot(shot_id)
    inherited = inheritance(project, folder, shot)
    job_id = job_id or new_id("tk")
    backend = backend or backend_of(project, shot)
    opts = dict(options or {})
    if backend == "diffusion":
        # The backend compiles the prompt for its model family itself (engine.diffusion.prompt): it gets
        # the action text, and the user's edit of the compiled prompt as an override used verbatim.
        opts.setdefault("conform_fps", project.settings.get("conform_fps", "blend"))
        from .diffusion_settings import merged  # project defaults < the shot's override < this command
        opts = merged(project, shot, opts, folder)
        if shot.prompt_override.strip():
            opts.setdefault("prompt_override", shot.prompt_override.strip())
    prompt = shot.prompt_override.strip() if backend != "diffusion" and shot.prompt_override.strip() else shot.prompt
    plan = plan_for_shot(project, seq, shot)
    number = sum(len(s.shots) for s in project.sequences[:project.sequences.index(seq)]) + index + 1
    burn_in = f"{number:02d} {shot.title}".strip() if project.settings.get("burn_in") else ""
    request = GenerationRequest(
        job_id=job_id, output_dir=str(folder / "media" / "takes" / job_id), backend=backend,
        model=shot.model, prompt=prompt, camera=shot.camera, motion=shot.motion,
        audio=absolute_audio(project, shot, folder),
        width=project.width, height=project.height, frames=shot.duration, fps=project.fps,
        seed=shot.seed if seed is None else seed,
        scene=scene_spec(project, seq, shot, folder, inherited.start_state, plan),
        conditioning=inherited.conditioning, burn_in=burn_in, options=opts, shot_id=shot.id, operation=operation,
        plan=plan)
    return request.with_(**overrides) if overrides else request
