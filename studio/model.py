"""The document's data: Project > Sequence > Shot, the bible, and takes.

Shot, BibleEntry and Take are frozen values: a command replaces one with an edited copy and keeps
the old one for undo, so there is no aliasing between undo history and the live model. Sequence and
Project are the mutable containers the `Document` edits through commands only.

Every value is validated on construction and raises `ValidationError` (a UserError, message safe to
show). Cue types come from `engine.cues`: one vocabulary for document, request and renderer.
Media paths are relative to the project folder.
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator, Mapping  # not typing's: isinstance on those is slow
from dataclasses import dataclass, field, fields, replace
from enum import Enum
from fractions import Fraction
from typing import Any

from engine.cues import AudioCue, CameraCue, CueError, MotionCue
from engine.jobs import fps_to_str, parse_fps

from .errors import UserError
from .timebase import MAX_FRAMES

SCHEMA_VERSION = 1  # of the serialized model; the store has its own schema version


class ValidationError(UserError, ValueError):
    """An impossible value in the document. The message names the field."""


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


class _Choice(str, Enum):
    @classmethod
    def parse(cls, value: Any, what: str):
        if isinstance(value, cls):
            return value
        text = str(value or "").strip().lower().replace("-", "_").replace(" ", "_")
        for member in cls:
            if text == member.value:
                return member
        raise ValidationError(f"{what}: {value!r} is not one of {', '.join(m.value for m in cls)}")

    def __str__(self) -> str:
        return self.value


class Continuity(_Choice):
    PREVIOUS = "previous"    # start from the previous shot's selected take (last frame / end state)
    REFERENCE = "reference"  # condition on the bible references only
    NONE = "none"            # fresh


class BibleKind(_Choice):
    CHARACTER = "character"
    LOCATION = "location"
    PROP = "prop"
    STYLE = "style"


class TakeStatus(_Choice):
    READY = "ready"
    TRASHED = "trashed"


class TransitionKind(_Choice):
    CUT = "cut"
    CROSSFADE = "crossfade"
    DIP_TO_BLACK = "dip_to_black"


def _text(value: Any, what: str, max_len: int = 20000) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError(f"{what}: expected text, got {type(value).__name__}")
    if len(value) > max_len:
        raise ValidationError(f"{what}: longer than {max_len} characters")
    return value


def _int(value: Any, what: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        elif isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            value = int(value)
        else:
            raise ValidationError(f"{what}: {value!r} is not a whole number")
    if not lo <= value <= hi:
        raise ValidationError(f"{what}: {value} is outside {lo}..{hi}")
    return value


def _relpath(value: Any, what: str) -> str:
    """Media paths are stored relative to the project folder: refuse absolute ones and '..' escapes."""
    text = _text(value, what, 4096).strip()
    if not text:
        return ""
    if text.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", text) or ".." in text.replace("\\", "/").split("/"):
        raise ValidationError(f"{what}: {text!r} must be a path inside the project folder")
    return text.replace("\\", "/")


def _cue(value: Any, cls, what: str):
    if isinstance(value, cls):
        return value
    try:
        if isinstance(value, Mapping):
            return cls.from_dict(value)
    except (CueError, TypeError) as exc:
        raise ValidationError(f"{what}: {exc}") from None
    raise ValidationError(f"{what}: expected a {cls.__name__}")


class _Value:
    """JSON round trip shared by the frozen model values (enums -> str, cues -> dicts, tuples -> lists)."""

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]):
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in data.items() if k in known})

    def with_(self, **changes: Any):
        try:
            return replace(self, **changes)  # type: ignore[type-var]
        except TypeError as exc:
            raise ValidationError(str(exc)) from None


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Fraction):
        return fps_to_str(value)
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class Transition(_Value):
    """How the cut enters a shot from the previous one."""
    kind: TransitionKind = TransitionKind.CUT
    frames: int = 0

    def __post_init__(self) -> None:
        kind = TransitionKind.parse(self.kind, "transition")
        object.__setattr__(self, "kind", kind)
        frames = _int(self.frames, "transition length (frames)", 0, 24 * 10)
        if kind is TransitionKind.CUT:
            frames = 0
        elif frames == 0:
            raise ValidationError(f"a {kind.value} needs a length in frames")
        object.__setattr__(self, "frames", frames)


# What a likeness may be used for. 'reference' covers reference images and LoRAs of the likeness;
# 'export' covers exporting and distributing a cut that shows the person.
CONSENT_USES = ("previs", "diffusion", "reference", "export")
_USE_WORDS = {"previs": "previs", "diffusion": "diffusion", "generation": "diffusion", "generate": "diffusion",
              "reference": "reference", "references": "reference", "lora": "reference", "loras": "reference",
              "export": "export", "distribution": "export", "distribute": "export"}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}(T[\d:.+\-Z]+)?")


def parse_uses(value: Any, what: str = "consent scope") -> tuple[str, ...]:
    """'previs, diffusion' / ['previs'] / 'all' -> the uses in CONSENT_USES order. Unknown words are refused."""
    words = re.split(r"[\s,;+]+", value.strip().lower()) if isinstance(value, str) else \
        [str(v).strip().lower() for v in value or ()]
    words = [w for w in words if w]
    if words == ["all"]:
        return CONSENT_USES
    unknown = [w for w in words if w not in _USE_WORDS]
    if unknown:
        raise ValidationError(f"{what}: {unknown[0]!r} is not a use; give any of {', '.join(CONSENT_USES)} "
                              "(or 'all')")
    chosen = {_USE_WORDS[w] for w in words}
    return tuple(u for u in CONSENT_USES if u in chosen)


@dataclass(frozen=True)
class ConsentRecord(_Value):
    """Consent of a real person whose likeness a character uses: who gave it, to whom, when, until when,
    for which uses (`scope`), the evidence (copied into the project, sha256 kept) and its revocation.

    Records made before scopes existed kept a free-text scope: it loads as `terms` with no uses, so it
    grants nothing until the uses are set (studio.consent names why). `id` is stable (legacy records get
    one derived from their content); `digest` hashes the grant, so a manifest names the exact terms."""
    who: str
    when: str                      # ISO date the consent was given
    scope: tuple[str, ...] = ()    # CONSENT_USES granted
    evidence_file: str = ""        # project-relative path to the signed release (media/consent/...)
    id: str = ""
    to: str = ""                   # whom it was granted to (studio, production)
    until: str = ""                # ISO date: the last day covered ('' = no expiry)
    terms: str = ""                # the release's own words, as entered
    evidence_sha256: str = ""
    revoked: str = ""              # ISO timestamp of the revocation ('' = in force)
    revoked_reason: str = ""

    def __post_init__(self) -> None:
        if not _text(self.who, "consent who", 2000).strip():
            raise ValidationError("consent record: 'who' is required")
        object.__setattr__(self, "who", self.who.strip())
        when = _text(self.when, "consent date", 64).strip()
        if not _ISO_TIME.fullmatch(when):
            raise ValidationError(f"consent date: {self.when!r} is not an ISO date like 2026-11-22")
        object.__setattr__(self, "when", when)
        terms = _text(self.terms, "consent terms", 2000).strip()
        scope = self.scope
        if isinstance(scope, str):
            try:
                scope = parse_uses(scope)
            except ValidationError:  # a legacy free-text scope: keep its words, grant nothing
                terms, scope = terms or scope.strip(), ()
        object.__setattr__(self, "scope", parse_uses(scope or ()))
        object.__setattr__(self, "terms", terms)
        object.__setattr__(self, "to", _text(self.to, "consent granted to", 500).strip())
        until = _text(self.until, "consent until", 64).strip()
        if until and not _ISO_DATE.fullmatch(until):
            raise ValidationError(f"consent until: {self.until!r} is not an ISO date like 2027-06-30")
        if until and until < when[:10]:
            raise ValidationError(f"consent until {until} is before it was given ({when[:10]})")
        object.__setattr__(self, "until", until)
        object.__setattr__(self, "evidence_file", _relpath(self.evidence_file, "consent evidence file"))
        sha = _text(self.evidence_sha256, "evidence hash", 64).strip().lower()
        if sha and not re.fullmatch(r"[0-9a-f]{64}", sha):
            raise ValidationError("consent evidence hash: not a sha256 hex digest")
        object.__setattr__(self, "evidence_sha256", sha)
        revoked = _text(self.revoked, "consent revoked", 64).strip()
        if revoked and not _ISO_TIME.fullmatch(revoked):
            raise ValidationError(f"consent revoked: {self.revoked!r} is not an ISO time")
        object.__setattr__(self, "revoked", revoked)
        object.__setattr__(self, "revoked_reason", _text(self.revoked_reason, "revocation reason", 2000).strip())
        record_id = _text(self.id, "consent id", 64).strip()
        if not record_id:  # legacy record: an id from its content, the same on every load
            import hashlib
            seed = "\x1f".join((self.who, when, terms, self.evidence_file))
            record_id = "cs_" + hashlib.sha256(seed.encode("utf-8")).hexdigest()[:10]
        if not re.fullmatch(r"[A-Za-z0-9_\-]{1,64}", record_id):
            raise ValidationError(f"consent id: {record_id!r} is not a valid id")
        object.__setattr__(self, "id", record_id)

    @property
    def digest(self) -> str:
        """sha256 of the grant as entered (not the revocation: that is a later event on the same grant)."""
        import hashlib
        import json
        grant = {k: v for k, v in self.to_dict().items() if k not in ("revoked", "revoked_reason")}
        return hashlib.sha256(json.dumps(grant, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class LoraRef(_Value):
    """A LoRA adapter (a .safetensors file) a character, style or shot brings to diffusion shots."""
    path: str                # absolute, or relative to the project folder
    weight: float = 1.0
    trigger: str = ""        # the words it was trained to answer to; put in front of the prompt

    def __post_init__(self) -> None:
        path = _text(self.path, "LoRA file", 4096).strip()
        if not path.endswith(".safetensors"):
            raise ValidationError(f"LoRA {path!r}: only .safetensors files are loaded (a pickle can run code)")
        object.__setattr__(self, "path", path)
        try:
            weight = float(self.weight)
        except (TypeError, ValueError):
            raise ValidationError(f"LoRA weight {self.weight!r} is not a number") from None
        if not -4.0 <= weight <= 4.0:
            raise ValidationError(f"LoRA weight {weight:g} is outside -4..4")
        object.__setattr__(self, "weight", weight)
        object.__setattr__(self, "trigger", _text(self.trigger, "LoRA trigger words", 200).strip())

    def __fspath__(self) -> str:
        # a LoraRef stands for its file wherever a path is expected (consent fingerprints, os.path)
        return self.path


def _loras(values: Any) -> tuple[LoraRef, ...]:
    """LoraRefs from LoraRefs, dicts, or plain paths (weight 1, no trigger words)."""
    return tuple(v if isinstance(v, LoraRef) else LoraRef(v) if isinstance(v, str) else LoraRef.from_dict(v)
                 for v in values or ())


@dataclass(frozen=True)
class BibleEntry(_Value):
    """A character, location, prop or style that keeps the world consistent across shots."""
    id: str
    kind: BibleKind
    name: str
    description: str = ""
    reference_images: tuple[str, ...] = ()
    color: str = ""        # characters: mannequin colour '#rrggbb'
    voice: str = ""        # characters: espeak-ng voice for scratch dialogue
    real_person: bool = False
    consent: ConsentRecord | None = None
    loras: tuple[LoraRef, ...] = ()   # a character or style LoRA, used by every shot that references the entry
    model: str = ""        # the user's own 3D model (.glb in media/models/, project-relative); previs draws it

    def __post_init__(self) -> None:
        object.__setattr__(self, "loras", _loras(self.loras))
        object.__setattr__(self, "kind", BibleKind.parse(self.kind, "bible entry kind"))
        object.__setattr__(self, "model", _relpath(self.model, "3D model"))
        name = _text(self.name, "bible entry name", 200).strip()
        if not name:
            raise ValidationError("a bible entry needs a name")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "description", _text(self.description, "description"))
        object.__setattr__(self, "reference_images",
                           tuple(_relpath(p, "reference image") for p in self.reference_images or ()))
        color = _text(self.color, "colour", 16).strip()
        if color and not re.fullmatch(r"#[0-9a-fA-F]{6}", color):
            raise ValidationError(f"colour: {color!r} is not like #c0504d")
        object.__setattr__(self, "color", color.lower())
        object.__setattr__(self, "voice", _text(self.voice, "voice", 64).strip())
        object.__setattr__(self, "real_person", bool(self.real_person))
        if self.consent is not None and not isinstance(self.consent, ConsentRecord):
            object.__setattr__(self, "consent", ConsentRecord.from_dict(self.consent))
        if self.real_person and self.kind is not BibleKind.CHARACTER:
            raise ValidationError("only a character can be marked as a real person")

    @property
    def usable(self) -> bool:
        """A real person's likeness may be used only with a consent record."""
        return not self.real_person or self.consent is not None


