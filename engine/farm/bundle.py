"""Requests and results that travel between the studio and a farm worker. No Ray in here.

`pack(request)` turns a studio request (absolute paths of the studio machine) into a `Bundle`: the
request JSON with every input file replaced by `bundle://<content-hash><suffix>` and its bytes
carried beside it, model folders replaced by `model://<folder name>`, and no output folder. The
studio keeps `Bundle.sources` (name -> studio path) for itself: it never travels (see `wire`).

`unpack(wire, workdir, model_dirs)` on the worker writes the inputs under its own scratch folder
and resolves model names against the worker's own model folders (a missing one is a clear
MODEL_MISSING error naming the worker's folders).

`pack_result` (worker) ships every file the backend wrote with paths relative to its output folder
(`take://...`); `write_result` (studio, the take writer) writes them into the project atomically
(all files to temporary names first, then fsync + rename) and maps the placeholders back to studio
paths, so metadata names the studio's files and a half-written take never looks finished.

Who calls: engine.farm.runner (studio side) and engine.farm.worker (worker side).
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

from ..errors import EngineError, ErrorKind
from ..fsio import PARTIAL_MARKER, _commit, _discard, fsync_dir, partial_name
from ..jobs import GenerationRequest, GenerationResult

INPUT = "bundle://"
MODEL = "model://"
TAKE = "take://"
BUNDLE_VERSION = 1
# Free text of a request: never read as a path even when it starts with '/'.
_TEXT_KEYS = {"prompt", "negative_prompt", "burn_in", "heading", "location", "style", "description", "text",
              "prompt_override", "name", "message"}
# Fields that name a model (a folder on the studio machine, or a hub id): sent by name only.
_MODEL_KEYS = {"model", "lora", "loras", "lora_path", "model_path"}


@dataclass(frozen=True)
class Bundle:
    request: dict[str, Any]                 # request JSON, placeholders instead of studio paths
    inputs: dict[str, bytes]                # bundle name -> file bytes
    sources: dict[str, str] = field(default_factory=dict)  # studio only: name -> studio path

    def wire(self) -> dict[str, Any]:
        """What crosses to a worker: the request and the input bytes, nothing of the studio machine."""
        return {"version": BUNDLE_VERSION, "request": self.request, "inputs": dict(self.inputs)}


def _input_name(path: Path, data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:20] + path.suffix.lower()


def pack(request: GenerationRequest) -> Bundle:
    """The request as a bundle. EngineError BAD_INPUT when an input file is missing or unreadable."""
    inputs: dict[str, bytes] = {}
    sources: dict[str, str] = {}

    def walk(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, key) for v in value]
        if key == "output_dir" and isinstance(value, str):
            return ""                          # nested requests (a remix's parent) name their take folder
        if not isinstance(value, str) or key in _TEXT_KEYS or not os.path.isabs(value):
            return value
        path = Path(value)
        if key in _MODEL_KEYS or path.is_dir():
            return MODEL + path.name          # the worker finds this name in its own model folders
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise EngineError(ErrorKind.BAD_INPUT, f"cannot send {path.name} to the farm: {exc.strerror or exc}",
                              "Check that the file exists, or regenerate the take it came from.") from exc
        name = _input_name(path, data)
        inputs[name] = data
        sources[name] = str(path)
        return INPUT + name

    return Bundle(walk(request.to_dict()), inputs, sources)


def _model_folder(name: str, model_dirs: Iterable[str | os.PathLike], worker: str) -> str:
    dirs = [Path(d) for d in model_dirs if d]
    for folder in dirs:
        candidate = folder / name
        if candidate.is_dir():
            return str(candidate.resolve())
    where = ", ".join(str(d) for d in dirs) or "none set"
    raise EngineError(ErrorKind.MODEL_MISSING, f"worker {worker} has no model {name!r} (its model folders: {where})",
                      f"Copy the model folder {name!r} into a model folder of that machine "
                      "(SHOTREEL_MODEL_DIRS there), or take it out of the farm.")


def unpack(wire: Mapping[str, Any], workdir: Path, model_dirs: Iterable[str | os.PathLike] = (),
           worker: str = "this worker") -> GenerationRequest:
    """The bundle's request with this machine's paths: inputs under workdir/in, output in workdir/out."""
    if int(wire.get("version", 0)) != BUNDLE_VERSION:
        raise EngineError(ErrorKind.BAD_INPUT, f"a farm bundle of version {wire.get('version')!r} "
                          f"(this worker reads {BUNDLE_VERSION})", "Install the same Shotreel on every farm machine.")
    workdir = Path(workdir)
    inbox, out = workdir / "in", workdir / "out"
    inbox.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    for name, data in (wire.get("inputs") or {}).items():
        if "/" in name or name.startswith("."):
            raise EngineError(ErrorKind.BAD_INPUT, f"a farm bundle input has an unsafe name {name!r}")
        (inbox / name).write_bytes(data)
    model_dirs = list(model_dirs)

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, str) and value.startswith(INPUT):
            return str(inbox / value[len(INPUT):])
        if isinstance(value, str) and value.startswith(MODEL):
            return _model_folder(value[len(MODEL):], model_dirs, worker)
        return value

    data = walk(dict(wire["request"]))
    data["output_dir"] = str(out)
    return GenerationRequest.from_dict(data)


# ---- continuity chains -------------------------------------------------------------------------------

def chain_link(result: GenerationResult) -> Optional[dict[str, Any]]:
    """What the next shot of a chain needs from this finished take: its last frame and end state."""
    if not result.last_frame:
        return None
    return {"job_id": result.job_id, "last_frame": Path(result.last_frame).read_bytes(),
            "end_state": dict(result.end_state) if result.end_state is not None else None,
            "frames": result.frames}


def resolve_chain(request: GenerationRequest, link: Mapping[str, Any], first_frame: str) -> GenerationRequest:
    """Fill a chained request from its upstream's link, as the local path would have built it from
    the upstream take (studio.continuity.inheritance): first frame = the take's last frame, start
    state = its end state, source = that take and its last frame. `first_frame` is where this
    machine keeps the link's last-frame PNG."""
    cond = replace(request.conditioning, first_frame=first_frame, source_take_id=str(link["job_id"]),
                   source_frame=max(0, int(link["frames"]) - 1), from_job=None)
    return request.with_(conditioning=cond, scene=replace(request.scene, start_state=link.get("end_state")))


