"""The cut as the interchange writers see it: every shot in order with its number, take and ranges.

Timing comes from `studio.playlist.build_edit_list`, the one definition of the cut shared with the player
and the MP4 export, so the editor's timeline, the storyboard's timecodes and the rendered file agree frame
for frame (crossfades overlap the shots, dips fade each side, shots without a usable take are slates of
their planned length). This module adds what the writers need on top: the scene, the Shot and the Take.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..model import Project, Sequence, Shot, Take, TakeStatus, Transition
from ..playlist import build_edit_list


@dataclass(frozen=True)
class CutShot:
    number: int                 # 1-based position in the whole cut
    sequence: Sequence
    shot: Shot
    take: Take | None           # None: no usable take (a slate / gap of the shot's planned length)
    media: Path | None          # absolute path of the take's video
    source_in: int              # [in, out) in project frames from the take's first frame
    source_out: int
    record_in: int              # [in, out) from the start of the cut; crossfading shots overlap
    record_out: int
    transition: Transition      # effective transition into this shot (after the playlist's clamping)
    fade_in: int = 0            # frames faded up from black at the head (dip, or the opening fade)
    fade_out: int = 0           # frames faded to black at the tail (dip into the next shot)
    overlap_in: int = 0         # frames crossfaded with the previous shot
    overlap_out: int = 0        # frames the next shot crossfades over this one's tail
    missing: str = ""           # why there is no take ('' when there is one)
    audio: Path | None = None   # absolute path of the take's sound (WAV), when it has one

    @property
    def duration(self) -> int:
        return self.record_out - self.record_in


def cut_shots(project: Project, folder: str | Path) -> list[CutShot]:
    edit = build_edit_list(project, folder=folder)
    reasons = {m.shot_id: m.reason for m in edit.missing}
    out = []
    for entry in edit.entries:
        seq = project.sequence(entry.sequence_id)
        shot = seq.shots[seq.index_of(entry.shot_id)]
        out.append(CutShot(
            number=entry.shot_number, sequence=seq, shot=shot,
            take=project.takes.get(entry.take_id) if entry.take_id else None,
            media=Path(entry.media) if entry.media else None, source_in=entry.source_in,
            source_out=entry.source_out, record_in=entry.record_in, record_out=entry.record_out,
            transition=entry.transition_in, fade_in=entry.fade_in, fade_out=entry.fade_out,
            overlap_in=entry.overlap_in, overlap_out=entry.overlap_out, missing=reasons.get(entry.shot_id, ""),
            audio=Path(entry.audio) if entry.audio else None))
    return out


def picture_for(project: Project, folder: str | Path, shot: Shot) -> Path | None:
    """What a storyboard panel shows: the selected take's thumbnail, else the board image, else None."""
    folder = Path(folder)
    take = project.takes.get(shot.selected_take) if shot.selected_take else None
    candidates = []
    if take is not None and take.status is TakeStatus.READY:
        candidates.append(take.files.get("thumbnail"))
    candidates.append(shot.board_image)
    for rel in candidates:
        if rel and (folder / rel).is_file():
            return folder / rel
    return None