@dataclass(frozen=True)
class Shot(_Value):
    id: str
    title: str = ""
    prompt: str = ""                 # the action: what happens in the shot
    dialogue: str = ""               # the script's dialogue for this shot (cues carry the timing)
    notes: str = ""
    duration: int = 72               # frames at the project rate
    camera: CameraCue = field(default_factory=CameraCue)
    motion: tuple[MotionCue, ...] = ()
    audio: tuple[AudioCue, ...] = ()
    continuity: Continuity = Continuity.PREVIOUS
    bible_refs: tuple[str, ...] = ()  # BibleEntry ids
    seed: int = 0
    backend: str = ""                # '' = the project's default
    model: str = ""                  # diffusion model folder / id override
    selected_take: str = ""          # Take id
    trim_in: int = 0                 # frames into the selected take
    trim_out: int = 0                # 0 = to the end of the take
    board_image: str = ""            # project-relative board drawing: previs board mode, i2v first frame
    transition: Transition = field(default_factory=Transition)
    prompt_override: str = ""        # the user's edit of the compiled prompt ('' = compile it)
    generation: tuple = ()           # diffusion settings override, (key, value) pairs (studio.diffusion_settings)
    loras: tuple[LoraRef, ...] = ()  # the shot's own LoRAs (besides its bible entries')

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_\-]{1,64}", str(self.id or "")):
            raise ValidationError(f"shot id: {self.id!r} is not a valid id")
        object.__setattr__(self, "title", _text(self.title, "title", 200))
        object.__setattr__(self, "prompt", _text(self.prompt, "action prompt"))
        object.__setattr__(self, "dialogue", _text(self.dialogue, "dialogue"))
        object.__setattr__(self, "notes", _text(self.notes, "notes"))
        object.__setattr__(self, "prompt_override", _text(self.prompt_override, "prompt override"))
        object.__setattr__(self, "duration", _int(self.duration, "duration (frames)", 1, MAX_FRAMES))
        object.__setattr__(self, "camera", _cue(self.camera, CameraCue, "camera cue"))
        object.__setattr__(self, "motion", tuple(_cue(m, MotionCue, "motion cue") for m in self.motion or ()))
        audio = tuple(_cue(a, AudioCue, "audio cue") for a in self.audio or ())
        ids = [a.cue_id for a in audio]
        if any(not i for i in ids) or len(set(ids)) != len(ids):
            audio = tuple(a if a.cue_id and ids.count(a.cue_id) == 1 else a.with_(cue_id=new_id("au"))
                          for a in audio)
        object.__setattr__(self, "audio", audio)
        object.__setattr__(self, "continuity", Continuity.parse(self.continuity, "continuity"))
        object.__setattr__(self, "bible_refs", tuple(str(r) for r in self.bible_refs or ()))
        object.__setattr__(self, "seed", _int(self.seed, "seed", 0, 2**32 - 1))
        object.__setattr__(self, "backend", _text(self.backend, "backend", 64).strip())
        object.__setattr__(self, "model", _text(self.model, "model", 4096).strip())
        object.__setattr__(self, "selected_take", _text(self.selected_take, "selected take", 64))
        object.__setattr__(self, "trim_in", _int(self.trim_in, "trim in", 0, MAX_FRAMES))
        object.__setattr__(self, "trim_out", _int(self.trim_out, "trim out", 0, MAX_FRAMES))
        if self.trim_out and self.trim_out <= self.trim_in:
            raise ValidationError(f"trim: out ({self.trim_out}) must be after in ({self.trim_in})")
        object.__setattr__(self, "board_image", _relpath(self.board_image, "board image"))
        if not isinstance(self.transition, Transition):
            object.__setattr__(self, "transition", Transition.from_dict(self.transition or {}))
        object.__setattr__(self, "loras", _loras(self.loras))
        if not self.generation:
            object.__setattr__(self, "generation", ())     # JSON gives [] back: keep the Shot hashable
        else:
            from .diffusion_settings import normalise
            try:
                checked = normalise(self.generation, "shot generation override")
            except Exception as exc:  # a UserError: the model's own error type for a bad value
                raise ValidationError(str(exc)) from None
            object.__setattr__(self, "generation", tuple(sorted(
                (k, tuple(sorted(v.items())) if isinstance(v, dict) else v) for k, v in checked.items())))

    @classmethod
    def create(cls, **values: Any) -> "Shot":
        return cls(id=values.pop("id", None) or new_id("sh"), **values)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Shot":
        data = dict(data)
        data["motion"] = tuple(data.get("motion") or ())
        data["audio"] = tuple(data.get("audio") or ())
        data["bible_refs"] = tuple(data.get("bible_refs") or ())
        return super().from_dict(data)

    def audio_cue(self, cue_id: str) -> AudioCue:
        for cue in self.audio:
            if cue.cue_id == cue_id:
                return cue
        raise ValidationError(f"shot {self.title or self.id} has no audio cue {cue_id}")


