"""Fountain screenplay import (https://fountain.io): scenes become sequences, action becomes shots.

Mapping, chosen so the result is a usable first storyboard rather than a transcript:
- Scene heading (INT./EXT./EST./I/E or forced with '.') -> a Sequence; the scene number (#12#) is dropped.
  Action before the first heading goes into an 'OPENING' sequence.
- Action paragraph -> one shot; a long paragraph is split at sentence ends into shots of about
  `MAX_SHOT_CHARS` characters. Duration is estimated from the words (2-8 s).
- Dialogue (CHARACTER, optional parentheticals, lines) -> a dialogue AudioCue on the shot with that
  character: the current shot when it has no dialogue yet and shows that character (or nobody in
  particular), or when the same character keeps talking; otherwise a new coverage shot on the speaker.
  Cues are laid out one after another and the shot grows to hold them. Dual dialogue (^) starts with
  the previous line. Every speaker becomes a character in the bible (with a scratch voice and colour).
- Transitions apply to the next shot: DISSOLVE TO: -> crossfade, FADE OUT / FADE TO BLACK -> dip to black,
  other '... TO:' -> cut. Centered text (> THE END <) -> a title-card shot.
- Notes [[...]] -> the notes of the shot they sit in (or the next one); synopses (= ...) -> scene notes.
  Boneyard /* ... */, sections (#), page breaks (===) and the title page are not story: left out (the title
  page's Title becomes the import's title). Emphasis markers (*, **, _) are removed from the text.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from engine.cues import AudioCue, CameraCue, MotionCue, MotionKind, ScreenDirection, ShotSize

from ..errors import UserError
from ..model import BibleEntry, Sequence, Shot, Transition, ValidationError, new_id
from ..timebase import seconds_to_frames
from .imported import COLORS, VOICES, ParsedImport

MAX_BYTES = 20 * 1024 * 1024
MAX_SHOT_CHARS = 220           # a paragraph longer than this is split into several shots
ACTION_WORDS_PER_SECOND = 3.0
SPEECH_WORDS_PER_SECOND = 2.5  # a little slower than espeak-ng's default, so estimated lines do not overlap

_HEADING = re.compile(r"^(INT|EXT|EST|INT\.?/EXT|I/E)[.\s]", re.I)
_SCENE_NUMBER = re.compile(r"\s*#[\w.\-]+#\s*$")
_EXTENSION = re.compile(r"\s*\((?:V\.?O\.?|O\.?S\.?|O\.?C\.?|CONT'?D|CONT\.|CONTINUING|[^)]*)\)\s*", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”')]*\s+(?=[\"“'(]?[A-Z0-9À-ÖØ-Þ])")
_EMPHASIS = re.compile(r"(\*{1,3}|_)(?=\S)(.+?)(?<=\S)\1")  # the meaning of _strip_emphasis_line (tests hold it to this)
_STANDALONE_TRANSITION = re.compile(r"^(FADE IN|FADE OUT|FADE TO BLACK|CUT TO BLACK|SMASH CUT|IRIS (IN|OUT))[.:]?$")
_TITLE_KEYS = {"title", "credit", "author", "authors", "source", "draft date", "date", "contact", "copyright",
               "notes", "revision", "episode", "format"}
_TITLE_KEY = re.compile(r"^([A-Za-z][A-Za-z ]{0,30}):\s*(.*)$")


@dataclass
class _Element:
    kind: str                 # heading | action | dialogue | transition | centered | synopsis | note
    text: str = ""
    speaker: str = ""
    dual: bool = False
    lines: list[tuple[str, str]] = field(default_factory=list)  # dialogue: ('paren'|'line', text)
    notes: list[str] = field(default_factory=list)


# ---- text level ---------------------------------------------------------------------------------------

def _read(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise UserError(f"{path.name} is {len(data) // 2**20} MB: too large for a screenplay")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise UserError(f"{path.name} is not a readable text file") from None
    if b"\x00" in data:
        raise UserError(f"{path.name} is not a Fountain screenplay (it is a binary file)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # old Windows-written scripts


def _replace_spans(text: str, opener: str, closer: str, repl) -> tuple[str, bool]:
    """Like re.sub(opener(.*?)closer, repl, re.S) but linear: once a closer is missing after an opener, none
    can follow (the lazy regex rescanned to the end for every unclosed `[[`, quadratic on hostile scripts).
    Returns the text and whether an opener was left unclosed."""
    out: list[str] = []
    pos = 0
    while True:
        i = text.find(opener, pos)
        if i < 0:
            out.append(text[pos:])
            return "".join(out), False
        j = text.find(closer, i + len(opener))
        if j < 0:
            out.append(text[pos:])
            return "".join(out), True
        out.append(text[pos:i])
        out.append(repl(text[i + len(opener):j]))
        pos = j + len(closer)


def _closers(line: str, marker: str) -> list[int]:
    """Where `marker` can close an emphasis: it starts there and follows a non-space character."""
    found, k = [], line.find(marker, 1)
    while k >= 0:
        if not line[k - 1].isspace():
            found.append(k)
        k = line.find(marker, k + 1)
    return found


def _strip_emphasis_line(line: str) -> str:
    """One pass of `_EMPHASIS.sub(r"\\2", line)` in O(n log n): each opener finds its first closer by bisection
    instead of a regex scan to the end of the line (quadratic on a line full of unmatched `*` or `_`)."""
    if "*" not in line and "_" not in line:
        return line
    closers = {m: _closers(line, m) for m in ("***", "**", "*", "_")}
    out: list[str] = []
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        done = False
        if ch in "*_":
            for size in ((3, 2, 1) if ch == "*" else (1,)):
                marker = ch * size
                start = i + size
                if line[i:start] != marker or start >= n or line[start].isspace():
                    continue
                spots = closers[marker]
                k = bisect.bisect_left(spots, start + 1)
                if k < len(spots):
                    end = spots[k]
                    out.append(line[start:end])
                    i = end + size
                    done = True
                    break
        if not done:
            out.append(ch)
            i += 1
    return "".join(out)


def _clean(text: str) -> str:
    """Remove emphasis markers and escapes, collapse spaces."""
    text = text.replace("\\*", "\x03").replace("\\_", "\x04")
    for _ in range(3):  # nested **_bold underline_**
        text = "\n".join(_strip_emphasis_line(line) for line in text.split("\n"))
    return " ".join(text.replace("\x03", "*").replace("\x04", "_").split())


def _character_name(raw: str) -> tuple[str, bool]:
    """'MAYA (V.O.) ^' -> ('MAYA', dual)."""
    name = raw.strip()
    dual = name.endswith("^")
    name = name.rstrip("^").strip()
    if name.startswith("@"):
        name = name[1:]
    name = _EXTENSION.sub(" ", name).strip()
    return " ".join(name.split()), dual


def _is_character(line: str) -> bool:
    s = line.strip()
    if s.startswith("@"):
        return len(s) > 1
    name, _ = _character_name(s)
    if not name or not any(ch.isalpha() for ch in name) or name != name.upper():
        return False
    return not s.endswith(("TO:", ":")) and not _HEADING.match(s) and len(name) <= 60


def _title_page(lines: list[str]) -> tuple[str, int]:
    """The title page's Title and the index of the first script line (0 when there is no title page)."""
    first = next((i for i, l in enumerate(lines) if l.strip()), None)
    match = _TITLE_KEY.match(lines[first].strip()) if first is not None else None
    if match is None or match.group(1).strip().lower() not in _TITLE_KEYS:
        return "", 0  # 'FADE IN:' on the first line is not a title page
    title, key, i = "", "", first
    while i < len(lines) and lines[i].strip():
        line = lines[i]
        match = _TITLE_KEY.match(line.strip())
        if match and not line[:1].isspace():
            key = match.group(1).strip().lower()
            value = match.group(2).strip()
        else:
            value = line.strip()
        if key == "title" and value:
            title = f"{title} {_clean(value)}".strip()
        i += 1
    return title, i


