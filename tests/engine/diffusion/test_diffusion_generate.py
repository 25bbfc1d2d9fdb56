"""The diffusion backend end to end on tiny random-weight pipelines saved to disk (CPU, real
diffusers, real ffmpeg). Random weights show no picture: these tests check what can be checked —
files, frame counts and sizes after conform, determinism from a seed, that conditioning changes
the output, cancel and stop-early, offload and tiling paths, and the errors a user can meet."""
from __future__ import annotations

import json
import wave
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from engine.cues import AudioCue
from engine.errors import EngineError, ErrorKind, JobCancelled
from engine.jobs import CancelToken, Conditioning, GenerationRequest, JobStatus, Keyframe

FAST = {"steps": 2, "max_sequence_length": 32}


def run(model: Path, out: Path, *, job="t", frames=9, fps=16, width=32, height=32, seed=3, cond=None,
        cancel=None, on_progress=None, audio=(), **options):
    from engine.diffusion.backend import DiffusionBackend
    req = GenerationRequest(job_id=job, output_dir=str(out), backend="diffusion", model=str(model),
                            prompt="a woman walks to the window", width=width, height=height, frames=frames,
                            fps=fps, seed=seed, conditioning=cond or Conditioning(), audio=tuple(audio),
                            options={**FAST, **options})
    events = []

    def progress(p):
        events.append(p)
        if on_progress:
            on_progress(p)
    result = DiffusionBackend().generate(req, progress, cancel or CancelToken())
    return result, events


def probe(path: str) -> tuple[int, int, int, Fraction]:
    with av.open(path) as c:
        s = c.streams.video[0]
        n = sum(1 for _ in c.decode(s))
        return n, s.codec_context.width, s.codec_context.height, Fraction(s.average_rate)


def pixels(path: str) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB")).astype(np.int16)


def differs(a, b) -> bool:
    """Mean absolute difference of the two takes' last frames above 0.3 of a level (identical
    inputs give exactly 0: the runs are deterministic)."""
    return float(np.abs(pixels(a.last_frame) - pixels(b.last_frame)).mean()) > 0.3


def assert_take(result, frames, width, height, fps):
    assert result.status is JobStatus.DONE
    n, w, h, rate = probe(result.video)
    assert (n, w, h, rate) == (frames, width, height, Fraction(fps))
    assert result.frames == frames
    for path in (result.proxy, result.thumbnail, result.last_frame, result.metadata_file):
        assert path and Path(path).is_file(), path
    assert pixels(result.last_frame).shape == (height, width, 3)
    assert not list(Path(result.video).parent.glob("*.partial-*"))
    meta = json.loads(Path(result.metadata_file).read_text())
    assert meta["frames"] == frames and meta["backend"] == "diffusion"
    return meta


@pytest.mark.parametrize("name", ["wan_t2v", "wan_vace", "ltx", "cogvideox_t2v"])
def test_text_to_video_every_family(tiny_models, tmp_path, name):
    result, events = run(tiny_models[name], tmp_path, preview_every=1)
    meta = assert_take(result, 9, 32, 32, 16)
    assert meta["task"] == "t2v" and meta["steps_done"] == 2
    stages = [e.stage for e in events]
    assert stages[0] == "loading" and stages[-1] == "done" and "denoising" in stages and "encoding" in stages
    previews = [e.preview for e in events if e.preview]
    assert previews, "a preview every step was asked for"
    data, w, h = previews[0]
    assert len(data) == w * h * 3 and 0 < max(w, h) <= 192


def test_frames_and_size_conformed_to_the_project(tiny_models, tmp_path):
    # 30 fps, 20 frames, 72x40: Wan needs 4k+1 frames at 16 fps and multiples of 16.
    result, _ = run(tiny_models["wan_t2v"], tmp_path, frames=20, fps=30, width=72, height=40,
                    conform_fps="interpolate")
    meta = assert_take(result, 20, 72, 40, 30)
    assert meta["model_frames"] == 13 and (meta["model_frames"] - 1) % 4 == 0   # 19/30*16 = 10.1 -> 12 -> 13
    assert meta["working_size"] == [80, 48]      # nearest multiples, half-way up: crop
    # LTX: 8k+1 frames at 24 fps
    result, _ = run(tiny_models["ltx"], tmp_path / "ltx", frames=12, fps=24, conform_fps="blend")
    meta = assert_take(result, 12, 32, 32, 24)
    assert (meta["model_frames"] - 1) % 8 == 0 and meta["model_frames"] >= 12


