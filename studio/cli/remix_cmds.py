"""`shotreel remix`, `select`, `stale` and `seams`: iterate on takes from the command line.

    shotreel remix PROJECT TAKE --op variations|remix|extend|recut|loop|blend [--count N] [--prompt TEXT]
                   [--strength S] [--frames N] [--to TAKE] [--in F --out F] ...
    shotreel select PROJECT TAKE
    shotreel stale PROJECT [--json] [--regenerate]
    shotreel seams PROJECT [--json] [--match-colour SHOT]

A TAKE is a take id, or a shot (id, number or title) meaning its selected take. Jobs run through
the same loop as `shotreel generate` (studio.cli.generate_cmds.generate_shots).
"""
from __future__ import annotations

import argparse
from typing import Any

from ..errors import UserError
from .common import add_command, emit, open_document, progress_for, table


def register(subparsers: Any) -> None:
    from ..remix import OPERATIONS
    p = add_command(subparsers, "remix", "Make new takes from a take: variations, remix, extend, re-cut, loop, blend",
                    run_remix)
    p.add_argument("project")
    p.add_argument("take", help="take id, or a shot (id, number or title) for its selected take")
    p.add_argument("--op", required=True, choices=OPERATIONS, help="the operation")
    p.add_argument("--count", type=int, default=4, help="variations: how many (default 4)")
    p.add_argument("--prompt", help="remix: the changed description")
    p.add_argument("--strength", type=float, default=0.6, help="remix: how much may change, 0..1 (default 0.6)")
    p.add_argument("--frames", type=int, help="extend: new frames (default 24); loop/blend: length (default: "
                                               "the take's / 12)")
    p.add_argument("--direction", choices=("forward", "backward"), default="forward", help="extend: which way")
    p.add_argument("--from-frame", type=int, help="extend: the frame to extend from; loop: where the loop starts")
    p.add_argument("--to", metavar="TAKE", help="blend: the take to blend into (default: the next shot's take)")
    p.add_argument("--in", dest="trim_in", type=int, help="recut: first frame played")
    p.add_argument("--out", dest="trim_out", type=int, help="recut: frame after the last one played (0 = the end)")
    p.add_argument("--camera", metavar="MOVE", help="remix: a new camera move (pan, dolly_in, orbit...)")
    p.add_argument("--camera-direction", metavar="DIR", help="remix: the camera move's direction")
    p.add_argument("--amount", type=float, help="remix: how much the camera moves, 0..1")
    p.add_argument("--lens", type=float, metavar="MM", help="remix: focal length")
    p.add_argument("--motion", metavar="TEXT", help="remix: what the subject does now")
    p.add_argument("--subject", help="remix: who moves")
    p.add_argument("--intensity", type=float, help="remix: how much the subject moves, 0..1")
    p.add_argument("--screen-direction", help="remix: left, right, toward, away")
    p.add_argument("--no-sign", action="store_true", help="do not sign the new takes with C2PA")

    p = add_command(subparsers, "select", "Make a take its shot's selected take (undoable)", run_select)
    p.add_argument("project")
    p.add_argument("take", help="take id")

    p = add_command(subparsers, "stale", "List shots whose take chains from a take no longer selected upstream",
                    run_stale)
    p.add_argument("project")
    p.add_argument("--regenerate", action="store_true", help="regenerate the stale shots, in cut order")
    p.add_argument("--no-sign", action="store_true", help="do not sign the new takes with C2PA")

    p = add_command(subparsers, "seams", "Measure colour / exposure jumps and flashes at continuity cuts",
                    run_seams)
    p.add_argument("project")
    p.add_argument("--match-colour", "--match-color", metavar="SHOT", dest="match_colour",
                   help="make a colour-matched take of SHOT toward the previous shot's end (undo restores it)")
    p.add_argument("--no-sign", action="store_true", help="do not sign the new take with C2PA")


# ---- helpers ------------------------------------------------------------------------------------------

def resolve_take(project: Any, ref: str) -> Any:
    """A take by id, else the selected take of a shot given by id, number or title."""
    ref = str(ref).strip()
    if ref in project.takes:
        return project.takes[ref]
    try:
        shot = project.resolve_shot(ref)
    except UserError:
        raise UserError(f"no take {ref!r} (give a take id from `shotreel takes`, or a shot for its selected take)") \
            from None
    if not shot.selected_take:
        raise UserError(f"shot '{shot.title or shot.id}' has no selected take yet: generate it first")
    return project.take(shot.selected_take)


def _numbers(project: Any) -> dict[str, int]:
    return {shot.id: i + 1 for i, (_, shot) in enumerate(project.shots())}


