"""The job queue: one worker thread runs generation jobs one at a time (the GPU is one resource).

Who calls: the studio's composition root (ui.app / the CLI) owns one Runner per open project.

    runner = Runner(store=SQLiteJobStore(...), postprocess=sign_take)
    runner.add_listener(bridge)            # on_state / on_progress / on_finished / on_record
    job_id = runner.submit(request, priority=0)

Queue order: higher priority first, then position (submission order, changed by `reorder`).
`pause()` takes effect between jobs; `cancel()` drops a queued job or stops a running one through
its CancelToken (previs checks it every frame: < 200 ms). Failures become a failed job with an
EngineError (unknown exceptions: kind BUG with the traceback in `details`) and the queue goes on.

Crash safety: every state change is saved to the JobStore. A Runner built on a store that holds
queued or running (= interrupted) jobs brings them back as queued and deletes partial files in
their output folders first, so a half-written take never becomes a result.

Listeners are called on the worker thread for progress and run results, and on the caller's thread
for submit / cancel-of-queued / reorder / retry; a listener must be thread-safe (the Qt bridge is).
Listener exceptions are logged and swallowed: a broken view must not stop the engine.
"""
from __future__ import annotations

import copy
import logging
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional, Protocol

from .errors import EngineError, ErrorKind, JobCancelled
from .fsio import PARTIAL_MARKER, remove_partials
from .jobs import Backend, CancelToken, GenerationRequest, GenerationResult, JobStatus, Progress

log = logging.getLogger(__name__)

PostProcess = Callable[[GenerationRequest, GenerationResult], GenerationResult]
BackendFactory = Callable[[str], Backend]


class RunnerError(ValueError):
    """A queue operation that does not apply (unknown job, retry of a running job...). Safe to show."""


@dataclass
class JobRecord:
    """One job as persisted by a JobStore: plain JSON through to_dict / from_dict."""
    job_id: str
    request: GenerationRequest
    status: JobStatus = JobStatus.QUEUED
    priority: int = 0
    position: int = 0
    error: Optional[EngineError] = None
    result: Optional[GenerationResult] = None
    attempts: int = 0
    created_at: float = field(default_factory=time.time)
    started_at: Optional[float] = None
    finished_at: Optional[float] = None
    worker: str = ""          # where it runs or ran: '' here, a farm worker's node/slot (engine.farm)

    def to_dict(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "request": self.request.to_dict(), "status": self.status.value,
                "priority": self.priority, "position": self.position,
                "error": self.error.to_dict() if self.error else None,
                "result": self.result.to_dict() if self.result else None, "attempts": self.attempts,
                "created_at": self.created_at, "started_at": self.started_at, "finished_at": self.finished_at,
                "worker": self.worker}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "JobRecord":
        return cls(job_id=str(data["job_id"]), request=GenerationRequest.from_dict(data["request"]),
                   status=JobStatus(data.get("status", "queued")), priority=int(data.get("priority", 0)),
                   position=int(data.get("position", 0)),
                   error=EngineError.from_dict(data["error"]) if data.get("error") else None,
                   result=GenerationResult.from_dict(data["result"]) if data.get("result") else None,
                   attempts=int(data.get("attempts", 0)), created_at=float(data.get("created_at") or time.time()),
                   started_at=data.get("started_at"), finished_at=data.get("finished_at"),
                   worker=str(data.get("worker") or ""))

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)


class JobStore(Protocol):
    """Where job records survive a crash. The studio implements it in SQLite (studio.store.SQLiteJobStore).
    Called from the caller's thread and the worker thread, one call at a time (under the runner's lock)."""

    def save(self, record: JobRecord) -> None: ...

    def delete(self, job_id: str) -> None: ...

    def load_all(self) -> Iterable[Any]: ...  # JobRecords or their to_dict() dicts


