"""`shotreel bible ...`: the story bible. Minimal group on this branch (engineer i10 writes add/edit/list);
the consent subcommands come from studio.cli.consent_cmds."""
from __future__ import annotations

from typing import Any

from .consent_cmds import add_consent_commands


def register(subparsers: Any) -> None:
    group = subparsers.add_parser("bible", help="The story bible: characters, locations, props, styles",
                                  description="The story bible: characters, locations, props, styles")
    bible_sub = group.add_subparsers(title="bible commands", metavar="COMMAND")
    group.set_defaults(func=lambda args: (group.print_help(), 2)[1])
    add_consent_commands(bible_sub)
