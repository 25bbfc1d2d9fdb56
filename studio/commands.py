"""Undoable edits. Every change a user makes to a document is one of these, run by `Document.execute`.

A command validates everything before it changes anything (raising `ValidationError`), returns the
`Change`s it made from `redo`/`undo`, and serializes to plain JSON only in `to_dict` (`command_from_dict`
reads it back) so the undo history lives in the project and `shotreel undo` works in a later run.
In memory a command holds model values (a `Shot`, a `CameraCue`), never their dicts.

Two kinds of command, and how to add one (consent, scene and bible edits of later waves go here):

* **Setting a value** — a shot's fields, one audio cue, one bible entry, a scene heading, project fields, a
  setting — is always `SetValue(target, value)`. A *target* names the thing (`ShotFields("a0", ("camera",))`)
  and knows how to `get` it from a project, `put` a validated value (returning the `Change`s), `encode` /
  `decode` the value as JSON and label the edit. SetValue does the rest once for all: before/after, undo,
  merging, serialization. A new kind of value edit is a new `Target` subclass with a unique `kind`
  (targets register themselves by it) plus, if callers like it, a one-line factory such as `SetCameraCue`.
  Edits store field-level values, not whole shots: undoing a title edit restores the title only, so it
  cannot clobber a take that was recorded (not an undo step) in the meantime.
* **Structural edits** (add / remove / move / split, take status, `Macro`) subclass `Command`: `redo`, `undo`,
  a `text`, and their state attributes in `_fields`; `_decoders` names how an attribute that holds a model
  value comes back from JSON. Subclasses register by class name.

The class name (`type`) is what the history stores: never rename a command class or a target `kind`; add
the old name to `_LEGACY` instead (the field-edit commands of schema 2, `SetShotFields` and friends, are read
there and become `SetValue`s, so histories saved by older versions still undo).

Merging: `Document.execute` offers each new command to the previous one (`merge_with`) while the user is
in one gesture (the UI ends a gesture when focus moves or a drag ends: `Document.end_gesture`). Two
`SetValue`s merge only when they set the same target and changed the same parts of it (the same fields of
a shot, and within a cue the same cue fields): typing a title is one undo step, while move, amount, lens
and size picked one after another are four. `merge_with` must replace attributes, not mutate them: the
document keeps a shallow copy to roll a merge back when the write fails.
"""
from __future__ import annotations

import copy
import dataclasses
import json
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Iterable, Mapping

from engine.cues import AudioCue, CameraCue, CueError, MotionCue

from .changes import Change, ChangeKind
from .model import BibleEntry, Project, Sequence, Shot, TakeStatus, ValidationError, _plain, new_id

__all__ = [
    "Change", "ChangeKind", "Command", "command_from_dict", "SetValue", "Target", "ShotFields", "AudioCueValue",
    "BibleEntryValue", "SceneHeading", "ProjectFields", "ProjectSetting",
    "SetShotFields", "SetCameraCue", "SetMotionCues", "SetAudioCue", "SetBibleEntry", "SetSequenceHeading",
    "SetTrim", "SetProjectSetting", "SetProjectFields",
    "AddShot", "RemoveShot", "MoveShot", "DuplicateShot", "SplitShot", "AddAudioCue", "RemoveAudioCue",
    "AddBibleEntry", "RemoveBibleEntry", "AddSequence", "RemoveSequence",
    "ChooseTake", "TrashTake", "RestoreTake", "Macro",
]

K = ChangeKind
_REGISTRY: dict[str, type["Command"]] = {}
_TARGETS: dict[str, type["Target"]] = {}

_FIELD_LABELS = {
    "title": "Title", "prompt": "Action", "dialogue": "Dialogue", "notes": "Notes", "duration": "Duration",
    "camera": "Camera", "motion": "Motion", "audio": "Sound", "continuity": "Continuity",
    "bible_refs": "References", "seed": "Seed", "backend": "Backend", "model": "Model",
    "selected_take": "Take", "trim_in": "Trim", "trim_out": "Trim", "board_image": "Board Image",
    "transition": "Transition", "prompt_override": "Prompt", "generation": "Generation",
    "loras": "LoRAs",
}


class Command:
    """Base of every undoable edit (see the module docstring for how to add one)."""
    _fields: ClassVar[tuple[str, ...]] = ()
    _decoders: ClassVar[Mapping[str, Callable[[Any], Any]]] = {}   # attribute -> JSON to model value

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _REGISTRY[cls.__name__] = cls

    @property
    def text(self) -> str:
        """The Edit menu label: 'Undo <text>'."""
        return type(self).__name__

    def redo(self, project: Project) -> list[Change]:
        raise NotImplementedError

    def undo(self, project: Project) -> list[Change]:
        raise NotImplementedError

    def merge_with(self, other: "Command") -> bool:
        """Absorb `other` (already applied right after self) into one undo step. False: keep both."""
        return False

    def to_dict(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "text": self.text,
                **{name: _plain(getattr(self, name)) for name in self._fields}}

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> "Command":
        obj = cls.__new__(cls)
        for name in cls._fields:
            value = copy.deepcopy(data.get(name))
            decode = cls._decoders.get(name)
            setattr(obj, name, decode(value) if decode is not None and value is not None else value)
        return obj

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{n}={getattr(self, n)!r}' for n in self._fields[:2])})"


