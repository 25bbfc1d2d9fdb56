"""Which idle farm worker a job goes to (engine.farm.scheduling: pure Python, no Ray): diffusion only
on a GPU worker with the memory, the same model's worker first, then the upstream shot's node; previs
on CPU workers first, keeping GPU workers for diffusion."""
from __future__ import annotations

from engine.farm.scheduling import Slot, choose, estimate_gb, fits, model_key
from engine.jobs import GenerationRequest


def _slot(key: str, node: str, kind: str, vram: float = 0.0, models=()) -> Slot:
    return Slot(key, handle=None, node_id=node, kind=kind, vram_gb=vram, ready_ref=None, ready=True,
                models=list(models))


def _diffusion(model: str = "/models/wan-1.3b", **options) -> GenerationRequest:
    return GenerationRequest(job_id="d", output_dir="/tmp/d", backend="diffusion", model=model, options=options)


def test_diffusion_goes_to_a_gpu_worker_with_the_memory_and_prefers_its_model():
    small = _slot("a", "node-a", "gpu", 12, models=[model_key(_diffusion())])
    big = _slot("b", "node-b", "gpu", 48)
    cpu = _slot("c", "node-c", "cpu")
    assert choose([cpu, small, big], _diffusion(), 8.0, "") is small          # holds the model already
    assert choose([cpu, small, big], _diffusion(), 20.0, "") is big           # only one has the memory
    assert choose([cpu], _diffusion(), 1.0, "") is None                       # never on a CPU worker
    assert not fits(small, _diffusion(), 20.0) and fits(big, _diffusion(), 20.0)
    other = _diffusion("/models/ltx", dtype="bfloat16")
    assert model_key(other) != model_key(_diffusion()) and "ltx" in model_key(other)


def test_previs_prefers_the_upstream_node_then_cpu_workers():
    gpu = _slot("g", "node-a", "gpu", 24)
    cpu_a = _slot("ca", "node-a", "cpu")
    cpu_b = _slot("cb", "node-b", "cpu")
    previs = GenerationRequest(job_id="p", output_dir="/tmp/p")
    assert choose([gpu, cpu_b], previs, 0.0, "") is cpu_b
    assert choose([gpu, cpu_a, cpu_b], previs, 0.0, "node-b") is cpu_b
    assert choose([gpu], previs, 0.0, "") is gpu                              # better than waiting


def test_memory_need_comes_from_the_request_or_is_unknown():
    assert estimate_gb(_diffusion(vram_gb=30)) == 30.0
    assert estimate_gb(_diffusion("/nowhere/model")) == 0.0                   # not on this machine
    assert estimate_gb(GenerationRequest(job_id="p", output_dir="/tmp/p")) == 0.0
