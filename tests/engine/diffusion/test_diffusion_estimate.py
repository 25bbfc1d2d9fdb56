"""The estimate against published figures (+-30%), for full-size models described by their parameter
counts (no weights needed). Each row cites its source. No torch, nothing loaded."""
from __future__ import annotations

from fractions import Fraction

import pytest

from engine.diffusion.estimate import DEVICES, GIB, estimate_shot, find_device
from engine.diffusion.registry import Capability, ModelInfo
from engine.errors import EngineError

GB = 1e9


def wan(transformer=1_419_000_000, hidden=1536, layers=30, experts=1, label="Wan 2.1") -> ModelInfo:
    params = {"transformer": transformer, "text_encoder": 5_681_000_000, "vae": 127_000_000}
    if experts == 2:
        params["transformer_2"] = transformer
    return ModelInfo(path="/models/wan", class_name="WanPipeline", family="wan", variant="t2v", label=label,
                     capabilities=frozenset({Capability.T2V}), native_fps=Fraction(16), frame_step=4, size_multiple=16,
                     params=params, hidden_size=hidden, layers=layers)


def cogvideox(transformer: int, hidden: int, layers: int) -> ModelInfo:
    return ModelInfo(path="/models/cog", class_name="CogVideoXPipeline", family="cogvideox", variant="t2v",
                     label="CogVideoX", capabilities=frozenset({Capability.T2V}), native_fps=Fraction(8), frame_step=8,
                     size_multiple=16, params={"transformer": transformer, "text_encoder": 4_762_000_000,
                                               "vae": 215_000_000},
                     hidden_size=hidden, layers=layers, vae_spatial=8, vae_temporal=4, patch=(1, 2, 2))


COG_5B = cogvideox(5_570_000_000, 48 * 64, 42)
COG_2B = cogvideox(1_690_000_000, 30 * 64, 30)


def within(value: float, published: float, tolerance: float = 0.30) -> bool:
    return abs(value - published) <= tolerance * published


# Memory: (what, estimate kwargs, published bytes, how the estimate is read, source)
MEMORY = [
    # Wan-Video/Wan2.1 README, "Run Text-to-Video Generation": "The T2V-1.3B model requires only 8.19 GB VRAM"
    # (480P, 81 frames, --offload_model True --t5_cpu; the released 1.3B DiT checkpoint is float32). The T5 runs
    # on the CPU there, so the denoise and decode phases are compared.
    ("Wan 2.1 1.3B, T5 on CPU", wan(), dict(width=832, height=480, frames=81, steps=50, memory_mode="model_offload",
                                          dtypes={"default": "bfloat16", "transformer": "float32", "vae": "float32"}),
     8.19 * GB, "no_text_encoder"),
    # huggingface.co/docs/diffusers/v0.33.0/api/pipelines/wan: "The following example requires 11GB VRAM"
    # (Wan2.1-T2V-1.3B-Diffusers, bfloat16, enable_model_cpu_offload, 480x832, 81 frames).
    ("Wan 2.1 1.3B diffusers", wan(), dict(width=832, height=480, frames=81, steps=50, memory_mode="model_offload",
                                         dtypes={"default": "bfloat16", "vae": "float32"}), 11 * GB, "peak"),
    # THUDM/CogVideoX-5b model card: "BF16: 20.7GB* using diffusers" (*enable_model_cpu_offload and
    # vae.enable_tiling, 720x480, 49 frames).
    ("CogVideoX-5B", COG_5B, dict(width=720, height=480, frames=49, steps=50, memory_mode="model_offload",
                                  vae_tiling=True, dtypes={"default": "bfloat16"}), 20.7 * GB, "peak"),
    # The same card, CogVideoX-2B: "FP16: 12.5GB* using diffusers".
    ("CogVideoX-2B", COG_2B, dict(width=720, height=480, frames=49, steps=50, memory_mode="model_offload",
                                  vae_tiling=True, dtypes={"default": "float16"}), 12.5 * GB, "peak"),
]

# Time: (what, estimate kwargs, device, published seconds, source)
TIME = [
    # THUDM/CogVideoX-5b model card: "Inference Speed (Step = 50, FP/BF16): Single A100 ~180 seconds,
    # Single H100 ~90 seconds" (CogVideoX-5B) and "~90 / ~45 seconds" (CogVideoX-2B).
    ("CogVideoX-5B A100", COG_5B, "A100", 180.0),
    ("CogVideoX-5B H100", COG_5B, "H100", 90.0),
    ("CogVideoX-2B A100", COG_2B, "A100", 90.0),
    ("CogVideoX-2B H100", COG_2B, "H100", 45.0),
]


