"""The 'previs' backend: render frames, stream them to the encoder, add scratch audio and metadata.

Runs on the engine worker thread (engine.runner). Checks the cancel token before every frame, so a
cancel lands within one frame's render + pipe write (~10-40 ms at 720p); a cancelled or failed job
leaves no file behind (the encoder and every writer go through engine.fsio's atomic paths).

Remix options (request.remix_options(): the typed RemixSpec fields under their option names, written by
studio.remix; see engine/previs/operations.py):
  previs_op          'extend' | 'loop' | 'blend' | 'variation' (absent: a plain render; a 'remix'
                     is a plain render of the parent's world and start state with changed cues)
  parent             extend, loop: the parent take's request JSON, re-simulated exactly
  from_frame         extend: the parent frame to continue from; loop: where the looped section starts
  direction          extend: 'forward' (default) or 'backward'
  extend_frames      extend: how many new frames (request.frames = kept parent frames + these)
  blend_from, blend_to, blend_from_frame, blend_to_frame
                     blend: the two takes' requests and the frames the transition joins
  variation          variation: 0..1, how far the performance may stray (default 0.5)
  control_passes     false: no depth / mask / pose passes beside the take (default: written)
"""
from __future__ import annotations

import time
from typing import Any

from ..jobs import CancelToken, GenerationRequest, GenerationResult, Progress, ProgressFn
from ..take_writer import PREVIEW_EVERY_S, PREVIEW_WIDTH, PROGRESS_EVERY_S, preview_of, take_paths, write_take
from .factory import make_renderer
from .render import RENDERER_VERSION, ignored_cues

# take_paths, preview_of and the progress rates live in engine.take_writer (shared by every backend);
# re-exported here for callers that import them from the previs backend.
__all__ = ["PrevisBackend", "take_paths", "preview_of", "PREVIEW_EVERY_S", "PREVIEW_WIDTH", "PROGRESS_EVERY_S"]


def wants_passes(request: GenerationRequest) -> bool:
    """Control passes (depth, mask, pose) are written beside every 3D take unless the request says
    options['control_passes'] = False (a board animatic has no 3D scene to take them from)."""
    return bool(request.options.get("control_passes", True))


class PrevisBackend:
    """engine.jobs.Backend for the built-in renderer. Stateless: one instance serves every job."""

    name = "previs"

    def generate(self, request: GenerationRequest, progress: ProgressFn, cancel: CancelToken) -> GenerationResult:
        started = time.monotonic()
        take_paths(request)                        # a bad output folder fails before the set is built
        progress(Progress(request.job_id, "loading", 0, request.frames, message="building the set"))
        renderer = make_renderer(request)
        frames = (renderer.iter_frames(request.frames) if hasattr(renderer, "iter_frames")
                  else (renderer.frame(i) for i in range(request.frames)))
        passes = renderer.control_passes if wants_passes(request) and hasattr(renderer, "control_passes") else None
        info = {"mask": {"ids": renderer.pass_ids()}} if passes is not None else None
        return write_take(request, frames, total=request.frames, progress=progress, cancel=cancel,
                          backend=self.name, renderer_version=RENDERER_VERSION, channel_order="bgr",
                          stage="rendering", end_state=renderer.end_state, started=started,
                          metadata=lambda written: self._metadata(request, renderer, written),
                          passes=passes, pass_info=info)

    @staticmethod
    def _metadata(request: GenerationRequest, renderer, written) -> dict[str, Any]:
        cond = request.conditioning
        return {
            "backend": "previs", "renderer_version": RENDERER_VERSION, "mode": renderer.mode,
            "request": request.to_dict(), "seed": request.seed, "set_seed": request.scene.set_seed,
            "conditioning_source": {"take_id": cond.source_take_id, "frame": cond.source_frame,
                                    "continued_from_state": bool(getattr(renderer, "continued", False))},
            "camera": request.camera.describe(), "end_state": written.end_state, "ignored": ignored_cues(request),
            "files": written.files, "frames": written.encoded.frames, "render_seconds": round(written.seconds, 3),
            "notes": list(getattr(renderer, "notes", [])),   # e.g. how a user's 3D model was used
        }