def command_from_dict(data: Mapping[str, Any]) -> Command:
    kind = str(data.get("type"))
    legacy = _LEGACY.get(kind)
    if legacy is not None:
        return legacy(data)
    cls = _REGISTRY.get(kind)
    if cls is None:
        raise ValidationError(f"unknown command {kind!r} in the history")
    return cls._from_dict(data)


# ---- helpers ------------------------------------------------------------------------------------

def _json_value(value: Any, what: str) -> Any:
    plain = _plain(value)
    try:
        return json.loads(json.dumps(plain))
    except (TypeError, ValueError):
        raise ValidationError(f"{what}: {value!r} cannot be saved (not plain data)") from None


def _check_shot(project: Project, shot: Shot, changed: Iterable[str]) -> None:
    """Rules that need the whole project: references exist, the take belongs to the shot, trims fit."""
    changed = set(changed)
    if "bible_refs" in changed:
        known = {b.id for b in project.bible}
        for ref in shot.bible_refs:
            if ref not in known:
                raise ValidationError(f"no bible entry with id {ref}")
        if len(set(shot.bible_refs)) != len(shot.bible_refs):
            raise ValidationError("a bible entry is referenced twice")
    if "selected_take" in changed and shot.selected_take:
        take = project.takes.get(shot.selected_take)
        if take is None or take.shot_id != shot.id:
            raise ValidationError(f"take {shot.selected_take} is not a take of this shot")
        if take.status is not TakeStatus.READY:
            raise ValidationError(f"take {shot.selected_take} is in the trash: restore it first")
    if changed & {"trim_in", "trim_out", "selected_take"}:
        frames = _take_frames(project, shot)
        if shot.trim_in >= frames or shot.trim_out > frames:
            raise ValidationError(f"trim {shot.trim_in}..{shot.trim_out or frames} is outside the take's "
                                  f"{frames} frames")


def _take_frames(project: Project, shot: Shot) -> int:
    take = project.takes.get(shot.selected_take) if shot.selected_take else None
    return take.frames if take is not None and take.frames else shot.duration


