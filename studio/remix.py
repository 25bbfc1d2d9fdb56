"""Remix operations on a take -> engine requests: variations, remix, extend, re-cut, loop, blend,
and 'match colour to previous'.

Who calls: `shotreel remix|seams` (studio.cli.remix_cmds) and the remix dialog / takes panel in the
UI. Each `plan_*` returns ready-to-queue `GenerationRequest`s (queue them with
`GenerationService.queue_request`); every request carries its typed remix fields
(`request.remix`: parent take, render op, parent request, frames) and its `operation`, so the recorded take keeps its lineage. Operations start from the request that made
the parent take (its params), so a derived take lives in the same world, with the same cues and the
same continuity source as its parent; the recorded source also keeps stale tracking right.

Backends: previs does every operation by re-simulating the parent (engine/previs/operations.py reads the
typed fields through `request.remix_options()`); diffusion maps them to conditioning (remix: video-to-video with a strength;
extend: continuation of the clip, or a first frame, or a last frame pinned for backward; loop: the
same image as first and last frame; blend: A's last frame to B's first). A diffusion model that
cannot do an operation is refused here with the models that can.

Recording: `GenerationService.handle_finished` records every take; only blend and colour-match
takes are chosen automatically (`select_when_recorded`, an undoable ChooseTake, so undo goes back
to the previous take).
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from engine.cues import CameraCue, MotionCue
from engine.jobs import Conditioning, GenerationRequest, Keyframe, RemixSpec

from .changes import ChangeKind
from .commands import AddShot, ChooseTake, Macro, SetShotFields, SetTrim
from .continuity import last_used_frame
from .document import Document
from .errors import UserError
from . import naming
from .model import Continuity, Shot, Take, TakeStatus, new_id
from .prompting import build_request

OPERATIONS = ("variations", "remix", "extend", "recut", "loop", "blend")
OP_LABELS = {"variations": "Variations", "remix": "Remix", "extend": "Extend", "recut": "Re-cut", "loop": "Loop",
             "blend": "Blend to next", "colour_match": "Match colour to previous"}
# The operation recorded on the new take (Take.operation) for each remix operation.
RECORDED = {"variations": "variation", "remix": "remix", "extend": "extend", "loop": "loop", "blend": "blend",
            "colour_match": "colour_match"}
AUTO_SELECT = ("blend", "colour_match")
_PREVIS_KEYS = ("previs_op", "parent", "from_frame", "direction", "extend_frames", "blend_from", "blend_to",
                "blend_from_frame", "blend_to_frame", "variation", "parent_take_id")
# Options that describe one operation and must not leak into a take derived from its take.
_OP_KEYS = ("source_video", "transfer", "source_audio", "end_state", "matched_to_take_id", "source_backend",
            "remix_strength", "blend_to_take_id", "splice")
MAX_VARIATIONS = 16


# ---- the parent's request ----------------------------------------------------------------------

def _absolute(folder: Path, value: Any) -> Any:
    if isinstance(value, str) and value and not Path(value).is_absolute():
        return str(Path(folder) / value)
    return value


def _absolute_media(folder: Path, value: Any) -> Any:
    if isinstance(value, str):
        return str(Path(folder) / value) if value.startswith("media/") else value
    if isinstance(value, Mapping):
        return {k: _absolute_media(folder, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_absolute_media(folder, v) for v in value]
    return value


def take_request(doc: Document, take: Take) -> GenerationRequest:
    """The request that made `take`, with its project-relative paths made absolute again. A take
    without full params (imported, very old) falls back to its shot as it is now."""
    params = dict(take.params)
    if not {"job_id", "output_dir", "scene", "conditioning"} <= set(params):
        return build_request(doc.project, doc.folder, take.shot_id, job_id=take.id, seed=take.seed)
    folder = doc.folder
    params["output_dir"] = _absolute(folder, params.get("output_dir"))
    scene = dict(params.get("scene") or {})
    scene["board_image"] = _absolute(folder, scene.get("board_image"))
    params["scene"] = scene
    cond = dict(params.get("conditioning") or {})
    for key in ("first_frame", "last_frame", "video"):
        cond[key] = _absolute(folder, cond.get(key))
    cond["references"] = [_absolute(folder, r) for r in cond.get("references") or ()]
    cond["keyframes"] = [{**k, "path": _absolute(folder, k.get("path"))} for k in cond.get("keyframes") or ()]
    params["conditioning"] = cond
    params["audio"] = [{**a, "file": _absolute(folder, a.get("file"))} if a.get("file") else a
                       for a in params.get("audio") or ()]
    # Operation fields nest whole requests (a loop's parent, a blend's two takes) whose paths were
    # made relative too; inside the project they all live under media/.
    params["options"] = _absolute_media(folder, params.get("options") or {})
    if params.get("remix"):
        params["remix"] = _absolute_media(folder, params["remix"])
    model = params.get("model")
    if model and not Path(model).is_absolute() and (folder / model).exists():
        params["model"] = str(folder / model)
    try:
        return GenerationRequest.from_dict(params)
    except (KeyError, TypeError, ValueError) as exc:
        raise UserError(f"take {take.id} does not hold a readable request ({exc}); generate the shot again") from None


def _name(doc: Document, take: Take) -> str:
    """'take 3 of shot 2' in messages (the remix dialog shows them): people do not read take ids."""
    return naming.take_label(doc.project, take, capital=False)


def _ready_take(doc: Document, take_id: str) -> Take:
    take = doc.project.take(take_id)
    if take.status is not TakeStatus.READY:
        raise UserError(f"{_name(doc, take)} is in the trash: restore it first")
    if not take.files.get("video"):
        raise UserError(f"{_name(doc, take)} has no video to work from")
    return take


def _generated(take: Take) -> Take:
    """Operations that generate need a generated take: a graded copy points back to its source."""
    if take.backend == "grade":
        raise UserError(f"take {take.id} is a colour-matched copy of take {take.parent_take_id or '?'}: "
                        "work from that take, then match colour again")
    return take


def _derive(doc: Document, base: GenerationRequest, parent: Take, operation: str, *,
            options: Mapping[str, Any] | None = None, keep_previs_options: bool = False,
            **changes: Any) -> GenerationRequest:
    """A new job from `base`: new id and folder, lineage in the options, `changes` applied."""
    job_id = new_id("tk")
    opts = {k: v for k, v in dict(base.options).items()
            if k not in _OP_KEYS and (keep_previs_options or k not in _PREVIS_KEYS)}
    opts.update(options or {})
    opts["parent_take_id"] = parent.id
    kept = base.remix.as_options() if keep_previs_options else {}
    return _typed(base.with_(job_id=job_id, output_dir=str(doc.folder / "media" / "takes" / job_id),
                             options={**kept, **opts}, remix=RemixSpec(), operation=operation,
                             shot_id=parent.shot_id, **changes))


def _typed(request: GenerationRequest) -> GenerationRequest:
    """The remix entries of `options` (previs_op, parent, from_frame, ...) as the request's typed
    `remix` fields: what is queued, stored and sent to a farm names its operation explicitly."""
    remix, options = RemixSpec.from_options({**request.remix.as_options(), **request.options})
    return request.with_(options=options, remix=remix)


def _parent_json(doc: Document, take: Take) -> dict:
    """The parent's request for a previs re-simulation (the backend renders it again exactly)."""
    return take_request(doc, take).to_dict()


