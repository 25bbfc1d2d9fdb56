"""The player's transport: position, J/K/L shuttle rate, marks and loop, as a plain state machine.

No Qt and no clock of its own: it reads elapsed time from the `now` callable it is given (the audio
clock, a monotonic clock or a test's manual clock) and turns it into a frame by exact Fraction maths.
While playing, the position is `anchor_frame + slot * rate`, where `slot` counts frame periods since the
last re-anchor (play, seek, rate change); a display that misses a slot has dropped a frame.
"""
from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

SHUTTLE_SPEEDS = (1, 2, 4, 8)


@dataclass(frozen=True)
class Tick:
    position: int
    slot: int          # frame periods since the anchor, monotonic while the anchor holds
    anchor_serial: int  # changes whenever the position jumps for a reason other than time passing


class Transport:
    """Who calls: `PlayerWidget` for every key and timer tick; tests drive it with a fake `now`."""

    def __init__(self, now: Callable[[], Fraction], fps: Fraction = Fraction(24)) -> None:
        self._now = now
        self.fps = Fraction(fps)
        self.duration = 0
        self.cuts: tuple[int, ...] = ()
        self.position = 0
        self.rate = 0                  # signed speed: 0 paused, ±1, ±2, ±4, ±8
        self.loop = False
        self.mark_in: int | None = None
        self.mark_out: int | None = None
        self.anchor_serial = 0
        self._anchor_frame = 0
        self._anchor_time = Fraction(0)
        self._slot = 0

    # --- loading and ranges -------------------------------------------------------------------
    def load(self, duration: int, cuts: tuple[int, ...] = (), fps: Fraction | None = None) -> None:
        """A new playlist: paused at frame 0, marks cleared (loop stays as the user set it)."""
        if fps is not None:
            self.fps = Fraction(fps)
        self.duration = max(0, int(duration))
        self.cuts = tuple(sorted(set(cuts)))
        self.mark_in = self.mark_out = None
        self.rate = 0
        self._jump(0)

    @property
    def playing(self) -> bool:
        return self.rate != 0

    @property
    def last_frame(self) -> int:
        return max(0, self.duration - 1)

    def play_range(self) -> tuple[int, int]:
        """Inclusive frames playback stays in: the marks when looping, else the whole playlist."""
        if not self.loop:
            return 0, self.last_frame
        lo = self.mark_in if self.mark_in is not None else 0
        hi = self.mark_out if self.mark_out is not None else self.last_frame
        return (lo, hi) if lo <= hi else (0, self.last_frame)

    # --- commands ---------------------------------------------------------------------------------
    def seek(self, frame: int) -> int:
        """Jump to `frame` (clamped); playback, if running, continues from there."""
        self._jump(self._clamp(frame))
        return self.position

    def step(self, n: int) -> int:
        """Frame step: always pauses first, like every NLE."""
        self.rate = 0
        return self.seek(self.position + n)

    def play(self) -> None:
        self._set_rate(1)

    def pause(self) -> None:
        self._set_rate(0)

    def toggle(self) -> None:
        self._set_rate(0 if self.playing else 1)

    def shuttle(self, direction: int) -> None:
        """L (+1) / J (-1): start at 1x, each further press in the same direction doubles up to 8x;
        the other direction restarts at 1x that way. K (0) stops."""
        if direction == 0:
            self._set_rate(0)
            return
        sign = 1 if direction > 0 else -1
        if self.rate * sign > 0:
            i = SHUTTLE_SPEEDS.index(abs(self.rate))
            speed = SHUTTLE_SPEEDS[min(i + 1, len(SHUTTLE_SPEEDS) - 1)]
        else:
            speed = 1
        self._set_rate(sign * speed)

    def next_cut(self) -> int:
        i = bisect.bisect_right(self.cuts, self.position)
        return self.seek(self.cuts[i] if i < len(self.cuts) else self.last_frame)

    def prev_cut(self) -> int:
        i = bisect.bisect_left(self.cuts, self.position) - 1
        return self.seek(self.cuts[i] if i >= 0 else 0)

    def home(self) -> int:
        return self.seek(0)

    def end(self) -> int:
        return self.seek(self.last_frame)

    def set_mark_in(self, frame: int | None = None) -> None:
        if not self.duration:
            return
        self.mark_in = self._clamp(self.position if frame is None else frame)
        if self.mark_out is not None and self.mark_out < self.mark_in:
            self.mark_out = None       # an in after the out replaces the range, as in Premiere/Resolve
        self._reanchor()

    def set_mark_out(self, frame: int | None = None) -> None:
        if not self.duration:
            return
        self.mark_out = self._clamp(self.position if frame is None else frame)
        if self.mark_in is not None and self.mark_in > self.mark_out:
            self.mark_in = None
        self._reanchor()

    def clear_marks(self) -> None:
        self.mark_in = self.mark_out = None
        self._reanchor()

    def set_loop(self, on: bool) -> None:
        self.loop = bool(on)
        self._reanchor()

    @property
    def anchor(self) -> tuple[int, Fraction]:
        """(frame, clock time) playback is counted from: what an audio clock needs to follow."""
        return self._anchor_frame, self._anchor_time

    # --- time -------------------------------------------------------------------------------------
    def advance(self) -> Tick:
        """Where the playhead is now; stops (rate 0) at either end of the range when not looping, and
        re-anchors exactly at the wrap when looping (so sound and picture both jump back)."""
        if self.rate:
            slot = max(0, math.floor((self._now() - self._anchor_time) * self.fps))
            position, ended = self._position_for_slot(slot)
            wrapped = self.loop and position != self._anchor_frame + slot * self.rate
            self._slot = slot
            self.position = position
            if ended:
                self.rate = 0
                self._reanchor()
            elif wrapped:
                self._anchor_time += Fraction(slot) / self.fps
                self._anchor_frame = position
                self._slot = 0
                self.anchor_serial += 1
        return Tick(self.position, self._slot, self.anchor_serial)

    def upcoming(self, count: int) -> list[int]:
        """Frames the display will want next, most urgent first: the decode-ahead list."""
        if not self.rate:
            out = [self.position]
            for k in range(1, 3):      # paused: the neighbours a frame step will ask for
                out += [f for f in (self.position + k, self.position - k) if 0 <= f <= self.last_frame]
            return out
        out: list[int] = []
        for k in range(count):
            frame, ended = self._position_for_slot(self._slot + k)
            if ended and out:
                break
            out.append(frame)
        return out

    # --- internals --------------------------------------------------------------------------------
    def _position_for_slot(self, slot: int) -> tuple[int, bool]:
        raw = self._anchor_frame + slot * self.rate
        lo, hi = self.play_range()
        if self.loop:
            span = hi - lo + 1
            return (lo + (raw - lo) % span if self.rate > 0 else hi - (hi - raw) % span), False
        if raw > hi:
            return hi, True
        if raw < lo:
            return lo, True
        return raw, False

    def _set_rate(self, rate: int) -> None:
        if rate and not self.rate:
            self._prepare_start(rate)
        self.rate = rate if self.duration else 0
        self._reanchor()

    def _prepare_start(self, rate: int) -> None:
        """Starting playback at the far end of the range begins again from the near end."""
        lo, hi = self.play_range()
        if self.loop and not lo <= self.position <= hi:
            self._jump(lo if rate > 0 else hi)
        elif rate > 0 and self.position >= hi:
            self._jump(lo)
        elif rate < 0 and self.position <= lo:
            self._jump(hi)

    def _jump(self, frame: int) -> None:
        self.position = frame
        self._reanchor()

    def _reanchor(self) -> None:
        self._anchor_frame = self.position
        self._anchor_time = Fraction(self._now())
        self._slot = 0
        self.anchor_serial += 1

    def _clamp(self, frame: int) -> int:
        return min(max(0, int(frame)), self.last_frame)