def _shot_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Shot field values as the model holds them (cues parsed, enums, tuples): a probe shot parses them."""
    try:
        probe = Shot("probe", **dict(values))
    except CueError as exc:
        raise ValidationError(str(exc)) from None
    except TypeError as exc:
        raise ValidationError(f"a shot has no such field: {exc}") from None
    return {name: getattr(probe, name) for name in values}


def _put_shot(project: Project, shot_id: str, values: Mapping[str, Any], *, check: bool = True) -> list[Change]:
    """Replace fields of a shot in place (validated first: nothing changes on a refusal)."""
    seq, index, old = project.find_shot(shot_id)
    try:
        new = old.with_(**values)
    except CueError as exc:
        raise ValidationError(str(exc)) from None
    if check:
        _check_shot(project, new, values)
    seq.shots[index] = new
    return [Change(K.SHOT_CHANGED, (shot_id,))]


def _fields_of(shot: Shot, names: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(shot, name) for name in names}


def _audio_label(kind: Any) -> str:
    return {"dialogue": "Dialogue", "sfx": "Sound Effect", "ambience": "Ambience", "music": "Music"}.get(
        str(getattr(kind, "value", kind)), "Sound")


def _changed_parts(before: Any, after: Any) -> frozenset:
    """Which parts an edit changed, for merging: fields of a dict of values, and one level into a cue or
    entry (a dataclass), so ('camera', 'lens_mm') differs from ('camera', 'move')."""
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        parts: set = set()
        for key in set(before) | set(after):
            old, new = before.get(key), after.get(key)
            if old != new:
                inner = _changed_parts(old, new)
                parts.update((key, p) for p in inner) if inner else parts.add(key)
        return frozenset(parts)
    if dataclasses.is_dataclass(before) and type(before) is type(after):
        return frozenset(f.name for f in dataclasses.fields(before)
                         if getattr(before, f.name) != getattr(after, f.name))
    return frozenset()


# ---- value edits: targets + SetValue ------------------------------------------------------------

_MISSING_JSON = {"__missing__": True}


class _Missing:
    """A setting that was not set before (undo removes the key)."""
    def __repr__(self) -> str:
        return "MISSING"

    def __deepcopy__(self, memo: dict) -> "_Missing":
        return self  # one sentinel: `is MISSING` must survive copies


MISSING = _Missing()


@dataclass(frozen=True)
class Target:
    """What a `SetValue` edits. Subclasses are frozen dataclasses of plain ids (that is their JSON)."""
    kind: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            if cls.kind in _TARGETS:
                raise TypeError(f"two targets of kind {cls.kind!r}")
            _TARGETS[cls.kind] = cls

    def get(self, project: Project) -> Any:
        raise NotImplementedError

    def put(self, project: Project, value: Any) -> list[Change]:
        """Validate `value` against the project and set it; nothing changes when it raises."""
        raise NotImplementedError

    def check(self, value: Any) -> Any:
        """The value as the model holds it (raises ValidationError for one that cannot be), at construction."""
        return value

    def label(self, value: Any) -> str:
        raise NotImplementedError

    def encode(self, value: Any) -> Any:
        return _plain(value)

    def decode(self, data: Any) -> Any:
        return self.check(data)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **{f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}}


def target_from_dict(data: Mapping[str, Any]) -> Target:
    cls = _TARGETS.get(str(data.get("kind")))
    if cls is None:
        raise ValidationError(f"unknown edit target {data.get('kind')!r} in the history")
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names})


@dataclass(frozen=True)
class ShotFields(Target):
    """Some fields of one shot; the value is {field: value}."""
    kind: ClassVar[str] = "shot_fields"
    shot_id: str
    names: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", tuple(sorted(self.names)))  # one target per set of fields
        if not self.names:
            raise ValidationError("nothing to change")
        unknown = set(self.names) - set(_FIELD_LABELS)
        if unknown:
            raise ValidationError(f"a shot has no editable field {', '.join(sorted(unknown))}")

    def get(self, project: Project) -> dict[str, Any]:
        return _fields_of(project.shot(self.shot_id), self.names)

    def put(self, project: Project, value: Mapping[str, Any]) -> list[Change]:
        return _put_shot(project, self.shot_id, value)

    def check(self, value: Mapping[str, Any]) -> dict[str, Any]:
        if set(value) != set(self.names):
            raise ValidationError(f"values for {', '.join(sorted(value))} do not match {', '.join(self.names)}")
        return _shot_values(value)

    def label(self, value: Any) -> str:
        names = set(self.names)
        if names == {"camera"}:
            return "Change Camera"
        if names == {"motion"}:
            return "Change Motion"
        if names <= {"trim_in", "trim_out"}:
            return "Trim Shot"
        labels = sorted({_FIELD_LABELS[k] for k in names})
        return f"Edit {labels[0]}" if len(labels) == 1 else "Edit Shot"


@dataclass(frozen=True)
class AudioCueValue(Target):
    """One audio cue of a shot, by cue id; the value is the whole `AudioCue`."""
    kind: ClassVar[str] = "audio_cue"
    shot_id: str
    cue_id: str

    def get(self, project: Project) -> AudioCue:
        return project.shot(self.shot_id).audio_cue(self.cue_id)

    def put(self, project: Project, value: AudioCue) -> list[Change]:
        shot = project.shot(self.shot_id)
        shot.audio_cue(self.cue_id)  # it exists
        return _put_shot(project, self.shot_id, {"audio": tuple(value if a.cue_id == self.cue_id else a
                                                                for a in shot.audio)}, check=False)

    def check(self, value: Any) -> AudioCue:
        try:
            cue = value if isinstance(value, AudioCue) else AudioCue.from_dict(value)
        except (CueError, TypeError) as exc:
            raise ValidationError(f"audio cue: {exc}") from None
        if cue.cue_id != self.cue_id:
            raise ValidationError(f"sound {cue.cue_id or '(no id)'} is not sound {self.cue_id}")
        return cue

    def label(self, value: AudioCue) -> str:
        return f"Edit {_audio_label(value.kind)}"


@dataclass(frozen=True)
class BibleEntryValue(Target):
    """One bible entry, by id; the value is the whole `BibleEntry` (its name stays unique per kind)."""
    kind: ClassVar[str] = "bible_entry"
    entry_id: str

    def get(self, project: Project) -> BibleEntry:
        return project.bible_entry(self.entry_id)

    def put(self, project: Project, value: BibleEntry) -> list[Change]:
        old = project.bible_entry(self.entry_id)
        same = project.bible_by_name(value.name, value.kind)
        if same is not None and same.id != value.id:
            raise ValidationError(f"there is already a {value.kind.value} named {same.name}")
        project.bible[project.bible.index(old)] = value
        return [Change(K.BIBLE, (self.entry_id,))]

    def check(self, value: Any) -> BibleEntry:
        entry = value if isinstance(value, BibleEntry) else BibleEntry.from_dict(value)
        if entry.id != self.entry_id:
            raise ValidationError(f"bible entry {entry.id} is not entry {self.entry_id}")
        return entry

    def label(self, value: BibleEntry) -> str:
        return f"Edit {value.kind.value.title()}"


@dataclass(frozen=True)
class SceneHeading(Target):
    kind: ClassVar[str] = "scene_heading"
    seq_id: str

    def get(self, project: Project) -> str:
        return project.sequence(self.seq_id).heading

    def put(self, project: Project, value: str) -> list[Change]:
        project.sequence(self.seq_id).heading = value
        return [Change(K.SEQUENCE, (self.seq_id,))]

    def check(self, value: Any) -> str:
        return Sequence(self.seq_id, value).heading  # the model's own text rules

    def label(self, value: str) -> str:
        return "Rename Scene"


_PROJECT_FIELDS = ("name", "fps", "width", "height", "default_backend")


@dataclass(frozen=True)
class ProjectFields(Target):
    """Project fields (name, rate, size, default backend); the value is {field: value}, checked together."""
    kind: ClassVar[str] = "project_fields"
    names: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", tuple(sorted(self.names)))
        if not self.names or set(self.names) - set(_PROJECT_FIELDS):
            raise ValidationError(f"project fields are {', '.join(_PROJECT_FIELDS)}")

    def get(self, project: Project) -> dict[str, Any]:
        return {name: getattr(project, name) for name in self.names}

    def put(self, project: Project, value: Mapping[str, Any]) -> list[Change]:
        current = {name: getattr(project, name) for name in _PROJECT_FIELDS}
        checked = Project(**{**current, **value})  # validates every value together (even size, fps range)
        for name in value:
            setattr(project, name, getattr(checked, name))
        return [Change(K.PROJECT)]

    def check(self, value: Mapping[str, Any]) -> dict[str, Any]:
        if set(value) != set(self.names):
            raise ValidationError(f"values for {', '.join(sorted(value))} do not match {', '.join(self.names)}")
        probe = Project(**{"name": "probe", **value})
        return {name: getattr(probe, name) for name in value}

    def label(self, value: Any) -> str:
        return "Change Project Settings"


@dataclass(frozen=True)
class ProjectSetting(Target):
    """One settings key; the value is plain JSON (MISSING: the key is absent)."""
    kind: ClassVar[str] = "setting"
    key: str

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not self.key.strip():
            raise ValidationError("a setting needs a name")

    def get(self, project: Project) -> Any:
        return copy.deepcopy(project.settings.get(self.key, MISSING))

    def put(self, project: Project, value: Any) -> list[Change]:
        if value is MISSING:
            project.settings.pop(self.key, None)
        else:
            project.settings[self.key] = copy.deepcopy(value)
        return [Change(K.PROJECT)]

    def check(self, value: Any) -> Any:
        if value is MISSING or value == _MISSING_JSON:
            return MISSING
        return _json_value(value, f"setting {self.key}")

    def encode(self, value: Any) -> Any:
        return dict(_MISSING_JSON) if value is MISSING else copy.deepcopy(value)

    def label(self, value: Any) -> str:
        return "Change Setting"


_NOT_RUN = object()


class SetValue(Command):
    """Set a target to a value; undo puts the value it had back. See the module docstring."""

    def __init__(self, target: Target, value: Any):
        self.target = target
        self.value = target.check(value)
        self.before: Any = _NOT_RUN
        self._parts: frozenset | None = None   # what the first redo changed: the merge key with the target

    @property
    def text(self) -> str:
        return self.target.label(self.value)

    def redo(self, project: Project) -> list[Change]:
        before = self.target.get(project)
        changes = self.target.put(project, self.value)
        self.before = before
        self.value = self.target.get(project)   # what the model made of it: disk equals memory
        if self._parts is None:
            self._parts = _changed_parts(before, self.value)
        return changes

    def undo(self, project: Project) -> list[Change]:
        return self.target.put(project, self.before)

    def merge_with(self, other: Command) -> bool:
        # a repeat that changed nothing (the same value committed twice) joins any step on its target
        if type(other) is not SetValue or other.target != self.target or other._parts not in (self._parts,
                                                                                               frozenset()):
            return False
        self.value = other.value
        return True

    def to_dict(self) -> dict[str, Any]:
        data = {"type": "SetValue", "text": self.text, "target": self.target.to_dict(),
                "value": self.target.encode(self.value)}
        if self.before is not _NOT_RUN:
            data["before"] = self.target.encode(self.before)
        return data

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> "SetValue":
        return cls._restore(target_from_dict(data["target"]), data["value"], data.get("before", _NOT_RUN))

    @classmethod
    def _restore(cls, target: Target, value: Any, before: Any = _NOT_RUN) -> "SetValue":
        obj = cls.__new__(cls)
        obj.target, obj.value, obj._parts = target, target.decode(value), None
        obj.before = _NOT_RUN if before is _NOT_RUN else target.decode(before)
        return obj

    def __repr__(self) -> str:
        return f"SetValue({self.target!r}, {self.value!r})"


# Factories with the names callers know (and the old history stores). Each is one SetValue.

def SetShotFields(shot_id: str, **fields: Any) -> SetValue:  # noqa: N802 (a command's name)
    """Set any Shot field(s)."""
    return SetValue(ShotFields(shot_id, tuple(fields)), fields)


def SetCameraCue(shot_id: str, cue: CameraCue) -> SetValue:  # noqa: N802
    return SetValue(ShotFields(shot_id, ("camera",)), {"camera": cue})


def SetMotionCues(shot_id: str, cues: Iterable[MotionCue]) -> SetValue:  # noqa: N802
    return SetValue(ShotFields(shot_id, ("motion",)), {"motion": tuple(cues)})


def SetTrim(shot_id: str, trim_in: int, trim_out: int) -> SetValue:  # noqa: N802
    """Trim the selected take (frames into it; out 0 = to the end), checked against its frame count."""
    return SetValue(ShotFields(shot_id, ("trim_in", "trim_out")), {"trim_in": trim_in, "trim_out": trim_out})


def SetAudioCue(shot_id: str, cue: AudioCue) -> SetValue:  # noqa: N802
    """Replace the shot's audio cue that has `cue.cue_id`."""
    if not cue.cue_id:
        raise ValidationError("which sound? the cue has no id")
    return SetValue(AudioCueValue(shot_id, cue.cue_id), cue)


