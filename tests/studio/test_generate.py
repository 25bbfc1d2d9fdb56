"""GenerationService + real Runner + real previs: chained shots render in order, takes are signed."""
from __future__ import annotations

import queue
from pathlib import Path

import pytest

from engine.cues import AudioCue, CameraCue, MotionCue
from engine.jobs import JobStatus
from engine.runner import Runner
from studio.cli import main as cli_main
from studio.commands import AddBibleEntry, AddShot, SetShotFields
from studio.continuity import stale_shots
from studio.document import Document
from studio.generate import GenerationService, signing_postprocess
from studio.model import BibleEntry, Shot


@pytest.fixture()
def config_dir(tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "config"
    monkeypatch.setenv("SHOTREEL_CONFIG_DIR", str(folder))
    return folder


def _small_project(path: Path, shots: int = 3) -> Document:
    doc = Document.create(path, fps=24, width=192, height=108)
    seq_id = doc.project.sequences[0].id
    doc.execute(AddBibleEntry(BibleEntry("c1", "character", "Mara", color="#cc3344", voice="en-us+f2")))
    for i in range(shots):
        doc.execute(AddShot(seq_id, Shot.create(
            title=f"Shot {i + 1}", duration=12, camera=CameraCue(move="pan" if i % 2 else "dolly_in", amount=0.3),
            motion=(MotionCue(subject="Mara", action="walks", screen_direction="right"),), bible_refs=("c1",),
            audio=(AudioCue(kind="sfx", preset="click", start=2),), continuity="previous")))
    return doc


class _Events:
    def __init__(self) -> None:
        self.queue: queue.Queue = queue.Queue()

    def on_finished(self, result) -> None:
        self.queue.put(result)


def _drain(service: GenerationService, events: _Events, timeout: float = 120) -> list:
    results = []
    while not service.idle or not events.queue.empty():
        result = events.queue.get(timeout=timeout)
        service.handle_finished(result)
        results.append(result)
    return results


def test_chained_shots_render_in_order_and_are_signed(tmp_path: Path, config_dir: Path):
    from studio.identity import load_or_create_identity
    from studio.provenance import verify
    doc = _small_project(tmp_path / "p.shotreel")
    identity = load_or_create_identity()
    events = _Events()
    runner = Runner(store=doc.job_store, postprocess=signing_postprocess(identity), listeners=[events])
    service = GenerationService(doc, runner)
    try:
        ids = [s.id for _, s in doc.project.shots()]
        submitted = service.queue_shots(reversed(ids))  # order given does not matter
        assert len(submitted) == 1 and service.deferred_shots() == ids[1:]
        results = _drain(service, events)
    finally:
        runner.shutdown()
    assert [r.status for r in results] == [JobStatus.DONE] * 3
    shots = [s for _, s in doc.project.shots()]
    takes = [doc.project.take(s.selected_take) for s in shots]
    assert takes[0].source_take_id == ""
    assert takes[1].source_take_id == takes[0].id and takes[1].source_frame == 11
    assert takes[2].source_take_id == takes[1].id
    assert stale_shots(doc.project) == {}
    for take in takes:
        assert doc.abspath(take.files["video"]).is_file() and doc.abspath(take.files["audio"]).is_file()
        assert take.params["camera"]["move"] in ("pan", "dolly_in")
        report = verify(doc.abspath(take.files["video"]), identity=identity)
        assert report.state == "Trusted"
    doc.close()
    reopened = Document.open(tmp_path / "p.shotreel")
    assert [s.selected_take for _, s in reopened.project.shots()] == [t.id for t in takes]
    reopened.close()


def test_failed_upstream_drops_chained_shots(tmp_path: Path, config_dir: Path):
    doc = _small_project(tmp_path / "p.shotreel")
    first = next(s for _, s in doc.project.shots())
    broken = doc.media_dir / "imports" / "board.png"
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_bytes(b"not a png")
    doc.execute(SetShotFields(first.id, board_image=doc.relpath(broken), continuity="none"))
    events = _Events()
    runner = Runner(listeners=[events])
    service = GenerationService(doc, runner)
    try:
        service.queue_shots([s.id for _, s in doc.project.shots()])
        results = _drain(service, events)
    finally:
        runner.shutdown()
    assert [r.status for r in results] == [JobStatus.FAILED]
    assert "board" in results[0].error.message.lower() or "image" in results[0].error.message.lower()
    assert all(not s.selected_take for _, s in doc.project.shots())
    doc.close()


def test_cli_generate_and_takes(tmp_path: Path, config_dir: Path, capsys):
    path = tmp_path / "p.shotreel"
    _small_project(path, shots=2).close()
    assert cli_main(["generate", str(path), "--shot", "2", "--no-sign"]) == 0
    assert cli_main(["takes", str(path), "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()[-1]
    import json
    takes = json.loads(out)["takes"]
    assert len(takes) == 1 and takes[0]["selected"] and takes[0]["source_take_id"] == ""
    assert cli_main(["generate", str(path), "--missing", "--no-sign"]) == 0
    assert cli_main(["generate", str(path), "--missing"]) == 1  # nothing left: one clear error
    assert "every shot already has a take" in capsys.readouterr().err


def test_service_is_busy_until_the_last_result_is_handled(tmp_path: Path):
    """The runner marks a job finished just before it delivers on_finished: the service must still
    count that result as owed, or a caller waiting on `idle` stops before the take is recorded."""
    doc = _small_project(tmp_path / "p.shotreel", shots=1)
    events = _Events()
    runner = Runner(listeners=[events])
    service = GenerationService(doc, runner)
    try:
        (job_id,) = service.queue_shots([s.id for _, s in doc.project.shots()])
        runner.wait(job_id, timeout=120)
        assert runner.get(job_id).finished
        assert not service.idle  # finished in the runner, but its take is not recorded yet
        service.handle_finished(events.queue.get(timeout=30))
        assert service.idle and next(doc.project.shots())[1].selected_take == job_id
    finally:
        runner.shutdown()
        doc.close()


def test_a_project_opened_by_a_relative_path_generates(tmp_path: Path, monkeypatch):
    """`make demo` passes projects/demo.shotreel: the engine needs absolute output folders."""
    _small_project(tmp_path / "rel.shotreel", shots=1).close()
    monkeypatch.chdir(tmp_path)
    assert cli_main(["generate", "rel.shotreel", "--no-sign"]) == 0
    doc = Document.open("rel.shotreel")
    assert doc.folder.is_absolute()
    assert all(s.selected_take for _, s in doc.project.shots())
    doc.close()
