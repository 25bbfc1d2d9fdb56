"""Today's models through the real loader on tiny pipelines: Wan 2.2 A14B's two experts, LTX-2 keyframes
through LTX2ConditionPipeline."""
from __future__ import annotations

import json
from pathlib import Path

from engine.jobs import Conditioning, Keyframe

from test_diffusion_generate import assert_take, run  # same folder, on sys.path under pytest


def test_wan22_two_experts_both_denoise_and_are_priced_and_recorded(tiny_models, tmp_path):
    from engine.diffusion import loader
    from engine.diffusion.backend import estimate_request
    from engine.diffusion.registry import inspect_model_dir
    from engine.jobs import GenerationRequest
    info = inspect_model_dir(tiny_models["wan22_a14b"])
    assert info.label == "Wan 2.2 (two experts)" and info.params["transformer_2"] == info.params["transformer"]
    run(tiny_models["wan22_a14b"], tmp_path / "warm", steps=2)
    loaded = [v for k, v in loader._CACHE.items() if k[0] == str(Path(tiny_models["wan22_a14b"]).resolve())][0]
    calls = {"transformer": 0, "transformer_2": 0}
    hooks = [getattr(loaded.pipe, name).register_forward_hook(lambda *a, n=name: calls.__setitem__(n, calls[n] + 1))
             for name in calls]
    try:
        result, _ = run(tiny_models["wan22_a14b"], tmp_path / "a", steps=8, guidance_2=3.0)
    finally:
        for hook in hooks:
            hook.remove()
    assert calls["transformer"] > 0 and calls["transformer_2"] > 0      # high noise first, then low noise
    meta = assert_take(result, 9, 32, 32, 16)
    assert meta["experts"] == {"boundary_ratio": 0.875, "count": 2, "guidance_2": 3.0}
    req = GenerationRequest(job_id="e", output_dir=str(tmp_path), model=str(tiny_models["wan22_a14b"]), width=32,
                            height=32, frames=9, fps=16, options={"memory_mode": "model_offload", "device": "cuda"})
    est = estimate_request(req, device="H100")
    assert set(est.components) >= {"transformer", "transformer_2"}
    single = estimate_request(req.with_(model=str(tiny_models["wan_t2v"])), device="H100")
    assert est.seconds_per_step_guess == single.seconds_per_step_guess   # one expert per step


def test_wan22_lora_goes_into_both_experts(tiny_models, tmp_path):
    from engine.diffusion import loader
    from test_diffusion_lora import make_lora
    lora = make_lora(tiny_models["wan_t2v"], tmp_path, seed=3)
    run(tiny_models["wan22_a14b"], tmp_path / "l", loras=[{"path": str(lora), "weight": 0.5}])
    loaded = [v for k, v in loader._CACHE.items() if k[0] == str(Path(tiny_models["wan22_a14b"]).resolve())][0]
    adapters = loaded.pipe.get_list_adapters()
    assert adapters.get("transformer") and adapters.get("transformer_2") == adapters["transformer"]
    run(tiny_models["wan22_a14b"], tmp_path / "clean")
    assert not loaded.pipe.get_list_adapters().get("transformer_2")


def test_ltx2_keyframes_at_indices_through_the_condition_pipeline(tiny_models, tmp_path, images):
    keys = Conditioning(keyframes=(Keyframe(images["grad"], 0), Keyframe(images["checker"], 4, 0.8)))
    result, _ = run(tiny_models["ltx2"], tmp_path / "k", fps=24, frames=9, cond=keys)
    meta = assert_take(result, 9, 32, 32, 24)
    assert meta["task"] == "keyframes" and meta["generated_audio_rate"] == 16000
    other, _ = run(tiny_models["ltx2"], tmp_path / "o", fps=24, frames=9, cond=Conditioning(
        keyframes=(Keyframe(images["checker"], 0), Keyframe(images["checker"], 4, 0.8))))
    assert _clip_difference(result.video, other.video) > 0.3      # the pinned image reaches the pixels
    flf, _ = run(tiny_models["ltx2"], tmp_path / "f", fps=24, frames=9, cond=Conditioning(
        first_frame=images["grad"], last_frame=images["checker"]))
    assert json.loads(Path(flf.metadata_file).read_text())["task"] == "flf2v"