def SetBibleEntry(entry: BibleEntry) -> SetValue:  # noqa: N802
    """Replace the entry with the same id."""
    return SetValue(BibleEntryValue(entry.id), entry)


def SetSequenceHeading(seq_id: str, heading: str) -> SetValue:  # noqa: N802
    return SetValue(SceneHeading(seq_id), heading)


def SetProjectSetting(key: str, value: Any) -> SetValue:  # noqa: N802
    return SetValue(ProjectSetting(key), value)


def SetProjectFields(**fields: Any) -> SetValue:  # noqa: N802
    return SetValue(ProjectFields(tuple(fields)), fields)


def _ran(data: Mapping[str, Any]) -> Any:
    """An old command's `before` (None there meant: never run)."""
    before = data.get("before")
    return _NOT_RUN if before is None else before


def _legacy_shot_fields(data: Mapping[str, Any]) -> SetValue:
    after = dict(data["after"])
    return SetValue._restore(ShotFields(data["shot_id"], tuple(after)), after, _ran(data))


# The schema-2 field-edit commands, each with its own JSON shape: read into SetValue.
_LEGACY: dict[str, Callable[[Mapping[str, Any]], Command]] = {
    "SetShotFields": _legacy_shot_fields,
    "SetCameraCue": _legacy_shot_fields,
    "SetMotionCues": _legacy_shot_fields,
    "SetTrim": lambda d: SetValue._restore(ShotFields(d["shot_id"], ("trim_in", "trim_out")),
                                           {"trim_in": d["trim_in"], "trim_out": d["trim_out"]}, _ran(d)),
    "SetAudioCue": lambda d: SetValue._restore(AudioCueValue(d["shot_id"], d["cue"]["cue_id"]), d["cue"], _ran(d)),
    "SetBibleEntry": lambda d: SetValue._restore(BibleEntryValue(d["entry"]["id"]), d["entry"], _ran(d)),
    "SetSequenceHeading": lambda d: SetValue._restore(SceneHeading(d["seq_id"]), d["heading"], _ran(d)),
    "SetProjectSetting": lambda d: SetValue._restore(ProjectSetting(d["key"]), d["value"], _ran(d)),
    "SetProjectFields": lambda d: SetValue._restore(ProjectFields(tuple(d["after"])), d["after"], _ran(d)),
}


