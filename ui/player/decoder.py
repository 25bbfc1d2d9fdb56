"""PyAV decoding for the player: frame-exact random access and a decode-ahead thread.

`VideoReader` seeks backward to the keyframe at or before the target and decodes forward to the
target's pts (FIELD-NOTES: frame-exact; ~2 ms on all-intra 960x540 proxies). Reads close ahead of the
last one decode on without seeking. `DecodeThread` serves a list of timeline frames, most urgent first,
into the shared `FrameCache`, and calls back (from its own thread) for the frame the display waits for.
No Qt here: the widget turns that callback into a queued signal.
"""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Callable, Collection

import av
import numpy as np

from .cache import FrameCache
from .source import PlayList

log = logging.getLogger(__name__)

# Decoding on is cheaper than a seek for a short gap in long-GOP files. In all-intra proxies a seek
# costs one frame's decode, so any jump beyond the next frame seeks (a playhead catching up skips).
DECODE_ON_LIMIT = 12
MAX_OPEN_READERS = 8


class MediaError(Exception):
    """A proxy that cannot be played (missing, not video, corrupt). The message is safe to show."""


class VideoReader:
    """One open proxy. Frame n is the n-th frame at the stream's own rate (proxies are conformed to
    the project rate by whoever builds them). Used by one thread only."""

    def __init__(self, path: str, size: tuple[int, int] | None = None) -> None:
        self.path = str(path)
        name = Path(self.path).name
        try:
            self._container = av.open(self.path)
        except FileNotFoundError as exc:
            raise MediaError(f"media offline: {name} does not exist") from exc
        except (av.error.FFmpegError, OSError) as exc:
            raise MediaError(f"cannot open {name}: {exc}") from exc
        if not self._container.streams.video:
            self._container.close()
            raise MediaError(f"{name} has no video stream")
        self._stream = self._container.streams.video[0]
        rate = self._stream.average_rate or self._stream.guessed_rate or self._stream.base_rate
        if not rate or not self._stream.time_base:
            self._container.close()
            raise MediaError(f"{name} has no usable frame rate")
        self.rate = Fraction(rate)
        self._tb = Fraction(self._stream.time_base)
        self._start = self._stream.start_time or 0
        self.size = size or (self._stream.codec_context.width, self._stream.codec_context.height)
        self._frames = None            # the live decode generator, None until the first seek
        self._pos: int | None = None   # index of the last frame the generator gave
        self._last: av.VideoFrame | None = None
        self.seeks = 0
        self._decoded = 0
        self._intra_only = True        # until a non-key frame shows up

    def index_of(self, pts: int) -> int:
        return round((pts - self._start) * self._tb * self.rate)

    def pts_of(self, index: int) -> int:
        return self._start + round(Fraction(index) / self.rate / self._tb)

    def read(self, n: int, keep: Collection[int] = ()) -> tuple[np.ndarray, list[tuple[int, np.ndarray]]]:
        """The picture of frame `n` as RGB (h, w, 3) uint8, plus any frames in `keep` decoded on the
        way (reverse play on long-GOP media gets a whole GOP from one seek). Past the end of the file
        the last frame holds."""
        n = max(0, int(n))
        extras: list[tuple[int, np.ndarray]] = []
        if self._pos is not None and self._last is not None and n == self._pos:
            return self._rgb(self._last), extras
        limit = 1 if self._intra_only and self._decoded >= 2 else DECODE_ON_LIMIT
        fresh = not (self._pos is not None and self._pos < n <= self._pos + limit)
        back = 0
        if fresh:
            self._seek(n)
        while True:
            try:
                frame = next(self._frames, None)
            except av.error.FFmpegError as exc:
                raise MediaError(f"cannot decode {Path(self.path).name} at frame {n}: {exc}") from exc
            if frame is None:                      # end of file: hold the last picture
                if self._last is None:
                    if fresh and n - back > 0:     # sought past the end: back off to the last GOP
                        back = max(int(self.rate), back * 2)
                        self._seek(max(0, n - back))
                        continue
                    raise MediaError(f"{Path(self.path).name} has no decodable frames")
                self._frames, self._pos = None, None
                return self._rgb(self._last), extras
            idx = self.index_of(frame.pts) if frame.pts is not None else (self._pos or -1) + 1
            self._decoded += 1
            self._intra_only = self._intra_only and frame.key_frame
            if fresh and idx > n and n - back > 0:
                # The demuxer landed after the target: look further back and try again.
                back = max(int(self.rate), back * 2)
                self._seek(max(0, n - back))
                continue
            fresh = False
            self._pos, self._last = idx, frame
            if idx >= n:
                return self._rgb(frame), extras
            if idx in keep:
                extras.append((idx, self._rgb(frame)))

    def _seek(self, n: int) -> None:
        self.seeks += 1
        self._container.seek(self.pts_of(n), stream=self._stream, backward=True, any_frame=False)
        self._frames = self._container.decode(self._stream)
        self._pos = self._last = None

    def _rgb(self, frame: av.VideoFrame) -> np.ndarray:
        w, h = self.size
        if (frame.width, frame.height) == (w, h):
            arr = frame.to_ndarray(format="rgb24")
        else:
            arr = frame.to_ndarray(format="rgb24", width=w, height=h)
        return np.ascontiguousarray(arr)

    def close(self) -> None:
        self._frames = None
        self._container.close()


