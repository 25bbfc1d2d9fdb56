"""Undoable edits. Every change a user makes to a document is one of these, run by `Document.execute`.

A command validates everything before it changes anything (raising `ValidationError`), returns the
`Change`s it made from `redo`/`undo`, and serializes to plain JSON (`to_dict` / `command_from_dict`)
so the undo history lives in the project and `shotreel undo` works in a later run.

Edits store field-level before/after values, not whole shots: undoing a title edit restores the
title only, so it cannot clobber a take that was recorded (not an undo step) in the meantime.
Command state is kept as plain JSON values (a shot as its dict), which is exactly what is persisted.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any, ClassVar, Iterable, Mapping

from engine.cues import AudioCue, CameraCue, CueError, MotionCue
from engine.jobs import fps_to_str

from .model import BibleEntry, Project, Sequence, Shot, TakeStatus, ValidationError, _plain, new_id

__all__ = [
    "Change", "Command", "command_from_dict", "AddShot", "RemoveShot", "MoveShot", "DuplicateShot", "SplitShot",
    "SetShotFields", "SetCameraCue", "SetMotionCues", "AddAudioCue", "SetAudioCue", "RemoveAudioCue",
    "AddBibleEntry", "SetBibleEntry", "RemoveBibleEntry", "AddSequence", "SetSequenceHeading", "RemoveSequence",
    "ChooseTake", "TrashTake", "RestoreTake", "SetTrim", "SetProjectSetting", "SetProjectFields", "Macro",
]


@dataclass(frozen=True)
class Change:
    """What changed, for views and for the store. kinds: project, sequence, shot_added, shot_removed,
    shot_changed, shots_moved, bible, take_recorded, take_changed, history, jobs."""
    kind: str
    ids: tuple[str, ...] = ()


_REGISTRY: dict[str, type["Command"]] = {}

_FIELD_LABELS = {
    "title": "Title", "prompt": "Action", "dialogue": "Dialogue", "notes": "Notes", "duration": "Duration",
    "camera": "Camera", "motion": "Motion", "audio": "Sound", "continuity": "Continuity",
    "bible_refs": "References", "seed": "Seed", "backend": "Backend", "model": "Model",
    "selected_take": "Take", "trim_in": "Trim", "trim_out": "Trim", "board_image": "Board Image",
    "transition": "Transition", "prompt_override": "Prompt", "generation": "Generation",
    "loras": "LoRAs",
}


class Command:
    """Base: subclasses keep their state in the attributes named by `_fields` (plain JSON values)."""
    _fields: ClassVar[tuple[str, ...]] = ()

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
                **{name: copy.deepcopy(getattr(self, name)) for name in self._fields}}

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> "Command":
        obj = cls.__new__(cls)
        for name in cls._fields:
            setattr(obj, name, copy.deepcopy(data.get(name)))
        return obj

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{n}={getattr(self, n)!r}' for n in self._fields[:2])})"


def command_from_dict(data: Mapping[str, Any]) -> Command:
    kind = data.get("type")
    cls = _REGISTRY.get(str(kind))
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


def _shot_fields(shot: Shot, names: Iterable[str]) -> dict[str, Any]:
    return {name: _plain(getattr(shot, name)) for name in names}


def _replace_shot(project: Project, shot_id: str, values: Mapping[str, Any]) -> tuple[Sequence, int, Shot]:
    """The edited copy of a shot, validated but not yet placed (callers place it once all checks pass)."""
    seq, index, old = project.find_shot(shot_id)
    try:
        new = old.with_(**values)
    except CueError as exc:
        raise ValidationError(str(exc)) from None
    return seq, index, new


# ---- shots ---------------------------------------------------------------------------------------

class AddShot(Command):
    _fields = ("seq_id", "shot", "index")

    def __init__(self, seq_id: str, shot: Shot, index: int | None = None):
        self.seq_id, self.shot, self.index = seq_id, _plain(shot), index

    @property
    def text(self) -> str:
        return "Add Shot"

    def redo(self, project: Project) -> list[Change]:
        seq = project.sequence(self.seq_id)
        shot = Shot.from_dict(self.shot)
        if any(s.id == shot.id for _, s in project.shots()):
            raise ValidationError(f"a shot with id {shot.id} already exists")
        index = len(seq.shots) if self.index is None else self.index
        if not 0 <= index <= len(seq.shots):
            raise ValidationError(f"position {index + 1} is outside the scene (1..{len(seq.shots) + 1})")
        _check_shot(project, shot, ("bible_refs", "selected_take"))
        seq.shots.insert(index, shot)
        self.index = index
        return [Change("shot_added", (shot.id,))]

    def undo(self, project: Project) -> list[Change]:
        seq = project.sequence(self.seq_id)
        seq.shots.pop(seq.index_of(self.shot["id"]))
        return [Change("shot_removed", (self.shot["id"],))]


class RemoveShot(Command):
    _fields = ("shot_id", "seq_id", "index", "shot")

    def __init__(self, shot_id: str):
        self.shot_id, self.seq_id, self.index, self.shot = shot_id, None, None, None

    @property
    def text(self) -> str:
        return "Remove Shot"

    def redo(self, project: Project) -> list[Change]:
        seq, index, shot = project.find_shot(self.shot_id)
        self.seq_id, self.index, self.shot = seq.id, index, shot.to_dict()
        seq.shots.pop(index)
        return [Change("shot_removed", (self.shot_id,))]

    def undo(self, project: Project) -> list[Change]:
        seq = project.sequence(self.seq_id)
        seq.shots.insert(min(self.index, len(seq.shots)), Shot.from_dict(self.shot))
        return [Change("shot_added", (self.shot_id,))]


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
        return [Change("shots_moved", (self.shot_id,))]

    def undo(self, project: Project) -> list[Change]:
        self._move(project, self.shot_id, self.from_seq, self.from_index)
        return [Change("shots_moved", (self.shot_id,))]


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
        return [Change("shot_added", (self.new_id,))]

    def undo(self, project: Project) -> list[Change]:
        seq = project.sequence(self.seq_id)
        seq.shots.pop(seq.index_of(self.new_id))
        return [Change("shot_removed", (self.new_id,))]


class SplitShot(Command):
    """Cut a shot in two at `at_frame`: durations sum to the original, sounds go where they start,
    a selected take is shared with trims so the cut plays the same frames."""
    _fields = ("shot_id", "at_frame", "new_id", "before")

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
        self.before = _shot_fields(shot, first_values)
        seq.shots[index] = first
        seq.shots.insert(index + 1, second)
        return [Change("shot_changed", (shot.id,)), Change("shot_added", (self.new_id,))]

    def undo(self, project: Project) -> list[Change]:
        seq, index, shot = project.find_shot(self.shot_id)
        restored = shot.with_(**self.before)
        seq.shots.pop(seq.index_of(self.new_id))
        seq.shots[seq.index_of(self.shot_id)] = restored
        return [Change("shot_removed", (self.new_id,)), Change("shot_changed", (self.shot_id,))]


class SetShotFields(Command):
    """Set any Shot field(s). Consecutive edits of the same fields of the same shot merge."""
    _fields = ("shot_id", "after", "before")

    def __init__(self, shot_id: str, **fields: Any):
        if not fields:
            raise ValidationError("nothing to change")
        unknown = set(fields) - set(_FIELD_LABELS)
        if unknown:
            raise ValidationError(f"a shot has no editable field {', '.join(sorted(unknown))}")
        self.shot_id = shot_id
        self.after = {k: _json_value(v, k) for k, v in fields.items()}
        self.before = None

    @property
    def text(self) -> str:
        labels = sorted({_FIELD_LABELS.get(k, k) for k in self.after})
        return f"Edit {labels[0]}" if len(labels) == 1 else "Edit Shot"

    def redo(self, project: Project) -> list[Change]:
        seq, index, new = _replace_shot(project, self.shot_id, self.after)
        _check_shot(project, new, self.after)
        self.before = _shot_fields(seq.shots[index], self.after)
        # store what the model made of the values (defaults filled, enums parsed): disk equals memory
        self.after = _shot_fields(new, self.after)
        seq.shots[index] = new
        return [Change("shot_changed", (self.shot_id,))]

    def undo(self, project: Project) -> list[Change]:
        seq, index, old = _replace_shot(project, self.shot_id, self.before)
        seq.shots[index] = old
        return [Change("shot_changed", (self.shot_id,))]

    def merge_with(self, other: Command) -> bool:
        if type(other) is not type(self) or other.shot_id != self.shot_id or set(other.after) != set(self.after):
            return False
        self.after = copy.deepcopy(other.after)
        return True


class SetCameraCue(SetShotFields):
    def __init__(self, shot_id: str, cue: CameraCue):
        super().__init__(shot_id, camera=cue)

    @property
    def text(self) -> str:
        return "Change Camera"


class SetMotionCues(SetShotFields):
    def __init__(self, shot_id: str, cues: Iterable[MotionCue]):
        super().__init__(shot_id, motion=tuple(cues))

    @property
    def text(self) -> str:
        return "Change Motion"


class AddAudioCue(Command):
    _fields = ("shot_id", "cue")

    def __init__(self, shot_id: str, cue: AudioCue):
        if not cue.cue_id:
            cue = cue.with_(cue_id=new_id("au"))
        self.shot_id, self.cue = shot_id, cue.to_dict()

    @property
    def text(self) -> str:
        return f"Add {_audio_label(self.cue)}"

    def redo(self, project: Project) -> list[Change]:
        shot = project.shot(self.shot_id)
        if any(a.cue_id == self.cue["cue_id"] for a in shot.audio):
            raise ValidationError(f"the shot already has a sound with id {self.cue['cue_id']}")
        seq, index, new = _replace_shot(project, self.shot_id, {"audio": shot.audio + (AudioCue.from_dict(self.cue),)})
        seq.shots[index] = new
        return [Change("shot_changed", (self.shot_id,))]

    def undo(self, project: Project) -> list[Change]:
        shot = project.shot(self.shot_id)
        audio = tuple(a for a in shot.audio if a.cue_id != self.cue["cue_id"])
        seq, index, new = _replace_shot(project, self.shot_id, {"audio": audio})
        seq.shots[index] = new
        return [Change("shot_changed", (self.shot_id,))]


def _audio_label(cue: Mapping[str, Any]) -> str:
    return {"dialogue": "Dialogue", "sfx": "Sound Effect", "ambience": "Ambience", "music": "Music"}.get(
        str(cue.get("kind")), "Sound")


class SetAudioCue(Command):
    """Replace the shot's audio cue that has `cue.cue_id`. Consecutive edits of one cue merge."""
    _fields = ("shot_id", "cue", "before")

    def __init__(self, shot_id: str, cue: AudioCue):
        if not cue.cue_id:
            raise ValidationError("which sound? the cue has no id")
        self.shot_id, self.cue, self.before = shot_id, cue.to_dict(), None

    @property
    def text(self) -> str:
        return f"Edit {_audio_label(self.cue)}"

    def _put(self, project: Project, cue: Mapping[str, Any]) -> dict[str, Any]:
        shot = project.shot(self.shot_id)
        old = shot.audio_cue(cue["cue_id"])
        audio = tuple(AudioCue.from_dict(cue) if a.cue_id == old.cue_id else a for a in shot.audio)
        seq, index, new = _replace_shot(project, self.shot_id, {"audio": audio})
        seq.shots[index] = new
        return old.to_dict()

    def redo(self, project: Project) -> list[Change]:
        self.before = self._put(project, self.cue)
        return [Change("shot_changed", (self.shot_id,))]

    def undo(self, project: Project) -> list[Change]:
        self._put(project, self.before)
        return [Change("shot_changed", (self.shot_id,))]

    def merge_with(self, other: Command) -> bool:
        if type(other) is not SetAudioCue or other.shot_id != self.shot_id or \
                other.cue["cue_id"] != self.cue["cue_id"]:
            return False
        self.cue = copy.deepcopy(other.cue)
        return True