def _elements(text: str, warnings: list[str]) -> tuple[str, list[_Element]]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    text, unclosed = _replace_spans(text, "/*", "*/", lambda body: "\n" * body.count("\n"))  # keep line structure
    if unclosed:
        warnings.append("an unclosed boneyard /* was left out to the end of the script")
        text = text[: text.index("/*")]
    notes: list[str] = []

    def stash(body: str) -> str:
        notes.append(_clean(body))
        return f"\x01{len(notes) - 1}\x02"

    text, _ = _replace_spans(text, "[[", "]]", stash)
    lines = text.split("\n")
    title, start = _title_page(lines)
    lines = lines[start:]

    def take_notes(s: str) -> tuple[str, list[str]]:
        found = [notes[int(n)] for n in re.findall(r"\x01(\d+)\x02", s)]
        return re.sub(r"\x01\d+\x02", "", s), [n for n in found if n]

    out: list[_Element] = []
    i, n = 0, len(lines)

    def blank(k: int) -> bool:
        return k < 0 or k >= n or not take_notes(lines[k])[0].strip()

    while i < n:
        raw, line_notes = take_notes(lines[i])
        s = raw.strip()
        prev_blank = blank(i - 1)
        if not s:
            if line_notes:
                out.append(_Element("note", notes=line_notes))
            i += 1
            continue
        if re.fullmatch(r"={3,}", s) or s.startswith("#"):
            i += 1
            continue
        if s.startswith("=") and not s.startswith("=="):
            out.append(_Element("synopsis", _clean(s[1:]), notes=line_notes))
            i += 1
            continue
        after_transition = i > 0 and bool(_STANDALONE_TRANSITION.match(take_notes(lines[i - 1])[0].strip()))
        if (prev_blank or after_transition) and ((s.startswith(".") and len(s) > 1 and s[1].isalnum())
                                                 or _HEADING.match(s)):
            heading = s[1:] if s.startswith(".") else s
            out.append(_Element("heading", _clean(_SCENE_NUMBER.sub("", heading)).upper()[:300], notes=line_notes))
            i += 1
            continue
        if s.startswith(">") and s.endswith("<"):
            out.append(_Element("centered", _clean(s[1:-1]), notes=line_notes))
            i += 1
            continue
        if s.startswith(">") or (prev_blank and s == s.upper()
                                 and ((s.endswith("TO:") and blank(i + 1)) or _STANDALONE_TRANSITION.match(s))):
            out.append(_Element("transition", _clean(s.lstrip(">")).upper(), notes=line_notes))
            i += 1
            continue
        if prev_blank and not blank(i + 1) and not s.startswith("!") and _is_character(s):
            name, dual = _character_name(s)
            element = _Element("dialogue", speaker=name, dual=dual, notes=line_notes)
            i += 1
            while i < n:
                raw, more = take_notes(lines[i])
                element.notes.extend(more)
                if not raw.strip() and raw != "  ":
                    break
                body = raw.strip()
                if body.startswith("(") and body.endswith(")"):
                    element.lines.append(("paren", _clean(body)))
                elif body:
                    element.lines.append(("line", _clean(body.lstrip("~"))))
                i += 1
            if any(kind == "line" for kind, _ in element.lines):
                out.append(element)
            continue
        # action: the paragraph runs to the next blank line
        paragraph, para_notes = [], []
        while i < n:
            raw, more = take_notes(lines[i])
            if not raw.strip():
                para_notes.extend(more)
                break
            body = raw.strip()
            paragraph.append(body[1:] if body.startswith(("!", "~")) else body)
            para_notes.extend(more)
            i += 1
        text_ = _clean(" ".join(paragraph))
        if text_:
            out.append(_Element("action", text_, notes=para_notes))
        elif para_notes:
            out.append(_Element("note", notes=para_notes))
    return title, out


