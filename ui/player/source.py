"""What the player plays: a frozen edit list of proxy segments on an integer-frame timeline.

The studio's playlist builder turns a cut, a shot or a single take into a `PlayList`; the player never
sees the document. Positions are integer frames at the project rate (a `Fraction`), never float seconds.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from fractions import Fraction


class PlayListError(ValueError):
    """An impossible playlist (negative range, overlapping segments, bad rate) handed to the player."""


@dataclass(frozen=True)
class PlaySegment:
    """`source_in`..`source_out` (exclusive) frames of `video_path`, shown from `record_in` on the timeline.

    `video_path` is a take's scrubbing proxy whose frame n is frame n at the project rate; `audio_path`
    (a WAV whose sample 0 is the take's frame 0) is optional.
    """
    video_path: str
    audio_path: str | None
    source_in: int
    source_out: int
    record_in: int
    label: str = ""
    overlay_path: str | None = None   # a control pass drawn over the picture, frame for frame (passes.py)

    def __post_init__(self) -> None:
        for name in ("source_in", "source_out", "record_in"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise PlayListError(f"{name} must be an integer frame, got {value!r}")
        if self.source_in < 0 or self.record_in < 0:
            raise PlayListError(f"segment {self.label or self.video_path!r} starts before frame 0")
        if self.source_out <= self.source_in:
            raise PlayListError(f"segment {self.label or self.video_path!r} is empty "
                                f"(source_in {self.source_in}, source_out {self.source_out})")
        object.__setattr__(self, "video_path", str(self.video_path))
        if self.audio_path is not None:
            object.__setattr__(self, "audio_path", str(self.audio_path))

    @property
    def duration(self) -> int:
        return self.source_out - self.source_in

    @property
    def record_out(self) -> int:
        """First timeline frame after this segment."""
        return self.record_in + self.duration

    def source_frame(self, frame: int) -> int:
        return self.source_in + (frame - self.record_in)


@dataclass(frozen=True)
class PlayList:
    """Segments sorted by `record_in`, not overlapping; gaps between them play as black."""
    segments: tuple[PlaySegment, ...]
    fps: Fraction
    width: int
    height: int
    _starts: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "segments", tuple(self.segments))
        try:
            fps = Fraction(self.fps)
        except (TypeError, ValueError) as exc:
            raise PlayListError(f"frame rate {self.fps!r} is not a number") from exc
        if fps <= 0:
            raise PlayListError(f"frame rate must be positive, got {self.fps}")
        object.__setattr__(self, "fps", fps)
        if self.width <= 0 or self.height <= 0:
            raise PlayListError(f"picture size {self.width}x{self.height} is empty")
        end = 0
        for seg in self.segments:
            if seg.record_in < end:
                raise PlayListError(f"segment {seg.label or seg.video_path!r} at frame {seg.record_in} "
                                    f"overlaps the previous one (ends at {end}) or is out of order")
            end = seg.record_out
        object.__setattr__(self, "_starts", tuple(s.record_in for s in self.segments))

    @classmethod
    def single(cls, video_path: str, frames: int, fps: Fraction, width: int, height: int,
               audio_path: str | None = None, label: str = "") -> "PlayList":
        """One take played whole: what the takes panel hands the player."""
        return cls((PlaySegment(video_path, audio_path, 0, frames, 0, label),), fps, width, height)

    @property
    def duration(self) -> int:
        """Frames on the timeline; valid positions are 0 .. duration - 1."""
        return self.segments[-1].record_out if self.segments else 0

    def segment_index(self, frame: int) -> int | None:
        i = bisect.bisect_right(self._starts, frame) - 1
        if i < 0 or frame >= self.segments[i].record_out:
            return None
        return i

    def segment_at(self, frame: int) -> PlaySegment | None:
        i = self.segment_index(frame)
        return None if i is None else self.segments[i]

    def source_at(self, frame: int) -> tuple[str, int] | None:
        """(proxy path, frame in that proxy) shown at timeline `frame`, or None in a gap."""
        seg = self.segment_at(frame)
        if seg is None:
            return None
        # a pass over the picture is its own frame (cache key): the two files, joined by a newline
        path = seg.video_path if not seg.overlay_path else f"{seg.video_path}\n{seg.overlay_path}"
        return path, seg.source_frame(frame)

    def cuts(self) -> tuple[int, ...]:
        """Timeline frames where a segment starts or ends (the ↑/↓ stops), sorted."""
        points = set()
        for seg in self.segments:
            points.add(seg.record_in)
            points.add(seg.record_out)
        return tuple(sorted(points))


def timecode(frame: int, fps: Fraction) -> str:
    """HH:MM:SS:FF counted at the nominal integer rate (non-drop-frame, as for 29.97 NDF)."""
    nominal = max(1, round(Fraction(fps)))
    sign = "-" if frame < 0 else ""
    frame = abs(int(frame))
    ff = frame % nominal
    seconds = frame // nominal
    return f"{sign}{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}:{ff:02d}"
