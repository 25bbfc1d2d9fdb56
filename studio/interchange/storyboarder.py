"""Storyboarder (wonderunit.com/storyboarder) import: a `.storyboarder` scene file and its `images/` folder.

What is read (format as written by Storyboarder 0.x-3.x; JSON with `boards`, `defaultBoardTiming` in ms):
- Each board becomes one shot in one sequence named after the file. `shot` ('1A') becomes the title,
  `action` the action prompt, `dialogue` the dialogue (lines written 'NAME: line' give the character,
  who is added to the bible), `notes` the notes.
- Timing: `duration` (ms) or the file's `defaultBoardTiming`, lengthened to the board's recorded audio
  (`audio.duration`) as Storyboarder plays it; converted to whole frames at the project rate.
- Picture: the board's drawing layers from `images/` flattened onto white in Storyboarder's stacking order
  (shot-generator, reference, fill, tone, pencil, the main `url` image, ink, notes) with each layer's
  opacity; when no layer file exists, the `-posterframe.jpg` or `-thumbnail.png` Storyboarder exported.
  The flattened PNG is written to media/imports/<scene>-<id>/ and becomes the shot's board image. A listed
  layer whose file is missing is skipped with a warning; a board with no picture at all is an error.
- Audio: `audio.filename` (in images/) is copied next to the boards. With dialogue on the board it becomes
  the dialogue cue's recording (the scratch voice is not synthesized), otherwise an SFX cue.
Not read: Shot Generator 3D scenes (`sg`), camera plots, PSD links, `newShot` grouping (every board is a shot).
"""
from __future__ import annotations

import json
import os
import re
import stat
import uuid
from fractions import Fraction
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from engine.audio.decode import decode_file
from engine.cues import AudioCue
from engine.errors import EngineError

from ..errors import UserError
from ..model import BibleEntry, Sequence, Shot, ValidationError, new_id
from ..timebase import MAX_FRAMES, seconds_to_frames
from .imported import COLORS, VOICES, ParsedImport, PendingFile

MAX_JSON_BYTES = 50 * 1024 * 1024
MAX_PIXELS = 8192 * 8192        # a board bigger than this is a decompression bomb, not a drawing
MAX_AUDIO_SECONDS = 30 * 60     # a board's scratch recording longer than this is refused
_PROBE_RATE = 8000              # decode sounds cheaply: this only proves they are sound and measures them
LAYER_ORDER = ("shot-generator", "reference", "fill", "tone", "pencil", "main", "ink", "notes")
_SPEAKER = re.compile(r"^\s*([A-Z][A-Z0-9 .'\-]{0,40}?)\s*(?:\([^)]*\))?\s*:\s*(.+)$")
_SAFE = re.compile(r"[^A-Za-z0-9._\-]+")


def _fail(path: Path, message: str) -> UserError:
    return UserError(f"{path.name}: {message}")


