"""`shotreel`: the command line. Human output by default, `--json` for scripts.

Subcommands live in their own modules, each exposing `register(subparsers)`; this file imports the
fixed list below (a module not written yet is skipped). To add commands, write
`studio/cli/<area>_cmds.py` with `register`, and add its name here. Shared output, error and
progress helpers are in `studio.cli.common`.
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys

from engine.cues import CueError
from engine.errors import EngineError

from ..errors import UserError
from . import common

COMMAND_MODULES = (
    "project_cmds",    # new, add-shot, edit-shot, shots, undo, redo, open, demo
    "generate_cmds",   # generate
    "export_cmds",     # export
    "verify_cmds",     # verify
    "models_cmds",     # models
    "remix_cmds",      # remix
    "import_cmds",     # import
    "plan_cmds",       # plan
    "scene_cmds",      # scene add|edit|list
    "bible_cmds",      # bible add|edit|list (+ BIBLE_SUBCOMMAND_MODULES)
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shotreel", description="Storyboard and previs studio: projects, shots and takes from the command line.")
    parser.add_argument("--version", action="version", version=f"shotreel {common.version()}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in COMMAND_MODULES:
        qualified = f"{__name__}.{name}"
        if importlib.util.find_spec(qualified) is None:
            continue
        try:
            module = importlib.import_module(qualified)
        except Exception as exc:  # one broken module must not take every command down
            print(f"shotreel: warning: the {name} commands failed to load: {exc}", file=sys.stderr)
            continue
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Console script entry point (`shotreel`); returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: usage errors (2) and --help/--version (0)
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except (UserError, CueError, EngineError) as exc:
        common.print_error(args, exc)
        return 1
    except KeyboardInterrupt:
        print("shotreel: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `shotreel shots X | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
