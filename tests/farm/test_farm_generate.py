"""Generation on a real Ray cluster of local nodes: the same takes as the local runner, chains kept,
takes signed at the studio, work spread over the nodes."""
from __future__ import annotations

import numpy as np

from engine.jobs import JobStatus
from engine.runner import Runner
from studio.document import Document
from studio.generate import GenerationService

from .farm_project import Events, copy_project, drain, make_project, shot_frames


def _generate(doc: Document, runner, events: Events) -> list:
    service = GenerationService(doc, runner)
    ids = [s.id for _, s in doc.project.shots()]
    submitted = service.queue_shots(ids)
    results = drain(service, events)
    return submitted, results


def test_six_shots_with_a_chain_on_three_nodes_match_the_local_runner(farm, tmp_path, monkeypatch):
    from engine.farm.runner import FarmRunner
    from studio.generate import signing_postprocess
    from studio.identity import load_or_create_identity
    from studio.provenance import verify
    source = make_project(tmp_path / "src.shotreel")
    local_dir = copy_project(source, tmp_path / "local.shotreel")
    farm_dir = copy_project(source, tmp_path / "farm.shotreel")

    with Document.open(local_dir) as doc:
        events = Events()
        runner = Runner(store=doc.job_store, listeners=[events])
        try:
            _, results = _generate(doc, runner, events)
        finally:
            runner.shutdown()
        assert [r.status for r in results] == [JobStatus.DONE] * 6
        local_frames = shot_frames(doc)

    identity = load_or_create_identity()
    with Document.open(farm_dir) as doc:
        events = Events()
        runner = FarmRunner(farm.address, store=doc.job_store, listeners=[events],
                            postprocess=signing_postprocess(identity))
        try:
            submitted, results = _generate(doc, runner, events)
            records = {r.job_id: r for r in runner.jobs()}
        finally:
            runner.shutdown()
        # the whole chain is submitted at once (the local runner holds shots 2 and 3 back)
        assert len(submitted) == 6
        assert sorted(r.status for r in results) == [JobStatus.DONE] * 6
        farm_frames = shot_frames(doc)
        shots = [s for _, s in doc.project.shots()]
        takes = [doc.project.take(s.selected_take) for s in shots]
        assert takes[1].source_take_id == takes[0].id and takes[1].source_frame == 11
        assert takes[2].source_take_id == takes[1].id and takes[2].source_frame == 11
        assert takes[3].source_take_id == ""
        # the chained request the take keeps names the upstream take's file, as a local take does
        assert takes[1].params["conditioning"]["first_frame"] == takes[0].files["last_frame"]
        assert "from_job" not in takes[1].params["conditioning"]
        workers = {records[t.id].worker for t in takes}
        assert len({w.split("/")[0] for w in workers}) >= 2, workers
        # signed here, at the studio, with the studio's key
        report = verify(doc.abspath(takes[4].files["video"]), identity=identity)
        assert report.state == "Trusted", report.summary_lines()
        assert len(doc.project.takes) == 6
        assert any(p.preview is not None for p in events.progress)

    assert len(local_frames) == len(farm_frames) == 6
    for i, (a, b) in enumerate(zip(local_frames, farm_frames)):
        assert a.shape == b.shape == (12, 90, 160, 3), i
        assert np.array_equal(a, b), f"shot {i + 1} differs from the local runner's take"
