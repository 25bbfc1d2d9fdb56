"""Pictures and sound shapes on the timeline: take thumbnails (a filmstrip of the take's frames when a
clip is wide) and the waveform of each audio cue.

Nothing is decoded on the GUI thread: thumbnails and video frames come from the storyboard's
`ThumbnailLoader` (a pool thread, PyAV for frames), waveforms from the inspector's `WaveformRenderer`
(the cue synthesized off the GUI thread, reduced to peaks there). Painting asks for what it shows and
gets None until it has arrived; arrivals are coalesced into one repaint per event-loop turn.

Who uses it: `TimelineCanvas` paints through it; `TimelinePanel` creates it for the document.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Callable

import numpy as np
from PySide6.QtCore import QObject, QSize, QTimer, Signal
from PySide6.QtGui import QImage

from ..waveform import WaveformRenderer
from ..storyboard.thumbnails import ThumbnailLoader

THUMB_H = 54
THUMB_W = 96
FILMSTRIP_SAMPLES = 48  # frame positions a take is sampled at for the filmstrip (bounded cache churn)


class TimelineMedia(QObject):
    changed = Signal()  # something arrived: repaint

    def __init__(self, resolve_cue: Callable | None = None, parent: QObject | None = None, *,
                 waveforms: bool = True):
        super().__init__(parent)
        self.thumbs = ThumbnailLoader(self, size=QSize(THUMB_W, THUMB_H), capacity=2400, threads=1)
        self.waves = WaveformRenderer(self) if waveforms else None
        self.resolve_cue = resolve_cue or (lambda item: item.cue)  # imported files -> absolute paths
        self._wave_keys: dict[tuple[str, str], tuple[object, int, str]] = {}
        self._wanted: list = []
        self._coalesce = QTimer(self)
        self._coalesce.setSingleShot(True)
        self._coalesce.setInterval(0)
        self._coalesce.timeout.connect(self.changed)
        self._request_timer = QTimer(self)
        self._request_timer.setSingleShot(True)
        self._request_timer.setInterval(0)
        self._request_timer.timeout.connect(self._request_waves)
        self.thumbs.loaded.connect(lambda _path: self._coalesce.start())
        if self.waves is not None:
            self.waves.ready.connect(lambda _key: self._coalesce.start())

    # ---- pictures ---------------------------------------------------------------------------------
    def thumbnail(self, path: str) -> QImage | None:
        return self.thumbs.image(path)

    def frame(self, video: str, take_frames: int, frame: float) -> QImage | None:
        """A picture of `video` near take frame `frame`, snapped to one of FILMSTRIP_SAMPLES positions."""
        if not video or take_frames <= 0:
            return None
        step = max(1, take_frames // FILMSTRIP_SAMPLES)
        snapped = min(take_frames - 1, max(0, int(frame) // step * step))
        return self.thumbs.image(video, frame=snapped)

    # ---- sound ------------------------------------------------------------------------------------
    def peaks(self, item, frames: int, fps: Fraction, seed: int) -> np.ndarray | None:
        """Min/max peaks of a cue's sound over `frames` from its start, or None (requested after paint)."""
        if self.waves is None:
            return None
        slot = (item.shot_id, item.cue_id)
        known = self._wave_keys.get(slot)
        if known is None or known[0] is not item.cue or known[1] != frames:
            try:
                cue = self.resolve_cue(item).with_(start=0)
            except Exception:  # a cue that cannot be resolved draws without a waveform
                return None
            known = (item.cue, frames, self.waves.key(cue, frames, fps, seed), cue, fps, seed)
            self._wave_keys[slot] = known
        result = self.waves.result(known[2])
        if result is None:
            self._wanted.append(known)
            self._request_timer.start()
            return None
        return result[0]

    def _request_waves(self) -> None:
        # The renderer keeps one queued render (the newest request): ask for the first visible one last.
        wanted, self._wanted = self._wanted, []
        seen = set()
        for known in reversed(wanted):
            if known[2] in seen:
                continue
            seen.add(known[2])
            _cue, frames, _key, cue, fps, seed = known
            self.waves.request(cue, frames, fps, seed)

    @property
    def busy(self) -> bool:
        """Something asked for is still on its way (tests wait on this)."""
        with self.thumbs._lock:
            pictures = bool(self.thumbs._pending)
        sounds = self.waves is not None and bool(self.waves._pending)
        return pictures or sounds or self._request_timer.isActive() or bool(self._wanted) or \
            self._coalesce.isActive()

    def wait(self, msecs: int = 10000) -> bool:
        """Tests: wait for queued pictures and sounds."""
        ok = self.thumbs.wait(msecs)
        return (self.waves.wait(msecs) if self.waves is not None else True) and ok

    def shutdown(self) -> None:
        self._request_timer.stop()
        self._coalesce.stop()
        self.thumbs.pool.clear()
        self.thumbs.wait(2000)
        if self.waves is not None:
            self.waves.shutdown()
