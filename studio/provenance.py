"""C2PA Content Credentials: sign takes and exports, read them back.

Who calls: the generation path signs every take right after it is written (`sign_take`), export signs the
finished file last (`sign_export`; nothing may touch the file afterwards: a remux drops the manifest),
`shotreel verify` and the verify dialog call `verify`.

Manifest shape (c2pa-python 0.38 / c2pa-rs 0.91 rules, see FIELD-NOTES.md):
- take: `c2pa.created` first, digitalSourceType trainedAlgorithmicMedia (diffusion, softwareAgent = model)
  or algorithmicMedia (previs, softwareAgent = renderer); the compiled prompt is an `inputTo` text/plain
  ingredient whose text is embedded (c2pa.embedded-data, hashed like any assertion); seed and parameters in
  `com.shotreel.generation`.
- export: `c2pa.created` with a composite source type (there is no parent asset, and `c2pa.opened` needs a
  parentOf ingredient), `c2pa.placed` naming every take ingredient (componentOf, carrying the take's own
  manifest), `c2pa.edited`, `c2pa.watermarked.unbound` when the visible watermark is on (the bound form needs
  a soft-binding assertion), and `cawg.training-mining`.
"""
from __future__ import annotations

import io
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import EngineError
from engine.fsio import atomic_path

from .errors import StudioError, UserError
from .identity import SigningIdentity, c2pa_message

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
TRAINED_ALGORITHMIC_MEDIA = IPTC + "trainedAlgorithmicMedia"
ALGORITHMIC_MEDIA = IPTC + "algorithmicMedia"
COMPOSITE_WITH_TRAINED = IPTC + "compositeWithTrainedAlgorithmicMedia"
COMPOSITE_SYNTHETIC = IPTC + "compositeSynthetic"

GENERATION_LABEL = "com.shotreel.generation"
# A consented likeness was used: per person the consent record's id, sha256 and scope (studio.consent
# likeness_note: the character's name, never the person's), so a recipient sees it with `shotreel verify`.
LIKENESS_LABEL = "com.shotreel.likeness-consent"
_LIKENESS_KEYS = ("character", "consent_id", "consent_hash", "scope", "until")
TRAINING_MINING_LABEL = "cawg.training-mining"
TRAINING_MINING_ENTRIES = ("cawg.ai_inference", "cawg.ai_generative_training", "cawg.ai_training",
                           "cawg.data_mining")
TRAINING_MINING_USES = ("notAllowed", "allowed", "constrained")

# What c2pa-rs can embed a manifest in (measured with 0.91.3), by extension.
SIGNABLE_MIME = {".mp4": "video/mp4", ".m4v": "video/x-m4v", ".mov": "video/quicktime", ".avi": "video/avi",
                 ".gif": "image/gif", ".m4a": "audio/mp4", ".wav": "audio/wav", ".png": "image/png",
                 ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".pdf": "application/pdf"}
_UNSIGNABLE = {".webm": "WebM", ".mkv": "Matroska", ".ogv": "Ogg", ".ogg": "Ogg", ".flv": "FLV",
               ".ts": "MPEG-TS", ".mxf": "MXF", ".otio": "OTIO", ".xml": "XML", ".fcpxml": "FCPXML", ".edl": "EDL"}

STATE_TRUSTED, STATE_VALID, STATE_INVALID, STATE_NONE = "Trusted", "Valid", "Invalid", "none"
STATE_NOT_MEDIA = "not media"
# `shotreel verify` exit codes (the README's table says the same). 1 and 2 stay the CLI's error and usage codes.
# Only a trusted signer is 0: a file re-signed by anyone else is intact but not yours (6).
VERIFY_EXIT_CODES = {STATE_TRUSTED: 0, STATE_INVALID: 3, STATE_NONE: 4, STATE_NOT_MEDIA: 5, STATE_VALID: 6}
_UNTRUSTED = "signingCredential.untrusted"