class RemoveAudioCue(Command):
    _fields = ("shot_id", "cue_id", "cue", "index")

    def __init__(self, shot_id: str, cue_id: str):
        self.shot_id, self.cue_id, self.cue, self.index = shot_id, cue_id, None, None

    @property
    def text(self) -> str:
        return f"Remove {_audio_label(self.cue or {})}"

    def redo(self, project: Project) -> list[Change]:
        shot = project.shot(self.shot_id)
        cue = shot.audio_cue(self.cue_id)
        self.index = shot.audio.index(cue)
        self.cue = cue.to_dict()
        seq, index, new = _replace_shot(project, self.shot_id,
                                        {"audio": tuple(a for a in shot.audio if a.cue_id != self.cue_id)})
        seq.shots[index] = new
        return [Change("shot_changed", (self.shot_id,))]

    def undo(self, project: Project) -> list[Change]:
        shot = project.shot(self.shot_id)
        audio = list(shot.audio)
        audio.insert(min(self.index, len(audio)), AudioCue.from_dict(self.cue))
        seq, index, new = _replace_shot(project, self.shot_id, {"audio": tuple(audio)})
        seq.shots[index] = new
        return [Change("shot_changed", (self.shot_id,))]


class SetTrim(Command):
    """Trim the selected take (frames into it; out 0 = to the end), checked against its frame count."""
    _fields = ("shot_id", "trim_in", "trim_out", "before")

    def __init__(self, shot_id: str, trim_in: int, trim_out: int):
        self.shot_id, self.trim_in, self.trim_out, self.before = shot_id, trim_in, trim_out, None

    @property
    def text(self) -> str:
        return "Trim Shot"

    def redo(self, project: Project) -> list[Change]:
        seq, index, new = _replace_shot(project, self.shot_id, {"trim_in": self.trim_in, "trim_out": self.trim_out})
        _check_shot(project, new, ("trim_in", "trim_out"))
        self.before = _shot_fields(seq.shots[index], ("trim_in", "trim_out"))
        seq.shots[index] = new
        return [Change("shot_changed", (self.shot_id,))]

    def undo(self, project: Project) -> list[Change]:
        seq, index, old = _replace_shot(project, self.shot_id, self.before)
        seq.shots[index] = old
        return [Change("shot_changed", (self.shot_id,))]

    def merge_with(self, other: Command) -> bool:
        if type(other) is not SetTrim or other.shot_id != self.shot_id:
            return False
        self.trim_in, self.trim_out = other.trim_in, other.trim_out
        return True


