"""Turn a finished engine job into a Take of the document.

Called on the document's thread when a result arrives. The engine hands back absolute paths; the
document keeps them relative to the project folder so a project can be moved or zipped.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from engine.jobs import GenerationRequest, GenerationResult, JobStatus

from .errors import StudioError
from .model import Take

_ROLES = {"video": "video", "proxy": "proxy", "thumbnail": "thumbnail", "audio": "audio",
          "last_frame": "last_frame", "metadata_file": "metadata"}


def relative_to_project(folder: Path, path: str | Path) -> str:
    path = Path(path).resolve()
    try:
        return path.relative_to(Path(folder).resolve()).as_posix()
    except ValueError:
        raise StudioError(f"engine wrote {path} outside the project folder {folder}") from None


def relative_request(folder: Path, request: GenerationRequest) -> dict[str, Any]:
    """The request as JSON with paths inside the project made relative (what a take keeps as params)."""
    root = str(Path(folder).resolve())

    def walk(value: Any) -> Any:
        if isinstance(value, str) and value.startswith(root + "/"):
            return value[len(root) + 1:]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return walk(json.loads(json.dumps(request.to_dict())))


def take_from_result(folder: Path, request: GenerationRequest, result: GenerationResult,
                     *, parent_take_id: str = "") -> Take:
    if result.status is not JobStatus.DONE:
        raise StudioError(f"job {result.job_id} did not finish ({result.status.value}): no take to record")
    files = {role: relative_to_project(folder, getattr(result, attr))
             for attr, role in _ROLES.items() if getattr(result, attr)}
    cond = request.conditioning
    return Take(
        id=request.job_id, shot_id=request.shot_id, backend=result.backend or request.backend,
        model_id=result.model or request.model, seed=result.seed, params=relative_request(folder, request),
        files=files, frames=result.frames, fps=result.fps, width=result.width, height=result.height,
        parent_take_id=parent_take_id or str(request.remix_options().get("parent_take_id", "")),
        operation=request.operation, source_take_id=cond.source_take_id or "", source_frame=cond.source_frame,
        created=datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        prompt=str(result.metadata.get("prompt") or request.prompt),  # what the backend really used
        renderer_version=result.renderer_version, end_state=dict(result.end_state) if result.end_state else None)