def _shotreel_version() -> str:
    try:
        from importlib.metadata import version
        return version("shotreel")
    except Exception:  # running from a checkout that is not installed
        return "0.1.0"


def _claim_generator() -> list[dict]:
    return [{"name": "Shotreel", "version": _shotreel_version()}]


def signable_mime(path: str | os.PathLike) -> str:
    """The MIME type c2pa signs `path` as, or a UserError saying why this format cannot carry credentials."""
    suffix = Path(path).suffix.lower()
    if suffix in SIGNABLE_MIME:
        return SIGNABLE_MIME[suffix]
    kind = _UNSIGNABLE.get(suffix, suffix or "extension-less")
    raise UserError(f"{Path(path).name}: {kind} files cannot carry C2PA Content Credentials; export MP4 or MOV "
                    "to sign, or turn signing off for this export")


# ---------------------------------------------------------------------------------------------- signing

def _signing_context(identity: SigningIdentity):
    import c2pa
    settings: dict = {
        # validate what we just wrote: a certificate c2pa dislikes fails here, not at the recipient's
        "verify": {"verify_after_sign": True, "ocsp_fetch": False, "remote_manifest_fetch": False},
        "builder": {"actions": {"auto_created_action": {"enabled": False}}},
    }
    root = identity.root_pem()
    if root:  # so ingredient validation recorded in the export says "trusted" for our own takes
        settings["trust"] = {"user_anchors": root}
    return c2pa.Context.from_dict(settings)


def _sign_in_place(identity: SigningIdentity, path: Path, manifest: dict,
                   ingredients: list[tuple[dict, str, Any]], resources: dict[str, bytes] | None = None) -> None:
    """Build and sign to a temporary sibling, then replace `path`: a failed signing leaves the file as it was.
    `ingredients` are (json, mime, opener) where opener() returns a readable binary stream; `resources` are
    embedded data the ingredients name by identifier (the prompt text)."""
    import c2pa
    mime = signable_mime(path)
    if not path.is_file():
        raise UserError(f"cannot sign {path}: the file does not exist")
    try:
        builder = c2pa.Builder(manifest, _signing_context(identity))
        for identifier, data in (resources or {}).items():
            builder.add_resource(identifier, io.BytesIO(data))
        for ingredient_json, ingredient_mime, opener in ingredients:
            with opener() as stream:
                builder.add_ingredient(ingredient_json, ingredient_mime, stream)
        signer = identity.signer()
        with atomic_path(path) as tmp:
            with open(path, "rb") as src, open(tmp, "w+b") as dst:
                builder.sign(signer, mime, src, dst)
    except c2pa.C2paError as exc:
        hint = (f" (is the timestamp authority {identity.tsa_url} reachable?)"
                if identity.tsa_url and "timestamp" not in str(exc).lower() else "")
        raise UserError(f"cannot sign {path.name}: {c2pa_message(exc)}{hint}") from exc
    except EngineError as exc:  # atomic_path turns OSErrors into these (disk full, unwritable folder)
        raise UserError(f"cannot sign {path.name}: {exc.message}") from exc


def _json_safe(value: Any, what: str) -> Any:
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError) as exc:
        raise StudioError(f"{what} must be plain JSON data: {exc}") from exc


