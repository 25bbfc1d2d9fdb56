"""The farm runner: engine.runner.Runner's contract (submit, priorities, reorder, pause, cancel,
retry, progress with previews, crash-safe job records) with jobs running on a Ray cluster.

Who calls: the studio's composition root instead of a local Runner when the render farm is on
(studio.farm.make_runner). The queue, the job records and the take writer stay in the studio; Ray
places the workers and carries bundles, links and results:

- Workers: one FarmWorker actor per worker slot a node advertises (custom resources
  `shotreel_gpu` — one per GPU — and `shotreel_cpu` for previs-only slots), pinned to its node,
  long-lived so loaded pipelines stay loaded. Nodes that join later get their actors on the next
  reconcile (every RECONCILE_S).
- Scheduling: the queue order is the local runner's (priority, then position; pause holds new
  starts). A job goes to an idle worker that fits it (diffusion: a GPU slot with the memory the
  request needs: the engine's estimate, or `options['vram_gb']`; previs: any slot, CPU slots first), preferring a worker
  that already ran the same model, then the node of its upstream shot.
- Continuity chains: a request whose `conditioning.from_job` names another job is queued at once
  with the rest; it starts when that job's take exists, and its worker receives the upstream's last
  frame and end state as an object-store reference (the worker-to-worker path), never a studio path.
- Results: the worker's files come back in the task's return value; the studio writes them
  (bundle.write_result), signs them (postprocess), and only then is the job done.
- Faults: a worker or node that dies mid-job puts the job back at the head of the queue, up to
  `max_attempts` starts in all; its results are never written, so no take is doubled and no partial
  file remains. A studio restart brings running jobs back as queued (Runner._recover) and they are
  submitted again. When the head stops answering, the running jobs go back to the queue and the
  runner carries on locally, on this machine's backends, with a clear engine-state message.
"""
from __future__ import annotations

import logging
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from typing import Any, Iterable, Optional

from ..errors import EngineError, ErrorKind
from ..jobs import GenerationRequest, GenerationResult, JobStatus, Progress
from ..runner import JobRecord, JobStore, PostProcess, Runner, RunnerError, _default_backends, _remove_job_partials
from .bundle import pack, resolve_chain, write_result
from .connection import NAMESPACE, connect, farm_error, head_reachable
from .scheduling import SLOT_CPU, SLOT_GPU, VRAM, Slot, choose, estimate_gb, fits, model_key

log = logging.getLogger(__name__)

RECONCILE_S = 2.0
HEAD_PROBE_S = 1.0
HEAD_FAILURES = 2          # consecutive failed probes before the head counts as lost


@dataclass
class _Active:
    record: JobRecord
    slot: Slot
    sources: dict[str, str]
    result_ref: Any
    link_ref: Any
    attempt: int
    started: float


