"""Frozen, JSON-serializable job types: what a backend is asked to do and what it hands back.

A request carries absolute paths and every value a backend needs, so a job can be queued,
persisted, retried after a crash, or shipped to another machine without the project. Times are
integer frames at a `Fraction` rate; the rate serializes as "num/den".
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field, fields, replace
from enum import Enum
from fractions import Fraction
from typing import Any, Callable, Mapping, Protocol

from .cues import AudioCue, CameraCue, CueError, MotionCue
from .errors import EngineError, JobCancelled
from .plan import ShotPlan


def fps_to_str(fps: Fraction) -> str:
    return f"{fps.numerator}/{fps.denominator}"


def parse_fps(value: Any) -> Fraction:
    """Accept 24, 23.976, '30000/1001', Fraction. Float rates snap to the NTSC rationals."""
    if isinstance(value, Fraction):
        fps = value
    elif isinstance(value, str) and "/" in value:
        num, den = value.split("/", 1)
        try:
            fps = Fraction(int(num), int(den))
        except (ValueError, ZeroDivisionError):  # '24/0', '0/0', '24/x'
            raise CueError(f"frame rate: {value!r} is not a whole-number ratio like 30000/1001") from None
    else:
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            raise CueError(f"frame rate: {value!r} is not a number") from None
        if not math.isfinite(number):  # nan, inf, 1e400
            raise CueError(f"frame rate: {value!r} is not a finite number")
        ntsc = {23.976: Fraction(24000, 1001), 29.97: Fraction(30000, 1001), 59.94: Fraction(60000, 1001),
                47.952: Fraction(48000, 1001)}
        fps = next((v for k, v in ntsc.items() if abs(number - k) < 0.01), Fraction(number).limit_denominator(1001))
    if not (1 <= fps <= 240):
        raise CueError(f"frame rate: {float(fps):g} fps is outside 1..240")
    return fps


@dataclass(frozen=True)
class Keyframe:
    """An image (or the first frames of a clip) pinned at a frame index of the output."""
    path: str
    frame_index: int = 0
    strength: float = 1.0
    is_video: bool = False

    def to_dict(self) -> dict:
        return {"path": self.path, "frame_index": self.frame_index, "strength": self.strength,
                "is_video": self.is_video}


@dataclass(frozen=True)
class Conditioning:
    """What a shot inherits. Paths are absolute PNG/MP4 files the studio extracted beforehand.

    first_frame: start the clip from this image (continuity 'previous': the previous take's last frame,
    or a board image). last_frame: end on it (first-last-frame, blend, loop). video: a clip to continue
    (its last `video_frames` frames) or to remix (v2v with `strength`). references: bible images.
    source_take_id/source_frame: which take and frame this came from, recorded on the new take.
    from_job: a render-farm continuity chain: the job whose take's last frame and end state this
    request starts from, filled in (first_frame, source_*, scene.start_state) once that job's
    last frame exists (engine.farm.bundle.resolve_chain); None for every local request.
    """
    first_frame: str | None = None
    last_frame: str | None = None
    video: str | None = None
    video_frames: int = 0
    strength: float | None = None
    references: tuple[str, ...] = ()
    keyframes: tuple[Keyframe, ...] = ()
    source_take_id: str | None = None
    source_frame: int | None = None
    from_job: str | None = None

    def to_dict(self) -> dict:
        chain = {"from_job": self.from_job} if self.from_job else {}  # absent for local requests: JSON unchanged
        return {**chain, "first_frame": self.first_frame, "last_frame": self.last_frame, "video": self.video,
                "video_frames": self.video_frames, "strength": self.strength, "references": list(self.references),
                "keyframes": [k.to_dict() for k in self.keyframes], "source_take_id": self.source_take_id,
                "source_frame": self.source_frame}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "Conditioning":
        if not data:
            return cls()
        data = dict(data)
        data["references"] = tuple(data.get("references") or ())
        data["keyframes"] = tuple(Keyframe(**k) for k in data.get("keyframes") or ())
        return cls(**data)

    @property
    def is_empty(self) -> bool:
        return self == Conditioning()


@dataclass(frozen=True)
class CharacterSpec:
    """A figure the previs renderer draws and the prompt compiler describes (from a bible entry)."""
    name: str
    description: str = ""
    color: str = "#c0504d"     # mannequin colour, '#rrggbb'
    voice: str = ""            # espeak-ng voice for this character's lines
    height_m: float = 1.75
    model: str = ""            # the user's own 3D model (absolute .glb path inside the project), placed rigidly


@dataclass(frozen=True)
class AssetSpec:
    """A prop or location bible entry's own 3D model (absolute .glb path inside the project): a prop
    model replaces the kit prop of that kind or name, a location model is placed into the set."""
    kind: str                  # 'prop' or 'location'
    name: str
    model: str


@dataclass(frozen=True)
class SceneSpec:
    """The world a shot happens in: from the sequence heading and the location/style bible entries.

    The previs renderer builds its set from this and `set_seed`, so every shot of a sequence sees the
    same world. `start_state` is the previous take's `end_state` (opaque JSON owned by the backend):
    with continuity 'previous' the renderer starts exactly where that take ended.
    """
    heading: str = ""               # 'EXT. HARBOUR - NIGHT'
    location: str = ""              # location description
    interior: bool = False
    time_of_day: str = "day"        # dawn, day, dusk, night
    style: str = ""
    characters: tuple[CharacterSpec, ...] = ()
    set_seed: int = 0
    board_image: str | None = None  # board mode: parallax animatic of this image
    start_state: Mapping[str, Any] | None = None
    assets: tuple[AssetSpec, ...] = ()   # prop and location models from the bible

    def to_dict(self) -> dict:
        return {"heading": self.heading, "location": self.location, "interior": self.interior,
                "time_of_day": self.time_of_day, "style": self.style,
                "characters": [c.__dict__.copy() for c in self.characters], "set_seed": self.set_seed,
                "board_image": self.board_image,
                "start_state": dict(self.start_state) if self.start_state is not None else None,
                "assets": [a.__dict__.copy() for a in self.assets]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "SceneSpec":
        if not data:
            return cls()
        data = dict(data)
        data["characters"] = tuple(CharacterSpec(**c) for c in data.get("characters") or ())
        data["assets"] = tuple(AssetSpec(**a) for a in data.get("assets") or ())
        return cls(**data)


# RemixSpec field -> the option name older requests (and the previs readers' vocabulary) use.
_REMIX_OPTION = {"render_op": "previs_op", "parent_take_id": "parent_take_id", "parent": "parent",
                 "from_frame": "from_frame", "direction": "direction", "extend_frames": "extend_frames",
                 "blend_from": "blend_from", "blend_to": "blend_to", "blend_from_frame": "blend_from_frame",
                 "blend_to_frame": "blend_to_frame", "variation": "variation"}


@dataclass(frozen=True)
class RemixSpec:
    """A remix operation as typed fields of the request (written by studio.remix, read by
    engine/previs/operations.py through GenerationRequest.remix_options), so it travels and persists as
    part of the request instead of free `options` entries.

    render_op: how previs renders it: 'extend' | 'loop' | 'blend' | 'variation' ('' = a plain render).
    parent / blend_from / blend_to: the request JSON of the take(s) it re-simulates.
    """
    render_op: str = ""
    parent_take_id: str = ""
    parent: Mapping[str, Any] | None = None
    from_frame: int | None = None
    direction: str = ""
    extend_frames: int | None = None
    blend_from: Mapping[str, Any] | None = None
    blend_to: Mapping[str, Any] | None = None
    blend_from_frame: int | None = None
    blend_to_frame: int | None = None
    variation: float | None = None

    def to_dict(self) -> dict:
        return {f.name: (dict(v) if isinstance(v, Mapping) else v) for f in fields(self)
                for v in [getattr(self, f.name)] if v not in (None, "")}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "RemixSpec":
        return cls(**{k: v for k, v in (data or {}).items() if k in _REMIX_OPTION})

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> tuple["RemixSpec", dict]:
        """Split option-style remix entries off `options`: (the typed spec, the remaining options)."""
        names = {option: name for name, option in _REMIX_OPTION.items()}
        spec = cls(**{names[k]: v for k, v in options.items() if k in names})
        return spec, {k: v for k, v in options.items() if k not in names}

    def as_options(self) -> dict:
        return {_REMIX_OPTION[k]: v for k, v in self.to_dict().items()}

    @property
    def is_empty(self) -> bool:
        return not self.to_dict()


@dataclass(frozen=True)
class GenerationRequest:
    job_id: str
    output_dir: str                   # absolute; the backend writes here under temporary names
    backend: str = "previs"           # 'previs' | 'diffusion'
    model: str = ""                   # diffusion: model folder or hub id
    prompt: str = ""
    negative_prompt: str = ""
    camera: CameraCue = field(default_factory=CameraCue)
    motion: tuple[MotionCue, ...] = ()
    audio: tuple[AudioCue, ...] = ()  # file paths absolute
    width: int = 1280
    height: int = 720
    frames: int = 72
    fps: Fraction = Fraction(24)
    seed: int = 0
    scene: SceneSpec = field(default_factory=SceneSpec)
    conditioning: Conditioning = field(default_factory=Conditioning)
    burn_in: str = ""                 # text burned into the frame with the timecode ('' = none)
    options: Mapping[str, Any] = field(default_factory=dict)  # backend options (steps, guidance, memory mode…)
    shot_id: str = ""                 # for the studio's bookkeeping; backends ignore it
    operation: str = "generate"       # generate, variation, remix, extend, loop, blend…
    plan: ShotPlan | None = None      # what the shot shows, resolved by the studio (engine.plan)
    remix: RemixSpec = field(default_factory=RemixSpec)  # the remix operation's own fields (typed)

    def __post_init__(self) -> None:
        if not self.job_id:
            raise CueError("a job needs an id")
        for name, lo, hi in (("width", 16, 8192), ("height", 16, 8192), ("frames", 1, 24 * 60 * 30)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not (lo <= value <= hi):
                raise CueError(f"{name}: {value!r} must be a whole number in {lo}..{hi}")
        object.__setattr__(self, "fps", parse_fps(self.fps))
        object.__setattr__(self, "motion", tuple(self.motion))
        object.__setattr__(self, "audio", tuple(self.audio))
        object.__setattr__(self, "options", dict(self.options))
        if self.plan is not None and not isinstance(self.plan, ShotPlan):
            object.__setattr__(self, "plan", ShotPlan.from_dict(self.plan))

    @property
    def duration_s(self) -> float:
        return float(self.frames / self.fps)

    def to_dict(self) -> dict:
        return {"job_id": self.job_id, "output_dir": self.output_dir, "backend": self.backend, "model": self.model,
                "prompt": self.prompt, "negative_prompt": self.negative_prompt, "camera": self.camera.to_dict(),
                "motion": [m.to_dict() for m in self.motion], "audio": [a.to_dict() for a in self.audio],
                "width": self.width, "height": self.height, "frames": self.frames, "fps": fps_to_str(self.fps),
                "seed": self.seed, "scene": self.scene.to_dict(), "conditioning": self.conditioning.to_dict(),
                "burn_in": self.burn_in, "options": dict(self.options), "shot_id": self.shot_id,
                "operation": self.operation, "plan": self.plan.to_dict() if self.plan is not None else None,
                **({"remix": self.remix.to_dict()} if not self.remix.is_empty else {})}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "GenerationRequest":
        data = dict(data)
        data["camera"] = CameraCue.from_dict(data.get("camera") or {})
        data["motion"] = tuple(MotionCue.from_dict(m) for m in data.get("motion") or ())
        data["audio"] = tuple(AudioCue.from_dict(a) for a in data.get("audio") or ())
        data["fps"] = parse_fps(data.get("fps", 24))
        data["scene"] = SceneSpec.from_dict(data.get("scene"))
        data["conditioning"] = Conditioning.from_dict(data.get("conditioning"))
        data["plan"] = ShotPlan.from_dict(data["plan"]) if data.get("plan") else None
        data["remix"] = RemixSpec.from_dict(data.get("remix"))
        return cls(**data)

    def remix_options(self) -> dict[str, Any]:
        """The remix operation under its option names ('previs_op', 'parent', 'from_frame', ...):
        the typed fields, over the option entries of requests stored before they existed."""
        legacy = {k: v for k, v in self.options.items() if k in _REMIX_OPTION.values()}
        return {**legacy, **self.remix.as_options()}

    def plain(self) -> "GenerationRequest":
        """This request without its remix operation and backend options (what a remix re-renders)."""
        return replace(self, options={}, remix=RemixSpec())

    def with_(self, **changes: Any) -> "GenerationRequest":
        return replace(self, **changes)


class JobStatus(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class GenerationResult:
    """What a finished job left on disk. Paths are absolute and final (already renamed into place).

    end_state: the backend's world state at the last frame (previs: camera pose and figure poses), fed
    to the next shot's SceneSpec.start_state for exact continuity. metadata: every parameter that made
    the take, written also as the take's metadata JSON.
    """
    job_id: str
    status: JobStatus
    video: str | None = None
    proxy: str | None = None
    thumbnail: str | None = None
    audio: str | None = None
    last_frame: str | None = None
    metadata_file: str | None = None
    frames: int = 0
    fps: Fraction = Fraction(24)
    width: int = 0
    height: int = 0
    seed: int = 0
    backend: str = ""
    model: str = ""
    renderer_version: str = ""
    end_state: Mapping[str, Any] | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    error: EngineError | None = None
    seconds: float = 0.0
    passes: Mapping[str, str] = field(default_factory=dict)  # control pass name -> absolute path (previs)

    def to_dict(self) -> dict:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Enum):
                value = value.value
            elif isinstance(value, Fraction):
                value = fps_to_str(value)
            elif isinstance(value, EngineError):
                value = value.to_dict()
            elif isinstance(value, Mapping):
                value = dict(value)
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "GenerationResult":
        data = dict(data)
        data["status"] = JobStatus(data["status"])
        data["fps"] = parse_fps(data.get("fps", 24))
        if data.get("error"):
            data["error"] = EngineError.from_dict(data["error"])
        return cls(**data)


@dataclass(frozen=True)
class Progress:
    """One progress report. `preview` is a small RGB frame (bytes, width, height) now and then."""
    job_id: str
    stage: str                 # 'loading', 'rendering', 'denoising', 'decoding', 'encoding', 'audio', 'done'
    current: int = 0
    total: int = 0
    eta_s: float | None = None
    preview: tuple[bytes, int, int] | None = None
    message: str = ""

    @property
    def fraction(self) -> float:
        return self.current / self.total if self.total else 0.0


ProgressFn = Callable[[Progress], None]


class CancelToken:
    """Cooperative cancel, one per job. Checked by backends between frames / diffusion steps.

    cancel(): stop hard and keep nothing. stop_early(): finish now and keep what there is (diffusion:
    skip the remaining steps but decode). Thread-safe; the runner and the UI may call from any thread.
    """

    def __init__(self) -> None:
        self._cancel = threading.Event()
        self._stop_early = threading.Event()
        self.cancelled_at: float | None = None

    def cancel(self) -> None:
        if not self._cancel.is_set():
            self.cancelled_at = time.monotonic()
        self._cancel.set()

    def stop_early(self) -> None:
        self._stop_early.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def stopping_early(self) -> bool:
        return self._stop_early.is_set()

    def raise_if_cancelled(self) -> None:
        if self._cancel.is_set():
            raise JobCancelled()

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`, waking at once on cancel. Returns True when cancelled."""
        return self._cancel.wait(seconds)


class Backend(Protocol):
    """A generation backend. `generate` runs on the engine worker thread and must check `cancel`."""
    name: str

    def generate(self, request: GenerationRequest, progress: ProgressFn, cancel: CancelToken) -> GenerationResult:
        ...
