"""GPU benchmark: full-size Wan 2.1 T2V 1.3B architecture with random weights, 480p, 81 frames.

Run on a CUDA workstation:  python packaging/gpu_bench.py [--steps 30] [--frames 81] [--configs ...]
Prints one JSON line per figure (s/step and s/clip for each configuration):
  plain        the pipeline on the GPU in bfloat16 (VAE in float32)
  cache        + first-block cache (engine.diffusion.memory.cache_acceleration)
  compile      + regional torch.compile of the transformer blocks (warm-up run not timed)
  cache+compile
No weights are downloaded: the transformer (1,419 M parameters) and the VAE are built from their
published configs with random values. The 5.7 B UMT5 text encoder is left out (it runs once per
shot, not per step): random prompt embeddings of its output shape (512 x 4096) go in instead.
Random weights make the first-block cache's skip decisions arbitrary, so its figure shows the
mechanism's cost and best case, not the speed-up on a trained model.
On a machine without CUDA it prints one line saying so and exits 0.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

WAN_1_3B = dict(patch_size=(1, 2, 2), num_attention_heads=12, attention_head_dim=128, in_channels=16,
                out_channels=16, text_dim=4096, freq_dim=256, ffn_dim=8960, num_layers=30, cross_attn_norm=True,
                qk_norm="rms_norm_across_heads", eps=1e-6, rope_max_seq_len=1024)


def _emit(**fields) -> None:
    print(json.dumps(fields), flush=True)


def build_pipeline(device: str):
    import torch
    from diffusers import AutoencoderKLWan, UniPCMultistepScheduler, WanPipeline, WanTransformer3DModel
    torch.manual_seed(0)
    with torch.device(device):
        transformer = WanTransformer3DModel(**WAN_1_3B).to(torch.bfloat16)
        vae = AutoencoderKLWan(base_dim=96, z_dim=16, dim_mult=[1, 2, 4, 4], num_res_blocks=2,
                               temperal_downsample=[False, True, True]).to(torch.float32)
    scheduler = UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0)
    pipe = WanPipeline(tokenizer=None, text_encoder=None, vae=vae, scheduler=scheduler, transformer=transformer)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def run_once(pipe, embeds, args, cache: str | None) -> tuple[float, float]:
    """(seconds per denoising step, seconds for the whole clip including the VAE decode)."""
    import torch
    from engine.diffusion.memory import cache_acceleration
    marks: list[float] = []

    def on_step(p, i, t, kwargs):
        torch.cuda.synchronize()
        marks.append(time.perf_counter())
        return kwargs
    torch.cuda.synchronize()
    start = time.perf_counter()
    with cache_acceleration(pipe, cache, ("first_block", "mag", "pab"), args.steps, {}), torch.inference_mode():
        pipe(prompt_embeds=embeds[0], negative_prompt_embeds=embeds[1], height=args.height, width=args.width,
             num_frames=args.frames, num_inference_steps=args.steps, guidance_scale=5.0,
             generator=torch.Generator("cpu").manual_seed(0), output_type="np",
             callback_on_step_end=on_step, callback_on_step_end_tensor_inputs=["latents"])
    torch.cuda.synchronize()
    clip = time.perf_counter() - start
    steps = [b - a for a, b in zip(marks, marks[1:])]       # the first step carries the text/latent setup
    return (sorted(steps)[len(steps) // 2] if steps else clip), clip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--frames", type=int, default=81)
    parser.add_argument("--width", type=int, default=832)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--configs", default="plain,cache,compile,cache+compile")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("gpu_bench: torch is not installed (install the gen extra); nothing to measure")
        return 0
    if not torch.cuda.is_available():
        print(f"gpu_bench: no CUDA device (torch {torch.__version__}); this benchmark needs an NVIDIA GPU")
        return 0
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from engine.diffusion.memory import compile_regional

    device = "cuda"
    pipe = build_pipeline(device)
    gen = torch.Generator(device).manual_seed(1)
    embeds = [torch.randn(1, 512, 4096, generator=gen, device=device, dtype=torch.bfloat16) for _ in range(2)]
    name = torch.cuda.get_device_name(0)
    compiled = False
    for config in [c.strip() for c in args.configs.split(",") if c.strip()]:
        cache = "first_block" if "cache" in config else None
        if "compile" in config and not compiled:
            compile_regional(pipe)
            compiled = True
            run_once(pipe, embeds, argparse.Namespace(**{**vars(args), "steps": 2}), None)   # warm-up compile
        elif "compile" not in config and compiled:
            _emit(bench="gpu_wan13b", config=config, skipped="runs after compile would be compiled too; "
                                                               "list uncompiled configs first")
            continue
        torch.cuda.reset_peak_memory_stats()
        per_step, clip = run_once(pipe, embeds, args, cache)
        peak = torch.cuda.max_memory_allocated() / 1024 ** 3
        common = dict(config=config, device=name, width=args.width, height=args.height, frames=args.frames,
                      steps=args.steps, peak_gb=round(peak, 2))
        _emit(bench="gpu_wan13b_s_per_step", value=round(per_step, 3), unit="s", **common)
        _emit(bench="gpu_wan13b_s_per_clip", value=round(clip, 2), unit="s", **common)
    return 0


if __name__ == "__main__":
    sys.exit(main())
