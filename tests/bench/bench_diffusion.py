"""Engine overhead on a diffusion shot: DiffusionBackend.generate against the same diffusers
pipeline called directly with identical inputs, in the same run.

The model is a small random-weight Wan (saved to a temporary folder like the tests' tiny ones, but
wide enough that denoising dominates as it does with real weights): 128x128, 17 frames, 4 steps.
The floor is what any caller must do to get a take: the pipeline call plus encoding its frames
with the same VideoWriter (take, proxy, thumbnail, last frame). The engine adds model checks,
prompt compilation, planning, the step callback (progress/cancel), conform and metadata.
Runs alternate (direct, engine, direct, engine...) after a warm-up; medians are compared. The
ratios use CPU seconds (this process with one torch thread, plus its ffmpeg children): on a shared
2-core box wall times of the very same call vary by +-40 %, CPU time by a few percent. Wall
medians are printed alongside.

Figures: diffusion_engine_overhead (whole take), diffusion_denoise_overhead (pipeline call only).
"""
from __future__ import annotations

import json
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

TARGET = 1.05
ROUNDS = 3


def _build_model(root: Path) -> Path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine" / "diffusion"))
    import torch
    from diffusers import WanTransformer3DModel
    from tiny_pipelines import _text_encoder, _wan_scheduler, _wan_vae, amplify, build_tokenizer
    from diffusers import WanPipeline
    tokenizer = build_tokenizer()
    torch.manual_seed(0)
    transformer = WanTransformer3DModel(patch_size=(1, 2, 2), num_attention_heads=4, attention_head_dim=64,
                                        in_channels=16, out_channels=16, text_dim=32, freq_dim=256, ffn_dim=1024,
                                        num_layers=6, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
                                        rope_max_seq_len=64)
    pipe = WanPipeline(tokenizer=tokenizer, text_encoder=_text_encoder("umt5", len(tokenizer)), vae=_wan_vae(),
                       scheduler=_wan_scheduler(), transformer=transformer)
    folder = root / "wan-bench"
    amplify(pipe).save_pretrained(folder, safe_serialization=True)
    return folder


def main() -> None:
    import numpy as np
    import torch
    from engine.diffusion import loader
    from engine.diffusion.backend import DiffusionBackend, resolve_prompt
    from engine.encode import VideoWriter
    from engine.jobs import CancelToken, GenerationRequest

    torch.set_num_threads(1)
    root = Path(tempfile.mkdtemp(prefix="bench-diffusion-"))
    folder = _build_model(root)
    options = {"steps": 4, "max_sequence_length": 64, "conform_fps": "none", "guidance": 5.0}

    def request(job: str) -> GenerationRequest:
        return GenerationRequest(job_id=job, output_dir=str(root / "engine"), backend="diffusion", model=str(folder),
                                 prompt="a woman walks to the window", width=128, height=128, frames=17, fps=16,
                                 seed=7, options=options)

    backend = DiffusionBackend()
    warm = backend.generate(request("warm"), lambda p: None, CancelToken())   # loads the pipeline (kept)
    pipe = next(iter(loader._CACHE.values())).pipe
    prompt, negative, _ = resolve_prompt(request("x"), "wan")

    def cpu() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    def direct(i: int) -> tuple[float, float, float, np.ndarray]:
        c0, t0, p0 = cpu(), time.perf_counter(), time.process_time()
        out = pipe(prompt=prompt, negative_prompt=negative, height=128, width=128, num_frames=17,
                   num_inference_steps=4, guidance_scale=5.0, generator=torch.Generator("cpu").manual_seed(7),
                   output_type="np", max_sequence_length=64)
        denoise_cpu = time.process_time() - p0
        frames = (np.clip(out.frames[0], 0, 1) * 255 + 0.5).astype(np.uint8)
        d = root / "direct"
        with VideoWriter(d / f"d{i}.mp4", 128, 128, 16, proxy_path=d / f"d{i}.proxy.mp4",
                         thumbnail_path=d / f"d{i}.thumb.jpg", last_frame_path=d / f"d{i}.last.png",
                         expected_frames=17, channel_order="rgb") as writer:
            for frame in frames:
                writer.write(frame)
            writer.close()
        return cpu() - c0, time.perf_counter() - t0, denoise_cpu, frames[-1]

    def engine(i: int) -> tuple[float, float, float, str]:
        c0, t0 = cpu(), time.perf_counter()
        result = backend.generate(request(f"e{i}"), lambda p: None, CancelToken())
        return cpu() - c0, time.perf_counter() - t0, result.metadata["denoise_cpu_seconds"], result.last_frame

    runs: dict[str, list[tuple]] = {"direct": [], "engine": []}
    same = True
    for i in range(ROUNDS):
        runs["direct"].append(direct(i))
        runs["engine"].append(engine(i))
        from PIL import Image
        engine_last = np.asarray(Image.open(runs["engine"][-1][3]).convert("RGB"))
        same &= bool(np.array_equal(engine_last, runs["direct"][-1][3]))
    med = {k: [statistics.median(r[j] for r in v) for j in range(3)] for k, v in runs.items()}
    for name, j in (("diffusion_engine_overhead", 0), ("diffusion_denoise_overhead", 2)):
        ratio = med["engine"][j] / med["direct"][j]
        print(json.dumps({"bench": name, "value": round(ratio, 3), "unit": "ratio (CPU s)", "target": TARGET,
                          "ok": ratio <= TARGET, "engine_cpu_s": round(med["engine"][j], 3),
                          "direct_cpu_s": round(med["direct"][j], 3), "engine_wall_s": round(med["engine"][1], 3),
                          "direct_wall_s": round(med["direct"][1], 3), "identical_output": same}), flush=True)
    del warm
    shutil.rmtree(root, ignore_errors=True)
    loader.unload_all()


if __name__ == "__main__":
    main()
