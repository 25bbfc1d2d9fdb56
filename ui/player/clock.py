"""Clocks the transport reads: elapsed seconds as an exact Fraction since the clock was created.

The audio clock (audio_out.AudioClock) is the master when a device exists; `MonotonicClock` stands in
when it does not; `ManualClock` lets tests and benchmarks decide exactly when time passes.
"""
from __future__ import annotations

import threading
import time
from fractions import Fraction


class Clock:
    """Base: `elapsed()` never goes backwards. `follow` tells an audio clock what the picture does
    (anchor frame, anchor time, rate) so it can play the matching sound; other clocks ignore it."""

    name = "clock"

    def elapsed(self) -> Fraction:
        raise NotImplementedError

    def follow(self, anchor_frame: int, anchor_time: Fraction, rate: int, fps: Fraction) -> None:
        pass

    def close(self) -> None:
        pass


class MonotonicClock(Clock):
    name = "monotonic"

    def __init__(self) -> None:
        self._origin = time.monotonic_ns()

    def elapsed(self) -> Fraction:
        return Fraction(time.monotonic_ns() - self._origin, 1_000_000_000)


class ManualClock(Clock):
    """Time moves only when told to: `advance(seconds)` or `advance_frames(n, fps)`."""

    name = "manual"

    def __init__(self) -> None:
        self._now = Fraction(0)
        self._lock = threading.Lock()

    def elapsed(self) -> Fraction:
        with self._lock:
            return self._now

    def advance(self, seconds: Fraction | int) -> Fraction:
        seconds = Fraction(seconds)
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        with self._lock:
            self._now += seconds
            return self._now

    def advance_frames(self, frames: int, fps: Fraction) -> Fraction:
        return self.advance(Fraction(frames) / Fraction(fps))