def _load(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise UserError(f"no such file: {path}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _fail(path, f"cannot read it ({exc.strerror or exc})") from None
    if len(data) > MAX_JSON_BYTES:
        raise _fail(path, "too large for a Storyboarder project")
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise _fail(path, "not a Storyboarder project (not UTF-8 JSON text)") from None
    except json.JSONDecodeError as exc:
        raise _fail(path, f"not a Storyboarder project: broken JSON at line {exc.lineno}, column {exc.colno} "
                          f"({exc.msg})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("boards"), list):
        raise _fail(path, "not a Storyboarder project: there is no 'boards' list")
    if not doc["boards"]:
        raise _fail(path, "the Storyboarder project has no boards")
    return doc


def _ms(value: Any, what: str, path: Path) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _fail(path, f"{what}: {value!r} is not a time in milliseconds")
    try:
        number = float(value)
    except ValueError:
        raise _fail(path, f"{what}: {value!r} is not a time in milliseconds") from None
    if not 0 <= number < 4 * 3600 * 1000:
        raise _fail(path, f"{what}: {number:g} ms is out of range")
    return int(round(number))


def _text(board: dict, key: str) -> str:
    value = board.get(key)
    return value.strip() if isinstance(value, str) else ""


def _unsafe(file: Path, root: Path) -> str:
    """Why `file` may not be imported ('' when it may): only regular files inside the imported project's folder,
    never through a symlink, so a board cannot pull the user's keys or a device into the project."""
    try:
        st = os.lstat(file)
    except OSError:
        return "missing"
    if stat.S_ISLNK(st.st_mode):
        return "a symlink (only files inside the Storyboarder folder are imported)"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    if not file.resolve().is_relative_to(root):
        return "outside the Storyboarder folder"
    return ""


def _image_size(path: Path, board_label: str, source: Path) -> tuple[int, int]:
    try:
        with Image.open(path) as im:
            size = im.size
            if size[0] * size[1] > MAX_PIXELS:
                raise _fail(source, f"{board_label}: the image {path.name} is too large "
                                    f"({size[0]}x{size[1]} pixels; at most {MAX_PIXELS:,})")
            im.verify()  # checks the file's structure without decoding all pixels
        return size
    except Image.DecompressionBombError:
        raise _fail(source, f"{board_label}: the image {path.name} is too large (a decompression bomb)") from None
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as exc:
        raise _fail(source, f"{board_label}: cannot read the image {path.name} ({exc})") from None


def _sound_problem(path: Path) -> str:
    """'' when `path` decodes as sound no longer than MAX_AUDIO_SECONDS, else why not (the project's decoder)."""
    try:
        samples = decode_file(path, sr=_PROBE_RATE, max_samples=MAX_AUDIO_SECONDS * _PROBE_RATE + 1)
    except EngineError:
        return "not a sound file"
    if len(samples) > MAX_AUDIO_SECONDS * _PROBE_RATE:
        return f"longer than {MAX_AUDIO_SECONDS} s"
    return ""


def _layers(board: dict, images: Path, board_label: str, source: Path, warnings: list[str], root: Path):
    url = board.get("url")
    if not isinstance(url, str) or not url.strip():
        raise _fail(source, f"{board_label} has no image ('url')")
    url = Path(url).name  # never follow a path out of images/
    listed: dict[str, tuple[str, float]] = {"main": (url, 1.0)}
    layers = board.get("layers") or {}
    if not isinstance(layers, dict):
        raise _fail(source, f"{board_label}: 'layers' is not an object")
    for name, layer in layers.items():
        if isinstance(layer, dict) and isinstance(layer.get("url"), str):
            opacity = layer.get("opacity", 1.0)
            opacity = float(opacity) if isinstance(opacity, (int, float)) and 0 <= opacity <= 1 else 1.0
            listed[str(name)] = (Path(layer["url"]).name, opacity)
    order = [n for n in LAYER_ORDER if n in listed] + sorted(n for n in listed if n not in LAYER_ORDER)
    found: list[tuple[Path, float]] = []
    for name in order:
        filename, opacity = listed[name]
        file = images / filename
        problem = _unsafe(file, root)
        if not problem:
            found.append((file, opacity))
        elif problem != "missing":
            warnings.append(f"{board_label}: layer '{name}' ({filename}) is {problem}: skipped")
        elif name != "main" or len(listed) == 1:
            warnings.append(f"{board_label}: layer '{name}' ({filename}) is missing and was skipped")
    if not found:
        stem = url[:-4] if url.lower().endswith(".png") else url
        for fallback in (f"{stem}-posterframe.jpg", f"{stem}-thumbnail.png"):
            if not _unsafe(images / fallback, root):
                found.append((images / fallback, 1.0))
                break
    if not found:
        raise _fail(source, f"{board_label}: its picture {url} is missing from {images}")
    sizes = [_image_size(f, board_label, source) for f, _ in found]
    return tuple(found), sizes[0]


def _dialogue_lines(text: str) -> list[tuple[str, str]]:
    """'MAYA: Hi.\\nTOM: Hello.' -> [('MAYA', 'Hi.'), ('TOM', 'Hello.')]; unattributed text -> [('', text)]."""
    out: list[tuple[str, str]] = []
    for raw in text.splitlines():
        if not raw.strip():
            continue
        match = _SPEAKER.match(raw)
        if match and any(ch.isalpha() for ch in match.group(1)):
            out.append((match.group(1).strip(), match.group(2).strip()))
        elif out:
            out[-1] = (out[-1][0], f"{out[-1][1]} {raw.strip()}")
        else:
            out.append(("", raw.strip()))
    return out


def parse_storyboarder(path: str | Path, fps: Fraction | int = 24) -> ParsedImport:
    """Read a .storyboarder file and check every picture it needs. Writes nothing."""
    path = Path(path)
    fps = Fraction(fps)
    doc = _load(path)
    images = path.parent / "images"
    if not images.is_dir():
        images = path.parent
    root = path.parent.resolve()
    if not images.resolve().is_relative_to(root):
        raise _fail(path, f"its images folder resolves outside {root}: refused")
    default_ms = _ms(doc.get("defaultBoardTiming"), "defaultBoardTiming", path) or 2000
    result = ParsedImport(source=path, kind="storyboarder", title=path.stem)
    folder = f"media/imports/{_SAFE.sub('-', path.stem).strip('-')[:40] or 'storyboarder'}-{uuid.uuid4().hex[:6]}"
    characters: dict[str, BibleEntry] = {}
    shots: list[Shot] = []
    for index, board in enumerate(doc["boards"], start=1):
        if not isinstance(board, dict):
            raise _fail(path, f"board {index} is not an object")
        label = f"board {index}" + (f" ({board['shot']})" if isinstance(board.get("shot"), str) else "")
        uid = _SAFE.sub("", str(board.get("uid") or index))[:16] or str(index)
        layers, size = _layers(board, images, label, path, result.warnings, root)
        board_dest = f"{folder}/board-{index:03d}-{uid}.png"
        result.files.append(PendingFile(dest=board_dest, sources=layers, composite=True, size=size))

        duration_ms = _ms(board.get("duration"), f"{label} duration", path) or default_ms
        audio_cues: list[AudioCue] = []
        audio = board.get("audio") if isinstance(board.get("audio"), dict) else {}
        audio_dest = ""
        if isinstance(audio.get("filename"), str) and audio["filename"].strip():
            name = Path(audio["filename"]).name
            src = images / name
            problem = _unsafe(src, root) or _sound_problem(src)
            if problem and problem != "missing":
                result.warnings.append(f"{label}: its sound {name} is {problem}: not imported")
            elif not problem:
                audio_dest = f"{folder}/{_SAFE.sub('-', name)}"
                result.files.append(PendingFile(dest=audio_dest, sources=((src, 1.0),)))
                duration_ms = max(duration_ms, _ms(audio.get("duration"), f"{label} audio duration", path) or 0)
            else:
                result.warnings.append(f"{label}: its sound {name} is missing and was skipped")
        frames = min(MAX_FRAMES, max(1, seconds_to_frames(Fraction(duration_ms, 1000), fps)))

        dialogue = _text(board, "dialogue")
        lines = _dialogue_lines(dialogue)
        start = 0
        for n, (speaker, line) in enumerate(lines, start=1):
            name = speaker.title() if speaker.isupper() else speaker
            if name and name.lower() not in characters:
                i = len(characters)
                characters[name.lower()] = BibleEntry(id=new_id("bb"), kind="character", name=name,
                                                      voice=VOICES[i % len(VOICES)], color=COLORS[i % len(COLORS)],
                                                      description=f"From the Storyboarder project {path.name}")
            recorded = audio_dest if n == 1 and audio_dest else ""
            audio_cues.append(AudioCue(kind="dialogue", text=line, character=name, start=start, file=recorded,
                                       cue_id=f"d{n}"))
            start += seconds_to_frames(Fraction(len(line.split()), 2) + Fraction(1, 2), fps)
        if audio_dest and not lines:
            audio_cues.append(AudioCue(kind="sfx", file=audio_dest, text="scratch audio from Storyboarder",
                                       cue_id="a1"))
        refs = tuple(dict.fromkeys(characters[s.lower()].id for s, _ in
                                   ((sp.title() if sp.isupper() else sp, ln) for sp, ln in lines) if s))
        title = board.get("shot") if isinstance(board.get("shot"), str) else f"Board {index}"
        try:
            shots.append(Shot(id=new_id("sh"), title=title[:200], prompt=_text(board, "action"), dialogue=dialogue,
                              notes=_text(board, "notes"), duration=frames, audio=tuple(audio_cues),
                              board_image=board_dest, bible_refs=refs))
        except (ValidationError, ValueError) as exc:
            raise _fail(path, f"{label}: {exc}") from None
    heading = " ".join(path.stem.replace("-", " ").replace("_", " ").split())[:300]
    result.sequences.append(Sequence(new_id("sq"), heading, shots))
    result.bible = list(characters.values())
    return result
