"""Control passes beside a previs take (depth, subject mask, OpenPose pose + keypoints JSON) and the
Panda3D stage: software determinism across threads, and the OpenGL path against the software one."""
from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np

from engine.cues import CameraCue
from engine.jobs import CharacterSpec
from engine.previs import make_renderer
from previs_testkit import MAGENTA, decode, psnr, render, request, scene, software_and_gl

GREEN = "#20c040"
W, H = 160, 90


def _two(tmp_path, job="passes", frames=4, **kw):
    # MARA on the mark, BEN beside and 0.6 m behind her (default blocking): BEN is farther away.
    two = scene(characters=(CharacterSpec("MARA", color=MAGENTA), CharacterSpec("BEN", color=GREEN)))
    return request(tmp_path, job, CameraCue(shot_size="WS"), frames=frames, width=W, height=H, scene=two, **kw)


def test_passes_have_the_takes_frames_and_size_and_are_listed(tmp_path):
    result = render(_two(tmp_path))
    meta = json.loads(Path(result.metadata_file).read_text())
    assert set(meta["passes"]) == {"depth", "mask", "pose", "pose_keypoints"}
    for name, entry in meta["passes"].items():
        path = Path(result.passes[name])
        assert path.is_absolute() and path.parent == Path(result.video).parent and path.name == entry["file"]
        assert entry["format"]
    assert Path(result.passes["depth"]).name == "passes.depth.mp4"
    for name in ("depth", "mask", "pose"):
        frames = decode(result.passes[name])
        assert len(frames) == result.frames == 4 and frames[0].shape == (H, W, 3), name
    keypoints = json.loads(Path(result.passes["pose_keypoints"]).read_text())["frames"]
    assert len(keypoints) == 4 and [p["name"] for p in keypoints[0]] == ["MARA", "BEN"]
    assert all(len(p["keypoints"]) == 18 for p in keypoints[0])
    assert meta["passes"]["mask"]["ids"]["MARA"] != meta["passes"]["mask"]["ids"]["BEN"]
    # off when asked
    plain = render(_two(tmp_path / "plain", options={"control_passes": False}))
    assert plain.passes == {} and "passes" not in json.loads(Path(plain.metadata_file).read_text())


def test_depth_orders_near_and_far_and_mask_separates_the_figures(tmp_path):
    r = make_renderer(_two(tmp_path, frames=1))
    p = r.control_passes(0)
    ids = r.pass_ids()
    mask = p["mask"][..., ::-1]                    # BGR -> RGB
    depth = p["depth"]
    regions = {}
    for name in ("MARA", "BEN"):
        m = np.all(mask == np.array(ids[name]), axis=2)
        assert m.sum() > 20, name
        regions[name] = m
    assert not (regions["MARA"] & regions["BEN"]).any()
    near, far = float(np.median(depth[regions["MARA"]])), float(np.median(depth[regions["BEN"]]))
    assert near > far > 0, (near, far)             # near = bright
    ground = depth[-2, W // 2]                     # the floor at the bottom of the frame is nearer still
    assert ground > near
    assert (depth[: H // 3] == 0).any()            # the sky (and anything past 40 m): far
    # the pose drawing lies on the figures (OpenPose limbs drawn over the mask)
    drawn = p["pose"].max(axis=2) > 0
    assert (drawn & (regions["MARA"] | regions["BEN"])).sum() > 0.3 * drawn.sum()


def test_renders_from_any_thread_are_identical(tmp_path):
    # All Panda calls run on the stage's one thread, whoever asks (the engine worker is a thread).
    req = _two(tmp_path, frames=1)
    here = make_renderer(req).frame(0)
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("img", make_renderer(req).frame(0)))
    t.start()
    t.join()
    assert np.array_equal(here, out["img"])


_GL_BODY = """
from engine.cues import CameraCue
from engine.previs import make_renderer
from previs_testkit import request
r = make_renderer(request(TMP, "gl", CameraCue(shot_size="MS"), frames=1, width=320, height=180))
np.save(OUT, r.frame(0))
"""


def test_opengl_path_matches_software_within_psnr(tmp_path):
    a, b = software_and_gl(tmp_path, _GL_BODY)
    assert a.shape == b.shape
    assert psnr(a, b) > 28, psnr(a, b)   # 32.7 dB measured on llvmpipe
