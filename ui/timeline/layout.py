"""What the timeline draws, in timeline frames: one clip per shot and its audio cues per lane.

Clip positions come from `studio.playlist.build_edit_list` (the edit list the viewer plays and the
export renders), so the timeline's frames are the viewer's frames: a shot with a take spans its trimmed
take, a shot without one its planned duration, a crossfade overlaps its neighbour.

A cue sits at `clip.origin + cue.start` (`origin` = where the shot's frame 0 would be, i.e. the
clip's start minus its source in point) and is clipped to the clip. A cue of natural length
(duration 0) is drawn with a display estimate (beds: to the end of the shot); that estimate is only a
drawing aid, never written back.

Built on the GUI thread when the document changes (debounced by the panel); painting then only reads
these tuples, so a repaint never touches the document.
"""
from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

from engine.cues import AudioCue, AudioKind
from studio.model import Project, Shot, TransitionKind
from studio.playlist import build_edit_list

LANES: tuple[str, ...] = tuple(k.value for k in AudioKind)  # dialogue, sfx, ambience, music

# natural-length estimates (display only): espeak speaks ~2.8 words a second; one-shot effects ~1 s
_WORDS_PER_S = 2.8
_SFX_S = 1.0
_FILE_S = 2.0


@dataclass(frozen=True)
class Clip:
    index: int
    shot_id: str
    number: int
    title: str
    start: int            # timeline frames, [start, end)
    end: int
    source_in: int        # project frames into the take (0 for a slate)
    has_take: bool
    trim_in: int          # take frames (the shot's fields, for SetTrim)
    trim_out: int
    take_frames: int      # frames of the selected take at its own rate (0: no take)
    take_scale: Fraction  # project frames per take frame
    crossfade_in: int     # frames this clip overlaps the previous one
    shot: Shot

    @property
    def origin(self) -> int:
        """The timeline frame of the shot's own frame 0 (where cue offsets count from)."""
        return self.start - self.source_in

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class CueItem:
    shot_id: str
    cue_id: str
    lane: int             # index in LANES
    start: int            # timeline frames (clipped to the clip)
    end: int
    natural: bool         # duration 0 on a one-shot sound: drawn with an estimated length
    label: str
    cue: AudioCue
    clip_index: int
    row: int = 0          # overlapping cues of one lane and shot share the lane's height
    rows: int = 1


@dataclass
class TimelineLayout:
    fps: Fraction = Fraction(24)
    clips: list[Clip] = field(default_factory=list)
    cues: list[list[CueItem]] = field(default_factory=list)  # per clip index
    duration: int = 0
    error: str = ""
    _starts: list[int] = field(default_factory=list)
    _ends_max: list[int] = field(default_factory=list)  # running max of clip ends (crossfades overlap)
    _by_shot: dict[str, int] = field(default_factory=dict)

    def finish(self) -> "TimelineLayout":
        self._starts = [c.start for c in self.clips]
        running = 0
        self._ends_max = []
        for c in self.clips:
            running = max(running, c.end)
            self._ends_max.append(running)
        self._by_shot = {c.shot_id: c.index for c in self.clips}
        self.duration = self._ends_max[-1] if self.clips else 0
        return self

    def clip_of(self, shot_id: str) -> Clip | None:
        index = self._by_shot.get(shot_id)
        return self.clips[index] if index is not None else None

    def visible_range(self, first_frame: float, last_frame: float) -> range:
        """Indices of the clips that intersect [first_frame, last_frame]: two bisections, no scan."""
        lo = bisect.bisect_right(self._ends_max, first_frame)
        hi = bisect.bisect_right(self._starts, last_frame)
        return range(lo, max(lo, hi))

    def clip_at(self, frame: float) -> Clip | None:
        """The clip on top at `frame` (during a crossfade, the incoming one)."""
        for i in reversed(self.visible_range(frame, frame)):
            clip = self.clips[i]
            if clip.start <= frame < clip.end:
                return clip
        return None

    def cut_frames(self) -> list[int]:
        """Frames where a clip begins, plus the end of the cut: the snapping targets."""
        return self._starts + ([self.duration] if self.clips else [])

    def cue(self, shot_id: str, cue_id: str) -> CueItem | None:
        index = self._by_shot.get(shot_id)
        if index is None:
            return None
        return next((c for c in self.cues[index] if c.cue_id == cue_id), None)


