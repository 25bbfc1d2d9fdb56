"""`shotreel plan PROJECT SHOT [--json]`: what the previs will draw for a shot (the shot plan)."""
from __future__ import annotations

import argparse
from typing import Any

from .common import add_command, emit, open_document


def register(subparsers: Any) -> None:
    p = add_command(subparsers, "plan", "Show what the previs reads from a shot's words (people, place, time, "
                    "props, action) and what it could not place", run_plan)
    p.add_argument("project")
    p.add_argument("shot", help="shot id, number or title")


def plan_text(plan) -> str:
    lines = ["Previs sees: " + plan.summary()]
    subject = plan.subject
    if subject.kind == "person":
        lines.append(f"Subject: {plan.people[subject.index].label} ({subject.part})")
    elif subject.kind == "prop":
        lines.append(f"Subject: the {plan.props[subject.index].kind}")
    for w in plan.warnings:
        hint = f" Add them: shotreel bible add PROJECT --kind character --name {w.name!r}" \
            if w.kind == "not_in_bible" else ""
        lines.append(f"warning: {w.message}{hint}")
    return "\n".join(lines)


def run_plan(args: argparse.Namespace) -> int:
    from ..shotplan import plan_for_shot
    with open_document(args.project) as doc:
        shot = doc.project.resolve_shot(args.shot)
        seq, _, _ = doc.project.find_shot(shot.id)
        plan = plan_for_shot(doc.project, seq, shot)
        emit(args, {"shot": shot.id, "plan": plan.to_dict(), "summary": plan.summary()}, plan_text(plan))
    return 0
