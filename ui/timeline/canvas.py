"""`TimelineCanvas`: the painted timeline — ruler, a video lane of shots, one lane per audio cue kind.

Painting reads only the prepared `TimelineLayout` and the visible frame range (two bisections), so a
1,000-shot cut repaints in a few milliseconds at any zoom. Mouse edits are previewed locally while
dragging and become ONE studio command on release (`SetAudioCue` for a moved or trimmed cue, `SetTrim`
for a shot's in/out): the document, the store and the undo stack see one step per gesture. The rules
(how far a trim or cue may go, which command a gesture makes) live in `studio.timeline_edits`.

Who uses it: `TimelinePanel` (toolbar, scroll bar, document and selection wiring) and the benchmark.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np

from PySide6.QtCore import QEvent, QLineF, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (QBrush, QColor, QFont, QFontMetrics, QImage, QPainter, QPainterPath, QPen, QPixmap,
                           QPolygonF, QStaticText)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from studio import timeline_edits as edits
from studio.commands import RemoveAudioCue
from studio.timebase import format_duration, format_timecode

from .. import theme
from .layout import LANES, Clip, CueItem, TimelineLayout, is_crossfade

HEADER_W = 96
RULER_H = 26
VIDEO_TOP = RULER_H + 4
VIDEO_H = 56
LANE_TOP = VIDEO_TOP + VIDEO_H + 6
LANE_H = 28
LANE_GAP = 3
EDGE_PX = 6            # grab distance of a trim handle
DRAG_START_PX = 3      # a press that moves less is a click
SNAP_PX = 8            # default snapping distance
MIN_PPF, MAX_PPF = 0.02, 48.0

# (keys, what) for the help overlay; the canvas handles these when it has focus
SHORTCUTS = (
    ("Click / drag ruler", "Move the playhead (snaps to cuts)"),
    ("Drag a sound", "Move it (snaps to cuts and the playhead within 8 px)"),
    ("Drag a sound's edge", "Trim its start or length"),
    ("Drag a shot's edge", "Trim the take's in / out point"),
    ("Alt+← / Alt+→", "Nudge the picked sound one frame"),
    ("Delete", "Remove the picked sound"),
    ("= / -", "Zoom in / out"),
    ("Ctrl+wheel", "Zoom around the mouse"),
    ("\\", "Fit the whole cut"),
    ("S", "Snapping on / off"),
)

LANE_COLORS = {
    "dialogue": QColor(86, 150, 222),
    "sfx": QColor(222, 142, 64),
    "ambience": QColor(64, 172, 150),
    "music": QColor(168, 116, 214),
}
LANE_TITLES = {"dialogue": "Dialogue", "sfx": "SFX", "ambience": "Ambience", "music": "Music"}

_MARK = QColor(240, 196, 64)  # in/out marks (the viewer's colour for the marked range)
_SCRIM = QColor(0, 0, 0, 130)   # under clip labels drawn over pictures
_WAVE_BGRA = (0, 0, 0, 95)      # premultiplied: a dark translucent waveform over the lane colour
_BG = QColor(22, 23, 25)
_LANE_BG = QColor(30, 31, 34)
_CLIP = QColor(60, 66, 78)
_CLIP_TAKE = QColor(52, 86, 120)
_CLIP_SLATE = QColor(50, 52, 58)
_PLAYHEAD = QColor(236, 72, 64)
_SNAP = QColor(255, 220, 90)


def lane_top(lane: int) -> int:
    return LANE_TOP + lane * (LANE_H + LANE_GAP)


CANVAS_H = lane_top(len(LANES)) + 6


@dataclass
class _Drag:
    kind: str            # playhead | cue_move | cue_left | cue_right | trim_in | trim_out
    press_x: float
    clip: Clip | None = None
    item: CueItem | None = None
    active: bool = False
    start: int = 0       # preview: shot-relative cue start, or trim in (take frames)
    end: int = 0         # preview: shot-relative cue end, or trim out (take frames, 0 = end)
    snapped: int | None = None  # timeline frame the preview snapped to (drawn as a guide)


class TimelineCanvas(QWidget):
    shot_clicked = Signal(str, object)   # shot id, Qt.KeyboardModifiers
    playhead_moved = Signal(int)         # the user moved the playhead (ruler click or scrub)
    view_changed = Signal()              # zoom, scroll range or layout changed (the scroll bar follows)
    cue_selected = Signal(str, str)      # shot id, cue id ('' when none)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("TimelineCanvas")
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumHeight(CANVAS_H)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.layout_data = TimelineLayout().finish()
        self.ppf = 4.0                   # pixels per frame
        self.scroll = 0.0                # pixels scrolled from frame 0
        self.playhead = 0
        self.snapping = True
        self.snap_px = SNAP_PX
        self.selected: set[str] = set()
        self.selected_cue: tuple[str, str] | None = None
        self.seam_flags: dict[str, str] = {}
        self.withdrawn: dict[str, str] = {}   # shot id -> why its take's likeness is withdrawn (studio.consent)
        self.marks: tuple[int | None, int | None] = (None, None)  # the viewer's in / out (inclusive frames)
        self.media = None  # ui.timeline.media.TimelineMedia: thumbnails and waveforms (None: plain boxes)
        self.execute: Callable[..., bool] = lambda command, whole_gesture=False: False  # set by the panel
        self._drag: _Drag | None = None
        self._fitted = False
        self._base: QPixmap | None = None  # everything but the playhead, painted once per change
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() - 0.5))
        self._small = font
        self._bold = QFont(self.font())
        self._bold.setBold(True)
        self._fm_small = QFontMetrics(self._small)
        self._fm_bold = QFontMetrics(self._bold)
        self._static: dict[tuple[str, bool], QStaticText] = {}  # laid-out labels: drawText re-shapes each time

    # ---- state set by the panel -------------------------------------------------------------------
    def set_layout(self, layout: TimelineLayout) -> None:
        self.layout_data = layout
        if not self._fitted and layout.clips and self.width() > HEADER_W + 40:
            self.fit()
        self._clamp_scroll()
        self.view_changed.emit()
        self.invalidate()

    def set_selection(self, ids) -> None:
        self.selected = set(ids)
        self.invalidate()

    def set_playhead(self, frame: int) -> None:
        frame = max(0, int(frame))
        if frame != self.playhead:
            self.playhead = frame
            self.update()  # the cached picture stays: only the playhead moves

    def set_withdrawn(self, shots: dict[str, str]) -> None:
        """Clips whose take shows a withdrawn likeness: a red band and the words on the clip."""
        if shots != self.withdrawn:
            self.withdrawn = dict(shots)
            self.invalidate()

    def set_seam_flags(self, flags: dict[str, str]) -> None:
        self.seam_flags = {str(k): str(v) for k, v in (flags or {}).items()}
        self.invalidate()

    def set_marks(self, mark_in: int | None, mark_out: int | None) -> None:
        """The viewer's in/out marks (the same cut frames), drawn as a band on the ruler and two lines."""
        marks = (mark_in, mark_out)
        if marks != self.marks:
            self.marks = marks
            self.invalidate()

    def marks_span(self) -> tuple[float, float] | None:
        """x of the marked range's first and past-last frame (None: no marks)."""
        lo, hi = self.marks
        if lo is None and hi is None:
            return None
        start = lo if lo is not None else 0
        end = hi + 1 if hi is not None else max(start + 1, self.layout_data.duration)
        return self.x_of(start), self.x_of(end)

    def _paint_marks(self, p: QPainter, h: int) -> None:
        span = self.marks_span()
        if span is None:
            return
        x0, x1 = span
        band = QColor(_MARK)
        band.setAlpha(70)
        p.fillRect(QRectF(x0, 0, x1 - x0, RULER_H - 1), band)
        shade = QColor(_MARK)
        shade.setAlpha(22)
        p.fillRect(QRectF(x0, RULER_H, x1 - x0, h - RULER_H), shade)
        p.setPen(QPen(_MARK, 1))
        lo, hi = self.marks
        for x, on in ((x0, lo is not None), (x1, hi is not None)):
            if on:
                p.drawLine(QPointF(x, 0), QPointF(x, h))
                tick = 5 if x == x0 else -5  # [ at the in, ] at the out
                p.drawLine(QPointF(x, 0.5), QPointF(x + tick, 0.5))
                p.drawLine(QPointF(x, RULER_H - 1.5), QPointF(x + tick, RULER_H - 1.5))

    # ---- geometry ---------------------------------------------------------------------------------
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

    def focusInEvent(self, event) -> None:
        super().focusInEvent(event)
        self.invalidate()

    def focusOutEvent(self, event) -> None:
        super().focusOutEvent(event)
        self.invalidate()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._base = None
        if not self._fitted and self.layout_data.clips and self.width() > HEADER_W + 40:
            self.fit()
        self._clamp_scroll()
        self.view_changed.emit()

    # ---- snapping ---------------------------------------------------------------------------------
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

    # ---- hit testing ------------------------------------------------------------------------------
    def lane_at(self, y: float) -> int | None:
        for lane in range(len(LANES)):
            top = lane_top(lane)
            if top <= y < top + LANE_H:
                return lane
        return None

    def cue_at(self, x: float, y: float) -> CueItem | None:
        lane = self.lane_at(y)
        if lane is None:
            return None
        frame = self.frame_at(x)
        slack = EDGE_PX / self.ppf
        layout = self.layout_data
        for index in reversed(layout.visible_range(frame - slack, frame + slack)):
            for item in reversed(layout.cues[index]):
                if item.lane == lane and item.start - slack <= frame <= item.end + slack:
                    rect = self.cue_rect(item)
                    if rect.top() - 1 <= y <= rect.bottom() + 1:
                        return item
        return None

    def cue_rect(self, item: CueItem) -> QRectF:
        x0, x1 = self.x_of(item.start), self.x_of(item.end)
        row_h = (LANE_H - 4) / item.rows
        return QRectF(x0, lane_top(item.lane) + 2 + item.row * row_h, max(2.0, x1 - x0 - 1), row_h - (item.rows > 1))

    def clip_rect(self, clip: Clip) -> QRectF:
        x0, x1 = self.x_of(clip.start), self.x_of(clip.end)
        return QRectF(x0, VIDEO_TOP, max(1.0, x1 - x0 - 1), VIDEO_H)

    # ---- painting ---------------------------------------------------------------------------------
    def invalidate(self) -> None:
        """Forget the cached picture (anything but the playhead changed) and repaint."""
        self._base = None
        self.update()

    def paintEvent(self, event) -> None:
        # Everything but the playhead is cached in a pixmap: during playback the playhead moves every
        # frame and a repaint is one blit. A drag paints directly (its preview changes every move).
        w, h = self.width(), self.height()
        dragging = self._drag is not None and self._drag.active
        p = QPainter(self)
        if dragging:
            self._paint_base(p, w, h)
        else:
            ratio = self.devicePixelRatioF()
            if self._base is None or self._base.size() != self.size() * ratio:
                self._base = QPixmap(self.size() * ratio)
                self._base.setDevicePixelRatio(ratio)
                painter = QPainter(self._base)
                self._paint_base(painter, w, h)
                painter.end()
            p.drawPixmap(0, 0, self._base)
        self._paint_playhead(p, w, h)
        p.end()

    def _paint_base(self, p: QPainter, w: int, h: int) -> None:
        p.fillRect(0, 0, w, h, _BG)
        layout = self.layout_data
        first, last = self.frame_at(HEADER_W), self.frame_at(w)
        visible = layout.visible_range(first, last)
        p.setClipRect(HEADER_W, 0, w - HEADER_W, h)
        for lane in range(len(LANES)):
            p.fillRect(HEADER_W, lane_top(lane), w - HEADER_W, LANE_H, _LANE_BG)
        p.fillRect(HEADER_W, VIDEO_TOP, w - HEADER_W, VIDEO_H, _LANE_BG)
        self._paint_ruler(p, first, last, w)
        self._paint_clips(p, visible)
        self._paint_cues(p, visible)
        self._paint_seams(p, visible, h)
        self._paint_marks(p, h)
        self._paint_drag(p, h)
        p.setClipping(False)
        self._paint_headers(p, h)
        if layout.error:
            p.setPen(theme.DANGER)
            p.drawText(QRectF(HEADER_W + 8, VIDEO_TOP, w - HEADER_W - 16, VIDEO_H),
                       Qt.AlignmentFlag.AlignVCenter, f"The cut cannot be laid out: {layout.error}")
        elif not layout.clips:
            p.setPen(theme.TEXT_DIM)
            p.drawText(QRectF(HEADER_W + 8, VIDEO_TOP, w - HEADER_W - 16, VIDEO_H),
                       Qt.AlignmentFlag.AlignVCenter, "No shots yet: add one in the storyboard.")
        if self.hasFocus():
            p.setPen(QPen(theme.ACCENT, 1))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(0, 0, w - 1, h - 1)

    def _paint_playhead(self, p: QPainter, w: int, h: int) -> None:
        p.fillRect(QRectF(1, 1, HEADER_W - 3, RULER_H - 2), theme.PANEL)
        p.setFont(self._bold)
        p.setPen(theme.TEXT)
        p.drawStaticText(QPointF(8, (RULER_H - self._fm_bold.height()) / 2),
                         _static_text(self._static, format_timecode(self.playhead, self.layout_data.fps)))
        px = self.x_of(self.playhead)
        if HEADER_W <= px <= w:
            p.fillRect(QRectF(px - 0.5, 0, 1.5, h), _PLAYHEAD)
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            p.setBrush(_PLAYHEAD)
            p.setPen(Qt.PenStyle.NoPen)
            p.drawPolygon(QPolygonF([QPointF(px - 6, 0), QPointF(px + 6, 0), QPointF(px, 9)]))
            p.setRenderHint(QPainter.RenderHint.Antialiasing, False)

    def _tick_step(self) -> tuple[int, int]:
        """(major, minor) tick spacing in frames: majors at least ~90 px apart, on round times."""
        fps = max(1, round(float(self.layout_data.fps)))
        candidates = [1, 2, 5, 10, fps // 2 or 1, fps, 2 * fps, 5 * fps, 10 * fps, 15 * fps, 30 * fps, 60 * fps,
                      120 * fps, 300 * fps, 600 * fps, 1800 * fps, 3600 * fps]
        for step in sorted(set(candidates)):
            if step * self.ppf >= 90:
                break
        minor = step // 5 if step % 5 == 0 and step >= 5 else (step // 2 if step % 2 == 0 else step)
        if minor * self.ppf < 6:
            minor = step
        return step, max(1, minor)

    def _paint_ruler(self, p: QPainter, first: float, last: float, w: int) -> None:
        p.fillRect(HEADER_W, 0, w - HEADER_W, RULER_H, theme.PANEL)
        p.setPen(theme.BORDER)
        p.drawLine(HEADER_W, RULER_H - 1, w, RULER_H - 1)
        major, minor = self._tick_step()
        start = max(0, int(first // minor) * minor)
        p.setFont(self._small)
        fps = self.layout_data.fps
        frame = start
        dim = theme.TEXT_DIM
        while frame <= last:
            x = int(self.x_of(frame))
            if frame % major == 0:
                p.setPen(dim)
                p.drawLine(x, RULER_H - 12, x, RULER_H - 1)
                p.drawStaticText(QPointF(x + 3, RULER_H - 13 - self._fm_small.ascent()),
                                 _static_text(self._static, _short_timecode(frame, fps)))
            else:
                p.setPen(theme.BORDER)
                p.drawLine(x, RULER_H - 5, x, RULER_H - 1)
            frame += minor

    def _xs(self, frames: np.ndarray) -> np.ndarray:
        return HEADER_W + frames * self.ppf - self.scroll

    def _fill_runs(self, p: QPainter, x0: np.ndarray, x1: np.ndarray, top: float, height: float,
                   color: QColor) -> None:
        """Paint the pixel columns covered by many sub-3-px items: one image row, stretched to the lane's
        height, however many items there are (a per-item fillRect costs ~1,000 calls zoomed out)."""
        width = self.width()
        covered = _coverage(x0, x1, width)
        if not covered.any():
            return
        row = np.zeros((1, width, 4), np.uint8)
        row[0, covered] = (color.blue(), color.green(), color.red(), 255)  # ARGB32 is BGRA in memory
        rows = int(height)
        block = np.ascontiguousarray(np.broadcast_to(row, (rows, width, 4)))  # an unscaled blit is fastest
        image = QImage(block.data, width, rows, width * 4, QImage.Format.Format_ARGB32_Premultiplied)
        p.drawImage(QPointF(0, top), image)

    def _paint_clips(self, p: QPainter, visible: range) -> None:
        layout = self.layout_data
        lo, hi = visible.start, visible.stop
        if hi <= lo:
            return
        x0 = self._xs(layout.clip_start[lo:hi])
        x1 = self._xs(layout.clip_end[lo:hi])
        narrow = (x1 - x0) < 3
        if narrow.any():  # zoomed far out: shots as merged slivers with a hairline at each visible cut
            take = layout.clip_take[lo:hi]
            for mask, color in ((narrow & ~take, _CLIP_SLATE), (narrow & take, _CLIP_TAKE)):
                if mask.any():
                    self._fill_runs(p, x0[mask], x1[mask], VIDEO_TOP, VIDEO_H, color)
            cols = np.floor(x0[narrow])
            spaced = cols[np.diff(cols, prepend=-1e9) >= 3]
            if spaced.size:
                p.setPen(QPen(_BG, 1))
                p.drawLines([QLineF(c, VIDEO_TOP, c, VIDEO_TOP + VIDEO_H) for c in spaced.tolist()])
            for shot_id in self.selected:
                clip = layout.clip_of(shot_id)
                if clip is not None and lo <= clip.index < hi and narrow[clip.index - lo]:
                    x = x0[clip.index - lo]
                    p.fillRect(QRectF(x, VIDEO_TOP, max(2.0, x1[clip.index - lo] - x), VIDEO_H), theme.ACCENT)
        wide = np.flatnonzero(~narrow)
        if not wide.size:
            return
        fm = self._fm_bold
        text_pen = QPen(theme.TEXT)
        dim_pen = QPen(theme.TEXT_DIM)
        border = QPen(theme.BORDER)
        selected_border = QPen(theme.ACCENT, 2)
        for k in wide.tolist():
            clip = layout.clips[lo + k]
            rect = self.clip_rect(clip)
            selected = clip.shot_id in self.selected
            color = theme.CARD_SELECTED if selected else (_CLIP_TAKE if clip.has_take else _CLIP_SLATE)
            p.fillRect(rect, color)
            pictured = clip.has_take and self.media is not None and self._paint_pictures(p, clip, rect)
            p.setPen(selected_border if selected else border)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(rect.adjusted(0.5, 0.5, -0.5, -0.5))
            if clip.shot_id in self.withdrawn:
                p.fillRect(QRectF(rect.left() + 1, rect.top() + 1, rect.width() - 2, 4), theme.DANGER)
            if is_crossfade(clip):
                xf = min(rect.right(), self.x_of(clip.start + clip.crossfade_in))
                p.setPen(QPen(theme.TEXT_DIM, 1))
                p.drawLine(QPointF(rect.left(), rect.bottom()), QPointF(xf, rect.top()))
            if rect.width() > 28:
                text_rect = rect.adjusted(6, 4, -6, -4)
                if pictured:  # keep the labels readable over the pictures
                    p.fillRect(QRectF(rect.left() + 1, rect.top() + 1, rect.width() - 2, fm.height() + 5), _SCRIM)
                    if rect.width() > 60:
                        band = self._fm_small.height() + 5
                        p.fillRect(QRectF(rect.left() + 1, rect.bottom() - band, rect.width() - 2, band), _SCRIM)
                p.setFont(self._bold)
                p.setPen(text_pen)
                title = f"{clip.number}  {clip.title}" if clip.title else f"{clip.number}"
                p.setClipRect(text_rect.intersected(QRectF(HEADER_W, 0, self.width() - HEADER_W, self.height())))
                p.drawStaticText(text_rect.topLeft(), _static_text(self._static, title, fm, text_rect.width()))
                if rect.width() > 60:
                    p.setFont(self._small)
                    withdrawn = clip.shot_id in self.withdrawn
                    p.setPen(QPen(theme.DANGER) if withdrawn else dim_pen)
                    info = "⚠ likeness withdrawn" if withdrawn else _clip_info(clip, layout.fps)
                    p.drawStaticText(QPointF(text_rect.left(), text_rect.bottom() - self._fm_small.height()),
                                     _static_text(self._static, info, self._fm_small, text_rect.width()))
                p.setClipRect(HEADER_W, 0, self.width() - HEADER_W, self.height())
            if clip.has_take and rect.width() > 16:
                handle = theme.TEXT if selected else theme.TEXT_DIM
                p.fillRect(QRectF(rect.left() + 1, rect.top() + 12, 3, rect.height() - 24), handle)
                p.fillRect(QRectF(rect.right() - 4, rect.top() + 12, 3, rect.height() - 24), handle)

    def _paint_pictures(self, p: QPainter, clip: Clip, rect: QRectF) -> bool:
        """The take's thumbnail at the clip's head, or a filmstrip of its frames when the clip is wide
        enough for three; only tiles on screen are drawn and requested. True when something was drawn."""
        info = self.layout_data.media.get(clip.shot_id)
        if not info:
            return False
        thumb, video, take_frames = info
        inner = rect.adjusted(1, 1, -1, -1)
        h = inner.height()
        w = h * 16 / 9
        view_l, view_r = float(HEADER_W), float(self.width())
        drawn = False
        p.save()
        p.setClipRect(inner.intersected(QRectF(view_l, 0, view_r - view_l, self.height())))
        if video and inner.width() >= 3 * w:
            first = max(0, int((view_l - inner.left()) // w))
            x = inner.left() + first * w
            while x < min(inner.right(), view_r):
                t = self.frame_at(x + w / 2)
                take_frame = float((clip.source_in + (t - clip.start)) / clip.take_scale)
                image = self.media.frame(video, take_frames, take_frame)
                if image is not None:
                    p.drawImage(QRectF(x, inner.top(), w, h), image)
                    drawn = True
                x += w
        else:
            image = self.media.thumbnail(thumb)
            if image is not None:
                width = min(w, inner.width())
                p.drawImage(QRectF(inner.left(), inner.top(), width, h), image,
                            QRectF(0, 0, image.width() * width / w, image.height()))
                drawn = True
        p.restore()
        return drawn

    def _paint_waveform(self, p: QPainter, rect: QRectF, item: CueItem) -> None:
        """The cue's sound as min/max columns (only the part on screen), once it has been rendered."""
        clip = self.layout_data.clips[item.clip_index]
        cue, shot = item.cue, clip.shot
        frames = cue.duration or max(1, shot.duration - cue.start)  # what the inspector renders
        peaks = self.media.peaks(item, frames, self.layout_data.fps, shot.seed)
        if peaks is None or not len(peaks):
            return
        x0, x1 = max(rect.left(), float(HEADER_W)), min(rect.right(), float(self.width()))
        width, height = int(x1 - x0), int(rect.height())
        if width < 2 or height < 4:
            return
        start = clip.origin + cue.start
        xs = x0 + np.arange(width) + 0.5
        offsets = (self.scroll + xs - HEADER_W) / self.ppf - start
        idx = np.clip((offsets / frames * len(peaks)).astype(np.int64), 0, len(peaks) - 1)
        cols = peaks[idx]
        cols[(offsets < 0) | (offsets >= frames)] = 0
        peak = max(1e-3, float(np.abs(peaks).max()))
        mid, half = height / 2, height / 2 - 1
        top = np.floor(mid - cols[:, 1] / peak * half)
        bottom = np.ceil(mid - cols[:, 0] / peak * half)
        y = np.arange(height)[:, None]
        mask = (y >= top[None, :]) & (y <= bottom[None, :])
        pixels = np.zeros((height, width, 4), np.uint8)
        pixels[mask] = _WAVE_BGRA
        image = QImage(pixels.data, width, height, width * 4, QImage.Format.Format_ARGB32_Premultiplied)
        p.drawImage(QPointF(x0, rect.top()), image)

    def _paint_cues(self, p: QPainter, visible: range) -> None:
        layout = self.layout_data
        if visible.stop <= visible.start:
            return
        a, b = int(layout.cue_offset[visible.start]), int(layout.cue_offset[visible.stop])
        if b <= a:
            return
        x0 = self._xs(layout.cue_start[a:b])
        x1 = self._xs(layout.cue_end[a:b])
        lanes = layout.cue_lane[a:b]
        narrow = (x1 - x0) < 3
        if narrow.any():
            for lane, name in enumerate(LANES):
                mask = narrow & (lanes == lane)
                if mask.any():
                    self._fill_runs(p, x0[mask], x1[mask], lane_top(lane) + 2, LANE_H - 4, LANE_COLORS[name])
        wide = np.flatnonzero(~narrow)
        if not wide.size:
            return
        p.setFont(self._small)
        fm = self._fm_small
        white = QPen(QColor(255, 255, 255), 1.5)
        text_pen = QPen(QColor(16, 17, 19))
        drag_item = self._drag.item if (self._drag and self._drag.active) else None
        for k in wide.tolist():
            item = layout.cue_items[a + k]
            if item is drag_item:
                continue  # drawn by _paint_drag at its preview position
            selected = self.selected_cue == (item.shot_id, item.cue_id)
            self._paint_cue_box(p, self.cue_rect(item), LANE_COLORS[LANES[item.lane]], item, selected, white,
                                text_pen, fm)

    def _paint_cue_box(self, p, rect: QRectF, color: QColor, item: CueItem, selected: bool, white, text_pen,
                       fm) -> None:
        fill = color if not item.natural else color.darker(112)
        p.fillRect(rect, fill)
        if self.media is not None and rect.width() > 12:
            self._paint_waveform(p, rect, item)
        if item.natural and rect.width() > 12:  # natural length: the estimate fades out at the tail
            tail = QRectF(rect.right() - min(18.0, rect.width() / 3), rect.top(), min(18.0, rect.width() / 3),
                          rect.height())
            p.fillRect(tail, QBrush(_LANE_BG, Qt.BrushStyle.Dense4Pattern))
        if selected:
            p.setPen(white)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(rect.adjusted(0.75, 0.75, -0.75, -0.75))
        if rect.width() > 26:
            label = _static_text(self._static, item.label, fm, rect.width() - 9)
            if self.media is not None:  # the label on a patch of the lane colour, above the waveform
                p.fillRect(QRectF(rect.left() + 2, rect.center().y() - fm.height() / 2,
                                  min(label.size().width() + 6, rect.width() - 4), fm.height()), fill)
            p.setPen(text_pen)
            p.drawStaticText(QPointF(rect.left() + 5, rect.center().y() - fm.height() / 2), label)

    def _paint_seams(self, p: QPainter, visible: range, h: int) -> None:
        if not self.seam_flags:
            return
        layout = self.layout_data
        lines, marks = [], QPainterPath()
        for shot_id in self.seam_flags:  # the flags are few; the visible clips may be many
            clip = layout.clip_of(shot_id)
            if clip is None or clip.index == 0 or clip.index not in visible:
                continue
            x = self.x_of(clip.start)
            lines.append(QLineF(x, RULER_H, x, VIDEO_TOP + VIDEO_H))
            marks.addPolygon(QPolygonF([QPointF(x - 7, RULER_H - 12), QPointF(x + 7, RULER_H - 12),
                                        QPointF(x, RULER_H + 1), QPointF(x - 7, RULER_H - 12)]))
        if not lines:
            return
        p.setPen(QPen(theme.WARNING, 1, Qt.PenStyle.DashLine))
        p.drawLines(lines)
        p.fillPath(marks, theme.WARNING)

    def _paint_drag(self, p: QPainter, h: int) -> None:
        drag = self._drag
        if drag is None or not drag.active:
            return
        if drag.item is not None and drag.clip is not None:
            item = drag.item
            origin = drag.clip.origin
            row = self.cue_rect(item)
            rect = QRectF(self.x_of(origin + drag.start), row.top(),
                          max(2.0, (drag.end - drag.start) * self.ppf - 1), row.height())
            self._paint_cue_box(p, rect, LANE_COLORS[LANES[item.lane]].lighter(115), item, True,
                                QPen(QColor(255, 255, 255), 1.5), QPen(QColor(16, 17, 19)), self._fm_small)
        elif drag.clip is not None and drag.kind in ("trim_in", "trim_out"):
            clip = drag.clip
            rect = self.clip_rect(clip)
            scale = clip.take_scale
            if drag.kind == "trim_in":
                x = self.x_of(clip.start + (drag.start - clip.trim_in) * scale)
                label = f"In {drag.start}"
            else:
                old_out = clip.trim_out or clip.take_frames
                new_out = drag.end or clip.take_frames
                x = self.x_of(clip.end + (new_out - old_out) * scale)
                label = f"Out {new_out}"
            p.fillRect(QRectF(x - 1, rect.top() - 2, 3, rect.height() + 4), theme.ACCENT)
            p.setFont(self._bold)
            p.setPen(theme.TEXT)
            p.drawText(QPointF(x + 5, rect.top() + 14), label)
        if drag.snapped is not None:
            x = self.x_of(drag.snapped)
            p.setPen(QPen(_SNAP, 1, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(x, RULER_H), QPointF(x, h))

    def _paint_headers(self, p: QPainter, h: int) -> None:
        p.fillRect(0, 0, HEADER_W, h, theme.PANEL)
        p.setPen(theme.BORDER)
        p.drawLine(HEADER_W - 1, 0, HEADER_W - 1, h)
        p.setFont(self._bold)
        p.setPen(theme.TEXT)
        p.drawText(QRectF(10, VIDEO_TOP, HEADER_W - 14, VIDEO_H), Qt.AlignmentFlag.AlignVCenter, "Video")
        p.setFont(self._small)
        for lane, name in enumerate(LANES):
            top = lane_top(lane)
            p.fillRect(QRectF(6, top + 6, 4, LANE_H - 12), LANE_COLORS[name])
            p.setPen(theme.TEXT_DIM)
            p.drawText(QRectF(16, top, HEADER_W - 20, LANE_H), Qt.AlignmentFlag.AlignVCenter, LANE_TITLES[name])

    # ---- mouse ------------------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        x, y = event.position().x(), event.position().y()
        if x < HEADER_W:
            return
        if y < RULER_H:
            self._drag = _Drag("playhead", x, active=True)
            self._scrub(x)
            return
        if VIDEO_TOP <= y < VIDEO_TOP + VIDEO_H:
            clip = self.layout_data.clip_at(self.frame_at(x))
            edge = self._trim_edge(x)
            if edge is not None:
                kind, clip = edge
                self._drag = _Drag(kind, x, clip=clip, start=clip.trim_in, end=clip.trim_out)
            if clip is not None:
                self.shot_clicked.emit(clip.shot_id, event.modifiers())
            return
        item = self.cue_at(x, y)
        if item is not None:
            clip = self.layout_data.clips[item.clip_index]
            rect = self.cue_rect(item)
            kind = "cue_move"
            if rect.width() > 3 * EDGE_PX:
                if x - rect.left() <= EDGE_PX:
                    kind = "cue_left"
                elif rect.right() - x <= EDGE_PX:
                    kind = "cue_right"
            start = item.cue.start
            self._drag = _Drag(kind, x, clip=clip, item=item, start=start,
                               end=start + (item.end - (clip.origin + start)))
            self.selected_cue = (item.shot_id, item.cue_id)
            if item.shot_id not in self.selected:  # the shot first: the inspector then shows its sounds
                self.shot_clicked.emit(item.shot_id, Qt.KeyboardModifier.NoModifier)
            self.cue_selected.emit(item.shot_id, item.cue_id)
            self.invalidate()
        elif self.selected_cue is not None:
            self.selected_cue = None
            self.cue_selected.emit("", "")
            self.invalidate()

    def _trim_edge(self, x: float) -> tuple[str, Clip] | None:
        """A trim handle under x: the edge of a clip that has a take (the right edge wins at a cut)."""
        frame = self.frame_at(x)
        slack = EDGE_PX / self.ppf
        for index in reversed(self.layout_data.visible_range(frame - slack, frame + slack)):
            clip = self.layout_data.clips[index]
            if not clip.has_take or self.clip_rect(clip).width() < 3 * EDGE_PX:
                continue
            if abs(x - self.x_of(clip.end)) <= EDGE_PX:
                return "trim_out", clip
            if abs(x - self.x_of(clip.start)) <= EDGE_PX:
                return "trim_in", clip
        return None

    def mouseMoveEvent(self, event) -> None:
        x, y = event.position().x(), event.position().y()
        drag = self._drag
        if drag is None:
            self._update_cursor(x, y)
            return
        if drag.kind == "playhead":
            self._scrub(x)
            return
        if not drag.active and abs(x - drag.press_x) < DRAG_START_PX:
            return
        drag.active = True
        delta = (x - drag.press_x) / self.ppf
        if drag.item is not None:
            self._preview_cue(drag, delta)
        else:
            self._preview_trim(drag, delta)
        self.invalidate()

    def _preview_cue(self, drag: _Drag, delta: float) -> None:
        item, clip = drag.item, drag.clip
        cue = item.cue
        origin = clip.origin
        start0 = cue.start
        end0 = start0 + (item.end - (origin + start0)) if not cue.duration else start0 + cue.duration
        drag.snapped = None
        if drag.kind == "cue_move":
            length = end0 - start0
            raw = origin + start0 + delta
            s_frame, s_target = self.snap(raw)
            e_frame, e_target = self.snap(raw + length)
            if s_target is not None and (e_target is None or abs(s_frame - raw) <= abs(e_frame - raw - length)):
                new_start, drag.snapped = s_frame - origin, s_target
            elif e_target is not None:
                new_start, drag.snapped = e_frame - length - origin, e_target
            else:
                new_start = int(round(raw)) - origin
            new_start = edits.cue_moved_to(new_start, clip.shot.duration)
            drag.start, drag.end = new_start, new_start + length
        elif drag.kind == "cue_right":
            frame, drag.snapped = self.snap(origin + end0 + delta)
            drag.start, drag.end = start0, edits.cue_end_to(start0, frame - origin)
        else:  # cue_left: the end stays, the start moves
            frame, drag.snapped = self.snap(origin + start0 + delta)
            drag.start, drag.end = edits.cue_start_to(frame - origin, end0, clip.shot.duration), end0

    def _preview_trim(self, drag: _Drag, delta: float) -> None:
        clip = drag.clip
        scale = clip.take_scale
        drag.snapped = None
        if drag.kind == "trim_in":
            frame, drag.snapped = self.snap(clip.start + delta)
            d_take = int(round((frame - clip.start) / scale))
            drag.start, drag.end = edits.trim_in_to(clip.trim_in, clip.trim_out, clip.take_frames, d_take)
        else:
            frame, drag.snapped = self.snap(clip.end + delta)
            d_take = int(round((frame - clip.end) / scale))
            drag.start, drag.end = edits.trim_out_to(clip.trim_in, clip.trim_out, clip.take_frames, d_take)

    def mouseReleaseEvent(self, event) -> None:
        drag, self._drag = self._drag, None
        if drag is None:
            return
        if drag.kind == "playhead" or not drag.active:
            self.invalidate()
            return
        if drag.item is not None:
            command = edits.cue_edit(drag.clip.shot_id, drag.item.cue, drag.kind.removeprefix("cue_"),
                                     drag.start, drag.end)
        else:
            clip = drag.clip
            command = edits.trim_edit(clip.shot_id, clip.trim_in, clip.trim_out, drag.start, drag.end)
        if command is not None:
            self.execute(command, whole_gesture=True)
        self.invalidate()

    def _scrub(self, x: float) -> None:
        frame, _ = self.snap(self.frame_at(x)) if self.snapping else (int(round(self.frame_at(x))), None)
        frame = max(0, min(frame, max(0, self.layout_data.duration - 1)))
        if frame != self.playhead:
            self.playhead = frame
            self.playhead_moved.emit(frame)
            self.update()  # the cached picture stays: only the playhead moves

    def _update_cursor(self, x: float, y: float) -> None:
        shape = Qt.CursorShape.ArrowCursor
        if x >= HEADER_W:
            if VIDEO_TOP <= y < VIDEO_TOP + VIDEO_H and self._trim_edge(x) is not None:
                shape = Qt.CursorShape.SizeHorCursor
            else:
                item = self.cue_at(x, y)
                if item is not None:
                    rect = self.cue_rect(item)
                    near_edge = rect.width() > 3 * EDGE_PX and (x - rect.left() <= EDGE_PX
                                                               or rect.right() - x <= EDGE_PX)
                    shape = Qt.CursorShape.SizeHorCursor if near_edge else Qt.CursorShape.OpenHandCursor
        if self.cursor().shape() != shape:
            self.setCursor(shape)

    def wheelEvent(self, event) -> None:
        dy = event.angleDelta().y() or event.angleDelta().x()
        if not dy:
            return
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom_by(1.25 ** (dy / 120), event.position().x())
        else:
            self.set_scroll(self.scroll - dy / 120 * 80)
        event.accept()

    def keyPressEvent(self, event) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self.selected_cue:
            shot_id, cue_id = self.selected_cue
            if self.execute(RemoveAudioCue(shot_id, cue_id)):
                self.selected_cue = None
                self.cue_selected.emit("", "")
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(1.5)
        elif key == Qt.Key.Key_Minus:
            self.zoom_by(1 / 1.5)
        elif key == Qt.Key.Key_Backslash:
            self.fit()
        elif key == Qt.Key.Key_S:
            self.set_snapping(not self.snapping)
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Right) and self.selected_cue \
                and event.modifiers() & Qt.KeyboardModifier.AltModifier:
            self.nudge_cue(-1 if key == Qt.Key.Key_Left else 1)
        else:
            super().keyPressEvent(event)

    def nudge_cue(self, frames: int) -> bool:
        """Move the selected sound by whole frames (Alt+←/→); repeated nudges are one undo step."""
        if not self.selected_cue:
            return False
        item = self.layout_data.cue(*self.selected_cue)
        if item is None:
            return False
        clip = self.layout_data.clips[item.clip_index]
        command = edits.nudge_cue(item.shot_id, item.cue, frames, clip.shot.duration)
        return self.execute(command) if command is not None else False

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            text = self.tooltip_at(event.pos().x(), event.pos().y())  # a QHelpEvent
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def tooltip_at(self, x: float, y: float) -> str:
        fps = self.layout_data.fps
        if VIDEO_TOP <= y < VIDEO_TOP + VIDEO_H:
            clip = self.layout_data.clip_at(self.frame_at(x))
            if clip is None:
                return ""
            flag = self.seam_flags.get(clip.shot_id)
            lines = [f"{clip.number}. {clip.title}".strip(), f"{format_timecode(clip.start, fps)} · "
                     f"{format_duration(clip.length, fps)}"]
            if clip.has_take:
                lines.append(f"Take in {clip.trim_in}, out {clip.trim_out or clip.take_frames} "
                             f"of {clip.take_frames} frames (drag the edges to trim)")
            else:
                lines.append("No take yet: the slate shows the planned duration")
            if clip.shot_id in self.withdrawn:
                lines.append(f"⚠ {self.withdrawn[clip.shot_id]}: replace the take or remove the shot to export")
            if flag:
                lines.append(f"⚠ {flag}")
            return "\n".join(lines)
        if y < RULER_H:
            clip = self.layout_data.clip_at(self.frame_at(x))
            if clip is not None and clip.shot_id in self.seam_flags and abs(self.x_of(clip.start) - x) < 9:
                return self.seam_flags[clip.shot_id]
            return ""
        item = self.cue_at(x, y)
        if item is None:
            return ""
        length = "natural length" if item.natural else format_duration(item.cue.duration, fps)
        return f"{LANE_TITLES[LANES[item.lane]]}: {item.label}\nStarts at frame {item.cue.start} of the shot · {length}"


def _static_text(cache: dict, text: str, metrics: QFontMetrics | None = None, width: float = 0) -> QStaticText:
    """A laid-out label, elided to `width` when metrics are given; cached by text, font and width."""
    key = (text, id(metrics), int(width))
    static = cache.get(key)
    if static is None:
        if len(cache) > 4000:
            cache.clear()
        shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, int(width)) if metrics is not None else text
        static = cache[key] = QStaticText(shown)
        static.setTextFormat(Qt.TextFormat.PlainText)
    return static


@lru_cache(maxsize=4096)
def _duration_text(frames: int, fps) -> str:
    return format_duration(frames, fps)


def _clip_info(clip: Clip, fps) -> str:
    return _duration_text(clip.length, fps) + ("" if clip.has_take else " · no take")


def _coverage(x0: np.ndarray, x1: np.ndarray, width: int) -> np.ndarray:
    """Which of `width` pixel columns the intervals [x0, x1) cover (each at least one column)."""
    c0 = np.clip(np.floor(x0).astype(np.int64), HEADER_W, width)
    c1 = np.clip(np.maximum(np.ceil(x1).astype(np.int64), c0 + 1), HEADER_W, width)
    keep = c1 > c0
    size = width + 1
    depth = np.cumsum(np.bincount(c0[keep], minlength=size)[:size] - np.bincount(c1[keep], minlength=size)[:size])
    return depth[:width] > 0


def _short_timecode(frame: int, fps) -> str:
    """'0:03' / '1:02:10' for the ruler; frames appear only at frame-level zoom."""
    rate = max(1, math.ceil(fps))
    seconds, ff = divmod(int(frame), rate)
    m, s = divmod(seconds, 60)
    hh, m = divmod(m, 60)
    text = f"{hh}:{m:02d}:{s:02d}" if hh else f"{m}:{s:02d}"
    return text if ff == 0 else f"{text}+{ff:02d}"