# ---- model capabilities ------------------------------------------------------------------------

def _diffusion_task(operation: str, **kw: Any) -> str:
    if operation == "remix":
        return "v2v"
    if operation in ("loop", "blend"):
        return "flf2v"
    if operation == "extend":
        if kw.get("direction") == "backward":
            return "keyframes"
        return "continue" if kw.get("from_last") else "i2v"
    return ""


def model_refusal(doc: Document, request: GenerationRequest, operation: str, **kw: Any) -> str:
    """Why the request's model cannot do `operation` ('' when it can, or when it cannot be checked
    here: a previs shot, a model not on this machine). Names the model kinds that can, and the
    scanned model folders that can."""
    if request.backend != "diffusion":
        return ""
    task = _diffusion_task(operation, **kw)
    if not task:
        return ""
    from engine.diffusion.registry import Capability, capability_names, inspect_model_dir, scan_model_dirs
    from engine.diffusion.task import TASK_NEEDS, unsupported
    from engine.errors import EngineError
    if not request.model or not Path(request.model).expanduser().exists():
        return ""
    try:
        info = inspect_model_dir(request.model)
    except EngineError:
        return ""
    needed: Capability = TASK_NEEDS[task]
    if info.can(needed) and info.driven:
        return ""
    message = unsupported(info.label, task).message
    folders = doc.project.settings.get("model_dirs") or []
    if folders:
        message += f"; on this machine: {capability_names(scan_model_dirs(folders), needed)}"
    return message


