"""`WaveformWidget`: the min/max waveform of one audio cue, rendered off the GUI thread (shared by the
inspector and the timeline, so neither imports the other).

The cue's sound is synthesized with `engine.audio.render_shot_audio` (the same code that makes a take's
scratch audio: espeak-ng voices, presets, imported files) into a temporary WAV on a private
`QThreadPool` thread, reduced to min/max peaks there, and handed to the GUI thread through a queued
signal. Results are cached by the cue's values; a result for a cue that is no longer shown is kept in the
cache but not displayed.
"""
from __future__ import annotations

import json
import tempfile
import threading
from collections import OrderedDict
from fractions import Fraction
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from engine.cues import AudioCue
from engine.errors import JobCancelled
from engine.jobs import CancelToken

from . import theme

BINS = 600
_CACHE = 64


def peaks_of(samples: np.ndarray, bins: int = BINS) -> np.ndarray:
    """(bins, 2) array of min/max of the mono mix per bin (empty input -> zeros)."""
    mono = samples.mean(axis=1) if samples.ndim == 2 else samples
    if mono.size == 0:
        return np.zeros((bins, 2), np.float32)
    edges = np.linspace(0, mono.size, bins + 1).astype(np.int64)
    out = np.zeros((bins, 2), np.float32)
    for i in range(bins):
        lo, hi = edges[i], max(edges[i] + 1, edges[i + 1])
        chunk = mono[lo:min(hi, mono.size)]
        if chunk.size:
            out[i] = (chunk.min(), chunk.max())
    return out


class _Mailbox(QObject):
    """Carries a result from the pool thread. Parentless and referenced by each job, so a job that finishes
    after its panel was closed posts into a live object (Qt has cut the connection) instead of a deleted one.
    Also holds which renders have started (under `lock`), so queued ones can be dropped safely."""
    posted = Signal(str, object, float, str)

    def __init__(self):
        super().__init__()
        self.lock = threading.Lock()
        self.started: set[str] = set()


class _Render(QRunnable):
    def __init__(self, mailbox: _Mailbox, key: str, cue: AudioCue, frames: int, fps: Fraction, seed: int,
                 cancel: CancelToken):
        super().__init__()
        self.mailbox, self.key, self.cue, self.frames, self.fps, self.seed = mailbox, key, cue, frames, fps, seed
        self.cancel = cancel

    def run(self) -> None:  # pool thread: no widgets, no document
        with self.mailbox.lock:
            self.mailbox.started.add(self.key)
        try:
            result = (*self._render(), "")
        except JobCancelled:  # the panel went away (shutdown): nothing to show, nothing to cache
            return
        except Exception as exc:  # a cue that cannot sound (unknown preset, missing file) says why
            result = (None, 0.0, str(exc))
        finally:
            with self.mailbox.lock:
                self.mailbox.started.discard(self.key)
        try:
            self.mailbox.posted.emit(self.key, *result)
        except RuntimeError:  # the application is shutting down: nobody is waiting for this waveform
            pass

    def _render(self) -> tuple[np.ndarray, float]:
        from engine.audio import read_wav, render_shot_audio
        with tempfile.TemporaryDirectory(prefix="shotreel-wave-") as tmp:
            wav = Path(tmp) / "cue.wav"
            render_shot_audio([self.cue], self.frames, self.fps, wav, seed=self.seed, cancel=self.cancel)
            samples, _rate = read_wav(wav)
        peaks = peaks_of(np.asarray(samples, dtype=np.float32))
        # how much of the shot the sound fills (natural-length cues end before the shot does)
        mono = np.abs(samples).max(axis=1) if samples.ndim == 2 else np.abs(samples)
        loud = np.flatnonzero(mono > 1e-4)
        fill = float((loud[-1] + 1) / mono.size) if loud.size else 0.0
        return peaks, fill