def test_same_seed_same_take_and_different_seed_differs(tiny_models, tmp_path):
    a, _ = run(tiny_models["wan_t2v"], tmp_path / "a", seed=11)
    b, _ = run(tiny_models["wan_t2v"], tmp_path / "b", seed=11)
    c, _ = run(tiny_models["wan_t2v"], tmp_path / "c", seed=12)
    assert np.array_equal(pixels(a.last_frame), pixels(b.last_frame))
    assert np.array_equal(pixels(a.thumbnail), pixels(b.thumbnail))
    assert differs(a, c)


def test_i2v_chained_from_the_previous_take_and_image_matters(tiny_models, tmp_path, images):
    first, _ = run(tiny_models["wan_t2v"], tmp_path / "shot1", job="shot1", width=64, height=64)
    chained = Conditioning(first_frame=first.last_frame, source_take_id="shot1", source_frame=8)
    rain = AudioCue(kind="ambience", preset="rain")
    second, _ = run(tiny_models["wan_i2v"], tmp_path / "shot2", job="shot2", cond=chained, width=64, height=64,
                    audio=[rain])
    meta = assert_take(second, 9, 64, 64, 16)
    assert meta["task"] == "i2v" and meta["conditioning_source"] == {"take_id": "shot1", "frame": 8}
    with wave.open(second.audio) as wav:                 # the shot's audio mix, as previs takes get it
        assert abs(wav.getnframes() / wav.getframerate() - 9 / 16) < 0.01
    assert first.audio is None                          # no cues, no track (like previs)
    other, _ = run(tiny_models["wan_i2v"], tmp_path / "shot2b", job="shot2b",
                   cond=Conditioning(first_frame=images["checker"]), width=64, height=64)
    assert differs(second, other)


def test_board_image_starts_the_shot_on_an_image_model(tiny_models, tmp_path, images):
    from engine.diffusion.backend import DiffusionBackend
    from engine.jobs import SceneSpec

    def board_take(model, job, board):
        req = GenerationRequest(job_id=job, output_dir=str(tmp_path), model=str(model), prompt="a pier", width=32,
                                height=32, frames=9, fps=16, scene=SceneSpec(board_image=board), options=FAST)
        result = DiffusionBackend().generate(req, lambda p: None, CancelToken())
        return result, json.loads(Path(result.metadata_file).read_text())
    take, meta = board_take(tiny_models["wan_i2v"], "b1", images["grad"])
    assert meta["task"] == "i2v" and meta["board_as_first_frame"] is True
    _, meta = board_take(tiny_models["wan_t2v"], "b2", images["grad"])     # a text-only model ignores it
    assert meta["task"] == "t2v" and meta["board_as_first_frame"] is False


def test_first_last_frame_on_wan_i2v(tiny_models, tmp_path, images, monkeypatch):
    import diffusers
    seen = {}
    original = diffusers.WanImageToVideoPipeline.__call__

    def spy(self, *args, **kwargs):          # records the arguments, then runs the real pipeline
        seen.update(kwargs)
        return original(self, *args, **kwargs)
    monkeypatch.setattr(diffusers.WanImageToVideoPipeline, "__call__", spy)
    cond = Conditioning(first_frame=images["grad"], last_frame=images["checker"])
    result, _ = run(tiny_models["wan_i2v"], tmp_path, cond=cond, frames=13, fps=24)
    meta = assert_take(result, 13, 32, 32, 24)
    assert meta["task"] == "flf2v" and meta["model_frames"] == 9
    # Both images reach the pipeline at the working size. (The tiny random Wan VAE encodes the
    # last frame of a 4-frame group with ~1e-3 weight, so its content cannot show in 8-bit pixels;
    # LTX's test below checks that a last frame changes the output.)
    assert seen["image"].size == (32, 32) and seen["last_image"].size == (32, 32)
    checker = np.asarray(Image.open(images["checker"]).resize((32, 32), Image.BOX)).astype(int)
    assert np.abs(np.asarray(seen["last_image"]).astype(int) - checker).mean() < 12    # the image, scaled