# ---- model level --------------------------------------------------------------------------------------

@dataclass
class _Draft:
    prompt: str
    title: str = ""
    duration: int = 48
    dialogue: list[str] = field(default_factory=list)
    cues: list[AudioCue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)        # character names shown in the shot
    transition: Transition = field(default_factory=Transition)
    camera: CameraCue = field(default_factory=CameraCue)
    cursor: int = 6                                       # where the next dialogue line starts
    coverage_of: str = ""                                 # speaker a coverage shot was made for


def _split_action(text: str) -> list[str]:
    if len(text) <= MAX_SHOT_CHARS:
        return [text]
    chunks: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        if chunks and len(chunks[-1]) + 1 + len(sentence) <= MAX_SHOT_CHARS:
            chunks[-1] += " " + sentence
        else:
            chunks.append(sentence)
    return chunks


def _short_title(text: str, words: int = 6) -> str:
    parts = text.split()
    title = " ".join(parts[:words]).rstrip(".,;:!?")
    return (title + "…" if len(parts) > words else title)[:200]


def _words(text: str) -> int:
    return max(1, len(re.findall(r"\w+", text)))


def _display_name(name: str) -> str:
    return name.title() if name.isupper() else name


def _transition_for(text: str, fps: Fraction) -> Transition | None:
    t = text.upper().rstrip(".:").strip()
    if "DISSOLVE" in t:
        return Transition(kind="crossfade", frames=min(240, seconds_to_frames(Fraction(1, 2), fps)))
    if t == "FADE IN":
        return None  # the script's opening, not a cut between shots
    if t.startswith("FADE") or t == "CUT TO BLACK":
        return Transition(kind="dip_to_black", frames=min(240, seconds_to_frames(1, fps)))
    if t.endswith("TO") or "CUT" in t:
        return Transition()
    return None


