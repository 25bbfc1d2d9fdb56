"""Likeness consent with teeth: what a shot uses of a real person, whether their consent covers it, and
where their likeness went (shots, takes, exports).

Who calls: `GenerationService.queue_request` (`authorize`, before anything is queued), export
(`check_export` before rendering, `record_export` after signing), `shotreel bible consent/revoke/uses`,
the bible panel and the take/shot views (`withdrawn_takes`).

A likeness is a bible character marked as a real person or carrying a consent record. A shot uses it
through a bible reference, a LoRA of the likeness, one of its reference images (compared by content, so a
renamed copy is caught), or its name in the shot's words (Aho-Corasick over every likeness name,
word-bounded). What a generation needs: 'previs' or 'diffusion' by backend, plus 'reference' when the
person's images or LoRAs condition it. A take records the likenesses it used (request options
`likeness`: entry, consent id, hash, scope) so a later revocation can mark it "likeness withdrawn".

The undoable edits of a record are in `studio.consent_commands`.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

import ahocorasick

from engine.fsio import atomic_path, atomic_write_text
from engine.jobs import GenerationRequest

from .errors import UserError
from .model import (CONSENT_USES, BibleEntry, BibleKind, ConsentRecord, Project, Shot, Take, ValidationError,
                    new_id, parse_uses)

ROUTE_REF, ROUTE_LORA, ROUTE_IMAGE, ROUTE_NAME = "bible reference", "LoRA", "reference image", "name in the shot"
ROUTE_SOURCE = "source take"   # conditioned on (continues, remixes) a take that shows them
WITHDRAWN = "likeness withdrawn"
EXPORTS_FILE = "exports.json"          # in the project folder: which likenesses each export used
EVIDENCE_DIR = "media/consent"
USE_LABELS = {"previs": "previs", "diffusion": "diffusion generation",
              "reference": "reference images and LoRAs", "export": "export and distribution"}


class ConsentError(UserError):
    """A use of a likeness its consent does not cover. The message names the person, the shot and why."""


def today_utc() -> str:
    return datetime.now(timezone.utc).date().isoformat()


def now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# ---- the record's standing ------------------------------------------------------------------------

def is_likeness(entry: BibleEntry) -> bool:
    return entry.kind is BibleKind.CHARACTER and (entry.real_person or entry.consent is not None)


def refusal(entry: BibleEntry, uses: Iterable[str], today: str | None = None) -> str | None:
    """Why `uses` of this likeness are not allowed today, or None when the consent covers them."""
    record = entry.consent
    if record is None:
        return f"{entry.name} is a real person with no consent record"
    if record.revoked:
        why = f": {record.revoked_reason}" if record.revoked_reason else ""
        return f"consent for {entry.name} was revoked on {record.revoked[:10]}{why}"
    day = today or today_utc()
    if record.until and day > record.until:
        return f"consent for {entry.name} expired on {record.until}"
    if day < record.when[:10]:
        return f"consent for {entry.name} only starts on {record.when[:10]}"
    missing = [u for u in uses if u not in record.scope]
    if missing:
        covers = ", ".join(record.scope) if record.scope else \
            "no uses (set them with --scope" + (f"; its terms say: {record.terms!r}" if record.terms else "") + ")"
        return (f"consent for {entry.name} does not cover {', '.join(USE_LABELS[u] for u in missing)} "
                f"(it covers {covers})")
    return None


def standing(entry: BibleEntry, today: str | None = None) -> str | None:
    """Why nothing may use this likeness now (no record, revoked, expired), or None (the views' badge)."""
    return refusal(entry, (), today) if is_likeness(entry) else None


def likeness_note(entry: BibleEntry) -> dict[str, Any]:
    """What a take, an export record and a manifest keep about a used likeness: no more than was entered,
    and no personal data beyond the character's name (the person's name stays in the project)."""
    record = entry.consent
    note: dict[str, Any] = {"entry_id": entry.id, "character": entry.name}
    if record is not None:
        note.update(consent_id=record.id, consent_hash=record.digest, scope=list(record.scope))
        if record.until:
            note["until"] = record.until
    return note


# ---- what a shot uses -----------------------------------------------------------------------------

@lru_cache(maxsize=64)
def _name_automaton(names: tuple[str, ...]) -> ahocorasick.Automaton | None:
    automaton = ahocorasick.Automaton()
    keys: dict[str, list[int]] = {}
    for index, name in enumerate(names):
        if name.lower():
            keys.setdefault(name.lower(), []).append(index)
    for key, indexes in keys.items():  # one key may stand for several entries (a name and a term)
        automaton.add_word(key, (tuple(indexes), len(key)))
    if not len(automaton):
        return None
    automaton.make_automaton()
    return automaton


def find_names(text: str, names: tuple[str, ...]) -> set[int]:
    """Indexes of `names` that occur in `text` as whole words (case-insensitive). Shared with the policy."""
    automaton = _name_automaton(names)
    if automaton is None or not text:
        return set()
    low = text.lower()
    found: set[int] = set()
    for end, (indexes, length) in automaton.iter(low):
        start = end - length + 1
        if (start == 0 or not low[start - 1].isalnum()) and (end + 1 == len(low) or not low[end + 1].isalnum()):
            found.update(indexes)
    return found


def shot_words(shot: Shot) -> str:
    """Every place a shot can name a person: title, action, the prompt edit, dialogue, motion and speakers."""
    parts = [shot.title, shot.prompt, shot.prompt_override, shot.dialogue]
    parts += [m.subject for m in shot.motion] + [a.character for a in shot.audio] + [a.text for a in shot.audio]
    return "\n".join(p for p in parts if p)


_HASHES: dict[tuple[str, int, int], str] = {}


def file_sha256(path: str | os.PathLike) -> str:
    """Content hash, cached by (path, size, mtime): a reference image compared on every generation."""
    p = Path(path)
    st = p.stat()
    key = (str(p.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _HASHES:
        digest = hashlib.sha256()
        with open(p, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        _HASHES[key] = digest.hexdigest()
    return _HASHES[key]


def _fingerprints(folder: Path, paths: Iterable[str]) -> set[str]:
    """Resolved paths and content hashes of the files that exist."""
    out: set[str] = set()
    for raw in paths:
        if not raw:
            continue
        p = Path(raw) if Path(raw).is_absolute() else folder / raw
        out.add(str(p.resolve()))
        try:
            out.add(file_sha256(p))
        except OSError:
            pass
    return out


def _request_images(request: GenerationRequest | None) -> list[str]:
    if request is None:
        return []
    c = request.conditioning
    images = [c.first_frame or "", c.last_frame or "", *c.references]
    images += [getattr(k, "image", "") or "" for k in c.keyframes]
    return images


def _request_loras(request: GenerationRequest | None) -> list[str]:
    """LoRA files a request names (options['loras']: paths or {'path': ...}; the diffusion backend's form)."""
    if request is None:
        return []
    out = []
    for item in request.options.get("loras") or ():
        out.append(str(item.get("path", "")) if isinstance(item, Mapping) else str(item))
    return out


def shot_likenesses(project: Project, folder: str | os.PathLike, shot: Shot,
                    request: GenerationRequest | None = None) -> dict[str, set[str]]:
    """entry id -> the routes by which the shot (and the request built for it) uses that likeness."""
    folder = Path(folder)
    people = [e for e in project.bible if is_likeness(e)]
    if not people:
        return {}
    found: dict[str, set[str]] = {}
    for entry in people:
        if entry.id in shot.bible_refs:
            found.setdefault(entry.id, set()).add(ROUTE_REF)
    names = tuple(e.name for e in people)
    text = shot_words(shot) + ("\n" + request.prompt if request is not None and request.prompt else "")
    for index in find_names(text, names):
        found.setdefault(people[index].id, set()).add(ROUTE_NAME)
    images = [shot.board_image, *_request_images(request)]
    loras = [shot.model, *_request_loras(request)]
    if any(e.reference_images for e in people) and any(images):
        used = _fingerprints(folder, images)
        for entry in people:
            if entry.reference_images and used & _fingerprints(folder, entry.reference_images):
                found.setdefault(entry.id, set()).add(ROUTE_IMAGE)
    if any(e.loras for e in people) and any(loras):
        used = _fingerprints(folder, loras)
        for entry in people:
            if entry.loras and used & _fingerprints(folder, entry.loras):
                found.setdefault(entry.id, set()).add(ROUTE_LORA)
    return found


def generation_use(backend: str, options: Mapping[str, Any] | None = None) -> str:
    """'previs' or 'diffusion': what rendering a shot with this backend is (a colour match inherits its
    source's kind)."""
    if backend == "grade":
        backend = str((options or {}).get("source_backend") or "previs")
    return "previs" if backend == "previs" else "diffusion"


def _shot_label(project: Project, shot_id: str) -> str:
    for number, (_, shot) in enumerate(project.shots(), 1):
        if shot.id == shot_id:
            return f"shot {number}" + (f" '{shot.title}'" if shot.title else "")
    return f"shot {shot_id}"


def _judge(project: Project, shot: Shot, routes: Mapping[str, set[str]], base: str,
           today: str | None) -> list[dict[str, Any]]:
    """The likeness notes a take of `shot` records, or ConsentError for the first use not covered."""
    notes = []
    for entry_id, how in sorted(routes.items()):
        entry = project.bible_entry(entry_id)
        wanted = {base} | ({"reference"} if how & {ROUTE_IMAGE, ROUTE_LORA} else set())
        uses = tuple(u for u in CONSENT_USES if u in wanted)
        why = refusal(entry, uses, today)
        if why:
            raise ConsentError(f"cannot generate {_shot_label(project, shot.id)}: {why} "
                               f"(it uses the likeness through its {', '.join(sorted(how))})")
        notes.append({**likeness_note(entry), "uses": list(uses), "via": sorted(how)})
    return notes


def authorize(project: Project, folder: str | os.PathLike, request: GenerationRequest, *,
              today: str | None = None, policy: Any = None) -> GenerationRequest:
    """The request as it may be queued, or ConsentError/PolicyError naming why not. The likenesses used
    (and the policy's decision) ride along in its options, so the take records them."""
    try:
        shot = project.shot(request.shot_id)
    except UserError:
        return request
    routes = shot_likenesses(project, folder, shot, request)
    for source_id in {request.conditioning.source_take_id, str(request.options.get("parent_take_id") or "")}:
        source = project.takes.get(source_id or "")
        for note in take_likenesses(project, source, folder) if source is not None else ():
            if any(e.id == note.get("entry_id") for e in project.bible):
                routes.setdefault(note["entry_id"], set()).add(ROUTE_SOURCE)
    options = dict(request.options)
    # [] too: this take was checked and used no likeness
    options["likeness"] = _judge(project, shot, routes, generation_use(request.backend, request.options), today)
    if policy is not None:  # a studio.policy.Policy
        options["policy"] = policy.enforce(project, request, folder=folder, today=today)
    return request.with_(options=options) if options != dict(request.options) else request


def preflight(project: Project, folder: str | os.PathLike, shot_ids: Iterable[str], *, backend: str | None = None,
              policy: Any = None, today: str | None = None) -> None:
    """Check a batch before any of it is queued (chained shots are built later, when their upstream is
    done): one refusal raises as is; several raise one line naming every refused shot. `authorize` still
    checks each request as it is built."""
    from .prompting import backend_of
    problems: list[UserError] = []
    for shot_id in shot_ids:
        shot = project.shot(shot_id)
        use = generation_use(backend or backend_of(project, shot))
        try:
            _judge(project, shot, shot_likenesses(project, folder, shot), use, today)
            if policy is not None:  # a studio.policy.Policy
                policy.enforce_shot(project, folder, shot, use, today=today)
        except UserError as exc:
            problems.append(exc)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise ConsentError(f"{len(problems)} shots cannot be generated, nothing was queued — "
                           + "; ".join(str(p).removeprefix("cannot generate ") for p in problems))


# ---- takes and exports after the fact --------------------------------------------------------------

def take_likenesses(project: Project, take: Take, folder: str | os.PathLike = ".") -> list[dict[str, Any]]:
    """What a take recorded it used; takes from before consent tracking: what its shot uses now."""
    options = (take.params.get("options") or {}) if isinstance(take.params, Mapping) else {}
    if "likeness" in options:
        return [dict(n) for n in options["likeness"] or ()]
    try:
        shot = project.shot(take.shot_id)
    except UserError:
        return []
    return [likeness_note(project.bible_entry(eid)) for eid in sorted(shot_likenesses(project, folder, shot))]


def withdrawn_reason(project: Project, take: Take, folder: str | os.PathLike = ".") -> str | None:
    """Why a take may no longer be shown: a likeness it used was withdrawn (its consent revoked, removed,
    or replaced by a new grant after a revocation)."""
    entries = {e.id: e for e in project.bible}
    for note in take_likenesses(project, take, folder):
        entry = entries.get(note.get("entry_id", ""))
        if entry is None or not is_likeness(entry):
            continue
        record = entry.consent
        if record is None:
            if note.get("consent_id"):
                return f"{WITHDRAWN}: the consent record for {entry.name} was removed"
            continue
        if record.revoked:
            why = f" ({record.revoked_reason})" if record.revoked_reason else ""
            return f"{WITHDRAWN}: consent for {entry.name} was revoked on {record.revoked[:10]}{why}"
        if note.get("consent_id") and note["consent_id"] != record.id:
            return f"{WITHDRAWN}: {entry.name}'s consent was replaced after this take was made"
    return None


def withdrawn_takes(project: Project, folder: str | os.PathLike = ".") -> dict[str, str]:
    """take id -> why its likeness is withdrawn. Cheap when nobody's consent was revoked."""
    people = [e for e in project.bible if is_likeness(e)]
    if not people:
        return {}
    # takes from before consent tracking are matched through their shot (slower): only worth it when a
    # likeness has no consent in force at all (views call this on every edit)
    lapsed = any(e.consent is None or e.consent.revoked for e in people)
    out = {}
    for take in project.takes.values():
        if not lapsed and "likeness" not in (take.params.get("options") or {}):
            continue
        why = withdrawn_reason(project, take, folder)
        if why:
            out[take.id] = why
    return out


def check_export(project: Project, edit: Any, folder: str | os.PathLike = ".", *,
                 today: str | None = None) -> list[dict[str, Any]]:
    """Refuse a cut that shows a withdrawn likeness or one whose consent does not cover export (one
    message, every shot named, and the way out). Returns the likenesses the export uses."""
    load_exports(folder)  # an unreadable export record stops the export before rendering, not after
    problems: dict[str, list[str]] = {}   # reason -> the shots it stops (one line however many shots)
    used: dict[str, dict[str, Any]] = {}
    withdrawn = False
    for e in edit.playable:
        take = project.takes.get(e.take_id)
        if take is None:
            continue
        label = f"shot {e.shot_number}" + (f" '{e.title}'" if e.title else "")
        why = withdrawn_reason(project, take, folder)
        if why:
            problems.setdefault(why, []).append(f"{label} (take {take.id})")
            withdrawn = True
            continue
        for note in take_likenesses(project, take, folder):
            entry = next((b for b in project.bible if b.id == note.get("entry_id")), None)
            if entry is None or not is_likeness(entry):
                continue
            why = refusal(entry, ("export",), today)
            if why:
                problems.setdefault(why, []).append(label)
            else:
                used[entry.id] = likeness_note(entry)
    if problems:
        way_out = ("replace the take (choose or generate another take of the shot) or remove the shot from the cut"
                   if withdrawn else "record consent that covers export (shotreel bible consent NAME --scope "
                   "...,export), or replace the take or remove the shot")
        listed = "; ".join(f"{why} — {', '.join(shots)}" for why, shots in problems.items())
        raise ConsentError(f"cannot export the cut: {listed}. Way out: {way_out}")
    return [used[k] for k in sorted(used)]


def load_exports(folder: str | os.PathLike) -> list[dict[str, Any]]:
    path = Path(folder) / EXPORTS_FILE
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"{path} is unreadable ({exc}); move it aside to start a new export record") from None
    return list(data.get("exports") or [])


def record_export(folder: str | os.PathLike, out_path: str | os.PathLike, likenesses: list[dict[str, Any]],
                  takes: Iterable[tuple[str, str]] = ()) -> None:
    """Append one export (file, time, likenesses, (shot, take) pairs) to the project's export record."""
    records = load_exports(folder)
    records.append({"path": str(Path(out_path).resolve()), "at": now_utc(), "likenesses": likenesses,
                    "takes": [{"shot_id": s, "take_id": t} for s, t in takes]})
    atomic_write_text(Path(folder) / EXPORTS_FILE, json.dumps({"exports": records}, indent=1))


@dataclass(frozen=True)
class LikenessUses:
    entry: BibleEntry
    shots: list[dict[str, Any]]
    takes: list[dict[str, Any]]
    exports: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        record = self.entry.consent
        return {"entry_id": self.entry.id, "name": self.entry.name,
                "consent": None if record is None else {**record.to_dict(), "hash": record.digest},
                "shots": self.shots, "takes": self.takes, "exports": self.exports}

    def summary_lines(self) -> list[str]:
        record = self.entry.consent
        if record is None:
            state = "no consent record"
        elif record.revoked:
            state = f"consent {record.id} REVOKED {record.revoked[:10]}"
        else:
            state = f"consent {record.id}: {', '.join(record.scope) or 'no uses'}" + \
                (f", until {record.until}" if record.until else "")
        lines = [f"{self.entry.name} — {state}", f"  shots ({len(self.shots)}):"]
        lines += [f"    {s['label']} via {', '.join(s['via'])}" for s in self.shots]
        lines.append(f"  takes ({len(self.takes)}):")
        lines += [f"    {t['take_id']} of {t['shot']}" + (f" [{t['status']}]" if t['status'] != "ready" else "")
                  for t in self.takes]
        lines.append(f"  exports ({len(self.exports)}):")
        lines += [f"    {x['path']} at {x['at']}" for x in self.exports]
        return lines


def likeness_uses(project: Project, folder: str | os.PathLike, name_or_id: str) -> LikenessUses:
    """Every shot, take and export that used this person's likeness (`shotreel bible uses`)."""
    entry = find_entry(project, name_or_id)
    shots = []
    for number, (_, shot) in enumerate(project.shots(), 1):
        how = shot_likenesses(project, folder, shot).get(entry.id)
        if how:
            shots.append({"shot_id": shot.id, "number": number, "label": _shot_label(project, shot.id),
                          "via": sorted(how)})
    takes = []
    for take in sorted(project.takes.values(), key=lambda t: (t.created, t.id)):
        if any(n.get("entry_id") == entry.id for n in take_likenesses(project, take, folder)):
            why = withdrawn_reason(project, take, folder)
            takes.append({"take_id": take.id, "shot_id": take.shot_id, "shot": _shot_label(project, take.shot_id),
                          "created": take.created, "file": take.files.get("video", ""),
                          "status": WITHDRAWN if why else take.status.value})
    exports = [x for x in load_exports(folder) if any(n.get("entry_id") == entry.id for n in x.get("likenesses", []))]
    return LikenessUses(entry, shots, takes, exports)


def find_entry(project: Project, name_or_id: str) -> BibleEntry:
    key = str(name_or_id).strip()
    for entry in project.bible:
        if entry.id == key:
            return entry
    entry = project.bible_by_name(key, BibleKind.CHARACTER) or project.bible_by_name(key)
    if entry is None:
        raise UserError(f"no bible entry named {key!r}")
    return entry


# ---- evidence ----------------------------------------------------------------------------------------

def import_evidence(folder: str | os.PathLike, path: str | os.PathLike) -> tuple[str, str]:
    """(project-relative path, sha256) of the signed release. A file outside the project is copied into
    media/consent (atomically), never referenced; one already inside is kept where it is."""
    folder = Path(folder).resolve()
    source = Path(path).expanduser()
    if not source.is_absolute():
        candidate = folder / source
        source = candidate if candidate.exists() else source.resolve()
    if not source.is_file():
        raise UserError(f"evidence file {path} does not exist or is not a file")
    digest = file_sha256(source)
    resolved = source.resolve()
    try:
        return resolved.relative_to(folder).as_posix(), digest
    except ValueError:
        pass
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", source.name)[-80:] or "evidence"
    target = folder / EVIDENCE_DIR / f"{digest[:12]}-{safe}"
    if not target.exists():
        with atomic_path(target) as tmp:
            shutil.copyfile(source, tmp)
    return target.relative_to(folder).as_posix(), digest


def build_record(project: Project, folder: str | os.PathLike, entry: BibleEntry, *, scope: Any = None,
                 until: str | None = None, evidence: str | None = None, who: str | None = None,
                 to: str | None = None, when: str | None = None, terms: str | None = None) -> ConsentRecord:
    """The record `bible consent` and the bible panel save: the current one edited, or a new grant (new id)
    when there is none or the current one was revoked (a revoked grant is never revived)."""
    current = entry.consent if entry.consent is not None and not entry.consent.revoked else None
    values: dict[str, Any] = current.to_dict() if current is not None else \
        {"who": entry.name, "when": today_utc(), "id": new_id("cs")}
    values.pop("revoked", None)
    values.pop("revoked_reason", None)
    if scope is not None:
        values["scope"] = parse_uses(scope)
    for key, value in (("until", until), ("who", who), ("to", to), ("when", when), ("terms", terms)):
        if value is not None:
            values[key] = value
    if evidence is not None:
        if evidence:
            values["evidence_file"], values["evidence_sha256"] = import_evidence(folder, evidence)
        else:
            values["evidence_file"], values["evidence_sha256"] = "", ""
    record = ConsentRecord.from_dict(values)
    if not record.scope:
        raise ValidationError(f"consent for {entry.name}: give its scope (any of {', '.join(CONSENT_USES)})")
    return record
