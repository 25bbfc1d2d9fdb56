"""Previs render + encode against the encoder alone, and memory while streaming a long shot.

Figures (one JSON line each):
  previs_vs_ffmpeg_ratio   wall time of a 10 s 1280x720 24 fps previs take (render + encode of the
                           take and its proxy, stills, metadata) / wall time of the SAME ffmpeg
                           command fed testsrc2 for the same frame count (the floor, measured in
                           this run, interleaved with the previs runs; medians). Target <= 1.5.
  previs_vs_take_only_ratio the same previs time / a take-only libx264 encode (no proxy) of testsrc2.
  previs_realtime_factor   seconds of footage per second of wall time.
  previs_vs_ffmpeg_cpu_ratio  the same comparison in CPU seconds (this process + ffmpeg children):
                           robust when other work loads the machine, where wall times wander.
  previs_render_cpu_ms_per_frame  the renderer alone (no encoder), CPU time, for reference.
  previs_with_control_passes_vs_take_ratio  the same take with its depth, mask and pose passes
                           (two more renders and three more encodes per frame) / the take alone.
  previs_control_passes_vs_ffmpeg_ratio     the take with passes / the encode floor.
  previs_peak_rss_60s      peak RSS (this process + the ffmpeg child) while making a 60 s take.

Run: python -m tests.bench.bench_previs
"""
from __future__ import annotations

import json
import resource
import statistics
import subprocess
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path

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


def floor_seconds(out: Path, proxy: bool) -> float:
    args = encoder_args(W, H, Fraction(FPS), str(out / "floor.mp4"), str(out / "floor.proxy.mp4") if proxy else None,
                        input_args=["-f", "lavfi", "-i", f"testsrc2=size={W}x{H}:rate={FPS}:duration={SECONDS}"],
                        frames=FRAMES)
    started = time.perf_counter()
    subprocess.run(args, check=True)
    return time.perf_counter() - started


def previs_seconds(out: Path, job_id: str, frames: int = FRAMES, passes: bool = False) -> float:
    started = time.perf_counter()
    result = PrevisBackend().generate(shot(out, job_id, frames, passes), lambda p: None, CancelToken())
    elapsed = time.perf_counter() - started
    assert result.frames == frames
    return elapsed


def peak_rss_during(fn) -> tuple[float, float]:
    """Run fn() while sampling RSS of this process and its children; (peak MB, seconds)."""
    me = psutil.Process()
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            total = me.memory_info().rss
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    pass
            peak[0] = max(peak[0], total)
            done.wait(0.05)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    started = time.perf_counter()
    try:
        fn()
    finally:
        done.set()
        thread.join()
    return peak[0] / 2 ** 20, time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-previs-") as tmp:
        out = Path(tmp)
        previs_seconds(out, "warmup", 24)  # imports, first-use costs
        floors, takes_only, runs = [], [], []
        for i in range(2):  # interleaved, so a load spike from elsewhere hits both sides
            floors.append(timed(lambda: floor_seconds(out, proxy=True)))
            runs.append(timed(lambda: previs_seconds(out, f"take{i}")))
            takes_only.append(timed(lambda: floor_seconds(out, proxy=False)))
        floor, take_only, previs = (statistics.median(w for w, _ in v) for v in (floors, takes_only, runs))
        floor_cpu, previs_cpu = (statistics.median(c for _, c in v) for v in (floors, runs))
        ratio = previs / floor
        emit("previs_vs_ffmpeg_ratio", ratio, "x", 1.5, ratio <= 1.5)
        emit("previs_vs_ffmpeg_cpu_ratio", previs_cpu / floor_cpu, "x", 1.5, previs_cpu / floor_cpu <= 1.5)
        emit("previs_vs_take_only_ratio", previs / take_only, "x", None, True)
        emit("previs_realtime_factor", SECONDS / previs, "x realtime", None, True)
        renderer = make_renderer(shot(out, "render-only", FRAMES))
        started = time.process_time()
        for i in range(0, FRAMES, 4):
            renderer.frame(i)
        per_frame = (time.process_time() - started) / len(range(0, FRAMES, 4)) * 1000
        emit("previs_render_cpu_ms_per_frame", per_frame, "ms", None, True)
        with_passes = statistics.median(previs_seconds(out, f"passes{i}", passes=True) for i in range(2))
        emit("previs_with_control_passes_vs_take_ratio", with_passes / previs, "x", None, True)
        emit("previs_control_passes_vs_ffmpeg_ratio", with_passes / floor, "x", None, True)
        peak, _ = peak_rss_during(lambda: previs_seconds(out, "long", FPS * 60))
        emit("previs_peak_rss_60s", peak, "MB", 500, peak <= 500)


if __name__ == "__main__":
    main()