class WaveformRenderer(QObject):
    """Renders cue waveforms on its own pool (one thread: synthesis is CPU-heavy, the engine needs the rest)."""
    ready = Signal(str)                      # a key whose result is now in the cache

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._mailbox = _Mailbox()
        self._lock = self._mailbox.lock
        self._cache: OrderedDict[str, tuple[np.ndarray | None, float, str]] = OrderedDict()
        self._pending: set[str] = set()
        self._cancel = CancelToken()
        self._mailbox.posted.connect(self._store, Qt.ConnectionType.QueuedConnection)

    @staticmethod
    def key(cue: AudioCue, frames: int, fps: Fraction, seed: int) -> str:
        return json.dumps([cue.to_dict(), frames, str(fps), seed], sort_keys=True)

    def result(self, key: str):
        return self._cache.get(key)

    def request(self, cue: AudioCue, frames: int, fps: Fraction, seed: int = 0) -> str:
        """Queue a render (unless cached or pending) and return its key. Renders still queued for cues
        no longer shown are dropped first: stepping through 50 shots must not leave 50 syntheses
        ahead of the one on screen."""
        key = self.key(cue, frames, fps, seed)
        with self._lock:
            if key in self._cache or key in self._pending:
                return key
            self.pool.clear()
            self._pending &= self._mailbox.started
            self._pending.add(key)
        self.pool.start(_Render(self._mailbox, key, cue, max(1, frames), Fraction(fps), seed, self._cancel))
        return key

    def _store(self, key: str, peaks, fill: float, error: str) -> None:
        with self._lock:
            self._pending.discard(key)
        self._cache[key] = (peaks, fill, error)
        while len(self._cache) > _CACHE:
            self._cache.popitem(last=False)
        self.ready.emit(key)

    def wait(self, msecs: int = 10000) -> bool:
        return self.pool.waitForDone(msecs)

    def shutdown(self, msecs: int = 2000) -> None:
        """Drop queued renders and stop the running one (its synthesis checks the cancel token), so no
        pool thread outlives the panel (a thread still in Python at interpreter exit is killed mid-call)."""
        self.pool.clear()
        self._cancel.cancel()
        self.pool.waitForDone(msecs)
        with self._lock:
            self._pending.clear()
        self._cancel = CancelToken()


class WaveformWidget(QWidget):
    """Paints the waveform of the cue it was last given; 'rendering…' until the pool answers."""

    def __init__(self, parent: QWidget | None = None, renderer: WaveformRenderer | None = None):
        super().__init__(parent)
        self.setObjectName("Waveform")
        self.setMinimumHeight(64)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.renderer = renderer or WaveformRenderer(self)
        self.renderer.ready.connect(self._ready)
        self.color = QColor(86, 150, 222)
        self._key = ""
        self.peaks: np.ndarray | None = None
        self.fill = 0.0
        self.error = ""

    def set_cue(self, cue: AudioCue | None, frames: int = 0, fps: Fraction = Fraction(24), seed: int = 0,
                color: QColor | None = None) -> None:
        """Show `cue` (absolute file paths, start 0) over `frames`; None clears the widget."""
        if color is not None:
            self.color = QColor(color)
        if cue is None:
            self._key, self.peaks, self.error = "", None, ""
            self.update()
            return
        key = self.renderer.request(cue, frames, fps, seed)
        self._key = key
        self._show(self.renderer.result(key))

    def _ready(self, key: str) -> None:
        if key == self._key:
            self._show(self.renderer.result(key))

    def _show(self, result) -> None:
        if result is None:
            self.peaks, self.fill, self.error = None, 0.0, ""
        else:
            self.peaks, self.fill, self.error = result
        self.update()

    @property
    def pending(self) -> bool:
        return bool(self._key) and self.renderer.result(self._key) is None

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        p.fillRect(self.rect(), theme.BASE)
        p.setPen(QPen(theme.BORDER, 1))
        p.drawRoundedRect(rect, 3, 3)
        mid = rect.center().y()
        p.setPen(QPen(theme.BORDER, 1))
        p.drawLine(QPointF(rect.left() + 4, mid), QPointF(rect.right() - 4, mid))
        if self.peaks is None:
            p.setPen(theme.DANGER if self.error else theme.TEXT_DIM)
            text = f"Cannot sound: {self.error}" if self.error else ("Rendering…" if self._key else "No sound selected")
            p.drawText(rect.adjusted(8, 0, -8, 0), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)
            p.end()
            return
        inner = rect.adjusted(4, 4, -4, -4)
        width = max(1, int(inner.width()))
        peaks = self.peaks
        idx = np.minimum((np.arange(width) * len(peaks) / width).astype(int), len(peaks) - 1)
        cols = peaks[idx]
        scale = inner.height() / 2 / max(1e-3, float(np.abs(peaks).max()))
        top = [QPointF(inner.left() + i, mid - float(cols[i, 1]) * scale) for i in range(width)]
        bottom = [QPointF(inner.left() + i, mid - float(cols[i, 0]) * scale) for i in reversed(range(width))]
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(QPen(self.color.lighter(120), 1))
        fill = QColor(self.color)
        fill.setAlpha(170)
        p.setBrush(fill)
        p.drawPolygon(QPolygonF(top + bottom))
        p.end()