def sign_take(identity: SigningIdentity, video_path: str | os.PathLike, *, backend: str,
              model_id: str | None, model_version: str | None, renderer: str | None, prompt: str | None,
              seed: int | None, parameters: dict, is_ai_generated: bool,
              renderer_version: str | None = None, likenesses: list[dict] | None = None) -> None:
    """Sign a freshly generated take in place. Diffusion takes name the model as software agent, previs
    takes the renderer (version: `renderer_version`, else `model_version`, else Shotreel's)."""
    path = Path(video_path)
    if is_ai_generated:
        if not model_id:
            raise StudioError("a diffusion take needs the model id to sign it")
        agent = {"name": model_id, "version": model_version or "unknown"}
        source_type = TRAINED_ALGORITHMIC_MEDIA
    else:
        agent = {"name": renderer or backend,
                 "version": renderer_version or model_version or _shotreel_version()}
        source_type = ALGORITHMIC_MEDIA
    created: dict = {"action": "c2pa.created", "digitalSourceType": source_type, "softwareAgent": agent}
    generation = {"backend": backend, "model_id": model_id, "model_version": model_version,
                  "renderer": renderer, "seed": seed,
                  "parameters": _json_safe(parameters or {}, "take parameters")}
    ingredients = []
    if prompt:
        created["parameters"] = {"ingredientIds": ["prompt"]}
        # text/plain is not an asset format c2pa parses, so the text itself rides along as the ingredient's
        # `data` resource: c2pa stores it in a c2pa.embedded-data assertion, hashed like every assertion
        data = prompt.encode("utf-8")
        ingredients.append(({"title": "prompt.txt", "format": "text/plain", "relationship": "inputTo",
                             "label": "prompt", "description": "compiled prompt",
                             "data": {"format": "text/plain", "identifier": "prompt.txt"}},
                            "text/plain", lambda: io.BytesIO(data)))
    manifest = {
        "claim_generator_info": _claim_generator(), "title": path.name,
        "assertions": [
            {"label": "c2pa.actions.v2", "data": {"actions": [created]}},
            {"label": GENERATION_LABEL, "data": {k: v for k, v in generation.items() if v is not None}},
        ],
    }
    _add_likenesses(manifest, likenesses)
    _sign_in_place(identity, path, manifest, ingredients, {"prompt.txt": data} if prompt else {})


def _add_likenesses(manifest: dict, likenesses: list[dict] | None) -> None:
    notes = [{k: n[k] for k in _LIKENESS_KEYS if n.get(k)} for n in likenesses or () if n.get("consent_id")]
    if notes:
        manifest["assertions"].append({"label": LIKENESS_LABEL, "data": {"likenesses": notes}})


@dataclass(frozen=True)
class TakeIngredient:
    """One take placed in an export. `ai_generated=None` means: read it from the take's own manifest."""

    path: Path
    title: str | None = None
    ai_generated: bool | None = None


def normalize_training_mining(settings: dict | None) -> dict:
    """Settings -> the four CAWG entries; short keys (`ai_training`) and bare uses ("allowed") accepted.
    Anything not given is notAllowed."""
    entries = {key: {"use": "notAllowed"} for key in TRAINING_MINING_ENTRIES}
    for key, value in (settings or {}).items():
        full = key if key.startswith("cawg.") else f"cawg.{key}"
        if full not in entries:
            raise UserError(f"unknown training-and-mining entry {key!r}; use one of "
                            + ", ".join(k.removeprefix('cawg.') for k in TRAINING_MINING_ENTRIES))
        entry = {"use": value} if isinstance(value, str) else dict(value or {})
        if entry.get("use") not in TRAINING_MINING_USES:
            raise UserError(f"training-and-mining {key}: use must be one of {', '.join(TRAINING_MINING_USES)}")
        unknown = set(entry) - {"use", "constraint_info"}
        if unknown:
            raise UserError(f"training-and-mining {key}: unknown fields {', '.join(sorted(unknown))}")
        entries[full] = entry
    return entries


