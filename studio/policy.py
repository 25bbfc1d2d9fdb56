"""The local content policy: names that always need a consent record, blocked terms, block or warn.

Who calls: `studio.consent.authorize` (through `GenerationService.queue_request`) before every generation,
the inspector's policy line as the user types (`check_text`), `shotreel bible uses` does not.

Plain TOML (tomllib), two layers combined: the studio's (`policy.toml` in the user config folder, chosen
in Settings; the shipped `assets/policy/content_policy.toml` when there is none) and the project's
(`policy.toml` in the project folder). Names and terms add up, each with its layer's action ("block" wins
when both layers list a word). Matching is
Aho-Corasick (pyahocorasick, shared with studio.consent) over the lowercased text with a word-boundary
check: one pass per prompt whatever the number of names and terms.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from .errors import UserError

DEFAULT_POLICY = Path(__file__).resolve().parent.parent / "assets" / "policy" / "content_policy.toml"
POLICY_FILE = "policy.toml"
ACTIONS = ("block", "warn")


class PolicyError(UserError):
    """A generation the content policy blocks. The message names the term or the person and the policy."""


@dataclass(frozen=True)
class Policy:
    """The combined rules. Each name and term keeps the action of the layer it came from ('block' wins
    when two layers list the same word), so a project can warn on its own terms without softening the
    studio's."""
    names: tuple[str, ...] = ()        # need a consent record
    blocked: tuple[str, ...] = ()
    name_actions: tuple[str, ...] = ()
    term_actions: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()      # the files it was read from
    digest: str = ""                   # sha256 of the combined rules (recorded with each decision)

    # studio.consent calls these on the policy it is handed, so it never imports this module (which
    # imports consent's name matching): one direction of imports.
    def enforce(self, project: Any, request: Any, **kwargs: Any) -> dict[str, Any]:
        return enforce(self, project, request, **kwargs)

    def enforce_shot(self, project: Any, folder: Any, shot: Any, use: str, **kwargs: Any) -> None:
        return enforce_shot(self, project, folder, shot, use, **kwargs)


@dataclass(frozen=True)
class PolicyHit:
    kind: str          # 'name' | 'term'
    term: str
    action: str        # 'block' | 'warn'
    why: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "term": self.term, "action": self.action, "why": self.why}


@dataclass(frozen=True)
class PolicyDecision:
    hits: tuple[PolicyHit, ...] = ()
    policy: Policy = field(default_factory=Policy)

    @property
    def decision(self) -> str:
        if any(h.action == "block" for h in self.hits):
            return "block"
        return "warn" if self.hits else "pass"

    def line(self) -> str:
        """The inspector's one line."""
        if not self.hits:
            return "Policy: OK"
        verb = "blocks" if self.decision == "block" else "warns"
        return f"Policy {verb}: " + "; ".join(h.why for h in self.hits)

    def to_dict(self) -> dict[str, Any]:
        return {"decision": {"pass": "passed", "warn": "warned", "block": "blocked"}[self.decision],
                "hits": [h.to_dict() for h in self.hits], "policy": self.policy.digest,
                "sources": list(self.policy.sources)}


