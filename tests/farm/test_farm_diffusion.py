"""Tiny random-weight diffusion pipelines on the farm: the request names its model by folder name,
the (simulated) GPU worker finds it in its own model folder, keeps the pipeline loaded between
shots, and its takes are frame-identical to the same requests run here."""
from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.frames import read_frames
from engine.jobs import CancelToken, GenerationRequest, JobStatus

FAST = {"steps": 2, "max_sequence_length": 32}
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tiny_wan(tmp_path_factory):
    pytest.importorskip("torch")   # the gen extra; `make test` installs it
    path = ROOT / "tests" / "engine" / "diffusion" / "tiny_pipelines.py"
    spec = importlib.util.spec_from_file_location("farm_tiny_pipelines", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    studio_models = tmp_path_factory.mktemp("studio-models")
    worker_models = tmp_path_factory.mktemp("worker-models")
    module.build_all(studio_models, ["wan_t2v"])
    shutil.copytree(studio_models / "wan_t2v", worker_models / "wan_t2v")   # the worker machine's own copy
    return studio_models / "wan_t2v", worker_models


def _request(out: Path, job: str, model: Path, seed: int) -> GenerationRequest:
    return GenerationRequest(job_id=job, output_dir=str(out / job), backend="diffusion", model=str(model),
                             prompt="a woman walks to the window", width=32, height=32, frames=9, fps=16,
                             seed=seed, options=FAST)


def test_diffusion_shots_on_a_gpu_worker_match_local_runs(farm, tmp_path, tiny_wan):
    import torch

    from engine.diffusion.backend import DiffusionBackend
    from engine.farm.runner import FarmRunner
    model, worker_models = tiny_wan
    torch.set_num_threads(1)
    runner = FarmRunner(farm.address, model_dirs=[str(worker_models)])
    try:
        need = runner.memory_need(_request(tmp_path, "estimate", model, seed=0))
        assert 0 < need < 24          # the engine's estimate for the tiny model: fits the 24 GB worker
        jobs = [runner.submit(_request(tmp_path / "farm", f"d{i}", model, seed=i)) for i in range(2)]
        records = [runner.wait(j, timeout=240) for j in jobs]
        workers = runner.workers()
    finally:
        runner.shutdown()
    assert [r.status for r in records] == [JobStatus.DONE] * 2, [r.error for r in records]
    assert all("/gpu" in r.worker for r in records)      # diffusion goes to the GPU worker only
    gpu = [w for w in workers if w["kind"] == "gpu"]
    assert any(m.startswith("diffusion|wan_t2v") for w in gpu for m in w["models"])   # kept for the next shot
    for i, record in enumerate(records):
        here = DiffusionBackend().generate(_request(tmp_path / "here", f"d{i}", model, seed=i), lambda p: None,
                                           CancelToken())
        a = read_frames(record.result.video, range(9))
        b = read_frames(here.video, range(9))
        assert all(np.array_equal(a[k], b[k]) for k in range(9)), f"shot {i} differs from the local run"


def test_a_worker_without_the_model_says_so(farm, tmp_path, tiny_wan):
    from engine.errors import ErrorKind
    from engine.farm.runner import FarmRunner
    model, _ = tiny_wan
    runner = FarmRunner(farm.address, model_dirs=[str(tmp_path / "empty")])
    try:
        record = runner.wait(runner.submit(_request(tmp_path, "nomodel", model, seed=1)), timeout=120)
    finally:
        runner.shutdown()
    assert record.status is JobStatus.FAILED and record.error.kind is ErrorKind.MODEL_MISSING
    assert "has no model 'wan_t2v'" in record.error.message