def _check_model(doc: Document, request: GenerationRequest, operation: str, **kw: Any) -> None:
    reason = model_refusal(doc, request, operation, **kw)
    if reason:
        raise UserError(reason)


def can_extend_by_continuation(doc: Document, request: GenerationRequest) -> bool:
    """Diffusion: does the model continue a clip from its last frames (else it starts from one frame)?"""
    if request.backend != "diffusion" or not request.model or not Path(request.model).exists():
        return False
    from engine.diffusion.registry import inspect_model_dir
    from engine.errors import EngineError
    try:
        return inspect_model_dir(request.model).can("continue")
    except EngineError:
        return False


# ---- frames as conditioning images --------------------------------------------------------------

def frame_image(doc: Document, take: Take, index: int, target: Path) -> str:
    """Frame `index` of a take as a lossless PNG at `target` (its saved last frame when that is the one)."""
    if index == take.frames - 1 and take.files.get("last_frame") and doc.abspath(take.files["last_frame"]).is_file():
        return str(doc.abspath(take.files["last_frame"]))
    import cv2
    from engine.fsio import atomic_write_bytes
    from engine.frames import read_frames
    frame = read_frames(doc.abspath(take.files["video"]), [index])[index]
    ok, data = cv2.imencode(".png", np.ascontiguousarray(frame[..., ::-1]))
    if not ok:
        raise UserError(f"could not write frame {index} of take {take.id} as an image")
    atomic_write_bytes(target, data.tobytes())
    return str(target)


def _cond_path(request: GenerationRequest, what: str) -> Path:
    return Path(request.output_dir) / f"{request.job_id}.{what}.png"


# ---- operations -----------------------------------------------------------------------------------

def variation_seeds(doc: Document, take: Take, count: int) -> list[int]:
    """`count` seeds derived from the take, none already used by a take of the shot."""
    used = {t.seed for t in doc.project.takes_of(take.shot_id, include_trashed=True)}
    seeds: list[int] = []
    n = 0
    while len(seeds) < count:
        seed = zlib.crc32(f"{take.id}\x1fvariation\x1f{n}".encode()) & 0x7FFFFFFF
        n += 1
        if seed not in used and seed not in seeds:
            seeds.append(seed)
    return seeds


def plan_variations(doc: Document, take_id: str, count: int = 4, *, amount: float = 0.5) -> list[GenerationRequest]:
    """N takes like `take_id` with other seeds (previs also varies the performance by `amount`)."""
    take = _generated(_ready_take(doc, take_id))
    if not 1 <= int(count) <= MAX_VARIATIONS:
        raise UserError(f"variations: ask for 1..{MAX_VARIATIONS}, not {count}")
    base = take_request(doc, take)
    out = []
    for seed in variation_seeds(doc, take, int(count)):
        options: dict[str, Any] = {}
        keep = bool(base.remix_options().get("previs_op"))
        if base.backend == "previs" and not keep:
            options = {"previs_op": "variation", "variation": float(amount)}
        out.append(_derive(doc, base, take, "variation", seed=seed, options=options, keep_previs_options=keep))
    return out


