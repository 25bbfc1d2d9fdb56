"""The farm worker: one long-lived Ray actor per GPU (or per CPU slot for previs) on a farm node.

It keeps its backends, and so the diffusion loader's pipeline cache (keyed by model, dtypes and
memory mode), for its whole life: consecutive shots on the same model do not reload. It runs one
job at a time; a second thread of the actor serves `cancel`, `info` and `ping` while a job runs,
so a cancel from the studio lands within one frame or step.

Who calls: engine.farm.runner creates these actors (`actor_class()`), pinned to their nodes, and
calls `run(wire, link)` with a bundle (engine.farm.bundle) and, for a chained shot, the upstream
job's link (its last frame and end state) straight from the object store.

Everything a job writes goes to this worker's scratch folder and is removed after the result is
packed: the studio writes the take (engine.farm.bundle.write_result) and signs it.
"""
from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any, Mapping, Optional

from ..errors import EngineError, ErrorKind, JobCancelled
from ..jobs import CancelToken, GenerationResult, JobStatus, Progress
from .bundle import chain_link, pack_result, resolve_chain, unpack

PROGRESS_EVERY_S = 0.2


def model_dirs_from_env() -> list[str]:
    return [p for p in os.environ.get("SHOTREEL_MODEL_DIRS", "").split(os.pathsep) if p]


