"""`JobListItemModel`: the generation queue as a Qt list: one row per job, in queue order.

Fed on the GUI thread only: jobs are added when they are submitted (or found in the runner at start),
and `EngineBridge` signals update progress, state and results. Rows keep finished jobs until cleared,
so a failure stays readable (with its suggestion) after the queue moves on.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from PySide6.QtCore import QAbstractListModel, QByteArray, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QImage

JobIdRole = Qt.ItemDataRole.UserRole + 1
ShotIdRole = Qt.ItemDataRole.UserRole + 2
StatusRole = Qt.ItemDataRole.UserRole + 3     # queued / running / done / failed / cancelled
StageRole = Qt.ItemDataRole.UserRole + 4
FractionRole = Qt.ItemDataRole.UserRole + 5   # 0..1
EtaRole = Qt.ItemDataRole.UserRole + 6        # seconds or None
PreviewRole = Qt.ItemDataRole.UserRole + 7    # QImage or None: the latest step preview
ErrorRole = Qt.ItemDataRole.UserRole + 8      # {'kind','message','suggestion','details'} or None
StepsRole = Qt.ItemDataRole.UserRole + 9      # (current, total)

ACTIVE = ("queued", "running")
FINISHED = ("done", "failed", "cancelled")


@dataclass
class JobRow:
    job_id: str
    shot_id: str = ""
    label: str = ""
    status: str = "queued"
    stage: str = ""
    current: int = 0
    total: int = 0
    eta: float | None = None
    preview: QImage | None = None
    error: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def fraction(self) -> float:
        if self.status == "done":
            return 1.0
        return max(0.0, min(1.0, self.current / self.total)) if self.total else 0.0


def _tooltip(job: "JobRow") -> str:
    text = f"{job.label or 'A job'}\n{job.status}"
    if job.error:
        text += f": {job.error.get('message', '')}"
    return text


# What each role shows of a row: one table instead of a chain of ifs.
_ROLE_VALUES: dict[int, Callable[["JobRow"], Any]] = {int(role): fn for role, fn in {
    Qt.ItemDataRole.DisplayRole: lambda job: job.label or "A job",
    Qt.ItemDataRole.ToolTipRole: _tooltip,
    JobIdRole: lambda job: job.job_id,
    ShotIdRole: lambda job: job.shot_id,
    StatusRole: lambda job: job.status,
    StageRole: lambda job: job.stage,
    FractionRole: lambda job: job.fraction,
    EtaRole: lambda job: job.eta,
    PreviewRole: lambda job: job.preview,
    ErrorRole: lambda job: job.error,
    StepsRole: lambda job: (job.current, job.total),
}.items()}


class JobListItemModel(QAbstractListModel):
    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._rows: list[JobRow] = []

    # ---- content ------------------------------------------------------------------------------------
    def jobs(self) -> list[JobRow]:
        return list(self._rows)

    def job(self, job_id: str) -> JobRow | None:
        row = self.row_of(job_id)
        return self._rows[row] if row is not None else None

    def row_of(self, job_id: str) -> int | None:
        for i, row in enumerate(self._rows):
            if row.job_id == job_id:
                return i
        return None

    def _active_count(self, skip: int = -1) -> int:
        return sum(1 for i, j in enumerate(self._rows) if i != skip and j.status in ACTIVE)

    def add_job(self, job: JobRow) -> None:
        """Active jobs are listed first (in queue order), finished ones after them, newest first."""
        if self.row_of(job.job_id) is not None:
            self.update_job(job.job_id, status=job.status, label=job.label or None)
            return
        at = self._active_count() if job.status in ACTIVE else len(self._rows)
        self.beginInsertRows(QModelIndex(), at, at)
        self._rows.insert(at, job)
        self.endInsertRows()

    def update_job(self, job_id: str, **values: Any) -> JobRow | None:
        row = self.row_of(job_id)
        if row is None:
            return None
        job = self._rows[row]
        was_active = job.status in ACTIVE
        for name, value in values.items():
            if value is not None or name in ("eta", "error"):
                setattr(job, name, value)
        index = self.index(row)
        self.dataChanged.emit(index, index)
        if was_active != (job.status in ACTIVE):
            # finished: first of the finished group; retried: last of the active group
            self._move_row(row, self._active_count(skip=row))
        return job

    def _move_row(self, row: int, target: int) -> None:
        """Move `row` so it ends up at index `target`."""
        if target == row:
            return
        dest = target + 1 if target > row else target
        if self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), dest):
            self._rows.insert(target, self._rows.pop(row))
            self.endMoveRows()

    def set_progress(self, job_id: str, stage: str, current: int, total: int, eta: float | None,
                     preview: QImage | None) -> JobRow | None:
        job = self.job(job_id)
        if job is None:
            return None
        status = "running" if job.status == "queued" else job.status
        return self.update_job(job_id, stage=stage, current=current, total=total, eta=eta, status=status,
                               preview=preview if preview is not None else job.preview)

    def replace_job(self, old_id: str, job: JobRow) -> None:
        """Put `job` where `old_id` was (a waiting shot became an engine job)."""
        row = self.row_of(old_id)
        if row is None:
            self.add_job(job)
            return
        existing = self.row_of(job.job_id)
        if existing is not None and existing != row:
            self.remove_job(old_id)
            return
        self._rows[row] = job
        index = self.index(row)
        self.dataChanged.emit(index, index)

    def remove_job(self, job_id: str) -> None:
        row = self.row_of(job_id)
        if row is not None:
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._rows[row]
            self.endRemoveRows()

    def clear_finished(self) -> None:
        for job in [j for j in self._rows if j.status in FINISHED]:
            self.remove_job(job.job_id)

    def move_job(self, job_id: str, delta: int) -> bool:
        """Reorder among the queued jobs (a running job stays where it is)."""
        row = self.row_of(job_id)
        if row is None or self._rows[row].status != "queued":
            return False
        target = row + delta
        if not 0 <= target < len(self._rows) or self._rows[target].status != "queued":
            return False
        dest = target + 1 if delta > 0 else target
        if not self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), dest):
            return False
        job = self._rows.pop(row)
        self._rows.insert(target, job)
        self.endMoveRows()
        return True

    def queued_order(self) -> list[str]:
        return [j.job_id for j in self._rows if j.status == "queued"]

    # ---- Qt ----------------------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows) or index.column() != 0:
            return None
        job = self._rows[index.row()]
        getter = _ROLE_VALUES.get(int(role))
        return getter(job) if getter is not None else None

    def roleNames(self) -> dict[int, QByteArray]:
        names = dict(super().roleNames())
        for role, name in ((JobIdRole, b"jobId"), (StatusRole, b"status"), (FractionRole, b"fraction"),
                           (EtaRole, b"eta"), (PreviewRole, b"preview"), (ErrorRole, b"error")):
            names[int(role)] = QByteArray(name)
        return names