def plan_remix(doc: Document, take_id: str, prompt: str | None = None, strength: float = 0.6, *,
               camera: CameraCue | Mapping[str, Any] | None = None,
               motion: Iterable[MotionCue] | None = None, seed: int | None = None) -> list[GenerationRequest]:
    """A new take derived from `take_id` that keeps its structure: diffusion re-renders its video
    with `strength` (0 keeps it, 1 ignores it) toward the new prompt; previs re-renders the same
    world and start state with the changed cues."""
    take = _generated(_ready_take(doc, take_id))
    base = take_request(doc, take)
    strength = float(strength)
    if not 0.0 < strength <= 1.0:
        raise UserError(f"remix strength {strength:g} must be in 0..1 (0.3 subtle, 0.6 clear, 0.9 loose)")
    changes: dict[str, Any] = {}
    if prompt is not None and prompt.strip():
        changes["prompt"] = prompt.strip()
    if camera is not None:
        changes["camera"] = camera if isinstance(camera, CameraCue) else base.camera.with_(**dict(camera))
    if motion is not None:
        changes["motion"] = tuple(motion)
    if not changes:
        raise UserError("describe the change: a new prompt, or changed camera or motion cues")
    if base.backend == "previs" and set(changes) == {"prompt"}:
        raise UserError("the previs renderer draws cues, not descriptions: change the camera or motion cues to "
                        "remix a previs take (or remix it on a diffusion model)")
    options: dict[str, Any] = {}
    if "prompt" in changes:
        options["prompt_override"] = ""  # the new description, compiled with the cues
    if base.backend == "diffusion":
        _check_model(doc, base, "remix")
        src = base.conditioning
        changes["conditioning"] = Conditioning(video=str(doc.abspath(take.files["video"])), strength=strength,
                                               source_take_id=src.source_take_id, source_frame=src.source_frame)
    options["remix_strength"] = strength
    request = _derive(doc, base, take, "remix", options=options, **changes)
    if seed is not None:
        request = request.with_(seed=int(seed))
    return [request]


def plan_extend(doc: Document, take_id: str, frames: int, direction: str = "forward",
                from_frame: int | None = None) -> list[GenerationRequest]:
    """Extend a take by `frames` new frames forward from `from_frame` (default: its last frame) or
    backward leading into `from_frame` (default: its first frame).

    previs: the new take holds the parent's frames up to (forward) or from (backward) that frame
    plus the new ones, continuing the camera move and the motion exactly. diffusion: the model
    generates the continuation (it starts on the chosen frame: forward) or the lead-in (it ends on
    it: backward), and the backend splices the parent's frames before (forward) or after (backward)
    it, so the new take is the whole, longer shot as on previs (same length: kept + `frames`);
    models that continue clips get the clip, others the frame."""
    take = _generated(_ready_take(doc, take_id))
    base = take_request(doc, take)
    frames = int(frames)
    if not 1 <= frames <= 24 * 60 * 5:
        raise UserError(f"extend by 1..{24 * 60 * 5} frames, not {frames}")
    if direction not in ("forward", "backward"):
        raise UserError(f"extend direction {direction!r}: forward or backward")
    last = take.frames - 1
    if from_frame is None:
        from_frame = last if direction == "forward" else 0
    from_frame = int(from_frame)
    if not 0 <= from_frame <= last:
        raise UserError(f"{_name(doc, take)} has frames 0..{last}; there is no frame {from_frame}")
    if base.backend == "diffusion":
        return [_diffusion_extend(doc, base, take, frames, direction, from_frame)]
    kept = from_frame + 1 if direction == "forward" else take.frames - from_frame
    options = {"previs_op": "extend", "parent": _parent_json(doc, take), "from_frame": from_frame,
               "direction": direction, "extend_frames": frames}
    return [_derive(doc, base, take, "extend", options=options, frames=kept + frames)]