class FarmWorker:
    """The actor's body (plain Python: Ray wraps it in `actor_class`, tests may call it directly)."""

    def __init__(self, slot: str = "cpu", vram_gb: float = 0.0, progress_queue: Any = None,
                 model_dirs: Optional[list[str]] = None, backend_factory: Any = None):
        self.slot = slot
        self.vram_gb = float(vram_gb)
        self._queue = progress_queue
        self._model_dirs = list(model_dirs) if model_dirs is not None else model_dirs_from_env()
        self._scratch = Path(tempfile.mkdtemp(prefix="shotreel-farm-"))
        self._lock = threading.Lock()
        self._running: dict[str, CancelToken] = {}
        self._backends: dict[str, Any] = {}
        self._models: list[str] = []            # model keys this worker has run (most recent last)
        self._factory = backend_factory
        self._cancel_seen: dict[str, float] = {}  # job id -> wall time the cancel arrived (for the studio)
        self.jobs_run = 0

    # -- the control thread ------------------------------------------------------------------
    def ping(self) -> bool:
        return True

    def info(self) -> dict[str, Any]:
        node_id, gpus = "", []
        try:
            import ray
            ctx = ray.get_runtime_context()
            node_id = ctx.get_node_id()
            gpus = [str(g) for g in ray.get_gpu_ids()]
        except Exception:  # not inside Ray (direct use in a test)
            pass
        loaded: list[str] = []
        if "engine.diffusion.loader" in sys.modules:  # never import torch just to report
            loaded = [str(k[0]) if isinstance(k, tuple) and k else str(k)
                      for k in sys.modules["engine.diffusion.loader"].loaded_keys()]
        with self._lock:
            running = sorted(self._running)
        return {"node_id": node_id, "host": socket.gethostname(), "pid": os.getpid(), "slot": self.slot,
                "gpus": gpus, "vram_gb": self.vram_gb, "models": list(self._models), "loaded": loaded,
                "running": running, "jobs_run": self.jobs_run, "model_dirs": list(self._model_dirs),
                "cpu_s": round(_cpu_seconds(), 3)}

    def cancel(self, job_id: str) -> bool:
        with self._lock:
            token = self._running.get(job_id)
        if token is None:
            return False
        self._cancel_seen[job_id] = time.time()
        token.cancel()
        return True

    # -- the job thread --------------------------------------------------------------------------
    def _backend(self, name: str) -> Any:
        backend = self._backends.get(name)
        if backend is None:
            if self._factory is not None:
                backend = self._factory(name)
            else:
                from ..backends import create_backend
                backend = create_backend(name)
            self._backends[name] = backend
        return backend

    def _report(self, job_id: str, attempt: int, p: Progress) -> None:
        if self._queue is None:
            return
        try:  # fire and forget (no round trip per report): the job never waits on the studio
            report = {"stage": p.stage, "current": p.current, "total": p.total, "eta_s": p.eta_s,
                      "preview": p.preview, "message": p.message}
            self._queue.actor.put_nowait.remote((job_id, attempt, report))
        except Exception:  # a full or gone queue must not fail the job
            pass

    def run(self, wire: Mapping[str, Any], link: Optional[Mapping[str, Any]] = None,
            attempt: int = 1) -> tuple[dict[str, Any], Optional[dict[str, Any]]]:
        """Render one bundle. Returns (result payload, chain link or None); failures and cancels come
        back as a payload with that status, so only a dead worker is an exception at the studio."""
        job_id = str(wire["request"]["job_id"])
        workdir = Path(tempfile.mkdtemp(prefix="job-", dir=self._scratch))
        token = CancelToken()
        with self._lock:
            self._running[job_id] = token
        started = time.monotonic()
        last = [0.0]

        def progress(p: Progress) -> None:
            now = time.monotonic()
            if p.preview is not None or p.stage in ("loading", "done") or now - last[0] >= PROGRESS_EVERY_S:
                last[0] = now
                self._report(job_id, attempt, p)

        def ended(status: JobStatus, error: Optional[EngineError] = None) -> tuple[dict, None]:
            result = GenerationResult(job_id, status, backend=str(wire["request"].get("backend", "")), error=error,
                                      seconds=round(time.monotonic() - started, 3))
            return {"result": result.to_dict(), "files": {},
                    "cancel_seen_at": self._cancel_seen.pop(job_id, None)}, None

        try:
            request = unpack(wire, workdir, self._model_dirs, worker=socket.gethostname())
            if request.conditioning.from_job:
                if not link:
                    raise EngineError(ErrorKind.BUG, f"chained job {job_id} arrived without its upstream's last frame")
                frame = workdir / "in" / f"chain-{link['job_id']}.last.png"
                frame.write_bytes(link["last_frame"])
                request = resolve_chain(request, link, str(frame))
            key = f"{request.backend}:{request.model}" if request.model else request.backend
            token.raise_if_cancelled()
            result = self._backend(request.backend).generate(request, progress, token)
            self.jobs_run += 1
            if key in self._models:
                self._models.remove(key)
            self._models.append(key)
            if result.status is not JobStatus.DONE:
                return {"result": result.to_dict(), "files": {}}, None
            payload = pack_result(result, request, wire["request"])
            payload["finished_at"] = time.time()   # wall clock: the studio measures delivery from here
            return payload, chain_link(result)
        except JobCancelled:
            return ended(JobStatus.CANCELLED)
        except EngineError as exc:
            return ended(JobStatus.FAILED, exc)
        except MemoryError as exc:
            return ended(JobStatus.FAILED, EngineError(ErrorKind.OUT_OF_MEMORY, f"out of memory on the worker ({exc})",
                                                       details=traceback.format_exc()))
        except Exception as exc:
            return ended(JobStatus.FAILED, EngineError(ErrorKind.BUG, f"{type(exc).__name__}: {exc}",
                                                       details=traceback.format_exc()))
        finally:
            with self._lock:
                self._running.pop(job_id, None)
            shutil.rmtree(workdir, ignore_errors=True)


def _cpu_seconds() -> float:
    """CPU this worker process and its finished children (the encoders) have used."""
    import resource
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def actor_class() -> Any:
    """FarmWorker as a Ray actor class: two threads (one job, one for cancel/info), restarted by
    the studio's runner, not by Ray (a restart elsewhere would take another node's slot)."""
    import ray
    return ray.remote(max_concurrency=2, max_restarts=0)(FarmWorker)