def _clip_difference(a: str, b: str) -> float:
    """Mean absolute pixel difference over every frame of two takes."""
    import av
    import numpy as np

    def frames(path):
        with av.open(path) as c:
            return np.stack([f.to_ndarray(format="rgb24") for f in c.decode(c.streams.video[0])]).astype(np.int16)
    return float(np.abs(frames(a) - frames(b)).mean())


def test_skyreels_v2_diffusion_forcing_short_and_long_shots(tiny_models, tmp_path, monkeypatch):
    import diffusers
    from engine.diffusion.registry import inspect_model_dir
    info = inspect_model_dir(tiny_models["skyreels_df"])
    assert info.family == "skyreels" and info.frame_step == 4 and info.native_fps == 24
    seen = {}
    original = diffusers.SkyReelsV2DiffusionForcingPipeline.__call__

    def spy(self, *a, **k):
        seen.update(k)
        return original(self, *a, **k)
    monkeypatch.setattr(diffusers.SkyReelsV2DiffusionForcingPipeline, "__call__", spy)
    short, _ = run(tiny_models["skyreels_df"], tmp_path / "s", fps=24)
    assert_take(short, 9, 32, 32, 24)
    assert seen["base_num_frames"] == 9 and "overlap_history" not in seen
    seen.clear()
    long, _ = run(tiny_models["skyreels_df"], tmp_path / "l", fps=24, frames=17, base_num_frames=9,
                  overlap_history=5)
    assert_take(long, 17, 32, 32, 24)                 # two overlapping windows make the long shot
    assert seen["base_num_frames"] == 9 and seen["overlap_history"] == 5 and seen["num_frames"] == 17


def test_distilled_ltx_folder_runs_its_own_schedule(tiny_models, tmp_path, monkeypatch):
    import shutil
    import diffusers
    from engine.diffusion.ltx import DISTILLED_TIMESTEPS
    folder = tmp_path / "ltx-video-0.9.8-distilled"
    shutil.copytree(tiny_models["ltx"], folder)
    seen = {}
    original = diffusers.LTXConditionPipeline.__call__

    def spy(self, *a, **k):
        seen.clear()
        seen.update(k)
        return original(self, *a, **k)
    monkeypatch.setattr(diffusers.LTXConditionPipeline, "__call__", spy)
    result, _ = run(folder, tmp_path / "d", fps=24, steps=None)
    meta = assert_take(result, 9, 32, 32, 24)
    assert seen["timesteps"] == list(DISTILLED_TIMESTEPS) and seen["guidance_scale"] == 1.0
    assert meta["steps_done"] == len(DISTILLED_TIMESTEPS)
    run(folder, tmp_path / "u", fps=24, steps=2, guidance=2.5)      # the user's own choice wins
    assert "timesteps" not in seen and seen["guidance_scale"] == 2.5


def test_hunyuanvideo15_t2v_with_steps_followed_without_a_callback(tiny_models, tmp_path):
    from engine.diffusion.registry import inspect_model_dir
    from engine.errors import JobCancelled
    from engine.jobs import CancelToken
    info = inspect_model_dir(tiny_models["hunyuan15"])
    assert info.family == "hunyuan15" and info.frame_step == 4 and info.params["text_encoder_2"] > 0
    result, events = run(tiny_models["hunyuan15"], tmp_path / "a", fps=24, steps=3, guidance=1.0)
    meta = assert_take(result, 9, 32, 32, 24)
    assert meta["steps_done"] == 3
    assert [e.current for e in events if e.stage == "denoising"][-3:] == [1, 2, 3]
    token = CancelToken()

    def cancel_at_two(p):
        if p.stage == "denoising" and p.current == 2:
            token.cancel()
    import pytest
    with pytest.raises(JobCancelled):
        run(tiny_models["hunyuan15"], tmp_path / "c", fps=24, steps=4, cancel=token, on_progress=cancel_at_two)


