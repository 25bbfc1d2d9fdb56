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
from engine.jobs import CharacterSpec, GenerationRequest, SceneSpec

from .continuity import inheritance
from .model import BibleEntry, BibleKind, Project, Sequence, Shot, new_id

_PALETTE = ("#c0504d", "#4f81bd", "#9bbb59", "#f79646", "#8064a2", "#4bacc6", "#d4a017", "#7f7f7f")
_VOICES = ("en-us+m3", "en-gb+f3", "en-us+f2", "en-gb+m7", "en-us+m1", "en-us+f4")
_TIMES = ("dawn", "morning", "day", "afternoon", "dusk", "evening", "sunset", "night", "continuous")


@dataclass(frozen=True)
class Heading:
    interior: bool
    location: str
    time_of_day: str


def parse_heading(text: str) -> Heading:
    """'EXT. HARBOUR - NIGHT' -> exterior, 'HARBOUR', 'night'. Forgiving: anything else is a location."""
    text = (text or "").strip()
    interior = bool(re.match(r"^(INT|I/E|INT\./EXT)\b", text, re.I))
    body = re.sub(r"^(INT\./EXT\.|INT/EXT|I/E|INT|EXT|EST)\.?\s*", "", text, flags=re.I)
    time = "day"
    parts = [p.strip() for p in re.split(r"\s+-+\s+|\s+–\s+", body) if p.strip()]
    if len(parts) > 1 and parts[-1].lower() in _TIMES:
        word = parts.pop().lower()
        time = {"morning": "day", "afternoon": "day", "evening": "dusk", "sunset": "dusk",
                "continuous": "day"}.get(word, word)
    return Heading(interior, " - ".join(parts), time)


def stable_seed(*parts: str) -> int:
    return zlib.crc32("\x1f".join(parts).encode("utf-8")) & 0x7FFFFFFF


def character_spec(entry: BibleEntry, index: int) -> CharacterSpec:
    return CharacterSpec(name=entry.name, description=entry.description,
                         color=entry.color or _PALETTE[index % len(_PALETTE)],
                         voice=entry.voice or _VOICES[index % len(_VOICES)])


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
               start_state: Mapping[str, Any] | None = None) -> SceneSpec:
    """The world of a shot. Built from the scene, so every shot of a scene shares set, light and cast."""
    heading = parse_heading(seq.heading)
    refs = [project.bible_entry(r) for r in shot.bible_refs]
    location = next((e for e in refs if e.kind is BibleKind.LOCATION), None) or \
        next((e for e in project.bible if e.kind is BibleKind.LOCATION), None)
    styles = [e.description or e.name for e in refs if e.kind is BibleKind.STYLE] or \
        [e.description or e.name for e in project.bible if e.kind is BibleKind.STYLE]
    all_chars = [e for e in project.bible if e.kind is BibleKind.CHARACTER]
    in_shot = shot_characters(project, shot)
    # Colours and voices come from a character's place in the whole bible, so they never change per shot.
    characters = tuple(character_spec(e, all_chars.index(e)) for e in in_shot)
    location_text = heading.location
    if location is not None:
        location_text = f"{location.name}: {location.description}".strip(": ")
    return SceneSpec(heading=seq.heading, location=location_text, interior=heading.interior,
                     time_of_day=heading.time_of_day, style="; ".join(styles), characters=characters,
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


def compiled_prompt(project: Project, seq: Sequence, shot: Shot, folder: Path, family: str = "") -> tuple[str, str]:
    """The prompt and negative prompt a backend receives. The user's override wins."""
    if shot.prompt_override.strip():
        return shot.prompt_override.strip(), ""
    if backend_of(project, shot) == "diffusion":
        from engine.diffusion.prompt import compile_prompt  # no torch: the compiler is plain text work
        compiled = compile_prompt(shot.prompt, shot.camera, shot.motion, scene_spec(project, seq, shot, folder),
                                  family or "wan")
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
    number = sum(len(s.shots) for s in project.sequences[:project.sequences.index(seq)]) + index + 1
    burn_in = f"{number:02d} {shot.title}".strip() if project.settings.get("burn_in") else ""
    request = GenerationRequest(
        job_id=job_id, output_dir=str(folder / "media" / "takes" / job_id), backend=backend,
        model=shot.model, prompt=prompt, camera=shot.camera, motion=shot.motion,
        audio=absolute_audio(project, shot, folder),
        width=project.width, height=project.height, frames=shot.duration, fps=project.fps,
        seed=shot.seed if seed is None else seed,
        scene=scene_spec(project, seq, shot, folder, inherited.start_state),
        conditioning=inherited.conditioning, burn_in=burn_in, options=opts, shot_id=shot.id, operation=operation)
    return request.with_(**overrides) if overrides else request