def _diffusion_extend(doc: Document, base: GenerationRequest, take: Take, frames: int, direction: str,
                      from_frame: int) -> GenerationRequest:
    src = base.conditioning
    from_last = from_frame == take.frames - 1 and direction == "forward"
    continuation = from_last and can_extend_by_continuation(doc, base)
    _check_model(doc, base, "extend", direction=direction, from_last=continuation)
    # The generated clip includes the extend point; the parent's other frames are spliced around it
    # (half-open source ranges, engine.take_writer.Splice).
    video = str(doc.abspath(take.files["video"]))
    splice = {"video": video, "head": [0, from_frame]} if direction == "forward" else \
        {"video": video, "tail": [from_frame + 1, take.frames]}
    request = _derive(doc, base, take, "extend", frames=frames + 1,
                      options={"from_frame": from_frame, "direction": direction, "extend_frames": frames,
                               "splice": splice})
    keep = {"source_take_id": src.source_take_id, "source_frame": src.source_frame, "references": src.references}
    if continuation:
        cond = Conditioning(video=video, video_frames=min(take.frames, 17), **keep)
    else:
        image = frame_image(doc, take, from_frame, _cond_path(request, f"frame{from_frame}"))
        cond = Conditioning(first_frame=image, **keep) if direction == "forward" else \
            Conditioning(keyframes=(Keyframe(image, frames),), **keep)
    return request.with_(conditioning=cond)


def plan_loop(doc: Document, take_id: str, *, start: int = 0, frames: int | None = None) -> list[GenerationRequest]:
    """A take that loops seamlessly, `frames` long (default: the parent's length) from the parent's
    frame `start`: previs on cyclic camera and motion paths, diffusion with that frame as both the
    first and the last frame."""
    take = _generated(_ready_take(doc, take_id))
    base = take_request(doc, take)
    frames = int(frames or take.frames)
    if not 4 <= frames <= 24 * 60 * 5:
        raise UserError(f"a loop needs 4..{24 * 60 * 5} frames, not {frames}")
    start = int(start)
    if not 0 <= start < take.frames:
        raise UserError(f"{_name(doc, take)} has frames 0..{take.frames - 1}; a loop cannot start at {start}")
    if base.backend == "diffusion":
        _check_model(doc, base, "loop")
        request = _derive(doc, base, take, "loop", frames=frames, options={"from_frame": start})
        image = frame_image(doc, take, start, _cond_path(request, f"frame{start}"))
        src = base.conditioning
        return [request.with_(conditioning=Conditioning(first_frame=image, last_frame=image, references=src.references,
                                                        source_take_id=src.source_take_id,
                                                        source_frame=src.source_frame))]
    options = {"previs_op": "loop", "parent": _parent_json(doc, take), "from_frame": start}
    return [_derive(doc, base, take, "loop", options=options, frames=frames)]


def recut(doc: Document, take_id: str, trim_in: int, trim_out: int) -> None:
    """Re-cut non-destructively: play frames trim_in..trim_out (exclusive; 0 = to the end) of the take,
    choosing it first when it is not the shot's take. One undo step."""
    take = _ready_take(doc, take_id)
    trim_in, trim_out = int(trim_in), int(trim_out)
    if trim_in < 0 or trim_out < 0 or trim_in >= take.frames or trim_out > take.frames:
        raise UserError(f"{_name(doc, take)} has {take.frames} frames: in {trim_in} / out {trim_out} do not fit")
    if trim_out and trim_out <= trim_in:
        raise UserError(f"the out point ({trim_out}) must be after the in point ({trim_in})")
    shot = doc.project.shot(take.shot_id)
    trim = SetTrim(shot.id, trim_in, trim_out)
    doc.execute(trim if shot.selected_take == take.id else Macro("Re-cut Take", [ChooseTake(take.id), trim]))


