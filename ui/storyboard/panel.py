"""`StoryboardPanel`: shot cards in an icon-mode list. Drag to reorder, multi-select, add / duplicate /
delete / split. Every edit is a studio command executed on the document; the cards follow the document.

Who uses it: the main window docks it and puts its actions in the Shot menu; it mirrors the shared
`ShotSelection` both ways.
"""
from __future__ import annotations

import json

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QModelIndex, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QLabel, QListView, QMenu, QToolBar, QVBoxLayout, QWidget

from studio.commands import AddSequence, AddShot, DuplicateShot, Macro, RemoveShot, SetSequenceHeading, SplitShot
from studio.continuity import default_continuity
from studio.model import Shot

from .. import theme
from ..selection import ShotSelection
from .delegate import CARD_H, CARD_W, ShotCardDelegate
from .model import MIME_TYPE, ShotIdRole, ShotListItemModel
from .thumbnails import ThumbnailLoader
from ..qtcompat import role


class ShotListView(QListView):
    """Icon-mode cards that reflow with the dock's width; internal drag moves through the model."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)   # positions come from the model order, not free placement
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setUniformItemSizes(True)
        self.setGridSize(QSize(CARD_W, CARD_H))
        self.setSpacing(0)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(200)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setMouseTracking(True)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def drop_row(self, pos) -> int:
        """The row a drop at `pos` lands before: the card under it, or the one after when on its right half."""
        index = self.indexAt(pos)
        if not index.isValid():
            return self.model().rowCount()
        rect = self.visualRect(index)
        return index.row() + (1 if pos.x() > rect.center().x() else 0)

    def dropEvent(self, event) -> None:
        """Dropped cards move as ONE undo step (QListView would move them one row at a time)."""
        mime = event.mimeData()
        if mime is None or not mime.hasFormat(MIME_TYPE):
            super().dropEvent(event)
            return
        try:
            ids = [str(i) for i in json.loads(bytes(mime.data(MIME_TYPE)).decode())]
        except (ValueError, UnicodeDecodeError):
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.MoveAction)
        event.accept()  # the model moved nothing itself: the drag source must not delete rows
        self.model().move_shots(ids, self.drop_row(event.position().toPoint()))


class StoryboardPanel(QWidget):
    activated = Signal(str)  # a card was double-clicked (the window plays that shot)

    def __init__(self, doc, selection: ShotSelection, parent: QWidget | None = None, *,
                 loader: ThumbnailLoader | None = None):
        super().__init__(parent)
        self.setObjectName("StoryboardPanel")
        self.doc = doc
        self.selection = selection
        self.model = ShotListItemModel(doc, self, loader=loader)
        self.view = ShotListView(self)
        self.view.setModel(self.model)
        self.view.setItemDelegate(ShotCardDelegate(self.view))
        self._syncing = False
        self.extra_actions: list[QAction] = []  # added to the card context menu by the window
        # Asks for a scene heading: (title, current text) -> text, or None when cancelled (tests replace it).
        self.ask_heading = self._ask_heading

        self.toolbar = QToolBar(self)
        self.toolbar.setIconSize(QSize(16, 16))
        self.actions_by_name: dict[str, QAction] = {}
        for name, text, icon, keys, slot in (
                ("add", "Add Shot", "mdi6.plus-box-outline", "Ctrl+Shift+N", self.add_shot),
                ("add_scene", "New Scene…", "mdi6.movie-open-plus-outline", "Ctrl+Alt+N", self.add_scene),
                ("heading", "Scene Heading…", "mdi6.format-title", "Ctrl+Alt+H", self.edit_heading),
                ("duplicate", "Duplicate Shot", "mdi6.content-copy", "Ctrl+D", self.duplicate_selected),
                ("split", "Split Shot", "mdi6.content-cut", "Ctrl+K", self.split_current),
                ("delete", "Delete Shot", "mdi6.trash-can-outline", QKeySequence.StandardKey.Delete,
                 self.delete_selected)):
            action = QAction(theme.icon(icon), text, self)
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            self.actions_by_name[name] = action
            self.toolbar.addAction(action)
            self.addAction(action)
        self.toolbar.addSeparator()
        self.count_label = QLabel(self)
        self.count_label.setObjectName("panelHint")
        self.toolbar.addWidget(self.count_label)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.view)

        self.view.selectionModel().selectionChanged.connect(self._view_selection_changed)
        self.view.doubleClicked.connect(self._double_clicked)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.selection.changed.connect(self._selection_changed)
        # the totals need a pass over every shot: recount once per event-loop turn, not per changed row
        self._count_timer = QTimer(self)
        self._count_timer.setSingleShot(True)
        self._count_timer.setInterval(0)
        self._count_timer.timeout.connect(self._update_counts)
        for signal in (self.model.rowsInserted, self.model.rowsRemoved, self.model.modelReset,
                       self.model.dataChanged, self.model.rowsMoved):
            signal.connect(self._count_timer.start)
        self.model.rowsRemoved.connect(self._forget_removed)
        self.model.modelReset.connect(self._forget_removed)
        self._update_counts()
        self._update_actions()

    def detach(self) -> None:
        self.model.detach()

    # ---- selection ---------------------------------------------------------------------------------
    def selected_ids(self) -> list[str]:
        rows = sorted(i.row() for i in self.view.selectionModel().selectedIndexes())
        ids = [self.model.shot_ids()[r] for r in rows]
        current = self.view.currentIndex()
        if current.isValid() and role(current, ShotIdRole) in ids:  # current last: the inspector shows it
            ids.remove(role(current, ShotIdRole))
            ids.append(role(current, ShotIdRole))
        return ids

    def _view_selection_changed(self, *_):
        if self._syncing:
            return
        self._syncing = True
        try:
            self.selection.set(self.selected_ids())
        finally:
            self._syncing = False
        self._update_actions()

    def _selection_changed(self, ids: list[str]) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            sel = QItemSelection()
            current = QModelIndex()
            for shot_id in ids:
                row = self.model.row_of(shot_id)
                if row is not None:
                    index = self.model.index(row)
                    sel.select(index, index)
                    current = index
            sm = self.view.selectionModel()
            sm.select(sel, QItemSelectionModel.SelectionFlag.ClearAndSelect)
            if current.isValid():
                sm.setCurrentIndex(current, QItemSelectionModel.SelectionFlag.NoUpdate)
                self.view.scrollTo(current)
        finally:
            self._syncing = False
        self._update_actions()

    def _forget_removed(self, *_):
        known = set(self.model.shot_ids())
        self.selection.discard([i for i in self.selection.ids() if i not in known])

    def _update_actions(self) -> None:
        has = bool(self.selection.ids())
        for name in ("duplicate", "delete"):
            self.actions_by_name[name].setEnabled(has)
        current = self.selection.current()
        shot = self._shot(current) if current else None
        self.actions_by_name["split"].setEnabled(shot is not None and shot.duration > 1)

    def _update_counts(self, *_):
        project = self.doc.project
        shots = self.model.rowCount()
        frames = sum(s.duration for _, s in project.shots())
        seconds = frames / float(project.fps) if shots else 0.0
        self.count_label.setText(f"{shots} shots · {int(seconds // 60)}:{seconds % 60:04.1f}")

    def _shot(self, shot_id: str | None) -> Shot | None:
        if not shot_id:
            return None
        row = self.model.row_of(shot_id)
        return self.model.shot_at(row) if row is not None else None

    # ---- edits (each one command) ------------------------------------------------------------------
    def _ask_heading(self, title: str, text: str) -> str | None:
        from PySide6.QtWidgets import QInputDialog, QLineEdit
        value, ok = QInputDialog.getText(self, title, "Heading (INT./EXT. PLACE - TIME), e.g. EXT. COVE - NIGHT:",
                                         QLineEdit.EchoMode.Normal, text)
        return value.strip() if ok else None

    def edit_heading(self) -> str | None:
        """Type the heading of the current shot's scene (or the last scene). One undoable step."""
        project = self.doc.project
        current = self.selection.current()
        seq = project.find_shot(current)[0] if current and self.model.row_of(current) is not None else \
            project.sequences[-1]
        heading = self.ask_heading("Scene heading", seq.heading)
        if heading is None or heading == seq.heading:
            return None
        self.doc.execute(SetSequenceHeading(seq.id, heading))
        return heading

    def add_scene(self) -> str | None:
        """A new scene after the current one, with the heading the user types and a first shot
        (which starts fresh). One undoable step. Returns the new shot's id (None when cancelled)."""
        project = self.doc.project
        heading = self.ask_heading("New scene", "")
        if heading is None:
            return None
        current = self.selection.current()
        index = len(project.sequences)
        if current and self.model.row_of(current) is not None:
            index = project.sequences.index(project.find_shot(current)[0]) + 1
        scene = AddSequence(heading=heading, index=index)
        shot = Shot.create(title="New shot", duration=int(round(3 * float(project.fps))), continuity="none")
        self.doc.execute(Macro("New Scene", [scene, AddShot(scene.seq_id, shot, 0)]))
        self.selection.set([shot.id])
        return shot.id

    def add_shot(self) -> str:
        """A new shot after the current one (or at the end of the last scene). Returns its id."""
        project = self.doc.project
        current = self.selection.current()
        if current and self.model.row_of(current) is not None:
            seq, index, _ = project.find_shot(current)
            seq_id, at = seq.id, index + 1
        elif project.sequences:
            seq_id, at = project.sequences[-1].id, None
        else:
            raise RuntimeError("the project has no scene to add a shot to")
        shot = Shot.create(title="New shot", duration=int(round(3 * float(project.fps))))
        shot = shot.with_(continuity=default_continuity(project, seq_id, at, shot))
        commands = [AddShot(seq_id, shot, at)]
        if not project.sequence(seq_id).heading.strip():
            # A scene without a heading: the previs reads place and time from it, so ask once.
            heading = self.ask_heading("Scene heading for the new shot", "")
            if heading:
                commands.insert(0, SetSequenceHeading(seq_id, heading))
        self.doc.execute(commands[0] if len(commands) == 1 else Macro("Add Shot", commands))
        self.selection.set([shot.id])
        return shot.id

    def duplicate_selected(self) -> list[str]:
        ids = [i for i in self.model.shot_ids() if i in set(self.selection.ids())]
        if not ids:
            return []
        commands = [DuplicateShot(i) for i in ids]
        self.doc.execute(commands[0] if len(commands) == 1 else Macro(f"Duplicate {len(ids)} Shots", commands))
        new_ids = [c.new_id for c in commands]
        self.selection.set(new_ids)
        return new_ids

    def delete_selected(self) -> None:
        ids = [i for i in self.model.shot_ids() if i in set(self.selection.ids())]
        if not ids:
            return
        commands = [RemoveShot(i) for i in ids]
        self.doc.execute(commands[0] if len(commands) == 1 else Macro(f"Remove {len(ids)} Shots", commands))

    def split_current(self, at_frame: int | None = None) -> str | None:
        """Split the current shot at `at_frame` (default: the middle). Returns the new shot's id."""
        shot = self._shot(self.selection.current())
        if shot is None or shot.duration < 2:
            return None
        at = at_frame if isinstance(at_frame, int) and not isinstance(at_frame, bool) else shot.duration // 2
        command = SplitShot(shot.id, at)
        self.doc.execute(command)
        return command.new_id

    # ---- view events -------------------------------------------------------------------------------
    def _double_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.activated.emit(role(index, ShotIdRole))

    def _context_menu(self, pos) -> None:
        menu = QMenu(self)
        for name in ("add", "duplicate", "split", "delete"):
            menu.addAction(self.actions_by_name[name])
        if self.extra_actions:  # the window's (Generate Selected Shots…): the panel does not generate itself
            menu.addSeparator()
            for action in self.extra_actions:
                menu.addAction(action)
        menu.exec(self.view.viewport().mapToGlobal(pos))
