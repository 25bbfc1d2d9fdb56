"""`shotreel generate` and `shotreel takes`: render shots into takes from the command line."""
from __future__ import annotations

import argparse
import queue
import sys
from typing import Any, Iterable

from engine.jobs import JobStatus

from ..errors import UserError
from .common import add_command, emit, open_document, progress_for, table
from .estimate_cmds import add_generation_flags, generation_options


def register(subparsers: Any) -> None:
    p = add_command(subparsers, "generate", "Generate takes for shots (all shots by default), in cut order",
                    run_generate)
    p.add_argument("project")
    p.add_argument("--shot", action="append", metavar="SHOT", help="shot id, number or title (repeatable)")
    p.add_argument("--backend", choices=("previs", "diffusion"), help="override the shot/project backend")
    add_generation_flags(p)
    p.add_argument("--force", action="store_true", help="queue diffusion shots even when the estimate says they "
                                                        "will not fit in this machine's memory")
    p.add_argument("--missing", action="store_true", help="only shots without a selected take")
    p.add_argument("--no-sign", action="store_true", help="do not sign takes with C2PA")
    p.add_argument("--farm", nargs="?", const="", metavar="ADDRESS",
                   help="render on the farm (HOST:PORT; no address: this machine's farm or the project's setting)")
    p.add_argument("--local", action="store_true", help="render on this machine even when the project's farm is on")
    p = add_command(subparsers, "takes", "List takes with their files, lineage and conditioning source", run_takes)
    p.add_argument("project")
    p.add_argument("--shot", metavar="SHOT", help="only this shot (id, number or title)")
    p.add_argument("--all", action="store_true", help="include trashed takes")


class _Events:
    """Runner listener: engine events from the worker thread, queued for the main thread."""

    def __init__(self) -> None:
        self.queue: queue.Queue = queue.Queue()

    def on_progress(self, progress: Any) -> None:
        self.queue.put(("progress", progress))

    def on_finished(self, result: Any) -> None:
        self.queue.put(("finished", result))


def generate_shots(doc: Any, shot_ids: Iterable[str], *, options: dict | None = None, backend: str | None = None,
                   sign: bool = True, on_progress=None, on_take=None, on_failed=None,
                   requests: Iterable = (), farm: str | None = None) -> tuple[list, list]:
    """Render shots into takes on this thread's document; blocks until every job ended.
    Returns (takes recorded, (shot id, error) failures). Shared by `generate`, `demo --render` and
    `remix` (which passes ready-made `requests`). `farm`: a render farm address ('' = this machine's
    farm) to run the jobs there; the takes are written and signed here all the same."""
    from ..farm import make_runner
    from ..generate import GenerationService, signing_postprocess
    postprocess = None
    if sign:
        from ..identity import load_or_create_identity
        postprocess = signing_postprocess(load_or_create_identity())
    events = _Events()
    # Farm workers find models in their own machine's folders (SHOTREEL_MODEL_DIRS there), not ours.
    runner = make_runner(doc.job_store, farm=farm, postprocess=postprocess, listeners=[events])
    service = GenerationService(doc, runner)
    takes, failures = [], []
    try:
        shot_ids = list(shot_ids)
        if shot_ids:
            service.queue_shots(shot_ids, options=options, backend=backend)
        for request in requests:
            service.queue_request(request)
        while not service.idle or not events.queue.empty():
            try:
                kind, payload = events.queue.get(timeout=0.5)
            except queue.Empty:
                continue
            if kind == "progress":
                if on_progress:
                    on_progress(payload)
                continue
            take = service.handle_finished(payload)
            if take is not None:
                takes.append(take)
                runner.remove(payload.job_id)
                if on_take:
                    on_take(take)
            elif payload.status is JobStatus.FAILED:
                record = runner.get(payload.job_id)
                failures.append((record.request.shot_id, payload.error))
                if on_failed:
                    on_failed(record.request.shot_id, payload.error)
    except KeyboardInterrupt:
        for record in runner.jobs():
            if not record.finished:
                runner.cancel(record.job_id)
        raise
    finally:
        runner.shutdown()
    for shot_id, upstream in service.not_generated.items():   # chained after a failed or cancelled shot
        failures.append((shot_id, NotGenerated(upstream)))
    return takes, failures


class NotGenerated:
    """A shot that waited for the shot it continues from, which failed: it was not generated."""

    def __init__(self, upstream: str):
        self.upstream = upstream

    def to_dict(self) -> dict:
        return {"kind": "not_generated", "message": str(self), "upstream": self.upstream}

    def __str__(self) -> str:
        return f"not generated: it continues from {self.upstream}, which was not generated"


