"""Helpers shared by the previs tests: build small requests, render real takes, decode, measure."""
from __future__ import annotations

import hashlib
import math
import os
import subprocess
import sys
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from engine.cues import CameraCue
from engine.jobs import CancelToken, CharacterSpec, GenerationRequest, SceneSpec
from engine.previs.backend import PrevisBackend
from engine.previs.framing import HEAD_RADIUS, box_in_frame, project
from engine.previs.rig import coco_keypoints, skeleton

W, H = 256, 144
MAGENTA = "#e020e0"


def scene(**kw) -> SceneSpec:
    base = dict(heading="EXT. SQUARE - DAY", location="town square", set_seed=7,
                characters=(CharacterSpec("MARA", color=MAGENTA),))
    base.update(kw)
    return SceneSpec(**base)


def request(tmp: Path, job_id: str, camera: CameraCue | None = None, motion=(), frames: int = 12,
            **kw) -> GenerationRequest:
    return GenerationRequest(job_id=job_id, output_dir=str(tmp), width=kw.pop("width", W), height=kw.pop("height", H),
                             frames=frames, fps=kw.pop("fps", 24), camera=camera or CameraCue(),
                             motion=tuple(motion), scene=kw.pop("scene", None) or scene(), seed=kw.pop("seed", 11),
                             **kw)


def render(req: GenerationRequest):
    return PrevisBackend().generate(req, lambda p: None, CancelToken())


def decode(path: str, fmt: str = "rgb24") -> list[np.ndarray]:
    with av.open(path) as container:
        return [f.to_ndarray(format=fmt) for f in container.decode(video=0)]


def frames_hash(frames: list[np.ndarray]) -> str:
    h = hashlib.sha256()
    for f in frames:
        h.update(f.tobytes())
    return h.hexdigest()


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255.0 ** 2 / mse)


def flow(a_rgb: np.ndarray, b_rgb: np.ndarray) -> np.ndarray:
    """Farneback dense optical flow from a to b, (H, W, 2) in pixels."""
    ga = cv2.cvtColor(a_rgb, cv2.COLOR_RGB2GRAY)
    gb = cv2.cvtColor(b_rgb, cv2.COLOR_RGB2GRAY)
    return cv2.calcOpticalFlowFarneback(ga, gb, None, 0.5, 3, 15, 3, 5, 1.2, 0)


def textured(rgb: np.ndarray, threshold: float = 12.0) -> np.ndarray:
    """Pixels with enough local gradient for the flow there to mean something."""
    g = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    mag = cv2.magnitude(cv2.Sobel(g, cv2.CV_32F, 1, 0), cv2.Sobel(g, cv2.CV_32F, 0, 1))
    return cv2.dilate((mag > threshold).astype(np.uint8), np.ones((7, 7), np.uint8)) > 0


def mean_flow(frames: list[np.ndarray], i: int, j: int) -> tuple[float, float, float, np.ndarray]:
    """Median dx, dy over textured pixels, mean divergence (outward flow) and the field itself."""
    f = flow(frames[i], frames[j])
    mask = textured(frames[i])
    dx, dy = float(np.median(f[..., 0][mask])), float(np.median(f[..., 1][mask]))
    h, w = f.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w]
    rx, ry = xs - (w - 1) / 2, ys - (h - 1) / 2
    r = np.hypot(rx, ry) + 1e-6
    radial = (f[..., 0] * rx + f[..., 1] * ry) / r
    outer = mask & (r > min(w, h) * 0.2)
    return dx, dy, float(np.mean(radial[outer])), f


def colour_mask(rgb: np.ndarray, hex_colour: str = MAGENTA, hue_tol: int = 10) -> np.ndarray:
    """Pixels of a figure's shirt colour (hue match, saturated), however it is lit."""
    r, g, b = (int(hex_colour.lstrip("#")[k:k + 2], 16) for k in (0, 2, 4))
    target = cv2.cvtColor(np.uint8([[[r, g, b]]]), cv2.COLOR_RGB2HSV)[0, 0]
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV).astype(np.int32)
    dh = np.abs(hsv[..., 0] - int(target[0]))
    dh = np.minimum(dh, 180 - dh)
    return (dh <= hue_tol) & (hsv[..., 1] > 90) & (hsv[..., 2] > 40)


def blob(rgb: np.ndarray, hex_colour: str = MAGENTA) -> tuple[float, float, int, int]:
    """(centroid x, centroid y, pixel count, top row) of the figure's colour."""
    m = colour_mask(rgb, hex_colour)
    ys, xs = np.nonzero(m)
    if len(xs) == 0:
        return math.nan, math.nan, 0, -1
    return float(xs.mean()), float(ys.mean()), int(len(xs)), int(ys.min())


def subject_in_frame(r, i: int) -> tuple[bool, float, float]:
    """(head box inside the frame, the body's leftmost and rightmost pixel) of frame i's subject,
    from its joints projected through the camera the frame is drawn with."""
    pose = r.camera_pose(i)
    f = next((s for s in r.figure_states(i) if s.name == r.subject_name), r.figure_states(i)[0])
    j = skeleton(f)
    rad = f.height * HEAD_RADIUS
    head = j["head"] + np.array([(x, y, z) for x in (-rad, rad) for y in (-rad, rad) for z in (-rad, rad)])
    body = np.vstack([coco_keypoints(j), [j[k] for k in ("r_hand", "l_hand", "r_toe", "l_toe")], head])
    u = project(pose, body, r.width, r.height)[:, 0]
    return box_in_frame(pose, head, r.width, r.height), float(u.min()), float(u.max())


_IN_PROCESS = """import sys, numpy as np
sys.path[:0] = [{root!r}, {tests!r}]
from pathlib import Path
TMP, OUT = Path({tmp!r}), {out!r}
"""


def software_and_gl(tmp_path: Path, body: str) -> tuple[np.ndarray, np.ndarray]:
    """What `body` (Python that renders under TMP and np.save()s to OUT) saved, run in a fresh process
    on the software renderer and on pandagl (the renderer is chosen once per process). A software
    failure fails the test; a pandagl that cannot start here (no EGL) skips it, saying why."""
    saved = []
    for kind in ("software", "gl"):
        out = tmp_path / f"{kind}.npy"
        code = _IN_PROCESS.format(root=str(Path(__file__).resolve().parents[2]), tests=str(Path(__file__).parent),
                                  tmp=str(tmp_path), out=str(out)) + body
        proc = subprocess.run([sys.executable, "-c", code], env={**os.environ, "SHOTREEL_PREVIS_RENDERER": kind},
                              capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            err = proc.stderr[-600:]
            assert kind == "gl", err
            reason = err.strip().splitlines()[-1] if err.strip() else "no output"
            pytest.skip(f"pandagl (EGL) cannot start in this environment: {reason}")
        saved.append(np.load(out))
    return saved[0], saved[1]