def test_wan21_clip_i2v_and_its_missing_last_frame_training(tiny_models, tmp_path, images):
    a, _ = run(tiny_models["wan_i2v_clip"], tmp_path / "a", cond=Conditioning(first_frame=images["grad"]),
               width=64, height=64)
    meta = assert_take(a, 9, 64, 64, 16)
    assert meta["task"] == "i2v" and meta["model"]["params"]["image_encoder"] > 0
    b, _ = run(tiny_models["wan_i2v_clip"], tmp_path / "b", cond=Conditioning(first_frame=images["checker"]),
               width=64, height=64)
    assert differs(a, b)
    with pytest.raises(EngineError) as err:          # 2.1 I2V (no FLF2V position table) was not trained on it
        run(tiny_models["wan_i2v_clip"], tmp_path / "c",
            cond=Conditioning(first_frame=images["grad"], last_frame=images["checker"]))
    assert err.value.kind is ErrorKind.UNSUPPORTED and "first and last frame" in err.value.message


def test_vace_keyframes_references_and_continuation(tiny_models, tmp_path, images):
    keys = Conditioning(keyframes=(Keyframe(images["grad"], 0), Keyframe(images["checker"], 5, 0.7)),
                        references=(images["checker"],))
    result, _ = run(tiny_models["wan_vace"], tmp_path / "k", cond=keys)
    meta = assert_take(result, 9, 32, 32, 16)
    assert meta["task"] == "keyframes"
    # The pinned image reaches the pixels...
    other, _ = run(tiny_models["wan_vace"], tmp_path / "o",
                   cond=Conditioning(keyframes=(Keyframe(images["checker"], 0), keys.keyframes[1]),
                                     references=keys.references))
    assert differs(result, other)
    # ...and the references reach the pipeline (they add latent frames, so the sampled noise
    # differs). Random tiny VACE weights carry a reference's content only ~1e-7 into the frames,
    # so its content cannot be asserted here.
    no_ref, _ = run(tiny_models["wan_vace"], tmp_path / "n", cond=Conditioning(keyframes=keys.keyframes))
    assert differs(result, no_ref)
    # continue the keyframed take from its last 5 frames
    cont, _ = run(tiny_models["wan_vace"], tmp_path / "c", cond=Conditioning(video=result.video, video_frames=5))
    meta = assert_take(cont, 9, 32, 32, 16)
    assert meta["task"] == "continue" and meta["model_frames"] >= 9 + 4


def test_ltx_conditions_at_frame_indices_continuation_and_v2v(tiny_models, tmp_path, images):
    keys = Conditioning(keyframes=(Keyframe(images["grad"], 0), Keyframe(images["checker"], 16)))
    result, _ = run(tiny_models["ltx"], tmp_path / "k", cond=keys, frames=17, fps=24)
    meta = assert_take(result, 17, 32, 32, 24)
    assert meta["task"] == "flf2v"           # pins at the first and last frame only
    other_end, _ = run(tiny_models["ltx"], tmp_path / "e", frames=17, fps=24, cond=Conditioning(
        keyframes=(Keyframe(images["grad"], 0), Keyframe(images["grad"], 16))))
    assert differs(result, other_end)
    mid = Conditioning(keyframes=(Keyframe(images["grad"], 0), Keyframe(images["checker"], 8, 0.8)))
    middle, _ = run(tiny_models["ltx"], tmp_path / "m", cond=mid, frames=17, fps=24)
    assert json.loads(Path(middle.metadata_file).read_text())["task"] == "keyframes"
    cont, _ = run(tiny_models["ltx"], tmp_path / "c", cond=Conditioning(video=result.video, video_frames=12),
                  frames=9, fps=24)
    meta = assert_take(cont, 9, 32, 32, 24)
    assert meta["task"] == "continue" and meta["model_frames"] == 17    # 12 -> 9 (8k+1) overlap + 8 new
    remix, _ = run(tiny_models["ltx"], tmp_path / "v", cond=Conditioning(video=result.video, strength=0.6),
                   frames=9, fps=24)
    assert json.loads(Path(remix.metadata_file).read_text())["task"] == "v2v"
    assert_take(remix, 9, 32, 32, 24)