def test_hunyuanvideo15_i2v_generates_at_its_own_bucket_and_the_image_matters(tiny_models, tmp_path, images,
                                                                              monkeypatch):
    """HunyuanVideo15ImageToVideoPipeline picks its size from the image (its transformer's target_size
    buckets): the backend plans that bucket as the working size and scales back to the project size."""
    import diffusers
    from test_diffusion_generate import differs
    from engine.diffusion.registry import inspect_model_dir
    info = inspect_model_dir(tiny_models["hunyuan15_i2v"])
    assert (info.family, info.variant, info.label) == ("hunyuan15", "i2v", "HunyuanVideo 1.5 I2V")
    assert info.params["image_encoder"] > 0
    seen = []
    original = diffusers.HunyuanVideo15ImageToVideoPipeline.__call__

    def spy(self, *args, **kwargs):            # records what the pipeline gets, then runs it
        seen.append(kwargs)
        return original(self, *args, **kwargs)
    monkeypatch.setattr(diffusers.HunyuanVideo15ImageToVideoPipeline, "__call__", spy)
    a, _ = run(tiny_models["hunyuan15_i2v"], tmp_path / "a", fps=24, width=48, height=32, steps=2,
               cond=Conditioning(first_frame=images["grad"]))
    meta = assert_take(a, 9, 48, 32, 24)
    assert meta["task"] == "i2v" and meta["working_size"] == [36, 24]      # the 3:2 bucket of target_size 32
    assert seen[0]["image"].size == (36, 24) and "height" not in seen[0]
    b, _ = run(tiny_models["hunyuan15_i2v"], tmp_path / "b", fps=24, width=48, height=32, steps=2,
               cond=Conditioning(first_frame=images["checker"]))
    assert differs(a, b)
    import pytest
    from engine.errors import EngineError
    with pytest.raises(EngineError, match="I2V cannot do text-to-video"):    # an I2V folder needs its image
        run(tiny_models["hunyuan15_i2v"], tmp_path / "c", fps=24, steps=2)


def test_skyreels_v2_native_extend_and_i2v_from_one_diffusion_forcing_folder(tiny_models, tmp_path, images,
                                                                            monkeypatch):
    """Continue a previous take with SkyReels' own V2V diffusion forcing (its last frames are the prefix
    the new frames continue), and first-frame I2V, both over the T2V folder's components."""
    import diffusers
    from test_diffusion_generate import differs
    seen = {}
    for name in ("SkyReelsV2DiffusionForcingVideoToVideoPipeline", "SkyReelsV2DiffusionForcingImageToVideoPipeline"):
        original = getattr(diffusers, name).__call__

        def spy(self, *a, _original=original, _name=name, **k):
            seen[_name] = k
            return _original(self, *a, **k)
        monkeypatch.setattr(getattr(diffusers, name), "__call__", spy)
    first, _ = run(tiny_models["skyreels_df"], tmp_path / "a", fps=24, steps=2)
    other, _ = run(tiny_models["skyreels_df"], tmp_path / "b", fps=24, steps=2, seed=9)
    cont, _ = run(tiny_models["skyreels_df"], tmp_path / "c", fps=24, steps=2,
                  cond=Conditioning(video=first.video, video_frames=5))
    meta = assert_take(cont, 9, 32, 32, 24)
    v2v = seen["SkyReelsV2DiffusionForcingVideoToVideoPipeline"]
    assert meta["task"] == "continue" and meta["model_frames"] == 13 and meta["model_frames_out"] == 13
    assert len(v2v["video"]) == 5 and v2v["video"][0].size == (32, 32)
    assert v2v["overlap_history"] == 5 and v2v["num_frames"] == 13 and v2v["base_num_frames"] == 13
    cont_other, _ = run(tiny_models["skyreels_df"], tmp_path / "d", fps=24, steps=2,
                        cond=Conditioning(video=other.video, video_frames=5))
    assert differs(cont, cont_other)                   # the previous take is what it continues
    half, _ = run(tiny_models["skyreels_df"], tmp_path / "h", fps=24, steps=2, dtype="bfloat16",
                  cond=Conditioning(video=first.video, video_frames=5))   # accelerator dtypes, VAE in float32
    assert assert_take(half, 9, 32, 32, 24)["dtypes"] == {"default": "bfloat16", "vae": "float32"}
    a, _ = run(tiny_models["skyreels_df"], tmp_path / "i", fps=24, steps=2,
               cond=Conditioning(first_frame=images["grad"]))
    assert_take(a, 9, 32, 32, 24)
    i2v = seen["SkyReelsV2DiffusionForcingImageToVideoPipeline"]
    assert i2v["image"].size == (32, 32) and i2v["last_image"] is None
    b, _ = run(tiny_models["skyreels_df"], tmp_path / "j", fps=24, steps=2,
               cond=Conditioning(first_frame=images["checker"]))
    assert differs(a, b)


