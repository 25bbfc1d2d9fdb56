"""Streaming take encoder: rendered frames go down one pipe to ONE ffmpeg process.

Who calls: backends (previs, diffusion) that produce frames one by one. The process writes two
outputs from the same decoded input (FIELD-NOTES: the RGB->YUV conversion is the cost, so we hand
ffmpeg planar yuv420p converted by OpenCV's SIMD code and let x264 do the rest):

  * the take: H.264 yuv420p, exact rational frame rate, `+faststart`;
  * the scrubbing proxy: <= 960x540 all-intra H.264 (`-g 1`; seeks in ~2 ms with PyAV).

Python keeps the middle frame (thumbnail JPEG) and the last frame (lossless PNG, the continuity
conditioning image), never the whole clip: a 60 s shot streams in constant memory. Every output
is written under a `.partial-` name and renamed only when the whole take is complete, so a crash
or a cancel never leaves something that looks like a result.

Colour: OpenCV's I420 conversion is BT.601 limited range; the streams are tagged accordingly
(bt470bg / smpte170m / tv) so players and PyAV convert back to the same RGB.
"""
from __future__ import annotations

import contextlib
import errno
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Optional

import cv2
import numpy as np

from .errors import EngineError, ErrorKind
from .ffmpeg_run import FFmpegProcess
from .fsio import atomic_path, atomic_write_bytes, ffmpeg_path

PROXY_MAX = (960, 540)
THUMB_MAX = (480, 270)
_COLOR_TAGS = ["-colorspace", "bt470bg", "-color_primaries", "bt470bg", "-color_trc", "smpte170m",
               "-color_range", "tv"]


@dataclass(frozen=True)
class EncodeSettings:
    """x264 settings of the take and its proxy. The benchmark encodes with exactly these too."""
    preset: str = "veryfast"
    crf: int = 18
    proxy_preset: str = "ultrafast"
    proxy_crf: int = 23
    threads: int = 0  # 0 = x264's choice (all cores)


@dataclass(frozen=True)
class EncodedTake:
    """Final absolute paths of what `VideoWriter.close()` renamed into place (None = not asked for)."""
    video: str
    proxy: Optional[str]
    thumbnail: Optional[str]
    last_frame: Optional[str]
    frames: int


def fit_within(width: int, height: int, box: tuple[int, int]) -> tuple[int, int]:
    """Largest even size with the source aspect that fits in `box` and is not larger than the source."""
    scale = min(1.0, box[0] / width, box[1] / height)
    return max(2, int(round(width * scale / 2)) * 2), max(2, int(round(height * scale / 2)) * 2)