TAKE_FILE_ROLES = ("video", "proxy", "thumbnail", "audio", "last_frame", "metadata")


@dataclass(frozen=True)
class Take(_Value):
    """One generated version of a shot. Recorded by the engine, never edited after, only chosen/trashed.

    params holds every request parameter (the request JSON with project-relative paths), so a take can
    be reproduced; parent_take_id + operation give its lineage (variation, remix, extend, loop, blend...);
    source_take_id + source_frame name what it was conditioned on (continuity).
    """
    id: str
    shot_id: str
    backend: str
    model_id: str = ""
    seed: int = 0
    params: Mapping[str, Any] = field(default_factory=dict)
    files: Mapping[str, str] = field(default_factory=dict)  # role -> project-relative path
    frames: int = 0
    fps: Fraction = Fraction(24)
    width: int = 0
    height: int = 0
    parent_take_id: str = ""
    operation: str = "generate"
    source_take_id: str = ""
    source_frame: int | None = None
    created: str = ""                 # ISO timestamp UTC
    status: TakeStatus = TakeStatus.READY
    prompt: str = ""                  # the compiled prompt it was made with
    renderer_version: str = ""
    end_state: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        for name in ("id", "shot_id", "backend"):
            if not _text(getattr(self, name), f"take {name}", 4096):
                raise ValidationError(f"a take needs a {name}")
        object.__setattr__(self, "seed", _int(self.seed, "take seed", 0, 2**63 - 1))
        object.__setattr__(self, "frames", _int(self.frames, "take frames", 0, MAX_FRAMES))
        object.__setattr__(self, "fps", parse_fps(self.fps))
        files = {str(k): _relpath(v, f"take file ({k})") for k, v in dict(self.files).items() if v}
        unknown = set(files) - set(TAKE_FILE_ROLES) - {k for k in files if k.startswith("extra_")}
        if unknown:
            raise ValidationError(f"take files: unknown role(s) {', '.join(sorted(unknown))}")
        object.__setattr__(self, "files", files)
        object.__setattr__(self, "params", dict(self.params))
        object.__setattr__(self, "status", TakeStatus.parse(self.status, "take status"))
        if self.source_frame is not None:
            object.__setattr__(self, "source_frame", _int(self.source_frame, "source frame", 0, MAX_FRAMES))


