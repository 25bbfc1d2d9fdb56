"""The timeline: the cut on a time axis with audio lanes (`TimelinePanel`, `TimelineCanvas`)."""
from .canvas import SHORTCUTS, TimelineCanvas
from .layout import TimelineLayout, build_layout
from .panel import TimelinePanel

__all__ = ["SHORTCUTS", "TimelineCanvas", "TimelineLayout", "TimelinePanel", "build_layout"]
