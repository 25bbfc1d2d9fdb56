"""Memory modes, dtypes, attention backends and regional compile through the real loader (CPU)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.diffusion.memory import oom_error, parse_memory_mode
from engine.errors import EngineError, ErrorKind


def test_memory_mode_parsing_and_advice():
    assert parse_memory_mode("group_offload+vae_tiling").label == "group_offload+vae_tiling"
    assert parse_memory_mode(None).label == "gpu" and parse_memory_mode("", vae_tiling=True).vae_tiling
    with pytest.raises(EngineError):
        parse_memory_mode("gpu+turbo")
    err = oom_error(MemoryError(), parse_memory_mode("model_offload+vae_tiling"), 1280, 720, 81)
    assert err.kind is ErrorKind.OUT_OF_MEMORY
    assert "group_offload" in err.suggestion and "960x528" in err.suggestion and "VAE tiling" not in err.suggestion


def test_dtype_per_component_and_cache_key(tiny_models):
    import torch
    from engine.diffusion import loader
    from engine.diffusion.registry import inspect_model_dir
    info = inspect_model_dir(tiny_models["wan_t2v"])
    mode = parse_memory_mode("gpu")
    loaded = loader.load_pipeline(info, "WanPipeline", dtype={"transformer": "bf16", "default": "float32"},
                                  mode=mode, device="cpu")
    assert loaded.pipe.transformer.dtype == torch.bfloat16 and loaded.pipe.vae.dtype == torch.float32
    assert loaded.dtypes == {"transformer": "bfloat16", "default": "float32"}
    again = loader.load_pipeline(info, "WanPipeline", dtype={"default": "fp32", "transformer": "bfloat16"},
                                 mode=mode, device="cpu")
    assert again is loaded                           # same folder, dtypes and mode: kept loaded
    with pytest.raises(EngineError) as err:
        loader.load_pipeline(info, "WanPipeline", dtype="int3", mode=mode, device="cpu")
    assert err.value.kind is ErrorKind.BAD_INPUT


def test_regional_compile_wraps_the_repeated_blocks(tiny_models):
    """Only the wrapping is checked: a cold torch.compile costs ~45 s on this CPU (gpu_bench times it)."""
    from engine.diffusion import loader
    from engine.diffusion.registry import inspect_model_dir
    info = inspect_model_dir(tiny_models["ltx"])
    loaded = loader.load_pipeline(info, "LTXConditionPipeline", mode=parse_memory_mode("gpu"), device="cpu",
                                  compile_=True)
    assert loaded.compiled
    assert all(block._compiled_call_impl is not None for block in loaded.pipe.transformer.transformer_blocks)


def test_attention_backend_choice(tiny_models, tmp_path):
    from engine.diffusion.backend import DiffusionBackend
    from engine.jobs import CancelToken, GenerationRequest

    def go(name, job):
        req = GenerationRequest(job_id=job, output_dir=str(tmp_path), model=str(tiny_models["wan_t2v"]),
                                prompt="a pier", width=32, height=32, frames=5, fps=16,
                                options={"steps": 2, "max_sequence_length": 32, "attention_backend": name})
        return DiffusionBackend().generate(req, lambda p: None, CancelToken())
    try:
        result = go("native", "att")
        assert json.loads(Path(result.metadata_file).read_text())["request"]["options"]["attention_backend"] == "native"
        with pytest.raises(EngineError) as err:
            go("warp_attention", "bad")
        assert err.value.kind is ErrorKind.UNSUPPORTED and "warp_attention" in err.value.message
    finally:
        from engine.diffusion import loader
        for loaded in list(loader._CACHE.values()):
            loaded.pipe.transformer.set_attention_backend("native")
