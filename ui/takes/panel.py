"""`TakesPanel`: the takes of the current shot with their lineage; choose, trash, restore, compare.

Choosing, trashing and restoring are studio commands (undoable). Comparing two takes opens the
in-sync compare view below the tree; a double-click asks the window to play that take in the viewer.
"""
from __future__ import annotations

from fractions import Fraction

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QAbstractItemView, QHeaderView, QLabel, QSplitter, QToolBar, QTreeView, QVBoxLayout,
                               QWidget)

from studio.commands import ChangeKind, ChooseTake, Macro, RestoreTake, TrashTake
from studio.model import Take, TakeStatus

from .. import theme
from ..player.source import PlayList
from ..selection import ShotSelection
from .model import COLUMNS, IsTrashedRole, TakeIdRole, TakeTreeItemModel
from ..qtcompat import role


def take_playlist(doc, take: Take) -> PlayList | None:
    """A single take played whole from its proxy (or its video when it has no proxy)."""
    rel = take.files.get("proxy") or take.files.get("video")
    if not rel or not take.frames:
        return None
    path = doc.abspath(rel)
    if not path.is_file():
        return None
    audio = take.files.get("audio")
    audio_path = str(doc.abspath(audio)) if audio and doc.abspath(audio).is_file() else None
    width, height = take.width or doc.project.width, take.height or doc.project.height
    return PlayList.single(str(path), take.frames, Fraction(take.fps), width, height, audio_path, take.id)


