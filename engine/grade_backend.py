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

import shutil
import time
from pathlib import Path
from typing import Any, Iterator

import cv2
import numpy as np

from .errors import EngineError, ErrorKind
from .fsio import atomic_path
from .grade import ColourTransfer
from .jobs import CancelToken, GenerationRequest, GenerationResult, Progress, ProgressFn
from .take_writer import take_paths, write_take

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


def _graded(source: Path, transfer: ColourTransfer, width: int, height: int) -> Iterator[np.ndarray]:
    """The source take's frames, at the request size, with the colour transfer applied (RGB)."""
    import av
    count = 0
    try:
        with av.open(str(source)) as container:
            for frame in container.decode(video=0):
                rgb = frame.to_ndarray(format="rgb24")
                if rgb.shape[1] != width or rgb.shape[0] != height:
                    rgb = cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA)
                count += 1
                yield transfer.apply(rgb)
    except (OSError, av.error.FFmpegError) as exc:  # type: ignore[attr-defined]
        raise EngineError(ErrorKind.BAD_INPUT, f"cannot read the take to grade ({source.name}): {exc}") from exc
    if count == 0:
        raise EngineError(ErrorKind.BAD_INPUT, f"the take to grade ({source.name}) has no frames")


class GradeBackend:
    """engine.jobs.Backend: decode, transfer colour, encode. Stateless."""

    name = "grade"

    def generate(self, request: GenerationRequest, progress: ProgressFn, cancel: CancelToken) -> GenerationResult:
        started = time.monotonic()
        opts = dict(request.options)
        source = _source(opts, "source_video")
        try:
            transfer = ColourTransfer.from_dict(opts["transfer"])
        except (KeyError, TypeError, ValueError) as exc:
            raise EngineError(ErrorKind.BAD_INPUT, f"the grade job's colour transfer is unreadable: {exc}") from exc
        take_paths(request)
        progress(Progress(request.job_id, "loading", 0, request.frames, message="reading the take"))

        def copy_audio(wav: Path, frames: int, cancel: CancelToken) -> str | None:
            if not opts.get("source_audio"):
                return None
            audio_src = _source(opts, "source_audio")
            with atomic_path(wav) as tmp:
                shutil.copyfile(audio_src, tmp)
            return str(wav.resolve())

        def metadata(written) -> dict[str, Any]:
            return {"backend": self.name, "renderer_version": RENDERER_VERSION, "request": request.to_dict(),
                    "source_video": str(source), "transfer": transfer.to_dict(), "frames": written.encoded.frames,
                    "seconds": round(written.seconds, 3)}

        return write_take(request, _graded(source, transfer, request.width, request.height), total=request.frames,
                          progress=progress, cancel=cancel, backend=self.name, renderer_version=RENDERER_VERSION,
                          channel_order="rgb", stage="grading", audio=copy_audio,
                          end_state=lambda: opts.get("end_state") or None, model=request.model, started=started,
                          metadata=metadata)
