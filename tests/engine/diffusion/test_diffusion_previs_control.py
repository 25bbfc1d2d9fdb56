"""Previs-guided generation: a control video (built here as a depth-like pass: a bright square moving over
black, near = bright) reaches Wan VACE with the right frames and size; a different control changes the
take; 'off' is plain generation; the studio takes the control from the shot's previs take."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.errors import EngineError, ErrorKind

from test_diffusion_generate import assert_take, differs, run  # same folder, on sys.path under pytest


def write_pass(path: Path, frames: int = 9, size: int = 32, fps: int = 16, direction: int = 1) -> Path:
    import av
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "0", "preset": "ultrafast"}
        for i in range(frames):
            img = np.zeros((size, size, 3), np.uint8)
            x = 2 + (i * 2 if direction > 0 else (frames - 1 - i) * 2)
            img[8:24, x:x + 10] = 230
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


@pytest.fixture
def spy(monkeypatch):
    import diffusers
    seen: dict = {}
    original = diffusers.WanVACEPipeline.__call__

    def record(self, *args, **kwargs):
        seen.clear()
        seen.update(kwargs)
        return original(self, *args, **kwargs)
    monkeypatch.setattr(diffusers.WanVACEPipeline, "__call__", record)
    return seen


def test_control_video_reaches_vace_with_the_right_frames_and_size(tiny_models, tmp_path, spy):
    depth = write_pass(tmp_path / "take.depth.mp4")
    result, _ = run(tiny_models["wan_vace"], tmp_path / "a", control={"mode": "camera", "video": str(depth)})
    meta = assert_take(result, 9, 32, 32, 16)
    assert meta["follow_previs"]["mode"] == "camera" and meta["follow_previs"]["video"] == str(depth)
    video, mask = spy["video"], spy["mask"]
    assert len(video) == len(mask) == 9 and all(f.size == (32, 32) for f in video)
    frame4 = np.asarray(video[4]).astype(int)
    assert frame4[16, 2 + 8 + 4].min() > 200 and frame4[16, 2].max() < 30     # the square moved 8 px by frame 4
    assert all(np.asarray(m).min() == 255 for m in mask)              # generate everywhere, guided
    other = write_pass(tmp_path / "other.depth.mp4", direction=-1)
    b, _ = run(tiny_models["wan_vace"], tmp_path / "b", control={"mode": "camera", "video": str(other)})
    assert differs(result, b)
    plain, _ = run(tiny_models["wan_vace"], tmp_path / "c", control={"mode": "off", "video": str(depth)})
    assert "video" not in spy and json.loads(Path(plain.metadata_file).read_text())["follow_previs"] is None


def test_camera_and_blocking_draws_the_pose_over_the_depth(tiny_models, tmp_path, spy):
    import av
    depth = write_pass(tmp_path / "t.depth.mp4")
    pose = tmp_path / "t.pose.mp4"
    with av.open(str(pose), "w") as out:            # a static skeleton line at row 28
        s = out.add_stream("libx264", rate=16)
        s.width = s.height = 32
        s.pix_fmt = "yuv420p"
        s.options = {"crf": "0", "preset": "ultrafast"}
        for _ in range(9):
            img = np.zeros((32, 32, 3), np.uint8)
            img[27:30, 4:28] = (255, 0, 0)
            for p in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    run(tiny_models["wan_vace"], tmp_path / "a", control={"mode": "camera_blocking", "video": str(depth),
                                                          "pose": str(pose)})
    frame = np.asarray(spy["video"][0]).astype(int)
    assert frame[28, 16, 0] > 200 and frame[12, 4, 0] > 200           # pose line and depth square both there


def test_models_without_a_control_input_refuse_it(tiny_models, tmp_path):
    depth = write_pass(tmp_path / "d.mp4")
    with pytest.raises(EngineError) as err:
        run(tiny_models["wan_t2v"], tmp_path, control={"mode": "camera", "video": str(depth)})
    assert err.value.kind is ErrorKind.UNSUPPORTED and "VACE" in err.value.suggestion
    with pytest.raises(EngineError) as err:
        run(tiny_models["wan_vace"], tmp_path, control={"mode": "dance", "video": str(depth)})
    assert err.value.kind is ErrorKind.BAD_INPUT


def test_studio_takes_the_control_from_the_shots_previs_take(tmp_path):
    """Contract with the previs passes (issue 12): metadata 'passes': {name: {'file', 'format'}}, files beside
    the take video. Without passes (today's renderer) the previs picture itself is the control."""
    from studio.commands import AddShot
    from studio.document import Document
    from studio.model import Shot, Take
    from studio.prompting import build_request
    doc = Document.create(tmp_path / "p.shotreel", fps=16, width=32, height=32)
    seq = doc.project.sequences[0].id
    shot = Shot.create(title="Pier", prompt="a woman walks", model="/m", generation={"follow_previs": "camera"})
    doc.execute(AddShot(seq, shot))
    from studio.errors import UserError
    with pytest.raises(UserError) as err:
        build_request(doc.project, doc.folder, shot.id, backend="diffusion")
    assert "no previs take" in str(err.value)
    takes = doc.folder / "media" / "takes" / "tk1"
    takes.mkdir(parents=True)
    write_pass(takes / "tk1.mp4")
    (takes / "tk1.json").write_text(json.dumps({"passes": {}}))
    take = Take(id="tk1", shot_id=shot.id, backend="previs", files={"video": "media/takes/tk1/tk1.mp4",
                                                                     "metadata": "media/takes/tk1/tk1.json"})
    doc.record_take(take, select=True)
    req = build_request(doc.project, doc.folder, shot.id, backend="diffusion")
    assert req.options["control"] == {"mode": "camera", "video": str(takes / "tk1.mp4"), "kind": "rgb", "pose": "",
                                      "take_id": "tk1"}
    write_pass(takes / "tk1.depth.mp4")
    write_pass(takes / "tk1.pose.mp4")
    (takes / "tk1.json").write_text(json.dumps({"passes": {
        "depth": {"file": "tk1.depth.mp4", "format": "gray8"}, "pose": {"file": "tk1.pose.mp4", "format": "rgb"}}}))
    from studio.commands import SetShotFields
    doc.execute(SetShotFields(shot.id, generation={"follow_previs": "camera and blocking"}))
    req = build_request(doc.project, doc.folder, shot.id, backend="diffusion")
    assert req.options["control"]["kind"] == "depth" and req.options["control"]["video"].endswith("tk1.depth.mp4")
    assert req.options["control"]["pose"].endswith("tk1.pose.mp4") and "mask" not in req.options["control"]
    write_pass(takes / "tk1.mask.mp4")        # camera only: the figures' mask colours, not the props'
    (takes / "tk1.json").write_text(json.dumps({"passes": {
        "depth": {"file": "tk1.depth.mp4", "format": "gray8"}, "pose": {"file": "tk1.pose.mp4", "format": "rgb"},
        "mask": {"file": "tk1.mask.mp4", "format": "ids",
                 "ids": {"Mara": [255, 0, 0], "prop 0: table": [0, 255, 0]}}}}))
    doc.execute(SetShotFields(shot.id, generation={"follow_previs": "camera"}))
    control = build_request(doc.project, doc.folder, shot.id, backend="diffusion").options["control"]
    assert control["mask"].endswith("tk1.mask.mp4") and control["figures"] == [[255, 0, 0]] and control["pose"] == ""
    doc.close()


def test_ltx2_follows_the_control_in_context_with_an_ic_lora(tiny_models, tmp_path, monkeypatch):
    """LTX-2: the control video becomes LTX2InContextPipeline's reference tokens, read by an IC-LoRA (a
    random one made here with peft); without any LoRA the shot is refused with the reason."""
    import diffusers
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict
    depth = write_pass(tmp_path / "d.mp4")
    with pytest.raises(EngineError) as err:
        run(tiny_models["ltx2"], tmp_path / "no", fps=24, control={"mode": "camera", "video": str(depth)})
    assert err.value.kind is ErrorKind.UNSUPPORTED and "IC-LoRA" in err.value.suggestion
    transformer = diffusers.LTX2VideoTransformer3DModel.from_pretrained(tiny_models["ltx2"], subfolder="transformer")
    transformer.add_adapter(LoraConfig(r=2, lora_alpha=2, init_lora_weights=False,
                                       target_modules=["attn1.to_q", "attn1.to_k", "attn1.to_v"]))
    diffusers.LTX2Pipeline.save_lora_weights(str(tmp_path), transformer_lora_layers=get_peft_model_state_dict(
        transformer), weight_name="ic.safetensors")
    seen = {}
    original = diffusers.LTX2InContextPipeline.__call__

    def spy(self, *a, **k):
        seen.update(k)
        return original(self, *a, **k)
    monkeypatch.setattr(diffusers.LTX2InContextPipeline, "__call__", spy)
    ic = [{"path": str(tmp_path / "ic.safetensors")}]
    result, _ = run(tiny_models["ltx2"], tmp_path / "a", fps=24, loras=ic,
                    control={"mode": "camera", "video": str(depth)})
    assert_take(result, 9, 32, 32, 24)
    reference = seen["reference_conditions"][0].frames
    assert len(reference) == 9 and reference[0].size == (32, 32)
    run(tiny_models["ltx2"], tmp_path / "clean", fps=24)            # adapters unloaded for the other tests


def _frames(path: str) -> np.ndarray:
    import av
    with av.open(path) as c:
        return np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)]).astype(np.int16)


