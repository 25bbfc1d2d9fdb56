"""Project and shot commands: new, add-shot, edit-shot, shots, undo, redo, open, demo."""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from engine.cues import CameraCue, CameraMove, Direction, MotionCue

from ..errors import UserError
from ..timebase import format_duration, format_timecode, parse_duration
from .common import add_command, emit, open_document, parse_lora_flags, progress_for, table

DEFAULT_DEMO = Path("projects") / "demo.shotreel"
CAMERA_MOVES = [m.value for m in CameraMove]
DIRECTIONS = [d.value for d in Direction if d.value]


def register(subparsers: Any) -> None:
    p = add_command(subparsers, "new", "Create a project folder (e.g. projects/heist.shotreel)", run_new)
    p.add_argument("path")
    p.add_argument("--name", help="project name (default: the folder name)")
    p.add_argument("--fps", default="24", help="frame rate: 24, 25, 30, 23.976 or 30000/1001 (default 24)")
    p.add_argument("--size", default="1280x720", help="frame size WIDTHxHEIGHT (default 1280x720)")

    p = add_command(subparsers, "add-shot", "Add a shot to a scene (the last scene by default)", run_add_shot)
    p.add_argument("project")
    _shot_flags(p, adding=True)

    p = add_command(subparsers, "edit-shot", "Change fields of a shot (SHOT = id, number or title)", run_edit_shot)
    p.add_argument("project")
    p.add_argument("shot")
    _shot_flags(p, adding=False)

    p = add_command(subparsers, "shots", "List the shots of a project", run_shots)
    p.add_argument("project")

    p = add_command(subparsers, "undo", "Undo the last edit of a project (works across runs)", run_undo)
    p.add_argument("project")
    p = add_command(subparsers, "redo", "Redo the last undone edit", run_redo)
    p.add_argument("project")

    p = add_command(subparsers, "open", "Open the studio window (on a project)", run_open)
    p.add_argument("project", nargs="?")

    p = add_command(subparsers, "demo", f"Build the demo project (default {DEFAULT_DEMO}); with --render "
                    "and --export, the whole headless run", run_demo)
    p.add_argument("path", nargs="?", default=str(DEFAULT_DEMO))
    p.add_argument("--render", action="store_true", help="generate every shot that has no take (previs)")
    p.add_argument("--export", metavar="FILE", help="then export the cut (e.g. demo.mp4, signed)")


def _shot_flags(p: argparse.ArgumentParser, adding: bool) -> None:
    p.add_argument("--title", required=adding, help="shot title")
    p.add_argument("--prompt", help="the action: what happens in the shot")
    p.add_argument("--dialogue", help="the script's dialogue for the shot")
    p.add_argument("--notes")
    p.add_argument("--duration", help="3s, 2.5s, 72f, 500ms or 00:00:03:00 (default 3s)")
    p.add_argument("--camera", metavar="MOVE", help=f"camera move: {', '.join(CAMERA_MOVES)}")
    p.add_argument("--direction", metavar="DIR", help=f"move direction: {', '.join(DIRECTIONS)}")
    p.add_argument("--amount", type=float, help="how much the camera moves, 0..1")
    p.add_argument("--easing", help="linear, ease_in, ease_out, ease_in_out")
    p.add_argument("--lens", type=float, metavar="MM", help="focal length in mm")
    p.add_argument("--shot-size", help="ECU, CU, MCU, MS, MLS, WS, EWS")
    p.add_argument("--angle", help="eye, high, low, overhead, dutch")
    p.add_argument("--motion", metavar="TEXT", help="what the subject does ('walks to the window')")
    p.add_argument("--subject", help="who moves (a character name)")
    p.add_argument("--intensity", type=float, help="how much the subject moves, 0..1")
    p.add_argument("--screen-direction", help="left, right, toward, away")
    p.add_argument("--continuity", help="previous, reference or none")
    p.add_argument("--seed", type=int)
    p.add_argument("--backend", help="generation backend for this shot ('' = the project's)")
    if adding:
        p.add_argument("--scene", help="scene id, number or heading (default: the last scene)")
        p.add_argument("--at", type=int, metavar="N", help="position in the scene, 1-based (default: the end)")
    p.add_argument("--ref", action="append", metavar="NAME",
                   help="bible entry to reference, by name or id (repeatable; replaces the shot's list)")
    p.add_argument("--lora", action="append", metavar="FILE[:WEIGHT[:TRIGGER]]",
                   help="a .safetensors LoRA for diffusion takes of this shot, copied into the project (repeatable; "
                        "replaces the shot's list; --lora '' clears it)")