# ---- shots ---------------------------------------------------------------------------------------

class AddShot(Command):
    _fields = ("seq_id", "shot", "index")
    _decoders = {"shot": Shot.from_dict}

    def __init__(self, seq_id: str, shot: Shot, index: int | None = None):
        self.seq_id, self.shot, self.index = seq_id, shot, index

    @property
    def text(self) -> str:
        return "Add Shot"

    def redo(self, project: Project) -> list[Change]:
        seq = project.sequence(self.seq_id)
        shot = self.shot
        if any(s.id == shot.id for _, s in project.shots()):
            raise ValidationError(f"a shot with id {shot.id} already exists")
        index = len(seq.shots) if self.index is None else self.index
        if not 0 <= index <= len(seq.shots):
            raise ValidationError(f"position {index + 1} is outside the scene (1..{len(seq.shots) + 1})")
        _check_shot(project, shot, ("bible_refs", "selected_take"))
        seq.shots.insert(index, shot)
        self.index = index
        return [Change(K.SHOT_ADDED, (shot.id,))]

    def undo(self, project: Project) -> list[Change]:
        seq = project.sequence(self.seq_id)
        seq.shots.pop(seq.index_of(self.shot.id))
        return [Change(K.SHOT_REMOVED, (self.shot.id,))]


class RemoveShot(Command):
    _fields = ("shot_id", "seq_id", "index", "shot")
    _decoders = {"shot": Shot.from_dict}

    def __init__(self, shot_id: str):
        self.shot_id, self.seq_id, self.index, self.shot = shot_id, None, None, None

    @property
    def text(self) -> str:
        return "Remove Shot"

    def redo(self, project: Project) -> list[Change]:
        seq, index, shot = project.find_shot(self.shot_id)
        self.seq_id, self.index, self.shot = seq.id, index, shot
        seq.shots.pop(index)
        return [Change(K.SHOT_REMOVED, (self.shot_id,))]

    def undo(self, project: Project) -> list[Change]:
        seq = project.sequence(self.seq_id)
        seq.shots.insert(min(self.index, len(seq.shots)), self.shot)
        return [Change(K.SHOT_ADDED, (self.shot_id,))]


class MoveShot(Command):
    """Move a shot to `index` of scene `seq_id` (the index it has once moved)."""
    _fields = ("shot_id", "seq_id", "index", "from_seq", "from_index")

    def __init__(self, shot_id: str, seq_id: str, index: int):
        self.shot_id, self.seq_id, self.index = shot_id, seq_id, index
        self.from_seq, self.from_index = None, None

    @property
    def text(self) -> str:
        return "Move Shot"

    @staticmethod
    def _move(project: Project, shot_id: str, seq_id: str, index: int) -> tuple[str, int]:
        src, at, shot = project.find_shot(shot_id)
        dest = project.sequence(seq_id)
        limit = len(dest.shots) - (1 if dest is src else 0)
        if not isinstance(index, int) or not 0 <= index <= limit:
            raise ValidationError(f"position {index + 1 if isinstance(index, int) else index} is outside "
                                  f"the scene (1..{limit + 1})")
        src.shots.pop(at)
        dest.shots.insert(index, shot)
        return src.id, at

    def redo(self, project: Project) -> list[Change]:
        self.from_seq, self.from_index = self._move(project, self.shot_id, self.seq_id, self.index)
        return [Change(K.SHOTS_MOVED, (self.shot_id,))]

    def undo(self, project: Project) -> list[Change]:
        self._move(project, self.shot_id, self.from_seq, self.from_index)
        return [Change(K.SHOTS_MOVED, (self.shot_id,))]


