"""Frame-exact reads of a few frames from a take (seam checks, colour match, conditioning frames).

PyAV: seek backward to the keyframe before the first wanted frame, then decode forward and keep the
frames whose index (from pts at the stream rate) is wanted. Frame indices are 0-based.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Iterable

import numpy as np

from .errors import EngineError, ErrorKind


def _open(path: str | Path):
    import av
    try:
        return av.open(str(path))
    except (OSError, av.error.FFmpegError) as exc:  # type: ignore[attr-defined]
        raise EngineError(ErrorKind.BAD_INPUT, f"cannot read video {Path(path).name}: {exc}",
                          "Regenerate the take, or check that the file exists.") from exc


def video_info(path: str | Path) -> tuple[int, Fraction, int, int]:
    """(frame count, fps, width, height) of a video file."""
    with _open(path) as container:
        stream = container.streams.video[0]
        fps = Fraction(stream.average_rate or stream.guessed_rate or 24)
        count = stream.frames
        if not count and stream.duration is not None and stream.time_base is not None:
            count = round(float(stream.duration * stream.time_base * fps))
        if not count:
            count = sum(1 for _ in container.decode(stream))
        return int(count), fps, stream.codec_context.width, stream.codec_context.height


def read_frames(path: str | Path, indices: Iterable[int]) -> dict[int, np.ndarray]:
    """The wanted frames as uint8 RGB arrays, keyed by index. Missing indices raise BAD_INPUT."""
    wanted = sorted(set(int(i) for i in indices))
    if not wanted:
        return {}
    if wanted[0] < 0:
        raise EngineError(ErrorKind.BAD_INPUT, f"frame {wanted[0]} does not exist")
    out: dict[int, np.ndarray] = {}
    with _open(path) as container:
        stream = container.streams.video[0]
        fps = Fraction(stream.average_rate or stream.guessed_rate or 24)
        base = stream.time_base
        start = stream.start_time or 0
        target_pts = start + int(Fraction(wanted[0]) / fps / base)
        container.seek(target_pts, stream=stream, backward=True, any_frame=False)
        for frame in container.decode(stream):
            if frame.pts is None:
                continue
            index = round((frame.pts - start) * base * fps)
            if index in wanted:
                out[index] = frame.to_ndarray(format="rgb24")
            if index >= wanted[-1]:
                break
    missing = [i for i in wanted if i not in out]
    if missing:
        raise EngineError(ErrorKind.BAD_INPUT, f"{Path(path).name} has no frame {missing[0]}")
    return out
