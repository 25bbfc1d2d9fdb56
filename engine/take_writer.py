"""One take on disk, the same for every backend: video + proxy + thumbnail + last frame (through
engine.encode.VideoWriter), the audio WAV, the metadata JSON, and the GenerationResult.

Who calls: the previs, diffusion and grade backends (`write_take`), each feeding its frames as an
iterator, so rendering, decoding or resampling streams straight into the encoder. The cancel token
is checked before every frame; a cancelled or failed take leaves no file behind (the encoder's
partials are removed by VideoWriter, and the finished files are removed again when the audio or the
metadata step fails).

Splice (diffusion extend takes): `Splice` reads the parent take's frames before (head) and after
(tail) the generated ones, so an extend take is the whole, longer shot as on previs.
"""
from __future__ import annotations

import contextlib
import json
import re
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional

import cv2
import numpy as np

from .encode import EncodedTake, EncodeSettings, VideoWriter
from .errors import EngineError, ErrorKind
from .fsio import atomic_write_text
from .jobs import CancelToken, GenerationRequest, GenerationResult, JobStatus, Progress, ProgressFn

PREVIEW_EVERY_S = 0.5
PREVIEW_WIDTH = 192
PROGRESS_EVERY_S = 0.1
TAKE_FILES = ("video", "proxy", "thumbnail", "last_frame", "audio", "metadata")


def take_stem(job_id: str) -> str:
    """The file-name stem of a job's take (engine.runner removes partials by the same rule)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", job_id).strip("._") or "take"


def take_paths(request: GenerationRequest) -> dict[str, Path]:
    """The files of a take, named after the job: <job>.mp4, .proxy.mp4, .thumb.jpg, .last.png, .wav, .json."""
    out = Path(request.output_dir)
    if not out.is_absolute():
        raise EngineError(ErrorKind.BAD_INPUT, f"output folder {request.output_dir!r} is not an absolute path")
    stem = take_stem(request.job_id)
    return {"video": out / f"{stem}.mp4", "proxy": out / f"{stem}.proxy.mp4", "thumbnail": out / f"{stem}.thumb.jpg",
            "last_frame": out / f"{stem}.last.png", "audio": out / f"{stem}.wav", "metadata": out / f"{stem}.json"}


def preview_of(frame: np.ndarray, width: int = PREVIEW_WIDTH, channel_order: str = "bgr") -> tuple[bytes, int, int]:
    """A small RGB copy of a frame for Progress.preview: (bytes, width, height)."""
    h, w = frame.shape[:2]
    pw = min(width, w)
    ph = max(1, round(h * pw / w))
    small = cv2.resize(frame, (pw, ph), interpolation=cv2.INTER_AREA)
    if channel_order == "bgr":
        small = cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
    return np.ascontiguousarray(small).tobytes(), pw, ph


def scratch_audio(request: GenerationRequest, wav_path: Path, frames: int, cancel: CancelToken) -> Optional[str]:
    """The shot's scratch audio mix (engine.audio) `frames` long, with its stems beside it; None when
    the shot has no audio cues."""
    if not request.audio:
        return None
    from .audio import render_shot_audio, stems_dir_for
    shot = render_shot_audio(request.audio, frames, request.fps, wav_path, request.scene.characters,
                             stems_dir=stems_dir_for(wav_path), seed=request.seed, cancel=cancel)
    return str(Path(shot.path).resolve())


# Control passes written beside a take (previs): name -> (file suffix, format). Every video pass has
# the take's frame count and size; 'pose' also writes its keypoints as JSON (<stem>.pose.json).
CONTROL_PASSES = {
    "depth": (".depth.mp4", "h264 8-bit gray (in yuv420p luma): 255 at the camera .. 0 at 40 m and beyond, "
                            "linear in distance along the optical axis"),
    "mask": (".mask.mp4", "h264 flat id colours: one colour per figure and prop (ids in 'ids'), black elsewhere"),
    "pose": (".pose.mp4", "h264 OpenPose COCO-18 skeleton drawing (OpenPose colours) on black"),
    "pose_keypoints": (".pose.json", "json {'frames': [[{'name', 'keypoints': [[x, y, visible] * 18]}]]}, "
                                     "COCO-18 order, pixels of the take"),
}


PASS_ENCODE = EncodeSettings(preset="ultrafast", crf=17)


def pass_paths(request: GenerationRequest) -> dict[str, Path]:
    stem = take_stem(request.job_id)
    return {name: Path(request.output_dir) / f"{stem}{suffix}" for name, (suffix, _) in CONTROL_PASSES.items()}


@dataclass(frozen=True)
class WrittenTake:
    """What the metadata callback sees: the encoded files, the audio, and the take's end state."""
    encoded: EncodedTake
    audio: Optional[str]
    end_state: Optional[Mapping[str, Any]]
    seconds: float                  # since the job started
    passes: Mapping[str, Any] = None  # type: ignore[assignment]  # name -> {"file", "format"} (metadata)

    @property
    def files(self) -> dict[str, Optional[str]]:
        e = self.encoded
        return {"video": e.video, "proxy": e.proxy, "thumbnail": e.thumbnail, "last_frame": e.last_frame,
                "audio": self.audio}


