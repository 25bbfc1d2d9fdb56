"""The cut as the interchange writers see it: every shot in order with its number, take and ranges.

The OTIO timeline, the storyboard PDF and the contact sheet all number shots the same way (1-based
across the whole cut, as `Project.resolve_shot` does) and pick the same picture for a shot. Timing comes
from `studio.playlist.build_edit_list` when that module is present, so the editor's timeline and the
exported MP4 agree frame for frame; otherwise it is derived from the model the same way.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..model import Project, Sequence, Shot, Take, TakeStatus, Transition


@dataclass(frozen=True)
class CutShot:
    number: int                 # 1-based position in the whole cut
    sequence: Sequence
    shot: Shot
    take: Take | None           # None: no usable take, the shot is a gap of shot.duration
    media: Path | None          # absolute path of the take's video (or proxy)
    source_in: int              # frames into the take at the project rate
    source_out: int             # exclusive
    record_in: int              # frames from the start of the cut
    transition: Transition

    @property
    def duration(self) -> int:
        return self.source_out - self.source_in

    @property
    def record_out(self) -> int:
        return self.record_in + self.duration


def usable_take(project: Project, shot: Shot) -> Take | None:
    """The shot's selected take when it exists, is not trashed and has a video (or proxy) file."""
    take = project.takes.get(shot.selected_take) if shot.selected_take else None
    if take is None or take.status is TakeStatus.TRASHED:
        return None
    if not (take.files.get("video") or take.files.get("proxy")):
        return None
    return take


def _take_range(shot: Shot, take: Take) -> tuple[int, int]:
    total = take.frames or shot.duration
    source_in = min(shot.trim_in, max(total - 1, 0))
    source_out = shot.trim_out if shot.trim_out else total
    source_out = min(max(source_out, source_in + 1), max(total, source_in + 1))
    return source_in, source_out


def cut_shots(project: Project, folder: str | Path) -> list[CutShot]:
    folder = Path(folder)
    out: list[CutShot] = []
    record = 0
    for number, (seq, shot) in enumerate(project.shots(), start=1):
        take = usable_take(project, shot)
        if take is not None:
            rel = take.files.get("video") or take.files["proxy"]
            media: Path | None = (folder / rel).resolve()
            source_in, source_out = _take_range(shot, take)
        else:
            media, source_in, source_out = None, 0, shot.duration
        transition = shot.transition if out else Transition()  # nothing to blend from before the first
        item = CutShot(number, seq, shot, take, media, source_in, source_out, record, transition)
        out.append(item)
        record += item.duration
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
