"""Painting the timeline canvas: ruler, clips (pictures, labels), cues (waveforms), seams, marks, the drag
preview, lane headers, the playhead; everything but the playhead cached in one pixmap.

A mixin of `TimelineCanvas`: it reads the canvas's state (`layout_data`, `ppf`, `scroll`, `playhead`,
`selected`, `selected_cue`, `seam_flags`, `withdrawn`, `marks`, `media`, `_drag`, fonts, `_static`, `_base`)
and the view transform / hit-testing parts; it changes nothing but `_base` and its text caches."""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import (QBrush, QColor, QFontMetrics, QImage, QPainter, QPainterPath, QPen, QPixmap, QPolygonF,
                           QStaticText)

from studio.timebase import format_duration, format_timecode

from .. import theme
from .geometry import HEADER_W, LANE_H, RULER_H, VIDEO_H, VIDEO_TOP, lane_top
from .layout import LANES, Clip, CueItem, is_crossfade

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


class TimelinePainting:
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