# audio(wav_path, frames, cancel) -> the WAV's absolute path or None
AudioFn = Callable[[Path, int, CancelToken], Optional[str]]


def write_take(request: GenerationRequest, frames: Iterable[np.ndarray], *, total: int, progress: ProgressFn,
               cancel: CancelToken, backend: str, renderer_version: str,
               metadata: Callable[[WrittenTake], dict], channel_order: str = "rgb", stage: str = "rendering",
               audio: Optional[AudioFn] = None, end_state: Callable[[], Optional[Mapping[str, Any]]] | None = None,
               model: str = "", started: Optional[float] = None,
               passes: Optional[Callable[[int], Mapping[str, Any]]] = None,
               pass_info: Optional[Mapping[str, Mapping[str, Any]]] = None) -> GenerationResult:
    """Encode `frames` (`total` of them, request size, `channel_order`) into the take's files, add its
    audio (default: the scratch mix for the frames written) and metadata JSON, and return the result.

    Reports `stage` progress (first and last frame, and every PROGRESS_EVERY_S, with a preview now
    and then), then 'encoding', 'audio', 'done'. `end_state` is called once the video is written.

    passes: frame index -> {pass name: image (HxW gray or HxWx3 BGR) or, for 'pose_keypoints', that
    frame's keypoints}; each CONTROL_PASSES video is encoded beside the take and listed in the
    metadata under 'passes' (with `pass_info` extras per name) and on the result."""
    started = time.monotonic() if started is None else started
    paths = take_paths(request)
    job = request.job_id
    writer = VideoWriter(paths["video"], request.width, request.height, request.fps, proxy_path=paths["proxy"],
                         thumbnail_path=paths["thumbnail"], last_frame_path=paths["last_frame"],
                         expected_frames=total, channel_order=channel_order)
    side = _PassWriters(request, total, pass_info or {}) if passes is not None else None
    with writer, (side if side is not None else contextlib.nullcontext()):
        loop_started = time.monotonic()
        last_report = last_preview = None
        source = iter(frames)
        while True:
            cancel.raise_if_cancelled()
            frame = next(source, None)
            if frame is None:
                break
            writer.write(frame)
            done = writer.frames_written
            if side is not None:
                side.write(passes(done - 1))
            now = time.monotonic()
            if last_report is None or now - last_report >= PROGRESS_EVERY_S or done == total:
                preview = None
                if last_preview is None or now - last_preview >= PREVIEW_EVERY_S:
                    preview = preview_of(frame, channel_order=channel_order)
                    last_preview = now
                eta = (now - loop_started) / done * max(0, total - done)
                progress(Progress(job, stage, done, max(total, done), eta, preview))
                last_report = now
        progress(Progress(job, "encoding", writer.frames_written, max(total, writer.frames_written), None,
                          message="finishing the encode"))
        encoded = writer.close(cancel=cancel)
        pass_files = side.close(cancel) if side is not None else {}
    try:
        progress(Progress(job, "audio", encoded.frames, encoded.frames))
        if audio is None:
            wav = scratch_audio(request, paths["audio"], encoded.frames, cancel)
        else:
            wav = audio(paths["audio"], encoded.frames, cancel)
        state = end_state() if end_state is not None else None
        listed = side.listing() if side is not None else {}
        written = WrittenTake(encoded, wav, state, time.monotonic() - started, listed)
        meta = metadata(written)
        if listed:
            meta = {**meta, "passes": listed}
        atomic_write_text(paths["metadata"], json.dumps(meta, indent=1, sort_keys=True, default=str))
    except BaseException:
        for key in ("video", "proxy", "thumbnail", "last_frame", "audio"):
            Path(getattr(encoded, key, None) or paths[key]).unlink(missing_ok=True)
        for path in pass_files.values():
            Path(path).unlink(missing_ok=True)
        raise
    progress(Progress(job, "done", encoded.frames, encoded.frames, 0.0))
    return GenerationResult(
        job_id=job, status=JobStatus.DONE, video=encoded.video, proxy=encoded.proxy, thumbnail=encoded.thumbnail,
        audio=wav, last_frame=encoded.last_frame, metadata_file=str(paths["metadata"].resolve()),
        frames=encoded.frames, fps=request.fps, width=request.width, height=request.height, seed=request.seed,
        backend=backend, model=model, renderer_version=renderer_version, end_state=state, metadata=meta,
        seconds=round(time.monotonic() - started, 3), passes=pass_files)