def _take_media_present(doc: Any, take_id: str) -> bool:
    try:
        take = doc.project.take(take_id)
    except Exception:  # a selected take the project no longer holds counts as missing
        return False
    video = take.files.get("video")
    return bool(video) and (doc.folder / video).is_file()


def run_generate(args: argparse.Namespace) -> int:
    with open_document(args.project) as doc:
        project = doc.project
        if args.shot:
            shots = [project.resolve_shot(ref) for ref in args.shot]
        else:
            shots = [shot for _, shot in project.shots()]
        if args.missing:
            offline = [s for s in shots if s.selected_take and not _take_media_present(doc, s.selected_take)]
            numbers = {shot.id: i + 1 for i, (_, shot) in enumerate(project.shots())}
            for s in offline:
                print(f"shot {numbers[s.id]}: the video of its take {s.selected_take} is missing (media offline): "
                      "generating it again", file=sys.stderr)
            shots = [s for s in shots if not s.selected_take or s in offline]
        if not shots:
            raise UserError("nothing to generate: the project has no shots" if not args.missing
                            else "every shot already has a take")
        options: dict[str, Any] = generation_options(args)
        _check_fits(doc, shots, options, args)
        numbers = {shot.id: i + 1 for i, (_, shot) in enumerate(project.shots())}
        bar = progress_for(args, "generate")
        done: list[str] = []

        def on_take(take: Any) -> None:
            done.append(take.id)
            bar.update(len(done), len(shots), "takes", f"shot {numbers.get(take.shot_id, '?')} -> {take.id}")

        from ..farm import farm_address_for
        farm = None if args.local else farm_address_for(project.settings, args.farm)
        with bar:
            takes, failures = generate_shots(doc, [s.id for s in shots], options=options, backend=args.backend,
                                             sign=not args.no_sign, on_progress=bar, on_take=on_take, farm=farm)
        records = [_take_json(doc, t) for t in takes]
        errors = [{"shot": s, "error": e.to_dict() if e else None} for s, e in failures]
        emit(args, {"takes": records, "failed": errors},
             lambda: "\n".join([f"shot {numbers.get(t.shot_id, '?'):>3}  {t.id}  {t.frames}f  {t.files.get('video', '')}"
                                for t in takes] +
                               [f"shot {numbers.get(s, '?'):>3}  " + (
                                   f"not generated: it continues from shot {numbers.get(e.upstream, '?')}, which failed"
                                   if isinstance(e, NotGenerated) else f"FAILED: {e}") for s, e in failures] +
                               [f"{len(takes)} take(s) generated" + (f", {len(failures)} failed" if failures else "")]))
        return 1 if failures else 0


def _check_fits(doc: Any, shots: list, options: dict, args: argparse.Namespace) -> None:
    """Before queueing: every diffusion shot's settings must be able to run (else the reason), and its
    estimate must fit this machine's device unless --force (a job that cannot fit asks first)."""
    from ..diffusion_estimate import shots_that_do_not_fit
    too_big = shots_that_do_not_fit(doc, [s.id for s in shots], options, args.backend)
    if too_big and not args.force:
        raise UserError("the estimate says these shots will not fit: " + "; ".join(too_big) +
                        ". Lower the memory mode, size or dtype (see `shotreel estimate`), or pass --force to "
                        "queue them anyway")


def _take_json(doc: Any, take: Any) -> dict[str, Any]:
    data = take.to_dict()
    data["selected"] = any(s.selected_take == take.id for _, s in doc.project.shots())
    data["files_abs"] = {role: str(doc.abspath(path)) for role, path in take.files.items()}
    return data


def run_takes(args: argparse.Namespace) -> int:
    with open_document(args.project, readonly=True) as doc:
        project = doc.project
        shots = [project.resolve_shot(args.shot)] if args.shot else [s for _, s in project.shots()]
        numbers = {shot.id: i + 1 for i, (_, shot) in enumerate(project.shots())}
        takes = [t for s in shots for t in project.takes_of(s.id, include_trashed=args.all)]
        selected = {s.selected_take for s in shots}
        rows = [(numbers.get(t.shot_id, "?"), ("*" if t.id in selected else " ") + t.id, t.operation,
                 t.parent_take_id or "-", f"{t.source_take_id}@{t.source_frame}" if t.source_take_id else "-",
                 f"{t.frames}f", t.backend, t.files.get("video", ""), t.status.value) for t in takes]
        emit(args, {"takes": [_take_json(doc, t) for t in takes]},
             lambda: table(rows, ("shot", "take", "operation", "parent", "conditioned on", "length", "backend",
                                  "video", "status")) if rows else "no takes yet (run `shotreel generate`)")
        return 0
