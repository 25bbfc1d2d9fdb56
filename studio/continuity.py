"""What a shot inherits from the shot before it, and which shots went stale because of it.

A shot with continuity 'previous' is conditioned on the selected take of the shot before it in the
same scene: its last frame (diffusion: first frame of the new clip; previs: exact end state of the
world). The new take records that source (take id + frame). When that source stops being the
upstream's selected take, the shot is stale, and so is everything chained after it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from engine.jobs import Conditioning

from .errors import UserError
from .model import BibleKind, Continuity, Project, Shot, Take


@dataclass(frozen=True)
class Inheritance:
    """What a request for `shot` starts from. `source` is None for a fresh shot."""
    conditioning: Conditioning
    start_state: Mapping[str, Any] | None
    source: Take | None


def upstream_take(project: Project, shot: Shot) -> Take | None:
    """The take this shot chains from: the previous shot's selected take, when continuity is 'previous'."""
    if shot.continuity is not Continuity.PREVIOUS:
        return None
    previous = project.previous_shot(shot.id)
    if previous is None or not previous.selected_take:
        return None
    take = project.takes.get(previous.selected_take)
    return take


def last_used_frame(shot: Shot, take: Take) -> int:
    """The frame of `take` the cut leaves on: the trim out point, else the take's last frame."""
    end = shot.trim_out if shot.trim_out else take.frames
    return max(0, min(end, take.frames) - 1)


def inheritance(project: Project, folder: Path, shot: Shot) -> Inheritance:
    """Build the conditioning of a request for `shot` from the project as it is now."""
    folder = Path(folder)
    references = tuple(str(folder / image) for ref in shot.bible_refs
                       for entry in [project.bible_entry(ref)] for image in entry.reference_images)
    for ref in shot.bible_refs:
        entry = project.bible_entry(ref)
        if entry.kind is BibleKind.CHARACTER and not entry.usable:
            raise UserError(f"{entry.name} is marked as a real person and has no consent record: "
                            "add one in the bible before generating this shot")
    board = str(folder / shot.board_image) if shot.board_image else None
    if shot.continuity is Continuity.NONE:
        return Inheritance(Conditioning(first_frame=board), None, None)
    if shot.continuity is Continuity.REFERENCE:
        return Inheritance(Conditioning(first_frame=board, references=references), None, None)
    source = upstream_take(project, shot)
    if source is None:
        return Inheritance(Conditioning(first_frame=board, references=references), None, None)
    previous = project.previous_shot(shot.id)
    assert previous is not None
    frame = last_used_frame(previous, source)
    trimmed = frame != source.frames - 1
    if not trimmed and source.files.get("last_frame"):
        first_frame = str(folder / source.files["last_frame"])
    else:
        first_frame = str(cut_frame_png(folder, source, frame))
    conditioning = Conditioning(first_frame=first_frame, references=references, source_take_id=source.id,
                                source_frame=frame)
    # The previs world state is recorded for the take's last frame only; a trimmed end has no exact state.
    start_state = None if trimmed else source.end_state
    return Inheritance(conditioning, start_state, source)


def cut_frame_png(folder: Path, take: Take, frame: int) -> Path:
    """The exact frame a trimmed take leaves the cut on, as a lossless PNG in media/cache (made once)."""
    from engine.fsio import atomic_path
    from engine.frames import read_frames
    from PIL import Image
    target = Path(folder) / "media" / "cache" / f"{take.id}.frame{frame}.png"
    if not target.exists():
        media = take.files.get("video") or take.files.get("proxy")
        if not media:
            raise UserError(f"take {take.id} has no video to take frame {frame} from")
        pixels = read_frames(Path(folder) / media, [frame])[frame]
        with atomic_path(target) as tmp:
            Image.fromarray(pixels).save(tmp, format="PNG")
    return target


def stale_shots(project: Project) -> dict[str, str]:
    """shot id -> why it is stale. A shot is stale when the take it was conditioned on is no longer
    the upstream's selected take (re-chosen, regenerated, trashed), or when its upstream is stale."""
    stale: dict[str, str] = {}
    for seq in project.sequences:
        for index, shot in enumerate(seq.shots):
            take = project.takes.get(shot.selected_take) if shot.selected_take else None
            if take is None or shot.continuity is not Continuity.PREVIOUS or index == 0:
                continue
            previous = seq.shots[index - 1]
            name = previous.title or previous.id
            if take.source_take_id and take.source_take_id != previous.selected_take:
                stale[shot.id] = (f"made from take {take.source_take_id} of '{name}', "
                                  "which is no longer its selected take")
            elif not take.source_take_id and previous.selected_take:
                stale[shot.id] = f"made before '{name}' had its current take"
            elif previous.id in stale:
                stale[shot.id] = f"'{name}' upstream is stale"
    return stale


def default_continuity(project: Project, seq_id: str, index: int | None, shot: Shot) -> Continuity:
    """What a new shot starts from: 'none' for the first shot of the project and of every scene (a new
    scene is a new setup); later shots chain onto the previous take ('previous') only when the shot plan
    says they continue the same setup ('continues', 'still', 'CONTINUOUS'), else they start fresh."""
    from .shotplan import plan_for_shot  # the reader imports the model only; keep continuity light to import
    seq = project.sequence(seq_id)
    position = len(seq.shots) if index is None else index
    if position == 0:
        return Continuity.NONE
    return Continuity.PREVIOUS if plan_for_shot(project, seq, shot).continues_setup else Continuity.NONE
