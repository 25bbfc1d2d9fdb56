"""The 'previs' backend: render frames, stream them to the encoder, add scratch audio and metadata.

Runs on the engine worker thread (engine.runner). Checks the cancel token before every frame, so a
cancel lands within one frame's render + pipe write (~10-40 ms at 720p); a cancelled or failed job
leaves no file behind (the encoder and every writer go through engine.fsio's atomic paths).

Remix options (request.options, written by studio.remix; see engine/previs/remix.py):
  previs_op          'extend' | 'loop' | 'blend' | 'variation' (absent: a plain render; a 'remix'
                     is a plain render of the parent's world and start state with changed cues)
  parent             extend, loop: the parent take's request JSON, re-simulated exactly
  from_frame         extend: the parent frame to continue from; loop: where the looped section starts
  direction          extend: 'forward' (default) or 'backward'
  extend_frames      extend: how many new frames (request.frames = kept parent frames + these)
  blend_from, blend_to, blend_from_frame, blend_to_frame
                     blend: the two takes' requests and the frames the transition joins
  variation          variation: 0..1, how far the performance may stray (default 0.5)
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any, Optional

import cv2

from ..encode import VideoWriter
from ..errors import EngineError, ErrorKind
from ..fsio import atomic_write_text
from ..jobs import CancelToken, GenerationRequest, GenerationResult, JobStatus, Progress, ProgressFn
from .render import RENDERER_VERSION, ignored_cues, make_renderer

PREVIEW_EVERY_S = 0.5
PREVIEW_WIDTH = 192
PROGRESS_EVERY_S = 0.1


def take_paths(request: GenerationRequest) -> dict[str, Path]:
    """The files of a take, named after the job: <job>.mp4, .proxy.mp4, .thumb.jpg, .last.png, .wav, .json."""
    out = Path(request.output_dir)
    if not out.is_absolute():
        raise EngineError(ErrorKind.BAD_INPUT, f"output folder {request.output_dir!r} is not an absolute path")
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", request.job_id).strip("._") or "take"
    return {"video": out / f"{stem}.mp4", "proxy": out / f"{stem}.proxy.mp4", "thumbnail": out / f"{stem}.thumb.jpg",
            "last_frame": out / f"{stem}.last.png", "audio": out / f"{stem}.wav", "metadata": out / f"{stem}.json"}


def preview_of(frame_bgr, width: int = PREVIEW_WIDTH) -> tuple[bytes, int, int]:
    h, w = frame_bgr.shape[:2]
    pw = min(width, w)
    ph = max(1, round(h * pw / w))
    small = cv2.resize(frame_bgr, (pw, ph), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_BGR2RGB).tobytes(), pw, ph


def _render_audio(request: GenerationRequest, wav_path: Path, cancel: CancelToken) -> Optional[str]:
    """Scratch audio (engine.audio) for the take; None when the shot has no audio cues."""
    if not request.audio:
        return None
    from ..audio import render_shot_audio, stems_dir_for
    shot = render_shot_audio(request.audio, request.frames, request.fps, wav_path, request.scene.characters,
                             stems_dir=stems_dir_for(wav_path), seed=request.seed, cancel=cancel)
    return str(Path(shot.path).resolve())


class PrevisBackend:
    """engine.jobs.Backend for the built-in renderer. Stateless: one instance serves every job."""

    name = "previs"

    def generate(self, request: GenerationRequest, progress: ProgressFn, cancel: CancelToken) -> GenerationResult:
        started = time.monotonic()
        paths = take_paths(request)
        progress(Progress(request.job_id, "loading", 0, request.frames, message="building the set"))
        renderer = make_renderer(request)
        total = request.frames
        last_report = last_preview = started
        writer = VideoWriter(paths["video"], request.width, request.height, request.fps,
                             proxy_path=paths["proxy"], thumbnail_path=paths["thumbnail"],
                             last_frame_path=paths["last_frame"], expected_frames=total, channel_order="bgr")
        with writer:
            render_started = time.monotonic()
            for i in range(total):
                cancel.raise_if_cancelled()
                frame = renderer.frame(i)
                writer.write(frame)
                now = time.monotonic()
                if now - last_report >= PROGRESS_EVERY_S or i == total - 1:
                    done = i + 1
                    eta = (now - render_started) / done * (total - done)
                    preview = None
                    if now - last_preview >= PREVIEW_EVERY_S or i == 0:
                        preview = preview_of(frame)
                        last_preview = now
                    progress(Progress(request.job_id, "rendering", done, total, eta, preview))
                    last_report = now
            progress(Progress(request.job_id, "encoding", total, total, None, message="finishing the encode"))
            encoded = writer.close(cancel=cancel)
        try:
            progress(Progress(request.job_id, "audio", total, total))
            audio = _render_audio(request, paths["audio"], cancel)
            end_state = renderer.end_state()
            metadata = self._metadata(request, renderer, end_state, encoded, audio, time.monotonic() - started)
            atomic_write_text(paths["metadata"], json.dumps(metadata, indent=1, sort_keys=True))
        except BaseException:
            for key in ("video", "proxy", "thumbnail", "last_frame"):
                Path(getattr(encoded, key) or paths[key]).unlink(missing_ok=True)
            raise
        progress(Progress(request.job_id, "done", total, total, 0.0))
        return GenerationResult(
            job_id=request.job_id, status=JobStatus.DONE, video=encoded.video, proxy=encoded.proxy,
            thumbnail=encoded.thumbnail, audio=audio, last_frame=encoded.last_frame,
            metadata_file=str(paths["metadata"].resolve()), frames=encoded.frames, fps=request.fps,
            width=request.width, height=request.height, seed=request.seed, backend=self.name,
            renderer_version=RENDERER_VERSION, end_state=end_state, metadata=metadata,
            seconds=round(time.monotonic() - started, 3))

    @staticmethod
    def _metadata(request: GenerationRequest, renderer, end_state, encoded, audio, seconds) -> dict[str, Any]:
        cond = request.conditioning
        return {
            "backend": "previs", "renderer_version": RENDERER_VERSION, "mode": renderer.mode,
            "request": request.to_dict(), "seed": request.seed, "set_seed": request.scene.set_seed,
            "conditioning_source": {"take_id": cond.source_take_id, "frame": cond.source_frame,
                                    "continued_from_state": bool(getattr(renderer, "continued", False))},
            "camera": request.camera.describe(), "end_state": end_state, "ignored": ignored_cues(request),
            "files": {"video": encoded.video, "proxy": encoded.proxy, "thumbnail": encoded.thumbnail,
                      "last_frame": encoded.last_frame, "audio": audio},
            "frames": encoded.frames, "render_seconds": round(seconds, 3),
        }