def _run_jobs(args: argparse.Namespace, doc: Any, requests: list, label: str) -> tuple[list, list]:
    from ..remix import AUTO_SELECT, select_when_recorded
    from .generate_cmds import generate_shots
    chosen = [r.job_id for r in requests if r.operation in AUTO_SELECT]
    unsubscribe = select_when_recorded(doc, chosen) if chosen else None
    bar = progress_for(args, label)
    done: list[str] = []

    def on_take(take: Any) -> None:
        done.append(take.id)
        bar.update(len(done), len(requests), "takes", take.id)
    try:
        with bar:
            return generate_shots(doc, [], requests=requests, sign=not args.no_sign,
                                  on_progress=bar, on_take=on_take)
    finally:
        if unsubscribe:
            unsubscribe()


def _cue_changes(args: argparse.Namespace, base: Any) -> tuple[Any, Any]:
    camera = {k: v for k, v in {"move": args.camera, "direction": args.camera_direction, "amount": args.amount,
                                "lens_mm": args.lens}.items() if v is not None}
    if "move" in camera and "direction" not in camera:
        camera["direction"] = ""
    motion_changes = {k: v for k, v in {"action": args.motion, "subject": args.subject, "intensity": args.intensity,
                                        "screen_direction": args.screen_direction}.items() if v is not None}
    motion = None
    if motion_changes:
        from engine.cues import MotionCue
        first = base.motion[0] if base.motion else MotionCue()
        if "action" in motion_changes:
            motion_changes["kind"] = None
        motion = (first.with_(**motion_changes),) + tuple(base.motion[1:])
    return (camera or None), motion


def _take_lines(doc: Any, takes: list, failures: list) -> str:
    numbers = _numbers(doc.project)
    lines = [f"shot {numbers.get(t.shot_id, '?'):>3}  {t.id}  {t.operation:<12} from {t.parent_take_id or '-'}  "
             f"{t.frames}f  {t.files.get('video', '')}" for t in takes]
    lines += [f"shot {numbers.get(s, '?'):>3}  FAILED: {e}" for s, e in failures]
    return "\n".join(lines)


# ---- commands -----------------------------------------------------------------------------------------

def run_remix(args: argparse.Namespace) -> int:
    from .. import remix
    from .generate_cmds import _take_json
    with open_document(args.project) as doc:
        project = doc.project
        take = resolve_take(project, args.take)
        op = args.op
        if op == "recut":
            if args.trim_in is None and args.trim_out is None:
                raise UserError("recut needs --in and/or --out (frames of the take)")
            shot = project.shot(take.shot_id)
            trim_in = args.trim_in if args.trim_in is not None else shot.trim_in
            trim_out = args.trim_out if args.trim_out is not None else shot.trim_out
            remix.recut(doc, take.id, trim_in, trim_out)
            shot = project.shot(take.shot_id)
            emit(args, {"shot": shot.id, "take": take.id, "trim_in": shot.trim_in, "trim_out": shot.trim_out},
                 f"Shot {_numbers(project)[shot.id]} plays take {take.id} frames {shot.trim_in}.."
                 f"{shot.trim_out or take.frames} (undo with `shotreel undo`)")
            return 0
        if op == "variations":
            requests = remix.plan_variations(doc, take.id, args.count)
        elif op == "remix":
            base = remix.take_request(doc, take)
            camera, motion = _cue_changes(args, base)
            requests = remix.plan_remix(doc, take.id, args.prompt, args.strength, camera=camera, motion=motion)
        elif op == "extend":
            requests = remix.plan_extend(doc, take.id, args.frames or 24, args.direction, args.from_frame)
        elif op == "loop":
            requests = remix.plan_loop(doc, take.id, start=args.from_frame or 0, frames=args.frames)
        else:  # blend
            if args.to:
                other = resolve_take(project, args.to)
            else:
                following = _next_shot(project, take.shot_id)
                if following is None or not following.selected_take:
                    raise UserError("blend: the next shot has no take; name one with --to TAKE")
                other = project.take(following.selected_take)
            requests = remix.plan_blend(doc, take.id, other.id, args.frames or 12)
        takes, failures = _run_jobs(args, doc, requests, op)
        records = [_take_json(doc, t) for t in takes]
        seams = []
        if op == "loop":
            seams = [remix.loop_seam(doc, t).to_dict() for t in takes]
            for record, seam in zip(records, seams):
                record["loop_seam"] = seam
        errors = [{"shot": s, "error": e.to_dict() if e else None} for s, e in failures]
        text = _take_lines(doc, takes, failures)
        for seam in seams:
            text += "\n" + loop_seam_text(seam)
        emit(args, {"operation": op, "parent": take.id, "takes": records, "failed": errors},
             text + f"\n{len(takes)} take(s) made" + (f", {len(failures)} failed" if failures else ""))
        return 1 if failures else 0


