"""The job runner with the real previs backend (tiny renders, real ffmpeg)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import psutil
import pytest

from engine.cues import CameraCue
from engine.errors import EngineError, ErrorKind
from engine.jobs import CharacterSpec, GenerationRequest, GenerationResult, JobStatus, SceneSpec
from engine.runner import JobRecord, MemoryJobStore, Runner, RunnerError
from runner_testkit import JsonFileStore

REPO = Path(__file__).resolve().parents[2]


def req(tmp_path, job_id, frames=4, width=64, height=36, **kw) -> GenerationRequest:
    return GenerationRequest(job_id=job_id, output_dir=str(tmp_path / "media"), width=width, height=height,
                             frames=frames, camera=kw.pop("camera", CameraCue(move="pan", amount=0.3)),
                             scene=kw.pop("scene", SceneSpec(characters=(CharacterSpec("ANA"),))), **kw)


class Events:
    """Listener that records everything, with the time each state arrived."""

    def __init__(self):
        self.lock = threading.Lock()
        self.states: list[tuple[str, JobStatus, float]] = []
        self.progress = []
        self.finished: list[GenerationResult] = []

    def on_state(self, job_id, status):
        with self.lock:
            self.states.append((job_id, status, time.monotonic()))

    def on_progress(self, p):
        with self.lock:
            self.progress.append(p)

    def on_finished(self, result):
        with self.lock:
            self.finished.append(result)

    def started(self):
        with self.lock:
            return [j for j, s, _ in self.states if s is JobStatus.RUNNING]

    def when(self, job_id, status):
        with self.lock:
            return next((t for j, s, t in self.states if j == job_id and s is status), None)

    def wait_progress(self, job_id, at_least, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if any(p.job_id == job_id and p.stage == "rendering" and p.current >= at_least for p in self.progress):
                    return
            time.sleep(0.005)
        raise AssertionError(f"{job_id} never reached frame {at_least}")


@pytest.fixture
def runner_factory():
    made = []

    def make(*args, **kw):
        r = Runner(*args, **kw)
        made.append(r)
        return r
    yield make
    for r in made:
        r.shutdown()


def test_priorities_then_submission_order(tmp_path, runner_factory):
    events = Events()
    r = runner_factory(listeners=[events], paused=True)
    for job_id, prio in (("a", 0), ("b", 0), ("c", 5), ("d", -1)):
        r.submit(req(tmp_path, job_id), priority=prio)
    assert r.queued_ids() == ["c", "a", "b", "d"]
    with pytest.raises(RunnerError):
        r.submit(req(tmp_path, "a"))  # an id that is still queued
    r.resume()
    assert r.wait_idle(60)
    assert events.started() == ["c", "a", "b", "d"]
    for job in r.jobs():
        assert job.status is JobStatus.DONE and Path(job.result.video).is_file()


def test_reorder_and_set_priority(tmp_path, runner_factory):
    events = Events()
    r = runner_factory(listeners=[events], paused=True)
    for job_id in "abc":
        r.submit(req(tmp_path, job_id))
    r.reorder("c", 0)
    assert r.queued_ids() == ["c", "a", "b"]
    r.reorder("c", 99)
    assert r.queued_ids() == ["a", "b", "c"]
    r.submit(req(tmp_path, "d"), priority=3)
    assert r.queued_ids() == ["d", "a", "b", "c"]
    r.reorder("b", 0)  # jumps the priority-3 job: takes its priority
    assert r.queued_ids() == ["b", "d", "a", "c"] and r.get("b").priority == 3
    r.set_priority("c", 10)
    assert r.queued_ids()[0] == "c"
    with pytest.raises(RunnerError):
        r.reorder("nope", 0)
    r.resume()
    assert r.wait_idle(60)
    assert events.started() == ["c", "b", "d", "a"]


def test_pause_takes_effect_between_jobs(tmp_path, runner_factory):
    events = Events()
    r = runner_factory(listeners=[events])
    r.submit(req(tmp_path, "long", frames=120))
    r.submit(req(tmp_path, "next"))
    events.wait_progress("long", 2)
    r.pause()
    assert r.wait(job_id="long", timeout=60).status is JobStatus.DONE  # the running job finishes
    time.sleep(0.4)
    assert r.get("next").status is JobStatus.QUEUED and r.paused
    r.resume()
    assert r.wait("next", 60).status is JobStatus.DONE


def test_cancel_queued_job(tmp_path, runner_factory):
    events = Events()
    r = runner_factory(listeners=[events], paused=True)
    r.submit(req(tmp_path, "a"))
    r.submit(req(tmp_path, "b"))
    waited = []
    waiter = threading.Thread(target=lambda: waited.append(r.wait("b", 10).status))
    waiter.start()
    time.sleep(0.05)
    assert r.cancel("b") is True
    waiter.join(2)
    assert waited == [JobStatus.CANCELLED]  # a waiter wakes at once
    assert r.get("b").status is JobStatus.CANCELLED
    assert [f.status for f in events.finished if f.job_id == "b"] == [JobStatus.CANCELLED]
    r.resume()
    assert r.wait_idle(60)
    assert events.started() == ["a"]
    assert r.cancel("a") is False  # already done


def test_cancel_running_job_within_200ms_and_the_queue_goes_on(tmp_path, runner_factory):
    events = Events()
    r = runner_factory(listeners=[events])
    r.submit(req(tmp_path, "long", frames=5000, width=256, height=144))
    r.submit(req(tmp_path, "after"))
    events.wait_progress("long", 5)
    asked = time.monotonic()
    assert r.cancel("long")
    assert r.wait("long", 10).status is JobStatus.CANCELLED
    latency = events.when("long", JobStatus.CANCELLED) - asked
    assert latency < 0.2, f"cancel took {latency * 1000:.0f} ms"
    assert r.wait("after", 60).status is JobStatus.DONE
    names = sorted(p.name for p in (tmp_path / "media").iterdir())
    assert not [n for n in names if n.startswith("long")], names  # nothing of the cancelled take remains


def test_retry_after_cancel(tmp_path, runner_factory):
    events = Events()
    r = runner_factory(listeners=[events])
    r.submit(req(tmp_path, "job", frames=400))
    events.wait_progress("job", 3)
    r.cancel("job")
    assert r.wait("job", 10).status is JobStatus.CANCELLED
    with pytest.raises(RunnerError):
        r.retry("nope")
    r.retry("job")
    record = r.wait("job", 120)  # the same request runs again, to the end
    assert record.status is JobStatus.DONE and record.attempts == 2
    with pytest.raises(RunnerError):
        r.retry("job")  # done jobs do not retry


def test_failures_are_typed_and_do_not_stop_the_queue(tmp_path, runner_factory):
    events = Events()
    r = runner_factory(listeners=[events])
    bad_board = req(tmp_path, "board", scene=SceneSpec(board_image=str(tmp_path / "missing.png")))
    r.submit(bad_board)
    r.submit(req(tmp_path, "nobackend", backend="no-such-backend"))
    r.submit(req(tmp_path, "good"))
    assert r.wait_idle(60)
    board, nob, good = r.get("board"), r.get("nobackend"), r.get("good")
    assert board.status is JobStatus.FAILED and board.error.kind is ErrorKind.BAD_INPUT
    assert "missing.png" in board.error.message
    assert nob.status is JobStatus.FAILED and nob.error.kind is ErrorKind.UNSUPPORTED
    assert good.status is JobStatus.DONE
    failed = [f for f in events.finished if f.status is JobStatus.FAILED]
    assert {f.job_id for f in failed} == {"board", "nobackend"} and all(f.error for f in failed)


class _RaisingBackend:
    """A test double standing in for a crashing backend (not for a result): it raises what it is given."""
    name = "raising"

    def __init__(self, exc):
        self.exc = exc

    def generate(self, request, progress, cancel):
        raise self.exc


@pytest.mark.parametrize("exc,kind", [(ZeroDivisionError("boom"), ErrorKind.BUG),
                                      (MemoryError(), ErrorKind.OUT_OF_MEMORY)])
def test_backend_exceptions_become_typed_failures_with_raising_double(tmp_path, runner_factory, exc, kind):
    r = runner_factory(backend_factory=lambda name: _RaisingBackend(exc))
    r.submit(req(tmp_path, "x"))
    record = r.wait("x", 10)
    assert record.status is JobStatus.FAILED and record.error.kind is kind
    if kind is ErrorKind.BUG:
        assert "ZeroDivisionError" in record.error.details and "boom" in record.error.message


def test_progress_events_with_eta_and_previews(tmp_path, runner_factory):
    events = Events()
    r = runner_factory(listeners=[events])
    r.submit(req(tmp_path, "p", frames=48, width=128, height=72))
    assert r.wait("p", 60).status is JobStatus.DONE
    rendering = [p for p in events.progress if p.stage == "rendering"]
    assert rendering and rendering[-1].current == 48 and rendering[-1].total == 48
    assert any(p.eta_s is not None and p.eta_s >= 0 for p in rendering)
    previews = [p.preview for p in rendering if p.preview]
    assert previews and all(len(b) == w * h * 3 and w <= 192 for b, w, h in previews)
    assert events.progress[-1].stage == "done"
    assert [s for j, s, _ in events.states] == [JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE]


def test_postprocess_hook_runs_on_the_worker_thread(tmp_path, runner_factory):
    seen = []

    def sign(request, result):
        seen.append((threading.current_thread().name, request.job_id))
        if request.job_id == "bad":
            raise EngineError(ErrorKind.BAD_INPUT, "signing failed")
        Path(result.video + ".c2pa").write_text("signed")
        return result.__class__(**{**result.__dict__, "metadata": {**result.metadata, "signed": True}})

    r = runner_factory(postprocess=sign)
    r.submit(req(tmp_path, "ok"))
    r.submit(req(tmp_path, "bad"))
    assert r.wait_idle(60)
    ok, bad = r.get("ok"), r.get("bad")
    assert ok.result.metadata["signed"] is True and Path(ok.result.video + ".c2pa").is_file()
    assert bad.status is JobStatus.FAILED and bad.error.message == "signing failed"
    assert seen == [("engine-worker", "ok"), ("engine-worker", "bad")]


def test_store_round_trip_and_recovery_in_process(tmp_path):
    store = MemoryJobStore()
    media = tmp_path / "media"
    media.mkdir()
    (media / "run.partial-1234abcd.mp4").write_bytes(b"half a take")
    for job_id, status in (("run", JobStatus.RUNNING), ("wait", JobStatus.QUEUED), ("old", JobStatus.DONE)):
        store.save(JobRecord(job_id, req(tmp_path, job_id), status=status, position=len(store.records)))
    r = Runner(store, start=False)
    assert r.recovered == ["run"]
    assert {j.job_id: j.status for j in r.jobs()} == {"run": JobStatus.QUEUED, "wait": JobStatus.QUEUED,
                                                      "old": JobStatus.DONE}
    assert store.records["run"]["status"] == "queued" and not list(media.iterdir())
    assert JobRecord.from_dict(json.loads(json.dumps(store.records["wait"]))).request == req(tmp_path, "wait")
    r.remove("old")
    assert "old" not in store.records
    r.shutdown()


_CHILD = textwrap.dedent("""
    import sys, time
    sys.path[:0] = [{repo!r}, {tests!r}]
    from runner_testkit import JsonFileStore
    from engine.jobs import GenerationRequest
    from engine.runner import Runner

    class Tell:
        def on_progress(self, p):
            if p.stage == "rendering" and p.current >= 5:
                print("RUNNING", flush=True)

    runner = Runner(JsonFileStore(sys.argv[1]), listeners=[Tell()])
    runner.submit(GenerationRequest(job_id="victim", output_dir=sys.argv[2], width=256, height=144, frames=20000))
    runner.submit(GenerationRequest(job_id="later", output_dir=sys.argv[2], width=64, height=36, frames=2))
    time.sleep(120)
