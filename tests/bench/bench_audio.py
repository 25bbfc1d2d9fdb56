"""Scratch-audio synthesis speed: a 10 s shot with two dialogue lines, ambience, music and 3 SFX,
rendered to its 48 kHz master with stems. Floor, measured in the same run: ffmpeg synthesizing 10 s of
stereo noise into a 24-bit WAV (the cost of just producing and writing that much audio with a native
tool). Also the peak RSS of a 60 s shot's audio (fresh process: the previs target for a whole 60 s
render is 500 MB), and the cut mix: a 10-minute cut streamed from 60 takes, its time and peak Python
allocations.

    python -m tests.bench.bench_audio
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

SHOT_S = 10.0


def _emit(name: str, value: float, unit: str, target: float, ok: bool) -> None:
    print(json.dumps({"bench": name, "value": round(value, 4), "unit": unit, "target": target, "ok": bool(ok)}),
          flush=True)


def _cues():
    from engine.cues import AudioCue
    return [
        AudioCue(kind="ambience", preset="rain"),
        AudioCue(kind="music", preset="tense", gain_db=-4),
        AudioCue(kind="dialogue", text="We can't stay here. The water is still rising.", character="Mara", start=24),
        AudioCue(kind="dialogue", text="Then we go up. Now.", character="Tom", start=150),
        AudioCue(kind="sfx", preset="door", start=12),
        AudioCue(kind="sfx", preset="footsteps", start=96, duration=48),
        AudioCue(kind="sfx", preset="impact", start=200),
    ]


def _cpu() -> float:
    """CPU seconds of this process and its finished children (espeak-ng, ffmpeg)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _best(fn, repeats: int = 3) -> tuple[float, float]:
    """(best CPU seconds, best wall seconds) over repeats."""
    cpu, wall = [], []
    for _ in range(repeats):
        c0, w0 = _cpu(), time.perf_counter()
        fn()
        cpu.append(_cpu() - c0)
        wall.append(time.perf_counter() - w0)
    return min(cpu), min(wall)


_RSS_CHILD = """
import resource, sys
from engine.audio import render_shot_audio
from tests.bench.bench_audio import _cues
render_shot_audio(_cues(), 24 * 60, 24, sys.argv[1], stems_dir=sys.argv[2])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def main() -> None:
    from engine.audio import render_shot_audio, write_wav
    from engine.fsio import ffmpeg_path
    from studio.audio import CutAudioSegment, mix_cut

    with tempfile.TemporaryDirectory(prefix="shotreel-bench-audio-") as tmp:
        folder = Path(tmp)
        cues = _cues()
        render_shot_audio(cues, 240, 24, folder / "warm.wav")  # warm caches and imports

        cpu, wall = _best(lambda: render_shot_audio(cues, 240, 24, folder / "shot.wav",
                                                    stems_dir=folder / "stems", seed=7))
        floor_cpu, floor_wall = _best(lambda: subprocess.run(
            [ffmpeg_path(), "-v", "error", "-y", "-f", "lavfi", "-i",
             f"anoisesrc=d={SHOT_S}:r=48000:c=pink,aformat=channel_layouts=stereo", "-c:a", "pcm_s24le",
             str(folder / "floor.wav")], check=True))
        _emit("audio_shot_realtime_factor_cpu", SHOT_S / cpu, "x (audio s per CPU s)", 5.0, SHOT_S / cpu >= 5.0)
        _emit("audio_shot_realtime_factor_wall", SHOT_S / wall, "x (audio s per wall s)", 5.0, SHOT_S / wall >= 5.0)
        _emit("audio_shot_vs_ffmpeg_noise_wav", wall / floor_wall, "ratio", 40.0, wall / floor_wall <= 40.0)

        rss = float(subprocess.run([sys.executable, "-c", _RSS_CHILD, str(folder / "long.wav"), str(folder / "ls")],
                                   check=True, capture_output=True, text=True,
                                   cwd=Path(__file__).resolve().parents[2]).stdout.split()[-1])
        _emit("audio_60s_shot_peak_rss", rss, "MB", 300.0, rss <= 300.0)

        import numpy as np
        write_wav(folder / "take.wav", np.random.default_rng(0).uniform(-0.2, 0.2, (int(SHOT_S * 48000), 2)))
        segments = [CutAudioSegment(str(folder / "take.wav"), 0, 240, 228 * k, fade_in=12 if k else 0,
                                    fade_out=12) for k in range(60)]
        tracemalloc.start()
        w0 = time.perf_counter()
        result = mix_cut(segments, 24, folder / "cut.wav")
        cut_wall = time.perf_counter() - w0
        peak = tracemalloc.get_traced_memory()[1] / 2 ** 20
        tracemalloc.stop()
        cut_s = result.samples / 48000
        _emit("audio_cut_mix_realtime_factor", cut_s / cut_wall, "x (10 min cut, wall)", 20.0, cut_s / cut_wall >= 20)
        _emit("audio_cut_mix_peak_alloc", peak, "MB", 32.0, peak <= 32.0)


if __name__ == "__main__":
    main()