# ---- bible ---------------------------------------------------------------------------------------

def _bible(data: Mapping[str, Any]) -> BibleEntry:
    return BibleEntry.from_dict({**data, "reference_images": tuple(data.get("reference_images") or ())})


def _refs_of(project: Project) -> dict[str, tuple[str, ...]]:
    return {s.id: s.bible_refs for _, s in project.shots()}


class AddBibleEntry(Command):
    _fields = ("entry", "index")

    def __init__(self, entry: BibleEntry, index: int | None = None):
        self.entry, self.index = entry.to_dict(), index

    @property
    def text(self) -> str:
        return f"Add {str(self.entry.get('kind', 'entry')).title()}"

    def redo(self, project: Project) -> list[Change]:
        entry = _bible(self.entry)
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
        return [Change("bible", (entry.id,))]

    def undo(self, project: Project) -> list[Change]:
        project.bible = [b for b in project.bible if b.id != self.entry["id"]]
        return [Change("bible", (self.entry["id"],))]


class SetBibleEntry(Command):
    """Replace the entry with the same id. Consecutive edits of one entry merge."""
    _fields = ("entry", "before")

    def __init__(self, entry: BibleEntry):
        self.entry, self.before = entry.to_dict(), None

    @property
    def text(self) -> str:
        return f"Edit {str(self.entry.get('kind', 'entry')).title()}"

    def _put(self, project: Project, data: Mapping[str, Any]) -> dict[str, Any]:
        entry = _bible(data)
        old = project.bible_entry(entry.id)
        same = project.bible_by_name(entry.name, entry.kind)
        if same is not None and same.id != entry.id:
            raise ValidationError(f"there is already a {entry.kind.value} named {same.name}")
        project.bible[project.bible.index(old)] = entry
        return old.to_dict()

    def redo(self, project: Project) -> list[Change]:
        self.before = self._put(project, self.entry)
        return [Change("bible", (self.entry["id"],))]

    def undo(self, project: Project) -> list[Change]:
        self._put(project, self.before)
        return [Change("bible", (self.entry["id"],))]

    def merge_with(self, other: Command) -> bool:
        if type(other) is not SetBibleEntry or other.entry["id"] != self.entry["id"]:
            return False
        self.entry = copy.deepcopy(other.entry)
        return True


