"""Conform (frame rules, sizes, frame rates) and the prompt compiler: numpy/OpenCV only, no torch."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from engine.cues import CameraCue, MotionCue
from engine.diffusion import conform
from engine.diffusion.prompt import compile_prompt
from engine.diffusion.task import choose_task
from engine.errors import EngineError
from engine.jobs import CharacterSpec, Conditioning, Keyframe, SceneSpec


def test_plan_frames_covers_the_shot_at_the_native_rate():
    plan = conform.plan_frames(48, Fraction(24), Fraction(16), 4)      # 2 s at 24 -> 32 frames at 16
    assert plan.model_frames == 33 and (plan.model_frames - 1) % 4 == 0
    assert plan.positions[0] == 0 and plan.positions[-1] == pytest.approx(47 * 16 / 24)
    assert conform.plan_frames(24, Fraction(24), Fraction(24), 8).model_frames == 25
    same = conform.plan_frames(20, Fraction(24), Fraction(16), 4, conform_fps=False)
    assert same.model_frames == 21 and same.positions[5] == 5
    cont = conform.plan_frames(9, Fraction(16), Fraction(16), 4, skip=4)
    assert cont.model_frames == 13 and cont.skip == 4


def test_plan_size_crops_pads_or_scales():
    exact = conform.plan_size(1280, 720, 16)
    assert (exact.gen_w, exact.gen_h, exact.resize) == (1280, 720, False)
    capped = conform.plan_size(1280, 720, 16, max_area=832 * 480)
    assert capped.resize and capped.gen_w % 16 == 0 and capped.gen_h % 16 == 0
    assert capped.gen_w * capped.gen_h <= 832 * 480 * 1.05
    odd = conform.plan_size(72, 40, 32)                                # 72 -> 64 (pad), 40 -> 32 (pad)
    frame = np.full((32, 64, 3), 200, np.uint8)
    out = conform.to_output(frame, odd)
    assert out.shape == (40, 72, 3) and (out == 200).all()             # edge-replicated padding
    big = conform.plan_size(100, 56, 16)                               # 100 -> 96 (pad), 56 -> 64 (crop)
    frame = np.zeros((64, 96, 3), np.uint8)
    frame[4:60] = 255
    assert (conform.to_output(frame, big) == 255).all()                # the 4-px bands are cropped away
    # a project-size conditioning image lands on the same pixels it came from
    image = np.random.default_rng(0).integers(0, 255, (56, 100, 3), dtype=np.uint8)
    back = conform.to_output(conform.to_model(image, big), big)
    assert np.array_equal(back[:, 2:98], image[:, 2:98])
    assert conform.parse_working_size("832x480") == (832, 480)
    with pytest.raises(EngineError):
        conform.parse_working_size("big")


def _moving_square(n=5, size=64, step=4):
    frames = []
    for i in range(n):
        f = np.zeros((size, size, 3), np.uint8)
        f[20:40, 10 + i * step:30 + i * step] = 255
        frames.append(f)
    return frames


def test_resample_modes():
    frames = _moving_square()
    blend = list(conform.resample(frames, [0.0, 0.5, 1.0], "blend"))
    assert np.array_equal(blend[0], frames[0]) and np.array_equal(blend[2], frames[1])
    assert 120 <= blend[1][30, 11, 0] <= 135                          # half of each neighbour
    drop = list(conform.resample(frames, [0.4, 0.6], "drop"))
    assert np.array_equal(drop[0], frames[0]) and np.array_equal(drop[1], frames[1])
    interp = list(conform.resample(frames, [1.5], "interpolate"))[0]
    truth = np.zeros_like(frames[0])
    truth[20:40, 16:36] = 255                                          # the square half-way
    blend_mid = list(conform.resample(frames, [1.5], "blend"))[0]
    err_interp = np.abs(interp.astype(int) - truth).mean()
    err_blend = np.abs(blend_mid.astype(int) - truth).mean()
    assert err_interp < err_blend                                      # motion, not a cross-fade
    assert len(list(conform.resample(frames, [0, 9.0], "blend"))) == 2  # clamps past the end
    with pytest.raises(EngineError):
        list(conform.resample(frames, [0], "smear"))


def test_choose_task():
    assert choose_task(Conditioning(), 9) == ("t2v", [])
    assert choose_task(Conditioning(first_frame="/a.png"), 9)[0] == "i2v"
    assert choose_task(Conditioning(first_frame="/a.png", last_frame="/b.png"), 9)[0] == "flf2v"
    task, pins = choose_task(Conditioning(keyframes=(Keyframe("/a.png", 4),)), 9)
    assert task == "keyframes" and pins[0].index == 4
    assert choose_task(Conditioning(last_frame="/b.png"), 9)[0] == "keyframes"
    assert choose_task(Conditioning(video="/v.mp4", video_frames=5), 9)[0] == "continue"
    assert choose_task(Conditioning(video="/v.mp4", strength=0.5), 9)[0] == "v2v"
    with pytest.raises(EngineError):
        choose_task(Conditioning(video="/v.mp4"), 9)
    with pytest.raises(EngineError):
        choose_task(Conditioning(keyframes=(Keyframe("/a.png", 12),)), 9)


SCENE = SceneSpec(heading="EXT. HARBOUR - NIGHT", location="wet cobbles and fishing boats", time_of_day="night",
                  style="35mm film grain", characters=(CharacterSpec("Mara", "a woman in a yellow raincoat"),))


def test_prompt_carries_action_camera_motion_and_bible_for_each_family():
    camera = CameraCue(move="pan", direction="left", amount=0.2, lens_mm=85, shot_size="CU", angle="low")
    motion = (MotionCue(subject="Mara", action="walks to the edge", screen_direction="left"),)
    prompts = {f: compile_prompt("Mara waits on the pier", camera, motion, SCENE, f) for f in ("wan", "ltx", "cogvideox")}
    for family, p in prompts.items():
        text = p.prompt.lower()
        for needle in ("mara waits on the pier", "pans to the left", "slowly", "close-up", "low-angle",
                       "85mm", "telephoto", "yellow raincoat", "harbour", "night", "35mm film grain",
                       "toward the left of the frame"):
            assert needle in text, (family, needle)
        assert p.negative_prompt
    # LTX: one chronological paragraph, the action first and the camera after the people and place
    ltx = prompts["ltx"].prompt
    assert ltx.startswith("Mara waits") and ltx.index("pans") > ltx.index("raincoat")
    assert prompts["wan"].prompt.index("pans") < prompts["wan"].prompt.index("raincoat")
    assert "static" in prompts["wan"].negative_prompt                 # a moving shot fights stillness


def test_static_shot_does_not_push_away_from_stillness():
    p = compile_prompt("The room is empty", CameraCue(), (), SceneSpec(), "wan")
    assert "static camera" in p.prompt.lower()
    assert "static" not in p.negative_prompt.split(", ") and "still frame" not in p.negative_prompt
    dolly = compile_prompt("She turns", CameraCue(move="dolly_in", amount=0.9), (), SceneSpec(), "wan")
    assert "dollies in" in dolly.prompt and "quickly" in dolly.prompt