def _read(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise UserError(f"content policy {path}: cannot read it ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"content policy {path}: not valid TOML ({exc})") from None
    return data


def _action(value: Any, where: str, default: str) -> str:
    if value is None:
        return default
    text = str(value).strip().lower()
    if text not in ACTIONS:
        raise UserError(f"content policy {where}: on_violation must be 'block' or 'warn', not {value!r}")
    return text


def _words(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UserError(f"content policy {where}: expected a list of strings")
    return tuple(v.strip() for v in value if v.strip())


def parse_policy(data: Mapping[str, Any], where: str) -> Policy:
    unknown = set(data) - {"on_violation", "consent", "blocked"}
    if unknown:
        raise UserError(f"content policy {where}: unknown key(s) {', '.join(sorted(unknown))}")
    top = _action(data.get("on_violation"), where, "block")
    consent = data.get("consent") or {}
    blocked = data.get("blocked") or {}
    if not isinstance(consent, Mapping) or not isinstance(blocked, Mapping):
        raise UserError(f"content policy {where}: [consent] and [blocked] must be tables")
    names = _words(consent.get("names"), f"{where} [consent] names")
    terms = _words(blocked.get("terms"), f"{where} [blocked] terms")
    name_action = _action(consent.get("on_violation"), where, top)
    term_action = _action(blocked.get("on_violation"), where, top)
    return Policy(names, terms, (name_action,) * len(names), (term_action,) * len(terms), (where,))


def combine(policies: Iterable[Policy]) -> Policy:
    names: dict[str, tuple[str, str]] = {}   # lower -> (as written, action)
    terms: dict[str, tuple[str, str]] = {}
    sources: list[str] = []
    for p in policies:
        for table, words, actions in ((names, p.names, p.name_actions), (terms, p.blocked, p.term_actions)):
            for word, action in zip(words, actions):
                known = table.get(word.lower())
                table[word.lower()] = (known[0] if known else word,
                                       "block" if "block" in (action, known[1] if known else "") else "warn")
        sources += p.sources
    rules = repr((sorted(names.values()), sorted(terms.values()))).encode("utf-8")
    return Policy(tuple(v[0] for v in names.values()), tuple(v[0] for v in terms.values()),
                  tuple(v[1] for v in names.values()), tuple(v[1] for v in terms.values()), tuple(sources),
                  hashlib.sha256(rules).hexdigest())


def studio_policy_path() -> Path:
    from .identity import shotreel_config_dir
    return shotreel_config_dir() / POLICY_FILE


_CACHE: dict[tuple, Policy] = {}


def _stamp(path: Path) -> tuple:
    try:
        st = path.stat()
        return (str(path), st.st_mtime_ns, st.st_size)
    except OSError:
        return (str(path), None, None)


def load_policy(project_folder: str | os.PathLike | None = None, studio_path: str | os.PathLike | None = None
                ) -> Policy:
    """The policy in force for a project: studio layer (or the shipped default) + the project's file.
    Re-read only when a file changed (this runs before every generation and on every keystroke)."""
    studio = Path(studio_path) if studio_path is not None else studio_policy_path()
    if not studio.exists():
        studio = DEFAULT_POLICY
    layers = [studio]
    if project_folder is not None and (Path(project_folder) / POLICY_FILE).exists():
        layers.append(Path(project_folder) / POLICY_FILE)
    key = tuple(_stamp(p) for p in layers)
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = combine(parse_policy(_read(p), str(p)) for p in layers if p.exists())
    return _CACHE[key]


def choose_studio_policy(source: str | os.PathLike) -> Path:
    """Settings > Content policy: validate a TOML file and make it the studio's policy (copied, atomically)."""
    from engine.fsio import atomic_path
    src = Path(source)
    parse_policy(_read(src), str(src))
    target = studio_policy_path()
    with atomic_path(target) as tmp:
        shutil.copyfile(src, tmp)
    return target


def check_text(policy: Policy, text: str, project: Any = None, use: str = "previs",
               today: str | None = None) -> PolicyDecision:
    """Hits of the policy in `text`. A policy name passes when a bible character of that name (or whose
    consent record names that person) has consent covering `use` today."""
    from .consent import find_names, is_likeness, refusal
    words = policy.names + policy.blocked
    if not words or not text:
        return PolicyDecision((), policy)
    found = sorted(find_names(text, words))
    if not found:
        return PolicyDecision((), policy)
    hits = []
    for index in found:
        if index < len(policy.names):
            name = policy.names[index]
            people = [e for e in (project.bible if project is not None else ())
                      if is_likeness(e) and (e.name.lower() == name.lower()
                                             or (e.consent is not None and e.consent.who.lower() == name.lower()))]
            reasons = [refusal(e, (use,), today) for e in people]
            if people and any(r is None for r in reasons):
                continue
            why = reasons[0] if people else f"{name} needs a consent record (content policy)"
            hits.append(PolicyHit("name", name, policy.name_actions[index], why))
        else:
            at = index - len(policy.names)
            term = policy.blocked[at]
            hits.append(PolicyHit("term", term, policy.term_actions[at], f"'{term}' is a blocked term"))
    return PolicyDecision(tuple(hits), policy)


def enforce(policy: Policy, project: Any, request: Any, *, folder: str | os.PathLike | None = None,
            today: str | None = None) -> dict[str, Any]:
    """Check what a request's backend will receive; raise PolicyError when it blocks, else the decision
    the take records (warnings included)."""
    from .consent import generation_use
    extra = "\n".join((request.prompt or "", str(request.options.get("prompt_override") or "")))
    shot = None
    if request.shot_id:
        try:
            shot = project.shot(request.shot_id)
        except UserError:
            shot = None
    return enforce_shot(policy, project, folder, shot, generation_use(request.backend, request.options),
                        extra=extra, today=today, label=None if shot is not None else request.job_id)


def enforce_shot(policy: Policy, project: Any, folder: str | os.PathLike | None, shot: Any, use: str, *,
                 extra: str = "", today: str | None = None, label: str | None = None) -> dict[str, Any]:
    """The policy on a shot's compiled prompt (+ `extra`: the request's own prompt text)."""
    from .consent import _shot_label
    parts = [extra]
    if shot is not None:
        parts += [shot.prompt, shot.prompt_override]
        if folder is not None:
            try:
                from .prompting import compiled_prompt
                seq, _, _ = project.find_shot(shot.id)
                parts.append(compiled_prompt(project, seq, shot, Path(folder))[0])
            except UserError:
                pass
    decision = check_text(policy, "\n".join(p for p in parts if p), project, use, today)
    if decision.decision == "block":
        what = _shot_label(project, shot.id) if shot is not None else (label or "this request")
        raise PolicyError(f"content policy blocks {what}: " + "; ".join(h.why for h in decision.hits
                                                                             if h.action == "block")
                          + f" (policy: {', '.join(Path(s).name for s in policy.sources) or 'default'})")
    return decision.to_dict()
