"""`shotreel bible add|edit|list`: the project's characters, locations, props and styles.

Other modules add subcommands to the `bible` group through `BIBLE_SUBCOMMAND_MODULES` (like
`COMMAND_MODULES` in studio/cli/__init__.py): each names a module of studio.cli exposing
`register_bible(subparsers)`; one not written yet is skipped.
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from typing import Any

from ..errors import UserError
from .common import add_command, emit, open_document, parse_lora_flags, table

BIBLE_SUBCOMMAND_MODULES: list[str] = [
    "consent_cmds",   # consent, revoke, uses (issue 17)
]
KINDS = ("character", "location", "prop", "style")


def register(subparsers: Any) -> None:
    group = subparsers.add_parser("bible", help="Add, change and list bible entries (characters, locations, props, "
                                  "styles)", description="Add, change and list bible entries")
    sub = group.add_subparsers(title="bible commands", metavar="SUBCOMMAND")
    group.set_defaults(func=lambda args: (group.print_help(), 2)[1])
    p = add_command(sub, "add", "Add a bible entry", run_add)
    p.add_argument("project")
    p.add_argument("--kind", required=True, choices=KINDS)
    p.add_argument("--name", required=True)
    _entry_flags(p)
    p = add_command(sub, "edit", "Change a bible entry (ENTRY = name or id)", run_edit)
    p.add_argument("project")
    p.add_argument("entry")
    p.add_argument("--name", help="rename the entry")
    p.add_argument("--kind", choices=KINDS)
    _entry_flags(p)
    p = add_command(sub, "list", "List the bible", run_list)
    p.add_argument("project")
    p.add_argument("--kind", choices=KINDS, help="only this kind")
    for name in BIBLE_SUBCOMMAND_MODULES:
        qualified = f"{__package__}.{name}"
        if importlib.util.find_spec(qualified) is None:
            continue
        try:
            module = importlib.import_module(qualified)
        except Exception as exc:  # one broken module must not take the bible group down
            print(f"shotreel: warning: the bible {name} commands failed to load: {exc}", file=sys.stderr)
            continue
        module.register_bible(sub)


def _entry_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--description", help="what it looks like: the previs reads garments and colours from it")
    p.add_argument("--colour", "--color", dest="colour", help="mannequin colour: #rrggbb or a colour name")
    p.add_argument("--voice", help="espeak-ng voice for a character's scratch dialogue (e.g. en-gb+f3)")
    p.add_argument("--image", action="append", metavar="FILE", help="add a reference picture (repeatable)")
    p.add_argument("--model", metavar="FILE", help="the entry's own 3D model (.glb), copied into the project; "
                                                   "the previs draws it (characters are placed rigidly)")
    p.add_argument("--lora", action="append", metavar="FILE[:WEIGHT[:TRIGGER]]",
                   help="a character or style LoRA (.safetensors, copied into the project) for every diffusion "
                        "shot that references the entry (repeatable; replaces the entry's list; --lora '' clears)")


def parse_colour(text: str) -> str:
    """'#C0504D', 'c0504d' or a CSS colour name ('crimson') -> '#rrggbb'."""
    import webcolors
    value = text.strip().lower()
    if not value:
        return ""
    try:
        return webcolors.normalize_hex(value if value.startswith("#") else "#" + value)
    except ValueError:
        pass
    try:
        return webcolors.name_to_hex(value.replace(" ", ""))
    except ValueError:
        raise UserError(f"--colour {text!r} is neither #rrggbb nor a colour name (red, navy, crimson...)") from None


def find_entry(doc: Any, ref: str):
    entry = doc.project.bible_by_name(ref) or next((b for b in doc.project.bible if b.id == ref), None)
    if entry is None:
        known = ", ".join(b.name for b in doc.project.bible) or "none yet"
        raise UserError(f"no bible entry {ref!r} (known: {known})")
    return entry


def _record(entry) -> dict[str, Any]:
    return {"id": entry.id, "kind": entry.kind.value, "name": entry.name, "description": entry.description,
            "colour": entry.color, "voice": entry.voice, "reference_images": list(entry.reference_images),
            "model": entry.model,
            "loras": [{"path": lo.path, "weight": lo.weight, "trigger": lo.trigger} for lo in entry.loras]}


def _changes(doc: Any, args: argparse.Namespace, entry=None) -> dict[str, Any]:
    from ..media import import_model, import_picture
    values: dict[str, Any] = {}
    if getattr(args, "model", None):
        values["model"] = import_model(doc, args.model)
    if args.description is not None:
        values["description"] = args.description
    if args.colour is not None:
        values["color"] = parse_colour(args.colour)
    if args.voice is not None:
        values["voice"] = args.voice
    if getattr(args, "lora", None) is not None:
        values["loras"] = parse_lora_flags(doc, args.lora)
    if args.image:
        # Pictures are checked and copied in before the edit: a bad file refuses the whole command.
        rels = [import_picture(doc, path) for path in args.image]
        current = tuple(entry.reference_images) if entry is not None else ()
        values["reference_images"] = current + tuple(r for r in dict.fromkeys(rels) if r not in current)
    return values


def run_add(args: argparse.Namespace) -> int:
    from ..commands import AddBibleEntry
    from ..model import BibleEntry, BibleKind, new_id
    with open_document(args.project) as doc:
        kind = BibleKind.parse(args.kind, "bible entry kind")
        if doc.project.bible_by_name(args.name, kind) is not None:
            raise UserError(f"the bible already has a {kind.value} named {args.name!r} (use `bible edit`)")
        entry = BibleEntry(new_id(kind.value[:2]), kind, args.name, **_changes(doc, args))
        doc.execute(AddBibleEntry(entry))
        emit(args, _record(entry), f"Added {kind.value} {entry.name!r} ({entry.id})")
    return 0


def run_edit(args: argparse.Namespace) -> int:
    from ..commands import SetBibleEntry
    from ..model import BibleKind
    with open_document(args.project) as doc:
        entry = find_entry(doc, args.entry)
        values = _changes(doc, args, entry)
        if args.name is not None:
            values["name"] = args.name
        if args.kind is not None:
            values["kind"] = BibleKind.parse(args.kind, "bible entry kind")
        if not values:
            raise UserError("nothing to change: give --name, --kind, --description, --colour, --voice, --image, "
                            "--model or --lora")
        updated = entry.with_(**values)
        doc.execute(SetBibleEntry(updated))
        emit(args, _record(updated), f"Updated {updated.kind.value} {updated.name!r} ({updated.id})")
    return 0


def run_list(args: argparse.Namespace) -> int:
    with open_document(args.project) as doc:
        entries = [e for e in doc.project.bible if args.kind is None or e.kind.value == args.kind]
        records = [_record(e) for e in entries]
        emit(args, records, lambda: table(
            [(r["kind"], r["name"], r["colour"], len(r["reference_images"]), r["description"], r["id"])
             for r in records], ("kind", "name", "colour", "images", "description", "id"))
             if records else "The bible is empty (add entries with `shotreel bible add`).")
    return 0
