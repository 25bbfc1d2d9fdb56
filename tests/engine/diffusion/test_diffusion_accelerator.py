"""The diffusion path in the dtypes and modes an accelerator gets, run on this CPU: bf16 compute runs
on a CPU, so the GPU-only dtype bugs show here. Each numbered test is a bug of issue 13 that failed
before its fix. The GPU itself cannot be had: where CUDA behaviour matters (streams, OOM) the test
says it is mocked."""
from __future__ import annotations

import gc
import json
import weakref
from pathlib import Path

import pytest

from engine.errors import EngineError, ErrorKind
from engine.jobs import Conditioning, Keyframe

from test_diffusion_generate import assert_take, run  # same folder, on sys.path under pytest

BF16 = "bfloat16"               # what a GPU gets: bf16 compute, the VAE in the family's own dtype
GPU_DEFAULT = {"default": "bfloat16", "vae": "float32"}   # the old accelerator default (bug 1)


def _meta(result) -> dict:
    return json.loads(Path(result.metadata_file).read_text())


def _loaded(tiny_models, name, **key):
    from engine.diffusion import loader
    folder = str(Path(tiny_models[name]).resolve())
    found = [v for k, v in loader._CACHE.items() if k[0] == folder
             and all(dict(k[2]).get(c) == d for c, d in key.items())]
    assert found, f"{name} with {key} is not loaded"
    return found[-1]


@pytest.mark.parametrize("name,cond_kind,fps", [
    ("wan_t2v", "t2v", 16), ("wan_i2v", "i2v", 16), ("wan_vace", "keyframes", 16), ("ltx", "t2v", 24),
    ("ltx", "keyframes", 24), ("ltx2", "i2v", 24), ("cogvideox_t2v", "t2v", 8), ("cogvideox_i2v", "i2v", 8),
    ("skyreels_df", "t2v", 24), ("skyreels_df", "i2v", 24), ("skyreels_i2v", "i2v", 24), ("hunyuan15", "t2v", 24),
    ("hunyuan15_i2v", "i2v", 24)])
def test_every_family_and_task_runs_in_accelerator_dtypes(tiny_models, tmp_path, images, name, cond_kind, fps):
    cond = {"t2v": Conditioning(), "i2v": Conditioning(first_frame=images["grad"]),
            "keyframes": Conditioning(keyframes=(Keyframe(images["grad"], 0), Keyframe(images["checker"], 4, 0.8)))
            }[cond_kind]
    size = 64 if name == "cogvideox_i2v" else 32
    result, _ = run(tiny_models[name], tmp_path, cond=cond, fps=fps, width=size, height=size, dtype=BF16)
    meta = assert_take(result, 9, size, size, fps)
    assert meta["dtypes"]["default"] == BF16
    # the VAE in its own dtype: Wan's (also SkyReels') in float32, the others' in the pipeline's bfloat16
    assert meta["dtypes"].get("vae", BF16) == ("float32" if name.startswith(("wan", "skyreels")) else BF16)


@pytest.mark.parametrize("name,fps", [("ltx", 24), ("cogvideox_t2v", 8)])
def test_1_bf16_pipeline_with_a_float32_vae_decodes(tiny_models, tmp_path, name, fps):
    """Bug 1: LTX and CogVideoX hand bf16 latents to an fp32 VAE ("Input type (BFloat16) and bias type
    (float)") after all the denoising."""
    result, _ = run(tiny_models[name], tmp_path, fps=fps, dtype=GPU_DEFAULT)
    assert assert_take(result, 9, 32, 32, fps)["dtypes"] == {"default": BF16, "vae": "float32"}


def test_1_auto_dtypes_per_device_and_family():
    from engine.diffusion.settings import dtype_names
    assert dtype_names("auto", "cpu", "ltx") == {"default": "float32"}
    assert dtype_names(None, "cuda", "ltx") == {"default": BF16}               # LTX's VAE runs in bf16
    assert dtype_names(None, "cuda", "cogvideox") == {"default": BF16}
    assert dtype_names(None, "cuda", "wan") == {"default": BF16, "vae": "float32"}
    assert dtype_names("fp8", "cuda", "wan") == {"default": BF16, "transformer": "float8_e4m3fn",
                                                 "transformer_2": "float8_e4m3fn", "vae": "float32"}
    with pytest.raises(EngineError) as err:
        dtype_names({"vae": "fp8"}, "cuda", "wan")
    assert err.value.kind is ErrorKind.BAD_INPUT and "transformer only" in err.value.message


