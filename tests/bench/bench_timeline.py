"""Timeline benchmark: a 1,000-shot cut repaints within a frame (16 ms) at working zoom and zoomed out.

Figures (one JSON line each):
- timeline_repaint_p95_ms: a full repaint of the timeline (ruler, shots, four audio lanes, playhead) at
  1600x300 and 4 px/frame, scrolled to 40 positions through the cut. Target 16 ms.
- timeline_repaint_fit_p95_ms: the same with the whole cut in view (every shot and cue on screen as a
  sliver). Target 16 ms.
- timeline_playhead_repaint_p95_ms: a repaint when only the playhead moved (playback), zoomed out: the
  rest of the picture is cached, so this is one blit and a line. Target 16 ms (a frame of playback).
- timeline_repaint_vs_fill: the working-zoom p95 over the floor, a widget of the same size that only
  fills its background, repainted right after each timeline repaint (same machine load). Target 20x.
- timeline_repaint_fit_vs_fill: the same ratio with the whole cut in view. Target 20x.
- timeline_cue_edit_ms: median time from a sound cue moved on the timeline (SetAudioCue executed on the
  document, SQLite write included) to the timeline showing it: no clip moves, so only that shot's cues
  are re-placed. Target 50 ms.
- timeline_relayout_vs_edit_list: a full relayout after a shot's length changed (the edit list of the
  1,000-shot cut rebuilt and every cue placed) over `studio.playlist.build_edit_list` alone, the floor
  measured in this run. Target 3x.
- timeline_thumbs_repaint_p95_ms / timeline_thumbs_repaint_cpu_p95_ms: every shot has a take with its own
  thumbnail (1,000 PNGs); a full repaint at 4 px/frame once the visible thumbnails (and the waveforms of
  the visible sounds) have loaded, wall clock and GUI-thread CPU (`time.thread_time`). Target 16 ms.
- timeline_thumbs_loading_cpu_p95_ms: GUI-thread CPU of a repaint at a position whose pictures are not
  loaded yet (the paint only asks; decoding runs on the loader's pool thread). Target 16 ms.
- timeline_filmstrip_repaint_cpu_p95_ms: GUI-thread CPU of a repaint zoomed in to 40 px/frame, where each
  clip is a filmstrip of its take's frames (PyAV decodes them off the GUI thread). Target 16 ms.
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


def _emit(name: str, value: float, unit: str, target: float, ok: bool) -> None:
    print(json.dumps({"bench": name, "value": round(value, 3), "unit": unit, "target": target, "ok": ok}),
          flush=True)


def _repaint_times(widget, positions: int, scroll_to, change=lambda: None, floor=None,
                   floor_times: list[float] | None = None) -> list[float]:
    """Repaint at `positions` places; `change` runs before each timed repaint (the canvas caches its
    picture, so a full paint is timed after invalidating it, a playhead repaint after moving it). With a
    `floor` widget, its repaint is timed right after each one (same machine load) into `floor_times`."""
    times = []
    for i in range(positions):
        scroll_to(i / max(1, positions - 1))
        widget.repaint()  # settle at this position
        change()
        start = time.perf_counter()
        widget.repaint()
        times.append((time.perf_counter() - start) * 1000)
        if floor is not None:
            start = time.perf_counter()
            floor.repaint()
            floor_times.append((time.perf_counter() - start) * 1000)
    return times


def _settle(panel, widget) -> None:
    """Paint, let the pool threads deliver what the paint asked for, repeat (bounded)."""
    from PySide6.QtCore import QEventLoop, QTimer
    for _ in range(4):
        widget.repaint()
        deadline = time.monotonic() + 20
        while panel.media.busy and time.monotonic() < deadline:
            loop = QEventLoop()  # a real event loop: QTest.qWait would hold the GIL from the pool threads
            QTimer.singleShot(5, loop.quit)
            loop.exec()
        if not panel.media.busy:
            widget.repaint()
            return


def _thumb_times(panel, positions: int, settle: bool) -> tuple[list[float], list[float]]:
    """(wall ms, GUI-thread CPU ms) of full repaints at `positions` scroll places."""
    canvas = panel.canvas
    wall, cpu = [], []
    for i in range(positions):
        canvas.set_scroll(i / max(1, positions - 1) * canvas.max_scroll())
        if settle:
            _settle(panel, canvas)
        canvas.invalidate()
        start, start_cpu = time.perf_counter(), time.thread_time()
        canvas.repaint()
        cpu.append((time.thread_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start) * 1000)
    return wall, cpu


def _add_takes(doc, tmp: Path) -> None:
    """A take with its own thumbnail for every shot, and a short shared video for the filmstrip."""
    from fractions import Fraction

    import av
    import numpy as np
    from PIL import Image

    from studio.model import Take
    thumbs = doc.folder / "media" / "thumbnails"
    thumbs.mkdir(parents=True, exist_ok=True)
    video = doc.folder / "media" / "takes" / "bench.mp4"
    video.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(video), "w") as box:
        stream = box.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        stream.options = {"g": "1"}  # all-intra, like the takes' proxies
        for i in range(96):
            frame = np.full((180, 320, 3), (i * 2) % 255, np.uint8)
            box.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        box.mux(stream.encode(None))
    for n, (_, shot) in enumerate(list(doc.project.shots())):
        rel = f"media/thumbnails/{shot.id}.png"
        Image.new("RGB", (320, 180), (n % 255, 90, 160)).save(doc.folder / rel)
        take = Take(f"tk{shot.id}", shot.id, "previs", seed=1,
                    files={"thumbnail": rel, "video": "media/takes/bench.mp4", "proxy": "media/takes/bench.mp4"},
                    frames=96, fps=Fraction(24), width=320, height=180)
        doc.record_take(take, select=True)


def main() -> None:
    from PySide6.QtGui import QPainter
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QWidget

    from engine.cues import AudioCue
    from studio.commands import AddShot, Macro, SetAudioCue, SetShotFields
    from studio.document import Document
    from studio.model import Shot, Transition
    from studio.playlist import build_edit_list
    from ui import theme
    from ui.selection import ShotSelection
    from ui.timeline import TimelinePanel, build_layout

    class Fill(QWidget):
        def paintEvent(self, event) -> None:
            p = QPainter(self)
            p.fillRect(self.rect(), theme.BASE)
            p.end()

    app = QApplication.instance() or QApplication(sys.argv[:1])
    theme.apply_theme(app)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SHOTREEL_CONFIG_DIR"] = str(Path(tmp) / "config")
        doc = Document.create(Path(tmp) / "bench.shotreel", name="Bench")
        seq = doc.project.sequences[0].id
        commands = []
        for i in range(1000):
            audio = [AudioCue(kind="ambience", preset="rain", gain_db=-8, cue_id=f"r{i}")]
            if i % 2 == 0:
                audio.append(AudioCue(kind="sfx", preset="door", start=6, cue_id=f"s{i}"))
            if i % 3 == 0:
                audio.append(AudioCue(kind="dialogue", text="We should not be here tonight.", start=10,
                                      character="Mara", cue_id=f"d{i}"))
            if i % 5 == 0:
                audio.append(AudioCue(kind="music", preset="tense", start=0, cue_id=f"m{i}"))
            commands.append(AddShot(seq, Shot(f"s{i:04d}", f"Shot number {i} on the quay", "Rain.",
                                              duration=36 + i % 60, audio=tuple(audio),
                                              transition=Transition("crossfade", 6) if i % 7 == 3 else Transition())))
        doc.execute(Macro("bench", commands))
        doc.clear_history()
        _add_takes(doc, Path(tmp))

        selection = ShotSelection()
        panel = TimelinePanel(doc, selection)
        panel.resize(1600, 300)
        panel.show()
        QTest.qWaitForWindowExposed(panel)
        selection.set(["s0500"])
        canvas = panel.canvas
        canvas.set_seam_flags({f"s{i:04d}": "jump" for i in range(0, 1000, 25)})

        fill = Fill()
        fill.resize(canvas.size())
        fill.show()
        QTest.qWaitForWindowExposed(fill)
        floor: list[float] = []
        canvas.set_zoom(4.0, anchor_x=0)
        work = _repaint_times(canvas, 60, lambda t: canvas.set_scroll(t * canvas.max_scroll()), canvas.invalidate,
                              fill, floor)
        work_p95 = _p95(work)
        floor_p95 = max(0.01, _p95(floor))
        canvas.fit()
        fit_floor: list[float] = []
        fit_p95 = _p95(_repaint_times(canvas, 60, lambda t: canvas.set_playhead(int(t * 60000)), canvas.invalidate,
                                      fill, fit_floor))
        fit_floor_p95 = max(0.01, _p95(fit_floor))
        playhead_p95 = _p95(_repaint_times(canvas, 60, lambda t: canvas.set_playhead(int(t * 60000)),
                                           lambda: canvas.set_playhead(canvas.playhead + 1)))

        canvas.set_zoom(4.0, anchor_x=0)
        loading_wall, loading_cpu = _thumb_times(panel, 30, settle=False)
        thumbs_wall, thumbs_cpu = _thumb_times(panel, 30, settle=True)
        canvas.set_zoom(40.0, anchor_x=0)
        _strip_wall, strip_cpu = _thumb_times(panel, 12, settle=True)
        canvas.set_zoom(4.0, anchor_x=0)
        loaded = sum(1 for _ in panel.media.thumbs._cache)

        cue_edits = []
        for i in range(15):
            shot_id = f"s{i * 60:04d}"
            cue = doc.project.shot(shot_id).audio_cue(f"s{i * 60}" if (i * 60) % 2 == 0 else f"r{i * 60}")
            start = time.perf_counter()
            panel.execute(SetAudioCue(shot_id, cue.with_(start=cue.start + 3)))
            cue_edits.append((time.perf_counter() - start) * 1000)
            assert panel.layout_data.cue(shot_id, cue.cue_id).cue.start == cue.start + 3
        cue_edit_ms = statistics.median(cue_edits)

        relayouts, floors = [], []
        for i in range(9):
            doc.execute(SetShotFields(f"s{i * 60:04d}", duration=50 + i))
            start = time.perf_counter()
            build_edit_list(doc.project, folder=doc.folder)
            floors.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            panel.canvas.set_layout(build_layout(doc.project, doc.folder))
            relayouts.append((time.perf_counter() - start) * 1000)
        relayout_ratio = statistics.median(relayouts) / max(0.01, statistics.median(floors))
        assert panel.layout_data.clip_of("s0480").shot.duration == 58  # (its clip plays the 96-frame take)
        panel.detach()
        panel.close()
        fill.close()
        doc.close()

    _emit("timeline_repaint_p95_ms", work_p95, "ms", 16, work_p95 <= 16)
    _emit("timeline_repaint_fit_p95_ms", fit_p95, "ms", 16, fit_p95 <= 16)
    _emit("timeline_playhead_repaint_p95_ms", playhead_p95, "ms", 16, playhead_p95 <= 16)
    _emit("timeline_repaint_vs_fill", work_p95 / floor_p95, "x", 20, work_p95 / floor_p95 <= 20)
    _emit("timeline_repaint_fit_vs_fill", fit_p95 / fit_floor_p95, "x", 20, fit_p95 / fit_floor_p95 <= 20)
    _emit("timeline_cue_edit_ms", cue_edit_ms, "ms", 50, cue_edit_ms <= 50)
    _emit("timeline_relayout_vs_edit_list", relayout_ratio, "x", 3, relayout_ratio <= 3)
    for name, values in (("timeline_thumbs_repaint_p95_ms", thumbs_wall), ("timeline_thumbs_repaint_cpu_p95_ms",
                                                                            thumbs_cpu),
                         ("timeline_thumbs_loading_cpu_p95_ms", loading_cpu),
                         ("timeline_filmstrip_repaint_cpu_p95_ms", strip_cpu)):
        _emit(name, _p95(values), "ms", 16, _p95(values) <= 16)
    print(json.dumps({"bench": "timeline_pictures_loaded", "value": loaded, "unit": "images"}), flush=True)


if __name__ == "__main__":
    main()