def sign_export(identity: SigningIdentity, mp4_path: str | os.PathLike, *, ingredients: list[TakeIngredient],
                watermark: bool, training_mining: dict | None, title: str | None,
                edits: list[str] | None, likenesses: list[dict] | None = None) -> None:
    """Sign the finished export in place, last. Each distinct take file becomes one componentOf ingredient
    (its own manifest travels along); the composite source type says whether any take is AI-generated."""
    path = Path(mp4_path)
    signable_mime(path)
    entries = normalize_training_mining(training_mining)
    takes: list[TakeIngredient] = []
    seen: set[Path] = set()
    for take in ingredients:
        resolved = Path(take.path).resolve()
        if resolved in seen:
            continue
        if not resolved.is_file():
            raise UserError(f"cannot sign {path.name}: the take {take.path} is missing")
        seen.add(resolved)
        takes.append(take)
    any_ai = any(_take_is_ai(t) for t in takes)
    ids = [f"take-{i}" for i in range(1, len(takes) + 1)]
    actions: list[dict] = [{"action": "c2pa.created",
                            "digitalSourceType": COMPOSITE_WITH_TRAINED if any_ai else COMPOSITE_SYNTHETIC,
                            "softwareAgent": _claim_generator()[0]}]
    if takes:
        actions.append({"action": "c2pa.placed", "parameters": {"ingredientIds": ids}})
    actions.append({"action": "c2pa.edited",
                    "description": "; ".join(edits) if edits else "cut conformed, audio mixed"})
    if watermark:
        actions.append({"action": "c2pa.watermarked.unbound", "description": "visible moving watermark"})
    manifest = {
        "claim_generator_info": _claim_generator(), "title": title or path.name,
        "assertions": [
            {"label": "c2pa.actions.v2", "data": {"actions": actions}},
            {"label": TRAINING_MINING_LABEL, "data": {"entries": entries}},
        ],
    }
    _add_likenesses(manifest, likenesses)
    ingredient_specs = []
    for take, label in zip(takes, ids):
        take_path = Path(take.path)
        mime = SIGNABLE_MIME.get(take_path.suffix.lower())
        if mime is None:
            raise UserError(f"cannot sign {path.name}: the take {take_path.name} is not a format C2PA reads")
        ingredient_specs.append(({"title": take.title or take_path.name, "relationship": "componentOf",
                                  "label": label}, mime, lambda p=take_path: open(p, "rb")))
    _sign_in_place(identity, path, manifest, ingredient_specs)


def _take_is_ai(take: TakeIngredient) -> bool:
    if take.ai_generated is not None:
        return take.ai_generated
    report = verify(take.path)
    # an unsigned take of unknown origin counts as AI-generated: never under-declare
    return report.state == STATE_NONE or TRAINED_ALGORITHMIC_MEDIA in report.digital_source_types


# ---------------------------------------------------------------------------------------------- verify

@dataclass
class IngredientReport:
    title: str
    relationship: str | None
    format: str | None
    state: str                                  # Trusted / Valid / Invalid / none
    failure_codes: list[str] = field(default_factory=list)
    software_agents: list[str] = field(default_factory=list)
    digital_source_types: list[str] = field(default_factory=list)
    prompt: str | None = None
    generation: dict | None = None