def test_2_sibling_pipeline_keeps_the_loaded_dtypes(tiny_models, tmp_path):
    """Bug 2: from_pipe cast the shared transformer and text encoder to float32 after a V2V shot."""
    import torch
    source, _ = run(tiny_models["wan_t2v"], tmp_path / "a", dtype=BF16)
    remix, _ = run(tiny_models["wan_t2v"], tmp_path / "b", dtype=BF16,
                   cond=Conditioning(video=source.video, strength=0.7), steps=3)
    assert _meta(remix)["task"] == "v2v"
    loaded = _loaded(tiny_models, "wan_t2v", default=BF16)
    assert "WanVideoToVideoPipeline" in loaded.siblings
    assert loaded.pipe.transformer.dtype == torch.bfloat16 and loaded.pipe.text_encoder.dtype == torch.bfloat16
    assert loaded.pipe.vae.dtype == torch.float32
    assert loaded.siblings["WanVideoToVideoPipeline"].transformer is loaded.pipe.transformer   # shared, not copied


def test_3_compile_with_a_cache_is_refused_before_loading(tiny_models, tmp_path):
    """Bug 3: regional compile (fullgraph) cannot trace FirstBlockCache / PAB hooks; it failed at the first
    step. Now it is refused up front, and nothing is loaded for it."""
    from engine.diffusion import loader
    before = loader.loaded_keys()
    for cache in ("first_block", "pab"):
        with pytest.raises(EngineError) as err:
            run(tiny_models["wan_t2v"], tmp_path, compile=True, cache=cache)
        assert err.value.kind is ErrorKind.UNSUPPORTED and "compile" in err.value.message
        assert "Choose one" in err.value.suggestion
    assert loader.loaded_keys() == before and not list(tmp_path.iterdir())


def test_4_out_of_memory_in_a_step_frees_its_tensors(tiny_models, tmp_path, monkeypatch):
    """Bug 4: the cleanup ran inside `except` and the job error chained the exception, whose traceback
    kept the failed step's tensors alive. A CUDA OOM cannot happen on this CPU: the transformer is
    patched (mocked GPU) to allocate and then raise one."""
    import torch
    run(tiny_models["wan_t2v"], tmp_path / "warm")
    transformer = _loaded(tiny_models, "wan_t2v", default="float32").pipe.transformer
    refs = []

    def boom(*a, **k):
        activations = torch.ones(256, 256)
        refs.append(weakref.ref(activations))
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
    monkeypatch.setattr(transformer, "forward", boom)
    with pytest.raises(EngineError) as err:
        run(tiny_models["wan_t2v"], tmp_path / "oom")
    assert err.value.kind is ErrorKind.OUT_OF_MEMORY and "model_offload" in err.value.suggestion
    gc.collect()
    assert refs and refs[0]() is None, "the failed step's tensors are still reachable from the error"
    assert err.value.__cause__ is None and err.value.__context__ is None


def test_4_out_of_memory_while_placing_the_model_leaves_nothing_loaded(tiny_models, tmp_path, monkeypatch):
    """Bug 4b: an OOM in place() (moving the weights to the GPU; mocked: no GPU here) had no cleanup."""
    import torch
    from engine.diffusion import loader
    pipes = []

    def place_oom(pipe, *a, **k):
        pipes.append(weakref.ref(pipe))
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 11.40 GiB")
    monkeypatch.setattr(loader, "place", place_oom)
    with pytest.raises(EngineError) as err:
        run(tiny_models["cogvideox_t2v"], tmp_path, fps=8, dtype="float16")
    assert err.value.kind is ErrorKind.OUT_OF_MEMORY and "memory mode" in err.value.suggestion
    gc.collect()
    assert pipes and pipes[0]() is None, "the pipeline that did not fit is still in memory"
    assert not any(dict(k[2]).get("default") == "float16" for k in loader.loaded_keys())


def test_5_group_offload_streams_the_text_encoder_block_by_block(tiny_models, tmp_path):
    """Bug 5a: diffusers groups only top-level lists, so the UMT5 text encoder moved as one 11 GB group."""
    from diffusers.hooks import HookRegistry
    result, _ = run(tiny_models["wan_t2v"], tmp_path, memory_mode="group_offload", dtype=BF16)
    assert _meta(result)["placement"] == "group_offload"
    encoder = [v for k, v in __import__("engine.diffusion.loader", fromlist=["_CACHE"])._CACHE.items()
               if k[0] == str(Path(tiny_models["wan_t2v"]).resolve()) and k[3] == "group_offload"][0].pipe.text_encoder
    hooked = ["group_offloading" in HookRegistry.check_if_exists_or_initialize(b).hooks for b in encoder.encoder.block]
    assert hooked == [True] * len(encoder.encoder.block)


