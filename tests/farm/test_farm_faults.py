"""The farm runner's queue and its faults on a real local Ray cluster: cancel reaches a remote job,
pause holds, reorder decides what starts, a worker node killed mid-job is retried on another node
with one take per shot, and a studio restart submits running jobs again."""
from __future__ import annotations

import copy
import time

from engine.jobs import GenerationRequest, JobStatus
from engine.runner import MemoryJobStore
from engine.take_writer import take_paths

from .conftest import add_previs_node, kill_node

LONG = 240   # frames: a job that runs a few seconds at 160x90, long enough to act on mid-job


def _request(folder, job_id: str, frames: int = 12, seed: int = 1) -> GenerationRequest:
    return GenerationRequest(job_id=job_id, output_dir=str(folder / "takes" / job_id), width=160, height=90,
                             frames=frames, seed=seed, shot_id=f"sh-{job_id}")


class _Seen:
    def __init__(self) -> None:
        self.started: list[str] = []
        self.finished: dict[str, object] = {}
        self.progress: dict[str, int] = {}

    def on_record(self, record) -> None:
        if record.status is JobStatus.RUNNING:
            self.started.append(record.job_id)

    def on_progress(self, p) -> None:
        if p.stage == "rendering":
            self.progress[p.job_id] = p.current

    def on_finished(self, result) -> None:
        self.finished[result.job_id] = result


