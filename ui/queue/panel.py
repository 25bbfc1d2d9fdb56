"""`QueuePanel`: the generation queue. Jobs with progress bars, step previews and ETA; cancel, reorder
(priority up/down), retry; a failed job's message, suggestion and details with a copy button.

The panel never touches the engine thread: it asks its `QueueControl` (GUI thread calls into the
runner / generation service) and listens to `EngineBridge` signals, which arrive on the GUI thread.
It also keeps the storyboard's queued/rendering badges in step with the jobs.
"""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QLabel, QListView, QPushButton, QTextBrowser,
                               QToolBar, QVBoxLayout, QWidget)

from .. import theme
from .control import QueueControl
from .delegate import JobDelegate
from .model import ACTIVE, JobIdRole, JobListItemModel, JobRow
from ..qtcompat import role


class QueuePanel(QWidget):
    error_requested = Signal(object, str)  # an exception to show in the error dialog, its details
    summary_changed = Signal(str)          # one line for the status bar ('Engine: rendering 1 of 4 …')
    shot_activated = Signal(str)           # a job was double-clicked: the window selects its shot

    def __init__(self, doc, *, runner=None, bridge=None, storyboard=None, generation=None,
                 parent: QWidget | None = None, control: QueueControl | None = None):
        super().__init__(parent)
        self.setObjectName("QueuePanel")
        self.doc = doc
        self.bridge = bridge
        self.storyboard = storyboard  # ShotListItemModel, for badges (optional)
        self.model = JobListItemModel(self)
        self.control = control or QueueControl(doc, runner=runner, generation=generation)
        self.view = QListView(self)
        self.view.setModel(self.model)
        self.view.setItemDelegate(JobDelegate(self.view))
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setUniformItemSizes(True)
        self.view.selectionModel().currentChanged.connect(self._current_changed)
        self.view.doubleClicked.connect(self._double_clicked)

        self.toolbar = QToolBar(self)
        self.toolbar.setIconSize(QSize(16, 16))
        self.actions_by_name: dict[str, QAction] = {}
        for name, text, icon, slot in (
                ("cancel", "Cancel Job", "mdi6.close-circle-outline", self.cancel_selected),
                ("up", "Raise Priority", "mdi6.arrow-up-bold-outline", lambda: self.move_selected(-1)),
                ("down", "Lower Priority", "mdi6.arrow-down-bold-outline", lambda: self.move_selected(1)),
                ("retry", "Retry", "mdi6.restart", self.retry_selected),
                ("clear", "Clear Finished", "mdi6.broom", self.model.clear_finished)):
            action = QAction(theme.icon(icon), text, self)
            action.triggered.connect(lambda *_, s=slot: self._guard(s))
            self.actions_by_name[name] = action
            self.toolbar.addAction(action)
        pause = QAction(theme.icon("mdi6.pause-circle-outline"), "Pause the Engine", self)
        pause.setCheckable(True)
        pause.setToolTip("Start no new job (the running one finishes)")
        pause.toggled.connect(lambda on: self._guard(lambda: self.set_paused(on)))
        self.actions_by_name["pause"] = pause
        self.toolbar.addAction(pause)
        self.toolbar.addSeparator()
        self.summary = QLabel(self)
        self.summary.setObjectName("panelHint")
        self.toolbar.addWidget(self.summary)

        self.error_box = QWidget(self)
        self.error_text = QTextBrowser(self.error_box)
        self.error_text.setMaximumHeight(110)
        self.copy_button = QPushButton(theme.icon("mdi6.content-copy"), "Copy Details", self.error_box)
        self.copy_button.clicked.connect(self.copy_error_details)
        eb = QHBoxLayout(self.error_box)
        eb.setContentsMargins(4, 2, 4, 4)
        eb.addWidget(self.error_text, 1)
        eb.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignTop)
        self.error_box.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.error_box)

        if bridge is not None:
            bridge.progress.connect(self._on_progress)
            bridge.job_state.connect(self._on_state)
            bridge.job_finished.connect(self._on_finished)
        for job in self.control.existing_jobs():
            self._add(job)
        self.model.rowsInserted.connect(self._update_summary)
        self.model.rowsRemoved.connect(self._update_summary)
        self.model.dataChanged.connect(self._update_summary)
        self._update_summary()
        self._update_actions()

    def detach(self) -> None:
        if self.bridge is not None:
            for signal, slot in ((self.bridge.progress, self._on_progress), (self.bridge.job_state, self._on_state),
                                 (self.bridge.job_finished, self._on_finished)):
                try:
                    signal.disconnect(slot)
                except (RuntimeError, TypeError):
                    pass
        self.control.detach()

    # ---- submitting -------------------------------------------------------------------------------------
    def generate(self, shot_ids: list[str]) -> list[str]:
        """Queue generation of these shots (continuity order). Returns the job ids. Diffusion shots the
        estimate says will not fit this machine's GPU are queued only if the user says so."""
        from studio.diffusion_estimate import shots_that_do_not_fit
        too_big = shots_that_do_not_fit(self.control.doc, shot_ids, self.control.options or None, strict=False)
        if too_big and not self.confirm_too_big(too_big):
            return []
        jobs = self.control.submit_shots(shot_ids)
        for job in jobs:
            self._add(job)
        return [j.job_id for j in jobs]

    def confirm_too_big(self, shots: list[str]) -> bool:
        """Ask before queueing shots that will not fit (tests replace this)."""
        from PySide6.QtWidgets import QMessageBox
        answer = QMessageBox.question(self, "Queue shots that will not fit?",
                                      "The estimate says these shots need more memory than this machine's GPU "
                                      "has:\n\n" + "\n".join(shots) + "\n\nQueue them anyway?")
        return answer == QMessageBox.StandardButton.Yes

    def generate_missing_and_stale(self) -> list[str]:
        return self.generate(self.control.shots_needing_takes())

    def _add(self, job: JobRow) -> None:
        self.model.add_job(job)
        self._badge(job)

    # ---- actions -----------------------------------------------------------------------------------------
    def selected_job(self) -> JobRow | None:
        index = self.view.currentIndex()
        return self.model.job(role(index, JobIdRole)) if index.isValid() else None

    def select_job(self, job_id: str) -> None:
        row = self.model.row_of(job_id)
        if row is not None:
            self.view.setCurrentIndex(self.model.index(row))

    def cancel_selected(self) -> None:
        job = self.selected_job()
        if job is not None and job.status in ACTIVE:
            self.control.cancel(job.job_id)
            self._sync_waiting()

    def set_paused(self, on: bool) -> None:
        runner = self.control.runner
        if runner is None:
            return
        runner.pause() if on else runner.resume()
        self._update_summary()

    def cancel_all(self) -> None:
        for job in reversed(self.model.jobs()):  # waiting shots first, so no release races the cancel
            if job.status in ACTIVE and self.model.job(job.job_id).status in ACTIVE:
                self.control.cancel(job.job_id)
                self._sync_waiting()

    def move_selected(self, delta: int) -> bool:
        """Raise (-1) or lower (+1) the selected queued job among the jobs the engine has queued."""
        job = self.selected_job()
        if job is None or job.status != "queued" or self.control.is_waiting(job.job_id):
            return False
        order = self.control.runner_queue()
        if job.job_id not in order:
            return False
        index = order.index(job.job_id) + delta
        if not 0 <= index < len(order):
            return False
        self.control.move(job.job_id, index)
        self.model.move_job(job.job_id, delta)
        self.select_job(job.job_id)
        return True

    def retry_selected(self) -> str | None:
        job = self.selected_job()
        if job is None or job.status not in ("failed", "cancelled"):
            return None
        new = self.control.retry(job)
        if new is None:
            return None
        if new.job_id == job.job_id:
            self.model.update_job(job.job_id, status="queued", stage="", current=0, total=new.total, eta=None,
                                  error=None)
            self._badge(self.model.job(job.job_id))
        else:
            self.model.remove_job(job.job_id)
            self._add(new)
        self.select_job(new.job_id)
        self._show_error_of(self.selected_job())
        return new.job_id

    def copy_error_details(self) -> None:
        job = self.selected_job()
        if job is not None and job.error:
            QGuiApplication.clipboard().setText(self.error_report(job))
            self.copy_button.setText("Copied")

    @staticmethod
    def error_report(job: JobRow) -> str:
        error = job.error or {}
        parts = [f"Job {job.job_id} ({job.label}) failed", f"kind: {error.get('kind', '')}",
                 f"message: {error.get('message', '')}", f"suggestion: {error.get('suggestion', '')}"]
        if error.get("details"):
            parts.append(f"details:\n{error['details']}")
        return "\n".join(parts)

    # ---- bridge signals (GUI thread) ---------------------------------------------------------------------
    def _on_progress(self, job_id: str, stage: str, current: int, total: int, eta, preview) -> None:
        job = self.model.set_progress(job_id, stage, current, total, eta, preview)
        if job is not None:
            self._badge(job)

    def _on_state(self, job_id: str, status: str) -> None:
        job = self.model.job(job_id)
        if job is None:  # queued elsewhere (the inspector, a released waiting shot, a recovered job)
            self._sync_waiting()
            job = self.model.job(job_id)
            if job is None:
                row = self.control.row_for_job(job_id)
                if row is None:
                    return
                self._add(row)
                job = row
        # submit() and retry() announce 'queued' on the calling thread after the worker may already have
        # started (or even finished) the job: a late 'queued' must not take it back. The panel marks
        # its own submissions and retries as queued itself.
        if status == "queued" and job.status != "queued":
            return
        job = self.model.update_job(job_id, status=status, node=self.control.worker_of(job_id) or None)
        self._badge(job)
        self._update_actions()

    def _sync_waiting(self) -> None:
        """Waiting rows whose shot was submitted become that job; dropped ones show as cancelled."""
        for placeholder, row in self.control.sync_waiting():
            if row is not None:
                self.model.replace_job(placeholder, row)
                self._badge(row)
            else:
                job = self.model.update_job(placeholder, status="cancelled", stage="")
                if job is not None:
                    self._badge(job)
        self._update_actions()

    def _on_finished(self, result) -> None:
        status = getattr(result.status, "value", str(result.status))
        error = result.error.to_dict() if getattr(result, "error", None) is not None else None
        job = self.model.update_job(result.job_id, status=status, error=error,
                                    current=max(0, result.frames) if status == "done" else None)
        try:
            self.control.finished(result)
        except Exception as exc:  # recording the take failed: the user must hear about it
            self.error_requested.emit(exc, "")
        self._sync_waiting()
        if job is not None:
            self._badge(job)
        self._update_actions()
        self._show_error_of(self.selected_job())

    # ---- view state ------------------------------------------------------------------------------------
    def _badge(self, job: JobRow) -> None:
        if self.storyboard is not None and job.shot_id:
            status = job.status if job.status in ACTIVE else None
            self.storyboard.set_job_state(job.shot_id, status, job.fraction)

    def _double_clicked(self, index) -> None:
        job = self.model.job(role(index, JobIdRole)) if index.isValid() else None
        if job is not None and job.shot_id:
            self.shot_activated.emit(job.shot_id)

    def _current_changed(self, *_):
        self._update_actions()
        self._show_error_of(self.selected_job())

    def _show_error_of(self, job: JobRow | None) -> None:
        if job is None or not job.error:
            self.error_box.hide()
            return
        error = job.error
        self.error_text.setHtml(
            f"<b style='color:{theme.DANGER.name()}'>{_esc(error.get('message', ''))}</b><br>"
            f"<span>{_esc(error.get('suggestion', ''))}</span><br>"
            f"<span style='color:{theme.TEXT_DIM.name()}'>{_esc(error.get('kind', ''))}</span>")
        self.copy_button.setText("Copy Details")
        self.error_box.show()

    def _update_actions(self, *_):
        job = self.selected_job()
        status = job.status if job else ""
        self.actions_by_name["cancel"].setEnabled(status in ACTIVE)
        movable = status == "queued" and job is not None and not self.control.is_waiting(job.job_id)
        self.actions_by_name["up"].setEnabled(movable)
        self.actions_by_name["down"].setEnabled(movable)
        self.actions_by_name["retry"].setEnabled(status in ("failed", "cancelled"))
        self.actions_by_name["pause"].setEnabled(self.control.available)

    def _update_summary(self, *_):
        jobs = self.model.jobs()
        running = [j for j in jobs if j.status == "running"]
        queued = sum(j.status == "queued" for j in jobs)
        failed = sum(j.status == "failed" for j in jobs)
        text = f"  {len(running)} running · {queued} queued" + (f" · {failed} failed" if failed else "")
        if not self.control.available:
            text = "  Generation is off: " + self.control.unavailable_reason
            engine = "Engine: off"
        elif running:
            job = running[0]
            eta = f" · {job.eta:.0f}s left" if job.eta else ""
            engine = f"Engine: {job.label} ({int(job.fraction * 100)}%){eta} · {queued} queued"
        else:
            engine = f"Engine: idle · {queued} queued" if queued else "Engine: idle"
        if self.control.runner is not None and self.control.runner.paused:
            engine = f"Engine: paused · {queued} queued"
        self.summary.setText(text)
        self.summary_changed.emit(engine)
        self._update_actions()

    def _guard(self, slot) -> None:
        try:
            slot()
        except Exception as exc:
            self.error_requested.emit(exc, "")


def _esc(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
