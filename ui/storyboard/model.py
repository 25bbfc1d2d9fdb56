"""`ShotListItemModel`: the shots of the whole cut (every scene, in order) as a flat Qt list model.

Who uses it: the storyboard's icon-mode list view, the benchmark. It reads the document and never
changes it directly: moving rows (drag and drop, `moveRows`) executes `MoveShot` commands, and the
model follows the document's `Change` notifications like any other view. Row n is shot number n+1,
the numbering `Project.resolve_shot` and the edit list use.
"""
from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QAbstractListModel, QByteArray, QMimeData, QModelIndex, QObject, QPersistentModelIndex, Qt

from engine.cues import AudioKind, CameraMove
from studio.commands import Change, ChangeKind, Macro, MoveShot
from studio.consent import withdrawn_takes
from studio.continuity import stale_shots
from studio.model import Shot, TakeStatus
from studio.timebase import format_duration

from .thumbnails import ThumbnailLoader

MIME_TYPE = "application/x-shotreel-shot-ids"

ShotIdRole = Qt.ItemDataRole.UserRole + 1
NumberRole = Qt.ItemDataRole.UserRole + 2
DurationRole = Qt.ItemDataRole.UserRole + 3       # frames
DurationTextRole = Qt.ItemDataRole.UserRole + 4   # '3.0s (72f)'
CuesRole = Qt.ItemDataRole.UserRole + 5           # list of 'camera' / 'dialogue' / 'sfx' / 'ambience' / 'music'
StaleRole = Qt.ItemDataRole.UserRole + 6          # why the take is stale, '' when it is not
JobRole = Qt.ItemDataRole.UserRole + 7            # ('queued'|'running', fraction 0..1) or None
ThumbnailRole = Qt.ItemDataRole.UserRole + 8      # QImage or None (placeholder painted by the delegate)
SequenceRole = Qt.ItemDataRole.UserRole + 9       # scene id
HasTakeRole = Qt.ItemDataRole.UserRole + 10       # a usable take is selected
CameraTextRole = Qt.ItemDataRole.UserRole + 11    # 'MS · pan right'
CardKeyRole = Qt.ItemDataRole.UserRole + 12       # changes whenever what the card shows changes (paint cache key)
WithdrawnRole = Qt.ItemDataRole.UserRole + 13     # why the selected take's likeness is withdrawn, '' when not

_STRUCTURE = {ChangeKind.PROJECT, ChangeKind.SEQUENCE, ChangeKind.SHOT_ADDED, ChangeKind.SHOT_REMOVED,
              ChangeKind.SHOTS_MOVED}


def shot_cues(shot: Shot) -> list[str]:
    cues = []
    if shot.camera.move is not CameraMove.STATIC:
        cues.append("camera")
    kinds = {a.kind for a in shot.audio}
    if shot.dialogue.strip() or AudioKind.DIALOGUE in kinds:
        cues.append("dialogue")
    for kind in (AudioKind.SFX, AudioKind.AMBIENCE, AudioKind.MUSIC):
        if kind in kinds:
            cues.append(kind.value)
    return cues


