"""Undoable edits of a likeness's consent record: record/edit, revoke, remove. Small classes on the
`studio.commands.Command` pattern, registered with its registry on import (`studio.document` imports this
module, so a saved history replays). Each replaces the bible entry's `consent` and returns the changes the
views need: the entry, and the shots and takes whose "likeness withdrawn" badge may change.
"""
from __future__ import annotations

import copy
from typing import Any, Mapping

from .commands import Change, ChangeKind, Command
from .consent import now_utc
from .model import BibleKind, ConsentRecord, Project, ValidationError

def _affected(project: Project, entry_id: str) -> list[Change]:
    """Shots and takes whose badges depend on this likeness (views redraw them)."""
    shots = tuple(s.id for _, s in project.shots() if entry_id in s.bible_refs)
    takes = tuple(t.id for t in project.takes.values()
                  if any(n.get("entry_id") == entry_id
                         for n in ((t.params.get("options") or {}).get("likeness") or ())))
    return ([Change(ChangeKind.SHOT_CHANGED, shots)] if shots else []) + ([Change(ChangeKind.TAKE_CHANGED, takes)] if takes else [])


class _ConsentEdit(Command):
    """Replace one character's consent record (and mark them a real person); undo puts back both."""
    _fields = ("entry_id", "after", "before", "was_real")

    def _apply(self, project: Project, record: Mapping[str, Any] | None, real: bool) -> list[Change]:
        entry = project.bible_entry(self.entry_id)
        if entry.kind is not BibleKind.CHARACTER:
            raise ValidationError(f"{entry.name} is a {entry.kind.value}: only a character has a likeness")
        consent = ConsentRecord.from_dict(record) if record is not None else None
        project.bible[project.bible.index(entry)] = entry.with_(consent=consent, real_person=real)
        return [Change(ChangeKind.BIBLE, (self.entry_id,))] + _affected(project, self.entry_id)

    def _remember(self, project: Project) -> None:
        entry = project.bible_entry(self.entry_id)
        self.before = entry.consent.to_dict() if entry.consent is not None else None
        self.was_real = entry.real_person

    def redo(self, project: Project) -> list[Change]:
        self._remember(project)
        return self._apply(project, self.after, True)

    def undo(self, project: Project) -> list[Change]:
        return self._apply(project, self.before, bool(self.was_real))


class SetConsent(_ConsentEdit):
    """Record or edit a consent record. Consecutive edits of one character's record merge."""

    def __init__(self, entry_id: str, record: ConsentRecord):
        self.entry_id, self.after, self.before, self.was_real = entry_id, record.to_dict(), None, None

    @property
    def text(self) -> str:
        return "Record Consent"

    def merge_with(self, other: Command) -> bool:
        if type(other) is not SetConsent or other.entry_id != self.entry_id:
            return False
        self.after = copy.deepcopy(other.after)
        return True


class RevokeConsent(_ConsentEdit):
    """Withdraw a consent: from now on nothing may use the likeness, and takes made with it are marked."""

    def __init__(self, entry_id: str, reason: str = "", when: str | None = None):
        self.entry_id, self.before, self.was_real = entry_id, None, None
        self.after = {"reason": reason, "when": when or now_utc()}  # completed against the record in redo

    @property
    def text(self) -> str:
        return "Revoke Consent"

    def redo(self, project: Project) -> list[Change]:
        entry = project.bible_entry(self.entry_id)
        if "who" not in self.after:  # first run: turn the reason into the revoked record
            if entry.consent is None:
                raise ValidationError(f"{entry.name} has no consent record to revoke")
            if entry.consent.revoked:
                raise ValidationError(f"consent for {entry.name} was already revoked on {entry.consent.revoked[:10]}")
            self.after = entry.consent.with_(revoked=self.after["when"],
                                             revoked_reason=self.after.get("reason") or "").to_dict()
        return super().redo(project)


class RemoveConsent(_ConsentEdit):
    """Delete the record outright (the bible panel's Clear): the likeness is then refused everywhere."""

    def __init__(self, entry_id: str):
        self.entry_id, self.after, self.before, self.was_real = entry_id, None, None, None

    @property
    def text(self) -> str:
        return "Remove Consent"

    def redo(self, project: Project) -> list[Change]:
        self._remember(project)
        return self._apply(project, None, bool(self.was_real))


CONSENT_COMMANDS = ("SetConsent", "RevokeConsent", "RemoveConsent")
