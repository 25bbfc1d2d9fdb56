"""Hit-testing on the timeline canvas: which lane, cue, clip or trim handle is under a point.

A mixin of `TimelineCanvas` (needs `TimelineView`'s `x_of` / `frame_at`, and the canvas's `layout_data`, `ppf`)."""
from __future__ import annotations

from PySide6.QtCore import QRectF

from .geometry import EDGE_PX, LANE_H, VIDEO_H, VIDEO_TOP, lane_top
from .layout import LANES, Clip, CueItem


class TimelineHits:
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

    def cue_edge(self, item: CueItem, x: float) -> str | None:
        """'left' / 'right' when x grabs an edge of the cue's box (boxes too narrow to trim have none)."""
        rect = self.cue_rect(item)
        if rect.width() <= 3 * EDGE_PX:
            return None
        if x - rect.left() <= EDGE_PX:
            return "left"
        if rect.right() - x <= EDGE_PX:
            return "right"
        return None