class _PassWriters:
    """The control-pass encoders of one take (no proxy, no stills) and the keypoints JSON.
    Leaving the block by an exception removes every partial, like the take's own writer."""

    def __init__(self, request: GenerationRequest, total: int, info: Mapping[str, Mapping[str, Any]]):
        self.request, self.total, self.info = request, total, info
        self.paths = pass_paths(request)
        self.writers: dict[str, VideoWriter] = {}
        self.keypoints: list = []
        self.stack = contextlib.ExitStack()

    def __enter__(self) -> "_PassWriters":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.stack.__exit__(exc_type, exc, tb)

    def write(self, data: Mapping[str, Any]) -> None:
        for name, value in data.items():
            if name == "pose_keypoints":
                self.keypoints.append(value)
                continue
            if name not in self.paths:
                continue
            w = self.writers.get(name)
            if w is None:
                # ultrafast: the passes are conditioning, not picture; they must not double the take's cost
                w = self.stack.enter_context(VideoWriter(self.paths[name], self.request.width, self.request.height,
                                                         self.request.fps, expected_frames=self.total,
                                                         settings=PASS_ENCODE))
                self.writers[name] = w
            img = value if value.ndim == 3 else cv2.cvtColor(value, cv2.COLOR_GRAY2BGR)
            w.write(img)

    def close(self, cancel) -> dict[str, str]:
        files = {name: w.close(cancel=cancel).video for name, w in self.writers.items()}
        if self.keypoints:
            path = self.paths["pose_keypoints"]
            atomic_write_text(path, json.dumps({"frames": self.keypoints}, separators=(",", ":")))
            files["pose_keypoints"] = str(path.resolve())
        self.files = files
        return files

    def listing(self) -> dict[str, dict[str, Any]]:
        return {name: {"file": Path(path).name, "format": CONTROL_PASSES[name][1], **self.info.get(name, {})}
                for name, path in self.files.items()}


# ---- splicing a source take's frames around generated ones ----------------------------------------

def _range(value: Any, name: str) -> Optional[tuple[int, int]]:
    if value in (None, (), []):
        return None
    try:
        start, stop = (int(v) for v in value)
    except (TypeError, ValueError):
        raise EngineError(ErrorKind.BAD_INPUT, f"splice {name}: {value!r} is not [start, stop]") from None
    if not 0 <= start <= stop:
        raise EngineError(ErrorKind.BAD_INPUT, f"splice {name}: [{start}, {stop}] is not a frame range")
    return (start, stop) if stop > start else None


