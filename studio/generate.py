"""Generation as the studio sees it: shots in, takes recorded, continuity respected.

`GenerationService` lives on the document's thread (the GUI thread, or the CLI's main thread). It
builds each request as late as possible: a shot chained to a shot that is itself being generated
waits until that take exists, so its conditioning is the new take and never a stale one. Engine
events reach it from whoever owns the thread (the Qt bridge, the CLI's event loop), which calls
`handle_finished(result)`.

Takes are signed with C2PA on the engine's worker thread (`signing_postprocess`), before they are
recorded, so no unsigned take ever appears in the project.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from engine.jobs import GenerationRequest, GenerationResult, JobStatus
from engine.runner import PostProcess, Runner

from .continuity import upstream_take
from .document import Document
from .errors import UserError
from .model import Continuity, Take
from .prompting import build_request
from .takes import take_from_result

log = logging.getLogger(__name__)

PREVIS_RENDERER = "Shotreel previs"


def signing_postprocess(identity: Any) -> PostProcess:
    """Sign each finished take in place on the worker thread. Diffusion takes name the model as the
    software agent; previs takes the renderer; graded takes (colour match) inherit the source's kind:
    a graded previs take is not AI generated, a graded diffusion take still is."""
    from .provenance import sign_take

    def sign(request: GenerationRequest, result: GenerationResult) -> GenerationResult:
        if result.status is not JobStatus.DONE or not result.video:
            return result
        backend = result.backend or request.backend
        params: dict[str, Any] = {"operation": request.operation, "frames": request.frames, "fps": str(request.fps),
                                  "width": request.width, "height": request.height,
                                  "camera": request.camera.to_dict(),
                                  "options": {k: v for k, v in request.options.items() if k != "likeness"}}
        if backend == "grade":
            ai = str(request.options.get("source_backend", "previs")) not in ("previs", "") and bool(request.model)
            renderer = f"{PREVIS_RENDERER} grade"
        else:
            ai = backend != "previs"
            renderer = PREVIS_RENDERER
        sign_take(identity, result.video, backend=backend, model_id=(result.model or request.model) if ai else None,
                  model_version=None, renderer=None if ai else renderer, prompt=request.prompt, seed=result.seed,
                  parameters=params, is_ai_generated=ai, renderer_version=result.renderer_version or None,
                  likenesses=list(request.options.get("likeness") or ()))
        return result
    return sign


@dataclass
class _Deferred:
    shot_id: str
    waits_for: str            # the shot whose new take this one chains from (or, unchained, only follows)
    options: Mapping[str, Any] = field(default_factory=dict)
    priority: int = 0
    chained: bool = True      # False: waits only to keep cut order, and still runs if that shot fails


class GenerationService:
    """Queue shots in continuity order and turn finished jobs into takes."""

    def __init__(self, doc: Document, runner: Runner):
        self.doc = doc
        self.runner = runner
        self._deferred: list[_Deferred] = []
        self._job_shot: dict[str, str] = {}       # job id -> shot id, for jobs submitted by us
        self._listeners: list[Callable[[str, str], None]] = []
        self.not_generated: dict[str, str] = {}  # shot id -> why a waiting shot was dropped (its upstream failed)
        # Jobs a crash interrupted come back queued in the runner: this service owns their results, and a
        # shot asked for again adopts its job instead of queueing a second one (one take, not two).
        self._adopted: dict[str, str] = {}  # shot id -> job id
        resumed = set(getattr(runner, "resumed", ()))
        for record in runner.jobs():  # (a resumed job may have finished already: its result is still owed)
            if record.request.shot_id and (record.job_id in resumed or not record.finished):
                self._job_shot[record.job_id] = record.request.shot_id
                if record.request.operation in ("generate", "regenerate"):
                    self._adopted[record.request.shot_id] = record.job_id

    # ---- queueing ----------------------------------------------------------------------------
    def queue_shots(self, shot_ids: Iterable[str], *, options: Mapping[str, Any] | None = None,
                    backend: str | None = None, priority: int = 0) -> list[str]:
        """Queue the shots (any order given; they run in cut order). Returns the job ids submitted now;
        chained shots whose upstream is in the batch wait for it and are submitted when it finishes."""
        project = self.doc.project
        wanted = set(shot_ids)
        order = [shot.id for _, shot in project.shots() if shot.id in wanted]
        missing = wanted - set(order)
        if missing:
            raise UserError(f"no shot {sorted(missing)[0]} in this project")
        opts = dict(options or {})
        if backend:
            opts["backend"] = backend
        from .consent import preflight  # every refused shot named at once, before any is queued
        from .policy import load_policy
        preflight(project, self.doc.folder, order, backend=opts.get("backend"), policy=load_policy(self.doc.folder))
        in_batch: set[str] = set(self.pending_shots())
        submitted = []
        waiting_before: str | None = None  # the last shot of this batch, once one of them had to wait
        for shot_id in order:
            shot = project.shot(shot_id)
            previous = project.previous_shot(shot_id)
            if shot_id in self._adopted:  # resumed after a crash (maybe done already): its result is owed to us
                submitted.append(self._adopted.pop(shot_id))
            elif shot.continuity is Continuity.PREVIOUS and previous is not None and previous.id in in_batch:
                self._deferred.append(_Deferred(shot_id, previous.id, opts, priority))
                waiting_before = shot_id
            elif waiting_before is not None:
                # a later shot must not overtake one waiting for its upstream: cut order (the engine
                # runs one job at a time, so it would render shots 9-11 before 5)
                self._deferred.append(_Deferred(shot_id, waiting_before, opts, priority, chained=False))
                waiting_before = shot_id
            else:
                submitted.append(self._submit(shot_id, opts, priority))
            in_batch.add(shot_id)
        return submitted

    def queue_request(self, request: GenerationRequest, priority: int = 0) -> str:
        """Queue a ready-made request (remix operations build their own). Every request passes the
        likeness consent and the content policy here first (studio.consent, studio.policy): a refusal
        raises before anything is queued, and the decisions ride in the request's options to the take."""
        from .consent import authorize
        from .policy import load_policy
        request = authorize(self.doc.project, self.doc.folder, request, policy=load_policy(self.doc.folder))
        self._job_shot[request.job_id] = request.shot_id
        return self.runner.submit(request, priority)

    def _submit(self, shot_id: str, options: Mapping[str, Any], priority: int) -> str:
        opts = dict(options)
        backend = opts.pop("backend", None)
        overrides: dict[str, Any] = {"model": opts.pop("model")} if "model" in opts else {}
        request = build_request(self.doc.project, self.doc.folder, shot_id, backend=backend, options=opts,
                                **overrides)
        return self.queue_request(request, priority)

    def pending_shots(self) -> list[str]:
        """Shots queued or running in the engine, plus the ones waiting for their upstream."""
        active = {r.request.shot_id for r in self.runner.jobs() if not r.finished and r.request.shot_id}
        return sorted(active | {d.shot_id for d in self._deferred})

    def deferred_shots(self) -> list[str]:
        return [d.shot_id for d in self._deferred]

    @property
    def idle(self) -> bool:
        """Nothing waiting and no result owed: every job this service queued has been through
        `handle_finished`. (A runner record turns finished before its on_finished event is delivered,
        so the runner's own state would say idle while the last take is still on its way.)"""
        return not self._deferred and not self._job_shot

    def cancel_shot(self, shot_id: str) -> None:
        """Drop a waiting shot, or cancel its engine job; shots chained after it are dropped too."""
        for record in self.runner.jobs():
            if record.request.shot_id == shot_id and not record.finished:
                self.runner.cancel(record.job_id)
        self._drop_dependents(shot_id, include_self=True)

    # ---- results -----------------------------------------------------------------------------
    def handle_finished(self, result: GenerationResult) -> Take | None:
        """Call on the document's thread for every finished job. Records the take, releases waiters."""
        owed_shot = self._job_shot.pop(result.job_id, "")
        try:
            request = self.runner.get(result.job_id).request
        except Exception:
            log.warning("finished job %s is unknown to the runner", result.job_id)
            self._drop_dependents(owed_shot)
            return None
        shot_id = request.shot_id or owed_shot
        if result.status is not JobStatus.DONE:
            self._drop_dependents(shot_id)
            self._release(shot_id)  # shots that only followed it in cut order still run
            return None
        try:
            self.doc.project.shot(shot_id)
        except UserError:
            log.warning("shot %s was deleted while its take rendered; the files stay in media/", shot_id)
            self._drop_dependents(shot_id)
            return None
        take = take_from_result(self.doc.folder, request, result)
        select = request.operation in ("generate", "regenerate")
        self.doc.record_take(take, select=select)
        self._release(shot_id)
        return take

    def _release(self, shot_id: str) -> None:
        ready = [d for d in self._deferred if d.waits_for == shot_id]
        self._deferred = [d for d in self._deferred if d.waits_for != shot_id]
        for item in ready:
            try:
                self._submit(item.shot_id, item.options, item.priority)
            except UserError as exc:
                log.warning("could not queue %s: %s", item.shot_id, exc)
                self._drop_dependents(item.shot_id)
                self._release(item.shot_id)

    def _drop_dependents(self, shot_id: str, include_self: bool = False) -> None:
        """Drop the shots chained from `shot_id` (their upstream take will not come); shots that only
        waited behind one of them to keep cut order are queued instead."""
        dropped = {shot_id} if include_self else set()
        frontier = [shot_id]
        while frontier:
            current = frontier.pop()
            for item in list(self._deferred):
                chained_here = item.waits_for == current and item.chained
                if chained_here or (include_self and item.shot_id == current):
                    self._deferred.remove(item)
                    if item.shot_id not in dropped:
                        dropped.add(item.shot_id)
                        frontier.append(item.shot_id)
                        self.not_generated[item.shot_id] = shot_id
        for gone in dropped - {shot_id}:
            self._release(gone)
        if include_self:
            self._release(shot_id)


def chain_source(doc: Document, shot_id: str) -> Take | None:
    """The take a shot would be conditioned on if generated now (for previews in the inspector)."""
    return upstream_take(doc.project, doc.project.shot(shot_id))
