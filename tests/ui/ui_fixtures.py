"""Fixtures and helpers for the studio window tests (the player tests own conftest.py).

Import the fixtures into a test module with `from tests.ui.ui_fixtures import *  # noqa: F403`.
Documents are real (SQLite in tmp_path); takes are real small files made with PyAV/Pillow.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.cues import AudioCue, CameraCue
from studio.commands import AddShot, Macro
from studio.document import Document
from studio.model import Shot, Take

__all__ = ["studio_env", "doc", "make_doc", "add_take", "write_thumbnail", "app_settings", "grab_variance"]


@pytest.fixture(autouse=False)
def studio_env(tmp_path, monkeypatch):
    """Keep the signing identity and QSettings of the tests out of the user's folders."""
    monkeypatch.setenv("SHOTREEL_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path


def make_doc(folder: Path, shots: int = 5) -> Document:
    doc = Document.create(folder / "t.shotreel", name="Test", fps=24, width=320, height=180)
    seq = doc.project.sequences[0]
    cameras = [CameraCue(), CameraCue("pan", "left", 0.5), CameraCue("dolly_in", "in", 0.3)]
    commands = []
    for i in range(shots):
        audio = ()
        if i % 2 == 1:
            audio = (AudioCue(kind="sfx", preset="door", start=4, cue_id=f"au{i}"),)
        commands.append(AddShot(seq.id, Shot(f"sh{i:03d}", f"Shot title {i}", f"action {i}", duration=24 + i,
                                             camera=cameras[i % 3], audio=audio,
                                             dialogue="Hello." if i == 2 else "")))
    if commands:
        doc.execute(Macro("setup", commands))
    doc.clear_history()
    return doc


@pytest.fixture
def doc(tmp_path, studio_env):
    document = make_doc(tmp_path, 5)
    yield document
    document.close()


def write_thumbnail(path: Path, color=(200, 40, 40), size=(320, 180)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path)


def add_take(doc: Document, shot_id: str, take_id: str, *, parent: str = "", operation: str = "generate",
             color=(200, 40, 40), select: bool = True, frames: int = 24, video: bool = False,
             source_take_id: str = "") -> Take:
    """Record a take with a real thumbnail PNG (and, with video=True, a real 24-frame H.264 proxy)."""
    rel_thumb = f"media/thumbnails/{take_id}.png"
    write_thumbnail(doc.folder / rel_thumb, color)
    files = {"thumbnail": rel_thumb}
    if video:
        rel_video = f"media/takes/{take_id}.mp4"
        _write_video(doc.folder / rel_video, frames, color)
        files["video"] = rel_video
        files["proxy"] = rel_video
    take = Take(take_id, shot_id, "previs", seed=7, files=files, frames=frames, fps=Fraction(24), width=320,
                height=180, parent_take_id=parent, operation=operation, source_take_id=source_take_id,
                created=f"2026-11-22T00:00:{len(doc.project.takes):02d}.000+00:00")
    doc.record_take(take, select=select)
    return take


def _write_video(path: Path, frames: int, color) -> None:
    import av
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        stream.options = {"g": "1", "preset": "ultrafast"}
        for i in range(frames):
            arr = np.zeros((180, 320, 3), np.uint8)
            arr[:] = color
            arr[:, : (i * 320) // max(1, frames)] = 255
            for packet in stream.encode(av.VideoFrame.from_ndarray(arr, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


@pytest.fixture
def app_settings(tmp_path):
    from PySide6.QtCore import QSettings
    return QSettings(str(tmp_path / "studio.ini"), QSettings.Format.IniFormat)


def grab_variance(widget) -> float:
    """Pixel variance of a widget grab: a blank (one-colour) window is ~0."""
    from PySide6.QtGui import QImage
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    width, height = image.width(), image.height()
    data = np.frombuffer(image.constBits(), np.uint8, count=image.bytesPerLine() * height)
    arr = data.reshape(height, image.bytesPerLine())[:, : width * 3].astype(np.float32)
    return float(arr.var())
