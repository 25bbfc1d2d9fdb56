"""Remix operations on the diffusion backend, planned by studio.remix and run through a real Runner
and GenerationService on tiny random-weight pipelines (CPU). Random weights show no picture, so
these check what the operations ask of the models (the task each one maps to, reaching the
pipeline), lineage, frame counts, that the remix strength and the pinned frames matter, and that a
model which cannot do an operation is refused with the models that can."""
from __future__ import annotations

import json
import queue
from pathlib import Path

import numpy as np
import pytest

from engine.cues import CameraCue
from engine.frames import read_frames
from engine.runner import Runner
from studio import remix
from studio.commands import AddShot
from studio.document import Document
from studio.errors import UserError
from studio.generate import GenerationService
from studio.model import Shot

FAST = {"steps": 2, "max_sequence_length": 32, "conform_fps": "none"}


class _Studio:
    def __init__(self, path: Path, model: Path, fps: int, shots: int = 1, frames: int = 9, board: bool = False,
                 size: int = 64):
        # size > 64: a project larger than the 64 px the models generate at (upscaled, so smooth
        # enough that a re-encode keeps >= 35 dB; random-weight 64 px frames are noise)
        self.doc = Document.create(path, fps=fps, width=size, height=size)
        seq = self.doc.project.sequences[0].id
        board_image = ""
        if board:  # an image-to-video checkpoint needs a first frame: the shot's board drawing
            from PIL import Image
            y, x = np.mgrid[0:64, 0:64]
            target = self.doc.media_dir / "imports" / "board.png"
            Image.fromarray(np.stack([x * 4, y * 4, (x + y) * 2], -1).clip(0, 255).astype(np.uint8)).save(target)
            board_image = self.doc.relpath(target)
        for i in range(shots):
            self.doc.execute(AddShot(seq, Shot.create(title=f"S{i + 1}", prompt="a woman walks to the window",
                                                      duration=frames, seed=3 + i, backend="diffusion",
                                                      model=str(model), camera=CameraCue(move="pan"),
                                                      continuity="none", board_image=board_image)))
        self.events: queue.Queue = queue.Queue()
        self.runner = Runner(listeners=[self])
        self.service = GenerationService(self.doc, self.runner)
        self.service.queue_shots([s.id for _, s in self.doc.project.shots()],
                                 options={**FAST, "working_size": "64x64"} if size != 64 else FAST)
        self.drain()

    def on_finished(self, result) -> None:
        self.events.put(result)

    def drain(self) -> list:
        takes = []
        while not self.service.idle or not self.events.empty():
            result = self.events.get(timeout=120)
            take = self.service.handle_finished(result)
            assert take is not None, result.error
            takes.append(take)
        return takes

    def run(self, requests) -> list:
        remix.submit(self.service, requests)
        return self.drain()

    def take(self, index: int = 0):
        shot = [s for _, s in self.doc.project.shots()][index]
        return self.doc.project.take(shot.selected_take)

    def meta(self, take) -> dict:
        return json.loads(self.doc.abspath(take.files["metadata"]).read_text())

    def frame(self, take, i: int) -> np.ndarray:
        return read_frames(self.doc.abspath(take.files["video"]), [i])[i].astype(np.int16)

    def close(self) -> None:
        self.runner.shutdown()
        self.doc.close()


@pytest.fixture()
def studio(tmp_path, tiny_models):
    made = []

    def make(name: str, fps: int = 16, **kw) -> _Studio:
        s = _Studio(tmp_path / f"{name}-{len(made)}.shotreel", tiny_models[name], fps, **kw)
        made.append(s)
        return s
    yield make
    for s in made:
        s.close()


def _assert_same_frames(s: _Studio, parent, parent_frames, take, take_frames) -> None:
    """The take's frames are the parent's (re-encoded: PSNR >= 35 dB)."""
    a = read_frames(s.doc.abspath(parent.files["video"]), parent_frames)
    b = read_frames(s.doc.abspath(take.files["video"]), take_frames)
    for i, j in zip(parent_frames, take_frames):
        mse = float(np.mean((a[i].astype(np.float64) - b[j].astype(np.float64)) ** 2))
        assert mse == 0 or 10 * np.log10(255.0 ** 2 / mse) >= 35, (i, j, mse)


def test_variations_and_v2v_remix_with_strength_on_wan(studio):
    s = studio("wan_t2v")
    parent = s.take()
    a, b = s.run(remix.plan_variations(s.doc, parent.id, 2))
    assert {a.operation, b.operation} == {"variation"} and a.parent_take_id == parent.id
    assert len({a.seed, b.seed, parent.seed}) == 3
    assert float(np.abs(s.frame(a, 4) - s.frame(b, 4)).mean()) > 0.3
    subtle, = s.run(remix.plan_remix(s.doc, parent.id, "a man runs in the rain", 0.5))
    loose, = s.run(remix.plan_remix(s.doc, parent.id, "a man runs in the rain", 1.0))
    meta = s.meta(subtle)
    assert meta["task"] == "v2v" and subtle.operation == "remix" and subtle.parent_take_id == parent.id
    assert meta["request"]["conditioning"]["strength"] == 0.5 and meta["steps_done"] == 1   # int(2 * 0.5)
    assert s.meta(loose)["steps_done"] == 2
    assert float(np.abs(s.frame(subtle, 4) - s.frame(loose, 4)).mean()) > 0.3, "strength changes the result"


