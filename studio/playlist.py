"""The edit list: what the cut IS. One source of truth for the player, the export and interchange.

Who calls: the player (what to show at frame N, slates for shots without a take), `studio.export`
(what to render), `studio.interchange` (clips, ranges, transitions) and the audio mix
(`EditList.to_audio_segments`). Everything is in integer frames at the project rate.

Rules (an NLE's, kept deliberately small):
- A shot plays its selected take from `trim_in` to `trim_out` (exclusive), or to the end of the take
  when `trim_out` is 0. `Shot.duration` is the planned length: it is used for the player's slate of a
  shot that has no usable take, not to stretch or cut a take. A take shorter than the shot therefore
  plays its own length (no frozen frames are invented; the cut stays what was generated); a take longer
  than the shot plays whole unless the user sets an out point.
- Take frames are at the take's rate; they are converted to project frames (a take at another rate is
  conformed by the export's fps filter).
- `Shot.transition` says how the cut ENTERS that shot:
  * cut: the shot starts where the previous one ends;
  * crossfade of N frames: the shot starts N frames before the previous one ends, the two overlap and
    the cut gets N frames shorter (the overlap is clamped so that no clip is overlapped for more than
    its own length; a clamp is reported in `warnings`);
  * dip to black of N frames: no overlap; the previous shot fades to black over its last N//2 frames
    and this one fades in over its first N - N//2 (the cut keeps its length);
  * on the first shot of the cut a crossfade or a dip is a fade in from black over N frames.
- A shot without a usable take (none selected, the take unknown or trashed, its video file missing)
  is listed in `missing` and still occupies `Shot.duration` frames as a slate entry (`is_slate`), so the
  player's timeline matches the storyboard. The export refuses such a cut.
"""
from __future__ import annotations

import bisect
import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Optional

from .errors import UserError
from .model import Project, Shot, Take, TakeStatus, Transition, TransitionKind
from .timebase import format_timecode, frames_to_seconds

__all__ = ["EditEntry", "MissingShot", "EditList", "build_edit_list", "CUT"]

CUT = Transition()


@dataclass(frozen=True)
class EditEntry:
    """One clip of the cut. Ranges are [in, out) in project frames; `source_*` count from the take's
    first frame, `record_*` from the start of the cut."""
    shot_id: str
    shot_number: int            # 1-based number of the shot in the whole project (as `resolve_shot`)
    take_id: str                # '' for a slate
    media: str                  # absolute path of the take's video ('' for a slate)
    proxy: str                  # absolute path of the scrubbing proxy ('' when none)
    audio: str                  # absolute path of the take's audio WAV ('' when none)
    source_in: int
    source_out: int
    record_in: int
    record_out: int
    transition_in: Transition   # effective (clamped) transition into this entry
    label: str
    sequence_id: str = ""
    title: str = ""
    fade_in: int = 0            # frames faded up from black at the head (dip to black / opening fade)
    fade_out: int = 0           # frames faded down to black at the tail (dip to black into the next)
    overlap_out: int = 0        # frames the next entry crossfades over this one's tail
    media_fps: Fraction = Fraction(0)  # the take's own rate (0 for a slate)
    media_size: tuple[int, int] = (0, 0)

    @property
    def is_slate(self) -> bool:
        return not self.take_id

    @property
    def length(self) -> int:
        return self.record_out - self.record_in

    @property
    def overlap_in(self) -> int:
        return self.transition_in.frames if self.transition_in.kind is TransitionKind.CROSSFADE else 0

    def source_frame(self, record_frame: int) -> int:
        """Which frame of the take shows at `record_frame` of the cut."""
        return self.source_in + (record_frame - self.record_in)

    def to_dict(self) -> dict[str, Any]:
        return {"shot_id": self.shot_id, "shot_number": self.shot_number, "take_id": self.take_id,
                "media": self.media, "proxy": self.proxy, "audio": self.audio, "source_in": self.source_in,
                "source_out": self.source_out, "record_in": self.record_in, "record_out": self.record_out,
                "transition_in": self.transition_in.to_dict(), "label": self.label,
                "sequence_id": self.sequence_id, "title": self.title, "fade_in": self.fade_in,
                "fade_out": self.fade_out, "overlap_out": self.overlap_out}


@dataclass(frozen=True)
class MissingShot:
    """A shot the cut cannot show. `reason` is one short phrase ('no take selected', ...)."""
    shot_id: str
    shot_number: int
    title: str
    reason: str

    def describe(self) -> str:
        name = f"shot {self.shot_number}" + (f" '{self.title}'" if self.title else "")
        return f"{name}: {self.reason}"


