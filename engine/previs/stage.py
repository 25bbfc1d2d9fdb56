"""The one Panda3D offscreen renderer of the process (kept library: panda3d, BSD).

Panda3D is not thread-safe across threads that touch the same scene graph, and the engine renders
on its worker thread while tests render on the main thread. So every Panda call in the process runs
on ONE dedicated thread (`call(fn)` hands work to it and waits); the pipe, the graphics engine and
one offscreen buffer per frame size are created there once and reused by every take.

Renderer kinds (`SHOTREEL_PREVIS_RENDERER`):
  software  p3tinydisplay: CPU only, no display, no GPU, deterministic (hash-identical frames across
            renders and processes). The default.
  gl        pandagl through p3headlessgl (EGL): the GPU when the machine has one. Matches the
            software path within a PSNR tolerance (tests/engine/test_previs_stage.py), not bit-exact.
  auto      gl when an NVIDIA device is present and it starts, else software.

Camera: `CameraPose` (engine/previs/camera.py) stays the single camera model. World metres, Y up,
Z forward map to Panda's Z-up frame as (x, y, z) -> (x, z, y); the lens is a pinhole with the
film size in pixels and the focal length in pixels (f_px = lens_mm / 36 * width), principal point
at the centre, near plane camera.NEAR_M, so a world point lands on the same pixel as
`CameraPose.world_to_camera` + the pinhole projection says.

Frames come back from RAM rows bottom-up (OpenGL order) of an image rendered upside down (see
camera_matrix), i.e. top-down: BGR uint8 with no flip.
"""
from __future__ import annotations

import os
import queue
import threading
from concurrent.futures import Future
from typing import Any, Callable, Optional

import cv2
import numpy as np

from ..errors import EngineError, ErrorKind
from .camera import NEAR_M, CameraPose

FAR_M = 2000.0
MAX_BUFFERS = 4

_thread: Optional[threading.Thread] = None
_jobs: "queue.Queue[tuple[Callable, tuple, Future]]" = queue.Queue()
_lock = threading.Lock()
_stage: Optional["_Stage"] = None


def _loop() -> None:
    while True:
        fn, args, fut = _jobs.get()
        if not fut.set_running_or_notify_cancel():
            continue
        try:
            fut.set_result(fn(*args))
        except BaseException as exc:  # handed to the caller's thread
            fut.set_exception(exc)


def submit(fn: Callable[..., Any], *args) -> Future:
    """Queue fn(*args) on the Panda thread; its Future (jobs run in the order submitted)."""
    global _thread
    with _lock:
        if _thread is None:
            _thread = threading.Thread(target=_loop, name="panda3d", daemon=True)
            _thread.start()
    fut: Future = Future()
    _jobs.put((fn, args, fut))
    return fut


def call(fn: Callable[..., Any], *args) -> Any:
    """Run fn(*args) on the Panda thread and return its result (re-raising its exception)."""
    if threading.current_thread() is _thread:
        return fn(*args)
    return submit(fn, *args).result()


def renderer_kind() -> str:
    """'software' or 'gl', from SHOTREEL_PREVIS_RENDERER (default software)."""
    want = os.environ.get("SHOTREEL_PREVIS_RENDERER", "software").strip().lower() or "software"
    if want not in ("software", "gl", "auto"):
        raise EngineError(ErrorKind.BAD_INPUT, f"SHOTREEL_PREVIS_RENDERER={want!r} is not software, gl or auto")
    if want == "auto":
        return "gl" if os.path.exists("/dev/nvidia0") else "software"
    return want


class _Target:
    """One offscreen buffer of a size: colour copied to RAM after every render."""

    def __init__(self, stage: "_Stage", width: int, height: int):
        from panda3d.core import FrameBufferProperties, GraphicsOutput, GraphicsPipe, Texture, WindowProperties
        fb = FrameBufferProperties()
        fb.setRgbColor(True)
        fb.setRgbaBits(8, 8, 8, 0)
        fb.setDepthBits(24)
        flags = GraphicsPipe.BF_refuse_window
        self.buffer = stage.engine.makeOutput(stage.pipe, f"previs-{width}x{height}", 0, fb,
                                              WindowProperties.size(width, height), flags, None, None)
        if self.buffer is None:
            raise EngineError(ErrorKind.BUG, f"Panda3D ({stage.kind}) could not open a {width}x{height} buffer")
        self.texture = Texture("colour")
        self.buffer.addRenderTexture(self.texture, GraphicsOutput.RTMCopyRam, GraphicsOutput.RTPColor)
        # Colour and depth cleared before every frame: nothing of the previous take may show through.
        self.buffer.setClearColorActive(True)
        self.buffer.setClearDepthActive(True)
        self.buffer.setClearDepth(1.0)
        self.region = self.buffer.makeDisplayRegion()
        self.width, self.height = width, height
        self.buffer.setActive(False)


