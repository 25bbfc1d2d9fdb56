"""Work-arounds for PySide6 traps, in one place.

`role(index, r)`: PySide6 6.12 on Python 3.11 drops a reference to None each time `QModelIndex.data()`
returns None (an invalid QVariant converted to Python); enough calls (a delegate painting 1,000 cards)
deallocate None and abort the interpreter ("none_dealloc"). Calling the Python model's `data()`
directly never converts through QVariant, so it cannot leak. Use this in delegates and panels.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt


def role(index: QModelIndex | QPersistentModelIndex, r: int = Qt.ItemDataRole.DisplayRole) -> Any:
    if not index.isValid():
        return None
    model = index.model()
    return model.data(index, r) if model is not None else None
