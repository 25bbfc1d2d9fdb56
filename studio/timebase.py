"""Time as integer frames at a Fraction rate: conversions, durations typed by users, timecode.

Float seconds never hold a position: 30000/1001 fps would drift. Timecode is non-drop-frame at the
nominal (rounded up) rate, which is what previs and most offline edits use.
"""
from __future__ import annotations

import math
import re
from fractions import Fraction

from engine.jobs import parse_fps

from .errors import UserError

__all__ = ["parse_fps", "frames_to_seconds", "seconds_to_frames", "parse_duration", "format_timecode",
           "parse_timecode", "format_duration", "nominal_rate", "samples_for_frames"]

MAX_FRAMES = 24 * 60 * 60 * 4  # four hours at 24 fps: far beyond any one shot, catches typos like 72000s


def nominal_rate(fps: Fraction) -> int:
    """Frames per timecode second: 24 for 24000/1001, 30 for 30000/1001."""
    return math.ceil(fps)


def frames_to_seconds(frames: int, fps: Fraction) -> Fraction:
    return Fraction(frames) / fps


def seconds_to_frames(seconds: Fraction | float | int, fps: Fraction) -> int:
    """Nearest frame; halves round up so 0.5 frame is the next frame (display convention)."""
    value = Fraction(seconds) * fps
    return int(math.floor(value + Fraction(1, 2)))


def samples_for_frames(frames: int, fps: Fraction, sample_rate: int = 48000) -> int:
    """Exact sample position of a frame boundary (rounded to the nearest sample)."""
    return int(math.floor(Fraction(frames) * sample_rate / fps + Fraction(1, 2)))


_DURATION = re.compile(r"^\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>f|fr|frames?|s|sec|secs|seconds?|ms)?\s*$", re.I)


def parse_duration(text: str | int, fps: Fraction) -> int:
    """'3s', '2.5s', '72f', '500ms' or a timecode '00:00:03:00' -> whole frames (>= 1). Typed text needs a unit;
    an int is frames."""
    if isinstance(text, int) and not isinstance(text, bool):
        frames = text
    else:
        raw = str(text).strip()
        if raw.count(":") >= 1:
            frames = parse_timecode(raw, fps)
        else:
            match = _DURATION.match(raw)
            if not match:
                raise UserError(f"duration: {raw!r} is not like 3s, 72f, 500ms or 00:00:03:00")
            if not match["unit"]:  # a bare '3' once silently meant 3 frames
                raise UserError(f"duration: {raw!r} needs a unit: {raw}s for seconds or {raw}f for frames "
                                "(e.g. 3s, 72f, 500ms)")
            number = Fraction(match["num"])
            unit = match["unit"].lower()
            if unit.startswith("f"):
                if number.denominator != 1:
                    raise UserError(f"duration: {raw!r} is not a whole number of frames")
                frames = int(number)
            elif unit == "ms":
                frames = seconds_to_frames(number / 1000, fps)
            else:
                frames = seconds_to_frames(number, fps)
    if frames < 1:
        raise UserError(f"duration: {text!r} is shorter than one frame")
    if frames > MAX_FRAMES:
        raise UserError(f"duration: {text!r} is longer than four hours")
    return frames


def format_timecode(frames: int, fps: Fraction, *, sign: bool = False) -> str:
    """HH:MM:SS:FF (non-drop) at the nominal rate."""
    rate = nominal_rate(fps)
    negative = frames < 0
    frames = abs(int(frames))
    ff = frames % rate
    total_seconds = frames // rate
    text = f"{total_seconds // 3600:02d}:{total_seconds // 60 % 60:02d}:{total_seconds % 60:02d}:{ff:02d}"
    return ("-" if negative else ("+" if sign else "")) + text


def parse_timecode(text: str, fps: Fraction) -> int:
    parts = text.strip().replace(";", ":").split(":")
    if not 2 <= len(parts) <= 4 or not all(p.isdigit() for p in parts):
        raise UserError(f"timecode: {text!r} is not like HH:MM:SS:FF")
    rate = nominal_rate(fps)
    values = [int(p) for p in parts]
    while len(values) < 4:
        values.insert(0, 0)
    hh, mm, ss, ff = values
    if ff >= rate or ss >= 60 or mm >= 60:
        raise UserError(f"timecode: {text!r} has a field out of range at {float(fps):g} fps")
    return ((hh * 60 + mm) * 60 + ss) * rate + ff


def format_duration(frames: int, fps: Fraction) -> str:
    """'3.0s (72f)': what the storyboard cards and the CLI show."""
    seconds = float(frames_to_seconds(frames, fps))
    return f"{seconds:.1f}s ({frames}f)"