@dataclass(frozen=True)
class DecodeRequest:
    serial: int
    playlist: PlayList
    frames: tuple[int, ...]      # timeline frames, most urgent first
    notify: int | None           # the frame the display is waiting for


FrameCallback = Callable[[int, int, "np.ndarray | None"], None]   # (serial, timeline frame, rgb or None=gap)
ErrorCallback = Callable[[str, str], None]                        # (path, message)


class DecodeThread:
    """One Python thread that owns every open `VideoReader`. The GUI posts the newest request with
    `want`; an older request still being worked on is abandoned between two frames."""

    def __init__(self, cache: FrameCache, on_frame: FrameCallback, on_error: ErrorCallback) -> None:
        self.cache = cache
        self._on_frame = on_frame
        self._on_error = on_error
        self._cond = threading.Condition()
        self._request: DecodeRequest | None = None
        self._done_serial = -1
        self._serial = 0
        self._stopping = False
        self._readers: OrderedDict[tuple[str, tuple[int, int]], VideoReader] = OrderedDict()
        self._bad: dict[str, str] = {}
        self._stale: set[str] = set()
        self.decoded = 0
        self._thread = threading.Thread(target=self._run, name="shotreel-player-decode", daemon=True)
        self._thread.start()

    def want(self, playlist: PlayList, frames: list[int], notify: int | None = None) -> int:
        with self._cond:
            self._serial += 1
            self._request = DecodeRequest(self._serial, playlist, tuple(frames), notify)
            self._cond.notify()
            return self._serial

    def forget_errors(self) -> None:
        """A new playlist may point at media that came back (a proxy got rebuilt)."""
        with self._cond:
            self._bad.clear()

    def reopen(self, paths: Collection[str]) -> None:
        """These files changed on disk: their open readers are closed before the next decode."""
        with self._cond:
            self._stale.update(paths)

    def idle(self) -> bool:
        with self._cond:
            return self._request is None or self._done_serial == self._request.serial

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._on_frame = lambda *a: None
            self._on_error = lambda *a: None
            self._cond.notify()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)

    # --- the thread -------------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (self._request is None
                                              or self._done_serial == self._request.serial):
                    self._cond.wait()
                if self._stopping:
                    break
                request = self._request
            try:
                self._serve(request)
            except Exception:                  # keep the player alive; the message goes to the log
                log.exception("player decode failed")
            with self._cond:
                self._done_serial = request.serial
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()

    def _superseded(self, request: DecodeRequest) -> bool:
        with self._cond:
            return self._stopping or self._request is not request

    def _serve(self, request: DecodeRequest) -> None:
        with self._cond:
            stale, self._stale = self._stale, set()
        for key in [k for k in self._readers if k[0] in stale]:
            self._readers.pop(key).close()
        playlist = request.playlist
        sources = [playlist.source_at(f) for f in request.frames]
        for i, (frame, src) in enumerate(zip(request.frames, sources)):
            if i and self._superseded(request):
                return
            if src is None:                      # a gap in the cut plays black
                if frame == request.notify:
                    self._on_frame(request.serial, frame, None)
                continue
            path, n = src
            arr = self.cache.get((path, n))
            if arr is None and "\n" in path:
                arr = self._composite(playlist, path, n)
            elif arr is None and path not in self._bad:
                arr = self._decode(playlist, path, n, sources[i + 1:])
            if frame == request.notify and arr is not None:
                self._on_frame(request.serial, frame, arr)

    def _composite(self, playlist: PlayList, key: str, n: int) -> np.ndarray | None:
        """A control pass over the picture (source.PlayList.source_at names it 'picture\npass')."""
        from .passes import overlay
        layers = []
        for path in key.split("\n", 1):
            arr = self.cache.get((path, n))
            if arr is None and path not in self._bad:
                arr = self._decode(playlist, path, n, ())
            if arr is None:
                return None
            layers.append(arr)
        both = overlay(layers[0], layers[1])
        self.cache.put((key, n), both)
        return both

    def _decode(self, playlist: PlayList, path: str, n: int, later) -> np.ndarray | None:
        size = (playlist.width, playlist.height)
        try:
            reader = self._reader(path, size)
            keep = {s[1] for s in later if s is not None and s[0] == path and s[1] < n}
            arr, extras = reader.read(n, keep)
        except MediaError as exc:
            self._bad[path] = str(exc)
            self._drop_reader(path, size)
            self._on_error(path, str(exc))
            return None
        self.decoded += 1 + len(extras)
        for idx, extra in extras:
            self.cache.put((path, idx), extra)
        self.cache.put((path, n), arr)
        return arr

    def _reader(self, path: str, size: tuple[int, int]) -> VideoReader:
        key = (path, size)
        reader = self._readers.get(key)
        if reader is None:
            reader = VideoReader(path, size)
            self._readers[key] = reader
            while len(self._readers) > MAX_OPEN_READERS:
                _, old = self._readers.popitem(last=False)
                old.close()
        self._readers.move_to_end(key)
        return reader

    def _drop_reader(self, path: str, size: tuple[int, int]) -> None:
        reader = self._readers.pop((path, size), None)
        if reader is not None:
            reader.close()
