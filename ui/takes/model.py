"""`TakeTreeItemModel`: every take of one shot as a lineage tree (a variation under the take it came from).

Who uses it: the takes panel. Read-only: choosing, trashing and restoring are commands the panel runs;
the model rebuilds itself from the document's notifications (a shot has tens of takes, not thousands).
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont, QPixmap

from studio.commands import Change, ChangeKind
from studio.consent import withdrawn_reason
from studio.model import Take, TakeStatus

from .. import theme
from ..labels import take_label

TakeIdRole = Qt.ItemDataRole.UserRole + 1
IsSelectedRole = Qt.ItemDataRole.UserRole + 2
IsTrashedRole = Qt.ItemDataRole.UserRole + 3
ThumbnailPathRole = Qt.ItemDataRole.UserRole + 4
WithdrawnRole = Qt.ItemDataRole.UserRole + 5   # why the take's likeness is withdrawn, '' when it is not

COLUMNS = ("Take", "Operation", "Seed", "Backend", "Length", "Created")


class _Node:
    __slots__ = ("take", "number", "parent", "children")

    def __init__(self, take: Take | None, number: int, parent: "_Node | None"):
        self.take, self.number, self.parent = take, number, parent
        self.children: list[_Node] = []

    def row(self) -> int:
        return self.parent.children.index(self) if self.parent else 0


class TakeTreeItemModel(QAbstractItemModel):
    def __init__(self, doc, parent: QObject | None = None, *, loader=None):
        super().__init__(parent)
        self.doc = doc
        self.loader = loader  # ui.storyboard.thumbnails.ThumbnailLoader: take thumbnails as row icons
        self._pixmaps: dict[str, QPixmap] = {}
        if loader is not None:
            loader.loaded.connect(self._thumbnail_loaded)
        self.shot_id: str | None = None
        self.show_trashed = True
        self._root = _Node(None, 0, None)
        self._by_id: dict[str, _Node] = {}
        self._unsubscribe = doc.subscribe(self._on_change)

    def detach(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
            self._unsubscribe = None

    # ---- content ----------------------------------------------------------------------------------
    def set_shot(self, shot_id: str | None) -> None:
        self.shot_id = shot_id
        self._rebuild()

    def set_show_trashed(self, on: bool) -> None:
        self.show_trashed = bool(on)
        self._rebuild()

    def _selected_take(self) -> str:
        if not self.shot_id:
            return ""
        try:
            return self.doc.project.shot(self.shot_id).selected_take
        except Exception:  # the shot was removed: its takes stay listed, none selected
            return ""

    def _rebuild(self) -> None:
        self.beginResetModel()
        self._root = _Node(None, 0, None)
        self._by_id = {}
        if self.shot_id:
            takes = self.doc.project.takes_of(self.shot_id, include_trashed=True)  # oldest first
            numbers = {t.id: n for n, t in enumerate(takes, start=1)}
            visible = [t for t in takes if self.show_trashed or t.status is TakeStatus.READY]
            for take in visible:
                self._by_id[take.id] = _Node(take, numbers[take.id], None)
            for take in visible:
                node = self._by_id[take.id]
                parent = self._by_id.get(take.parent_take_id) if take.parent_take_id else None
                if parent is node:
                    parent = None
                node.parent = parent or self._root
                node.parent.children.append(node)
        self.endResetModel()

    def _on_change(self, change: Change) -> None:
        if not self.shot_id:
            return
        if change.kind in (ChangeKind.TAKE_RECORDED, ChangeKind.TAKE_CHANGED):
            project = self.doc.project
            if any(t in self._by_id or (t in project.takes and project.takes[t].shot_id == self.shot_id)
                   for t in change.ids):
                self._rebuild()
        elif change.kind is ChangeKind.SHOT_CHANGED and self.shot_id in change.ids:
            self._refresh_all()
        elif change.kind in (ChangeKind.PROJECT, ChangeKind.BIBLE):  # a revocation marks takes "likeness withdrawn"
            self._rebuild()

    def _refresh_all(self) -> None:
        """The selected take changed: repaint every row (stars and bold move)."""
        def walk(node: _Node):
            for child in node.children:
                yield child
                yield from walk(child)
        for node in walk(self._root):
            left = self.createIndex(node.row(), 0, node)
            right = self.createIndex(node.row(), len(COLUMNS) - 1, node)
            self.dataChanged.emit(left, right)

    def _thumbnail(self, take: Take):
        """The take's thumbnail as a row icon (loaded off the GUI thread; None until it is)."""
        if self.loader is None or not take.files.get("thumbnail"):
            return None
        pixmap = self._pixmaps.get(take.id)
        if pixmap is None:
            try:
                path = str(self.doc.abspath(take.files["thumbnail"]))
            except Exception:
                return None
            image = self.loader.image(path)
            if image is None:
                return None
            pixmap = QPixmap.fromImage(image)
            self._pixmaps[take.id] = pixmap
        return pixmap

    def _thumbnail_loaded(self, path: str) -> None:
        for take_id, node in self._by_id.items():
            rel = node.take.files.get("thumbnail", "") if node.take else ""
            if rel and path.endswith(rel.split("/")[-1]):
                index = self.createIndex(node.row(), 0, node)
                self.dataChanged.emit(index, index)

    def take_ids(self) -> list[str]:
        return list(self._by_id)

    def index_of(self, take_id: str) -> QModelIndex:
        node = self._by_id.get(take_id)
        return self.createIndex(node.row(), 0, node) if node else QModelIndex()

    def take_at(self, index: QModelIndex) -> Take | None:
        node = self._node(index)
        return node.take if node is not self._root else None

    # ---- Qt model API ----------------------------------------------------------------------------
    def _node(self, index: QModelIndex | QPersistentModelIndex) -> _Node:
        if index.isValid():
            node = index.internalPointer()
            if isinstance(node, _Node):
                return node
        return self._root

    def index(self, row: int, column: int, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> QModelIndex:
        node = self._node(parent)
        if parent.isValid() and parent.column() != 0:
            return QModelIndex()
        if 0 <= row < len(node.children) and 0 <= column < len(COLUMNS):
            return self.createIndex(row, column, node.children[row])
        return QModelIndex()

    def parent(self, index: QModelIndex | QPersistentModelIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]
        if not index.isValid():
            return QModelIndex()
        node = self._node(index)
        parent = node.parent
        if parent is None or parent is self._root:
            return QModelIndex()
        return self.createIndex(parent.row(), 0, parent)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self._node(parent).children)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node = self._node(index)
        take = node.take
        if take is None:
            return None
        col = index.column()
        trashed = take.status is TakeStatus.TRASHED
        selected = take.id == self._selected_take()
        if role == WithdrawnRole:
            return withdrawn_reason(self.doc.project, take, self.doc.folder) or ""
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                label = f"★ Take {node.number}" if selected else f"Take {node.number}"
                return label + ("  ⚠ likeness withdrawn" if self.data(index, WithdrawnRole) else "")
            if col == 1:
                return take.operation
            if col == 2:
                return str(take.seed)
            if col == 3:
                return take.backend + (f" · {take.model_id}" if take.model_id else "")
            if col == 4:
                return f"{take.frames / float(take.fps):.1f}s" if take.frames else "—"
            if col == 5:
                return take.created[:19].replace("T", " ")
        if role == TakeIdRole:
            return take.id
        if role == IsSelectedRole:
            return selected
        if role == IsTrashedRole:
            return trashed
        if role == ThumbnailPathRole:
            return take.files.get("thumbnail", "")
        if role == Qt.ItemDataRole.DecorationRole and col == 0:
            thumb = self._thumbnail(take)
            if thumb is not None:
                return thumb
            if trashed:
                return theme.icon("mdi6.trash-can-outline", theme.TEXT_DIM.name())
            return theme.icon("mdi6.filmstrip", theme.TEXT_DIM.name())
        if role == Qt.ItemDataRole.ForegroundRole and trashed:
            return theme.TEXT_DIM
        if role == Qt.ItemDataRole.ForegroundRole and col == 0 and self.data(index, WithdrawnRole):
            return theme.DANGER
        if role == Qt.ItemDataRole.FontRole and selected:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            project = self.doc.project
            lines = [f"{take_label(project, take)} ({take.operation})"]
            if take.parent_take_id:
                lines.append(f"from {take_label(project, take.parent_take_id)}")
            if take.source_take_id:
                lines.append(f"continues {take_label(project, take.source_take_id)} at frame {take.source_frame}")
            if take.prompt:
                lines.append(take.prompt[:300])
            if trashed:
                lines.append("In the trash")
            withdrawn = self.data(index, WithdrawnRole)
            if withdrawn:
                lines.append(f"⚠ {withdrawn[0].upper() + withdrawn[1:]}: export refuses it; choose another take")
            return "\n".join(lines)
        return None