class _Stage:
    def __init__(self, kind: str):
        from panda3d.core import GraphicsEngine, GraphicsPipeSelection, loadPrcFileData
        module = "p3tinydisplay" if kind == "software" else "p3headlessgl"
        loadPrcFileData("shotreel-previs", "\n".join([
            f"load-display {module}", "window-type none", "audio-library-name null",
            "notify-level error", "default-directnotify-level error", "sync-video false",
            "model-cache-dir", "framebuffer-multisample false"]))
        self.kind = kind
        self.pipe = GraphicsPipeSelection.getGlobalPtr().makeModulePipe(module)
        if self.pipe is None:
            raise EngineError(ErrorKind.BUG, f"the Panda3D {module} renderer cannot start here")
        self.engine = GraphicsEngine.getGlobalPtr()
        self.targets: dict[tuple[int, int], _Target] = {}

    def target(self, width: int, height: int) -> _Target:
        key = (width, height)
        hit = self.targets.pop(key, None)
        if hit is None:
            if len(self.targets) >= MAX_BUFFERS:  # the least recently used size goes
                old_key = next(iter(self.targets))
                old = self.targets.pop(old_key)
                self.engine.removeWindow(old.buffer)
            hit = _Target(self, width, height)
        self.targets[key] = hit
        return hit


def stage() -> _Stage:
    """The process's stage (created on first use, on the Panda thread)."""
    def make():
        global _stage
        if _stage is None:
            _stage = _Stage(renderer_kind())
        return _stage
    return call(make)


# -- camera ------------------------------------------------------------------------------------

def to_panda(v) -> tuple[float, float, float]:
    """Engine world (x right, y up, z forward) -> Panda (x right, y forward, z up)."""
    return float(v[0]), float(v[2]), float(v[1])


def camera_matrix(pose: CameraPose):
    """The Panda camera transform of a pose (rows: right, forward, up, position; Panda row vectors).

    The up row is negated: the image is rendered upside down, so the bottom-up rows OpenGL hands
    back are the picture top-down, with no flip copy per frame. The mirror reverses every
    triangle's winding on screen, so the scene culls with CullFaceAttrib reversed (MIRRORED)."""
    from panda3d.core import LMatrix4f
    right, up, fwd = pose.basis()
    r, f, u, p = to_panda(right), to_panda(fwd), to_panda(-up), to_panda(pose.position)
    return LMatrix4f(r[0], r[1], r[2], 0, f[0], f[1], f[2], 0, u[0], u[1], u[2], 0, p[0], p[1], p[2], 1)


def mirrored(root) -> None:
    """Cull the faces the mirrored camera (camera_matrix) sees as back faces: the front ones stay."""
    from panda3d.core import CullFaceAttrib
    root.setAttrib(CullFaceAttrib.makeReverse())


def set_lens(lens, pose: CameraPose, width: int, height: int, far: float = FAR_M) -> None:
    """Pinhole intrinsics of the engine: film = the image in pixels, focal length in pixels."""
    lens.setFilmSize(float(width), float(height))
    lens.setFocalLength(pose.focal_px(width))
    lens.setNearFar(NEAR_M, far)


def render_to_array(target: _Target, camera_np, clear_colour=(0, 0, 0)) -> np.ndarray:
    """Render the scene seen by `camera_np` into the target; BGR uint8, rows top-down."""
    st = _stage
    assert st is not None
    target.region.setCamera(camera_np)
    target.buffer.setClearColor((clear_colour[0], clear_colour[1], clear_colour[2], 1.0))
    target.buffer.setActive(True)
    try:
        st.engine.renderFrame()
    finally:
        target.buffer.setActive(False)
    _collect_states()
    data = target.texture.getRamImage()   # BGRA (or BGR), rows already top-down (camera_matrix)
    raw = np.frombuffer(memoryview(data), np.uint8)
    channels = raw.size // (target.height * target.width)
    img = raw.reshape(target.height, target.width, channels)
    if channels == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    return img.copy()


def _collect_states() -> None:
    """Free the transform / render states no node uses any more. Panda caches every state it made
    (each posed limb's matrix is a new TransformState) until garbage_collect() runs; ShowBase calls it
    every frame from a task, a bare GraphicsEngine never does: ~120 states and ~60 KB a frame
    accumulated, +70 MB over a 60 s 720p take (bench_previs)."""
    from panda3d.core import RenderState, TransformState
    TransformState.garbageCollect()
    RenderState.garbageCollect()


def release(obj: Any) -> None:
    """Drop the last reference to Panda objects on the Panda thread (a renderer's __del__ may run on
    any thread; freeing a scene graph there could race the thread that renders)."""
    if _thread is None:
        return
    fut: Future = Future()
    holder = [obj]
    _jobs.put((lambda: holder.clear(), (), fut))
