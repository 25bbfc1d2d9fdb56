"""A small project on disk for the interchange tests: two scenes, five shots, takes with drawn thumbnails.

Pictures are drawn with PIL (distinct colours per shot) so a rendered PDF page or contact sheet can be
checked for real content. Take videos are real 96-frame H.264 files (made once per test run with the
project's ffmpeg and copied), because the playlist treats a take whose file is missing as no take.
"""
from __future__ import annotations

import atexit
import shutil
import subprocess
import tempfile
import wave
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw

from engine.fsio import ffmpeg_path
from engine.cues import AudioCue, CameraCue, MotionCue
from studio.model import BibleEntry, Project, Sequence, Shot, Take, Transition

COLORS = [(200, 60, 50), (40, 120, 200), (60, 170, 90), (220, 170, 40), (150, 70, 170)]


def draw_picture(path: Path, color: tuple[int, int, int], size=(320, 180)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.new("RGB", size, (235, 235, 235))
    d = ImageDraw.Draw(img)
    w, h = size
    d.rectangle([w * 0.1, h * 0.2, w * 0.6, h * 0.9], fill=color)
    d.ellipse([w * 0.65, h * 0.1, w * 0.9, h * 0.55], fill=tuple(c // 2 for c in color))
    img.save(path)
    return path


@lru_cache(maxsize=1)
def _clip() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="interchange-clip-"))
    atexit.register(shutil.rmtree, folder, True)
    out = folder / "clip.mp4"
    subprocess.run([ffmpeg_path(), "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x36:rate=24", "-frames:v", "96",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(out)], check=True)
    return out


def write_wav(path: Path, seconds: float = 4.0, rate: int = 48000) -> Path:
    """A quiet 440 Hz tone: the take's scratch sound."""
    import numpy as np
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * rate)) / rate
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.sin(2 * np.pi * 440 * t) * 3000).astype("<i2").tobytes())
    return path


def make_project(folder: Path, fps=Fraction(24)) -> Project:
    folder.mkdir(parents=True, exist_ok=True)
    maya = BibleEntry(id="bb_maya", kind="character", name="Maya")
    shots = []
    takes = []
    specs = [
        dict(title="Rain street", prompt="Maya walks down the wet street.", camera=CameraCue(move="truck", direction="left"),
             motion=(MotionCue(subject="Maya", action="walks left", screen_direction="left"),),
             audio=(AudioCue(kind="ambience", preset="rain", cue_id="a1"),), notes="Neon reflections in puddles."),
        dict(title="Door", prompt="She stops at a red door.", dialogue="MAYA: Anyone home?",
             audio=(AudioCue(kind="dialogue", text="Anyone home?", character="Maya", start=12, cue_id="d1"),),
             transition=Transition(kind="crossfade", frames=12), camera=CameraCue(move="dolly_in", shot_size="CU")),
        dict(title="Hallway", prompt="Inside, a long dark hallway. Ünïcödé ✓ 東京", board=True,
             notes="Board only, no take yet: 東京 night."),
        dict(title="Kitchen", prompt="Maya opens the fridge.", transition=Transition(kind="dip_to_black", frames=8),
             audio=(AudioCue(kind="sfx", preset="door", start=4, cue_id="s1"),
                    AudioCue(kind="dialogue", text="Nothing. Again.", character="Maya", start=30, cue_id="d2"))),
        dict(title="Window", prompt="She looks out of the window.", missing_take=True),
    ]
    for i, spec in enumerate(specs):
        sid = f"sh_{i + 1}"
        kwargs = {k: v for k, v in spec.items() if k not in ("board", "missing_take")}
        shot = Shot(id=sid, duration=48 + 12 * i, seed=100 + i, bible_refs=("bb_maya",), **kwargs)
        if spec.get("board"):
            draw_picture(folder / f"media/boards/{sid}.png", COLORS[i])
            shot = shot.with_(board_image=f"media/boards/{sid}.png")
        elif spec.get("missing_take"):
            shot = shot.with_(selected_take="tk_gone")
        else:
            tid = f"tk_{i + 1}"
            draw_picture(folder / f"media/thumbnails/{tid}.png", COLORS[i])
            (folder / "media/takes").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(_clip(), folder / f"media/takes/{tid}.mp4")
            files = {"video": f"media/takes/{tid}.mp4", "thumbnail": f"media/thumbnails/{tid}.png"}
            if i != 1:  # shot 2's take has no sound: a gap on the audio track
                files["audio"] = f"media/audio/{tid}.wav"
                write_wav(folder / files["audio"])
            takes.append(Take(id=tid, shot_id=sid, backend="previs", model_id="previs-blocking", seed=100 + i,
                              files=files,
                              frames=96, fps=fps, width=320, height=180, prompt=f"compiled: {spec['prompt']}",
                              source_take_id="tk_1" if i == 1 else "", source_frame=95 if i == 1 else None,
                              created=f"2026-11-22T00:00:0{i}Z"))
            shot = shot.with_(selected_take=tid, trim_in=8 if i else 0, trim_out=8 + shot.duration if i else 0)
        shots.append(shot)
    seqs = [Sequence("sq_1", "EXT. STREET - NIGHT", shots[:2]), Sequence("sq_2", "INT. FLAT - NIGHT", shots[2:])]
    return Project("Night Walk", fps=fps, width=640, height=360, sequences=seqs, bible=[maya], takes=takes)
