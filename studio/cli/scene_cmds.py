"""`shotreel scene add|edit|list`: scenes (sequences) and their headings ('EXT. COVE - NIGHT')."""
from __future__ import annotations

import argparse
from typing import Any

from ..errors import UserError
from .common import add_command, emit, open_document, table


def register(subparsers: Any) -> None:
    group = subparsers.add_parser("scene", help="Add, rename and list the scenes of a project",
                                  description="Add, rename and list the scenes of a project")
    sub = group.add_subparsers(title="scene commands", metavar="SUBCOMMAND")
    group.set_defaults(func=lambda args: (group.print_help(), 2)[1])
    p = add_command(sub, "add", "Add a scene with a heading (INT./EXT. PLACE - TIME)", run_add)
    p.add_argument("project")
    p.add_argument("--heading", required=True, help="e.g. 'EXT. COVE - NIGHT'")
    p.add_argument("--at", type=int, help="position among the scenes, 1-based (default: last)")
    p = add_command(sub, "edit", "Change a scene's heading (SCENE = id, number or heading)", run_edit)
    p.add_argument("project")
    p.add_argument("scene")
    p.add_argument("--heading", required=True)
    p = add_command(sub, "list", "List the scenes with how the previs reads their headings", run_list)
    p.add_argument("project")


def find_scene(doc: Any, ref: str):
    for i, seq in enumerate(doc.project.sequences):
        if ref in (seq.id, str(i + 1)) or seq.heading.strip().lower() == ref.strip().lower():
            return seq
    raise UserError(f"no scene {ref!r} (give its id, number or heading; see `shotreel scene list`)")


def _record(doc: Any, seq) -> dict[str, Any]:
    from ..shotplan import build_plan
    plan = build_plan(seq.heading)
    return {"id": seq.id, "number": doc.project.sequences.index(seq) + 1, "heading": seq.heading,
            "shots": len(seq.shots), "place": plan.place.kind, "interior": plan.place.interior,
            "time_of_day": plan.time_of_day, "weather": plan.weather}


def run_add(args: argparse.Namespace) -> int:
    from ..commands import AddSequence
    with open_document(args.project) as doc:
        count = len(doc.project.sequences)
        index = None
        if args.at is not None:
            if not 1 <= args.at <= count + 1:
                raise UserError(f"--at {args.at}: the project has positions 1..{count + 1}")
            index = args.at - 1
        command = AddSequence(heading=args.heading.strip(), index=index)
        doc.execute(command)
        record = _record(doc, doc.project.sequence(command.seq_id))
        emit(args, record, f"Added scene {record['number']} {record['heading']!r} ({record['id']}): "
                           f"{record['place'].replace('_', ' ')}, {record['time_of_day']}")
    return 0


def run_edit(args: argparse.Namespace) -> int:
    from ..commands import SetSequenceHeading
    with open_document(args.project) as doc:
        seq = find_scene(doc, args.scene)
        doc.execute(SetSequenceHeading(seq.id, args.heading.strip()))
        record = _record(doc, seq)
        emit(args, record, f"Scene {record['number']} is now {record['heading']!r}: "
                           f"{record['place'].replace('_', ' ')}, {record['time_of_day']}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    with open_document(args.project) as doc:
        records = [_record(doc, s) for s in doc.project.sequences]
        emit(args, records, lambda: table(
            [(r["number"], r["heading"] or "(no heading)", r["shots"], r["place"].replace("_", " "),
              "INT" if r["interior"] else "EXT", r["time_of_day"], r["id"]) for r in records],
            ("#", "heading", "shots", "place", "in/ext", "time", "id")))
    return 0