def natural_frames(cue: AudioCue, shot: Shot, fps: Fraction) -> int:
    """How long a cue is drawn: its duration, or an estimate of its natural length."""
    if cue.duration:
        return cue.duration
    if cue.kind in (AudioKind.AMBIENCE, AudioKind.MUSIC):
        return max(1, shot.duration - cue.start)
    if cue.file:
        seconds = _FILE_S
    elif cue.kind is AudioKind.DIALOGUE:
        seconds = 0.3 + len(cue.text.split()) / _WORDS_PER_S
    else:
        seconds = _SFX_S
    return max(1, math.ceil(seconds * float(fps)))


def cue_label(cue: AudioCue) -> str:
    if cue.kind is AudioKind.DIALOGUE:
        who = f"{cue.character}: " if cue.character else ""
        return f"{who}{cue.text or Path(cue.file).name}"
    name = cue.preset or (Path(cue.file).name if cue.file else "")
    if cue.text and name:
        return f"{name} — {cue.text}"
    return name or cue.text


def build_layout(project: Project, folder) -> TimelineLayout:
    """The whole cut (every scene in order), as the viewer plays it."""
    layout = TimelineLayout(fps=project.fps)
    try:
        edit = build_edit_list(project, folder=folder)
    except Exception as exc:  # a broken take must not blank the timeline: say why, draw nothing
        layout.error = str(exc)
        return layout.finish()
    shots = {s.id: s for _, s in project.shots()}
    lane_of = {name: i for i, name in enumerate(LANES)}
    for index, entry in enumerate(edit.entries):
        shot = shots[entry.shot_id]
        take = project.takes.get(shot.selected_take) if not entry.is_slate else None
        scale = Fraction(project.fps) / Fraction(take.fps) if take is not None and take.fps else Fraction(1)
        clip = Clip(index=index, shot_id=shot.id, number=entry.shot_number, title=shot.title,
                    start=entry.record_in, end=entry.record_out, source_in=entry.source_in,
                    has_take=take is not None, trim_in=shot.trim_in, trim_out=shot.trim_out,
                    take_frames=take.frames if take is not None else 0, take_scale=scale,
                    crossfade_in=entry.overlap_in, shot=shot)
        layout.clips.append(clip)
        items = []
        for cue in shot.audio:
            start = clip.origin + cue.start
            end = start + natural_frames(cue, shot, project.fps)
            lo, hi = max(start, clip.start), min(end, clip.end)
            if hi <= lo:
                continue  # outside what the cut plays of this shot (trimmed away)
            natural = not cue.duration and cue.kind not in (AudioKind.AMBIENCE, AudioKind.MUSIC)
            items.append(CueItem(shot.id, cue.cue_id, lane_of[cue.kind.value], lo, hi, natural,
                                 cue_label(cue), cue, index))
        layout.cues.append(_stack(items))
    return layout.finish()


def _stack(items: list[CueItem]) -> list[CueItem]:
    """Give overlapping cues of one lane their own row (greedy, in start order)."""
    out: list[CueItem] = []
    for lane in sorted({i.lane for i in items}):
        ends: list[int] = []
        placed = []
        for item in sorted((i for i in items if i.lane == lane), key=lambda i: (i.start, i.end)):
            row = next((r for r, end in enumerate(ends) if end <= item.start), len(ends))
            if row == len(ends):
                ends.append(item.end)
            else:
                ends[row] = item.end
            placed.append((item, row))
        out += [replace(item, row=row, rows=len(ends)) for item, row in placed]
    return out


def is_crossfade(clip: Clip) -> bool:
    return clip.shot.transition.kind is TransitionKind.CROSSFADE and clip.crossfade_in > 0
