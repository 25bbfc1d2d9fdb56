"""The cut as an OpenTimelineIO timeline, and the editor formats written from it through the OTIO adapters.

`.otio` is the lossless master (every clip carries `metadata['shotreel']`). FCP 7 XML, FCPXML and CMX 3600
EDL are written by the installed adapter packages; each drops something (see FIELD-NOTES): FCP 7 XML loses
track markers and custom metadata and writes a dip to black as a cross dissolve; FCPXML loses transitions
and metadata; the EDL keeps the picture track only, shortens reel names to 8 characters, moves each cut to
the start of its dissolve (CMX convention) and writes drop-frame timecode at 29.97. None of the three
writes a trailing gap (shots without takes at the very end of the cut).
Called by `shotreel export PROJECT -o FILE.{otio,xml,fcpxml,edl}` and the export dialog.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio

from engine.fsio import atomic_write_text

from ..errors import UserError
from ..model import Project, TransitionKind
from .cut import CutShot, cut_shots

# extension -> OTIO adapter name
ADAPTERS = {".otio": "otio_json", ".xml": "fcp_xml", ".fcpxml": "fcpx_xml", ".edl": "cmx_3600"}

DIALOGUE_COLOR = otio.schema.MarkerColor.YELLOW
NOTE_COLOR = otio.schema.MarkerColor.BLUE


def _rt(frames: int, rate: float) -> otio.opentime.RationalTime:
    return otio.opentime.RationalTime(frames, rate)


def _range(start: int, duration: int, rate: float) -> otio.opentime.TimeRange:
    return otio.opentime.TimeRange(_rt(start, rate), _rt(duration, rate))


def _clip_metadata(project: Project, item: CutShot) -> dict[str, Any]:
    shot, take = item.shot, item.take
    meta: dict[str, Any] = {
        "shot_id": shot.id, "shot_number": item.number, "title": shot.title, "scene": item.sequence.heading,
        "scene_id": item.sequence.id, "prompt": shot.prompt, "dialogue": shot.dialogue, "notes": shot.notes,
        "camera": shot.camera.to_dict(), "motion": [m.to_dict() for m in shot.motion],
        "transition": item.transition.to_dict(), "record_in": item.record_in, "record_out": item.record_out,
        "source_in": item.source_in, "source_out": item.source_out, "fade_in": item.fade_in,
        "fade_out": item.fade_out, "missing": item.missing,
        "take_id": "", "seed": shot.seed, "model": shot.model, "backend": shot.backend or project.default_backend,
    }
    if take is not None:
        meta.update({
            "take_id": take.id, "seed": take.seed, "model": take.model_id, "backend": take.backend,
            "compiled_prompt": take.prompt, "operation": take.operation, "parent_take_id": take.parent_take_id,
            "conditioning": {"source_take_id": take.source_take_id, "source_frame": take.source_frame},
            "take_fps": f"{take.fps.numerator}/{take.fps.denominator}", "take_frames": take.frames,
            "renderer_version": take.renderer_version,
        })
    return meta


def _markers(item: CutShot, rate: float, visible_start: int, head: int, length: int) -> list[otio.schema.Marker]:
    """Dialogue cues at their offset in the shot and the notes at its first visible frame, in the clip's
    source time (`visible_start` = source frame at the clip's cut point, `head` = frames of the shot hidden
    under the incoming crossfade before it)."""
    markers = []
    for cue in item.shot.audio:
        if cue.kind.value != "dialogue":
            continue
        offset = min(max(cue.start - head, 0), max(length - 1, 0))
        span = min(cue.duration, length - offset) if cue.duration else 0
        who = f"{cue.character}: " if cue.character else ""
        markers.append(otio.schema.Marker(
            name=f"{who}{cue.text}".strip() or Path(cue.file).name,
            marked_range=_range(visible_start + offset, span, rate), color=DIALOGUE_COLOR,
            metadata={"shotreel": {"kind": "dialogue", "cue": cue.to_dict()}}))
    if item.shot.notes.strip():
        markers.append(otio.schema.Marker(
            name="Note", comment=item.shot.notes.strip(), marked_range=_range(visible_start, 0, rate),
            color=NOTE_COLOR, metadata={"shotreel": {"kind": "note"}}))
    return markers


def _split(frames: int) -> tuple[int, int]:
    """A crossfade of N frames as an OTIO transition centred on the cut: (before the cut, after it)."""
    before = frames // 2
    return before, frames - before


def _transition(previous: CutShot, item: CutShot, rate: float) -> otio.schema.Transition | None:
    """The transition into `item`. A crossfade overlaps the two shots in the cut (the playlist starts the
    incoming shot N frames early); OTIO expresses that as a cut in the middle of the overlap with each
    clip's hidden part used as a handle. A dip to black does not overlap: the outgoing shot fades out over
    its last frames, the incoming one fades in; OTIO has no type for it, so it is a Custom transition
    named 'Dip to Black' spanning those fades (FCP 7 XML writes it as a dissolve, the EDL as a 'D')."""
    kind = item.transition.kind
    if kind is TransitionKind.CROSSFADE and item.overlap_in > 0:
        before, after = _split(item.overlap_in)
        name, ttype = "Cross Dissolve", otio.schema.TransitionTypes.SMPTE_Dissolve
    elif kind is TransitionKind.DIP_TO_BLACK and previous.fade_out + item.fade_in > 0:
        before, after = previous.fade_out, item.fade_in
        name, ttype = "Dip to Black", otio.schema.TransitionTypes.Custom
    else:
        return None
    return otio.schema.Transition(name=name, transition_type=ttype, in_offset=_rt(before, rate),
                                  out_offset=_rt(after, rate),
                                  metadata={"shotreel": {"kind": kind.value, "frames": before + after}})


def _item_range(item: CutShot) -> tuple[int, int, int]:
    """(head, first visible source frame, visible length): the part of the shot between its cut points."""
    head = _split(item.overlap_in)[0] if item.overlap_in else 0
    tail = _split(item.overlap_out)[1] if item.overlap_out else 0
    return head, item.source_in + head, item.duration - head - tail


def _url(path: Path, folder: Path, relative: bool) -> str:
    if relative:
        try:
            return path.relative_to(folder.resolve()).as_posix()
        except ValueError:
            pass  # media outside the project folder: only an absolute URL can reach it
    return path.as_uri()


def build_timeline(project: Project, folder: str | Path, *, relative: bool = False,
                   audio: bool = True) -> otio.schema.Timeline:
    """V1: the selected takes (gaps where a shot has no usable take), at the project rate; A1 (audio=True
    and at least one take has sound): each take's WAV under its picture, with the same transitions.

    The track's duration is the cut's duration (`studio.playlist`), every clip sits at its cut point.
    relative=True writes media URLs relative to the project folder (for a project moved with its media);
    the default is absolute `file://` URLs, which every editor resolves.
    """
    folder = Path(folder)
    rate = float(project.fps)
    timeline = otio.schema.Timeline(name=project.name, global_start_time=_rt(0, rate))
    timeline.metadata["shotreel"] = {"project": project.name, "fps": f"{project.fps.numerator}/{project.fps.denominator}",
                                     "width": project.width, "height": project.height}
    cut = cut_shots(project, folder)
    video = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(video)
    sound = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
    for index, item in enumerate(cut):
        for track in (video, sound):
            transition = _transition(cut[index - 1], item, rate) if index else None
            if transition is not None:
                track.append(transition)
        head, start, length = _item_range(item)
        name = f"{item.number:03d} {item.shot.title or item.shot.prompt[:40]}".strip()
        meta = {"shotreel": _clip_metadata(project, item)}
        take_frames = round(item.take.frames * project.fps / item.take.fps) if item.take and item.take.frames else 0
        if item.take is None or item.media is None:
            gap = otio.schema.Gap(name=name, source_range=_range(0, length, rate), metadata=meta)
            video.append(gap)
            gap.markers.extend(_markers(item, rate, 0, head, length))
        else:
            available = _range(0, max(take_frames, item.source_out), rate)
            ref = otio.schema.ExternalReference(target_url=_url(item.media, folder, relative), available_range=available)
            clip = otio.schema.Clip(name=name, media_reference=ref, source_range=_range(start, length, rate),
                                    metadata=meta)
            clip.markers.extend(_markers(item, rate, start, head, length))
            video.append(clip)
        if item.take is not None and item.audio is not None:
            ref = otio.schema.ExternalReference(target_url=_url(item.audio, folder, relative),
                                                available_range=_range(0, max(item.source_out, take_frames), rate))
            sound.append(otio.schema.Clip(name=name, media_reference=ref, source_range=_range(start, length, rate),
                                          metadata={"shotreel": {"shot_id": item.shot.id, "take_id": item.take.id}}))
        else:
            sound.append(otio.schema.Gap(source_range=_range(0, length, rate)))
    if audio and any(isinstance(c, otio.schema.Clip) for c in sound):
        timeline.tracks.append(sound)
    return timeline


def timeline_to_string(timeline: otio.schema.Timeline, adapter: str) -> str:
    try:
        return otio.adapters.write_to_string(timeline, adapter)
    except Exception as exc:  # adapters raise assorted types; the user needs one line
        raise UserError(f"cannot write the {adapter} timeline: {exc}") from exc


def export_timeline(project: Project, folder: str | Path, out: str | Path, *, relative: bool = False,
                    audio: bool = True) -> Path:
    """Write the cut to `out`; the format follows the extension (.otio, .xml FCP 7, .fcpxml, .edl). Atomic.
    relative: media URLs relative to the project folder; audio: add the takes' sound track."""
    out = Path(out)
    adapter = ADAPTERS.get(out.suffix.lower())
    if adapter is None:
        raise UserError(f"{out.name}: timeline export writes {', '.join(ADAPTERS)}, not {out.suffix or 'no extension'}")
    if not any(True for _ in project.shots()):
        raise UserError("the project has no shots to export")
    text = timeline_to_string(build_timeline(project, folder, relative=relative, audio=audio), adapter)
    atomic_write_text(out, text)  # a full disk raises EngineError(DISK_FULL) and leaves no partial file
    return out


def read_timeline(path: str | Path, *, rate: Fraction | float | None = None) -> otio.schema.Timeline:
    """Read any of the written formats back (tests, and a later re-import of an editor's changes).

    An EDL does not state its rate: pass the project's (default 24)."""
    path = Path(path)
    adapter = ADAPTERS.get(path.suffix.lower())
    if adapter is None:
        raise UserError(f"{path.name}: not a timeline file this studio reads")
    try:
        options = {"rate": float(rate)} if adapter == "cmx_3600" and rate is not None else {}
        result = otio.adapters.read_from_file(str(path), adapter_name=adapter, **options)
    except Exception as exc:
        raise UserError(f"cannot read {path.name}: {exc}") from exc
    if isinstance(result, otio.schema.SerializableCollection):  # FCP XML may hold several sequences
        timelines = list(result.find_children(descendent_type=otio.schema.Timeline, shallow_search=True))
        if not timelines:
            raise UserError(f"{path.name} holds no timeline")
        result = timelines[0]
    return result
