"""Previs render + encode against the encoder alone, and memory while streaming a long shot.

Figures (one JSON line each):
  previs_vs_ffmpeg_ratio   wall time of a 10 s 1280x720 24 fps previs take (render + encode of the
                           take and its proxy, stills, metadata) / wall time of a plain ffmpeg encode
                           of the SAME frames: the bench shot is rendered once (untimed) to a raw
                           yuv420p file, exactly the bytes engine.encode pipes, and the very same
                           ffmpeg command (encoder_args, take + proxy) reads that file as its stdin.
                           Floor and previs runs interleave; medians. Target <= 1.5.
  previs_vs_ffmpeg_cpu_ratio  the same comparison in CPU seconds (this process + ffmpeg children):
                           robust when other work loads the machine, where wall times wander.
  previs_vs_testsrc2_ratio the same previs time / the same command fed ffmpeg's testsrc2 (the old
                           floor: a flat test pattern that is cheaper for x264 than the shot's frames).
  previs_vs_take_only_ratio the same previs time / a take-only encode (no proxy) of the same frames.
  previs_realtime_factor   seconds of footage per second of wall time. Target >= 2.
  previs_render_cpu_ms_per_frame  the renderer alone (no encoder), CPU time, for reference.
  previs_with_control_passes_vs_take_ratio  the same take with its depth, mask and pose passes
                           (two more renders and three more encodes per frame) / the take alone.
  previs_control_passes_vs_ffmpeg_ratio     the take with passes / the encode floor.
  previs_peak_rss_60s      peak RSS of a render process (+ its ffmpeg child) making a 60 s take. The
                           studio builds the shot plan and hands the request over, so the render runs
                           in a fresh process given the built request (pickled): what it holds is the
                           engine and the stream, not the bench's plan builder. Target <= 500 MB.
  previs_rss_growth_60s    the same peak minus that process's RSS just before the render (Panda, the
                           set, the stream and ffmpeg); a 10 s take gives about the same (constant memory).

Run: python -m tests.bench.bench_previs
"""
from __future__ import annotations

import contextlib
import json
import os
import pickle
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path

import cv2
import psutil

from engine.cues import CameraCue, MotionCue
from engine.encode import encoder_args
from engine.jobs import CancelToken, CharacterSpec, GenerationRequest, SceneSpec
from engine.previs import make_renderer
from engine.previs.backend import PrevisBackend

W, H, FPS, SECONDS = 1280, 720, 24, 10
FRAMES = FPS * SECONDS


def emit(name: str, value: float, unit: str, target: float | None, ok: bool) -> None:
    print(json.dumps({"bench": name, "value": round(value, 3), "unit": unit, "target": target, "ok": ok}), flush=True)


def shot(out: Path, job_id: str, frames: int, passes: bool = False) -> GenerationRequest:
    """A typical blocking shot: exterior street at dusk, two figures, a dolly in while one crosses; with
    the shot plan the studio sends (dressed figures, a prop, framing by the solver). Control passes off
    (the take alone vs the encode floor); `passes` measures them separately."""
    from studio.shotplan import build_plan
    camera = CameraCue(move="dolly_in", amount=0.5, shot_size="MLS")
    motion = (MotionCue(subject="ANNA", kind="cross", screen_direction="right", intensity=0.5),)
    plan = build_plan("EXT. HARBOUR STREET - DUSK", "Anna in a red coat walks past Ben in a blue jacket. He "
                      "waits by a lamp.", motion=motion, camera=camera)
    return GenerationRequest(
        job_id=job_id, output_dir=str(out), width=W, height=H, frames=frames, fps=FPS, seed=5,
        camera=camera, motion=motion, plan=plan, options={"control_passes": passes},
        scene=SceneSpec(heading="EXT. HARBOUR STREET - DUSK", location="harbour street", set_seed=3,
                        characters=(CharacterSpec("ANNA", color="#c0504d"), CharacterSpec("BEN", color="#4f81bd"))))


def cpu_seconds() -> float:
    """CPU used so far by this process and its waited-for children (the ffmpeg encoders)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of fn()."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    fn()
    return time.perf_counter() - wall, cpu_seconds() - cpu


def render_raw(out: Path) -> Path:
    """The bench shot's frames, rendered once, as the exact bytes VideoWriter pipes to ffmpeg."""
    raw = out / "frames.yuv"
    renderer = make_renderer(shot(out, "raw", FRAMES))
    with open(raw, "wb") as f:
        for img in renderer.iter_frames(FRAMES):
            f.write(memoryview(cv2.cvtColor(img, cv2.COLOR_BGR2YUV_I420)).cast("B"))
    return raw


