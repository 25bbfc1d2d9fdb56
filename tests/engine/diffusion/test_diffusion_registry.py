"""Model registry: identifying folders, refusing pickles and remote code, estimates; and the rule
that the studio can use all of it without torch."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from engine.diffusion.estimate import DEVICES, estimate_shot
from engine.diffusion.registry import (Capability, ModelInfo, inspect_model_dir, rule_frames, safetensors_param_count,
                                       scan_model_dirs)
from engine.errors import EngineError, ErrorKind

ROOT = Path(__file__).resolve().parents[3]


def test_studio_side_modules_do_not_import_torch():
    code = ("import sys, engine, engine.jobs, engine.diffusion, engine.diffusion.registry, engine.diffusion.prompt, "
            "engine.diffusion.conform, engine.diffusion.task\n"
            "bad = [m for m in ('torch', 'diffusers', 'transformers') if m in sys.modules]\n"
            "assert not bad, bad\nprint('clean')")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "clean"


def test_scan_finds_every_tiny_model_with_its_rules(tiny_models):
    found = {Path(m.path).name: m for m in scan_model_dirs([tiny_models["wan_t2v"].parent])}
    assert set(found) == set(tiny_models)
    wan, vace, i2v = found["wan_t2v"], found["wan_vace"], found["wan_i2v"]
    assert (wan.family, wan.frame_step, wan.size_multiple, wan.native_fps) == ("wan", 4, 16, Fraction(16))
    assert wan.capabilities == {Capability.T2V, Capability.V2V}
    assert {Capability.KEYFRAMES, Capability.REFERENCES, Capability.CONTINUE} <= vace.capabilities
    assert Capability.V2V not in vace.capabilities
    assert i2v.capabilities == {Capability.I2V, Capability.FLF2V}
    assert found["wan_i2v_clip"].capabilities == {Capability.I2V}     # CLIP 2.1 I2V: no last-frame training
    ltx = found["ltx"]
    assert ltx.class_name == "LTXPipeline" and ltx.family == "ltx" and ltx.frame_step == 8
    assert {Capability.KEYFRAMES, Capability.CONTINUE, Capability.V2V} <= ltx.capabilities
    assert found["ltx2"].capabilities == {Capability.T2V, Capability.I2V, Capability.FLF2V, Capability.KEYFRAMES,
                                          Capability.JOINT_AUDIO}   # keyframes through LTX2ConditionPipeline
    assert found["ltx2"].params["connectors"] > 0          # a diffusers pipeline-package component, allowed
    cog, cog_i2v = found["cogvideox_t2v"], found["cogvideox_i2v"]
    assert cog.frame_step == 8 and cog.size_multiple == 16 and cog_i2v.capabilities == {Capability.I2V}
    # parameter counts come from the safetensors headers alone
    assert wan.params["transformer"] == safetensors_param_count(
        next((tiny_models["wan_t2v"] / "transformer").glob("*.safetensors")))
    assert set(wan.params) == {"transformer", "text_encoder", "vae"}
    listing = json.loads(json.dumps(wan.to_dict()))
    assert listing["frame_rule"] == "4k+1" and "t2v" in listing["capabilities"]


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def test_pickle_only_folder_is_refused(tiny_models, tmp_path):
    folder = _copy(tiny_models["wan_t2v"], tmp_path / "pickled")
    for f in (folder / "transformer").glob("*.safetensors"):
        f.unlink()
    (folder / "transformer" / "diffusion_pytorch_model.bin").write_bytes(b"\x80\x04not loaded, only named")
    with pytest.raises(EngineError) as err:
        inspect_model_dir(folder)
    assert err.value.kind is ErrorKind.MODEL_INVALID and "pickle" in err.value.message
    errors: list[EngineError] = []
    assert scan_model_dirs([tmp_path], errors) == [] and errors[0].kind is ErrorKind.MODEL_INVALID
    # a bare checkpoint file in a folder is not a diffusers folder either
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "wan.ckpt").write_bytes(b"x")
    with pytest.raises(EngineError) as err:
        inspect_model_dir(bare)
    assert err.value.kind is ErrorKind.MODEL_INVALID and "pickle" in err.value.message


def test_remote_code_is_refused(tiny_models, tmp_path):
    custom = _copy(tiny_models["wan_t2v"], tmp_path / "custom")
    index = json.loads((custom / "model_index.json").read_text())
    index["transformer"] = ["my_transformer", "EvilTransformer"]
    (custom / "model_index.json").write_text(json.dumps(index))
    with pytest.raises(EngineError) as err:
        inspect_model_dir(custom)
    assert err.value.kind is ErrorKind.MODEL_INVALID and "remote code" in err.value.message

    automap = _copy(tiny_models["wan_t2v"], tmp_path / "automap")
    cfg = json.loads((automap / "text_encoder" / "config.json").read_text())
    cfg["auto_map"] = {"AutoModel": "modeling_evil.EvilModel"}
    (automap / "text_encoder" / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(EngineError) as err:
        inspect_model_dir(automap)
    assert "auto_map" in err.value.message

    shipped = _copy(tiny_models["wan_t2v"], tmp_path / "shipped")
    (shipped / "pipeline.py").write_text("print('never run')\n")
    with pytest.raises(EngineError) as err:
        inspect_model_dir(shipped)
    assert err.value.kind is ErrorKind.MODEL_INVALID


def test_wrong_kind_and_missing_folders(tiny_models, tmp_path):
    image_model = _copy(tiny_models["wan_t2v"], tmp_path / "sdxl")
    index = json.loads((image_model / "model_index.json").read_text())
    index["_class_name"] = "StableDiffusionXLPipeline"
    (image_model / "model_index.json").write_text(json.dumps(index))
    with pytest.raises(EngineError) as err:
        inspect_model_dir(image_model)
    assert err.value.kind is ErrorKind.MODEL_INVALID and "StableDiffusionXLPipeline" in err.value.message
    with pytest.raises(EngineError) as err:
        inspect_model_dir(tmp_path / "nowhere")
    assert err.value.kind is ErrorKind.MODEL_MISSING
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("hi")
    assert [Path(m.path).name for m in scan_model_dirs([tmp_path])] == []


def _wan_1_3b() -> ModelInfo:
    # Full-size counts (FIELD-NOTES): the estimate must be plausible for real checkpoints.
    return ModelInfo(path="/models/wan", class_name="WanPipeline", family="wan", variant="t2v", label="Wan 2.1",
                     capabilities=frozenset({Capability.T2V}), native_fps=Fraction(16), frame_step=4,
                     size_multiple=16, params={"transformer": 1_419_000_000, "text_encoder": 5_681_000_000,
                                               "vae": 127_000_000},
                     hidden_size=1536, layers=30)


def estimate(info, width, height, frames, steps, mode, **kw):
    """On an H100 in the GPU's default dtypes for Wan (bf16, the VAE in float32)."""
    return estimate_shot(info, width, height, frames, steps, mode, dtypes={"default": "bfloat16", "vae": "float32"},
                         device=DEVICES["H100"], **kw)