def plan_blend(doc: Document, take_a: str, take_b: str, frames: int = 12) -> list[GenerationRequest]:
    """Insert a transition shot between take A's shot and take B's shot (adjacent, same scene), one
    undo step, and return the request that renders it: previs interpolates camera and world state
    from A's last used frame to B's first used frame; diffusion pins A's last frame and B's first
    frame. B then no longer chains from A: its continuity becomes 'reference' in the same step, so
    its take is not flagged stale by the new shot in between."""
    a, b = _generated(_ready_take(doc, take_a)), _generated(_ready_take(doc, take_b))
    frames = int(frames)
    if not 2 <= frames <= 24 * 30:
        raise UserError(f"a blend needs 2..{24 * 30} frames, not {frames}")
    project = doc.project
    seq, ia, shot_a = project.find_shot(a.shot_id)
    seq_b, ib, shot_b = project.find_shot(b.shot_id)
    if seq_b is not seq or ib != ia + 1:
        raise UserError("blend joins two takes of adjacent shots in one scene: pick a take of the next shot")
    req_a, req_b = take_request(doc, a), take_request(doc, b)
    if req_a.backend != req_b.backend:
        raise UserError(f"the two takes come from different backends ({req_a.backend}, {req_b.backend}): "
                        "blend takes of one backend")
    _check_model(doc, req_a, "blend")
    fa = last_used_frame(shot_a, a) if shot_a.selected_take == a.id else a.frames - 1
    fb = shot_b.trim_in if shot_b.selected_take == b.id else 0
    fb = min(fb, b.frames - 1)
    blend_shot = Shot.create(title=f"Blend: {shot_a.title or 'shot'} → {shot_b.title or 'shot'}"[:200],
                             prompt=f"transition from {shot_a.prompt or shot_a.title} to {shot_b.prompt or shot_b.title}"[:2000],
                             duration=frames, camera=shot_a.camera, motion=shot_a.motion,
                             continuity=Continuity.PREVIOUS, bible_refs=shot_a.bible_refs, seed=shot_a.seed,
                             backend=shot_a.backend, model=shot_a.model)
    commands = [AddShot(seq.id, blend_shot, ia + 1)]
    if shot_b.continuity is Continuity.PREVIOUS:
        commands.append(SetShotFields(shot_b.id, continuity=Continuity.REFERENCE))
    doc.execute(Macro("Insert Blend", commands))
    # A's backend options (steps, memory mode...) carry over: the transition is rendered like A was
    inherited = {k: v for k, v in req_a.options.items() if k not in _PREVIS_KEYS + _OP_KEYS}
    request = build_request(project, doc.folder, blend_shot.id, operation="blend",
                            options={**inherited, "parent_take_id": a.id, "blend_to_take_id": b.id})
    src = Conditioning(source_take_id=a.id, source_frame=fa)
    if request.backend == "diffusion":
        first = frame_image(doc, a, fa, _cond_path(request, "from"))
        last = frame_image(doc, b, fb, _cond_path(request, "to"))
        return [_typed(request.with_(model=req_a.model, conditioning=Conditioning(
            first_frame=first, last_frame=last, source_take_id=a.id, source_frame=fa)))]
    options = {**request.options, "previs_op": "blend", "blend_from": req_a.to_dict(), "blend_from_frame": fa,
               "blend_to": req_b.to_dict(), "blend_to_frame": fb}
    return [_typed(request.with_(options=options, conditioning=src))]


def plan_colour_match(doc: Document, shot_id: str, *, strength: float = 1.0, context: int = 2) -> list[GenerationRequest]:
    """A graded copy of the shot's selected take whose colour matches the previous shot's cut frames
    (Lab mean/std transfer, engine.grade.ColourTransfer), rendered by the 'grade' backend. `context`
    frames each side of the cut give the statistics: near enough to match the cut itself, more than
    one so a single odd frame does not set the grade."""
    from engine.frames import read_frames
    from engine.grade import ColourTransfer, lab_stats
    project = doc.project
    shot = project.shot(shot_id)
    previous = project.previous_shot(shot_id)
    if previous is None:
        raise UserError(f"'{shot.title or shot.id}' is the first shot of its scene: there is no previous shot to match")
    if not shot.selected_take or not previous.selected_take:
        raise UserError("both shots need a selected take to match colour")
    take, prev_take = _ready_take(doc, shot.selected_take), _ready_take(doc, previous.selected_take)
    if not 0.0 < strength <= 1.0:
        raise UserError(f"colour match strength {strength:g} must be in 0..1")
    end = last_used_frame(previous, prev_take)
    prev_idx = list(range(max(0, end - context + 1), end + 1))
    start = min(shot.trim_in, take.frames - 1)
    own_idx = list(range(start, min(take.frames, start + context)))
    target = lab_stats(read_frames(doc.abspath(prev_take.files["video"]), prev_idx).values())
    source = lab_stats(read_frames(doc.abspath(take.files["video"]), own_idx).values())
    transfer = ColourTransfer(source, target, float(strength))
    base = take_request(doc, take)
    options: dict[str, Any] = {"source_video": str(doc.abspath(take.files["video"])), "transfer": transfer.to_dict(),
                               "matched_to_take_id": prev_take.id, "source_backend": take.backend}
    if take.files.get("audio") and doc.abspath(take.files["audio"]).is_file():
        options["source_audio"] = str(doc.abspath(take.files["audio"]))
    if take.end_state:
        options["end_state"] = dict(take.end_state)
    request = _derive(doc, base, take, "colour_match", options=options, backend="grade", frames=take.frames,
                      width=take.width or project.width, height=take.height or project.height, fps=take.fps)
    return [request.with_(options={k: v for k, v in request.options.items()
                                   if k in options or k == "parent_take_id"})]