def test_video_to_video_on_wan_and_cogvideox(tiny_models, tmp_path):
    source, _ = run(tiny_models["wan_t2v"], tmp_path / "src")
    wan, _ = run(tiny_models["wan_t2v"], tmp_path / "w", cond=Conditioning(video=source.video, strength=0.7),
                 steps=3)
    meta = assert_take(wan, 9, 32, 32, 16)
    assert meta["task"] == "v2v" and meta["steps_done"] == 2      # int(3 * 0.7) steps run
    cog, _ = run(tiny_models["cogvideox_t2v"], tmp_path / "c", cond=Conditioning(video=source.video, strength=0.7),
                 fps=8)
    assert_take(cog, 9, 32, 32, 8)


def test_cogvideox_i2v(tiny_models, tmp_path, images):
    # learned positional embeddings: this checkpoint only runs at its trained 64x64
    a, _ = run(tiny_models["cogvideox_i2v"], tmp_path / "a", cond=Conditioning(first_frame=images["grad"]), fps=8,
               width=64, height=64)
    b, _ = run(tiny_models["cogvideox_i2v"], tmp_path / "b", cond=Conditioning(first_frame=images["checker"]), fps=8,
               width=64, height=64)
    assert_take(a, 9, 64, 64, 8)
    assert differs(a, b)


def test_unsupported_request_names_models_that_can(tiny_models, tmp_path, images):
    with pytest.raises(EngineError) as err:
        run(tiny_models["cogvideox_t2v"], tmp_path, cond=Conditioning(first_frame=images["grad"]))
    assert err.value.kind is ErrorKind.UNSUPPORTED
    assert "cannot do" in err.value.message and "models that can" in err.value.message
    assert "WanImageToVideoPipeline" in err.value.message
    with pytest.raises(EngineError) as err:
        run(tiny_models["ltx"], tmp_path, cond=Conditioning(references=(images["grad"],)), fps=24)
    assert err.value.kind is ErrorKind.UNSUPPORTED and "reference" in err.value.message
    assert not list(tmp_path.glob("*"))


def test_hard_cancel_stops_before_decoding(tiny_models, tmp_path):
    from engine.diffusion.loader import loaded_keys
    run(tiny_models["wan_t2v"], tmp_path / "warm")
    from engine.diffusion import loader
    loaded = [loader._CACHE[k] for k in loaded_keys() if k[0] == str(Path(tiny_models["wan_t2v"]).resolve())
              and k[3] == "gpu" and dict(k[2]) == {"default": "float32"}][0]
    vae = loaded.pipe.vae
    decodes = []
    original = vae.decode
    vae.decode = lambda *a, **k: (decodes.append(1), original(*a, **k))[1]
    token = CancelToken()

    def cancel_at_step_one(p):
        if p.stage == "denoising" and p.current == 1:
            token.cancel()
    try:
        with pytest.raises(JobCancelled):
            run(tiny_models["wan_t2v"], tmp_path / "c", cancel=token, on_progress=cancel_at_step_one, steps=4)
    finally:
        vae.decode = original
    assert decodes == []
    assert not list((tmp_path / "c").glob("*")) if (tmp_path / "c").exists() else True


def test_stop_early_keeps_a_take(tiny_models, tmp_path):
    token = CancelToken()

    def stop_at_step_one(p):
        if p.stage == "denoising" and p.current == 1:
            token.stop_early()
    result, _ = run(tiny_models["ltx"], tmp_path, cancel=token, on_progress=stop_at_step_one, steps=4, fps=24)
    meta = assert_take(result, 9, 32, 32, 24)
    assert meta["stopped_early"] is True and meta["steps_done"] == 1


