"""`shotreel bible consent / revoke / uses`: a likeness's consent record from the command line.

`register_bible(bible_subparsers)` is called by the `bible` group (studio/cli/bible_cmds.py), so
these live beside add/edit/list without owning the group. Every change is an undoable command
(studio.consent.SetConsent / RevokeConsent), kept in the project's history.
"""
from __future__ import annotations

import argparse
from typing import Any

from .common import add_command, emit, open_document

SCOPE_HELP = "uses it covers, comma-separated: previs, diffusion, reference (reference images and LoRAs), " \
             "export (export and distribution), or all"


def register_bible(bible_subparsers: Any) -> None:
    p = add_command(bible_subparsers, "consent", "Record or edit a real person's consent for their likeness",
                    run_consent)
    p.add_argument("project")
    p.add_argument("name", help="the character (bible name or id)")
    p.add_argument("--scope", help=SCOPE_HELP)
    p.add_argument("--until", metavar="DATE", help="last day it covers (ISO date); '' = no expiry")
    p.add_argument("--evidence", metavar="FILE", help="the signed release (copied into the project)")
    p.add_argument("--who", help="who gave it (default: the character's name on a new record)")
    p.add_argument("--to", dest="granted_to", metavar="WHOM", help="to whom it was granted")
    p.add_argument("--date", dest="when", metavar="DATE", help="when it was given (default today)")
    p.add_argument("--terms", help="the release's own words")
    p = add_command(bible_subparsers, "revoke", "Revoke a likeness's consent: nothing may use it any more",
                    run_revoke)
    p.add_argument("project")
    p.add_argument("name")
    p.add_argument("--reason", default="", help="why (kept in the record)")
    p = add_command(bible_subparsers, "uses", "Every shot, take and export that used a likeness", run_uses)
    p.add_argument("project")
    p.add_argument("name")


def _record_text(entry: Any) -> str:
    r = entry.consent
    lines = [f"{entry.name}: consent {r.id} (sha256 {r.digest[:16]}…)",
             f"  who: {r.who}" + (f"  to: {r.to}" if r.to else "") + f"  given: {r.when}",
             f"  scope: {', '.join(r.scope) or 'none'}" + (f"  until: {r.until}" if r.until else "  no expiry")]
    if r.evidence_file:
        lines.append(f"  evidence: {r.evidence_file} (sha256 {r.evidence_sha256[:16]}…)")
    if r.revoked:
        lines.append(f"  REVOKED {r.revoked}" + (f": {r.revoked_reason}" if r.revoked_reason else ""))
    return "\n".join(lines)


def run_consent(args: argparse.Namespace) -> int:
    from ..consent import build_record, find_entry
    from ..consent_commands import SetConsent
    with open_document(args.project) as doc:
        entry = find_entry(doc.project, args.name)
        record = build_record(doc.project, doc.folder, entry, scope=args.scope, until=args.until,
                              evidence=args.evidence, who=args.who, to=args.granted_to, when=args.when,
                              terms=args.terms)
        doc.execute(SetConsent(entry.id, record))
        entry = doc.project.bible_entry(entry.id)
        emit(args, {**entry.consent.to_dict(), "hash": entry.consent.digest, "entry_id": entry.id},
             _record_text(entry))
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    from ..consent import find_entry, withdrawn_takes
    from ..consent_commands import RevokeConsent
    with open_document(args.project) as doc:
        entry = find_entry(doc.project, args.name)
        doc.execute(RevokeConsent(entry.id, args.reason))
        entry = doc.project.bible_entry(entry.id)
        marked = sorted(withdrawn_takes(doc.project, doc.folder))
        emit(args, {**entry.consent.to_dict(), "hash": entry.consent.digest, "withdrawn_takes": marked},
             _record_text(entry) + f"\n  {len(marked)} take(s) now marked 'likeness withdrawn'"
             + (f": {', '.join(marked)}" if marked else ""))
    return 0


def run_uses(args: argparse.Namespace) -> int:
    from ..consent import likeness_uses
    with open_document(args.project) as doc:
        uses = likeness_uses(doc.project, doc.folder, args.name)
        emit(args, uses.to_dict(), "\n".join(uses.summary_lines()))
    return 0