class RemoveBibleEntry(Command):
    """Remove an entry and every shot's reference to it; undo puts both back where they were."""
    _fields = ("entry_id", "entry", "index", "refs")

    def __init__(self, entry_id: str):
        self.entry_id, self.entry, self.index, self.refs = entry_id, None, None, None

    @property
    def text(self) -> str:
        return "Remove from Bible"

    def redo(self, project: Project) -> list[Change]:
        entry = project.bible_entry(self.entry_id)
        self.index = project.bible.index(entry)
        self.entry = entry.to_dict()
        self.refs = {sid: refs.index(self.entry_id) for sid, refs in _refs_of(project).items() if self.entry_id in refs}
        project.bible.pop(self.index)
        for sid in self.refs:
            seq, i, shot = project.find_shot(sid)
            seq.shots[i] = shot.with_(bible_refs=tuple(r for r in shot.bible_refs if r != self.entry_id))
        return [Change("bible", (self.entry_id,))] + ([Change("shot_changed", tuple(self.refs))] if self.refs else [])

    def undo(self, project: Project) -> list[Change]:
        project.bible.insert(min(self.index, len(project.bible)), _bible(self.entry))
        for sid, at in self.refs.items():
            seq, i, shot = project.find_shot(sid)
            refs = list(shot.bible_refs)
            refs.insert(min(at, len(refs)), self.entry_id)
            seq.shots[i] = shot.with_(bible_refs=tuple(refs))
        return [Change("bible", (self.entry_id,))] + ([Change("shot_changed", tuple(self.refs))] if self.refs else [])


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
        return [Change("sequence", (self.seq_id,))]

    def undo(self, project: Project) -> list[Change]:
        project.sequences.remove(project.sequence(self.seq_id))
        return [Change("sequence", (self.seq_id,))]