@dataclass(frozen=True)
class EditList:
    fps: Fraction
    width: int
    height: int
    entries: tuple[EditEntry, ...]
    missing: tuple[MissingShot, ...] = ()
    warnings: tuple[str, ...] = ()
    title: str = ""
    _starts: tuple[int, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_starts", tuple(e.record_in for e in self.entries))

    # ---- time ------------------------------------------------------------------------------------
    @property
    def duration(self) -> int:
        """Frames from the first frame to the end of the last clip (overlaps counted once)."""
        return max((e.record_out for e in self.entries), default=0)

    @property
    def duration_seconds(self) -> Fraction:
        return frames_to_seconds(self.duration, self.fps)

    def timecode(self, frame: int) -> str:
        return format_timecode(frame, self.fps)

    def cuts(self) -> list[tuple[int, str, EditEntry]]:
        """(record frame, timecode, entry) where each entry begins: the timeline's cut marks."""
        return [(e.record_in, self.timecode(e.record_in), e) for e in self.entries]

    # ---- look-ups --------------------------------------------------------------------------------
    def entries_at(self, frame: int) -> list[EditEntry]:
        """Every entry covering `frame`: two during a crossfade (outgoing first), else one or none."""
        if not self.entries or frame < 0 or frame >= self.duration:
            return []
        index = bisect.bisect_right(self._starts, frame) - 1
        found = []
        for entry in self.entries[max(0, index - 1):index + 2]:
            if entry.record_in <= frame < entry.record_out:
                found.append(entry)
        return found

    def entry_at(self, frame: int) -> Optional[EditEntry]:
        """The entry on top at `frame` (during a crossfade the incoming one), None outside the cut."""
        found = self.entries_at(frame)
        return found[-1] if found else None

    def index_of(self, shot_id: str) -> int:
        for i, entry in enumerate(self.entries):
            if entry.shot_id == shot_id:
                return i
        raise UserError(f"shot {shot_id} is not in this cut")

    @property
    def playable(self) -> tuple[EditEntry, ...]:
        return tuple(e for e in self.entries if not e.is_slate)

    def require_complete(self, what: str = "export the cut") -> None:
        """Raise a UserError naming every shot without a usable take (the export calls this first)."""
        if not self.entries:
            raise UserError(f"cannot {what}: the cut has no shots")
        if self.missing:
            listed = "; ".join(m.describe() for m in self.missing)
            count = len(self.missing)
            raise UserError(f"cannot {what}: {count} shot{'s' if count > 1 else ''} "
                            f"{'have' if count > 1 else 'has'} no usable take — {listed}")

    # ---- audio -----------------------------------------------------------------------------------
    def to_audio_segments(self) -> list:
        """The cut's audio as `studio.audio.CutAudioSegment`s: each take's WAV over its clip's range,
        crossfades as overlapping fades, dips as fades to silence. Clips without audio are skipped."""
        from .audio import CutAudioSegment  # lazy: audio is optional for the player's use of this module
        segments = []
        for entry in self.entries:
            if entry.is_slate or not entry.audio:
                continue
            segments.append(CutAudioSegment(entry.audio, entry.source_in, entry.source_out, entry.record_in,
                                            fade_in=entry.fade_in or entry.overlap_in,
                                            fade_out=entry.fade_out or entry.overlap_out))
        return segments

    def to_dict(self) -> dict[str, Any]:
        return {"fps": f"{self.fps.numerator}/{self.fps.denominator}", "width": self.width,
                "height": self.height, "duration": self.duration, "title": self.title,
                "entries": [e.to_dict() for e in self.entries],
                "missing": [m.__dict__ for m in self.missing], "warnings": list(self.warnings)}


# ---- building -----------------------------------------------------------------------------------

def build_edit_list(project: Project, *, sequence_id: str | None = None,
                    folder: str | os.PathLike) -> EditList:
    """The cut of one scene (`sequence_id`) or of the whole project (all scenes in order).
    `folder` is the project folder the take paths are relative to."""
    root = Path(folder).resolve()
    numbers = {shot.id: n for n, (_, shot) in enumerate(project.shots(), start=1)}
    sequences = [project.sequence(sequence_id)] if sequence_id else list(project.sequences)
    warnings: list[str] = []
    missing: list[MissingShot] = []
    clips: list[dict[str, Any]] = []
    for seq in sequences:
        for shot in seq.shots:
            number = numbers[shot.id]
            clip = _clip_for(project, root, shot, number, warnings)
            if isinstance(clip, str):
                missing.append(MissingShot(shot.id, number, shot.title, clip))
                clip = {"take": None, "source_in": 0, "source_out": shot.duration}
            clip.update(shot=shot, number=number, sequence_id=seq.id)
            clips.append(clip)
    entries = _place(clips, warnings)
    title = project.sequence(sequence_id).heading if sequence_id else project.name
    return EditList(project.fps, project.width, project.height, tuple(entries), tuple(missing),
                    tuple(warnings), title or project.name)


def _clip_for(project: Project, root: Path, shot: Shot, number: int, warnings: list[str]):
    """The source range of a shot's selected take in project frames, or a reason it has none."""
    if not shot.selected_take:
        return "no take selected"
    take = project.takes.get(shot.selected_take)
    if take is None:
        return f"its selected take {shot.selected_take} is not in the project"
    if take.status is TakeStatus.TRASHED:
        return f"its selected take {take.id} is in the trash"
    rel = take.files.get("video")
    if not rel:
        return f"its take {take.id} has no video file"
    media = root / rel
    if not media.is_file():
        return f"take file missing: {rel}"
    take_fps = take.fps or project.fps
    take_frames = take.frames or _probe_frames(media, take_fps)
    scale = Fraction(project.fps) / Fraction(take_fps)
    available = _to_project(take_frames, scale)
    source_in = _to_project(shot.trim_in, scale)
    source_out = _to_project(shot.trim_out, scale) if shot.trim_out else available
    if source_out > available:
        warnings.append(f"shot {number}: out point {shot.trim_out} is past the end of take {take.id} "
                        f"({take_frames} frames); playing to the end of the take")
        source_out = available
    if source_out <= source_in:
        return f"its trim ({shot.trim_in}..{shot.trim_out or take_frames}) leaves no frames of take {take.id}"
    return {"take": take, "media": str(media), "proxy": _abs(root, take.files.get("proxy")),
            "audio": _abs(root, take.files.get("audio")), "source_in": source_in, "source_out": source_out}


def _place(clips: list[dict[str, Any]], warnings: list[str]) -> list[EditEntry]:
    """Lay the clips on the record timeline, resolving each transition against its neighbours."""
    entries: list[EditEntry] = []
    record = 0
    prev_overlap_in = 0
    for i, clip in enumerate(clips):
        shot: Shot = clip["shot"]
        length = clip["source_out"] - clip["source_in"]
        transition = shot.transition
        fade_in = 0
        if i == 0 and transition.kind is not TransitionKind.CUT:
            # Nothing to mix with: open the cut with a fade from black of the same length.
            frames = min(transition.frames, length)
            transition, fade_in = Transition(TransitionKind.DIP_TO_BLACK, frames), frames
        elif transition.kind is TransitionKind.CROSSFADE:
            prev = entries[-1]
            limit = min(prev.length - prev_overlap_in, length)
            frames = min(transition.frames, limit)
            if frames < transition.frames:
                warnings.append(f"shot {clip['number']}: crossfade shortened from {transition.frames} to "
                                f"{frames} frames (the clips are too short)")
            if frames <= 0:
                transition = Transition()
            else:
                transition = Transition(TransitionKind.CROSSFADE, frames)
                record -= frames
                entries[-1] = _replace(prev, overlap_out=frames)
        elif transition.kind is TransitionKind.DIP_TO_BLACK:
            prev = entries[-1]
            out_frames = min(transition.frames // 2, prev.length - prev.fade_in - prev_overlap_in)
            fade_in = min(transition.frames - transition.frames // 2, length)
            entries[-1] = _replace(prev, fade_out=max(0, out_frames))
            transition = Transition(TransitionKind.DIP_TO_BLACK, max(1, max(0, out_frames) + fade_in))
        take: Optional[Take] = clip["take"]
        entries.append(EditEntry(
            shot_id=shot.id, shot_number=clip["number"], take_id=take.id if take else "",
            media=clip.get("media", ""), proxy=clip.get("proxy", ""), audio=clip.get("audio", ""),
            source_in=clip["source_in"], source_out=clip["source_out"], record_in=record,
            record_out=record + length, transition_in=transition,
            label=f"{clip['number']}. {shot.title}" if shot.title else f"Shot {clip['number']}",
            sequence_id=clip["sequence_id"], title=shot.title, fade_in=fade_in,
            media_fps=Fraction(take.fps) if take else Fraction(0),
            media_size=(take.width, take.height) if take else (0, 0)))
        prev_overlap_in = transition.frames if transition.kind is TransitionKind.CROSSFADE else 0
        record += length
    return entries


def _replace(entry: EditEntry, **changes: Any) -> EditEntry:
    from dataclasses import replace
    return replace(entry, **changes)


def _to_project(frames: int, scale: Fraction) -> int:
    """Take frames -> project frames (nearest; identity when the rates match)."""
    return int(Fraction(frames) * scale + Fraction(1, 2)) if scale != 1 else int(frames)


def _abs(root: Path, rel: Optional[str]) -> str:
    if not rel:
        return ""
    path = root / rel
    return str(path) if path.is_file() else ""


def _probe_frames(path: Path, fps: Fraction) -> int:
    """Frame count of a take recorded without one (older takes, imports): PyAV's header count, else
    the stream duration at the take's rate."""
    import av
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            if stream.frames:
                return int(stream.frames)
            if stream.duration is not None and stream.time_base is not None:
                return int(Fraction(stream.duration) * stream.time_base * fps + Fraction(1, 2))
            if container.duration:
                return int(Fraction(container.duration, 1_000_000) * fps + Fraction(1, 2))
    except (av.error.FFmpegError, IndexError, OSError) as exc:
        raise UserError(f"cannot read the take {path.name}: {exc}") from None
    raise UserError(f"cannot tell how many frames the take {path.name} has")