# ---- new -----------------------------------------------------------------------------------------

def parse_size(text: str) -> tuple[int, int]:
    parts = text.lower().replace("×", "x").split("x")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise UserError(f"size: {text!r} is not like 1280x720")
    return int(parts[0]), int(parts[1])


def run_new(args: argparse.Namespace) -> int:
    from ..document import Document
    width, height = parse_size(args.size)
    with Document.create(args.path, name=args.name, fps=args.fps, width=width, height=height) as doc:
        p = doc.project
        emit(args, {"path": str(doc.folder), "name": p.name, "fps": f"{p.fps.numerator}/{p.fps.denominator}",
                    "width": p.width, "height": p.height},
             f"Created {p.name} at {doc.folder} ({float(p.fps):g} fps, {p.width}x{p.height})")
    return 0


# ---- add-shot / edit-shot ----------------------------------------------------------------------

def _camera_changes(args: argparse.Namespace) -> dict[str, Any]:
    given = {"move": args.camera, "direction": args.direction, "amount": args.amount, "easing": args.easing,
             "lens_mm": args.lens, "shot_size": args.shot_size, "angle": args.angle}
    return {k: v for k, v in given.items() if v is not None}


def _motion_changes(args: argparse.Namespace) -> dict[str, Any]:
    given = {"action": args.motion, "subject": args.subject, "intensity": args.intensity,
             "screen_direction": args.screen_direction}
    return {k: v for k, v in given.items() if v is not None}


def _refs(doc: Any, names: list[str] | None) -> tuple[str, ...] | None:
    if names is None:
        return None
    refs = []
    for name in names:
        entry = doc.project.bible_by_name(name) or next((b for b in doc.project.bible if b.id == name), None)
        if entry is None:
            known = ", ".join(b.name for b in doc.project.bible) or "none yet"
            raise UserError(f"no bible entry named {name!r} (known: {known})")
        refs.append(entry.id)
    return tuple(dict.fromkeys(refs))


def check_backend(name: str) -> None:
    """Refuse a backend no engine provides when the shot is edited, not when it fails to generate."""
    from engine.backends import known_backend_names
    known = known_backend_names()
    if name.strip() not in known:
        raise UserError(f"backend {name!r} is not one of {', '.join(known)} ('' = the project's default)")


def _shot_values(doc: Any, args: argparse.Namespace, shot: Any = None) -> dict[str, Any]:
    """The Shot fields the flags ask for (camera and motion merged into the shot's current cues)."""
    values: dict[str, Any] = {}
    for name in ("title", "prompt", "dialogue", "notes", "continuity", "seed", "backend"):
        value = getattr(args, name)
        if value is not None:
            values[name] = value
    if values.get("backend"):
        check_backend(values["backend"])
    if args.duration is not None:
        values["duration"] = parse_duration(args.duration, doc.project.fps)
    elif shot is None:
        values["duration"] = parse_duration("3s", doc.project.fps)
    camera = _camera_changes(args)
    if camera:
        base = shot.camera if shot is not None else CameraCue()
        if "move" in camera and "direction" not in camera:
            camera["direction"] = ""  # the new move's default direction, not the old move's
        values["camera"] = base.with_(**camera)
    motion = _motion_changes(args)
    if motion:
        current = shot.motion if shot is not None else ()
        first = current[0] if current else MotionCue()
        if "action" in motion:
            motion["kind"] = None  # re-infer what the subject does from the new text
        values["motion"] = (first.with_(**motion),) + tuple(current[1:])
    refs = _refs(doc, args.ref)
    if refs is not None:
        values["bible_refs"] = refs
    if getattr(args, "lora", None) is not None:
        values["loras"] = parse_lora_flags(doc, args.lora)
    return values


