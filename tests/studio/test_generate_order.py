"""Generate missing renders in cut order (issue 15 item 8): a shot waiting for its upstream's take is not
overtaken by later unchained shots, and a failed upstream still lets the shots that only followed it run.
Real Runner + real previs at 192x108, 12 frames."""
from __future__ import annotations

from pathlib import Path

from engine.jobs import JobStatus
from engine.runner import Runner
from studio.commands import SetShotFields
from studio.generate import GenerationService
from tests.studio.test_generate import _drain, _Events, _small_project, config_dir  # noqa: F401 (fixture)


def _numbers(doc) -> dict[str, int]:
    return {s.id: n for n, (_, s) in enumerate(doc.project.shots(), start=1)}


def test_a_fresh_shot_after_a_chained_one_waits_its_turn(tmp_path: Path, config_dir: Path):
    doc = _small_project(tmp_path / "p.shotreel", shots=4)
    ids = [s.id for _, s in doc.project.shots()]
    doc.execute(SetShotFields(ids[2], continuity="none"))  # shot 3 starts fresh (a new scene would)
    events = _Events()
    runner = Runner(listeners=[events])
    service = GenerationService(doc, runner)
    try:
        submitted = service.queue_shots(ids)
        assert len(submitted) == 1  # shot 3 used to be queued at once, ahead of the waiting shot 2
        assert service.deferred_shots() == ids[1:]
        results = _drain(service, events)
    finally:
        runner.shutdown()
    numbers = _numbers(doc)
    assert [numbers[runner.get(r.job_id).request.shot_id] for r in results] == [1, 2, 3, 4]
    assert all(r.status is JobStatus.DONE for r in results)
    doc.close()


def test_a_failed_shot_drops_its_chain_but_not_the_shots_that_only_followed_it(tmp_path: Path, config_dir: Path):
    doc = _small_project(tmp_path / "p.shotreel", shots=4)
    ids = [s.id for _, s in doc.project.shots()]
    broken = doc.media_dir / "imports" / "board.png"
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_bytes(b"not a png")
    doc.execute(SetShotFields(ids[1], board_image=doc.relpath(broken)))       # shot 2 fails
    doc.execute(SetShotFields(ids[2], continuity="none"))                     # shot 3 fresh, 4 chained on 3
    events = _Events()
    runner = Runner(listeners=[events])
    service = GenerationService(doc, runner)
    try:
        service.queue_shots(ids)
        results = _drain(service, events)
    finally:
        runner.shutdown()
    numbers = _numbers(doc)
    ran = [(numbers[runner.get(r.job_id).request.shot_id], r.status) for r in results]
    assert ran == [(1, JobStatus.DONE), (2, JobStatus.FAILED), (3, JobStatus.DONE), (4, JobStatus.DONE)]
    assert service.idle and not service.deferred_shots()
    doc.close()