def test_group_offload_and_vae_tiling_on_cpu(tiny_models, tmp_path):
    from diffusers.hooks import HookRegistry
    from engine.diffusion import loader
    plain, _ = run(tiny_models["wan_t2v"], tmp_path / "plain")
    offload_dir = tmp_path / "offload"
    result, _ = run(tiny_models["wan_t2v"], tmp_path / "g", memory_mode="group_offload_disk+vae_tiling",
                    vae_tile_px=32, offload_dir=str(offload_dir))
    meta = assert_take(result, 9, 32, 32, 16)
    assert meta["placement"] == "group_offload_disk" and meta["memory_mode"] == "group_offload_disk+vae_tiling"
    assert any(offload_dir.rglob("*.safetensors")), "group offload to disk wrote its parameter files"
    key = [k for k in loader.loaded_keys() if k[3] == "group_offload_disk"][0]
    pipe = loader._CACHE[key].pipe
    assert pipe.vae.use_tiling
    assert "group_offloading" in HookRegistry.check_if_exists_or_initialize(pipe.transformer).hooks
    # same seed, same weights: offloading moves parameters, it does not change the maths much
    diff = np.abs(pixels(plain.last_frame) - pixels(result.last_frame)).mean()
    assert diff < 40
    ram, _ = run(tiny_models["wan_t2v"], tmp_path / "r", memory_mode="group_offload")
    assert json.loads(Path(ram.metadata_file).read_text())["placement"] == "group_offload"
    # model offload is an accelerator feature: on a CPU-only machine it runs in place, and says so
    cpu, _ = run(tiny_models["wan_t2v"], tmp_path / "m", memory_mode="model_offload")
    meta = json.loads(Path(cpu.metadata_file).read_text())
    assert meta["memory_mode"] == "model_offload" and meta["placement"] == "gpu" and meta["device"] == "cpu"


def test_pipeline_stays_loaded_between_shots(tiny_models, tmp_path):
    from engine.diffusion import loader
    run(tiny_models["cogvideox_t2v"], tmp_path / "a", fps=8)
    keys = loader.loaded_keys()
    run(tiny_models["cogvideox_t2v"], tmp_path / "b", fps=8, seed=9)
    assert loader.loaded_keys() == keys


def test_cache_acceleration_runs_and_magcache_needs_ratios(tiny_models, tmp_path):
    result, _ = run(tiny_models["wan_t2v"], tmp_path / "fbc", cache="first_block", steps=3)
    assert_take(result, 9, 32, 32, 16)
    with pytest.raises(EngineError) as err:
        run(tiny_models["wan_t2v"], tmp_path / "mag", cache="mag")
    assert err.value.kind is ErrorKind.UNSUPPORTED and "mag_ratios" in err.value.suggestion


def test_out_of_memory_mocked_gpu_becomes_advice(tiny_models, tmp_path, monkeypatch):
    """A CUDA OOM cannot happen on this CPU box: the transformer is patched to raise one."""
    import torch
    from engine.diffusion import loader
    run(tiny_models["wan_t2v"], tmp_path / "warm")
    key = [k for k in loader.loaded_keys() if k[0] == str(Path(tiny_models["wan_t2v"]).resolve())
           and k[3] == "gpu" and dict(k[2]) == {"default": "float32"}][0]
    transformer = loader._CACHE[key].pipe.transformer

    def boom(*a, **k):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
    monkeypatch.setattr(transformer, "forward", boom)
    with pytest.raises(EngineError) as err:
        run(tiny_models["wan_t2v"], tmp_path / "oom")
    assert err.value.kind is ErrorKind.OUT_OF_MEMORY
    assert "model_offload" in err.value.suggestion and "VAE tiling" in err.value.suggestion