def _find_scene(doc: Any, ref: str | None):
    seqs = doc.project.sequences
    if ref is None:
        return seqs[-1]
    for i, seq in enumerate(seqs):
        if ref in (seq.id, str(i + 1)) or seq.heading.lower() == ref.lower():
            return seq
    raise UserError(f"no scene {ref!r} (give its id, number or heading)")


def _shot_record(doc: Any, shot_id: str) -> dict[str, Any]:
    for number, start, seq, shot in _numbered(doc):
        if shot.id == shot_id:
            return _shot_json(doc, number, start, seq, shot)
    raise UserError(f"no shot {shot_id}")


def run_add_shot(args: argparse.Namespace) -> int:
    from ..commands import AddShot
    from ..continuity import default_continuity
    from ..model import Shot
    with open_document(args.project) as doc:
        seq = _find_scene(doc, args.scene)
        values = _shot_values(doc, args)
        index = None
        if args.at is not None:
            if not 1 <= args.at <= len(seq.shots) + 1:
                raise UserError(f"--at {args.at}: the scene has positions 1..{len(seq.shots) + 1}")
            index = args.at - 1
        shot = Shot.create(**values)
        if args.continuity is None:
            shot = shot.with_(continuity=default_continuity(doc.project, seq.id, index, shot))
        doc.execute(AddShot(seq.id, shot, index))
        record = _shot_record(doc, shot.id)
        emit(args, record, f"Added shot {record['number']} {shot.title!r} ({shot.id}) to "
                           f"{seq.heading or 'scene ' + str(doc.project.sequences.index(seq) + 1)}")
    return 0


def run_edit_shot(args: argparse.Namespace) -> int:
    from ..commands import SetShotFields
    with open_document(args.project) as doc:
        shot = doc.project.resolve_shot(args.shot)
        values = _shot_values(doc, args, shot)
        if not values:
            raise UserError("nothing to change: give at least one flag (see shotreel edit-shot --help)")
        doc.execute(SetShotFields(shot.id, **values))
        record = _shot_record(doc, shot.id)
        emit(args, record, f"Edited shot {record['number']} {record['title']!r}: {', '.join(sorted(values))}")
    return 0


# ---- shots ---------------------------------------------------------------------------------------

def _numbered(doc: Any):
    number, start = 0, 0
    for seq in doc.project.sequences:
        for shot in seq.shots:
            number += 1
            yield number, start, seq, shot
            start += shot.duration


def _shot_json(doc: Any, number: int, start: int, seq: Any, shot: Any) -> dict[str, Any]:
    fps = doc.project.fps
    return {"number": number, "scene_id": seq.id, "scene": seq.heading, "start": start,
            "timecode": format_timecode(start, fps), "seconds": float(shot.duration / fps),
            "camera_text": shot.camera.describe(), **shot.to_dict()}


def run_shots(args: argparse.Namespace) -> int:
    with open_document(args.project, readonly=True) as doc:
        p = doc.project
        shots = [_shot_json(doc, *row) for row in _numbered(doc)]
        total = sum(s["duration"] for s in shots)
        data = {"project": {"name": p.name, "path": str(doc.folder), "fps": f"{p.fps.numerator}/{p.fps.denominator}",
                            "width": p.width, "height": p.height, "duration": total,
                            "scenes": [{"id": s.id, "heading": s.heading, "shots": len(s.shots)}
                                       for s in p.sequences],
                            "bible": [{"id": b.id, "kind": b.kind.value, "name": b.name} for b in p.bible]},
                "shots": shots}

        def text() -> str:
            lines = [f"{p.name}: {len(shots)} shots, {format_duration(total, p.fps)}, {float(p.fps):g} fps, "
                     f"{p.width}x{p.height}"]
            for i, seq in enumerate(p.sequences):
                lines.append("")
                lines.append(seq.heading or f"Scene {i + 1}")
                rows = [(s["number"], s["id"], s["title"], format_duration(s["duration"], p.fps), s["camera_text"],
                         s["continuity"], s["selected_take"] or "-") for s in shots if s["scene_id"] == seq.id]
                lines.append(table(rows, ("#", "ID", "TITLE", "DURATION", "CAMERA", "CONTINUITY", "TAKE"))
                             if rows else "  (no shots yet: shotreel add-shot)")
            return "\n".join(lines)
        emit(args, data, text)
    return 0