class SetSequenceHeading(Command):
    _fields = ("seq_id", "heading", "before")

    def __init__(self, seq_id: str, heading: str):
        self.seq_id, self.heading, self.before = seq_id, heading, None

    @property
    def text(self) -> str:
        return "Rename Scene"

    def _put(self, project: Project, heading: str) -> str:
        seq = project.sequence(self.seq_id)
        old = seq.heading
        seq.heading = Sequence(seq.id, heading).heading  # validates
        return old

    def redo(self, project: Project) -> list[Change]:
        self.before = self._put(project, self.heading)
        return [Change("sequence", (self.seq_id,))]

    def undo(self, project: Project) -> list[Change]:
        self._put(project, self.before)
        return [Change("sequence", (self.seq_id,))]

    def merge_with(self, other: Command) -> bool:
        if type(other) is not SetSequenceHeading or other.seq_id != self.seq_id:
            return False
        self.heading = other.heading
        return True


class RemoveSequence(Command):
    """Remove a scene with its shots (a project keeps at least one scene)."""
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
        return [Change("sequence", (self.seq_id,))] + ([Change("shot_removed", shot_ids)] if shot_ids else [])

    def undo(self, project: Project) -> list[Change]:
        seq = Sequence.from_dict(self.sequence)
        project.sequences.insert(min(self.index, len(project.sequences)), seq)
        shot_ids = tuple(s.id for s in seq.shots)
        return [Change("sequence", (self.seq_id,))] + ([Change("shot_added", shot_ids)] if shot_ids else [])


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
        new = shot.with_(**values)
        self.shot_id = shot.id
        self.before = _shot_fields(shot, ("selected_take", "trim_in", "trim_out"))
        seq.shots[index] = new
        return [Change("shot_changed", (shot.id,))]

    def undo(self, project: Project) -> list[Change]:
        seq, index, old = _replace_shot(project, self.shot_id, self.before)
        seq.shots[index] = old
        return [Change("shot_changed", (self.shot_id,))]


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
        changes = [Change("take_changed", (take.id,))]
        self.before = None
        try:
            seq, index, shot = project.find_shot(take.shot_id)
        except ValidationError:  # the shot was removed; its takes remain for undo and lineage
            shot = None
        if shot is not None and shot.selected_take == take.id:
            self.before = _shot_fields(shot, ("selected_take", "trim_in", "trim_out"))
            seq.shots[index] = shot.with_(selected_take="", trim_in=0, trim_out=0)
            changes.append(Change("shot_changed", (shot.id,)))
        project.takes[take.id] = take.with_(status=TakeStatus.TRASHED)
        return changes

    def undo(self, project: Project) -> list[Change]:
        take = project.take(self.take_id)
        changes = [Change("take_changed", (take.id,))]
        if self.before is not None:
            seq, index, shot = _replace_shot(project, take.shot_id, self.before)
            seq.shots[index] = shot
            changes.append(Change("shot_changed", (take.shot_id,)))
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
        return [Change("take_changed", (take.id,))]

    def redo(self, project: Project) -> list[Change]:
        return self._set(project, TakeStatus.READY, TakeStatus.TRASHED)

    def undo(self, project: Project) -> list[Change]:
        return self._set(project, TakeStatus.TRASHED, TakeStatus.READY)


