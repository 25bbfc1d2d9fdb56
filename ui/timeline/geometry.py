"""The timeline canvas's geometry in pixels: where the ruler, the video lane and the audio lanes sit.

Who uses it: the canvas and its view / hit-testing / painting parts (`ui.timeline.view`, `.hits`, `.paint`)."""
from __future__ import annotations

from .layout import LANES

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


def lane_top(lane: int) -> int:
    return LANE_TOP + lane * (LANE_H + LANE_GAP)


CANVAS_H = lane_top(len(LANES)) + 6
