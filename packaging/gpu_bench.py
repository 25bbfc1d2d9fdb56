"""GPU benchmark: Shotreel's diffusion backend against a direct diffusers call, on full-size random-weight
model folders built here (nothing downloaded), with the estimate beside every measured figure.

Run on a CUDA machine:  python packaging/gpu_bench.py [--families wan,ltx,cogvideox] [--steps 10] [--out F]
It needs CUDA torch, diffusers, transformers and tokenizers (the text encoders and the offline tokenizer)
and this repository; it finishes in ~5 min on one H200 with the defaults. Prints one JSON line per figure.

What is built (engine.diffusion never sees a difference from a downloaded folder):
  wan        Wan 2.1 T2V 1.3B: the transformer at its published size (1,419 M parameters), the full Wan VAE,
             a 1-layer UMT5 text encoder of the real width (d_model 4096), 480x832, 81 frames
  ltx        LTX-Video 2B (0.9 transformer and VAE at their published sizes), 1-layer T5 of real width,
             512x768, 97 frames
  cogvideox  CogVideoX-2B (transformer and VAE at published sizes), 1-layer T5 of real width, 480x720, 49 frames
The tokenizer is the tests' offline T5-style one (a fixed vocabulary): prompts are real token ids.

Configurations (every one runs; each gets its own warm-up of 2 steps before it is timed):
  plain      the GPU's default dtypes (bfloat16, the VAE in the family's own dtype: Wan float32,
             LTX and CogVideoX bfloat16)
  cache      + first-block cache (random weights make its skip decisions arbitrary: the figure shows
             the mechanism's cost and best case, not the speed-up on a trained model)
  group_offload  (Wan) block-level group offload with CUDA streams; the direct call uses diffusers' own
             enable_group_offload, which moves the text encoder as one group: the peak shows the difference
  compile    + regional torch.compile (the warm-up pays the compilation). cache and compile cannot run
             together (engine.diffusion.settings refuses it), so there is no cache+compile.
Each configuration runs through the project's backend (DiffusionBackend.generate: a take on disk) and as
a direct call of the same diffusers pipeline class on the same folder with the same prompt, size, frames,
steps, guidance and seed. Peak memory is torch.cuda.max_memory_allocated over the whole call, text
encoder and VAE decode included.
On a machine without CUDA (or without the packages) it prints one line saying why and exits 0.
"""
from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FAMILIES = ("wan", "ltx", "cogvideox")
CONFIGS = {"wan": ("plain", "cache", "group_offload", "compile"), "ltx": ("plain", "cache"),
           "cogvideox": ("plain", "cache")}
# (width, height, frames, guidance) the family was trained around
SHOT = {"wan": (832, 480, 81, 5.0), "ltx": (768, 512, 97, 3.0), "cogvideox": (720, 480, 49, 6.0)}
TINY_SHOT = {"wan": (32, 32, 9, 5.0), "ltx": (32, 32, 9, 3.0), "cogvideox": (32, 32, 9, 6.0)}

WAN_1_3B = dict(patch_size=(1, 2, 2), num_attention_heads=12, attention_head_dim=128, in_channels=16,
                out_channels=16, text_dim=4096, freq_dim=256, ffn_dim=8960, num_layers=30, cross_attn_norm=True,
                qk_norm="rms_norm_across_heads", eps=1e-6, rope_max_seq_len=1024)
WAN_VAE = dict(base_dim=96, z_dim=16, dim_mult=[1, 2, 4, 4], num_res_blocks=2, temperal_downsample=[False, True, True])
TEXT_WIDTH = dict(d_model=4096, d_kv=64, d_ff=10240, num_heads=64, feed_forward_proj="gated-gelu")
# the tiny sizes `--tiny` (and the CPU test) build instead, same code path
TINY = {"wan": dict(num_attention_heads=2, attention_head_dim=12, text_dim=32, ffn_dim=32, num_layers=2,
                    rope_max_seq_len=32),
        "wan_vae": dict(base_dim=3, dim_mult=[1, 1, 1, 1], num_res_blocks=1),
        "text": dict(d_model=32, d_kv=8, d_ff=64, num_heads=4),
        "ltx": dict(in_channels=8, out_channels=8, num_attention_heads=4, attention_head_dim=8, cross_attention_dim=32,
                    num_layers=1, caption_channels=32),
        "ltx_vae": dict(latent_channels=8, block_out_channels=(8, 8, 8, 8), decoder_block_out_channels=(8, 8, 8, 8),
                        layers_per_block=(1, 1, 1, 1, 1), decoder_layers_per_block=(1, 1, 1, 1, 1),
                        spatio_temporal_scaling=(True, True, True, False),
                        decoder_spatio_temporal_scaling=(True, True, True, False),
                        decoder_inject_noise=(False,) * 5, upsample_residual=(False,) * 4, upsample_factor=(1,) * 4),
        "cogvideox": dict(num_attention_heads=4, attention_head_dim=8, time_embed_dim=2, text_embed_dim=32,
                          num_layers=1, sample_width=8, sample_height=8, sample_frames=9),
        "cog_vae": dict(block_out_channels=(8, 8, 8, 8), latent_channels=16, layers_per_block=1, norm_num_groups=2)}