@dataclass
class VerifyReport:
    """What `shotreel verify` prints and the verify dialog shows."""

    path: str
    state: str                                  # Trusted / Valid / Invalid / none
    title: str | None = None
    claim_generator: str | None = None
    signer: str | None = None
    signer_issuer: str | None = None
    signed_at: str | None = None                # only with a timestamp authority
    software_agents: list[str] = field(default_factory=list)       # the active manifest and its ingredients
    digital_source_types: list[str] = field(default_factory=list)
    actions: list[dict] = field(default_factory=list)
    ingredients: list[IngredientReport] = field(default_factory=list)
    watermarked: bool = False
    training_mining: dict[str, str] = field(default_factory=dict)
    generation: dict | None = None
    prompt: str | None = None
    failure_codes: list[str] = field(default_factory=list)
    note: str | None = None
    likenesses: list[dict] = field(default_factory=list)   # com.shotreel.likeness-consent

    def to_dict(self) -> dict:
        return asdict(self)

    def summary_lines(self) -> list[str]:
        name = Path(self.path).name
        if self.state == STATE_NONE:
            return [f"{name}: no Content Credentials" + (f" ({self.note})" if self.note else "")]
        if self.state == STATE_NOT_MEDIA:
            return [f"{name}: not a media file" + (f" ({self.note})" if self.note else "")]
        verdict = {
            STATE_TRUSTED: "Trusted: intact and signed by a certificate you trust",
            STATE_VALID: "Untrusted signer (Valid): intact, but not signed by one of your trust anchors",
            STATE_INVALID: "Invalid: the file or its credentials were changed after signing",
        }.get(self.state, self.state)
        lines = [f"{name}: {verdict}"]
        if self.state == STATE_INVALID and self.failure_codes:
            lines.append("  failures: " + ", ".join(self.failure_codes))
        if self.note:
            lines.append(f"  note: {self.note}")
        lines.append(f"  title: {self.title}")
        lines.append(f"  made with: {self.claim_generator}")
        if self.signer:
            lines.append(f"  signed by: {self.signer}" + (f" (issuer {self.signer_issuer})" if self.signer_issuer
                                                          else "") + (f" at {self.signed_at}" if self.signed_at else ""))
        if self.digital_source_types:
            lines.append("  source: " + ", ".join(_short_source(s) for s in self.digital_source_types))
        if self.software_agents:
            lines.append("  software agents (models, renderers): " + ", ".join(self.software_agents))
        lines.append("  actions: " + ", ".join(a.get("action", "?") for a in self.actions))
        lines.append(f"  visible watermark: {'yes' if self.watermarked else 'no'}")
        if self.training_mining:
            lines.append("  AI training and data mining: "
                         + ", ".join(f"{k.removeprefix('cawg.')}={v}" for k, v in self.training_mining.items()))
        if self.prompt:
            lines.append(f"  prompt: {_clip(self.prompt)}")
        if self.generation:
            lines.append(f"  seed: {self.generation.get('seed')}  backend: {self.generation.get('backend')}")
        for note in self.likenesses:
            lines.append(f"  consented likeness: {note.get('character', '?')} — consent {note.get('consent_id')}, "
                         f"sha256 {str(note.get('consent_hash', ''))[:16]}…, scope "
                         f"{', '.join(note.get('scope') or []) or 'none'}"
                         + (f", until {note['until']}" if note.get("until") else ""))
        for ing in self.ingredients:
            if ing.format == "text/plain":
                continue
            extra = f" [{', '.join(ing.failure_codes)}]" if ing.state == STATE_INVALID and ing.failure_codes else ""
            agents = f" — {', '.join(ing.software_agents)}" if ing.software_agents else ""
            lines.append(f"  ingredient {ing.title} ({ing.relationship}): {ing.state}{extra}{agents}")
            if ing.prompt:
                lines.append(f"    prompt: {_clip(ing.prompt)}")
        return lines


def _clip(text: str, limit: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _short_source(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


def _anchors_text(anchors_pem: str | None) -> str | None:
    """PEM text, or a path to a PEM file (what `--anchors` hands over)."""
    if not anchors_pem:
        return None
    if "-----BEGIN" not in anchors_pem:
        path = Path(anchors_pem).expanduser()
        try:
            anchors_pem = path.read_text("ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"cannot read the trust anchors {path}: {exc}") from exc
    from cryptography import x509
    try:
        if not x509.load_pem_x509_certificates(anchors_pem.encode("ascii")):
            raise ValueError("no certificate")
    except ValueError as exc:
        raise UserError(f"the trust anchors are not PEM certificates ({exc})") from exc
    return anchors_pem


def _reading_context(anchors: str | None):
    import c2pa
    settings: dict = {"verify": {"ocsp_fetch": False, "remote_manifest_fetch": False}}
    if anchors:
        settings["trust"] = {"user_anchors": anchors}
    return c2pa.Context.from_dict(settings)


def verify(path: str | os.PathLike, *, anchors_pem: str | None = None,
           identity: SigningIdentity | None = None) -> VerifyReport:
    """Read and validate the Content Credentials of `path`, offline. Trust anchors: `anchors_pem` (PEM text
    or a PEM file path) and/or the studio root of `identity`."""
    import c2pa
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path} does not exist")
    anchors = [a for a in (_anchors_text(anchors_pem), identity.root_pem() if identity else None) if a]
    context = _reading_context("\n".join(anchors) if anchors else None)
    try:
        reader = c2pa.Reader.try_create(path, context=context)
    except c2pa.C2paError.NotSupported:
        if not _is_media(path):
            return VerifyReport(str(path), STATE_NOT_MEDIA, note="not a picture, video or sound")
        return VerifyReport(str(path), STATE_NONE, note="this format cannot carry Content Credentials")
    except c2pa.C2paError as exc:
        if not _is_media(path):  # empty or random bytes are not a "tampered" video
            return VerifyReport(str(path), STATE_NOT_MEDIA, note=c2pa_message(exc))
        # a manifest is there but cannot even be parsed: tampered or truncated
        return VerifyReport(str(path), STATE_INVALID, failure_codes=[type(exc).__name__.lstrip("_")],
                            note=c2pa_message(exc))
    if reader is None:
        if not _is_media(path):
            return VerifyReport(str(path), STATE_NOT_MEDIA, note="not a picture, video or sound")
        return VerifyReport(str(path), STATE_NONE)
    with reader:
        return _report(path, reader)


_MEDIA_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF", b"OggS", b"fLaC", b"ID3", b"\x1aE\xdf\xa3",
                b"II*\x00", b"MM\x00*")
_BMFF_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"uuid")


