"""`QueueControl`: what the queue panel asks of the engine, on the GUI thread.

Generation goes through the studio's `GenerationService` (continuity order, late request building,
take recording); queue operations (cancel, reorder, retry) go to its `engine.runner.Runner`. A shot
that waits for its upstream's new take has no engine job yet: it is shown as a 'waiting' row with a
placeholder id until the service submits it.
"""
from __future__ import annotations

from typing import Any, Mapping

from studio.continuity import stale_shots
from studio.model import TakeStatus

from ..labels import operation_name
from .model import JobRow

WAITING_PREFIX = "waiting:"
WAITING_STAGE = "waiting for the previous shot"


class QueueControl:
    def __init__(self, doc, *, runner: Any = None, generation: Any = None,
                 options: Mapping[str, Any] | None = None):
        if generation is None and runner is not None:
            from studio.generate import GenerationService
            generation = GenerationService(doc, runner)
        self.doc = doc
        self.generation = generation
        self.runner = generation.runner if generation is not None else runner
        self.options = dict(options or {})  # backend options for every request
        self._waiting: dict[str, str] = {}  # placeholder id -> shot id

    @property
    def available(self) -> bool:
        return self.generation is not None

    @property
    def unavailable_reason(self) -> str:
        return "" if self.available else "no engine runner is running for this project"

    def detach(self) -> None:
        self._waiting.clear()

    # ---- rows ------------------------------------------------------------------------------------------
    def label_for(self, shot_id: str, operation: str = "generate") -> str:
        """'Variation · 2. The empty quay': what the job does, to which shot (never an id)."""
        verb = operation_name(operation)
        for number, (_, shot) in enumerate(self.doc.project.shots(), start=1):
            if shot.id == shot_id:
                return f"{verb} · {number}. {shot.title or 'Untitled'}"
        return f"{verb} · a removed shot" if shot_id else verb

    def row_for_job(self, job_id: str) -> JobRow | None:
        """A row for a job of the runner (queued by anyone: this panel, the inspector, a recovery)."""
        if self.runner is None:
            return None
        try:
            record = self.runner.get(job_id)
        except Exception:
            return None
        request = record.request
        error = record.error.to_dict() if record.error is not None else None
        return JobRow(record.job_id, request.shot_id, self.label_for(request.shot_id, request.operation),
                      record.status.value,
                      error=error, total=request.frames, extra={"operation": request.operation})

    def existing_jobs(self) -> list[JobRow]:
        if self.runner is None:
            return []
        records = self.runner.jobs()  # running, queued in order, finished oldest first
        active = [r for r in records if not r.finished]
        finished = [r for r in records if r.finished][::-1]  # newest first, as the panel lists them
        return [row for row in (self.row_for_job(r.job_id) for r in active + finished) if row is not None]

    def shots_needing_takes(self) -> list[str]:
        """Shots with no usable take, and stale shots, in cut order."""
        project = self.doc.project
        stale = stale_shots(project)
        out = []
        for _, shot in project.shots():
            take = project.takes.get(shot.selected_take) if shot.selected_take else None
            if take is None or take.status is not TakeStatus.READY or shot.id in stale:
                out.append(shot.id)
        return out

    # ---- submitting ------------------------------------------------------------------------------------
    def submit_shots(self, shot_ids: list[str]) -> list[JobRow]:
        if self.generation is None:
            raise RuntimeError("generation is not available: " + self.unavailable_reason)
        before = set(self.generation.deferred_shots())
        job_ids = self.generation.queue_shots(shot_ids, options=self.options or None)
        rows = [row for row in (self.row_for_job(j) for j in job_ids) if row is not None]
        for shot_id in self.generation.deferred_shots():
            if shot_id not in before:
                placeholder = WAITING_PREFIX + shot_id
                self._waiting[placeholder] = shot_id
                rows.append(JobRow(placeholder, shot_id, self.label_for(shot_id), "queued", stage=WAITING_STAGE,
                                   extra={"waiting": True}))
        order = {shot.id: n for n, (_, shot) in enumerate(self.doc.project.shots())}
        rows.sort(key=lambda r: order.get(r.shot_id, 0))
        return rows

    def is_waiting(self, job_id: str) -> bool:
        return job_id in self._waiting

    def sync_waiting(self) -> list[tuple[str, JobRow | None]]:
        """Placeholders whose shot is no longer waiting: (placeholder id, the engine job it became, or
        None when it was dropped because its upstream failed or was cancelled)."""
        if self.generation is None:
            return []
        deferred = set(self.generation.deferred_shots())
        active = {r.request.shot_id: r.job_id for r in self.runner.jobs() if not r.finished}
        changed = []
        for placeholder, shot_id in list(self._waiting.items()):
            if shot_id in deferred:
                continue
            del self._waiting[placeholder]
            job_id = active.get(shot_id)
            changed.append((placeholder, self.row_for_job(job_id) if job_id else None))
        return changed

    # ---- queue operations -----------------------------------------------------------------------------
    def cancel(self, job_id: str) -> None:
        if job_id in self._waiting:
            self.generation.cancel_shot(self._waiting[job_id])
            return
        self.runner.cancel(job_id)

    def move(self, job_id: str, queued_index: int) -> None:
        """Place a queued job at `queued_index` of the runner's queue order."""
        self.runner.reorder(job_id, queued_index)

    def runner_queue(self) -> list[str]:
        return self.runner.queued_ids() if self.runner is not None else []

    def retry(self, job: JobRow) -> JobRow | None:
        if job.job_id in self._waiting or job.job_id.startswith(WAITING_PREFIX):
            rows = self.submit_shots([job.shot_id])  # dropped before it ever ran: queue the shot now
            return rows[0] if rows else None
        self.runner.retry(job.job_id)
        return JobRow(job.job_id, job.shot_id, job.label, "queued", total=job.total)

    # ---- results (GUI thread) ----------------------------------------------------------------------------
    def finished(self, result: Any) -> None:
        """A job ended: the service records its take and releases (or drops) the shots waiting on it."""
        if self.generation is not None:
            self.generation.handle_finished(result)