# ---- recording --------------------------------------------------------------------------------------

def select_when_recorded(doc: Document, job_ids: Iterable[str]) -> Callable[[], None]:
    """Choose each of these jobs' takes (undoably) as soon as it is recorded. Returns unsubscribe.
    Blend and colour-match takes replace the shot's take; other operations only add to its takes."""
    pending = set(job_ids)
    unsubscribe: Callable[[], None] = lambda: None

    def on_change(change) -> None:
        if change.kind is not ChangeKind.TAKE_RECORDED:
            return
        for take_id in change.ids:
            if take_id in pending:
                pending.discard(take_id)
                take = doc.project.takes.get(take_id)
                if take is not None and take.status is TakeStatus.READY:
                    doc.execute(ChooseTake(take_id))
        if not pending:
            unsubscribe()

    unsubscribe = doc.subscribe(on_change)
    return unsubscribe


def submit(service: Any, requests: Iterable[GenerationRequest], priority: int = 0) -> list[str]:
    """Queue planned requests on a GenerationService; blend and colour-match takes get chosen when
    they arrive. Returns the job ids."""
    requests = list(requests)
    ids = [service.queue_request(r, priority) for r in requests]
    chosen = [r.job_id for r in requests if r.operation in AUTO_SELECT]
    if chosen:
        select_when_recorded(service.doc, chosen)
    return ids


# ---- measurements ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class LoopSeam:
    """How well a loop closes: the jump from its last frame back to its first, next to the typical
    frame-to-frame change inside the take (a seamless loop has ratio ~1)."""
    take_id: str
    seam_mad: float           # mean absolute difference last -> first frame (0..255)
    seam_psnr: float          # dB (inf when identical)
    typical_step: float       # median mean-abs-difference between consecutive frames
    ratio: float              # seam_mad / typical_step

    def to_dict(self) -> dict:
        return {"take_id": self.take_id, "seam_mad": round(self.seam_mad, 3),
                "seam_psnr": None if math.isinf(self.seam_psnr) else round(self.seam_psnr, 2),
                "typical_step": round(self.typical_step, 3),
                "ratio": None if math.isinf(self.ratio) else round(self.ratio, 3)}  # JSON has no infinity


def loop_seam(doc: Document, take: Take, samples: int = 8) -> LoopSeam:
    from engine.frames import read_frames
    n = take.frames
    if n < 2:
        raise UserError(f"{_name(doc, take)} is too short to loop")
    media = doc.abspath(take.files.get("video") or "")
    steps_at = sorted({int(round(k * (n - 2) / max(1, samples - 1))) for k in range(samples)})
    wanted = {0, n - 1} | set(steps_at) | {i + 1 for i in steps_at}
    frames = {i: f.astype(np.int16) for i, f in read_frames(media, wanted).items()}

    def mad(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.abs(a - b).mean())
    seam = mad(frames[n - 1], frames[0])
    step = float(np.median([mad(frames[i], frames[i + 1]) for i in steps_at]))
    mse = float(np.mean((frames[n - 1] - frames[0]).astype(np.float64) ** 2))
    psnr = math.inf if mse == 0 else 10 * math.log10(255.0 ** 2 / mse)
    return LoopSeam(take.id, seam, psnr, step, seam / step if step > 0 else (0.0 if seam == 0 else math.inf))