class DuplicateShot(Command):
    """A copy right after the original: same cues and settings, a new id, no take selected."""
    _fields = ("shot_id", "new_id", "seq_id")

    def __init__(self, shot_id: str, new_shot_id: str | None = None):
        self.shot_id, self.new_id, self.seq_id = shot_id, new_shot_id or new_id("sh"), None

    @property
    def text(self) -> str:
        return "Duplicate Shot"

    def redo(self, project: Project) -> list[Change]:
        seq, index, shot = project.find_shot(self.shot_id)
        if any(s.id == self.new_id for _, s in project.shots()):
            raise ValidationError(f"a shot with id {self.new_id} already exists")
        title = f"{shot.title} (copy)" if shot.title else ""
        copy_ = shot.with_(id=self.new_id, title=title[:200], selected_take="", trim_in=0, trim_out=0)
        seq.shots.insert(index + 1, copy_)
        self.seq_id = seq.id
        return [Change(K.SHOT_ADDED, (self.new_id,))]

    def undo(self, project: Project) -> list[Change]:
        seq = project.sequence(self.seq_id)
        seq.shots.pop(seq.index_of(self.new_id))
        return [Change(K.SHOT_REMOVED, (self.new_id,))]


class SplitShot(Command):
    """Cut a shot in two at `at_frame`: durations sum to the original, sounds go where they start,
    a selected take is shared with trims so the cut plays the same frames."""
    _fields = ("shot_id", "at_frame", "new_id", "before")
    _decoders = {"before": _shot_values}

    def __init__(self, shot_id: str, at_frame: int, new_shot_id: str | None = None):
        self.shot_id, self.at_frame, self.new_id, self.before = shot_id, at_frame, new_shot_id or new_id("sh"), None

    @property
    def text(self) -> str:
        return "Split Shot"

    def redo(self, project: Project) -> list[Change]:
        seq, index, shot = project.find_shot(self.shot_id)
        at = self.at_frame
        if isinstance(at, bool) or not isinstance(at, int) or not 1 <= at < shot.duration:
            raise ValidationError(f"split point: frame {at} is not inside the shot (1..{shot.duration - 1})")
        if any(s.id == self.new_id for _, s in project.shots()):
            raise ValidationError(f"a shot with id {self.new_id} already exists")
        first_audio = tuple(a for a in shot.audio if a.start < at)
        second_audio = tuple(a.with_(start=a.start - at) for a in shot.audio if a.start >= at)
        first_values: dict[str, Any] = {"duration": at, "audio": first_audio}
        second_values: dict[str, Any] = {"id": self.new_id, "duration": shot.duration - at, "audio": second_audio,
                                         "continuity": "previous", "title": f"{shot.title} (2)"[:200] if shot.title
                                         else ""}
        if shot.selected_take:
            first_values["trim_out"] = shot.trim_in + at
            second_values["trim_in"] = shot.trim_in + at
        first = shot.with_(**first_values)
        second = shot.with_(**second_values)
        self.before = _fields_of(shot, first_values)
        seq.shots[index] = first
        seq.shots.insert(index + 1, second)
        return [Change(K.SHOT_CHANGED, (shot.id,)), Change(K.SHOT_ADDED, (self.new_id,))]

    def undo(self, project: Project) -> list[Change]:
        seq, index, shot = project.find_shot(self.shot_id)
        restored = shot.with_(**self.before)
        seq.shots.pop(seq.index_of(self.new_id))
        seq.shots[seq.index_of(self.shot_id)] = restored
        return [Change(K.SHOT_REMOVED, (self.new_id,)), Change(K.SHOT_CHANGED, (self.shot_id,))]


# ---- sounds --------------------------------------------------------------------------------------

def _audio_cue(data: Any) -> AudioCue:
    try:
        return AudioCue.from_dict(data)
    except (CueError, TypeError) as exc:
        raise ValidationError(f"audio cue: {exc}") from None


class AddAudioCue(Command):
    _fields = ("shot_id", "cue")
    _decoders = {"cue": _audio_cue}

    def __init__(self, shot_id: str, cue: AudioCue):
        if not cue.cue_id:
            cue = cue.with_(cue_id=new_id("au"))
        self.shot_id, self.cue = shot_id, cue

    @property
    def text(self) -> str:
        return f"Add {_audio_label(self.cue.kind)}"

    def redo(self, project: Project) -> list[Change]:
        shot = project.shot(self.shot_id)
        if any(a.cue_id == self.cue.cue_id for a in shot.audio):
            raise ValidationError(f"the shot already has a sound with id {self.cue.cue_id}")
        return _put_shot(project, self.shot_id, {"audio": shot.audio + (self.cue,)}, check=False)

    def undo(self, project: Project) -> list[Change]:
        shot = project.shot(self.shot_id)
        return _put_shot(project, self.shot_id, {"audio": tuple(a for a in shot.audio if a.cue_id != self.cue.cue_id)},
                         check=False)


class RemoveAudioCue(Command):
    _fields = ("shot_id", "cue_id", "cue", "index")
    _decoders = {"cue": _audio_cue}

    def __init__(self, shot_id: str, cue_id: str):
        self.shot_id, self.cue_id, self.cue, self.index = shot_id, cue_id, None, None

    @property
    def text(self) -> str:
        return f"Remove {_audio_label(self.cue.kind if self.cue else '')}"

    def redo(self, project: Project) -> list[Change]:
        shot = project.shot(self.shot_id)
        cue = shot.audio_cue(self.cue_id)
        self.index, self.cue = shot.audio.index(cue), cue
        return _put_shot(project, self.shot_id, {"audio": tuple(a for a in shot.audio if a.cue_id != self.cue_id)},
                         check=False)

    def undo(self, project: Project) -> list[Change]:
        audio = list(project.shot(self.shot_id).audio)
        audio.insert(min(self.index, len(audio)), self.cue)
        return _put_shot(project, self.shot_id, {"audio": tuple(audio)}, check=False)


