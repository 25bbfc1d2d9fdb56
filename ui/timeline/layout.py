"""What the timeline draws, in timeline frames: one clip per shot and its audio cues per lane.

Clip positions come from `studio.playlist.build_edit_list` (the edit list the viewer plays and the
export renders), so the timeline's frames are the viewer's frames: a shot with a take spans its trimmed
take, a shot without one its planned duration, a crossfade overlaps its neighbour.

A cue sits at `clip.origin + cue.start` (`origin` = where the shot's frame 0 would be, i.e. the
clip's start minus its source in point) and is clipped to the clip. A cue of natural length
(duration 0) is drawn with a display estimate (beds: to the end of the shot); that estimate is only a
drawing aid, never written back.

Built on the GUI thread when the document changes (debounced by the panel). An edit that does not move
any clip (a sound cue dragged, a prompt typed) only re-places that shot's cues (`update_shots`); the
edit list is rebuilt only when a shot's length, take, trim or transition changes. Painting reads the
flat numpy arrays (`clip_start`, `cue_start`, ...) so a zoomed-out view of 1,000 shots is a few
vectorized operations, not thousands of Python calls.
"""
from __future__ import annotations

import bisect
import math
from fractions import Fraction
from pathlib import Path
from typing import Iterable, NamedTuple

import numpy as np

from engine.cues import AudioCue, AudioKind
from studio.model import Project, Shot, TransitionKind
from studio.playlist import build_edit_list

LANES: tuple[str, ...] = tuple(k.value for k in AudioKind)  # dialogue, sfx, ambience, music
_LANE_OF = {name: i for i, name in enumerate(LANES)}
_BEDS = (AudioKind.AMBIENCE, AudioKind.MUSIC)

# natural-length estimates (display only): espeak speaks ~2.8 words a second; one-shot effects ~1 s
_WORDS_PER_S = 2.8
_SFX_S = 1.0
_FILE_S = 2.0


class Clip(NamedTuple):
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


class CueItem(NamedTuple):
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


def _timing(shot: Shot) -> tuple:
    """What decides where clips are: when it is unchanged, an edit only re-places the shot's cues."""
    return (shot.duration, shot.selected_take, shot.trim_in, shot.trim_out, shot.transition)


class TimelineLayout:
    def __init__(self, fps: Fraction = Fraction(24)):
        self.fps = Fraction(fps)
        self.clips: list[Clip] = []
        self.cues: list[list[CueItem]] = []   # per clip index
        self.duration = 0
        self.error = ""
        self._starts: list[int] = []
        self._ends_max: list[int] = []        # running max of clip ends (crossfades overlap)
        self._by_shot: dict[str, int] = {}
        # flat arrays for painting (cues of clip i are cue_*[cue_offset[i]:cue_offset[i + 1]])
        self.clip_start = np.zeros(0, np.float64)
        self.clip_end = np.zeros(0, np.float64)
        self.cue_start = np.zeros(0, np.float64)
        self.cue_end = np.zeros(0, np.float64)
        self.cue_lane = np.zeros(0, np.int32)
        self.cue_offset = np.zeros(1, np.int64)
        self.clip_take = np.zeros(0, bool)
        self.cue_items: list[CueItem] = []
        # shot id -> (thumbnail path, video path, take frames) of the selected take: the pictures on clips
        self.media: dict[str, tuple[str, str, int]] = {}

    def finish(self) -> "TimelineLayout":
        self._starts = [c.start for c in self.clips]
        running = 0
        self._ends_max = []
        for c in self.clips:
            running = max(running, c.end)
            self._ends_max.append(running)
        self._by_shot = {c.shot_id: c.index for c in self.clips}
        self.duration = self._ends_max[-1] if self.clips else 0
        self.clip_start = np.array(self._starts, np.float64)
        self.clip_end = np.array([c.end for c in self.clips], np.float64)
        self.clip_take = np.array([c.has_take for c in self.clips], bool)
        self._flatten_cues()
        return self

    def _flatten_cues(self) -> None:
        flat = [item for items in self.cues for item in items]
        self.cue_items = flat
        self.cue_start = np.array([c.start for c in flat], np.float64)
        self.cue_end = np.array([c.end for c in flat], np.float64)
        self.cue_lane = np.array([c.lane for c in flat], np.int32)
        self.cue_offset = np.zeros(len(self.cues) + 1, np.int64)
        np.cumsum([len(items) for items in self.cues], out=self.cue_offset[1:])

    # ---- look-ups ---------------------------------------------------------------------------------
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

    # ---- incremental update -------------------------------------------------------------------------
    def update_shots(self, project: Project, shot_ids: Iterable[str]) -> bool:
        """Take edited shots whose clips did not move (same length, take, trims, transition): replace
        them and re-place their cues. False when a full rebuild is needed instead."""
        updates = []
        for shot_id in shot_ids:
            index = self._by_shot.get(shot_id)
            if index is None:
                return False
            try:
                shot = project.shot(shot_id)
            except Exception:
                return False
            if _timing(shot) != _timing(self.clips[index].shot):
                return False
            updates.append((index, shot))
        fps = float(self.fps)
        for index, shot in updates:
            clip = self.clips[index]._replace(shot=shot, title=shot.title)
            self.clips[index] = clip
            self.cues[index] = _place_cues(clip, fps)
        self._flatten_cues()
        return True