class ShotListItemModel(QAbstractListModel):
    def __init__(self, doc, parent: QObject | None = None, *, loader: ThumbnailLoader | None = None):
        super().__init__(parent)
        self.doc = doc
        self.loader = loader or ThumbnailLoader(self)
        self.loader.loaded.connect(self._thumbnail_loaded)
        self._ids: list[str] = []
        self._shots: dict[str, Shot] = {}
        self._seq_of: dict[str, str] = {}
        self._row_of: dict[str, int] = {}
        self._stale: dict[str, str] = {}
        self._withdrawn: dict[str, str] = {}
        self._jobs: dict[str, tuple[str, float]] = {}
        self._thumb_path: dict[str, str] = {}
        self._rows_of_path: dict[str, set[str]] = {}
        self._snapshot()
        self._unsubscribe = doc.subscribe(self._on_change)

    def detach(self) -> None:
        """Stop following the document (the window calls this before closing it)."""
        if self._unsubscribe:
            self._unsubscribe()
            self._unsubscribe = None

    # ---- reading the document ---------------------------------------------------------------------
    def _snapshot(self) -> None:
        project = self.doc.project
        self._ids, self._shots, self._seq_of = [], {}, {}
        for seq, shot in project.shots():
            self._ids.append(shot.id)
            self._shots[shot.id] = shot
            self._seq_of[shot.id] = seq.id
        self._row_of = {shot_id: row for row, shot_id in enumerate(self._ids)}
        self._stale = stale_shots(project)
        self._withdrawn = self._withdrawn_shots()
        self._thumb_path.clear()
        self._rows_of_path.clear()

    def _on_change(self, change: Change) -> None:
        if change.kind in _STRUCTURE:
            self._sync_structure()
        elif change.kind in (ChangeKind.SHOT_CHANGED, ChangeKind.TAKE_RECORDED, ChangeKind.TAKE_CHANGED,
                             ChangeKind.BIBLE):
            old_stale, old_withdrawn = self._stale, self._withdrawn
            self._snapshot_values()
            ids = set(change.ids) if change.kind is ChangeKind.SHOT_CHANGED else set()
            if change.kind in (ChangeKind.TAKE_RECORDED, ChangeKind.TAKE_CHANGED):
                project = self.doc.project
                ids |= {project.takes[t].shot_id for t in change.ids if t in project.takes}
            ids |= {i for i in set(old_stale) ^ set(self._stale)}
            ids |= {i for i in self._stale if old_stale.get(i) != self._stale[i]}
            ids |= {i for i in set(old_withdrawn) | set(self._withdrawn)
                    if old_withdrawn.get(i) != self._withdrawn.get(i)}
            for shot_id in ids:
                self._thumb_path.pop(shot_id, None)
                self._emit_row(shot_id)

    def _snapshot_values(self) -> None:
        for seq, shot in self.doc.project.shots():
            self._shots[shot.id] = shot
        self._stale = stale_shots(self.doc.project)
        self._withdrawn = self._withdrawn_shots()

    def _withdrawn_shots(self) -> dict[str, str]:
        """shot id -> why its selected take's likeness is withdrawn (studio.consent; a revocation marks it)."""
        project = self.doc.project
        takes = withdrawn_takes(project, self.doc.folder)
        return {s.id: takes[s.selected_take] for _, s in project.shots() if s.selected_take in takes}

    def _sync_structure(self) -> None:
        """Turn a structural change into the smallest Qt signal (insert, remove, move) so views keep
        their selection and scroll position; anything else is a reset."""
        old = self._ids
        new = [shot.id for _, shot in self.doc.project.shots()]
        if new == old:
            self._snapshot()
            self.dataChanged.emit(self.index(0), self.index(max(0, len(new) - 1)))
            return
        if len(new) == len(old) + 1:
            row = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), len(old))
            if new[:row] + new[row + 1:] == old:
                self.beginInsertRows(QModelIndex(), row, row)
                self._snapshot()
                self.endInsertRows()
                return
        if len(new) == len(old) - 1:
            row = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), len(new))
            if old[:row] + old[row + 1:] == new:
                self.beginRemoveRows(QModelIndex(), row, row)
                self._snapshot()
                self.endRemoveRows()
                return
        if len(new) == len(old) and set(new) == set(old):
            moved = _single_move(old, new)
            if moved is not None:
                src, dest = moved
                if self.beginMoveRows(QModelIndex(), src, src, QModelIndex(), dest):
                    self._snapshot()
                    self.endMoveRows()
                    return
        self.beginResetModel()
        self._snapshot()
        self.endResetModel()

    def _emit_row(self, shot_id: str) -> None:
        row = self._row_of.get(shot_id)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index)

    # ---- badges fed by the queue ----------------------------------------------------------------
    def set_job_state(self, shot_id: str, status: str | None, fraction: float = 0.0) -> None:
        """Show a queued/rendering badge on a shot (None clears it). Called on the GUI thread."""
        before = self._jobs.get(shot_id)
        if status in ("queued", "running"):
            self._jobs[shot_id] = (status, max(0.0, min(1.0, fraction)))
        else:
            self._jobs.pop(shot_id, None)
        if self._jobs.get(shot_id) != before:
            self._emit_row(shot_id)

    # ---- look-ups ---------------------------------------------------------------------------------
    def shot_ids(self) -> list[str]:
        return list(self._ids)

    def row_of(self, shot_id: str) -> int | None:
        return self._row_of.get(shot_id)

    def shot_at(self, row: int) -> Shot | None:
        if 0 <= row < len(self._ids):
            return self._shots.get(self._ids[row])
        return None

    def thumbnail_path(self, shot: Shot) -> str:
        """The selected take's thumbnail, else the board drawing, else '' (placeholder)."""
        cached = self._thumb_path.get(shot.id)
        if cached is not None:
            return cached
        path = ""
        project = self.doc.project
        take = project.takes.get(shot.selected_take) if shot.selected_take else None
        rel = ""
        if take is not None and take.status is TakeStatus.READY:
            rel = take.files.get("thumbnail", "")
        if not rel:
            rel = shot.board_image
        if rel:
            try:
                path = str(self.doc.abspath(rel))
            except Exception:  # a path outside the folder: show the placeholder
                path = ""
        self._thumb_path[shot.id] = path
        if path:
            self._rows_of_path.setdefault(path, set()).add(shot.id)
        return path

    def _thumbnail_loaded(self, path: str) -> None:
        for shot_id in self._rows_of_path.get(path, ()):
            self._emit_row(shot_id)

    # ---- Qt model API -----------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._ids)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids) or index.column() != 0:
            return None
        shot_id = self._ids[index.row()]
        shot = self._shots[shot_id]
        if role == Qt.ItemDataRole.DisplayRole:
            return shot.title or f"Shot {index.row() + 1}"
        if role == ShotIdRole:
            return shot_id
        if role == NumberRole:
            return index.row() + 1
        if role == DurationRole:
            return shot.duration
        if role == DurationTextRole:
            return format_duration(shot.duration, self.doc.project.fps)
        if role == CuesRole:
            return shot_cues(shot)
        if role == StaleRole:
            return self._stale.get(shot_id, "")
        if role == WithdrawnRole:
            return self._withdrawn.get(shot_id, "")
        if role == JobRole:
            return self._jobs.get(shot_id)
        if role == ThumbnailRole:
            return self.loader.image(self.thumbnail_path(shot))
        if role == SequenceRole:
            return self._seq_of[shot_id]
        if role == HasTakeRole:
            take = self.doc.project.takes.get(shot.selected_take) if shot.selected_take else None
            return take is not None and take.status is TakeStatus.READY
        if role == CardKeyRole:
            return (shot, index.row(), self.data(index, HasTakeRole), self.doc.project.fps)
        if role == CameraTextRole:
            cam = shot.camera
            move = cam.move.value.replace("_", " ")
            if cam.move is not CameraMove.STATIC and cam.direction.value and cam.direction.value not in move:
                move += f" {cam.direction.value}"
            return f"{cam.shot_size.value} · {move} · {cam.lens_mm:g}mm"
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [f"{index.row() + 1}. {shot.title or 'Untitled'}"]
            if shot.prompt:
                lines.append(shot.prompt[:200])
            if self._stale.get(shot_id):
                lines.append(f"Stale: {self._stale[shot_id]}")
            if self._withdrawn.get(shot_id):
                lines.append(f"⚠ {self._withdrawn[shot_id]}: replace the take or remove the shot to export")
            return "\n".join(lines)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"Shot {index.row() + 1} {shot.title}"
        return None

    def roleNames(self) -> dict[int, QByteArray]:
        names = dict(super().roleNames())
        for role, name in ((ShotIdRole, b"shotId"), (NumberRole, b"number"), (DurationRole, b"duration"),
                           (CuesRole, b"cues"), (StaleRole, b"stale"), (JobRole, b"job"),
                           (ThumbnailRole, b"thumbnail")):
            names[int(role)] = QByteArray(name)
        return names

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        return (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
                | Qt.ItemFlag.ItemNeverHasChildren)

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [MIME_TYPE]

    def mimeData(self, indexes) -> QMimeData:
        ids = [self._ids[i.row()] for i in sorted(indexes, key=lambda i: i.row())
               if i.isValid() and 0 <= i.row() < len(self._ids)]
        mime = QMimeData()
        mime.setData(MIME_TYPE, QByteArray(json.dumps(ids).encode()))
        return mime

    def canDropMimeData(self, data, action, row, column, parent) -> bool:
        return data is not None and data.hasFormat(MIME_TYPE) and action == Qt.DropAction.MoveAction

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                     parent: QModelIndex | QPersistentModelIndex) -> bool:
        """Drop shots before `row` (or onto `parent`'s row; -1: at the end) as MoveShot commands.
        Returns False after moving so a MoveAction drag never asks the view to delete the source rows."""
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        try:
            ids = [str(i) for i in json.loads(bytes(data.data(MIME_TYPE)).decode())]
        except (ValueError, UnicodeDecodeError):
            return False
        if row < 0:
            row = parent.row() if parent.isValid() else len(self._ids)
        self.move_shots(ids, row)
        return False

    def moveRows(self, source_parent, source_row: int, count: int, destination_parent,
                 destination_child: int) -> bool:
        """Qt's move API (QListView's internal drag uses it): executes MoveShot commands."""
        if source_parent.isValid() or destination_parent.isValid() or count <= 0:
            return False
        if source_row < 0 or source_row + count > len(self._ids) or not 0 <= destination_child <= len(self._ids):
            return False
        if source_row <= destination_child <= source_row + count:
            return False  # onto itself: Qt's contract says refuse
        return self.move_shots(self._ids[source_row:source_row + count], destination_child)

    def move_shots(self, ids: list[str], before_row: int) -> bool:
        """Move `ids` (kept in cut order) so they sit before the shot now at `before_row` (in the scene of
        that shot; past the end: the end of the last scene). One undo step."""
        ids = [i for i in self._ids if i in set(ids)]
        if not ids:
            return False
        project = self.doc.project
        rest = [i for i in self._ids if i not in set(ids)]
        anchor = next((i for i in self._ids[max(0, before_row):] if i not in set(ids)), None)
        if anchor is not None:
            seq_id = self._seq_of[anchor]
        else:
            seq_id = project.sequences[-1].id if project.sequences else None
        if seq_id is None:
            return False
        # the target order inside the destination scene, then one MoveShot per id (its final index)
        dest_rest = [i for i in rest if self._seq_of[i] == seq_id]
        at = dest_rest.index(anchor) if anchor is not None else len(dest_rest)
        final = dest_rest[:at] + ids + dest_rest[at:]
        if all(self._seq_of[i] == seq_id for i in ids) and \
                [i for i in self._ids if self._seq_of[i] == seq_id] == final:
            return False  # nothing would change
        # Place each moved shot right after its final predecessor, simulating the scene as the commands
        # will run: distinct shots have distinct predecessors, so no placement splits an earlier one.
        current = [i for i in self._ids if self._seq_of[i] == seq_id]
        commands = []
        for shot_id in ids:
            if shot_id in current:
                current.remove(shot_id)
            at_final = final.index(shot_id)
            index = current.index(final[at_final - 1]) + 1 if at_final else 0
            current.insert(index, shot_id)
            commands.append(MoveShot(shot_id, seq_id, index))
        command = commands[0] if len(commands) == 1 else Macro(f"Move {len(ids)} Shots", commands)
        self.doc.execute(command)
        return True


def _single_move(old: list[str], new: list[str]) -> tuple[int, int] | None:
    """(source row, Qt destination row) when `new` is `old` with one item moved, else None."""
    n = len(old)
    first = next((i for i in range(n) if old[i] != new[i]), None)
    if first is None:
        return None
    last = next(i for i in range(n - 1, -1, -1) if old[i] != new[i])
    if old[first] == new[last] and old[first + 1:last + 1] == new[first:last]:
        return first, last + 1          # moved down: Qt's destination is the row after
    if old[last] == new[first] and old[first:last] == new[first + 1:last + 1]:
        return last, first              # moved up
    return None