@dataclass(frozen=True)
class Splice:
    """Source frames written before (head) and after (tail) the generated ones.

    Option form (request.options['splice']): {"video": absolute path, "head": [start, stop],
    "tail": [start, stop]}; ranges are half-open source frame indices ([0, 4] = frames 0..3), either
    may be absent. Frames are decoded in order (streamed), resized to the request size and retimed
    to the request rate by nearest frame when the source differs."""
    video: Path
    head: Optional[tuple[int, int]]
    tail: Optional[tuple[int, int]]
    source_fps: Fraction
    source_frames: int

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Optional["Splice"]:
        value = options.get("splice")
        if not value:
            return None
        if not isinstance(value, Mapping):
            raise EngineError(ErrorKind.BAD_INPUT, f"splice: {value!r} is not an object")
        video = Path(str(value.get("video") or ""))
        if not video.is_absolute():
            raise EngineError(ErrorKind.BAD_INPUT, f"splice needs an absolute 'video' path, got {value.get('video')!r}")
        if not video.is_file():
            raise EngineError(ErrorKind.BAD_INPUT, f"the take to extend is missing: {video.name}",
                              "Regenerate that take, or extend another one.")
        head, tail = _range(value.get("head"), "head"), _range(value.get("tail"), "tail")
        from .frames import video_info
        count, fps, _, _ = video_info(video)
        for name, r in (("head", head), ("tail", tail)):
            if r is not None and r[1] > count:
                raise EngineError(ErrorKind.BAD_INPUT, f"splice {name}: {video.name} has frames 0..{count - 1}, "
                                                       f"not up to {r[1] - 1}")
        return cls(video, head, tail, Fraction(fps), int(count))

    def count(self, part: Optional[tuple[int, int]], fps: Fraction) -> int:
        """How many output frames at `fps` a source range becomes."""
        if part is None:
            return 0
        return max(1, round((part[1] - part[0]) * Fraction(fps) / self.source_fps))

    def frames(self, part: Optional[tuple[int, int]], width: int, height: int, fps: Fraction,
               cancel: Optional[CancelToken] = None) -> Iterator[np.ndarray]:
        """The range's frames as RGB uint8 at the output size and rate, decoded in order."""
        n = self.count(part, fps)
        if not n:
            return
        assert part is not None
        step = self.source_fps / Fraction(fps)
        wanted = [min(part[1] - 1, part[0] + int(j * step)) for j in range(n)]
        import av
        try:
            with av.open(str(self.video)) as container:
                stream = container.streams.video[0]
                base, start = stream.time_base, stream.start_time or 0
                container.seek(start + int(Fraction(part[0]) / self.source_fps / base), stream=stream,
                               backward=True, any_frame=False)
                j = 0
                for frame in container.decode(stream):
                    if frame.pts is None:
                        continue
                    index = round((frame.pts - start) * base * self.source_fps)
                    if index < wanted[j]:
                        continue
                    rgb = frame.to_ndarray(format="rgb24")
                    if rgb.shape[1] != width or rgb.shape[0] != height:
                        rgb = cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA)
                    while j < n and wanted[j] <= index:
                        if cancel is not None:
                            cancel.raise_if_cancelled()
                        yield rgb
                        j += 1
                    if j >= n:
                        return
        except (OSError, av.error.FFmpegError) as exc:  # type: ignore[attr-defined]
            raise EngineError(ErrorKind.BAD_INPUT, f"cannot read the take to extend ({self.video.name}): {exc}") from exc
        if j < n:
            raise EngineError(ErrorKind.BAD_INPUT, f"{self.video.name} ended before frame {wanted[j]}")

    def describe(self, fps: Fraction) -> dict[str, Any]:
        return {"video": str(self.video), "head": list(self.head) if self.head else None,
                "tail": list(self.tail) if self.tail else None, "head_frames": self.count(self.head, fps),
                "tail_frames": self.count(self.tail, fps)}
