"""The cue vocabulary: how a shot asks for camera, motion and sound.

This is part of the engine's request language. `studio.model` holds these types inside its
shots instead of defining its own copies, so a cue means the same thing in the document, in a
request that travels to another machine, and in the renderer that executes it.

Every cue is frozen, validates itself on construction (raising `CueError`, a ValueError whose
message is safe to show a user) and round-trips through plain JSON (`to_dict` / `from_dict`).
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from enum import Enum
from typing import Any, Mapping


class CueError(ValueError):
    """An impossible cue value. The message names the field and the allowed values."""


class _Choice(str, Enum):
    """A string enum that parses user text forgivingly ('Dolly In', 'dolly-in', 'dolly_in')."""

    @classmethod
    def parse(cls, value: Any, what: str | None = None):
        if isinstance(value, cls):
            return value
        exact = cls._value2member_map_.get(value) if isinstance(value, str) else None
        if exact is not None:  # the stored spelling: a dict hit (loading a 1,000-shot project parses ~9,000)
            return exact
        text = str(value if value is not None else "").strip().lower().replace("-", "_").replace(" ", "_")
        for member in cls:
            if text in (member.value, member.name.lower()):
                return member
        for alias, target in getattr(cls, "_aliases", lambda: {})().items():
            if text == alias:
                return cls(target)
        allowed = ", ".join(m.value for m in cls if m.value)
        raise CueError(f"{what or cls.__name__}: {value!r} is not one of {allowed}")

    def __str__(self) -> str:  # so f-strings and CLI output show the plain word
        return self.value


class CameraMove(_Choice):
    STATIC = "static"
    PAN = "pan"            # rotate about the vertical axis (direction left/right)
    TILT = "tilt"          # rotate about the horizontal axis (up/down)
    DOLLY_IN = "dolly_in"  # camera travels toward the subject
    DOLLY_OUT = "dolly_out"
    TRUCK = "truck"        # camera travels sideways (left/right)
    PEDESTAL = "pedestal"  # camera travels vertically (up/down)
    CRANE = "crane"        # rises or falls while tilting to keep the subject (up/down)
    ZOOM_IN = "zoom_in"    # focal length grows, camera stays put
    ZOOM_OUT = "zoom_out"
    ORBIT = "orbit"        # circles the subject (cw/ccw seen from above, or left/right)
    HANDHELD = "handheld"  # seeded operator shake, amount = how shaky

    @staticmethod
    def _aliases() -> dict[str, str]:
        return {"dolly": "dolly_in", "push_in": "dolly_in", "pull_out": "dolly_out", "zoom": "zoom_in",
                "track": "truck", "boom": "crane", "arc": "orbit", "none": "static", "locked": "static"}


class Direction(_Choice):
    NONE = ""
    LEFT = "left"
    RIGHT = "right"
    UP = "up"
    DOWN = "down"
    IN = "in"
    OUT = "out"
    CW = "cw"
    CCW = "ccw"


class Easing(_Choice):
    LINEAR = "linear"
    EASE_IN = "ease_in"
    EASE_OUT = "ease_out"
    EASE_IN_OUT = "ease_in_out"

    def apply(self, t: float) -> float:
        """Map linear progress t in [0, 1] to eased progress in [0, 1]."""
        t = min(1.0, max(0.0, t))
        if self is Easing.EASE_IN:
            return t * t
        if self is Easing.EASE_OUT:
            return 1.0 - (1.0 - t) * (1.0 - t)
        if self is Easing.EASE_IN_OUT:
            return t * t * (3.0 - 2.0 * t)
        return t


class ShotSize(_Choice):
    ECU = "ECU"  # extreme close-up: eyes
    CU = "CU"    # close-up: face
    MCU = "MCU"  # medium close-up: head and shoulders
    MS = "MS"    # medium: waist up
    MLS = "MLS"  # medium long: knees up
    WS = "WS"    # wide: whole figure with room
    EWS = "EWS"  # extreme wide: figure small in the location

    @classmethod
    def parse(cls, value: Any, what: str | None = None):
        if isinstance(value, str):
            value = value.strip().upper().replace("-", "").replace(" ", "")
        return super().parse(value, what)

    @property
    def frame_height_m(self) -> float:
        """How much of a standing 1.75 m figure (in metres, at the subject) fills the frame height."""
        return _SHOT_SIZE_HEIGHT[self]

    @property
    def label(self) -> str:
        return _SHOT_SIZE_LABEL[self]


_SHOT_SIZE_HEIGHT = {ShotSize.ECU: 0.12, ShotSize.CU: 0.35, ShotSize.MCU: 0.6, ShotSize.MS: 1.0,
                     ShotSize.MLS: 1.45, ShotSize.WS: 3.2, ShotSize.EWS: 9.0}
_SHOT_SIZE_LABEL = {ShotSize.ECU: "extreme close-up", ShotSize.CU: "close-up", ShotSize.MCU: "medium close-up",
                    ShotSize.MS: "medium shot", ShotSize.MLS: "medium long shot", ShotSize.WS: "wide shot",
                    ShotSize.EWS: "extreme wide shot"}


class Angle(_Choice):
    EYE = "eye"
    HIGH = "high"
    LOW = "low"
    OVERHEAD = "overhead"
    DUTCH = "dutch"

    @staticmethod
    def _aliases() -> dict[str, str]:
        return {"eye_level": "eye", "birds_eye": "overhead", "top": "overhead", "canted": "dutch"}


class ScreenDirection(_Choice):
    """Where a subject moves, as seen in the frame."""
    NONE = ""
    LEFT = "left"        # toward frame left
    RIGHT = "right"      # toward frame right
    TOWARD = "toward"    # toward camera
    AWAY = "away"        # away from camera


class MotionKind(_Choice):
    """What the renderer makes a subject do. Parsed from the action text when not given."""
    NONE = "none"
    CROSS = "cross"        # walk across the frame in the screen direction
    APPROACH = "approach"  # walk toward camera
    RECEDE = "recede"      # walk away from camera
    TURN = "turn"          # turn on the spot (screen direction = the side turned to)
    SIT = "sit"
    STAND = "stand"
    GESTURE = "gesture"    # talk, point, wave: upper body only
    RUN = "run"            # a fast cross

    @staticmethod
    def _aliases() -> dict[str, str]:
        return {"walk": "cross", "walks": "cross", "crosses": "cross", "exit": "cross", "enter": "cross",
                "approaches": "approach", "comes": "approach", "recedes": "recede", "leaves": "recede",
                "turns": "turn", "sits": "sit", "stands": "stand", "rises": "stand", "runs": "run",
                "talks": "gesture", "points": "gesture", "waves": "gesture", "static": "none", "": "none"}

    @classmethod
    def infer(cls, action: str, direction: "ScreenDirection") -> "MotionKind":
        """Guess the kind from free action text ('walks to the window', 'sits down')."""
        words = [w.strip(".,;:!?'\"").lower() for w in action.split()]
        for word in words:
            try:
                kind = cls.parse(word)
            except CueError:
                continue
            if kind is not cls.NONE:
                return kind
        if direction in (ScreenDirection.LEFT, ScreenDirection.RIGHT):
            return cls.CROSS
        if direction is ScreenDirection.TOWARD:
            return cls.APPROACH
        if direction is ScreenDirection.AWAY:
            return cls.RECEDE
        return cls.NONE


class AudioKind(_Choice):
    DIALOGUE = "dialogue"
    SFX = "sfx"
    AMBIENCE = "ambience"
    MUSIC = "music"


@dataclass(frozen=True)
class MoveSpec:
    """One row of the camera table: what a move's amount means and how every reader words it.

    span/unit: amount 1.0 is `span` `unit` (the strongest move a storyboard asks for in one shot);
    directions: the first is the default; words: the prompt phrase ({dir} = direction words);
    label: the describe text's name; amount: the amount text's format of the span ({v} = span x amount);
    directed: describe names the direction; pair: the move the other direction means ('--camera dolly
    --direction out' is a dolly out).
    """
    span: float
    unit: str
    directions: tuple[Direction, ...]
    words: str
    label: str
    amount: str
    directed: bool = False
    pair: str = ""


# The one camera table: the renderer, the framing solver, describe(), amount_text(), the diffusion
# prompt's camera words and the inspector's diagram all read it.
CAMERA_MOVES: dict[CameraMove, MoveSpec] = {
    CameraMove.STATIC: MoveSpec(0.0, "", (Direction.NONE,), "static camera, locked-off tripod shot", "static", ""),
    CameraMove.PAN: MoveSpec(60.0, "degrees of yaw", (Direction.RIGHT, Direction.LEFT), "the camera pans {dir}",
                             "pan", "{v:.0f}°", True),
    CameraMove.TILT: MoveSpec(40.0, "degrees of pitch", (Direction.UP, Direction.DOWN), "the camera tilts {dir}",
                              "tilt", "{v:.0f}°", True),
    CameraMove.DOLLY_IN: MoveSpec(0.6, "fraction of the distance to the subject", (Direction.IN,),
                                  "the camera dollies in toward the subject, push in", "dolly in",
                                  "{p:.0f}% closer", pair="dolly_out"),
    CameraMove.DOLLY_OUT: MoveSpec(1.0, "times the distance to the subject, added", (Direction.OUT,),
                                   "the camera dollies out away from the subject, pull back", "dolly out",
                                   "+{v:.2f}× distance", pair="dolly_in"),
    CameraMove.TRUCK: MoveSpec(3.0, "metres sideways", (Direction.RIGHT, Direction.LEFT),
                               "tracking shot, the camera trucks {dir}", "truck", "{v:.1f} m", True),
    CameraMove.PEDESTAL: MoveSpec(1.5, "metres vertically", (Direction.UP, Direction.DOWN),
                                  "the camera rises {dir}", "pedestal", "{v:.1f} m", True),
    CameraMove.CRANE: MoveSpec(4.0, "metres vertically, tilting to hold the subject", (Direction.UP, Direction.DOWN),
                               "crane shot, the camera cranes {dir}", "crane", "{v:.1f} m", True),
    CameraMove.ZOOM_IN: MoveSpec(2.0, "times the focal length, added (35 mm -> 105 mm at 1.0)", (Direction.IN,),
                                 "the camera zooms in", "zoom in", "×{z_in:.2f} focal", pair="zoom_out"),
    CameraMove.ZOOM_OUT: MoveSpec(0.66, "fraction of the focal length, removed", (Direction.OUT,),
                                  "the camera zooms out", "zoom out", "×{z_out:.2f} focal", pair="zoom_in"),
    CameraMove.ORBIT: MoveSpec(90.0, "degrees around the subject",
                               (Direction.CW, Direction.CCW, Direction.LEFT, Direction.RIGHT),
                               "arc shot, the camera orbits around the subject {dir}", "orbit", "{v:.0f}°", True),
    CameraMove.HANDHELD: MoveSpec(1.0, "shake strength (1.0 = nervous run-and-gun)", (Direction.NONE,),
                                  "handheld camera, shaky footage", "handheld", "shake {v:.2f}"),
}

# Views of the table kept for their many readers.
MOVE_SPAN: dict[CameraMove, tuple[float, str]] = {m: (s.span, s.unit) for m, s in CAMERA_MOVES.items()}
MOVE_DIRECTIONS: dict[CameraMove, tuple[Direction, ...]] = {m: s.directions for m, s in CAMERA_MOVES.items()}


def amount_text(move: "CameraMove", amount: float) -> str:
    """The amount in the move's own unit: '32°', '1.5 m', '21% closer', '×1.80 focal'."""
    spec = CAMERA_MOVES[CameraMove.parse(move)]
    v = spec.span * amount
    return spec.amount.format(v=v, p=v * 100, z_in=1 + v, z_out=1 - v) if spec.amount else ""


LENS_MM_RANGE = (8.0, 600.0)


def _check_range(name: str, value: Any, lo: float, hi: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise CueError(f"{name}: {value!r} is not a number") from None
    if not (lo <= number <= hi) or number != number:
        raise CueError(f"{name}: {number:g} is outside {lo:g}..{hi:g}")
    return number


class _Cue:
    """Shared JSON round-trip for the frozen cue dataclasses."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            out[f.name] = value.value if isinstance(value, Enum) else value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]):
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        unknown = set(data) - known
        if unknown:
            raise CueError(f"{cls.__name__}: unknown field(s) {', '.join(sorted(unknown))}")
        return cls(**dict(data))

    def with_(self, **changes: Any):
        return replace(self, **changes)  # type: ignore[type-var]


@dataclass(frozen=True)
class CameraCue(_Cue):
    move: CameraMove = CameraMove.STATIC
    direction: Direction = Direction.NONE
    amount: float = 0.5
    easing: Easing = Easing.EASE_IN_OUT
    lens_mm: float = 35.0
    shot_size: ShotSize = ShotSize.MS
    angle: Angle = Angle.EYE

    def __post_init__(self) -> None:
        move = CameraMove.parse(self.move, "camera move")
        direction = Direction.parse(self.direction, "camera direction")
        pair = CAMERA_MOVES[move].pair
        if direction not in MOVE_DIRECTIONS[move] and pair and direction in MOVE_DIRECTIONS[CameraMove(pair)]:
            move = CameraMove(pair)  # 'dolly' + 'out' is a dolly out, 'zoom' + 'out' a zoom out
        allowed = MOVE_DIRECTIONS[move]
        if direction is Direction.NONE:
            direction = allowed[0]
        elif direction not in allowed:
            names = ", ".join(d.value for d in allowed if d.value) or "none"
            raise CueError(f"camera direction: a {move.value} moves {names}, not {direction.value}")
        object.__setattr__(self, "move", move)
        object.__setattr__(self, "direction", direction)
        object.__setattr__(self, "amount", _check_range("camera amount", self.amount, 0.0, 1.0))
        object.__setattr__(self, "easing", Easing.parse(self.easing, "camera easing"))
        object.__setattr__(self, "lens_mm", _check_range("lens (mm)", self.lens_mm, *LENS_MM_RANGE))
        object.__setattr__(self, "shot_size", ShotSize.parse(self.shot_size, "shot size"))
        object.__setattr__(self, "angle", Angle.parse(self.angle, "camera angle"))

    @property
    def sign(self) -> int:
        """+1 for right/up/in/cw, -1 for left/down/out/ccw: the renderer's convention."""
        return -1 if self.direction in (Direction.LEFT, Direction.DOWN, Direction.OUT, Direction.CCW) else 1

    def describe(self) -> str:
        """Short human text: 'slow dolly in, 50 mm, MS, low angle'."""
        speed = "slow " if self.amount < 0.34 else ("fast " if self.amount > 0.75 else "")
        spec = CAMERA_MOVES[self.move]
        if self.move is CameraMove.STATIC:
            head = "static"
        elif spec.directed:
            head = f"{speed}{spec.label} {self.direction.value}"
        else:
            head = f"{speed}{spec.label}"
        return f"{head}, {self.lens_mm:g} mm, {self.shot_size.value}, {self.angle.value} angle"


@dataclass(frozen=True)
class MotionCue(_Cue):
    subject: str = ""
    action: str = ""
    intensity: float = 0.5
    screen_direction: ScreenDirection = ScreenDirection.NONE
    kind: MotionKind | None = None  # None: inferred from the action text

    def __post_init__(self) -> None:
        object.__setattr__(self, "subject", str(self.subject or "").strip())
        object.__setattr__(self, "action", str(self.action or "").strip())
        object.__setattr__(self, "intensity", _check_range("motion intensity", self.intensity, 0.0, 1.0))
        direction = ScreenDirection.parse(self.screen_direction, "screen direction")
        object.__setattr__(self, "screen_direction", direction)
        kind = MotionKind.infer(self.action, direction) if self.kind in (None, "") else \
            MotionKind.parse(self.kind, "motion kind")
        object.__setattr__(self, "kind", kind)

    @property
    def is_empty(self) -> bool:
        return not self.action and self.kind is MotionKind.NONE


@dataclass(frozen=True)
class AudioCue(_Cue):
    """One sound event of a shot. Offsets and durations are in frames of the project rate.

    `text` is the dialogue line (dialogue) or a free description; `preset` names a built-in
    synthesized sound (ambience 'rain', sfx 'door', music mood 'tense'); `file` is an imported
    sound (absolute in a request, project-relative in the document). duration 0 = natural length
    (the spoken line, the sound file) or the rest of the shot for beds (ambience, music).
    """
    kind: AudioKind = AudioKind.SFX
    text: str = ""
    preset: str = ""
    file: str = ""
    start: int = 0
    duration: int = 0
    gain_db: float = 0.0
    voice: str = ""      # espeak-ng voice for dialogue ('en-us+m3'); empty = the character's voice
    character: str = ""  # who speaks a dialogue line (a bible entry name)
    cue_id: str = ""     # stable id inside the shot, so edits and the timeline can address it

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", AudioKind.parse(self.kind, "audio cue kind"))
        for name in ("start", "duration"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                else:
                    raise CueError(f"audio cue {name}: {value!r} is not a whole number of frames")
            if value < 0:
                raise CueError(f"audio cue {name}: {value} frames is negative")
            object.__setattr__(self, name, value)
        object.__setattr__(self, "gain_db", _check_range("audio gain (dB)", self.gain_db, -60.0, 24.0))
        if self.kind is AudioKind.DIALOGUE and not (self.text.strip() or self.file):
            raise CueError("a dialogue cue needs a line of text or a sound file")
        if self.kind is not AudioKind.DIALOGUE and not (self.preset or self.file or self.text):
            raise CueError(f"a {self.kind.value} cue needs a preset, a sound file or a description")


__all__ = [
    "CueError", "CameraMove", "Direction", "Easing", "ShotSize", "Angle", "ScreenDirection", "MotionKind",
    "AudioKind", "CameraCue", "MotionCue", "AudioCue", "MoveSpec", "CAMERA_MOVES", "MOVE_SPAN", "MOVE_DIRECTIONS",
    "amount_text", "LENS_MM_RANGE",
]
