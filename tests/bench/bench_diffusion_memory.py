"""Memory across shots that switch pipelines: 10 diffusion shots alternating between four tiny model
folders (Wan T2V, LTX, CogVideoX, Wan VACE) with the loader keeping ONE pipeline, as users run it, so every
shot evicts the previous model and loads the next. Resident memory (CPU RSS, /proc/self/statm) after
each shot must not grow once every model has been through once: the figure is RSS after shot 10 over
RSS after shot 5 (the first shot of the second round), target <= 1.05. Where CUDA exists,
torch.cuda.memory_allocated is reported the same way."""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

TARGET = 1.05
ORDER = ("wan_t2v", "ltx", "cogvideox_t2v", "wan_vace") * 3


def _rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def main() -> None:
    import gc
    import torch
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine" / "diffusion"))
    from tiny_pipelines import build_all
    from engine.diffusion import loader
    from engine.diffusion.backend import DiffusionBackend
    from engine.jobs import CancelToken, GenerationRequest

    torch.set_num_threads(1)
    loader.KEEP_LOADED = 1
    root = Path(tempfile.mkdtemp(prefix="bench-diffusion-memory-"))
    folders = build_all(root / "models", names=sorted(set(ORDER)))
    backend = DiffusionBackend()
    rss, cuda = [], []
    for i, name in enumerate(ORDER[:10]):
        fps = {"ltx": 24, "cogvideox_t2v": 8}.get(name, 16)
        req = GenerationRequest(job_id=f"m{i}", output_dir=str(root / f"t{i}"), model=str(folders[name]),
                                prompt="a pier at night", width=32, height=32, frames=9, fps=fps, seed=i,
                                options={"steps": 2, "max_sequence_length": 32})
        backend.generate(req, lambda p: None, CancelToken())
        gc.collect()
        rss.append(_rss_mib())
        if torch.cuda.is_available():
            cuda.append(torch.cuda.memory_allocated() / 2 ** 20)
    ratio = rss[9] / rss[4]
    print(json.dumps({"bench": "diffusion_rss_growth_10_shots", "value": round(ratio, 3), "unit": "ratio",
                      "target": TARGET, "ok": ratio <= TARGET, "rss_mib": [round(r, 1) for r in rss]}), flush=True)
    if cuda:
        print(json.dumps({"bench": "diffusion_cuda_growth_10_shots", "value": round(cuda[9] / max(cuda[4], 1e-6), 3),
                          "unit": "ratio", "target": TARGET, "allocated_mib": [round(c, 1) for c in cuda]}))
    loader.unload_all()
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
