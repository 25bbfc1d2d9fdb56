"""The 'grade' backend: a new take made from an existing one by a colour transfer on every frame.

Who calls: the engine runner, for 'match colour to previous' (studio.remix.plan_colour_match). The
source take stays untouched: the graded frames are a new take (same length, size and rate), so the
studio can choose either and undo goes back to the original. The transfer itself
(engine.grade.ColourTransfer) is computed by the studio from the cut frames and travels in the
request, so the job is self-describing and reproducible.

Options (request.options):
  source_video   absolute path of the take to grade (required)
  transfer       ColourTransfer.to_dict() (required)
  source_audio   absolute path of the take's audio, copied unchanged (optional)
  end_state      the source take's end state, passed through so continuity still works (optional)
"""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from .errors import EngineError, ErrorKind
from .fsio import atomic_path, atomic_write_text
from .grade import ColourTransfer
from .jobs import CancelToken, GenerationRequest, GenerationResult, JobStatus, Progress, ProgressFn

RENDERER_VERSION = "grade-1.0"


def _source(opts: dict, name: str) -> Path:
    value = opts.get(name)
    if not value or not Path(str(value)).is_absolute():
        raise EngineError(ErrorKind.BAD_INPUT, f"the grade job needs an absolute '{name}' path, got {value!r}")
    path = Path(str(value))
    if not path.is_file():
        raise EngineError(ErrorKind.BAD_INPUT, f"the take to grade is missing: {path.name}",
                          "Regenerate the take, or choose another one.")
    return path


class GradeBackend:
    """engine.jobs.Backend: decode, transfer colour, encode. Stateless."""

    name = "grade"

    def generate(self, request: GenerationRequest, progress: ProgressFn, cancel: CancelToken) -> GenerationResult:
        import av
        from .encode import VideoWriter
        from .previs.backend import preview_of, take_paths
        started = time.monotonic()
        opts = dict(request.options)
        source = _source(opts, "source_video")
        try:
            transfer = ColourTransfer.from_dict(opts["transfer"])
        except (KeyError, TypeError, ValueError) as exc:
            raise EngineError(ErrorKind.BAD_INPUT, f"the grade job's colour transfer is unreadable: {exc}") from exc
        paths = take_paths(request)
        total = request.frames
        progress(Progress(request.job_id, "loading", 0, total, message="reading the take"))
        writer = VideoWriter(paths["video"], request.width, request.height, request.fps, proxy_path=paths["proxy"],
                             thumbnail_path=paths["thumbnail"], last_frame_path=paths["last_frame"],
                             expected_frames=total, channel_order="rgb")
        with writer:
            try:
                with av.open(str(source)) as container:
                    for i, frame in enumerate(container.decode(video=0)):
                        cancel.raise_if_cancelled()
                        rgb = frame.to_ndarray(format="rgb24")
                        if rgb.shape[1] != request.width or rgb.shape[0] != request.height:
                            rgb = cv2.resize(rgb, (request.width, request.height), interpolation=cv2.INTER_AREA)
                        graded = transfer.apply(rgb)
                        writer.write(graded)
                        if i == 0 or (i + 1) % 12 == 0:
                            preview = preview_of(np.ascontiguousarray(graded[..., ::-1])) if i == 0 else None
                            progress(Progress(request.job_id, "grading", i + 1, total, preview=preview))
            except (OSError, av.error.FFmpegError) as exc:  # type: ignore[attr-defined]
                raise EngineError(ErrorKind.BAD_INPUT, f"cannot read the take to grade ({source.name}): {exc}") from exc
            if writer.frames_written == 0:
                raise EngineError(ErrorKind.BAD_INPUT, f"the take to grade ({source.name}) has no frames")
            progress(Progress(request.job_id, "encoding", total, total, message="finishing the encode"))
            encoded = writer.close(cancel=cancel)
        audio = None
        try:
            if opts.get("source_audio"):
                audio_src = _source(opts, "source_audio")
                with atomic_path(paths["audio"]) as tmp:
                    shutil.copyfile(audio_src, tmp)
                audio = str(paths["audio"].resolve())
            end_state = opts.get("end_state") or None
            metadata: dict[str, Any] = {
                "backend": self.name, "renderer_version": RENDERER_VERSION, "request": request.to_dict(),
                "source_video": str(source), "transfer": transfer.to_dict(), "frames": encoded.frames,
                "seconds": round(time.monotonic() - started, 3)}
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
            model=request.model, renderer_version=RENDERER_VERSION, end_state=end_state, metadata=metadata,
            seconds=round(time.monotonic() - started, 3))