class Sequence:
    """A scene: a heading and an ordered list of shots. Edited only through commands."""

    def __init__(self, id: str, heading: str = "", shots: Iterable[Shot] = (), notes: str = ""):
        self.id = id
        self.heading = _text(heading, "scene heading", 300)
        self.notes = _text(notes, "scene notes")
        self.shots: list[Shot] = list(shots)

    def index_of(self, shot_id: str) -> int:
        for i, shot in enumerate(self.shots):
            if shot.id == shot_id:
                return i
        raise ValidationError(f"no shot {shot_id} in scene {self.heading or self.id}")

    @property
    def duration(self) -> int:
        return sum(s.duration for s in self.shots)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "heading": self.heading, "notes": self.notes,
                "shots": [s.to_dict() for s in self.shots]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Sequence":
        return cls(data["id"], data.get("heading", ""), (Shot.from_dict(s) for s in data.get("shots", ())),
                   data.get("notes", ""))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"Sequence({self.id!r}, {self.heading!r}, {len(self.shots)} shots)"


DEFAULT_SETTINGS: dict[str, Any] = {
    "burn_in": False,                 # shot number + timecode on previs takes
    "watermark": {"enabled": True, "text": "", "opacity": 0.35, "scale": 0.16},
    "training_mining": "notAllowed",  # cawg.training-mining for exports: notAllowed | allowed | constrained
    "conform_fps": "blend",           # diffusion native fps -> project fps: blend | interpolate | drop
    "model_dirs": [],
    "diffusion": {},                  # generation defaults: memory_mode, dtype, attention_backend, cache, compile
}