# ---- undo / redo ---------------------------------------------------------------------------------

def _history_step(args: argparse.Namespace, undo: bool) -> int:
    with open_document(args.project) as doc:
        label = doc.undo() if undo else doc.redo()
        verb = "Undid" if undo else "Redid"
        data = {"done": label is not None, "label": label, "can_undo": doc.can_undo, "can_redo": doc.can_redo,
                "undo_text": doc.undo_text, "redo_text": doc.redo_text}
        emit(args, data, f"{verb}: {label}" if label else f"Nothing to {'undo' if undo else 'redo'}")
    return 0


def run_undo(args: argparse.Namespace) -> int:
    return _history_step(args, undo=True)


def run_redo(args: argparse.Namespace) -> int:
    return _history_step(args, undo=False)


# ---- open / demo ---------------------------------------------------------------------------------

def app_argv(project: str | None) -> list[str]:
    """The command that starts the Qt studio; run as a new program so studio never imports ui/Qt."""
    return [sys.executable, "-m", "ui.app"] + ([project] if project else [])


def run_open(args: argparse.Namespace) -> int:
    project = None
    if args.project:
        with open_document(args.project) as doc:  # a clear CLI error beats a dialog for a bad path
            project = str(doc.folder.resolve())
    spec = importlib.util.find_spec("ui")
    if spec is None or not spec.submodule_search_locations or \
            not any((Path(loc) / "app.py").exists() for loc in spec.submodule_search_locations):
        raise UserError("the studio window is not installed (ui/app.py is missing)")
    argv = app_argv(project)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(argv[0], argv)
    return 0  # not reached


def run_demo(args: argparse.Namespace) -> int:
    from ..demo import build_demo
    from ..document import Document
    existing = (Path(args.path) / "project.db").exists()
    doc = Document.open(args.path) if existing else build_demo(args.path)
    with doc:
        p = doc.project
        shots = [s for _, s in p.shots()]
        record: dict[str, Any] = {"path": str(doc.folder), "name": p.name, "shots": len(shots),
                                  "duration": sum(s.duration for s in p.sequences), "built": not existing}
        lines = [(f"Using the demo project {p.name!r} at {doc.folder}" if existing else
                  f"Built the demo project {p.name!r} at {doc.folder}") + f": {len(shots)} shots."]
        if args.render:
            from .generate_cmds import generate_shots
            missing = [s.id for s in shots if not s.selected_take]
            bar = progress_for(args, "render")
            with bar:
                takes, failures = generate_shots(doc, missing, on_progress=bar)
            if failures:
                raise UserError(f"{len(failures)} demo shot(s) failed to render: {failures[0][1]}")
            record["rendered"] = len(takes)
            lines.append(f"Rendered {len(takes)} take(s) with the built-in previs engine"
                         + (f" ({len(shots) - len(missing)} already had one)." if len(missing) < len(shots) else "."))
        if args.export:
            from .export_cmds import export_any
            bar = progress_for(args, "export")
            with bar:
                exported, text = export_any(doc, args.export, progress=bar)
            record["export"] = exported
            lines.append(f"Exported {text}")
        elif not args.render:
            lines.append(f"List the shots with: shotreel shots {doc.folder}")
        emit(args, record, "\n".join(lines))
    return 0
