"""The memory and time estimate of a shot as it would be queued on the diffusion backend, and the
shots that will not fit this machine's device (the CLI refuses them unless --force, the window asks).

Who calls: `shotreel estimate` / `shotreel generate`, the inspector's generation section, the queue panel.
No torch: the engine's estimate reads parameter counts from the model folder's safetensors headers.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from engine.errors import EngineError

from .errors import UserError


def estimate_for_shot(doc: Any, shot_id: str, options: Mapping[str, Any] | None = None,
                      device: str | None = None) -> tuple[Any, Any]:
    """(the request the shot would be queued as on the diffusion backend, its estimate on `device`).

    Raises UserError with the reason when the model is missing or the combination cannot run."""
    from engine.diffusion.backend import estimate_request

    from .prompting import build_request
    opts = dict(options or {})
    model = opts.pop("model", None)
    overrides = {"model": model} if model else {}
    request = build_request(doc.project, doc.folder, shot_id, backend="diffusion", options=opts, **overrides)
    if not request.model:
        raise UserError("no diffusion model for this shot: give --model DIR or set the shot's model")
    try:
        return request, estimate_request(request, device=device)
    except EngineError as exc:
        raise UserError(exc.message + (f". {exc.suggestion}" if exc.suggestion else "")) from None




def shots_that_do_not_fit(doc: Any, shot_ids: Iterable[str], options: Mapping[str, Any] | None = None,
                          backend: str | None = None, *, strict: bool = True) -> list[str]:
    """'title: estimate' for each diffusion shot whose estimate says it will not fit this machine's
    device: the CLI refuses them unless --force, the window asks first. A shot whose settings cannot
    run at all raises UserError with the reason (strict), or is left to fail in the queue with it."""
    from .prompting import backend_of
    out = []
    for shot_id in shot_ids:
        shot = doc.project.shot(shot_id)
        if (backend or backend_of(doc.project, shot)) != "diffusion":
            continue
        try:
            _, est = estimate_for_shot(doc, shot_id, options)
        except UserError:
            if strict:
                raise
            continue
        if est.fits is False:
            out.append(f"{shot.title or shot.id}: {est.summary()}")
    return out