def test_5_a_tiled_vae_is_not_prefetched_on_cuda_streams(tiny_models):
    """Bug 5b: streams + VAE tiling is a diffusers hazard. The CUDA plan is checked without a GPU
    (nothing is moved: group_offload_plan only names the arguments)."""
    import diffusers
    from engine.diffusion.memory import group_offload_plan
    pipe = diffusers.WanPipeline.from_pretrained(tiny_models["wan_t2v"])
    tiled = group_offload_plan(pipe, "cuda", vae_tiling=True)
    assert tiled["transformer"]["use_stream"] and tiled["text_encoder"]["use_stream"]
    assert tiled["vae"]["use_stream"] is False
    assert group_offload_plan(pipe, "cuda", vae_tiling=False)["vae"]["use_stream"] is True
    assert tiled["text_encoder"]["block_modules"] == ["encoder"]
    assert not any(v["use_stream"] for v in group_offload_plan(pipe, "cpu", vae_tiling=False).values())
    from engine.diffusion.loader import cache_key
    from engine.diffusion.registry import inspect_model_dir
    from engine.diffusion.settings import parse_memory_mode
    info = inspect_model_dir(tiny_models["wan_t2v"])
    keys = {cache_key(info, {"default": BF16}, parse_memory_mode(m), "cuda", False)
            for m in ("group_offload", "group_offload+vae_tiling")}
    assert len(keys) == 2                           # a streamed VAE is never reused for a tiled shot


def test_5_attention_backend_is_restored_and_recorded_only_when_used(tiny_models, tmp_path):
    """Bug 5c: set_attention_backend is process-global in diffusers and leaked into later shots; the
    CogVideoX processors ignore it, yet the take recorded it."""
    from diffusers.models.attention_dispatch import _AttentionBackendRegistry
    wan, _ = run(tiny_models["wan_t2v"], tmp_path / "w", attention_backend="_native_math")
    assert _meta(wan)["attention_backend"] == "_native_math"
    assert _AttentionBackendRegistry.get_active_backend()[0].value == "native"
    processors = [m.processor for m in _loaded(tiny_models, "wan_t2v", default="float32").pipe.transformer.modules()
                  if getattr(m, "processor", None) is not None]
    assert processors and all(getattr(p, "_attention_backend", None) is None for p in processors)
    cog, _ = run(tiny_models["cogvideox_t2v"], tmp_path / "c", fps=8, attention_backend="_native_math")
    assert _meta(cog)["attention_backend"] == "native"


def test_5_hub_kernels_are_refused_without_allow_download(tiny_models, tmp_path):
    """Bug 5d: `*_hub` backends download kernel code whatever --allow-download says."""
    with pytest.raises(EngineError) as err:
        run(tiny_models["wan_t2v"], tmp_path, attention_backend="flash_hub")
    assert err.value.kind is ErrorKind.UNSUPPORTED and "download" in err.value.message


def test_5_fp8_storage_runs_and_is_priced(tiny_models, tmp_path):
    """Bug 5e: the estimate priced fp8 but the dtype parser refused it. fp8 now stores the transformer's
    weights in float8 (layerwise casting, bf16 compute)."""
    import torch
    from engine.diffusion.backend import estimate_request
    from engine.jobs import GenerationRequest
    result, _ = run(tiny_models["wan_t2v"], tmp_path, dtype="fp8")
    assert _meta(result)["dtypes"]["transformer"] == "float8_e4m3fn"
    transformer = _loaded(tiny_models, "wan_t2v", transformer="float8_e4m3fn").pipe.transformer
    assert transformer.blocks[0].ffn.net[2].weight.dtype == torch.float8_e4m3fn

    def weights(dtype, device):
        req = GenerationRequest(job_id="e", output_dir=str(tmp_path), model=str(tiny_models["wan_t2v"]), width=32,
                                height=32, frames=9, fps=16, options={"dtype": dtype, "device": device})
        return estimate_request(req).components["transformer"]
    assert weights("fp8", "cuda") < weights("bf16", "cuda") < weights("auto", "cpu")
    assert weights("auto", "cpu") == 2 * weights("auto", "cuda")      # bug 5f: the CPU runs float32