def encoder_args(width: int, height: int, fps: Fraction, video_out: str, proxy_out: Optional[str],
                 settings: EncodeSettings = EncodeSettings(), input_args: Optional[list[str]] = None,
                 frames: int = 0) -> list[str]:
    """The ffmpeg command line of a take. `input_args` replaces the raw-pipe input (the benchmark
    feeds testsrc2 through the very same outputs to measure the encode floor).

    frames: when known, the last frame is forced to a keyframe: the continuity frame then decodes
    at keyframe quality and without decoding the GOP before it (extend / chain operations)."""
    fps = Fraction(fps)
    rate = f"{fps.numerator}/{fps.denominator}"
    even_w, even_h = width + width % 2, height + height % 2
    if input_args is None:
        # Odd sizes cannot be I420: those frames come as bgr24 and ffmpeg pads one pixel.
        pix = "yuv420p" if (width % 2 == 0 and height % 2 == 0) else "bgr24"
        input_args = ["-f", "rawvideo", "-pix_fmt", pix, "-s", f"{width}x{height}", "-framerate", rate,
                      "-i", "pipe:0"]
    pad = f"pad={even_w}:{even_h}," if (even_w, even_h) != (width, height) else ""
    # The padding (if any) happens before the matrix conversion: in BT.601 like the I420 path.
    main_chain = f"{pad}scale=out_color_matrix=bt601:out_range=tv,format=yuv420p"
    args = [ffmpeg_path(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *input_args]
    x264 = ["-c:v", "libx264", "-pix_fmt", "yuv420p", *_COLOR_TAGS]
    if settings.threads:
        x264 += ["-threads", str(settings.threads)]
    last_key = ["-force_key_frames", f"expr:eq(n,{frames - 1})"] if frames > 1 else []
    if proxy_out is None:
        args += ["-vf", main_chain, "-map", "0:v", *x264, "-preset", settings.preset, "-crf", str(settings.crf),
                 *last_key, "-r", rate, "-movflags", "+faststart", "-an", video_out]
        return args
    pw, ph = fit_within(even_w, even_h, PROXY_MAX)
    graph = (f"[0:v]{main_chain},split=2[take][p];"
             f"[p]scale={pw}:{ph}:flags=bilinear[proxy]")
    args += ["-filter_complex", graph,
             "-map", "[take]", *x264, "-preset", settings.preset, "-crf", str(settings.crf), *last_key,
             "-r", rate, "-movflags", "+faststart", "-an", video_out,
             "-map", "[proxy]", *x264, "-preset", settings.proxy_preset, "-crf", str(settings.proxy_crf),
             "-g", "1", "-r", rate, "-movflags", "+faststart", "-an", proxy_out]
    return args


class VideoWriter:
    """Feed frames with `write(frame)`; `close()` finishes ffmpeg and renames everything into place;
    `abort()` (or leaving a `with` block by an exception) kills ffmpeg and removes every partial.

    frame: HxWx3 uint8, `channel_order` 'bgr' (OpenCV, the previs renderer) or 'rgb' (PIL, diffusers).
    """

    def __init__(self, video_path: str | os.PathLike, width: int, height: int, fps: Fraction, *,
                 proxy_path: str | os.PathLike | None = None, thumbnail_path: str | os.PathLike | None = None,
                 last_frame_path: str | os.PathLike | None = None, expected_frames: int = 0,
                 channel_order: str = "bgr", settings: EncodeSettings = EncodeSettings()):
        if channel_order not in ("bgr", "rgb"):
            raise EngineError(ErrorKind.BUG, f"channel order {channel_order!r} is not bgr or rgb")
        self.width, self.height, self.fps = int(width), int(height), Fraction(fps)
        self.channel_order = channel_order
        self.expected_frames = expected_frames
        self._targets = {"video": Path(video_path), "proxy": _opt_path(proxy_path),
                         "thumbnail": _opt_path(thumbnail_path), "last_frame": _opt_path(last_frame_path)}
        for path in self._targets.values():
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
        # atomic_path contexts held open for the writer's life: leaving them normally renames the
        # partials into place (LIFO: the proxy first, the video last, which marks a complete take);
        # leaving them with an exception removes the partials.
        self._files = contextlib.ExitStack()
        self._tmp_video = self._files.enter_context(atomic_path(self._targets["video"]))
        self._tmp_proxy = (self._files.enter_context(atomic_path(self._targets["proxy"]))
                           if self._targets["proxy"] else None)
        self._i420 = self.width % 2 == 0 and self.height % 2 == 0
        self._count = 0
        self._thumb_index = max(0, (expected_frames - 1) // 2) if expected_frames else 0
        self._thumb: Optional[np.ndarray] = None
        self._last: Optional[np.ndarray] = None
        self._closed = False
        args = encoder_args(self.width, self.height, self.fps, str(self._tmp_video),
                            str(self._tmp_proxy) if self._tmp_proxy else None, settings, frames=expected_frames)
        self._ff = FFmpegProcess(args, stdin_pipe=True)  # engine.ffmpeg_run: the one ffmpeg runner
        self._proc = self._ff.proc

    # -- feeding -------------------------------------------------------------------------------------
    def write(self, frame: np.ndarray) -> None:
        if self._closed:
            raise EngineError(ErrorKind.BUG, "write() after close()")
        if frame.shape != (self.height, self.width, 3) or frame.dtype != np.uint8:
            raise EngineError(ErrorKind.BUG, f"frame {frame.shape} {frame.dtype} is not "
                                             f"{self.height}x{self.width}x3 uint8")
        bgr = frame if self.channel_order == "bgr" else cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)
        data = cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420) if self._i420 else np.ascontiguousarray(bgr)
        if self._count == 0:
            _widen_pipe(self._proc.stdin)
        try:
            self._proc.stdin.write(memoryview(data).cast("B"))
        except (BrokenPipeError, OSError) as exc:
            self._fail_from_ffmpeg(exc)
        if self._count == self._thumb_index:
            self._thumb = bgr.copy()
        self._last = bgr if bgr is not frame else frame.copy()
        self._count += 1

    @property
    def frames_written(self) -> int:
        return self._count

    # -- finishing -----------------------------------------------------------------------------------
    def close(self, cancel=None) -> EncodedTake:
        """Wait for ffmpeg, then write the stills and rename every output into place.

        cancel: an engine.jobs.CancelToken; a cancel while ffmpeg drains kills it and raises JobCancelled."""
        if self._closed:
            raise EngineError(ErrorKind.BUG, "close() twice")
        if self._count == 0:
            self.abort()
            raise EngineError(ErrorKind.BUG, "no frames were written")
        try:
            try:
                self._proc.stdin.close()
            except OSError as exc:
                self._fail_from_ffmpeg(exc)
            code = self._ff.wait(cancel, grace=0)  # a cancel kills at once (abort removes the partials)
            self._ff.join_readers(timeout=5)
            if code != 0:
                self._fail_from_ffmpeg(None)
            thumb = self._thumb if self._thumb is not None else self._last
            tw, th = fit_within(self.width, self.height, THUMB_MAX)
            outputs: dict[str, Optional[str]] = {"proxy": None, "thumbnail": None, "last_frame": None}
            if self._targets["thumbnail"] is not None:
                small = cv2.resize(thumb, (tw, th), interpolation=cv2.INTER_AREA)
                atomic_write_bytes(self._targets["thumbnail"], _encode_image(small, self._targets["thumbnail"]))
                outputs["thumbnail"] = str(self._targets["thumbnail"].resolve())
            if self._targets["last_frame"] is not None:
                atomic_write_bytes(self._targets["last_frame"], _encode_image(self._last, Path("x.png")))
                outputs["last_frame"] = str(self._targets["last_frame"].resolve())
            files, self._files = self._files, contextlib.ExitStack()
            files.close()  # renames proxy then video into place
            if self._targets["proxy"] is not None:
                outputs["proxy"] = str(self._targets["proxy"].resolve())
        except BaseException:
            self.abort()
            raise
        self._closed = True
        return EncodedTake(str(self._targets["video"].resolve()), outputs["proxy"], outputs["thumbnail"],
                           outputs["last_frame"], self._count)

    def abort(self) -> None:
        """Kill ffmpeg at once and remove the partial files. Safe to call more than once."""
        self._closed = True
        self._ff.stop(grace=0)
        with contextlib.suppress(Exception):
            self._proc.stdin.close()
        files, self._files = self._files, contextlib.ExitStack()
        files.__exit__(_Aborted, _Aborted(), None)  # the atomic_path contexts remove their partials

    def __enter__(self) -> "VideoWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None or not self._closed:
            self.abort()

    # -- errors --------------------------------------------------------------------------------------
    def _fail_from_ffmpeg(self, exc: Optional[OSError]) -> None:
        with contextlib.suppress(Exception):
            self._proc.wait(timeout=5)
        self._ff.join_readers(timeout=2)
        self.abort()
        raise self._ff.failure("encoding the take", self._proc.returncode, last_lines=1,
                               disk_full=exc is not None and exc.errno == errno.ENOSPC) from exc


class _Aborted(Exception):
    """Passed into the atomic_path contexts so they discard instead of committing."""


def _widen_pipe(stream) -> None:
    """Grow the pipe to ffmpeg from 64 KiB to 1 MiB (Linux; the default limit of
    /proc/sys/fs/pipe-max-size): a 720p frame then crosses in two wake-ups of ffmpeg's reader instead
    of twenty-odd (measured: ~0.4 s CPU and ~0.8 s wall less per 10 s 720p take on 2 cores)."""
    with contextlib.suppress(AttributeError, OSError, ValueError):
        import fcntl
        fcntl.fcntl(stream.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)


def _opt_path(path: str | os.PathLike | None) -> Optional[Path]:
    return Path(path) if path is not None else None


def _encode_image(bgr: np.ndarray, target: Path) -> bytes:
    ext = target.suffix.lower() or ".png"
    params = [cv2.IMWRITE_JPEG_QUALITY, 88] if ext in (".jpg", ".jpeg") else []
    ok, buf = cv2.imencode(ext, bgr, params)
    if not ok:
        raise EngineError(ErrorKind.BUG, f"could not encode {target.name}")
    return buf.tobytes()