def test_distilled_ltx2_folder_runs_its_own_sigmas_without_guidance(tiny_models, tmp_path, monkeypatch):
    import shutil
    import diffusers
    from diffusers.pipelines.ltx2.utils import DISTILLED_SIGMA_VALUES
    folder = tmp_path / "ltx-2-19b-distilled"
    shutil.copytree(tiny_models["ltx2"], folder)
    seen = {}
    original = diffusers.LTX2Pipeline.__call__

    def spy(self, *a, **k):
        seen.clear()
        seen.update(k)
        return original(self, *a, **k)
    monkeypatch.setattr(diffusers.LTX2Pipeline, "__call__", spy)
    result, _ = run(folder, tmp_path / "d", fps=24, steps=None)
    meta = assert_take(result, 9, 32, 32, 24)
    assert seen["sigmas"] == list(DISTILLED_SIGMA_VALUES) and seen["num_inference_steps"] == 8
    assert (seen["guidance_scale"], seen["stg_scale"], seen["modality_scale"]) == (1.0, 0.0, 1.0)
    assert (seen["audio_guidance_scale"], seen["audio_stg_scale"], seen["audio_modality_scale"]) == (1.0, 0.0, 1.0)
    assert meta["steps_done"] == len(DISTILLED_SIGMA_VALUES)
    run(folder, tmp_path / "u", fps=24, steps=2, guidance=2.5)      # the user's own choice wins
    assert "sigmas" not in seen and seen["guidance_scale"] == 2.5 and "stg_scale" not in seen
    from types import SimpleNamespace
    from engine.diffusion.ltx2 import distilled_schedule
    from engine.diffusion.registry import inspect_model_dir
    assert distilled_schedule(inspect_model_dir(tiny_models["ltx2"]), SimpleNamespace(options={})) == {}  # full model


def test_skyreels_v2_i2v_folder_with_its_clip_image_encoder(tiny_models, tmp_path, images):
    from test_diffusion_generate import differs
    from engine.diffusion.registry import inspect_model_dir
    info = inspect_model_dir(tiny_models["skyreels_i2v"])
    assert (info.variant, info.label) == ("i2v", "SkyReels-V2 I2V") and info.params["image_encoder"] > 0
    a, _ = run(tiny_models["skyreels_i2v"], tmp_path / "a", fps=24, steps=2,
               cond=Conditioning(first_frame=images["grad"]))
    meta = assert_take(a, 9, 32, 32, 24)
    assert meta["task"] == "i2v"
    b, _ = run(tiny_models["skyreels_i2v"], tmp_path / "b", fps=24, steps=2,
               cond=Conditioning(first_frame=images["checker"]))
    assert differs(a, b)
