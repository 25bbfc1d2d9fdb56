"""The preview player: PyAV decode thread, byte-bounded frame cache, audio/monotonic clock and a
widget that paints frames itself. The studio builds a `PlayList` and hands it to `PlayerWidget`.

Only `widget` imports Qt, and it loads on first use, so the transport, cache and decoder stay usable
(and testable) without a QApplication.
"""
from .cache import DEFAULT_CACHE_BYTES, FrameCache
from .clock import Clock, ManualClock, MonotonicClock
from .source import PlayList, PlayListError, PlaySegment, timecode
from .transport import SHUTTLE_SPEEDS, Transport

_WIDGET_NAMES = ("PlayerWidget", "SHORTCUTS", "ASPECT_MASKS")

__all__ = ["Clock", "DEFAULT_CACHE_BYTES", "FrameCache", "ManualClock", "MonotonicClock", "PlayList",
           "PlayListError", "PlaySegment", "SHUTTLE_SPEEDS", "Transport", "timecode", *_WIDGET_NAMES]


def __getattr__(name: str):
    if name in _WIDGET_NAMES:
        from . import widget
        return getattr(widget, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