def natural_frames(cue: AudioCue, shot: Shot, fps: float) -> int:
    """How long a cue is drawn: its duration, or an estimate of its natural length."""
    if cue.duration:
        return cue.duration
    if cue.kind in _BEDS:
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


def _place_cues(clip: Clip, fps: float) -> list[CueItem]:
    """The clip's cues on the timeline, clipped to it; overlapping cues of a lane get their own row."""
    shot = clip.shot
    origin = clip.start - clip.source_in
    placed: dict[int, list[tuple[int, int, AudioCue]]] = {}
    for cue in shot.audio:
        start = origin + cue.start
        lo = max(start, clip.start)
        hi = min(start + natural_frames(cue, shot, fps), clip.end)
        if hi > lo:  # else outside what the cut plays of this shot (trimmed away)
            placed.setdefault(_LANE_OF[cue.kind.value], []).append((lo, hi, cue))
    items: list[CueItem] = []
    for lane in sorted(placed):
        ends: list[int] = []
        rows = []
        for lo, hi, cue in sorted(placed[lane], key=lambda t: (t[0], t[1])):
            row = next((r for r, end in enumerate(ends) if end <= lo), len(ends))
            if row == len(ends):
                ends.append(hi)
            else:
                ends[row] = hi
            rows.append((lo, hi, cue, row))
        for lo, hi, cue, row in rows:
            natural = not cue.duration and cue.kind not in _BEDS
            items.append(CueItem(shot.id, cue.cue_id, lane, lo, hi, natural, cue_label(cue), cue, clip.index,
                                 row, len(ends)))
    return items


def build_layout(project: Project, folder) -> TimelineLayout:
    """The whole cut (every scene in order), as the viewer plays it."""
    layout = TimelineLayout(project.fps)
    try:
        edit = build_edit_list(project, folder=folder)
    except Exception as exc:  # a broken take must not blank the timeline: say why, draw nothing
        layout.error = str(exc)
        return layout.finish()
    shots = {s.id: s for _, s in project.shots()}
    fps = float(project.fps)
    one = Fraction(1)
    for index, entry in enumerate(edit.entries):
        shot = shots[entry.shot_id]
        take = project.takes.get(shot.selected_take) if not entry.is_slate else None
        scale = Fraction(project.fps) / Fraction(take.fps) if take is not None and take.fps else one
        clip = Clip(index, shot.id, entry.shot_number, shot.title, entry.record_in, entry.record_out,
                    entry.source_in, take is not None, shot.trim_in, shot.trim_out,
                    take.frames if take is not None else 0, scale, entry.overlap_in, shot)
        layout.clips.append(clip)
        layout.cues.append(_place_cues(clip, fps) if shot.audio else [])
        if take is not None:
            files = take.files
            video = files.get("proxy") or files.get("video") or ""
            layout.media[shot.id] = (str(Path(folder) / files["thumbnail"]) if files.get("thumbnail") else "",
                                     str(Path(folder) / video) if video else "", take.frames)
    return layout.finish()


def is_crossfade(clip: Clip) -> bool:
    return clip.shot.transition.kind is TransitionKind.CROSSFADE and clip.crossfade_in > 0
