"""Which shots the user has selected: shared by the storyboard, timeline, inspector, takes and viewer.

One object, owned by the main window, so panels do not talk to each other: each one sets the
selection and listens to `changed`. Setting the same ids again emits nothing (prevents loops
between two views that mirror each other).
"""
from __future__ import annotations

from typing import Iterable

from PySide6.QtCore import QObject, Signal


class ShotSelection(QObject):
    changed = Signal(list)  # the selected shot ids, current (last clicked) last

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._ids: list[str] = []

    def ids(self) -> list[str]:
        return list(self._ids)

    def current(self) -> str | None:
        """The shot the single-shot panels (inspector, takes) show: the last one selected."""
        return self._ids[-1] if self._ids else None

    def set(self, ids: Iterable[str]) -> None:
        unique: list[str] = []
        for shot_id in ids:
            if shot_id and shot_id not in unique:
                unique.append(str(shot_id))
        if unique == self._ids:
            return
        self._ids = unique
        self.changed.emit(list(unique))

    def clear(self) -> None:
        self.set([])

    def discard(self, ids: Iterable[str]) -> None:
        """Forget removed shots (the storyboard calls this when shots disappear)."""
        gone = set(ids)
        if gone & set(self._ids):
            self.set([i for i in self._ids if i not in gone])