""")


def test_kill_9_mid_job_requeues_it_and_removes_partials(tmp_path):
    store_path, media = tmp_path / "jobs.json", tmp_path / "media"
    script = tmp_path / "child.py"
    script.write_text(_CHILD.format(repo=str(REPO), tests=str(REPO / "tests" / "engine")))
    child = subprocess.Popen([sys.executable, str(script), str(store_path), str(media)], stdout=subprocess.PIPE,
                             text=True)
    try:
        line = child.stdout.readline()
        assert line.strip() == "RUNNING", line
        ffmpegs = psutil.Process(child.pid).children(recursive=True)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        psutil.wait_procs(ffmpegs, timeout=20)  # the orphaned encoder ends on EOF
    finally:
        if child.poll() is None:
            child.kill()
    stored = json.loads(store_path.read_text())
    assert stored["victim"]["status"] == "running" and stored["later"]["status"] == "queued"
    assert [p for p in media.iterdir() if ".partial-" in p.name]  # the crash left a half-written take

    reopened = Runner(JsonFileStore(store_path), start=False)
    try:
        assert reopened.recovered == ["victim"]
        assert reopened.queued_ids() == ["victim", "later"]
        assert not list(media.iterdir())  # partial files are gone, none became a take
        assert json.loads(store_path.read_text())["victim"]["status"] == "queued"
    finally:
        reopened.shutdown()


def test_backend_registry(tmp_path):
    from engine.backends import backend_names, create_backend, register_backend
    from engine.previs.backend import PrevisBackend
    assert isinstance(create_backend("previs"), PrevisBackend) and "previs" in backend_names()
    with pytest.raises(EngineError) as info:
        create_backend("no-such-backend")
    assert info.value.kind is ErrorKind.UNSUPPORTED
    register_backend("previs-copy", PrevisBackend)
    r = Runner()
    try:
        r.submit(req(tmp_path, "copy", backend="previs-copy"))
        assert r.wait("copy", 60).status is JobStatus.DONE
    finally:
        r.shutdown()


def test_a_failing_store_refuses_submit_but_never_stops_the_worker(tmp_path):
    class FlakyStore(MemoryJobStore):
        fail = False

        def save(self, record):
            if self.fail:
                raise OSError("disk on fire")
            super().save(record)

    store = FlakyStore()
    notes = []

    class Notes:
        def on_engine_state(self, text):
            notes.append(text)

    r = Runner(store, listeners=[Notes()])
    try:
        store.fail = True
        with pytest.raises(OSError):
            r.submit(req(tmp_path, "refused"))
        assert "refused" not in {j.job_id for j in r.jobs()}
        store.fail = False
        r.submit(req(tmp_path, "ok"))
        store.fail = True  # the worker's own saves fail from here on
        assert r.wait("ok", 60).status is JobStatus.DONE
        assert any("not being saved" in n for n in notes)
        store.fail = False
        r.submit(req(tmp_path, "after"))
        assert r.wait("after", 60).status is JobStatus.DONE
    finally:
        r.shutdown()