def _motion(draft: _Draft, patterns: dict[str, re.Pattern], speakers: dict[str, str]) -> tuple[MotionCue, ...]:
    """What the first character named in the action does, from the sentence that names them
    ('MAYA (30s), soaked, walks toward a red door.' -> Maya, cross). None when no movement is recognised."""
    for sentence in _SENTENCE_END.split(draft.prompt):
        for up, pattern in patterns.items():
            if speakers[up] in draft.refs and pattern.search(sentence):
                kind = MotionKind.infer(sentence, ScreenDirection.NONE)
                if kind is not MotionKind.NONE:
                    action = " ".join(sentence.split()[:16])
                    return (MotionCue(subject=speakers[up], action=action, kind=kind),)
    return ()


def parse_fountain_text(text: str, fps: Fraction | int = 24, *, source: str | Path = "script.fountain") -> ParsedImport:
    fps = Fraction(fps)
    source = Path(source)
    result = ParsedImport(source=source, kind="fountain")
    title, elements = _elements(text, result.warnings)
    result.title = title
    speakers: dict[str, str] = {}  # UPPER -> display name, in order of first line
    for el in elements:
        if el.kind == "dialogue":
            speakers.setdefault(el.speaker.upper(), _display_name(el.speaker))
    if not any(el.kind in ("heading", "dialogue") for el in elements):
        raise UserError(f"{source.name} does not look like a Fountain screenplay: "
                        "no scene heading (INT./EXT.) and no dialogue found")
    name_patterns = {up: re.compile(rf"(?<!\w){re.escape(up)}(?!\w)", re.I) for up in speakers}

    scenes: list[tuple[str, list[_Draft], list[str]]] = []  # heading, shots, scene notes
    pending_transition: Transition | None = None
    pending_notes: list[str] = []

    def scene() -> tuple[str, list[_Draft], list[str]]:
        if not scenes:
            scenes.append(("OPENING", [], []))
        return scenes[-1]

    def add_shot(draft: _Draft) -> _Draft:
        nonlocal pending_transition, pending_notes
        if pending_transition is not None:
            draft.transition = pending_transition
            pending_transition = None
        draft.notes = pending_notes + draft.notes
        pending_notes = []
        scene()[1].append(draft)
        return draft

    for el in elements:
        if el.kind == "heading":
            scenes.append((el.text, [], list(el.notes)))
        elif el.kind == "synopsis":
            scene()[2].append(el.text)
            pending_notes.extend(el.notes)
        elif el.kind == "note":
            shots = scene()[1]
            (shots[-1].notes if shots else pending_notes).extend(el.notes)
        elif el.kind == "transition":
            transition = _transition_for(el.text, fps)
            if transition is not None:
                pending_transition = transition
        elif el.kind == "centered":
            add_shot(_Draft(prompt=f"Title card: {el.text}", title=el.text[:200], notes=list(el.notes),
                            duration=seconds_to_frames(3, fps), camera=CameraCue(shot_size="WS")))
        elif el.kind == "action":
            chunks = _split_action(el.text)
            for k, chunk in enumerate(chunks):
                refs = [speakers[up] for up, pat in name_patterns.items() if pat.search(chunk)]
                seconds = min(8.0, max(2.0, _words(chunk) / ACTION_WORDS_PER_SECOND + 1.0))
                add_shot(_Draft(prompt=chunk, title=_short_title(chunk), refs=refs,
                                notes=list(el.notes) if k == len(chunks) - 1 else [],
                                duration=seconds_to_frames(Fraction(seconds).limit_denominator(100), fps)))
        elif el.kind == "dialogue":
            name = speakers[el.speaker.upper()]
            shots = scene()[1]
            current = shots[-1] if shots else None
            last_speaker = current.cues[-1].character if current and current.cues else ""
            fits = current is not None and (
                el.dual or last_speaker == name
                or (not current.cues and (name in current.refs or not current.refs))
            ) and len("\n".join(current.dialogue)) < 4000
            if not fits:
                current = add_shot(_Draft(prompt=f"{name} speaks.", title=f"{name}", refs=[name],
                                          camera=CameraCue(shot_size=ShotSize.MCU), coverage_of=name,
                                          duration=seconds_to_frames(1, fps)))
            line = " ".join(t for kind, t in el.lines if kind == "line")
            shown = " ".join(t for _, t in el.lines)
            start = current.cues[-1].start if el.dual and current.cues else current.cursor
            spoken = seconds_to_frames(Fraction(_words(line), 1) / Fraction(SPEECH_WORDS_PER_SECOND).limit_denominator(10)
                                       + Fraction(2, 5), fps)
            current.cues.append(AudioCue(kind="dialogue", text=line, character=name, start=start,
                                         cue_id=f"d{len(current.cues) + 1}"))
            current.dialogue.append(f"{el.speaker.upper()}: {shown}")
            current.cursor = max(current.cursor, start + spoken + seconds_to_frames(Fraction(1, 4), fps))
            current.duration = max(current.duration, current.cursor + seconds_to_frames(Fraction(1, 2), fps))
            current.notes.extend(el.notes)
            if name not in current.refs:
                current.refs.append(name)
    if pending_notes:
        result.warnings.append("notes after the last shot were not attached to any shot")

    bible = {name: BibleEntry(id=new_id("bb"), kind="character", name=name, voice=VOICES[i % len(VOICES)],
                              color=COLORS[i % len(COLORS)], description=f"From the screenplay {source.name}")
             for i, name in enumerate(speakers.values())}
    result.bible = list(bible.values())
    for heading, drafts, scene_notes in scenes:
        shots = []
        for d in drafts:
            motion = _motion(d, name_patterns, speakers) if d.refs and not d.coverage_of else ()
            try:
                shots.append(Shot(id=new_id("sh"), title=d.title, prompt=d.prompt, dialogue="\n".join(d.dialogue),
                                  notes="\n".join(d.notes), duration=d.duration, camera=d.camera, motion=motion,
                                  audio=tuple(d.cues), bible_refs=tuple(bible[r].id for r in d.refs),
                                  transition=d.transition))
            except ValidationError as exc:
                raise UserError(f"{source.name}, scene {heading!r}: {exc}") from None
        result.sequences.append(Sequence(new_id("sq"), heading, shots, "\n".join(scene_notes)))
    if result.shot_count == 0:
        raise UserError(f"{source.name} has scene headings but no action or dialogue to make shots from")
    return result


def parse_fountain(path: str | Path, fps: Fraction | int = 24) -> ParsedImport:
    """Read a .fountain file into scenes, shots and characters. Writes nothing; raises UserError on a file
    that is not a screenplay."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"no such file: {path}")
    return parse_fountain_text(_read(path), fps, source=path)
