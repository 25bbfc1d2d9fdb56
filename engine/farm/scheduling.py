"""What runs where on the farm: worker slots, what a job needs, and which idle slot it goes to.

Pure Python (no Ray): engine.farm.runner keeps the slots and calls `fits` / `choose` under its lock.
Nodes advertise worker slots as custom resources: SLOT_GPU (one per GPU worker, with VRAM their
memory in GiB) and SLOT_CPU (previs-only workers).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ..jobs import GenerationRequest

SLOT_GPU = "shotreel_gpu"
SLOT_CPU = "shotreel_cpu"
VRAM = "shotreel_vram_gb"
GPU_BACKENDS = ("diffusion",)   # backends that need a GPU worker


@dataclass
class Slot:
    """One worker actor as the studio tracks it: where it is, what it has run, what it runs now."""
    key: str
    handle: Any
    node_id: str
    kind: str                 # 'gpu' | 'cpu'
    vram_gb: float
    ready_ref: Any
    ready: bool = False
    job: Optional[str] = None
    models: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.node_id[:8]}/{self.kind}{self.key.rsplit('-', 1)[-1]}"


def model_key(request: GenerationRequest) -> str:
    """What keeps a worker's pipeline reusable: model, dtypes, memory mode (the loader's cache key)."""
    if request.backend not in GPU_BACKENDS:
        return request.backend
    opts = request.options
    return "|".join((request.backend, request.model.rstrip("/").rsplit("/", 1)[-1], str(opts.get("dtype", "")),
                     str(opts.get("memory_mode", ""))))


def estimate_gb(request: GenerationRequest) -> float:
    """GPU memory (GiB) a diffusion job asks for: `options['vram_gb']` when given, else the engine's
    estimate for the request (engine.diffusion, no torch) when the model folder is on this machine;
    0 = unknown (any GPU worker; the worker reports out-of-memory itself)."""
    if request.backend not in GPU_BACKENDS:
        return 0.0
    if request.options.get("vram_gb"):
        return float(request.options["vram_gb"])
    try:
        from ..diffusion.backend import estimate_request
        return float(estimate_request(request).peak_gb)
    except Exception:   # model not here, or not a model folder: the worker will say so
        return 0.0


def fits(slot: Slot, request: GenerationRequest, need_gb: float) -> bool:
    """Diffusion needs a GPU slot with the memory; previs runs on any slot."""
    if request.backend in GPU_BACKENDS:
        return slot.kind == "gpu" and (not need_gb or not slot.vram_gb or slot.vram_gb >= need_gb)
    return True


def choose(idle: list[Slot], request: GenerationRequest, need_gb: float, upstream_node: str) -> Optional[Slot]:
    """The idle slot for a job: one that fits, preferring (diffusion) a worker that already ran the
    same model, then the node of the shot it chains from, then (previs) CPU slots, keeping GPU
    slots free for diffusion."""
    fitting = [s for s in idle if fits(s, request, need_gb)]
    if not fitting:
        return None
    key = model_key(request)
    previs = request.backend not in GPU_BACKENDS
    return max(fitting, key=lambda s: (key in s.models and not previs, s.node_id == upstream_node,
                                       previs and s.kind == "cpu", key in s.models, -len(s.models)))
