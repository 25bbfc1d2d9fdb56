"""`BibleItemModel`: the project's bible entries (characters, locations, props, style) as a Qt list model.

Who uses it: the bible panel's list (through a kind filter) and anything that wants to pick an entry.
It reads the document and follows its `bible` changes; it never edits (the panel runs commands).
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor, QIcon, QPixmap

from studio.commands import Change, ChangeKind
from studio.consent import standing
from studio.model import BibleEntry, BibleKind

from .. import theme

EntryIdRole = Qt.ItemDataRole.UserRole + 1
KindRole = Qt.ItemDataRole.UserRole + 2      # 'character' | 'location' | 'prop' | 'style'
UsableRole = Qt.ItemDataRole.UserRole + 3    # False: a real person without a consent record
ColorRole = Qt.ItemDataRole.UserRole + 4     # '#rrggbb' or ''
ImageCountRole = Qt.ItemDataRole.UserRole + 5

KIND_ICONS = {BibleKind.CHARACTER: "mdi6.account", BibleKind.LOCATION: "mdi6.map-marker-outline",
              BibleKind.PROP: "mdi6.cube-outline", BibleKind.STYLE: "mdi6.palette-outline"}
KIND_TITLES = {BibleKind.CHARACTER: "Character", BibleKind.LOCATION: "Location", BibleKind.PROP: "Prop",
               BibleKind.STYLE: "Style"}


def swatch(color: str, size: int = 12) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(color))
    return QIcon(pixmap)


class BibleItemModel(QAbstractListModel):
    def __init__(self, doc, parent: QObject | None = None):
        super().__init__(parent)
        self.doc = doc
        self._entries: list[BibleEntry] = list(doc.project.bible)
        self._unsubscribe = doc.subscribe(self._on_change)

    def detach(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
            self._unsubscribe = None

    def _on_change(self, change: Change) -> None:
        if change.kind in (ChangeKind.BIBLE, ChangeKind.PROJECT):
            self.beginResetModel()
            self._entries = list(self.doc.project.bible)
            self.endResetModel()

    # ---- look-ups ---------------------------------------------------------------------------------
    def entry_at(self, row: int) -> BibleEntry | None:
        return self._entries[row] if 0 <= row < len(self._entries) else None

    def row_of(self, entry_id: str) -> int | None:
        return next((i for i, e in enumerate(self._entries) if e.id == entry_id), None)

    # ---- Qt -----------------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._entries)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.column() != 0 or not 0 <= index.row() < len(self._entries):
            return None
        entry = self._entries[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return entry.name
        if role == EntryIdRole:
            return entry.id
        if role == KindRole:
            return entry.kind.value
        if role == UsableRole:
            return standing(entry) is None
        if role == ColorRole:
            return entry.color
        if role == ImageCountRole:
            return len(entry.reference_images)
        if role == Qt.ItemDataRole.DecorationRole:
            if entry.kind is BibleKind.CHARACTER and entry.color:
                return swatch(entry.color)
            return theme.icon(KIND_ICONS[entry.kind], theme.TEXT_DIM.name())
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [f"{KIND_TITLES[entry.kind]}: {entry.name}"]
            if entry.description:
                lines.append(entry.description[:240])
            why = standing(entry)
            if why:
                lines.append(f"⚠ {why}: shots using this character are refused.")
            return "\n".join(lines)
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class BibleKindFilter(QSortFilterProxyModel):
    """Shows one kind ('' = all)."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.kind = ""

    def set_kind(self, kind: str) -> None:
        self.beginFilterChange()
        self.kind = kind
        self.endFilterChange()

    def filterAcceptsRow(self, row: int, parent) -> bool:  # noqa: N802
        if not self.kind:
            return True
        index = self.sourceModel().index(row, 0, parent)
        return self.sourceModel().data(index, KindRole) == self.kind