def test_extend_by_continuation_on_vace_and_by_a_frame_on_i2v(studio):
    vace = studio("wan_vace", size=256)
    parent = vace.take()
    cont, = vace.run(remix.plan_extend(vace.doc, parent.id, 8))
    meta = vace.meta(cont)
    # the whole, longer shot: the parent's frames 0..7, then the 9 generated from its last frame on
    assert meta["task"] == "continue" and cont.operation == "extend" and cont.frames == 8 + 9 == parent.frames + 8
    assert meta["splice"]["head_frames"] == 8 and meta["splice"]["generated_frames"] == 9
    _assert_same_frames(vace, parent, range(8), cont, range(8))
    # backward from frame 2: 9 generated frames lead into it, then the parent's frames 3..8
    back, = vace.run(remix.plan_extend(vace.doc, parent.id, 8, "backward", from_frame=2))
    assert vace.meta(back)["task"] == "keyframes" and back.frames == 9 + 6
    _assert_same_frames(vace, parent, range(3, 9), back, range(9, 15))
    # an image-to-video checkpoint cannot continue a clip: it starts from the chosen frame instead
    i2v = studio("wan_i2v", board=True, size=256)
    parent = i2v.take()
    mid, = i2v.run(remix.plan_extend(i2v.doc, parent.id, 8, from_frame=4))
    meta = i2v.meta(mid)
    assert meta["task"] == "i2v" and mid.parent_take_id == parent.id and mid.frames == 4 + 9
    _assert_same_frames(i2v, parent, range(4), mid, range(4))
    pinned = meta["request"]["conditioning"]["first_frame"]
    assert pinned.endswith(".frame4.png") and Path(pinned).is_file()
    last, = i2v.run(remix.plan_extend(i2v.doc, parent.id, 8))
    assert i2v.meta(last)["request"]["conditioning"]["first_frame"] == str(i2v.doc.abspath(parent.files["last_frame"]))


def test_loop_blend_and_backward_extend_pin_frames_on_ltx(studio):
    s = studio("ltx", fps=24, shots=2)
    a, b = s.take(0), s.take(1)
    looped, = s.run(remix.plan_loop(s.doc, a.id, frames=9))
    meta = s.meta(looped)
    cond = meta["request"]["conditioning"]
    assert meta["task"] == "flf2v" and cond["first_frame"] == cond["last_frame"] and looped.frames == 9
    seam = remix.loop_seam(s.doc, looped)
    assert seam.seam_mad < 3 * seam.typical_step + 2, seam   # both ends pinned to one image
    back, = s.run(remix.plan_extend(s.doc, a.id, 8, "backward", from_frame=0))
    # the 9 generated frames lead into the parent's frame 0, then the parent's frames 1..8 follow
    assert s.meta(back)["task"] == "keyframes" and back.frames == 9 + 8
    assert s.meta(back)["splice"]["tail"] == [1, 9]
    # LTX's random-weight frames are white noise, which no re-encode keeps at 35 dB (Wan's are
    # checked for that above): here each spliced frame is the parent's frame, none of the others
    parent = read_frames(s.doc.abspath(a.files["video"]), range(9))
    spliced = read_frames(s.doc.abspath(back.files["video"]), range(9, 17))
    for j, frame in spliced.items():
        errors = [float(np.mean((frame.astype(np.float64) - parent[i]) ** 2)) for i in range(9)]
        assert int(np.argmin(errors)) == j - 8 and min(errors) * 10 < sorted(errors)[1], (j, errors)
    blend, = s.run(remix.plan_blend(s.doc, a.id, b.id, 9))
    meta = s.meta(blend)
    assert meta["task"] == "flf2v" and blend.operation == "blend" and blend.frames == 9
    shots = [sh for _, sh in s.doc.project.shots()]
    assert len(shots) == 3 and shots[1].selected_take == blend.id
    assert meta["request"]["conditioning"]["first_frame"] == str(s.doc.abspath(a.files["last_frame"]))
    assert meta["request"]["conditioning"]["last_frame"].endswith(".to.png"), "B's first frame, extracted"
    assert meta["steps"] == 2, "the blend is rendered with A's options"


def test_models_that_cannot_are_refused_before_queueing(studio):
    s = studio("wan_t2v")
    with pytest.raises(UserError) as err:
        remix.plan_loop(s.doc, s.take().id)
    message = str(err.value)
    assert "cannot do first and last frame" in message and "WanImageToVideoPipeline" in message
    with pytest.raises(UserError) as err:
        remix.plan_extend(s.doc, s.take().id, 8)
    assert "start from an image" in str(err.value)
    assert remix.model_refusal(s.doc, remix.take_request(s.doc, s.take()), "remix") == ""


def test_extend_on_skyreels_uses_its_native_diffusion_forcing_continuation(studio):
    """Extend (the studio's remix) on a SkyReels-V2 diffusion forcing folder continues the clip with the
    model's own V2V extend: the parent's frames, then the new frames generated from its last ones."""
    s = studio("skyreels_df", fps=24)
    parent = s.take()
    cont, = s.run(remix.plan_extend(s.doc, parent.id, 8))
    meta = s.meta(cont)
    assert meta["task"] == "continue" and cont.operation == "extend" and cont.frames == parent.frames + 8
    assert meta["model"]["class_name"] == "SkyReelsV2DiffusionForcingPipeline"
    assert meta["splice"]["head_frames"] == parent.frames - 1 and meta["splice"]["generated_frames"] == 9
