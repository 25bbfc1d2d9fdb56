"""What an edit changed, as the document tells its views and its store.

`Change.kind` is a `ChangeKind`: a misspelt member is an AttributeError where it is written. The string
names of the first waves still work where they are spelt right (`Change("bible")`, `kind == "shot_changed"`,
kept so code written against them keeps working while it moves to the enum), but a misspelt string raises
ValueError instead of quietly comparing False, so a view can no longer miss its updates through a typo.
New code writes `ChangeKind.SHOT_CHANGED`.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["Change", "ChangeKind"]


class ChangeKind(Enum):
    PROJECT = "project"              # project fields or settings
    SEQUENCE = "sequence"            # a scene added, removed or renamed
    SHOT_ADDED = "shot_added"
    SHOT_REMOVED = "shot_removed"
    SHOT_CHANGED = "shot_changed"
    SHOTS_MOVED = "shots_moved"
    BIBLE = "bible"
    TAKE_RECORDED = "take_recorded"
    TAKE_CHANGED = "take_changed"
    HISTORY = "history"              # the undo stack moved (labels, clean state)
    JOBS = "jobs"                    # a job record changed (queue views)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return self is ChangeKind(other)  # ValueError for a name that is no change kind
        return self is other

    def __hash__(self) -> int:  # the value's hash: `kind in {"shot_changed", ...}` still finds it
        return hash(self.value)


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.kind, ChangeKind):
            object.__setattr__(self, "kind", ChangeKind(self.kind))  # ValueError for a misspelt kind
