"""What an edit changed, as the document tells its views and its store.

`Change.kind` is a `ChangeKind`, never a string: a misspelt member is an AttributeError where it is written,
and comparing a kind with a string (`change.kind == "shot_changed"`, the old form) raises TypeError instead
of being quietly False, so a view can no longer miss its updates through a typo.
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
            raise TypeError(f"compare a change kind with ChangeKind.{self.name}, not the string {other!r}")
        return self is other

    # hash of the value: a leftover `kind in {"shot_changed", ...}` reaches __eq__ and raises too
    def __hash__(self) -> int:
        return hash(self.value)


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.kind, ChangeKind):
            raise TypeError(f"Change kind must be a ChangeKind, not {self.kind!r}")