def loop_seam_text(seam: dict) -> str:
    """One line on how well a loop closes (`LoopSeam.to_dict()`); a still take has no ratio."""
    if seam["ratio"] is None:  # no frame-to-frame change inside the take to compare the jump with
        compared = "the take holds still, so any jump at the seam shows"
    else:
        compared = f"a frame step is {seam['typical_step']:.2f}; ratio {seam['ratio']:.2f}, ~1 is seamless"
    return f"loop seam of {seam['take_id']}: {seam['seam_mad']:.2f} mean abs difference ({compared})"


def _next_shot(project: Any, shot_id: str) -> Any:
    seq, index, _ = project.find_shot(shot_id)
    return seq.shots[index + 1] if index + 1 < len(seq.shots) else None


def run_select(args: argparse.Namespace) -> int:
    from ..commands import ChooseTake
    with open_document(args.project) as doc:
        take = doc.project.take(args.take)
        doc.execute(ChooseTake(take.id))
        from ..continuity import stale_shots
        stale = stale_shots(doc.project)
        number = _numbers(doc.project).get(take.shot_id, "?")
        emit(args, {"shot": take.shot_id, "take": take.id, "stale": stale},
             f"Shot {number} now uses take {take.id}" +
             (f"; {len(stale)} shot(s) downstream are stale (`shotreel stale`)" if stale else ""))
        return 0


def run_stale(args: argparse.Namespace) -> int:
    from ..continuity import stale_shots
    from .generate_cmds import _take_json
    with open_document(args.project) as doc:
        project = doc.project
        numbers = _numbers(project)
        stale = stale_shots(project)
        order = [shot.id for _, shot in project.shots() if shot.id in stale]
        rows = [(numbers[s], s, project.shot(s).title, stale[s]) for s in order]
        if not args.regenerate:
            emit(args, {"stale": [{"shot": s, "number": numbers[s], "reason": stale[s]} for s in order]},
                 lambda: table(rows, ("shot", "id", "title", "why")) if rows else "no stale shots")
            return 0
        if not order:
            emit(args, {"stale": [], "takes": [], "failed": []}, "no stale shots")
            return 0
        from .generate_cmds import generate_shots
        bar = progress_for(args, "regenerate")
        with bar:
            takes, failures = generate_shots(doc, order, sign=not args.no_sign, on_progress=bar)
        left = stale_shots(project)
        emit(args, {"regenerated": order, "takes": [_take_json(doc, t) for t in takes],
                    "failed": [{"shot": s, "error": e.to_dict() if e else None} for s, e in failures],
                    "stale": [{"shot": s, "reason": r} for s, r in left.items()]},
             _take_lines(doc, takes, failures) + f"\n{len(takes)} stale shot(s) regenerated"
             + (f"; still stale: {', '.join(str(numbers[s]) for s in left)}" if left else ""))
        return 1 if failures or left else 0


def run_seams(args: argparse.Namespace) -> int:
    from ..seams import check_seams
    with open_document(args.project) as doc:
        project = doc.project
        numbers = _numbers(project)
        if args.match_colour:
            from .. import remix
            shot = project.resolve_shot(args.match_colour)
            before = check_seams(project, doc.folder)
            requests = remix.plan_colour_match(doc, shot.id)
            takes, failures = _run_jobs(args, doc, requests, "grade")
            after = check_seams(project, doc.folder)
            old = next((r for r in before if r.shot_id == shot.id), None)
            new = next((r for r in after if r.shot_id == shot.id), None)
            emit(args, {"shot": shot.id, "takes": [t.to_dict() for t in takes],
                        "failed": [{"shot": s, "error": e.to_dict() if e else None} for s, e in failures],
                        "before": old.to_dict() if old else None, "after": new.to_dict() if new else None},
                 _take_lines(doc, takes, failures) +
                 (f"\ncut into shot {numbers[shot.id]}: ΔE {old.delta_e:.1f} -> {new.delta_e:.1f}, exposure "
                  f"{old.exposure_jump:+.1f} -> {new.exposure_jump:+.1f} (undo with `shotreel undo`)"
                  if old and new else ""))
            return 1 if failures else 0
        reports = check_seams(project, doc.folder)
        rows = [(numbers[r.previous_shot_id], numbers[r.shot_id], f"{r.delta_e:.1f}", f"{r.histogram:.2f}",
                 f"{r.exposure_jump:+.1f}", "FLAG" if r.flagged else "ok", "; ".join(r.reasons))
                for r in reports]
        emit(args, {"seams": [r.to_dict() for r in reports], "flagged": sum(r.flagged for r in reports)},
             lambda: table(rows, ("from", "to", "ΔE", "hist", "exposure", "", "why")) if rows else
             "no continuity cuts with takes on both sides")
        return 0