def _write(path: Path, frames: list, fps: int = 16) -> Path:
    import av
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=fps)
        s.height, s.width = frames[0].shape[:2]
        s.pix_fmt = "yuv420p"
        s.options = {"crf": "0", "preset": "ultrafast"}
        for img in frames:
            for p in s.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    return path


def test_camera_takes_the_figures_out_camera_and_blocking_keeps_them(tiny_models, tmp_path, spy):
    """'camera': the set's depth with the figure in-painted away (a prop stays: it is the set);
    'camera and blocking': the full depth with the pose over it. Both reach VACE at 9 frames, 32x32."""
    y, x = np.mgrid[0:32, 0:32]
    ground = np.repeat((40 + x * 3).astype(np.uint8)[..., None], 3, axis=2)      # the set: a depth ramp
    depth, mask, pose = [], [], []
    for i in range(9):
        d, m, p = ground.copy(), np.zeros_like(ground), np.zeros_like(ground)
        x0 = 4 + 2 * i                                                             # the figure walks right
        d[8:20, x0:x0 + 8] = 230
        m[8:20, x0:x0 + 8] = (255, 0, 0)
        d[24:30, 20:28] = 180                                                      # a prop stands still
        m[24:30, 20:28] = (0, 255, 0)
        p[2:4, 4:28] = (0, 0, 255)
        depth.append(d), mask.append(m), pose.append(p)
    files = {n: str(_write(tmp_path / f"t.{n}.mp4", v)) for n, v in (("depth", depth), ("mask", mask), ("pose", pose))}
    cam, _ = run(tiny_models["wan_vace"], tmp_path / "cam", control={
        "mode": "camera", "video": files["depth"], "mask": files["mask"], "figures": [[255, 0, 0]]})
    cam_video = [np.asarray(f).astype(int) for f in spy["video"]]
    blk, _ = run(tiny_models["wan_vace"], tmp_path / "blk", control={
        "mode": "camera_blocking", "video": files["depth"], "pose": files["pose"], "mask": files["mask"]})
    blk_video = [np.asarray(f).astype(int) for f in spy["video"]]
    assert len(cam_video) == len(blk_video) == 9 and all(f.shape == (32, 32, 3) for f in cam_video + blk_video)
    figure = (14, 16)                                   # inside the figure at frame 4 (columns 12..19)
    assert abs(cam_video[4][figure][0] - int(ground[figure][0])) < 25   # in-painted from the ramp around it
    assert blk_video[4][figure][0] > 200                                # still there with its blocking
    assert cam_video[4][27, 24, 0] > 160 and blk_video[4][27, 24, 0] > 160   # the prop is the set: kept
    assert blk_video[4][3, 16, 2] > 170 and cam_video[4][3, 16, 2] < 150     # the pose only with blocking
    # the take changes with it (runs are deterministic: the same control gives exactly the same frames)
    assert np.abs(_frames(cam.video) - _frames(blk.video)).mean() > 0
    meta = json.loads(Path(cam.metadata_file).read_text())["follow_previs"]
    assert meta["mask"] == files["mask"] and meta["figures"] == [[255, 0, 0]]
    # without the figures' colours every masked pixel goes (prop too): nothing of a figure is left
    run(tiny_models["wan_vace"], tmp_path / "all", control={"mode": "camera", "video": files["depth"],
                                                            "mask": files["mask"]})
    frame = np.asarray(spy["video"][4]).astype(int)
    assert abs(frame[figure][0] - int(ground[figure][0])) < 25 and frame[27, 24, 0] < 160


