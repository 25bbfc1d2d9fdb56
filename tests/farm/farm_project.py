"""A small project for the farm tests: six shots, the first three a continuity chain, the other
three independent. 160x90, 12 frames a shot (the farm's work, not the renderer's, is under test)."""
from __future__ import annotations

import queue
import shutil
from pathlib import Path

import numpy as np

from engine.cues import AudioCue, CameraCue, MotionCue
from engine.frames import read_frames
from studio.commands import AddBibleEntry, AddShot
from studio.document import Document
from studio.generate import GenerationService
from studio.model import BibleEntry, Shot

FRAMES = 12


def make_project(path: Path, shots: int = 6, frames: int = FRAMES) -> Path:
    doc = Document.create(path, fps=24, width=160, height=90)
    seq_id = doc.project.sequences[0].id
    doc.execute(AddBibleEntry(BibleEntry("c1", "character", "Mara", color="#cc3344", voice="en-us+f2")))
    for i in range(shots):
        doc.execute(AddShot(seq_id, Shot.create(
            title=f"Shot {i + 1}", duration=frames, seed=100 + i,
            camera=CameraCue(move=("dolly_in", "pan", "tilt")[i % 3], amount=0.3),
            motion=(MotionCue(subject="Mara", action="walks", screen_direction="right"),), bible_refs=("c1",),
            audio=(AudioCue(kind="sfx", preset="click", start=2),) if i == 0 else (),
            continuity="previous" if i in (1, 2) else "none")))
    doc.close()
    return path


def copy_project(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


class Events:
    def __init__(self) -> None:
        self.queue: queue.Queue = queue.Queue()
        self.progress: list = []
        self.states: list = []
        self.records: list = []

    def on_finished(self, result) -> None:
        self.queue.put(result)

    def on_progress(self, p) -> None:
        self.progress.append(p)

    def on_engine_state(self, text) -> None:
        self.states.append(text)

    def on_record(self, record) -> None:
        self.records.append(record)


def drain(service: GenerationService, events: Events, timeout: float = 120) -> list:
    results = []
    while not service.idle or not events.queue.empty():
        result = events.queue.get(timeout=timeout)
        service.handle_finished(result)
        results.append(result)
    return results


def shot_frames(doc: Document) -> list[np.ndarray]:
    """Every frame of every shot's selected take, in cut order (decoded: compares pixels, not files)."""
    out = []
    for _, shot in doc.project.shots():
        take = doc.project.take(shot.selected_take)
        video = doc.abspath(take.files["video"])
        frames = read_frames(video, range(take.frames))
        out.append(np.stack([frames[i] for i in range(take.frames)]))
    return out