def emit(out, **fields) -> None:
    line = json.dumps(fields)
    print(line, flush=True)
    if out is not None:
        out.write(line + "\n")
        out.flush()


def configs(families=FAMILIES) -> list[tuple[str, str]]:
    """(family, configuration) pairs in run order: uncompiled first (compile cannot be undone)."""
    return [(f, c) for f in families for c in CONFIGS[f]]


def _text_encoder(kind: str, vocab: int, tiny: bool):
    import torch
    from transformers import T5Config, T5EncoderModel, UMT5Config, UMT5EncoderModel
    width = TINY["text"] if tiny else TEXT_WIDTH
    common = dict(vocab_size=vocab, num_layers=1, relative_attention_num_buckets=32, pad_token_id=0, eos_token_id=1,
                  decoder_start_token_id=0, **width)
    torch.manual_seed(0)
    if kind == "umt5":
        return UMT5EncoderModel(UMT5Config(**common)).eval()
    return T5EncoderModel(T5Config(**common)).eval()


def build_folder(family: str, root: Path, *, tiny: bool = False, device: str = "cpu") -> Path:
    """Save a random-weight diffusers folder for `family` under root (full size unless tiny)."""
    import diffusers
    import torch
    sys.path.insert(0, str(ROOT / "tests" / "engine" / "diffusion"))
    from tiny_pipelines import build_tokenizer
    folder = root / f"{family}{'-tiny' if tiny else ''}"
    if (folder / "model_index.json").exists():
        return folder
    tokenizer = build_tokenizer()
    torch.manual_seed(0)
    with torch.device(device):
        if family == "wan":
            transformer = diffusers.WanTransformer3DModel(**{**WAN_1_3B, **(TINY["wan"] if tiny else {})})
            vae = diffusers.AutoencoderKLWan(**{**WAN_VAE, **(TINY["wan_vae"] if tiny else {})})
            pipe = diffusers.WanPipeline(tokenizer=tokenizer, text_encoder=_text_encoder("umt5", len(tokenizer), tiny),
                                         vae=vae, transformer=transformer,
                                         scheduler=diffusers.UniPCMultistepScheduler(
                                             prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0))
        elif family == "ltx":
            transformer = diffusers.LTXVideoTransformer3DModel(**(TINY["ltx"] if tiny else {}))
            vae = diffusers.AutoencoderKLLTXVideo(**(TINY["ltx_vae"] if tiny else {}))
            pipe = diffusers.LTXPipeline(tokenizer=tokenizer, text_encoder=_text_encoder("t5", len(tokenizer), tiny),
                                         vae=vae, transformer=transformer,
                                         scheduler=diffusers.FlowMatchEulerDiscreteScheduler(
                                             use_dynamic_shifting=False, shift=1.0))
        else:
            transformer = diffusers.CogVideoXTransformer3DModel(**(TINY["cogvideox"] if tiny else {}))
            vae = diffusers.AutoencoderKLCogVideoX(**(TINY["cog_vae"] if tiny else {}))
            pipe = diffusers.CogVideoXPipeline(tokenizer=tokenizer,
                                               text_encoder=_text_encoder("t5", len(tokenizer), tiny), vae=vae,
                                               transformer=transformer,
                                               scheduler=diffusers.CogVideoXDDIMScheduler(timestep_spacing="trailing"))
    pipe.to("cpu").save_pretrained(folder, safe_serialization=True)
    del pipe
    gc.collect()
    return folder


def options_for(config: str, steps: int) -> dict:
    opts = {"steps": steps, "memory_mode": "group_offload" if config == "group_offload" else "gpu", "dtype": "auto",
            "max_sequence_length": 128, "conform_fps": "none"}
    if "cache" in config:
        opts["cache"] = "first_block"
    if "compile" in config:
        opts["compile"] = True
    return opts