# ---- results -----------------------------------------------------------------------------------------

def _swap(value: Any, old: str, new: str) -> Any:
    """Replace the path prefix `old` by `new` in every string of a JSON-shaped value."""
    if isinstance(value, dict):
        return {k: _swap(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_swap(v, old, new) for v in value]
    if isinstance(value, str) and old and value.startswith(old):
        return new + value[len(old):]
    return value


def pack_result(result: GenerationResult, request: GenerationRequest, wire_request: Mapping[str, Any]) -> dict:
    """A finished job on the worker -> what goes back: the result with placeholders, and every file
    of its output folder (relative names). Inputs and outputs of this machine become placeholders."""
    out = Path(request.output_dir)
    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
             if p.is_file() and PARTIAL_MARKER not in p.name}
    data = result.to_dict()
    data = _swap(data, str(out) + "/", TAKE)
    inbox = str(out.parent / "in") + "/"
    data = _swap(data, inbox, INPUT)
    # The take's metadata names the studio's request, not this machine's copy of it.
    meta = dict(data.get("metadata") or {})
    if "request" in meta:
        meta["request"] = dict(wire_request)
    data["metadata"] = meta
    for name in list(files):
        if name.endswith(".json"):
            try:
                doc = json.loads(files[name])
            except ValueError:
                continue
            doc = _swap(_swap(doc, str(out) + "/", TAKE), inbox, INPUT)
            if isinstance(doc, dict) and "request" in doc:
                doc["request"] = dict(wire_request)
            files[name] = json.dumps(doc, indent=1, sort_keys=True, default=str).encode("utf-8")
    return {"result": data, "files": files}


def write_result(payload: Mapping[str, Any], request: GenerationRequest, sources: Mapping[str, str],
                 wire_request: Mapping[str, Any] | None = None) -> GenerationResult:
    """The studio's take writer for farm results: every file into request.output_dir atomically,
    placeholders back to studio paths. Nothing is renamed into place until every file is written."""
    out = Path(request.output_dir)
    if not out.is_absolute():
        raise EngineError(ErrorKind.BAD_INPUT, f"output folder {request.output_dir!r} is not an absolute path")
    studio_request = request.to_dict()

    def to_studio(value: Any) -> Any:
        value = _swap(value, TAKE, str(out) + "/")
        for name, path in sources.items():
            value = _swap(value, INPUT + name, path)
        return value

    staged: list[tuple[Path, Path]] = []
    try:
        for name, data in payload["files"].items():
            target = (out / name).resolve()
            if out.resolve() not in target.parents:
                raise EngineError(ErrorKind.BAD_INPUT, f"a farm result names a file outside its take: {name!r}")
            target.parent.mkdir(parents=True, exist_ok=True)
            if name.endswith(".json"):
                try:
                    doc = to_studio(json.loads(data))
                    if isinstance(doc, dict) and "request" in doc:
                        doc["request"] = studio_request
                    data = json.dumps(doc, indent=1, sort_keys=True, default=str).encode("utf-8")
                except ValueError:
                    pass
            tmp = partial_name(target)
            tmp.write_bytes(data)
            staged.append((tmp, target))
        for tmp, target in staged:
            _commit(tmp, target)
        fsync_dir(out)
    except BaseException:
        for tmp, _ in staged:
            _discard(tmp)
        raise
    data = to_studio(dict(payload["result"]))
    meta = dict(data.get("metadata") or {})
    if "request" in meta:
        meta["request"] = studio_request
    data["metadata"] = meta
    return GenerationResult.from_dict(data)


def studio_paths_in(value: Any, roots: Iterable[str]) -> list[str]:
    """Strings of a JSON-shaped value that start with one of `roots` (tests and a pre-send check)."""
    roots = [r for r in roots if r]
    found: list[str] = []

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            for item in v.values():
                walk(item)
        elif isinstance(v, (list, tuple)):
            for item in v:
                walk(item)
        elif isinstance(v, str) and any(v.startswith(r) for r in roots):
            found.append(v)
    walk(value)
    return found
