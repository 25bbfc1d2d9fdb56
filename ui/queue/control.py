"""`QueueControl`: what the queue panel asks of the engine, on the GUI thread.

With the studio's generation service (`studio.generate.GenerationService`, passed as `generation`)
the panel should delegate to it; until that service lands, this talks to `engine.runner.Runner`
directly: requests from `studio.prompting.build_request`, takes recorded with
`studio.takes.take_from_result` + `Document.record_take` when a job finishes (on the GUI thread, from
the bridge's `job_finished`).

Continuity order: a shot whose continuity is 'previous' starts from the previous shot's selected take,
so when both are queued together the later one waits (a 'waiting' row, not yet in the runner) until
the earlier one's take is recorded, and is only then built and submitted. If the earlier one fails or
is cancelled, the shots waiting on it are cancelled too.
"""
from __future__ import annotations

from typing import Any, Callable

from engine.jobs import GenerationRequest, JobStatus
from studio.continuity import stale_shots
from studio.model import Continuity, TakeStatus, new_id

from .model import JobRow

WAITING_STAGE = "waiting for the previous shot"


class QueueControl:
    def __init__(self, doc, *, runner: Any = None, generation: Any = None,
                 request_options: dict[str, Any] | None = None):
        self.doc = doc
        self.runner = runner
        self.generation = generation
        self.request_options = dict(request_options or {})  # overrides for every request (tests: small frames)
        self.notify: Callable[..., None] = lambda job_id, **values: None  # the panel updates its rows
        self._requests: dict[str, GenerationRequest] = {}  # submitted job id -> request (to record its take)
        self._waiting: dict[str, tuple[str, str]] = {}     # waiting job id -> (shot id, upstream job id)

    @property
    def available(self) -> bool:
        return self.runner is not None

    @property
    def unavailable_reason(self) -> str:
        return "" if self.available else "no engine runner is running for this project"

    def detach(self) -> None:
        self._requests.clear()
        self._waiting.clear()

    # ---- reading ---------------------------------------------------------------------------------------
    def label_for(self, shot_id: str) -> str:
        for number, (_, shot) in enumerate(self.doc.project.shots(), start=1):
            if shot.id == shot_id:
                return f"{number}. {shot.title or 'Untitled'}"
        return shot_id or "job"

    def _row(self, record: Any) -> JobRow:
        request = record.request
        error = record.error.to_dict() if getattr(record, "error", None) is not None else None
        return JobRow(record.job_id, request.shot_id, self.label_for(request.shot_id), record.status.value,
                      error=error, total=request.frames)

    def existing_jobs(self) -> list[JobRow]:
        """Jobs the runner already has (recovered from the last session): they record takes too."""
        if self.runner is None:
            return []
        rows = []
        for record in self.runner.jobs():
            if not record.finished:
                self._requests[record.job_id] = record.request
            rows.append(self._row(record))
        return rows

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
        if self.runner is None:
            raise RuntimeError("generation is not available: " + self.unavailable_reason)
        project = self.doc.project
        wanted = set(shot_ids)
        rows: list[JobRow] = []
        job_of_shot: dict[str, str] = {}
        for seq, shot in project.shots():  # cut order, so an upstream is always handled first
            if shot.id not in wanted:
                continue
            index = seq.index_of(shot.id)
            upstream = seq.shots[index - 1].id if index > 0 else None
            waits_on = job_of_shot.get(upstream) if upstream and shot.continuity is Continuity.PREVIOUS else None
            if waits_on is not None:
                job_id = new_id("tk")
                self._waiting[job_id] = (shot.id, waits_on)
                rows.append(JobRow(job_id, shot.id, self.label_for(shot.id), "queued", stage=WAITING_STAGE,
                                   extra={"waiting": True}))
            else:
                request = self._submit(shot.id)
                job_id = request.job_id
                rows.append(JobRow(job_id, shot.id, self.label_for(shot.id), "queued", total=request.frames))
            job_of_shot[shot.id] = job_id
        return rows

    def _submit(self, shot_id: str, job_id: str | None = None) -> GenerationRequest:
        from studio.prompting import build_request
        request = build_request(self.doc.project, self.doc.folder, shot_id, job_id=job_id)
        if self.request_options:
            request = request.with_(**self.request_options)
        self._requests[request.job_id] = request
        self.runner.submit(request)
        return request

    def is_waiting(self, job_id: str) -> bool:
        return job_id in self._waiting

    # ---- queue operations -----------------------------------------------------------------------------
    def cancel(self, job_id: str) -> None:
        if job_id in self._waiting:
            self._drop_waiting(job_id)
            return
        self.runner.cancel(job_id)

    def _drop_waiting(self, job_id: str) -> None:
        self._waiting.pop(job_id, None)
        self.notify(job_id, status="cancelled", stage="")
        for dependent in [j for j, (_, up) in self._waiting.items() if up == job_id]:
            self._drop_waiting(dependent)

    def move(self, job_id: str, queued_index: int) -> None:
        """Place a queued job at `queued_index` of the runner's queue order."""
        self.runner.reorder(job_id, queued_index)

    def runner_queue(self) -> list[str]:
        return self.runner.queued_ids() if self.runner is not None else []

    def retry(self, job: JobRow) -> JobRow | None:
        if job.job_id in self._requests:
            self.runner.retry(job.job_id)
            return JobRow(job.job_id, job.shot_id, job.label, "queued", total=job.total)
        # a waiting job cancelled before it was submitted: submit it now, as the project is
        request = self._submit(job.shot_id, job.job_id)
        return JobRow(request.job_id, job.shot_id, job.label, "queued", total=request.frames)

    # ---- results (GUI thread) ----------------------------------------------------------------------------
    def finished(self, result: Any) -> None:
        """A job ended: record its take, then release the shots that waited on it (or cancel them)."""
        request = self._requests.get(result.job_id)
        dependents = [j for j, (_, up) in self._waiting.items() if up == result.job_id]
        if result.status is not JobStatus.DONE:
            for job_id in dependents:
                self._drop_waiting(job_id)
            return
        if request is not None and result.job_id not in self.doc.project.takes:
            from studio.takes import take_from_result
            self.doc.record_take(take_from_result(self.doc.folder, request, result))
        self._requests.pop(result.job_id, None)
        for job_id in dependents:
            shot_id, _ = self._waiting.pop(job_id)
            try:
                self.doc.project.shot(shot_id)
            except Exception:  # the shot was deleted meanwhile
                self.notify(job_id, status="cancelled", stage="")
                continue
            request = self._submit(shot_id, job_id)
            self.notify(job_id, stage="", total=request.frames)