def test_estimate_orders_memory_modes_and_scales_with_size():
    info = _wan_1_3b()
    gpu = estimate(info, 832, 480, 81, 30, "gpu")
    assert gpu.model_frames == 81 and gpu.tokens == 21 * 30 * 52
    assert 12 < gpu.weights_gb < 15                       # 7.1 B params in bf16 + a float32 VAE
    offload = estimate(info, 832, 480, 81, 30, "model_offload")
    group = estimate(info, 832, 480, 81, 30, "group_offload")
    tiled = estimate(info, 832, 480, 81, 30, "group_offload", vae_tiling=True)
    assert gpu.peak_gb > offload.peak_gb > group.peak_gb >= tiled.peak_gb > 0
    assert tiled.phases["decode"] < group.phases["decode"]  # tiling bounds the decode; the denoise peak stays
    assert group.seconds_per_step_guess > gpu.seconds_per_step_guess
    small = estimate(info, 416, 240, 33, 30, "gpu")
    assert small.seconds_total_guess < gpu.seconds_total_guess / 4
    assert 1 < gpu.seconds_per_step_guess < 60
    long = estimate(info, 832, 480, 161, 30, "gpu")
    assert long.warnings and "161" in long.warnings[0]
    with pytest.raises(EngineError):
        estimate(info, 832, 480, 81, 30, "floppy")


def test_frame_rules():
    assert [rule_frames(n, 4) for n in (1, 2, 5, 6, 81, 82)] == [5, 5, 5, 9, 81, 85]
    assert [rule_frames(n, 8) for n in (9, 10, 121)] == [9, 17, 121]


def test_runner_finds_the_diffusion_backend():
    from engine.backends import create_backend
    from engine.diffusion.backend import DiffusionBackend
    backend = create_backend("diffusion")
    assert isinstance(backend, DiffusionBackend) and backend.name == "diffusion"


def test_models_report_for_the_cli(tiny_models, tmp_path):
    from engine.diffusion.registry import models_report
    text, code = models_report([tiny_models["wan_t2v"].parent])
    assert code == 0 and "Wan 2.1 VACE" in text and "keyframes" in text and "4k+1" in text
    data, code = models_report([tiny_models["ltx"]], as_json=True)
    parsed = json.loads(data)
    assert code == 0 and parsed["models"][0]["family"] == "ltx" and parsed["refused"] == []
    folder = _copy(tiny_models["wan_t2v"], tmp_path / "pickled")
    for f in (folder / "vae").glob("*.safetensors"):
        f.rename(f.with_suffix(".bin"))
    text, code = models_report([tmp_path])
    assert code == 1 and "refused" in text and "pickle" in text


def test_estimate_request_prices_the_shot_as_it_will_run(tiny_models):
    from engine.diffusion.backend import estimate_request
    from engine.jobs import GenerationRequest
    req = GenerationRequest(job_id="e", output_dir="/tmp/x", backend="diffusion", model=str(tiny_models["wan_t2v"]),
                            width=1280, height=720, frames=48, fps=24, options={"steps": 20})
    guess = estimate_request(req)
    assert guess.model_frames == 33                        # 2 s at Wan's 16 fps, 4k+1
    assert guess.tokens == 9 * (480 // 16) * (848 // 16)   # capped to the trained area: 848x480
    tiled = estimate_request(req.with_(options={"steps": 20, "memory_mode": "group_offload+vae_tiling"}))
    assert tiled.peak_gb < guess.peak_gb
