"""`shotreel import`: Fountain screenplays and Storyboarder projects into a project, as one undo step."""
from __future__ import annotations

import argparse
from typing import Any

from .common import add_command, emit, open_document


def register(subparsers: Any) -> None:
    p = add_command(subparsers, "import", "Import a .fountain screenplay or a .storyboarder project "
                    "(one undoable step)", run_import)
    p.add_argument("project")
    p.add_argument("file")


def run_import(args: argparse.Namespace) -> int:
    from ..interchange import import_file
    with open_document(args.project) as doc:
        parsed = import_file(doc, args.file)
        data = {"summary": parsed.summary(), "warnings": list(parsed.warnings),
                "shots": sum(len(s.shots) for s in doc.project.sequences)}
        emit(args, data, "\n".join([parsed.summary()] + [f"warning: {w}" for w in parsed.warnings]))
    return 0