@pytest.mark.parametrize("what,info,kwargs,published,read", MEMORY, ids=[m[0] for m in MEMORY])
def test_peak_memory_matches_published_figures(what, info, kwargs, published, read):
    est = estimate_shot(info, device=DEVICES["H100"], guidance=5.0 if info.family == "wan" else 6.0, **kwargs)
    value = est.peak_gb if read == "peak" else max(est.phases["denoise"], est.phases["decode"]) + 0.8
    print(f"{what}: estimated {value * GIB / GB:.2f} GB, published {published / GB:.2f} GB")
    assert within(value * GIB, published), f"{what}: estimated {value * GIB / GB:.2f} GB, published " \
                                           f"{published / GB:.2f} GB ({est.phases})"


@pytest.mark.parametrize("what,info,device,published", TIME, ids=[t[0] for t in TIME])
def test_time_matches_published_figures(what, info, device, published):
    est = estimate_shot(info, 720, 480, 49, 50, "gpu", dtypes={"default": "bfloat16"}, guidance=6.0,
                        device=DEVICES[device])
    print(f"{what}: estimated {est.seconds_total_guess:.0f} s, published {published:.0f} s")
    assert within(est.seconds_total_guess, published), f"{what}: {est.seconds_total_guess:.0f} s vs {published} s"


def test_consumer_gpu_and_cpu_timings():
    # Wan-Video/Wan2.1 README: T2V-1.3B "generates a 5-second 480P video on an RTX 4090 in about 4 minutes"
    # (50 steps, guidance 5; the DiT stays on the GPU while it denoises).
    est = estimate_shot(wan(), 832, 480, 81, 50, "model_offload", dtypes={"default": "bfloat16"}, guidance=5.0,
                        device=DEVICES["RTX 4090"])
    assert within(est.seconds_total_guess, 240.0), est.seconds_total_guess
    # /work/shared/FIELD-NOTES.md: one full-size Wan 1.3B forward at 17x480x832 took ~52 s on this CPU.
    cpu = estimate_shot(wan(), 832, 480, 17, 1, "gpu", dtypes={"default": "float32"}, guidance=1.0,
                        device=DEVICES["CPU"])
    assert within(cpu.seconds_per_step_guess, 52.0), cpu.seconds_per_step_guess


def test_two_experts_are_priced_per_expert():
    """Wan 2.2 A14B: two 14 B experts take turns (boundary_ratio); offloaded, only one is on the device."""
    single = estimate_shot(wan(14_289_000_000, 5120, 40), 1280, 720, 81, 40, "model_offload",
                           dtypes={"default": "bfloat16", "vae": "float32"}, device=DEVICES["H100"])
    two = estimate_shot(wan(14_289_000_000, 5120, 40, experts=2, label="Wan 2.2"), 1280, 720, 81, 40,
                        "model_offload", dtypes={"default": "bfloat16", "vae": "float32"}, device=DEVICES["H100"])
    assert two.components["transformer_2"] == two.components["transformer"]
    assert two.phases["denoise"] == pytest.approx(single.phases["denoise"])   # one expert at a time
    assert two.seconds_per_step_guess == pytest.approx(single.seconds_per_step_guess)
    # Wan-Video/Wan2.2 README: A14B T2V at 720P "can run on a GPU with at least 80GB VRAM" (offload, T5 on CPU)
    assert two.components["transformer"] < max(two.phases["denoise"], two.phases["decode"]) + 0.8 <= 80 * GB / GIB
    resident = estimate_shot(wan(14_289_000_000, 5120, 40, experts=2), 1280, 720, 81, 40, "gpu",
                             dtypes={"default": "bfloat16"}, device=DEVICES["RTX 4090"])
    assert resident.phases["denoise"] > 2 * two.components["transformer"]    # both resident in gpu mode
    assert resident.fits is False and "will not fit" in resident.warnings[-1]


def test_offload_modes_trade_memory_for_time_and_devices_are_found():
    info = wan()
    kw = dict(dtypes={"default": "bfloat16", "vae": "float32"}, device=DEVICES["RTX 3090"])
    modes = {m: estimate_shot(info, 832, 480, 81, 30, m, **kw) for m in
             ("gpu", "model_offload", "group_offload", "group_offload_disk", "sequential_offload")}
    assert modes["gpu"].peak_gb > modes["model_offload"].peak_gb > modes["group_offload"].peak_gb
    assert modes["group_offload"].phases["encode"] < 1.0           # the text encoder streams block by block
    assert modes["sequential_offload"].seconds_per_step_guess > modes["group_offload"].seconds_per_step_guess
    assert modes["group_offload_disk"].seconds_per_step_guess >= modes["group_offload"].seconds_per_step_guess
    assert find_device("NVIDIA H100 80GB HBM3").name == "H100" and find_device("GeForce RTX 4090").name == "RTX 4090"
    assert find_device("cpu").name == "CPU"
    with pytest.raises(EngineError):
        find_device("TPU v9")