def test_missing_model_and_bad_options(tiny_models, tmp_path):
    with pytest.raises(EngineError) as err:
        run(tmp_path / "no-such-model", tmp_path)
    assert err.value.kind is ErrorKind.MODEL_MISSING
    with pytest.raises(EngineError) as err:
        run("Wan-AI/Not-Downloaded-Here", tmp_path)
    assert err.value.kind is ErrorKind.MODEL_MISSING and "download" in err.value.message
    for bad in ({"memory_mode": "warp_drive"}, {"steps": "many"}, {"shift": -1}, {"native_fps": "fast"},
                {"conform_fps": "smear"}, {"working_size": "big"}):
        with pytest.raises(EngineError) as err:
            run(tiny_models["wan_t2v"], tmp_path, **bad)
        assert err.value.kind is ErrorKind.BAD_INPUT, bad
    with pytest.raises(EngineError) as err:
        run(tiny_models["wan_i2v"], tmp_path, cond=Conditioning(first_frame=str(tmp_path / "gone.png")))
    assert err.value.kind is ErrorKind.BAD_INPUT and "gone.png" in err.value.message


def test_prompt_override_is_used_verbatim_and_stored(tiny_models, tmp_path):
    result, _ = run(tiny_models["wan_t2v"], tmp_path, prompt_override="A red boat at night.")
    meta = json.loads(Path(result.metadata_file).read_text())
    assert meta["prompt"] == "A red boat at night." and meta["prompt_source"] == "override"
    assert "static" in meta["negative_prompt"] or "quality" in meta["negative_prompt"]


def test_ltx2_joint_audio_becomes_the_track_or_a_stem(tiny_models, tmp_path, images):
    result, events = run(tiny_models["ltx2"], tmp_path / "a", fps=24, frames=9, preview_every=1)
    meta = assert_take(result, 9, 32, 32, 24)
    assert any(e.preview for e in events)
    assert meta["task"] == "t2v" and meta["generated_audio_rate"] == 16000
    with wave.open(result.audio) as wav:                 # no cues: the model's own sound is the track
        assert wav.getframerate() == 48000 and wav.getnchannels() == 2
        assert wav.getnframes() == round(9 / 24 * 48000)
        assert np.abs(np.frombuffer(wav.readframes(wav.getnframes()), "<i2")).max() > 0
    rain = AudioCue(kind="ambience", preset="rain")
    mixed, _ = run(tiny_models["ltx2"], tmp_path / "b", fps=24, frames=9, audio=[rain],
                   cond=Conditioning(first_frame=images["grad"]))
    assert json.loads(Path(mixed.metadata_file).read_text())["task"] == "i2v"
    stem = Path(mixed.audio).with_name(Path(mixed.audio).stem + ".stems") / "model.wav"
    assert stem.is_file()                                 # cues: the scratch mix, the model's sound as a stem


def test_runner_queue_goes_on_after_a_diffusion_failure_and_cancels_mid_denoise(tiny_models, tmp_path):
    """Through the real engine.runner worker: a failing job (missing model), a job cancelled while it
    denoises, and a good one, in that order."""
    from engine.jobs import JobStatus as S
    from engine.runner import Runner

    def req(job, model, **opts):
        return GenerationRequest(job_id=job, output_dir=str(tmp_path / job), backend="diffusion", model=str(model),
                                 prompt="a pier", width=32, height=32, frames=9, fps=16,
                                 options={**FAST, **opts})

    class CancelOnFirstStep:
        def on_progress(self, p):
            if p.job_id == "stop" and p.stage == "denoising" and p.current == 1:
                runner.cancel("stop")
    runner = Runner(listeners=[CancelOnFirstStep()])
    try:
        bad = runner.submit(req("bad", tmp_path / "missing-model"))
        stop = runner.submit(req("stop", tiny_models["wan_t2v"], steps=6))
        good = runner.submit(req("good", tiny_models["wan_t2v"]))
        assert runner.wait(good, timeout=240).status is S.DONE
        failed = runner.get(bad)
        assert failed.status is S.FAILED and failed.error.kind is ErrorKind.MODEL_MISSING
        assert runner.get(stop).status is S.CANCELLED
        assert not (tmp_path / "stop").exists() or not any((tmp_path / "stop").iterdir())
        assert probe(runner.get(good).result.video)[0] == 9
    finally:
        runner.shutdown()