def run_family(family: str, folder: Path, work: Path, args, out, device: str) -> list[dict]:
    import torch
    import diffusers
    from engine.diffusion import loader
    from engine.diffusion.backend import DiffusionBackend, estimate_request
    from engine.diffusion.memory import cache_acceleration, parse_dtypes
    from engine.diffusion.registry import inspect_model_dir
    from engine.jobs import CancelToken, GenerationRequest
    width, height, frames, guidance = (TINY_SHOT if args.tiny else SHOT)[family]
    info = inspect_model_dir(folder)
    results = []
    direct_pipe = None
    for config in CONFIGS[family]:
        if config not in args.configs:
            continue

        def request(job: str, steps: int) -> GenerationRequest:
            return GenerationRequest(job_id=job, output_dir=str(work / job), backend="diffusion", model=str(folder),
                                     prompt="a woman walks to the window at night", width=width, height=height,
                                     frames=frames, fps=info.native_fps, seed=7,
                                     options={**options_for(config, steps), "guidance": guidance, "device": device})
        est = estimate_request(request("estimate", args.steps))
        backend = DiffusionBackend()
        measured = {}
        for path in ("backend", "direct"):
            if path == "backend":
                def call(steps: int, job: str):
                    return backend.generate(request(job, steps), lambda p: None, CancelToken())
            else:
                if direct_pipe is None or config == "group_offload":
                    loader.unload_all()        # one model on the device at a time, like users have
                    direct_pipe = None
                    gc.collect()
                    torch.cuda.empty_cache()
                    torch_dtypes, _ = parse_dtypes("auto", device, info.family)
                    cls = getattr(diffusers, "LTXConditionPipeline" if family == "ltx" else info.class_name)
                    direct_pipe = cls.from_pretrained(folder, dtype=torch_dtypes)
                    if config == "group_offload":
                        direct_pipe.enable_group_offload(torch.device(device), offload_type="block_level",
                                                         num_blocks_per_group=1, use_stream=True)
                    else:
                        direct_pipe.to(device)
                    direct_pipe.set_progress_bar_config(disable=True)
                    if "compile" in config:
                        from engine.diffusion.memory import compile_regional
                        compile_regional(direct_pipe)
                meta = json.loads(Path(measured["backend"]["result"].metadata_file).read_text())

                def call(steps: int, job: str, meta=meta):
                    with cache_acceleration(direct_pipe, "first_block" if "cache" in config else None,
                                            info.spec.caches, steps, {}), torch.inference_mode():
                        return direct_pipe(prompt=meta["prompt"], negative_prompt=meta["negative_prompt"] or None,
                                           height=meta["working_size"][1], width=meta["working_size"][0],
                                           num_frames=meta["model_frames"], num_inference_steps=steps,
                                           guidance_scale=guidance, generator=torch.Generator("cpu").manual_seed(7),
                                           output_type="np", max_sequence_length=getattr(
                                               direct_pipe.transformer.config, "max_text_seq_length", 128))
            call(2, f"{family}-{config}-{path}-warm")          # warm-up: kernels, allocator, compile
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            t0 = time.perf_counter()
            result = call(args.steps, f"{family}-{config}-{path}")
            torch.cuda.synchronize()
            seconds = time.perf_counter() - t0
            measured[path] = {"result": result, "seconds": seconds,
                              "peak_gib": torch.cuda.max_memory_allocated() / 1024 ** 3}
            row = dict(bench="gpu_diffusion", family=family, config=config, path=path, device=est.device,
                       gpu=torch.cuda.get_device_name(0), width=width, height=height, frames=frames,
                       steps=args.steps, seconds=round(seconds, 2), peak_gib=round(measured[path]["peak_gib"], 2),
                       estimate_peak_gib=round(est.peak_gb, 2), estimate_seconds=round(est.seconds_total_guess, 1),
                       estimate_phases={k: round(v, 2) for k, v in est.phases.items()})
            emit(out, **row)
            results.append(row)
        emit(out, bench="gpu_diffusion_overhead", family=family, config=config,
             value=round(measured["backend"]["seconds"] / measured["direct"]["seconds"], 3), unit="ratio",
             target=1.05)
        if "compile" not in config:
            loader.unload_all()
        if config == "group_offload":
            direct_pipe = None                 # the next configuration loads a pipeline on the device again
    del direct_pipe
    loader.unload_all()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--configs", default="plain,cache,group_offload,compile")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--out", help="also append the JSON lines to this file")
    parser.add_argument("--workdir", help="where to build the model folders (default: a temporary folder)")
    parser.add_argument("--tiny", action="store_true", help="tiny sizes (checks the bench itself, seconds)")
    args = parser.parse_args(argv)
    args.configs = {c.strip() for c in args.configs.split(",") if c.strip()}
    families = [f.strip() for f in args.families.split(",") if f.strip()]
    unknown = set(families) - set(FAMILIES)
    if unknown:
        print(f"gpu_bench: unknown families {sorted(unknown)}; known: {', '.join(FAMILIES)}")
        return 2
    missing = [m for m in ("torch", "diffusers", "transformers", "tokenizers") if not _importable(m)]
    if missing:
        print(f"gpu_bench: {', '.join(missing)} not installed; nothing to measure (needs CUDA torch, diffusers, "
              "transformers, tokenizers)")
        return 0
    import torch
    if not torch.cuda.is_available():
        print(f"gpu_bench: no CUDA device (torch {torch.__version__}); this benchmark needs an NVIDIA GPU")
        return 0
    sys.path.insert(0, str(ROOT))
    work = Path(args.workdir or tempfile.mkdtemp(prefix="shotreel-gpu-bench-"))
    out = open(args.out, "a", encoding="utf-8") if args.out else None
    try:
        for family in families:
            t0 = time.perf_counter()
            folder = build_folder(family, work / "models", tiny=args.tiny, device="cuda")
            emit(out, bench="gpu_diffusion_build", family=family, seconds=round(time.perf_counter() - t0, 1))
            run_family(family, folder, work / "takes", args, out, "cuda")
            gc.collect()
            torch.cuda.empty_cache()
    finally:
        if out is not None:
            out.close()
    return 0


def _importable(name: str) -> bool:
    import importlib.util
    return importlib.util.find_spec(name) is not None


if __name__ == "__main__":
    sys.exit(main())