def floor_seconds(out: Path, proxy: bool, raw: Path | None) -> float:
    """The take's ffmpeg command (encoder_args) fed the same frames from a file on its stdin (raw), or
    fed testsrc2 (raw None)."""
    lavfi = None if raw else ["-f", "lavfi", "-i", f"testsrc2=size={W}x{H}:rate={FPS}:duration={SECONDS}"]
    args = encoder_args(W, H, Fraction(FPS), str(out / "floor.mp4"), str(out / "floor.proxy.mp4") if proxy else None,
                        input_args=lavfi, frames=FRAMES)
    started = time.perf_counter()
    with open(raw if raw else os.devnull, "rb") as stdin:
        subprocess.run(args, check=True, stdin=stdin)
    return time.perf_counter() - started


def previs_seconds(out: Path, job_id: str, frames: int = FRAMES, passes: bool = False) -> float:
    started = time.perf_counter()
    result = PrevisBackend().generate(shot(out, job_id, frames, passes), lambda p: None, CancelToken())
    elapsed = time.perf_counter() - started
    assert result.frames == frames
    return elapsed


_CHILD = """
import pickle, sys, psutil
from engine.jobs import CancelToken
from engine.previs.backend import PrevisBackend
request = pickle.loads(sys.stdin.buffer.read())
print(psutil.Process().memory_info().rss, flush=True)
assert PrevisBackend().generate(request, lambda p: None, CancelToken()).frames == request.frames
"""


def peak_rss_render(request: GenerationRequest) -> tuple[float, float]:
    """Make the take in a fresh process given the built request, sampling the RSS of that process and
    its children (ffmpeg); (peak MB, peak MB minus the process's RSS just before the render)."""
    proc = subprocess.Popen([sys.executable, "-c", _CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    proc.stdin.write(pickle.dumps(request))
    proc.stdin.close()
    me = psutil.Process(proc.pid)
    peak, before = 0, [0]
    reader = threading.Thread(target=lambda: before.__setitem__(0, int(proc.stdout.readline() or 0)), daemon=True)
    reader.start()
    while proc.poll() is None:
        try:
            total = me.memory_info().rss
            for child in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    total += child.memory_info().rss
        except psutil.Error:
            break
        peak = max(peak, total)
        time.sleep(0.05)
    reader.join()
    if proc.wait() != 0:
        raise SystemExit("the 60 s render process failed")
    return peak / 2 ** 20, (peak - before[0]) / 2 ** 20


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-previs-") as tmp:
        out = Path(tmp)
        previs_seconds(out, "warmup", 24)  # imports, first-use costs
        raw = render_raw(out)              # the floor's input: the bench shot's own frames (not timed)
        floors, takes_only, testsrc, runs = [], [], [], []
        for i in range(2):  # interleaved, so a load spike from elsewhere hits both sides
            floors.append(timed(lambda: floor_seconds(out, True, raw)))
            runs.append(timed(lambda: previs_seconds(out, f"take{i}")))
            takes_only.append(timed(lambda: floor_seconds(out, False, raw)))
            testsrc.append(timed(lambda: floor_seconds(out, True, None)))
        raw.unlink()
        floor, take_only, src, previs = (statistics.median(w for w, _ in v) for v in (floors, takes_only, testsrc, runs))
        floor_cpu, previs_cpu = (statistics.median(c for _, c in v) for v in (floors, runs))
        ratio = previs / floor
        emit("previs_vs_ffmpeg_ratio", ratio, "x", 1.5, ratio <= 1.5)
        emit("previs_vs_ffmpeg_cpu_ratio", previs_cpu / floor_cpu, "x", 1.5, previs_cpu / floor_cpu <= 1.5)
        emit("previs_vs_testsrc2_ratio", previs / src, "x", None, True)
        emit("previs_vs_take_only_ratio", previs / take_only, "x", None, True)
        emit("previs_realtime_factor", SECONDS / previs, "x realtime", 2.0, SECONDS / previs >= 2.0)
        emit("ffmpeg_floor_seconds", floor, "s", None, True)
        renderer = make_renderer(shot(out, "render-only", FRAMES))
        started = time.process_time()
        for i in range(0, FRAMES, 4):
            renderer.frame(i)
        per_frame = (time.process_time() - started) / len(range(0, FRAMES, 4)) * 1000
        emit("previs_render_cpu_ms_per_frame", per_frame, "ms", None, True)
        with_passes = statistics.median(previs_seconds(out, f"passes{i}", passes=True) for i in range(2))
        emit("previs_with_control_passes_vs_take_ratio", with_passes / previs, "x", None, True)
        emit("previs_control_passes_vs_ffmpeg_ratio", with_passes / floor, "x", None, True)
        peak, growth = peak_rss_render(shot(out, "long", FPS * 60))
        emit("previs_peak_rss_60s", peak, "MB", 500, peak <= 500)
        emit("previs_rss_growth_60s", growth, "MB", None, True)


if __name__ == "__main__":
    main()
