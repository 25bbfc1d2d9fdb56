"""The timeline canvas's view transform (frames <-> pixels, zoom, scroll) and snapping.

A mixin of `TimelineCanvas`: it reads and sets the canvas's `ppf` (pixels per frame), `scroll`, `playhead`,
`snapping`, `snap_px`, `marks`, `layout_data`, `_fitted`, and calls `width()`, `view_changed.emit()` and
`invalidate()`. No painting, no mouse handling here."""
from __future__ import annotations

from .geometry import HEADER_W, MAX_PPF, MIN_PPF


class TimelineView:
    def x_of(self, frame: float) -> float:
        return HEADER_W + frame * self.ppf - self.scroll

    def frame_at(self, x: float) -> float:
        return (x - HEADER_W + self.scroll) / self.ppf

    def content_width(self) -> float:
        return self.layout_data.duration * self.ppf + 240

    def max_scroll(self) -> float:
        return max(0.0, self.content_width() - (self.width() - HEADER_W))

    def set_scroll(self, pixels: float) -> None:
        pixels = min(max(0.0, float(pixels)), self.max_scroll())
        if pixels != self.scroll:
            self.scroll = pixels
            self.view_changed.emit()
            self.invalidate()

    def _clamp_scroll(self) -> None:
        self.scroll = min(max(0.0, self.scroll), self.max_scroll())

    def set_zoom(self, ppf: float, anchor_x: float | None = None) -> None:
        """Pixels per frame; the frame under `anchor_x` (default: the playhead, else the left edge) stays put."""
        ppf = min(MAX_PPF, max(MIN_PPF, float(ppf)))
        if anchor_x is None:
            px = self.x_of(self.playhead)
            anchor_x = px if HEADER_W <= px <= self.width() else HEADER_W
        frame = self.frame_at(anchor_x)
        self.ppf = ppf
        self.scroll = frame * ppf - (anchor_x - HEADER_W)
        self._clamp_scroll()
        self.view_changed.emit()
        self.invalidate()

    def zoom_by(self, factor: float, anchor_x: float | None = None) -> None:
        self.set_zoom(self.ppf * factor, anchor_x)

    def fit(self) -> None:
        """Show the whole cut."""
        duration = max(1, self.layout_data.duration)
        self._fitted = True
        self.ppf = min(MAX_PPF, max(MIN_PPF, (self.width() - HEADER_W - 24) / duration))
        self.scroll = 0.0
        self.view_changed.emit()
        self.invalidate()

    def ensure_visible(self, frame: int) -> None:
        x = self.x_of(frame)
        if x < HEADER_W + 20 or x > self.width() - 20:
            self.set_scroll(frame * self.ppf - (self.width() - HEADER_W) / 3)

    def marks_span(self) -> tuple[float, float] | None:
        """x of the marked range's first and past-last frame (None: no marks)."""
        lo, hi = self.marks
        if lo is None and hi is None:
            return None
        start = lo if lo is not None else 0
        end = hi + 1 if hi is not None else max(start + 1, self.layout_data.duration)
        return self.x_of(start), self.x_of(end)

    def set_snapping(self, on: bool) -> None:
        self.snapping = bool(on)
        self.view_changed.emit()  # the panel's toggle follows

    def snap_targets(self) -> list[int]:
        return self.layout_data.cut_frames() + [self.playhead]

    def snap(self, frame: float, extra: tuple[int, ...] = ()) -> tuple[int, int | None]:
        """The nearest cut/playhead within `snap_px` pixels of `frame` -> (frame, target) or (round, None)."""
        if not self.snapping:
            return int(round(frame)), None
        reach = self.snap_px / self.ppf
        best, dist = None, reach
        for target in list(self.snap_targets()) + list(extra):
            d = abs(target - frame)
            if d <= dist:
                best, dist = target, d
        return (best, best) if best is not None else (int(round(frame)), None)
