"""Reading conditioning media (PNG/JPEG frames, MP4 clips) as RGB uint8 arrays.

Who calls: the diffusion backend. PyAV decodes clips (there is no ffprobe on these machines).
Unreadable inputs raise BAD_INPUT naming the file, so the user knows which take or image to fix.
"""
from __future__ import annotations

from collections import deque
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import EngineError, ErrorKind


def read_image(path: str) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(path) as img:
            return np.asarray(img.convert("RGB")).copy()
    except FileNotFoundError:
        raise EngineError(ErrorKind.BAD_INPUT, f"conditioning image {path} is missing",
                          "Regenerate the previous shot or choose another image.") from None
    except (OSError, UnidentifiedImageError) as exc:
        raise EngineError(ErrorKind.BAD_INPUT, f"conditioning image {Path(path).name} is not a readable image: "
                                               f"{exc}") from exc


def read_clip(path: str, last: int | None = None) -> tuple[list[np.ndarray], Fraction]:
    """All frames of a clip (or only its `last` frames, in constant memory) and its frame rate."""
    import av
    if not Path(path).is_file():
        raise EngineError(ErrorKind.BAD_INPUT, f"conditioning clip {path} is missing")
    frames: deque | list = deque(maxlen=last) if last else []
    try:
        with av.open(path) as container:
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate or 24
            for frame in container.decode(stream):
                frames.append(frame.to_ndarray(format="rgb24"))
    except (av.error.FFmpegError, IndexError, OSError) as exc:
        raise EngineError(ErrorKind.BAD_INPUT, f"conditioning clip {Path(path).name} is not readable: {exc}") from exc
    if not frames:
        raise EngineError(ErrorKind.BAD_INPUT, f"conditioning clip {Path(path).name} has no frames")
    return list(frames), Fraction(rate).limit_denominator(1001)


def retime(frames: list[np.ndarray], src_fps: Fraction, dst_fps: Fraction, count: int, *,
           from_end: bool = False) -> list[np.ndarray]:
    """`count` frames sampled at dst_fps (nearest source frame) from the start or ending at the end."""
    step = float(Fraction(src_fps) / Fraction(dst_fps))
    n = len(frames)
    if from_end:
        picks = [n - 1 - int(round(k * step)) for k in range(count - 1, -1, -1)]
    else:
        picks = [int(round(k * step)) for k in range(count)]
    return [frames[min(max(p, 0), n - 1)] for p in picks]
