"""`EngineBridge`: the ONE place where engine-thread events cross to the GUI thread.

The engine runner calls its listeners on its worker thread. Widgets and the document may only be
touched on the GUI thread, so the runner's listener callbacks land here (`on_progress`, `on_state`,
`on_finished`, safe from any thread) and are re-emitted as Qt signals through queued connections:
the public signals are always emitted on the thread the bridge lives on (the GUI thread).

Progress is coalesced per job: a backend may report hundreds of steps a second, the GUI only needs
the latest one each time its event loop turns, so a burst costs one queued event, not hundreds.
Preview frames are turned into QImages on the worker thread (QImage is reentrant), off the GUI thread.
"""
from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage

from engine.jobs import GenerationResult, JobStatus, Progress


def preview_image(preview: tuple[bytes, int, int] | None) -> QImage | None:
    """Progress.preview (RGB bytes, width, height) -> an owning QImage, None when absent or malformed."""
    if not preview:
        return None
    data, width, height = preview
    if width <= 0 or height <= 0 or len(data) < width * height * 3:
        return None
    image = QImage(data, width, height, width * 3, QImage.Format.Format_RGB888)
    return image.copy()  # detach from the Python bytes, which the worker may drop


class EngineBridge(QObject):
    # public, always emitted on the GUI thread
    progress = Signal(str, str, int, int, object, object)  # job_id, stage, current, total, eta_s|None, QImage|None
    job_state = Signal(str, str)                           # job_id, JobStatus value
    job_finished = Signal(object)                          # GenerationResult
    engine_state = Signal(str)                             # one line for the status bar

    # private: posted from any thread, delivered queued on the bridge's thread
    _progress_posted = Signal(str)
    _state_posted = Signal(str, str)
    _finished_posted = Signal(object)
    _engine_posted = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._lock = threading.Lock()
        self._latest: dict[str, tuple[Progress, QImage | None]] = {}
        self._previews: dict[str, QImage] = {}
        queued = Qt.ConnectionType.QueuedConnection
        self._progress_posted.connect(self._deliver_progress, queued)
        self._state_posted.connect(self.job_state, queued)
        self._finished_posted.connect(self._deliver_finished, queued)
        self._engine_posted.connect(self.engine_state, queued)
        self._detach: list[Any] = []

    # ---- called by the runner, on its worker thread (or any thread) -----------------------------
    def on_progress(self, progress: Progress) -> None:
        image = preview_image(progress.preview)
        with self._lock:
            pending = progress.job_id in self._latest
            if image is None and pending:
                image = self._latest[progress.job_id][1]  # keep a preview a newer report did not carry
            self._latest[progress.job_id] = (progress, image)
        if not pending:
            self._progress_posted.emit(progress.job_id)

    def on_state(self, job_id: str, status: JobStatus | str) -> None:
        self._state_posted.emit(job_id, getattr(status, "value", str(status)))

    def on_finished(self, result: GenerationResult) -> None:
        self._finished_posted.emit(result)

    def on_engine_state(self, text: str) -> None:
        self._engine_posted.emit(text)

    # ---- GUI thread ------------------------------------------------------------------------------
    def _deliver_progress(self, job_id: str) -> None:
        with self._lock:
            item = self._latest.pop(job_id, None)
        if item is None:
            return
        progress, image = item
        self.progress.emit(job_id, progress.stage, int(progress.current), int(progress.total), progress.eta_s,
                           image)

    def _deliver_finished(self, result: GenerationResult) -> None:
        with self._lock:
            self._latest.pop(result.job_id, None)
        self.job_finished.emit(result)

    def attach(self, runner: Any) -> None:
        """Listen to an `engine.runner.Runner` (it calls on_state / on_progress / on_finished /
        on_engine_state on its worker thread)."""
        self._detach.append(runner.add_listener(self))

    def detach(self) -> None:
        for undo in self._detach:
            if callable(undo):
                undo()
        self._detach.clear()