class MemoryJobStore:
    """A JobStore in a dict, storing JSON-shaped copies (proves records survive serialization)."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}

    def save(self, record: JobRecord) -> None:
        self.records[record.job_id] = copy.deepcopy(record.to_dict())

    def delete(self, job_id: str) -> None:
        self.records.pop(job_id, None)

    def load_all(self) -> list[dict[str, Any]]:
        return [copy.deepcopy(r) for r in self.records.values()]


def _default_backends(name: str) -> Backend:
    from .backends import create_backend
    return create_backend(name)


class Runner:
    def __init__(self, store: Optional[JobStore] = None, *, backend_factory: BackendFactory = _default_backends,
                 postprocess: Optional[PostProcess] = None, listeners: Iterable[Any] = (), start: bool = True,
                 paused: bool = False):
        self._store = store
        self._backend_factory = backend_factory
        self._backends: dict[str, Backend] = {}
        self.postprocess = postprocess
        self._listeners: list[Any] = list(listeners)
        self._cond = threading.Condition(threading.RLock())
        self._jobs: dict[str, JobRecord] = {}
        self._running: Optional[tuple[JobRecord, CancelToken]] = None
        self._paused = paused
        self._stopping = False
        self._next_position = 0
        self.recovered: list[str] = []  # job ids brought back from an interrupted session
        self.resumed: list[str] = []    # every job queued again at start (queued or running at the crash)
        self._store_error = ""
        if store is not None:
            self._recover(store)
        self._thread = threading.Thread(target=self._work, name="engine-worker", daemon=True)
        if start:
            self._thread.start()

    # -- recovery --------------------------------------------------------------------------------
    def _recover(self, store: JobStore) -> None:
        for item in store.load_all():
            try:
                record = item if isinstance(item, JobRecord) else JobRecord.from_dict(item)
            except Exception as exc:  # one unreadable row must not stop the others
                log.warning("skipping an unreadable job record: %s", exc)
                continue
            if record.status in (JobStatus.QUEUED, JobStatus.RUNNING):
                if record.status is JobStatus.RUNNING:
                    self.recovered.append(record.job_id)
                remove_partials(record.request.output_dir)
                record.status, record.started_at = JobStatus.QUEUED, None
                store.save(record)
                self.resumed.append(record.job_id)
            self._jobs[record.job_id] = record
            self._next_position = max(self._next_position, record.position + 1)

    # -- listeners -------------------------------------------------------------------------------
    def add_listener(self, listener: Any) -> Callable[[], None]:
        """Subscribe an object with any of on_state(job_id, status), on_progress(progress),
        on_finished(result), on_record(record). Returns a function that unsubscribes it."""
        with self._cond:
            self._listeners.append(listener)

        def remove() -> None:
            with self._cond:
                if listener in self._listeners:
                    self._listeners.remove(listener)
        return remove

    def _emit(self, method: str, *args: Any) -> None:
        with self._cond:
            listeners = list(self._listeners)
        for listener in listeners:
            fn = getattr(listener, method, None)
            if fn is None:
                continue
            try:
                fn(*args)
            except Exception:
                log.exception("runner listener %r failed in %s", listener, method)

    def _changed(self, record: JobRecord, strict: bool = False) -> None:
        """Persist a state change (called with the lock held). A store failure must not stop the
        worker: it is logged and reported as engine state; `strict` (submit) raises it instead."""
        if self._store is None:
            return
        try:
            self._store.save(record)
        except Exception as exc:
            if strict:
                raise
            log.exception("could not save job %s", record.job_id)
            self._store_error = f"job records are not being saved: {exc}"

    def _announce(self, record: JobRecord) -> None:
        if self._store_error:
            error, self._store_error = self._store_error, ""
            self._emit("on_engine_state", error)
        snapshot = copy.copy(record)
        self._emit("on_record", snapshot)
        self._emit("on_state", record.job_id, record.status)

    # -- queue operations ------------------------------------------------------------------------
    def submit(self, request: GenerationRequest, priority: int = 0) -> str:
        with self._cond:
            if self._stopping:
                raise RunnerError("the engine is shutting down")
            old = self._jobs.get(request.job_id)
            if old is not None and not old.finished:
                raise RunnerError(f"job {request.job_id} is already {old.status.value}")
            record = JobRecord(request.job_id, request, priority=int(priority), position=self._next_position)
            self._changed(record, strict=True)  # not saved = not queued: the caller hears why
            self._next_position += 1
            self._jobs[record.job_id] = record
            self._cond.notify_all()
        self._announce(record)
        return record.job_id

    def queued_ids(self) -> list[str]:
        with self._cond:
            return [r.job_id for r in self._queued()]

    def _queued(self) -> list[JobRecord]:
        queued = [r for r in self._jobs.values() if r.status is JobStatus.QUEUED]
        return sorted(queued, key=lambda r: (-r.priority, r.position))

    def reorder(self, job_id: str, new_index: int) -> None:
        """Move a queued job to `new_index` of the queued order. It takes the priority of the job it
        lands beside, so the explicit order holds (priority is how the order is kept)."""
        with self._cond:
            record = self._require(job_id)
            if record.status is not JobStatus.QUEUED:
                raise RunnerError(f"job {job_id} is {record.status.value}, only a queued job can move")
            order = [r for r in self._queued() if r.job_id != job_id]
            index = max(0, min(int(new_index), len(order)))
            order.insert(index, record)
            neighbour = order[index + 1] if index + 1 < len(order) else (order[index - 1] if index > 0 else None)
            if neighbour is not None:
                record.priority = neighbour.priority
            # Renumber positions in the new order, keeping them above every finished job's.
            base = self._next_position
            for offset, r in enumerate(order):
                r.position = base + offset
            self._next_position = base + len(order)
            for r in order:
                self._changed(r)
            self._cond.notify_all()
        self._announce(record)

    def set_priority(self, job_id: str, priority: int) -> None:
        with self._cond:
            record = self._require(job_id)
            if record.status is not JobStatus.QUEUED:
                raise RunnerError(f"job {job_id} is {record.status.value}, only a queued job can change priority")
            record.priority = int(priority)
            self._changed(record)
            self._cond.notify_all()
        self._announce(record)

    def cancel(self, job_id: str) -> bool:
        """Cancel a queued job at once, or signal a running one (it ends as cancelled within one frame
        or step). False when the job had already finished."""
        with self._cond:
            record = self._require(job_id)
            if record.status is JobStatus.QUEUED:
                record.status, record.finished_at = JobStatus.CANCELLED, time.time()
                self._changed(record)
                self._cond.notify_all()  # wake wait() / wait_idle()
            elif record.status is JobStatus.RUNNING and self._running and self._running[0] is record:
                self._running[1].cancel()
                return True
            else:
                return False
        self._announce(record)
        self._emit("on_finished", GenerationResult(job_id, JobStatus.CANCELLED, backend=record.request.backend))
        return True

    def retry(self, job_id: str) -> str:
        """Queue a failed or cancelled job again (same id, same request, at the end of its priority)."""
        with self._cond:
            record = self._require(job_id)
            if record.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
                raise RunnerError(f"job {job_id} is {record.status.value}; only failed or cancelled jobs retry")
            _remove_job_partials(record.request)
            record.status, record.error, record.result = JobStatus.QUEUED, None, None
            record.started_at = record.finished_at = None
            record.position = self._next_position
            self._next_position += 1
            self._changed(record)
            self._cond.notify_all()
        self._announce(record)
        return job_id

    def remove(self, job_id: str) -> None:
        """Forget a finished job (and its stored record)."""
        with self._cond:
            record = self._require(job_id)
            if not record.finished:
                raise RunnerError(f"job {job_id} is {record.status.value}; cancel it first")
            del self._jobs[job_id]
            if self._store is not None:
                self._store.delete(job_id)

    def pause(self) -> None:
        """Start no new job (the running one finishes)."""
        with self._cond:
            self._paused = True
        self._emit("on_engine_state", "paused")

    def resume(self) -> None:
        with self._cond:
            self._paused = False
            self._cond.notify_all()
        self._emit("on_engine_state", "running")

    @property
    def paused(self) -> bool:
        return self._paused

    def get(self, job_id: str) -> JobRecord:
        with self._cond:
            return copy.copy(self._require(job_id))

    def jobs(self) -> list[JobRecord]:
        """Running first, then queued in order, then finished (newest last)."""
        with self._cond:
            running = [r for r in self._jobs.values() if r.status is JobStatus.RUNNING]
            done = sorted((r for r in self._jobs.values() if r.finished), key=lambda r: r.finished_at or 0)
            return [copy.copy(r) for r in running + self._queued() + done]

    def running_id(self) -> Optional[str]:
        with self._cond:
            return self._running[0].job_id if self._running else None

    def wait(self, job_id: str, timeout: Optional[float] = None) -> JobRecord:
        """Block until the job has finished (for the CLI and tests). RunnerError on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not self._require(job_id).finished:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise RunnerError(f"job {job_id} did not finish within {timeout} s")
                self._cond.wait(left)
            return copy.copy(self._jobs[job_id])

    def wait_idle(self, timeout: Optional[float] = None) -> bool:
        """Block until nothing is queued or running (or paused with nothing running)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._running or (self._queued() and not self._paused):
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop the worker. A running job is cancelled and goes back to queued in the store, so the
        next session runs it again."""
        with self._cond:
            self._stopping = True
            if self._running:
                self._running[1].cancel()
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def start(self) -> None:
        if not self._thread.is_alive():
            self._thread.start()

    def _require(self, job_id: str) -> JobRecord:
        record = self._jobs.get(job_id)
        if record is None:
            raise RunnerError(f"no job {job_id}")
        return record

    # -- the worker ------------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (self._paused or not self._queued()):
                    self._cond.wait()
                if self._stopping:
                    return
                record = self._queued()[0]
                token = self._record_started(record)
            if self._run_started(record, token) is None:
                return

    def _record_started(self, record: JobRecord, worker: str | None = None) -> CancelToken:
        """The record turns running here (the caller holds `_cond`); its cancel token."""
        token = CancelToken()
        record.status, record.started_at = JobStatus.RUNNING, time.time()
        if worker is not None:
            record.worker = worker
        record.attempts += 1
        record.error = None
        self._running = (record, token)
        self._changed(record)
        return token

    def _run_started(self, record: JobRecord, token: CancelToken) -> GenerationResult | None:
        """Run a started record on this machine and deliver its result; None when a shutdown interrupted
        it (then it is queued again and runs next session). The farm runner's local fallback uses it too."""
        self._announce(record)
        result = self._run(record, token)
        with self._cond:
            self._running = None
            if self._stopping and result.status is JobStatus.CANCELLED:
                # Interrupted by shutdown, not by the user: it runs again next session.
                record.status, record.started_at = JobStatus.QUEUED, None
                self._changed(record)
                self._cond.notify_all()
                return None
            self._record_finished(record, result)
        self._announce(record)
        self._emit("on_finished", result)
        return result

    def _record_finished(self, record: JobRecord, result: GenerationResult) -> None:
        """The record takes its result (the caller holds `_cond`); the farm runner finishes its records here too."""
        record.status, record.finished_at = result.status, time.time()
        record.error = result.error
        record.result = result if result.status is JobStatus.DONE else None
        self._changed(record)
        self._cond.notify_all()

    def _run(self, record: JobRecord, token: CancelToken) -> GenerationResult:
        request = record.request
        started = time.monotonic()

        def progress(p: Progress) -> None:
            if p.eta_s is None and p.total and 0 < p.current < p.total:
                elapsed = time.monotonic() - started
                p = Progress(p.job_id, p.stage, p.current, p.total, elapsed / p.current * (p.total - p.current),
                             p.preview, p.message)
            self._emit("on_progress", p)

        def failed(error: EngineError) -> GenerationResult:
            _remove_job_partials(request)
            return GenerationResult(request.job_id, JobStatus.FAILED, backend=request.backend, error=error,
                                    seconds=round(time.monotonic() - started, 3))

        try:
            backend = self._backends.get(request.backend)
            if backend is None:
                backend = self._backends[request.backend] = self._backend_factory(request.backend)
            token.raise_if_cancelled()
            result = backend.generate(request, progress, token)
            if self.postprocess is not None:
                token.raise_if_cancelled()
                result = self.postprocess(request, result)
            return result
        except JobCancelled:
            _remove_job_partials(request)
            return GenerationResult(request.job_id, JobStatus.CANCELLED, backend=request.backend,
                                    seconds=round(time.monotonic() - started, 3))
        except EngineError as exc:
            return failed(exc)
        except MemoryError as exc:
            return failed(EngineError(ErrorKind.OUT_OF_MEMORY, f"out of memory while generating ({exc or 'no detail'})",
                                      details=traceback.format_exc()))
        except Exception as exc:
            return failed(EngineError(ErrorKind.BUG, f"{type(exc).__name__}: {exc}", details=traceback.format_exc()))


def _remove_job_partials(request: GenerationRequest) -> None:
    """Partial files of this job only (named after it): other writers may share the folder."""
    folder = Path(request.output_dir)
    if not folder.is_dir():
        return
    from .take_writer import take_stem  # imported here: the runner itself needs no encoder or OpenCV
    stem = take_stem(request.job_id)
    for path in folder.glob(f"{stem}*{PARTIAL_MARKER}*"):
        try:
            path.unlink()
        except OSError:
            pass