def _until(predicate, timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _farm_runner(farm, **kwargs):
    from engine.farm.runner import FarmRunner
    runner = FarmRunner(farm.address, **kwargs)
    _until(lambda: sum(w["ready"] for w in runner.workers()) >= 3, what="three workers")
    return runner


def test_cancel_reaches_a_running_remote_job_within_a_second(farm, tmp_path):
    seen = _Seen()
    runner = _farm_runner(farm, listeners=[seen])
    try:
        runner.submit(_request(tmp_path, "long", frames=LONG))
        _until(lambda: seen.progress.get("long", 0) >= 2, what="the job to render")
        assert runner.cancel("long") is True
        record = runner.wait("long", timeout=30)
    finally:
        runner.shutdown()
    assert record.status is JobStatus.CANCELLED
    assert runner.cancel_latency["long"] < 1.0, runner.cancel_latency
    assert not (tmp_path / "takes" / "long").exists() or not any((tmp_path / "takes" / "long").iterdir())


def test_pause_holds_and_reorder_decides_what_starts_first(farm, tmp_path):
    seen = _Seen()
    runner = _farm_runner(farm, listeners=[seen], paused=True)
    try:
        for name in ("a", "b", "c", "d"):
            runner.submit(_request(tmp_path, name))
        time.sleep(1.0)                       # workers idle, the queue paused: nothing starts
        assert seen.started == [] and runner.queued_ids() == ["a", "b", "c", "d"]
        runner.reorder("d", 0)
        runner.set_priority("c", 5)
        assert runner.queued_ids() == ["c", "d", "a", "b"]
        runner.resume()
        assert runner.wait_idle(timeout=60)
    finally:
        runner.shutdown()
    assert seen.started[:2] == ["c", "d"]
    assert all(seen.finished[n].status is JobStatus.DONE for n in "abcd")


def test_a_worker_node_killed_mid_job_is_retried_elsewhere_with_one_take(farm, tmp_path):
    seen = _Seen()
    store = MemoryJobStore()
    runner = _farm_runner(farm, store=store, listeners=[seen])
    try:
        runner.submit(_request(tmp_path, "victim", frames=LONG, seed=7))
        _until(lambda: seen.progress.get("victim", 0) >= 2, what="the job to render")
        label = runner.get("victim").worker
        node = next(n for n in farm.list_all_nodes() if n.node_id.startswith(label.split("/")[0]))
        assert node is not farm.head_node
        kill_node(farm, node)
        record = runner.wait("victim", timeout=120)
    finally:
        runner.shutdown()
        add_previs_node(farm)                 # the next tests get their three workers back
        farm.wait_for_nodes()
    assert record.status is JobStatus.DONE, record.error
    assert record.attempts == 2
    assert record.worker.split("/")[0] != label.split("/")[0]
    assert seen.started.count("victim") == 2 and list(seen.finished) == ["victim"]
    files = sorted(p.name for p in (tmp_path / "takes" / "victim").iterdir())
    assert ".partial-" not in "".join(files)
    assert take_paths(record.request)["video"].name in files
    assert record.result.frames == LONG


def test_a_studio_restart_submits_the_running_jobs_again(farm, tmp_path):
    from engine.farm.runner import FarmRunner
    seen = _Seen()
    store = MemoryJobStore()
    runner = _farm_runner(farm, store=store, listeners=[seen])
    try:
        runner.submit(_request(tmp_path, "again", frames=LONG // 2))
        _until(lambda: seen.progress.get("again", 0) >= 1, what="the job to render")
        crashed = MemoryJobStore()
        crashed.records = copy.deepcopy(store.records)   # the job table as a crash left it: running
        assert crashed.records["again"]["status"] == "running"
    finally:
        runner.shutdown()
    seen2 = _Seen()
    runner = FarmRunner(farm.address, store=crashed, listeners=[seen2])
    try:
        assert runner.recovered == ["again"]
        record = runner.wait("again", timeout=120)
    finally:
        runner.shutdown()
    assert record.status is JobStatus.DONE
    assert list(seen2.finished) == ["again"]
    assert take_paths(record.request)["video"].is_file()


def test_a_gpu_job_waits_for_a_gpu_worker_and_says_so_when_none_fits(farm, tmp_path):
    """Scheduling by resources: a diffusion request asking for more memory than any (simulated) GPU
    worker has is not sent anywhere; the studio hears why."""
    states = []

    class _States:
        def on_engine_state(self, text):
            states.append(text)
    runner = _farm_runner(farm, listeners=[_States()])
    try:
        request = _request(tmp_path, "huge").with_(backend="diffusion", model="tiny", options={"vram_gb": 80})
        runner.submit(request)
        _until(lambda: any("no farm worker can run job huge" in s for s in states), what="the message")
        assert runner.get("huge").status is JobStatus.QUEUED
        runner.cancel("huge")
    finally:
        runner.shutdown()


def test_farm_status_lists_nodes_and_the_workers_jobs_and_models(farm, tmp_path):
    from engine.farm.cluster import status
    seen = _Seen()
    runner = _farm_runner(farm, listeners=[seen])
    try:
        runner.wait(runner.submit(_request(tmp_path, "first")), timeout=60)
        runner.submit(_request(tmp_path, "busy", frames=LONG))
        _until(lambda: seen.progress.get("busy", 0) >= 1, what="the job to render")
        report = status(farm.address)
        runner.cancel("busy")
    finally:
        runner.shutdown()
    alive = [n for n in report["nodes"] if n["alive"]]
    assert sum(n["cpu_workers"] for n in alive) == 2 and sum(n["gpu_workers"] for n in alive) == 1
    assert any(n["vram_gb"] == 24 for n in alive) and any(n["head"] for n in alive)
    workers = report["workers"]
    assert len(workers) == 3 and {w["slot"] for w in workers} == {"cpu", "gpu"}
    assert [w["running"] for w in workers if w["running"]] == [["busy"]]
    assert any("previs" in w["models"] for w in workers)


def test_a_chain_survives_its_upstream_record_being_removed_once_its_take_exists(farm, tmp_path):
    """`shotreel generate` removes each job as soon as its take is recorded: the shot chained after
    it still starts from that take's last frame and end state."""
    from dataclasses import replace

    class RemoveWhenDone:
        def __init__(self):
            self.runner = None

        def on_finished(self, result):
            if result.job_id == "up" and result.status is JobStatus.DONE:
                self.runner.remove("up")
    remover = RemoveWhenDone()
    runner = _farm_runner(farm, listeners=[remover])
    remover.runner = runner
    try:
        up = _request(tmp_path, "up", frames=24)
        down = _request(tmp_path, "down")
        down = down.with_(conditioning=replace(down.conditioning, from_job="up"))
        runner.submit(up)
        runner.submit(down)
        record = runner.wait("down", timeout=120)
    finally:
        runner.shutdown()
    assert record.status is JobStatus.DONE, record.error
    cond = record.request.conditioning
    assert cond.source_take_id == "up" and cond.source_frame == 23 and cond.from_job is None
    assert cond.first_frame == str(take_paths(up)["last_frame"])
    assert record.request.scene.start_state is not None