def test_camera_removes_the_figures_of_a_real_previs_take(tmp_path):
    """On the previs renderer's own passes (two figures, their mask colours from the take's metadata):
    'camera' changes the depth only where the figures are, and there it reads as the set behind them."""
    import sys
    from fractions import Fraction
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))       # tests/engine: the previs test kit
    from previs_testkit import MAGENTA, decode, render, request, scene
    from engine.cues import CameraCue
    from engine.diffusion.conform import SizePlan
    from engine.diffusion.control import control_frames, parse_control
    from engine.jobs import CharacterSpec
    two = scene(characters=(CharacterSpec("MARA", color=MAGENTA), CharacterSpec("BEN", color="#20c040")))
    take = render(request(tmp_path, "p", CameraCue(shot_size="WS"), frames=2, width=64, height=36, scene=two))
    ids = json.loads(Path(take.metadata_file).read_text())["passes"]["mask"]["ids"]
    figures = [c for name, c in ids.items() if not name.startswith("prop ")]
    cam = control_frames(parse_control({"mode": "camera", "video": take.passes["depth"], "mask": take.passes["mask"],
                                        "figures": figures}), 2, Fraction(16), SizePlan(64, 36, 64, 36, False))
    depth = decode(take.passes["depth"])[0].astype(int)
    mask = decode(take.passes["mask"])[0].astype(int)
    body = np.zeros(mask.shape[:2], bool)
    for colour in figures:
        body |= np.abs(mask - colour).max(axis=2) < 30
    assert body.sum() > 10
    out = cam[0].astype(int)
    assert np.abs(out - depth)[body].mean() > 20             # the figures are gone from the depth ...
    import cv2
    far = ~cv2.dilate(body.astype(np.uint8), np.ones((11, 11), np.uint8)).astype(bool)
    assert far.sum() > body.sum() * 10
    assert np.abs(out - depth)[far].max() <= 1                # ... and nothing else changed
