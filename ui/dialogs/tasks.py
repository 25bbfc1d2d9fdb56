"""`BackgroundTask`: run a slow studio call (export, verify, identity loading) off the GUI thread.

`fn(report, cancel)` runs on a QThreadPool thread; `report(progress)` and its return value or
exception come back as signals delivered queued on the GUI thread. `cancel` is an engine
`CancelToken` the studio functions poll. The task keeps itself alive until it has finished, so a
dialog may drop its reference.
"""
from __future__ import annotations

import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal

from engine.errors import JobCancelled
from engine.jobs import CancelToken

_RUNNING: set["BackgroundTask"] = set()


class _Runnable(QRunnable):
    def __init__(self, task: "BackgroundTask"):
        super().__init__()
        self.task = task

    def run(self) -> None:  # pool thread
        task = self.task
        try:
            result = task.fn(task._report, task.cancel_token)
        except JobCancelled:
            outcome = ("cancelled", None, "")
        except BaseException as exc:  # everything reaches the GUI as an error dialog, never a silent death
            if task.cancel_token.cancelled:
                outcome = ("cancelled", None, "")
            else:
                outcome = ("failed", exc, traceback.format_exc())
        else:
            outcome = ("succeeded", result, "")
        try:
            task._posted_done.emit(*outcome)
        except RuntimeError:  # its dialog was closed and deleted meanwhile: nobody to tell
            _RUNNING.discard(task)


class BackgroundTask(QObject):
    progress = Signal(object)        # whatever fn reported (engine.jobs.Progress for studio calls)
    succeeded = Signal(object)       # fn's return value
    failed = Signal(object, str)     # the exception, its traceback text
    cancelled = Signal()
    finished = Signal()              # after any of the three above

    _posted_progress = Signal(object)
    _posted_done = Signal(str, object, str)

    def __init__(self, fn: Callable[[Callable[[Any], None], CancelToken], Any], parent: QObject | None = None,
                 *, pool: QThreadPool | None = None):
        super().__init__(parent)
        self.fn = fn
        self.cancel_token = CancelToken()
        self.pool = pool or QThreadPool.globalInstance()
        self.running = False
        self.result: Any = None
        self.error: BaseException | None = None
        self._posted_progress.connect(self.progress, Qt.ConnectionType.QueuedConnection)
        self._posted_done.connect(self._done, Qt.ConnectionType.QueuedConnection)

    def _report(self, progress: Any) -> None:  # pool thread
        try:
            self._posted_progress.emit(progress)
        except RuntimeError:  # deleted: stop the work, nobody is listening
            self.cancel_token.cancel()

    def start(self) -> "BackgroundTask":
        self.running = True
        _RUNNING.add(self)
        self._runnable = _Runnable(self)  # the Python object must outlive its run() on the pool thread
        self._runnable.setAutoDelete(False)
        self.pool.start(self._runnable)
        return self

    def cancel(self) -> None:
        self.cancel_token.cancel()

    def _done(self, outcome: str, value: Any, details: str) -> None:
        self.running = False
        _RUNNING.discard(self)
        if outcome == "succeeded":
            self.result = value
            self.succeeded.emit(value)
        elif outcome == "failed":
            self.error = value
            self.failed.emit(value, details)
        else:
            self.cancelled.emit()
        self.finished.emit()