# ---- project -------------------------------------------------------------------------------------

_MISSING = {"__missing__": True}


class SetProjectSetting(Command):
    """One settings key (JSON value). Consecutive edits of one key merge."""
    _fields = ("key", "value", "before")

    def __init__(self, key: str, value: Any):
        if not isinstance(key, str) or not key.strip():
            raise ValidationError("a setting needs a name")
        self.key, self.value, self.before = key, _json_value(value, f"setting {key}"), None

    @property
    def text(self) -> str:
        return "Change Setting"

    def redo(self, project: Project) -> list[Change]:
        self.before = copy.deepcopy(project.settings.get(self.key, _MISSING))
        project.settings[self.key] = copy.deepcopy(self.value)
        return [Change("project")]

    def undo(self, project: Project) -> list[Change]:
        if self.before == _MISSING:
            project.settings.pop(self.key, None)
        else:
            project.settings[self.key] = copy.deepcopy(self.before)
        return [Change("project")]

    def merge_with(self, other: Command) -> bool:
        if type(other) is not SetProjectSetting or other.key != self.key:
            return False
        self.value = copy.deepcopy(other.value)
        return True


_PROJECT_FIELDS = ("name", "fps", "width", "height", "default_backend")


class SetProjectFields(Command):
    _fields = ("after", "before")

    def __init__(self, **fields: Any):
        unknown = set(fields) - set(_PROJECT_FIELDS)
        if unknown or not fields:
            raise ValidationError(f"project fields are {', '.join(_PROJECT_FIELDS)}")
        self.after = {k: fps_to_str(v) if k == "fps" and not isinstance(v, (str, int, float)) else v
                      for k, v in fields.items()}
        self.before = None

    @property
    def text(self) -> str:
        return "Change Project Settings"

    @staticmethod
    def _get(project: Project) -> dict[str, Any]:
        return {"name": project.name, "fps": fps_to_str(project.fps), "width": project.width,
                "height": project.height, "default_backend": project.default_backend}

    def _put(self, project: Project, values: Mapping[str, Any]) -> dict[str, Any]:
        current = self._get(project)
        checked = Project(**{**current, **values})  # validates every value together (even size, fps range)
        for name in values:
            setattr(project, name, getattr(checked, name))
        return {k: current[k] for k in values}

    def redo(self, project: Project) -> list[Change]:
        self.before = self._put(project, self.after)
        self.after = {k: v for k, v in self._get(project).items() if k in self.after}
        return [Change("project")]

    def undo(self, project: Project) -> list[Change]:
        self._put(project, self.before)
        return [Change("project")]

    def merge_with(self, other: Command) -> bool:
        if type(other) is not SetProjectFields or set(other.after) != set(self.after):
            return False
        self.after = dict(other.after)
        return True


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