class FarmRunner(Runner):
    chains = True   # GenerationService submits continuity chains at once (conditioning.from_job)

    def __init__(self, address: Optional[str] = None, store: Optional[JobStore] = None, *,
                 postprocess: Optional[PostProcess] = None, listeners: Iterable[Any] = (), start: bool = True,
                 paused: bool = False, max_attempts: int = 3, backend_factory=_default_backends,
                 model_dirs: Optional[list[str]] = None, poll_s: float = 0.05):
        import ray
        from ray.util.queue import Queue
        self.address = address or ""
        self._owns_ray = connect(address)
        self._gcs = ray.get_runtime_context().gcs_address
        self._max_attempts = max(1, int(max_attempts))
        self._model_dirs = model_dirs
        self._poll_s = poll_s
        self._slots: dict[str, Slot] = {}
        self._active: dict[str, _Active] = {}
        self._links: dict[str, Any] = {}           # done job id -> its link ref (last frame, end state)
        self._local = False                        # the head was lost: jobs run on this machine
        self._slot_counter = 0
        self._last_reconcile = 0.0
        self._last_probe = time.monotonic()
        self._probe_failures = 0
        self._warned: set[str] = set()
        self._needs: dict[str, float] = {}      # job id -> estimated GPU memory (GiB)
        self._removed: dict[str, JobRecord] = {}  # done jobs forgotten by remove(), for their chains
        self.lost_head_error: Optional[EngineError] = None
        self._cancel_asked: dict[str, float] = {}
        self.cancel_latency: dict[str, float] = {}   # job id -> seconds from cancel() to the worker's token
        self.delivery_s: dict[str, float] = {}       # job id -> seconds from the worker's finish to the take here
        super().__init__(store, backend_factory=backend_factory, postprocess=postprocess, listeners=listeners,
                         start=False, paused=paused)
        self._progress = Queue(maxsize=10000, actor_options={"num_cpus": 0})  # workers -> studio progress
        self._progress_thread = threading.Thread(target=self._pump_progress, name="farm-progress", daemon=True)
        if start:
            self.start()

    def start(self) -> None:
        if not self._progress_thread.is_alive():
            self._progress_thread.start()
        super().start()

    # -- what the studio sees ------------------------------------------------------------------
    @property
    def local(self) -> bool:
        """True once the head was lost and jobs run on this machine."""
        return self._local

    def running_id(self) -> Optional[str]:
        with self._cond:
            ids = self.running_ids()
            return ids[0] if ids else None

    def running_ids(self) -> list[str]:
        with self._cond:
            ids = [a.record.job_id for a in self._active.values()]
            if self._running:
                ids.append(self._running[0].job_id)
            return ids

    def workers(self) -> list[dict[str, Any]]:
        """The worker slots as the studio tracks them (node, kind, memory, models run, job)."""
        with self._cond:
            return [{"slot": s.label, "node_id": s.node_id, "kind": s.kind, "vram_gb": s.vram_gb, "ready": s.ready,
                     "models": list(s.models), "job": s.job} for s in self._slots.values()]

    def wait_idle(self, timeout: Optional[float] = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._active or self._running or (self._queued() and not self._paused):
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left if left is not None else 0.5)
            return True

    def cancel(self, job_id: str) -> bool:
        with self._cond:
            self._require(job_id)  # an unknown id raises
            active = self._active.get(job_id)
        if active is not None:
            self._cancel_asked[job_id] = time.time()
            active.slot.handle.cancel.remote(job_id)   # served by the actor's control thread at once
            return True
        done = super().cancel(job_id)
        if done:
            self._cancel_dependents(job_id)
        return done

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop dispatching. Jobs running on the farm are cancelled there and go back to queued in the
        store (the next session submits them again); the worker actors are released."""
        with self._cond:
            self._stopping = True
            active = list(self._active.values())
            if self._running:
                self._running[1].cancel()
            self._cond.notify_all()
        for a in active:
            try:
                a.slot.handle.cancel.remote(a.record.job_id)
            except Exception:
                pass
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._release_farm()

    def _release_farm(self) -> None:
        if self._local:
            return  # the head is gone: nothing there to release
        import ray
        for slot in list(self._slots.values()):
            try:
                ray.kill(slot.handle, no_restart=True)
            except Exception:
                pass
        self._slots.clear()
        try:
            ray.kill(self._progress.actor, no_restart=True)
        except Exception:
            pass
        if self._owns_ray:
            ray.shutdown()

    # -- the dispatcher ------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            with self._cond:
                if self._stopping:
                    break
                local = self._local
            if local:
                if not self._work_local_one():
                    with self._cond:
                        if not self._stopping:
                            self._cond.wait(0.5)
                continue
            try:
                self._tick()
            except Exception as exc:  # a dispatcher bug must not kill the queue silently
                if self._head_lost():
                    self._lose_head(exc)
                    continue
                log.exception("farm dispatcher error")
                self._emit("on_engine_state", f"render farm error: {type(exc).__name__}: {exc}")
            self._sleep()
        # Stopping: jobs still on the farm run again next session.
        with self._cond:
            for a in list(self._active.values()):
                a.record.status, a.record.started_at, a.record.worker = JobStatus.QUEUED, None, ""
                self._changed(a.record)
            self._active.clear()
            self._cond.notify_all()

    def _sleep(self) -> None:
        """Until a job ends on the farm (ray.wait wakes at once) or poll_s passes; submit/cancel
        wake the condition when nothing runs."""
        with self._cond:
            refs = [a.result_ref for a in self._active.values()]
            if not refs:
                if not self._stopping:
                    self._cond.wait(self._poll_s)
                return
        import ray
        try:
            ray.wait(refs, num_returns=1, timeout=self._poll_s)
        except Exception:
            time.sleep(self._poll_s)

    def _head_lost(self) -> bool:
        return not head_reachable(self._gcs)

    def _tick(self) -> None:
        now = time.monotonic()
        if now - self._last_probe >= HEAD_PROBE_S or self._probe_failures:
            self._last_probe = now
            if self._head_lost():
                self._probe_failures += 1
                if self._probe_failures >= HEAD_FAILURES:
                    self._lose_head(f"the head at {self._gcs} does not answer")
                return   # no call that needs the head (they block) until it answers again
            self._probe_failures = 0
        if now - self._last_reconcile >= RECONCILE_S or not self._slots:
            self._last_reconcile = now
            self._reconcile()
        self._collect()
        self._dispatch()

    def _reconcile(self) -> None:
        """One actor per advertised slot on every live node; forget slots of dead nodes."""
        import ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
        from .worker import actor_class
        alive = {n["NodeID"]: n for n in ray.nodes() if n.get("Alive")}
        with self._cond:
            for key, slot in list(self._slots.items()):
                if slot.node_id not in alive and slot.job is None:
                    del self._slots[key]
            have: dict[tuple[str, str], int] = {}
            for slot in self._slots.values():
                have[(slot.node_id, slot.kind)] = have.get((slot.node_id, slot.kind), 0) + 1
        cls = None
        for node_id, node in alive.items():
            res = node.get("Resources") or {}
            gpu_slots = int(res.get(SLOT_GPU, 0))
            for kind, resource, count in (("gpu", SLOT_GPU, gpu_slots), ("cpu", SLOT_CPU, int(res.get(SLOT_CPU, 0)))):
                for _ in range(count - have.get((node_id, kind), 0)):
                    cls = cls or actor_class()
                    vram = float(res.get(VRAM, 0.0)) / gpu_slots if kind == "gpu" and gpu_slots else 0.0
                    gpus = float(res.get("GPU", 0.0)) / gpu_slots if kind == "gpu" and gpu_slots else 0.0
                    handle = cls.options(num_cpus=0, num_gpus=gpus, resources={resource: 1}, namespace=NAMESPACE,
                                         name=f"shotreel-worker-{uuid.uuid4().hex[:12]}",
                                         scheduling_strategy=NodeAffinitySchedulingStrategy(node_id, soft=False)
                                         ).remote(kind, vram, self._progress, self._model_dirs)
                    self._slot_counter += 1
                    key = f"{node_id[:8]}-{kind}-{self._slot_counter}"
                    with self._cond:
                        self._slots[key] = Slot(key, handle, node_id, kind, vram, handle.ping.remote())

    def _collect(self) -> None:
        import ray
        with self._cond:
            waiting = {s.ready_ref: s for s in self._slots.values() if not s.ready}
            active = {a.result_ref: a for a in self._active.values()}
        if waiting:
            ready, _ = ray.wait(list(waiting), num_returns=len(waiting), timeout=0)
            for ref in ready:
                slot = waiting[ref]
                try:
                    ray.get(ref)
                    slot.ready = True
                except Exception as exc:  # the actor could not start there: drop it, reconcile retries
                    line = next((ln.strip() for ln in reversed(str(exc).splitlines()) if ln.strip()), str(exc))
                    log.warning("farm worker %s did not start: %s", slot.label, line)
                    with self._cond:
                        self._slots.pop(slot.key, None)
                    if line not in self._warned:   # once per reason, not every reconcile
                        self._warned.add(line)
                        self._emit("on_engine_state", f"a farm worker on node {slot.node_id[:8]} could not start: "
                                                      f"{line} (is the same Shotreel installed there?)")
        if active:
            ready, _ = ray.wait(list(active), num_returns=len(active), timeout=0)
            for ref in ready:
                self._finish(active[ref])

    def _finish(self, active: _Active) -> None:
        import ray
        from ray.exceptions import RayActorError, WorkerCrashedError, ObjectLostError, NodeDiedError, OwnerDiedError
        record = active.record
        try:
            payload = ray.get(active.result_ref)
        except (RayActorError, WorkerCrashedError, ObjectLostError, NodeDiedError, OwnerDiedError) as exc:
            self._worker_lost(active, exc)
            return
        except Exception as exc:
            result = GenerationResult(record.job_id, JobStatus.FAILED, backend=record.request.backend,
                                      error=EngineError(ErrorKind.BUG, f"the farm could not run this job: {exc}",
                                                        details=traceback.format_exc()))
            self._end(active, result)
            return
        with self._cond:   # the worker is free now: give it the next job before writing this one's take
            if active.slot.job == record.job_id:
                active.slot.job = None
        self._dispatch()
        result = GenerationResult.from_dict(payload["result"])
        asked, seen = self._cancel_asked.pop(record.job_id, None), payload.get("cancel_seen_at")
        if asked is not None and seen is not None:
            self.cancel_latency[record.job_id] = max(0.0, seen - asked)
        if result.status is JobStatus.DONE:
            try:
                result = write_result(payload, record.request, active.sources)
                if self.postprocess is not None:
                    result = self.postprocess(record.request, result)
            except EngineError as exc:
                _remove_job_partials(record.request)
                result = GenerationResult(record.job_id, JobStatus.FAILED, backend=record.request.backend, error=exc)
            except Exception as exc:
                _remove_job_partials(record.request)
                result = GenerationResult(record.job_id, JobStatus.FAILED, backend=record.request.backend,
                                          error=EngineError(ErrorKind.BUG, f"{type(exc).__name__}: {exc}",
                                                            details=traceback.format_exc()))
        if result.status is JobStatus.DONE:
            if payload.get("finished_at"):
                self.delivery_s[record.job_id] = max(0.0, time.time() - float(payload["finished_at"]))
            with self._cond:
                self._links[record.job_id] = active.link_ref
                key = model_key(record.request)
                if key in active.slot.models:
                    active.slot.models.remove(key)
                active.slot.models.append(key)
        self._end(active, result)

    def _end(self, active: _Active, result: GenerationResult) -> None:
        record = active.record
        with self._cond:
            self._active.pop(record.job_id, None)
            if active.slot.job == record.job_id:
                active.slot.job = None
            self._record_finished(record, result)
        self._announce(record)
        self._emit("on_finished", result)
        if result.status is not JobStatus.DONE:
            self._cancel_dependents(record.job_id)

    def _worker_lost(self, active: _Active, exc: BaseException) -> None:
        """The worker (or its node) died mid-job: nothing it wrote reaches the project; the job runs
        again elsewhere, first in the queue, until it has been started max_attempts times."""
        record = active.record
        log.warning("farm worker %s was lost running %s: %s", active.slot.label, record.job_id, exc)
        with self._cond:
            self._slots.pop(active.slot.key, None)
            if record.attempts < self._max_attempts:
                self._active.pop(record.job_id, None)
                record.status, record.started_at, record.worker = JobStatus.QUEUED, None, ""
                self._changed(record)
                self._cond.notify_all()
                requeued = True
            else:
                requeued = False
        if requeued:
            self._announce(record)
            self._emit("on_engine_state", f"a farm worker was lost; job {record.job_id} runs again elsewhere")
            return
        self._end(active, GenerationResult(
            record.job_id, JobStatus.FAILED, backend=record.request.backend,
            error=EngineError(ErrorKind.BUG, f"the farm lost the worker running this job {record.attempts} times",
                              "Check the farm machines (`shotreel farm status`), then retry the job.")))

    def _cancel_dependents(self, job_id: str) -> None:
        """Shots chained after a job that did not make a take cannot start: they end cancelled."""
        frontier = [job_id]
        while frontier:
            upstream = frontier.pop()
            with self._cond:
                deps = [r for r in self._jobs.values()
                        if r.status is JobStatus.QUEUED and r.request.conditioning.from_job == upstream]
                for r in deps:
                    r.status, r.finished_at = JobStatus.CANCELLED, time.time()
                    self._changed(r)
                self._cond.notify_all()
            for r in deps:
                self._announce(r)
                self._emit("on_finished", GenerationResult(r.job_id, JobStatus.CANCELLED, backend=r.request.backend))
                frontier.append(r.job_id)

    # -- choosing work -------------------------------------------------------------------------
    def remove(self, job_id: str) -> None:
        """Forget a finished job; a done one stays known to the shots chained after it (the CLI
        removes each job once its take is recorded, possibly before its downstream started)."""
        with self._cond:
            record = self._jobs.get(job_id)
            if record is not None and record.status is JobStatus.DONE:
                self._removed[job_id] = record
        super().remove(job_id)

    def _upstream(self, record: JobRecord) -> tuple[bool, Optional[JobRecord]]:
        """(ready, upstream record) for a chained job; (True, None) for any other. An upstream
        nobody knows any more reads as a finished job without a take (the chain cannot start)."""
        upstream_id = record.request.conditioning.from_job
        if not upstream_id:
            return True, None
        upstream = self._jobs.get(upstream_id) or self._removed.get(upstream_id)
        if upstream is None:
            return False, JobRecord(upstream_id, record.request, status=JobStatus.FAILED)
        return upstream.status is JobStatus.DONE and upstream.result is not None, upstream

    def memory_need(self, request: GenerationRequest) -> float:
        """The GPU memory a job asks for (scheduling.estimate_gb), once per job."""
        need = self._needs.get(request.job_id)
        if need is None:
            need = self._needs[request.job_id] = estimate_gb(request)
        return need

    def _fits(self, slot: Slot, request: GenerationRequest) -> bool:
        return fits(slot, request, self.memory_need(request))

    def _choose(self, record: JobRecord, idle: list[Slot], upstream_node: str) -> Optional[Slot]:
        return choose(idle, record.request, self.memory_need(record.request), upstream_node)

    def _dispatch(self) -> None:
        with self._cond:
            if self._paused or self._stopping:
                return
            idle = [s for s in self._slots.values() if s.ready and s.job is None]
            if not idle:
                return
            starts: list[tuple[JobRecord, Slot, Optional[JobRecord]]] = []
            for record in self._queued():
                if not idle:
                    break
                ready, upstream = self._upstream(record)
                if not ready:
                    if upstream is not None and upstream.finished:   # failed or cancelled upstream
                        starts.append((record, None, upstream))  # type: ignore[arg-type]
                    continue
                node = ""
                if upstream is not None and upstream.worker:
                    node = upstream.worker.split("/", 1)[0]
                slot = self._choose(record, idle, node)
                if slot is None:
                    if not any(self._fits(s, record.request) for s in self._slots.values()) \
                            and record.job_id not in self._warned:
                        self._warned.add(record.job_id)
                        self._emit("on_engine_state", f"no farm worker can run job {record.job_id} "
                                   f"({record.request.backend} needs a GPU worker)")
                    continue
                idle.remove(slot)
                slot.job = record.job_id   # reserve it before leaving the lock
                starts.append((record, slot, upstream))
        for record, slot, upstream in starts:
            if slot is None:
                self._cancel_dependents(upstream.job_id)  # type: ignore[union-attr]
                continue
            self._start(record, slot, upstream)

    def _start(self, record: JobRecord, slot: Slot, upstream: Optional[JobRecord]) -> None:
        request = record.request
        link_ref = None
        try:
            if upstream is not None:
                assert upstream.result is not None
                # The studio's record names the upstream take's files (what a local run records);
                # the worker gets the same frame and state from the object store when the link is there.
                res = upstream.result
                resolved = resolve_chain(request, {"job_id": upstream.job_id, "frames": res.frames,
                                                   "end_state": res.end_state}, res.last_frame or "")
                link_ref = self._links.get(upstream.job_id)
                bundle = pack(request if link_ref is not None else resolved)
                request = resolved
            else:
                bundle = pack(request)
        except EngineError as exc:
            with self._cond:
                slot.job = None
                record.attempts += 1
            self._end(_Active(record, slot, {}, None, None, record.attempts, time.monotonic()),
                      GenerationResult(record.job_id, JobStatus.FAILED, backend=request.backend, error=exc))
            return
        with self._cond:
            if record.status is not JobStatus.QUEUED or self._stopping:   # cancelled meanwhile
                slot.job = None
                return
            record.request = request
            record.status, record.started_at, record.error = JobStatus.RUNNING, time.time(), None
            record.attempts += 1
            record.worker = slot.label
            result_ref, out_link = slot.handle.run.options(num_returns=2).remote(bundle.wire(), link_ref,
                                                                                  record.attempts)
            self._active[record.job_id] = _Active(record, slot, bundle.sources, result_ref, out_link,
                                                  record.attempts, time.monotonic())
            self._changed(record)
        self._announce(record)

    # -- progress --------------------------------------------------------------------------------
    def _pump_progress(self) -> None:
        from ray.util.queue import Empty
        while True:
            with self._cond:
                if self._stopping or self._local:
                    return
            try:
                job_id, attempt, p = self._progress.get(block=True, timeout=0.5)
            except Empty:
                continue
            except Exception:  # the head is going away: the dispatcher notices and says so
                time.sleep(0.5)
                continue
            with self._cond:
                active = self._active.get(job_id)
                if active is None or active.attempt != attempt:
                    continue      # a late report of an attempt that is over
                started = active.started
            eta = p.get("eta_s")
            current, total = int(p.get("current") or 0), int(p.get("total") or 0)
            if eta is None and total and 0 < current < total:
                eta = (time.monotonic() - started) / current * (total - current)
            preview = p.get("preview")
            self._emit("on_progress", Progress(job_id, str(p.get("stage", "")), current, total, eta,
                                               tuple(preview) if preview else None, str(p.get("message") or "")))

    # -- the head is gone ------------------------------------------------------------------------
    def _lose_head(self, why: Any) -> None:
        with self._cond:
            if self._local:
                return
            self._local = True
            moved = list(self._active.values())
            for a in moved:
                a.record.status, a.record.started_at, a.record.worker = JobStatus.QUEUED, None, ""
                self._changed(a.record)
            self._active.clear()
            self._slots.clear()
            queued = len(self._queued())
            self._cond.notify_all()
        self.lost_head_error = farm_error(self.address or self._gcs, why)
        if self._owns_ray:   # let go of the dead cluster without blocking the queue
            import ray
            threading.Thread(target=ray.shutdown, name="farm-disconnect", daemon=True).start()
        log.warning("render farm head lost: %s", why)
        for a in moved:
            self._announce(a.record)
        self._emit("on_engine_state", f"lost the render farm head at {self.address or self._gcs}: "
                                      f"{queued} job(s) back in this machine's queue")

    def _work_local_one(self) -> bool:
        """One job on this machine (after the head was lost). False when nothing could start."""
        with self._cond:
            if self._paused or self._stopping:
                return False
            pick = None
            for record in self._queued():
                ready, upstream = self._upstream(record)
                if ready:
                    pick = (record, upstream)
                    break
                if upstream is not None and upstream.finished:
                    pick = (record, upstream)
                    break
            if pick is None:
                return False
            record, upstream = pick
            broken = upstream is not None and upstream.status is not JobStatus.DONE
            if not broken:
                if upstream is not None and upstream.result is not None:
                    res = upstream.result
                    record.request = resolve_chain(record.request, {"job_id": upstream.job_id, "frames": res.frames,
                                                                    "end_state": res.end_state}, res.last_frame or "")
                token = self._record_started(record, worker="local")
        if broken:   # its upstream failed or was cancelled: the chain after it cannot start
            self._cancel_dependents(upstream.job_id)  # type: ignore[union-attr]
            return True
        result = self._run_started(record, token)
        if result is not None and result.status is not JobStatus.DONE:
            self._cancel_dependents(record.job_id)
        return True


__all__ = ["FarmRunner", "RunnerError", "connect", "farm_error", "model_key", "NAMESPACE", "SLOT_CPU", "SLOT_GPU",
           "VRAM"]
