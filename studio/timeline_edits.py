"""The timeline's edit rules, on the model and without Qt (as Kdenlive keeps them in its timeline model):
how far a trim or a cue drag may go, and which ONE command a finished gesture becomes.

Frames: a shot's trim is in take frames (`trim_out` 0 = to the take's end); a cue's start/end are frames
from the shot's frame 0. The canvas turns pixels into frames (and snaps them); these functions clamp the
frames and build the command, so the same rules hold for any other caller (keyboard, scripts, tests).

Who calls: `ui.timeline.canvas.TimelineCanvas` (drag previews, release, Alt+arrow nudges)."""
from __future__ import annotations

from typing import Optional

from .commands import Command, SetAudioCue, SetTrim
from .model import AudioCue

# ---- trims (take frames) -------------------------------------------------------------------------

def trim_in_to(trim_in: int, trim_out: int, take_frames: int, delta: int) -> tuple[int, int]:
    """(in, out) after dragging the in point by `delta` take frames: at least one frame stays."""
    out = trim_out or take_frames
    return min(max(0, trim_in + delta), out - 1), trim_out


def trim_out_to(trim_in: int, trim_out: int, take_frames: int, delta: int) -> tuple[int, int]:
    """(in, out) after dragging the out point by `delta` take frames: within the take, at least one frame;
    reaching the take's end stores 0 (to the end, whatever the take's length later)."""
    out = min(max(trim_in + 1, (trim_out or take_frames) + delta), take_frames)
    return trim_in, 0 if out >= take_frames else out


def trim_edit(shot_id: str, trim_in: int, trim_out: int, new_in: int, new_out: int) -> Optional[Command]:
    """The command of a finished trim drag, or None when it ends where it began."""
    if (new_in, new_out) == (trim_in, trim_out):
        return None
    return SetTrim(shot_id, new_in, new_out)


# ---- audio cues (shot frames) ---------------------------------------------------------------------

def _last_start(shot_duration: int) -> int:
    return max(0, shot_duration - 1)  # a cue starts inside its shot (it may run past the shot's end)


def cue_moved_to(start: int, shot_duration: int) -> int:
    """Where a moved cue may start: inside its shot."""
    return min(max(0, start), _last_start(shot_duration))


def cue_end_to(start: int, end: int) -> int:
    """A dragged right edge: at least one frame after the start."""
    return max(start + 1, end)


def cue_start_to(start: int, end: int, shot_duration: int) -> int:
    """A dragged left edge (the end stays): inside the shot, at least one frame before the end."""
    return min(max(0, start), end - 1, _last_start(shot_duration))


def cue_edit(shot_id: str, cue: AudioCue, kind: str, start: int, end: int) -> Optional[Command]:
    """The command of a finished cue drag (`kind` 'move' keeps the duration, 'left'/'right' set it), or
    None when nothing changed."""
    if kind == "move":
        return SetAudioCue(shot_id, cue.with_(start=start)) if start != cue.start else None
    duration = end - start
    if (start, duration) == (cue.start, cue.duration):
        return None
    return SetAudioCue(shot_id, cue.with_(start=start, duration=duration))


def nudge_cue(shot_id: str, cue: AudioCue, frames: int, shot_duration: int) -> Optional[Command]:
    """Move a cue by whole frames (inside its shot), or None at the limit."""
    start = cue_moved_to(cue.start + frames, shot_duration)
    return SetAudioCue(shot_id, cue.with_(start=start)) if start != cue.start else None