def _is_media(path: Path) -> bool:
    """Whether `path` is a media file: a media container's signature (so a damaged one still counts: it is
    tampered, not 'not media'), else a picture PIL decodes or a file PyAV finds streams in. Tells empty,
    random or text files from media that lost or broke its credentials."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
    except OSError:
        return False
    if head.startswith(_MEDIA_MAGIC) or head[4:8] in _BMFF_BOXES:
        return True
    from PIL import Image
    try:
        with Image.open(path):
            return True
    except Exception:  # noqa: BLE001 - PIL raises many kinds for non-images
        pass
    import av
    try:
        with av.open(str(path)) as container:
            return bool(container.streams.video or container.streams.audio)
    except Exception:  # noqa: BLE001 - PyAV's errors for non-media vary by demuxer
        return False


def verify_exit_code(report: VerifyReport) -> int:
    return VERIFY_EXIT_CODES.get(report.state, VERIFY_EXIT_CODES[STATE_INVALID])


def _report(path: Path, reader) -> VerifyReport:
    store = json.loads(reader.json())
    manifests: dict = store.get("manifests", {})
    active = manifests.get(store.get("active_manifest"), {})
    results = reader.get_validation_results() or {}
    state = reader.get_validation_state() or STATE_INVALID
    failures = [c.get("code") for c in results.get("activeManifest", {}).get("failure", [])]
    deltas = {d.get("ingredientAssertionURI", "").rsplit("/", 1)[-1]: d.get("validationDeltas", {})
              for d in results.get("ingredientDeltas", []) or []}
    for delta in deltas.values():
        failures += [c.get("code") for c in delta.get("failure", [])]
    trusted_run = any(c.get("code") == "signingCredential.trusted"
                      for c in results.get("activeManifest", {}).get("success", []))

    info = _manifest_facts(active, reader)
    gen = info["generator"]
    sig = active.get("signature_info", {}) or {}
    report = VerifyReport(
        path=str(path), state=state, title=active.get("title"),
        claim_generator=" ".join(x for x in (gen.get("name"), gen.get("version")) if x) or active.get(
            "claim_generator"),
        signer=sig.get("common_name") or sig.get("issuer"), signer_issuer=sig.get("issuer"),
        signed_at=sig.get("time"), actions=info["actions"], generation=info["generation"],
        prompt=info["prompt"], watermarked=any(a.get("action", "").startswith("c2pa.watermarked")
                                                for a in info["actions"]),
        training_mining=info["training_mining"], failure_codes=_unique(failures), likenesses=info["likenesses"])
    agents, sources = list(info["agents"]), list(info["sources"])
    for ing in active.get("ingredients", []) or []:
        ing_report = _ingredient_report(ing, manifests, deltas, reader, trusted_run)
        report.ingredients.append(ing_report)
        agents += ing_report.software_agents
        sources += ing_report.digital_source_types
    report.software_agents, report.digital_source_types = _unique(agents), _unique(sources)
    if state == STATE_VALID and _UNTRUSTED in report.failure_codes:
        report.note = "the signer's root certificate is not among the trust anchors (give it with --anchors)"
    return report


def _manifest_facts(manifest: dict, reader) -> dict:
    actions, agents, sources = [], [], []
    generation = None
    likenesses: list[dict] = []
    training: dict[str, str] = {}
    for assertion in manifest.get("assertions", []) or []:
        label = assertion.get("label", "")
        data = assertion.get("data", {}) or {}
        if label.startswith("c2pa.actions"):
            for action in data.get("actions", []) or []:
                actions.append(action)
                agent = action.get("softwareAgent")
                if isinstance(agent, dict) and agent.get("name"):
                    agents.append(" ".join(str(x) for x in (agent.get("name"), agent.get("version")) if x))
                elif isinstance(agent, str):
                    agents.append(agent)
                if action.get("digitalSourceType"):
                    sources.append(action["digitalSourceType"])
        elif label.startswith(GENERATION_LABEL):
            generation = data
        elif label.startswith(LIKENESS_LABEL):
            likenesses = list(data.get("likenesses") or [])
        elif label.startswith(TRAINING_MINING_LABEL):
            training = {k: (v or {}).get("use", "?") for k, v in (data.get("entries", {}) or {}).items()}
    prompt = None
    for ing in manifest.get("ingredients", []) or []:
        if ing.get("relationship") == "inputTo" and ing.get("format") == "text/plain" and ing.get("data"):
            prompt = _resource_text(reader, ing["data"].get("identifier"))
    gen = (manifest.get("claim_generator_info") or [{}])[0] or {}
    return {"actions": actions, "agents": agents, "sources": sources, "generation": generation,
            "training_mining": training, "prompt": prompt, "generator": gen, "likenesses": likenesses}


def _resource_text(reader, identifier: str | None) -> str | None:
    if not identifier:
        return None
    import c2pa
    buf = io.BytesIO()
    try:
        reader.resource_to_stream(identifier, buf)
    except c2pa.C2paError:
        return None
    return buf.getvalue().decode("utf-8", errors="replace")


def _ingredient_report(ing: dict, manifests: dict, deltas: dict, reader, trusted_run: bool) -> IngredientReport:
    report = IngredientReport(title=ing.get("title") or "(untitled)", relationship=ing.get("relationship"),
                              format=ing.get("format"), state=STATE_NONE)
    if ing.get("format") == "text/plain" and ing.get("data"):
        report.prompt = _resource_text(reader, ing["data"].get("identifier"))
    label = ing.get("active_manifest")
    if not label:
        return report
    facts = _manifest_facts(manifests.get(label, {}), reader)
    report.software_agents, report.digital_source_types = facts["agents"], facts["sources"]
    report.prompt, report.generation = facts["prompt"], facts["generation"]
    # Validation recorded when the export was signed, plus the deltas found reading it now: a delta
    # "signingCredential.untrusted" means the reader lacks the anchor the signer had.
    delta = deltas.get(ing.get("label", ""))
    recorded = (ing.get("validation_results") or {}).get("activeManifest", {})
    current = delta if delta is not None else recorded
    failures = [c.get("code") for c in current.get("failure", []) or []]
    ok_codes = {c.get("code") for c in (recorded.get("success", []) or []) + ((delta or {}).get("success") or [])}
    report.failure_codes = [c for c in failures if c != _UNTRUSTED]
    if report.failure_codes:
        report.state = STATE_INVALID
    elif _UNTRUSTED in failures or "signingCredential.trusted" not in ok_codes:
        report.state = STATE_VALID
    else:
        report.state = STATE_TRUSTED if (delta is not None or trusted_run) else STATE_VALID
    return report


def _unique(items: list) -> list:
    return list(dict.fromkeys(i for i in items if i))
