"""Work-arounds for PySide6 traps, in one place.

`role(index, r)`: PySide6 6.12.0 on Python 3.11 drops a reference to None each time `QModelIndex.data()`
returns None (and on every other call returning None: pyproject pins PySide6 below 6.12 for that);
enough calls deallocate None and abort the interpreter ("none_dealloc"). Calling the Python model's
`data()` directly never converts through QVariant, so it cannot leak whatever the binding does, and it
skips a QVariant round trip in paint code. Use this in delegates and panels.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt


def role(index: QModelIndex | QPersistentModelIndex, r: int = Qt.ItemDataRole.DisplayRole) -> Any:
    if not index.isValid():
        return None
    model = index.model()
    return model.data(index, r) if model is not None else None