class TakesPanel(QWidget):
    play_requested = Signal(str)  # take id: the viewer plays it

    def __init__(self, doc, selection: ShotSelection, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("TakesPanel")
        self.doc = doc
        self.selection = selection
        from PySide6.QtCore import QSize as _QSize
        from ..storyboard.thumbnails import ThumbnailLoader
        self.loader = ThumbnailLoader(self, size=_QSize(96, 54), capacity=200)
        self.model = TakeTreeItemModel(doc, self, loader=self.loader)
        self.tree = QTreeView(self)
        self.tree.setModel(self.model)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setRootIsDecorated(True)
        self.tree.setIconSize(QSize(64, 36))
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.doubleClicked.connect(self._double_clicked)
        self.tree.selectionModel().selectionChanged.connect(self._update_actions)
        self.model.modelReset.connect(self._after_reset)

        self.toolbar = QToolBar(self)
        self.toolbar.setIconSize(QSize(16, 16))
        self.actions_by_name: dict[str, QAction] = {}
        for name, text, icon, slot in (
                ("choose", "Use This Take", "mdi6.star-outline", self.choose_selected),
                ("trash", "Move to Trash", "mdi6.trash-can-outline", self.trash_selected),
                ("restore", "Restore from Trash", "mdi6.delete-restore", self.restore_selected),
                ("compare", "Compare Two Takes", "mdi6.compare-horizontal", self.compare_selected)):
            action = QAction(theme.icon(icon), text, self)
            action.triggered.connect(slot)
            self.actions_by_name[name] = action
            self.toolbar.addAction(action)
        self.toolbar.addSeparator()
        # Remix operations (issue 7): each opens ui.dialogs.remix.RemixDialog on the selected take.
        self.generation = None  # the window's GenerationService, set by the window; None: plan only
        for name, text, icon in (("variations", "Variations…", "mdi6.shuffle-variant"),
                                 ("remix", "Remix…", "mdi6.auto-fix"),
                                 ("extend", "Extend…", "mdi6.arrow-expand-right"),
                                 ("loop", "Loop…", "mdi6.sync"),
                                 ("blend", "Blend to next…", "mdi6.transition")):
            action = QAction(theme.icon(icon), text, self)
            action.triggered.connect(lambda *_, op=name: self.open_remix(op))
            self.actions_by_name[name] = action
            self.toolbar.addAction(action)
            self.tree.addAction(action)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.toolbar.addSeparator()
        show_trash = QAction(theme.icon("mdi6.eye-outline"), "Show Trashed Takes", self)
        show_trash.setCheckable(True)
        show_trash.setChecked(True)
        show_trash.toggled.connect(self.model.set_show_trashed)
        self.actions_by_name["show_trash"] = show_trash
        self.toolbar.addAction(show_trash)
        self.title = QLabel(self)
        self.title.setObjectName("panelHint")
        self.toolbar.addWidget(self.title)

        self.compare = None  # created on first use: it owns two decode threads
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.addWidget(self.tree)
        self.empty = QLabel("Select a shot to see its takes.", self)
        self.empty.setObjectName("panelHint")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.empty)

        self.selection.changed.connect(self._shot_changed)
        self._unsubscribe = doc.subscribe(self._on_change)
        self._shot_changed(self.selection.ids())

    def detach(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
            self._unsubscribe = None
        self.model.detach()
        if self.compare is not None:
            self.compare.shutdown()

    # ---- state -------------------------------------------------------------------------------------
    def _on_change(self, change) -> None:
        # a rename, a move or a removal changes the header's number or title
        if change.kind in (ChangeKind.PROJECT, ChangeKind.SEQUENCE, ChangeKind.SHOT_ADDED, ChangeKind.SHOT_REMOVED,
                           ChangeKind.SHOT_CHANGED, ChangeKind.SHOTS_MOVED):
            self._update_title()

    def _shot_changed(self, ids: list[str]) -> None:
        shot_id = self.selection.current()
        self.model.set_shot(shot_id)
        self._update_title()
        self.empty.setVisible(shot_id is None)
        self.splitter.setVisible(shot_id is not None)

    def _update_title(self) -> None:
        shot_id = self.selection.current()
        if shot_id:
            try:
                shot = self.doc.project.shot(shot_id)
                number = [s.id for _, s in self.doc.project.shots()].index(shot_id) + 1
                self.title.setText(f"  Shot {number}: {shot.title or 'Untitled'}")
            except Exception:
                self.title.setText("")
        else:
            self.title.setText("")

    def _after_reset(self) -> None:
        self.tree.expandAll()
        for col in range(1, len(COLUMNS)):
            self.tree.resizeColumnToContents(col)
        self._update_actions()

    def selected_take_ids(self) -> list[str]:
        rows = self.tree.selectionModel().selectedRows(0)
        return [role(i, TakeIdRole) for i in rows if role(i, TakeIdRole)]

    def select_takes(self, take_ids: list[str]) -> None:
        from PySide6.QtCore import QItemSelectionModel
        sm = self.tree.selectionModel()
        sm.clearSelection()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for take_id in take_ids:
            index = self.model.index_of(take_id)
            if index.isValid():
                sm.select(index, flags)
                sm.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)

    def _update_actions(self, *_) -> None:
        ids = self.selected_take_ids()
        takes = [self.doc.project.takes[i] for i in ids if i in self.doc.project.takes]
        ready = [t for t in takes if t.status is TakeStatus.READY]
        trashed = [t for t in takes if t.status is TakeStatus.TRASHED]
        self.actions_by_name["choose"].setEnabled(len(takes) == 1 and bool(ready))
        self.actions_by_name["trash"].setEnabled(bool(ready))
        self.actions_by_name["restore"].setEnabled(bool(trashed))
        self.actions_by_name["compare"].setEnabled(len(ready) == 2)
        for name in ("variations", "remix", "extend", "loop", "blend"):
            self.actions_by_name[name].setEnabled(len(takes) == 1 and bool(ready))

    # ---- commands ------------------------------------------------------------------------------------
    def choose_selected(self) -> None:
        ids = self.selected_take_ids()
        if len(ids) == 1:
            self.doc.execute(ChooseTake(ids[0]))

    def trash_selected(self) -> None:
        ids = [i for i in self.selected_take_ids()
               if self.doc.project.takes[i].status is TakeStatus.READY]
        if ids:
            cmds = [TrashTake(i) for i in ids]
            self.doc.execute(cmds[0] if len(cmds) == 1 else Macro(f"Trash {len(ids)} Takes", cmds))

    def restore_selected(self) -> None:
        ids = [i for i in self.selected_take_ids()
               if self.doc.project.takes[i].status is TakeStatus.TRASHED]
        if ids:
            cmds = [RestoreTake(i) for i in ids]
            self.doc.execute(cmds[0] if len(cmds) == 1 else Macro(f"Restore {len(ids)} Takes", cmds))

    def open_remix(self, operation: str = "variations"):
        """The remix dialog on the one selected take (None when not exactly one take is selected)."""
        ids = self.selected_take_ids()
        if len(ids) != 1:
            return None
        from ..dialogs.remix import RemixDialog
        dialog = RemixDialog(self.doc, ids[0], self, generation=self.generation, operation=operation)
        dialog.open()
        return dialog

    def compare_selected(self) -> bool:
        ids = self.selected_take_ids()
        if len(ids) != 2:
            return False
        return self.compare_takes(ids[0], ids[1])

    def compare_takes(self, a: str, b: str) -> bool:
        takes = [self.doc.project.take(a), self.doc.project.take(b)]
        lists = [take_playlist(self.doc, t) for t in takes]
        if None in lists:
            return False
        if self.compare is None:
            from .compare import TakeCompareWidget
            self.compare = TakeCompareWidget(self)
            self.splitter.addWidget(self.compare)
            self.splitter.setSizes([120, 300])
        labels = tuple(role(self.model.index_of(t.id)) or t.id for t in takes)
        self.compare.set_playlists(lists[0], lists[1], labels)  # type: ignore[arg-type]
        self.compare.show()
        return True

    def _double_clicked(self, index) -> None:
        take_id = role(index, TakeIdRole)
        if take_id and not role(index, IsTrashedRole):
            self.play_requested.emit(take_id)