class Project:
    """The whole document. `Document` owns one and is the only thing that changes it."""

    def __init__(self, name: str, fps: Fraction | str | int = 24, width: int = 1280, height: int = 720,
                 default_backend: str = "previs", settings: Mapping[str, Any] | None = None,
                 sequences: Iterable[Sequence] = (), bible: Iterable[BibleEntry] = (),
                 takes: Iterable[Take] = ()):
        name = _text(name, "project name", 200).strip()
        if not name:
            raise ValidationError("a project needs a name")
        self.name = name
        try:
            self.fps = parse_fps(fps)
        except CueError as exc:
            raise ValidationError(str(exc)) from None
        self.width = _int(width, "width", 16, 8192)
        self.height = _int(height, "height", 16, 8192)
        if self.width % 2 or self.height % 2:
            raise ValidationError(f"size {self.width}x{self.height}: width and height must be even (H.264)")
        self.default_backend = _text(default_backend, "default backend", 64) or "previs"
        self.settings: dict[str, Any] = {**DEFAULT_SETTINGS, **dict(settings or {})}
        self.sequences: list[Sequence] = list(sequences)
        self.bible: list[BibleEntry] = list(bible)
        self.takes: dict[str, Take] = {t.id: t for t in takes}

    # ---- look-ups ---------------------------------------------------------------------------
    def shots(self) -> Iterator[tuple[Sequence, Shot]]:
        for seq in self.sequences:
            for shot in seq.shots:
                yield seq, shot

    def find_shot(self, shot_id: str) -> tuple[Sequence, int, Shot]:
        # A remembered position is only a hint, checked exactly before use (commands edit the lists
        # directly); it makes one edit of a 1,000-shot project O(1) instead of a scan.
        hints = self.__dict__.setdefault("_shot_hints", {})
        hint = hints.get(shot_id)
        if hint is not None:
            seq, i = hint
            if i < len(seq.shots) and seq.shots[i].id == shot_id and any(s is seq for s in self.sequences):
                return seq, i, seq.shots[i]
        found = None
        for seq in self.sequences:
            for i, shot in enumerate(seq.shots):
                hints[shot.id] = (seq, i)
                if shot.id == shot_id:
                    found = (seq, i, shot)
        if found is not None:
            return found
        hints.pop(shot_id, None)
        raise ValidationError(f"no shot with id {shot_id}")

    def shot(self, shot_id: str) -> Shot:
        return self.find_shot(shot_id)[2]

    def resolve_shot(self, ref: str) -> Shot:
        """A shot by id, by its 1-based number in the cut, or by exact title (the CLI accepts all three)."""
        ref = str(ref).strip()
        all_shots = [s for _, s in self.shots()]
        for shot in all_shots:
            if shot.id == ref:
                return shot
        if ref.isdigit() and 1 <= int(ref) <= len(all_shots):
            return all_shots[int(ref) - 1]
        matches = [s for s in all_shots if s.title.lower() == ref.lower()]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise ValidationError(f"{len(matches)} shots are titled {ref!r}: use the shot id")
        raise ValidationError(f"no shot {ref!r} (give its id, its number or its title)")

    def sequence(self, seq_id: str) -> Sequence:
        for seq in self.sequences:
            if seq.id == seq_id:
                return seq
        raise ValidationError(f"no scene with id {seq_id}")

    def bible_entry(self, entry_id: str) -> BibleEntry:
        for entry in self.bible:
            if entry.id == entry_id:
                return entry
        raise ValidationError(f"no bible entry with id {entry_id}")

    def bible_by_name(self, name: str, kind: BibleKind | None = None) -> BibleEntry | None:
        for entry in self.bible:
            if entry.name.lower() == name.strip().lower() and (kind is None or entry.kind is kind):
                return entry
        return None

    def take(self, take_id: str) -> Take:
        try:
            return self.takes[take_id]
        except KeyError:
            raise ValidationError(f"no take with id {take_id}") from None

    def takes_of(self, shot_id: str, *, include_trashed: bool = False) -> list[Take]:
        return sorted((t for t in self.takes.values() if t.shot_id == shot_id
                       and (include_trashed or t.status is TakeStatus.READY)), key=lambda t: (t.created, t.id))

    def previous_shot(self, shot_id: str) -> Shot | None:
        """The shot before this one in its scene (continuity does not cross scene boundaries)."""
        seq, index, _ = self.find_shot(shot_id)
        return seq.shots[index - 1] if index > 0 else None

    # ---- serialization (tests, export metadata, the store's JSON columns) ----------------------
    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA_VERSION, "name": self.name, "fps": fps_to_str(self.fps), "width": self.width,
                "height": self.height, "default_backend": self.default_backend, "settings": dict(self.settings),
                "sequences": [s.to_dict() for s in self.sequences], "bible": [b.to_dict() for b in self.bible],
                "takes": [t.to_dict() for t in sorted(self.takes.values(), key=lambda t: t.id)]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Project":
        return cls(data["name"], data.get("fps", 24), data.get("width", 1280), data.get("height", 720),
                   data.get("default_backend", "previs"), data.get("settings"),
                   (Sequence.from_dict(s) for s in data.get("sequences", ())),
                   (BibleEntry.from_dict({**b, "reference_images": tuple(b.get("reference_images") or ()),
                                          "loras": tuple(b.get("loras") or ())})
                    for b in data.get("bible", ())),
                   (Take.from_dict(t) for t in data.get("takes", ())))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Project) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"Project({self.name!r}, {float(self.fps):g} fps, {self.width}x{self.height})"