# ---- bible ---------------------------------------------------------------------------------------

def _refs_of(project: Project) -> dict[str, tuple[str, ...]]:
    return {s.id: s.bible_refs for _, s in project.shots()}


class AddBibleEntry(Command):
    _fields = ("entry", "index")
    _decoders = {"entry": BibleEntry.from_dict}

    def __init__(self, entry: BibleEntry, index: int | None = None):
        self.entry, self.index = entry, index

    @property
    def text(self) -> str:
        return f"Add {self.entry.kind.value.title()}"

    def redo(self, project: Project) -> list[Change]:
        entry = self.entry
        if any(b.id == entry.id for b in project.bible):
            raise ValidationError(f"a bible entry with id {entry.id} already exists")
        same = project.bible_by_name(entry.name, entry.kind)
        if same is not None:
            raise ValidationError(f"there is already a {entry.kind.value} named {same.name}")
        index = len(project.bible) if self.index is None else self.index
        if not 0 <= index <= len(project.bible):
            raise ValidationError(f"bible position {index} is out of range")
        project.bible.insert(index, entry)
        self.index = index
        return [Change(K.BIBLE, (entry.id,))]

    def undo(self, project: Project) -> list[Change]:
        project.bible = [b for b in project.bible if b.id != self.entry.id]
        return [Change(K.BIBLE, (self.entry.id,))]


class RemoveBibleEntry(Command):
    """Remove an entry and every shot's reference to it; undo puts both back where they were."""
    _fields = ("entry_id", "entry", "index", "refs")
    _decoders = {"entry": BibleEntry.from_dict}

    def __init__(self, entry_id: str):
        self.entry_id, self.entry, self.index, self.refs = entry_id, None, None, None

    @property
    def text(self) -> str:
        return "Remove from Bible"

    def redo(self, project: Project) -> list[Change]:
        entry = project.bible_entry(self.entry_id)
        self.index = project.bible.index(entry)
        self.entry = entry
        self.refs = {sid: refs.index(self.entry_id) for sid, refs in _refs_of(project).items() if self.entry_id in refs}
        project.bible.pop(self.index)
        for sid in self.refs:
            seq, i, shot = project.find_shot(sid)
            seq.shots[i] = shot.with_(bible_refs=tuple(r for r in shot.bible_refs if r != self.entry_id))
        return [Change(K.BIBLE, (self.entry_id,))] + ([Change(K.SHOT_CHANGED, tuple(self.refs))] if self.refs else [])

    def undo(self, project: Project) -> list[Change]:
        project.bible.insert(min(self.index, len(project.bible)), self.entry)
        for sid, at in self.refs.items():
            seq, i, shot = project.find_shot(sid)
            refs = list(shot.bible_refs)
            refs.insert(min(at, len(refs)), self.entry_id)
            seq.shots[i] = shot.with_(bible_refs=tuple(refs))
        return [Change(K.BIBLE, (self.entry_id,))] + ([Change(K.SHOT_CHANGED, tuple(self.refs))] if self.refs else [])


# ---- scenes --------------------------------------------------------------------------------------

class AddSequence(Command):
    _fields = ("seq_id", "heading", "index")

    def __init__(self, seq_id: str | None = None, heading: str = "", index: int | None = None):
        self.seq_id, self.heading, self.index = seq_id or new_id("sq"), heading, index

    @property
    def text(self) -> str:
        return "Add Scene"

    def redo(self, project: Project) -> list[Change]:
        if any(s.id == self.seq_id for s in project.sequences):
            raise ValidationError(f"a scene with id {self.seq_id} already exists")
        seq = Sequence(self.seq_id, self.heading)
        index = len(project.sequences) if self.index is None else self.index
        if not 0 <= index <= len(project.sequences):
            raise ValidationError(f"scene position {index + 1} is out of range")
        project.sequences.insert(index, seq)
        self.index = index
        return [Change(K.SEQUENCE, (self.seq_id,))]

    def undo(self, project: Project) -> list[Change]:
        project.sequences.remove(project.sequence(self.seq_id))
        return [Change(K.SEQUENCE, (self.seq_id,))]


class RemoveSequence(Command):
    """Remove a scene with its shots (a project keeps at least one scene). A Sequence is mutable, so the
    command keeps its JSON (a snapshot), not the object that later edits would change."""
    _fields = ("seq_id", "sequence", "index")

    def __init__(self, seq_id: str):
        self.seq_id, self.sequence, self.index = seq_id, None, None

    @property
    def text(self) -> str:
        return "Remove Scene"

    def redo(self, project: Project) -> list[Change]:
        seq = project.sequence(self.seq_id)
        if len(project.sequences) == 1:
            raise ValidationError("a project keeps at least one scene")
        self.index = project.sequences.index(seq)
        self.sequence = seq.to_dict()
        project.sequences.pop(self.index)
        shot_ids = tuple(s.id for s in seq.shots)
        return [Change(K.SEQUENCE, (self.seq_id,))] + ([Change(K.SHOT_REMOVED, shot_ids)] if shot_ids else [])

    def undo(self, project: Project) -> list[Change]:
        seq = Sequence.from_dict(self.sequence)
        project.sequences.insert(min(self.index, len(project.sequences)), seq)
        shot_ids = tuple(s.id for s in seq.shots)
        return [Change(K.SEQUENCE, (self.seq_id,))] + ([Change(K.SHOT_ADDED, shot_ids)] if shot_ids else [])


# ---- takes ---------------------------------------------------------------------------------------

class ChooseTake(Command):
    """Make a take the selected take of its shot. Trims stay when they fit the new take."""
    _fields = ("take_id", "shot_id", "before")

    def __init__(self, take_id: str):
        self.take_id, self.shot_id, self.before = take_id, None, None

    @property
    def text(self) -> str:
        return "Choose Take"

    def redo(self, project: Project) -> list[Change]:
        take = project.take(self.take_id)
        if take.status is not TakeStatus.READY:
            raise ValidationError("this take is in the trash: restore it first")
        seq, index, shot = project.find_shot(take.shot_id)
        values: dict[str, Any] = {"selected_take": take.id}
        frames = take.frames or shot.duration
        if shot.trim_in >= frames or shot.trim_out > frames:
            values.update(trim_in=0, trim_out=0)
        self.shot_id = shot.id
        self.before = _fields_of(shot, ("selected_take", "trim_in", "trim_out"))
        seq.shots[index] = shot.with_(**values)
        return [Change(K.SHOT_CHANGED, (shot.id,))]

    def undo(self, project: Project) -> list[Change]:
        return _put_shot(project, self.shot_id, self.before, check=False)


class TrashTake(Command):
    """Move a take to the trash (files stay until the trash is emptied); the selected take is unselected."""
    _fields = ("take_id", "before")

    def __init__(self, take_id: str):
        self.take_id, self.before = take_id, None

    @property
    def text(self) -> str:
        return "Trash Take"

    def redo(self, project: Project) -> list[Change]:
        take = project.take(self.take_id)
        if take.status is TakeStatus.TRASHED:
            raise ValidationError("this take is already in the trash")
        changes = [Change(K.TAKE_CHANGED, (take.id,))]
        self.before = None
        try:
            seq, index, shot = project.find_shot(take.shot_id)
        except ValidationError:  # the shot was removed; its takes remain for undo and lineage
            shot = None
        if shot is not None and shot.selected_take == take.id:
            self.before = _fields_of(shot, ("selected_take", "trim_in", "trim_out"))
            seq.shots[index] = shot.with_(selected_take="", trim_in=0, trim_out=0)
            changes.append(Change(K.SHOT_CHANGED, (shot.id,)))
        project.takes[take.id] = take.with_(status=TakeStatus.TRASHED)
        return changes

    def undo(self, project: Project) -> list[Change]:
        take = project.take(self.take_id)
        changes = [Change(K.TAKE_CHANGED, (take.id,))]
        if self.before is not None:
            changes += _put_shot(project, take.shot_id, self.before, check=False)
        project.takes[take.id] = take.with_(status=TakeStatus.READY)
        return changes


class RestoreTake(Command):
    _fields = ("take_id",)

    def __init__(self, take_id: str):
        self.take_id = take_id

    @property
    def text(self) -> str:
        return "Restore Take"

    def _set(self, project: Project, status: TakeStatus, must_be: TakeStatus) -> list[Change]:
        take = project.take(self.take_id)
        if take.status is not must_be:
            raise ValidationError("this take is not in the trash" if must_be is TakeStatus.TRASHED
                                  else "this take is not available")
        project.takes[take.id] = take.with_(status=status)
        return [Change(K.TAKE_CHANGED, (take.id,))]

    def redo(self, project: Project) -> list[Change]:
        return self._set(project, TakeStatus.READY, TakeStatus.TRASHED)

    def undo(self, project: Project) -> list[Change]:
        return self._set(project, TakeStatus.TRASHED, TakeStatus.READY)


# ---- grouping ------------------------------------------------------------------------------------

class Macro(Command):
    """Several commands as one undo step (imports, remix 'insert blend shot'). All or nothing."""
    _fields = ("label", "commands")

    def __init__(self, text: str, commands: Iterable[Command]):
        self.label = text
        self.commands = list(commands)

    @property
    def text(self) -> str:
        return self.label

    def redo(self, project: Project) -> list[Change]:
        changes: list[Change] = []
        done: list[Command] = []
        try:
            for command in self.commands:
                changes += command.redo(project)
                done.append(command)
        except BaseException:
            for command in reversed(done):
                command.undo(project)
            raise
        return changes

    def undo(self, project: Project) -> list[Change]:
        changes: list[Change] = []
        done: list[Command] = []
        try:
            for command in reversed(self.commands):
                changes += command.undo(project)
                done.append(command)
        except BaseException:
            for command in reversed(done):
                command.redo(project)
            raise
        return changes

    def to_dict(self) -> dict[str, Any]:
        return {"type": "Macro", "text": self.label, "label": self.label,
                "commands": [c.to_dict() for c in self.commands]}

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> "Macro":
        return cls(str(data.get("label") or data.get("text") or ""),
                   [command_from_dict(c) for c in data.get("commands") or ()])
