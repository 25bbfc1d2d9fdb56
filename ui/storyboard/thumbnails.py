"""Thumbnails decoded off the GUI thread and kept in a bounded cache.

Who calls: the storyboard model (`image(path)` from `data()`), the takes panel, the timeline (take
thumbnails, and `image(video, frame=n)` for its filmstrip: one frame of a take's video, decoded with
PyAV). `image` answers at once from the cache or returns None and queues a `QRunnable` on a private
`QThreadPool`; when the file is decoded and scaled, `loaded(path)` is emitted on the GUI thread (queued)
and the caller repaints. QImage is reentrant, so decoding and scaling happen entirely on the pool thread.
"""
from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict

from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QImageReader

log = logging.getLogger(__name__)

DEFAULT_SIZE = QSize(320, 180)
DEFAULT_CAPACITY = 600  # images (~230 KB each at 320x180): a 1,000-shot board scrolls without refetching all


class _Job(QRunnable):
    def __init__(self, loader: "ThumbnailLoader", path: str, key: tuple, size: QSize, frame: int | None = None):
        super().__init__()
        self.loader, self.path, self.key, self.size, self.frame = loader, path, key, size, frame

    def run(self) -> None:  # pool thread: an exception must not escape into Qt's pool
        try:
            self._load()
        except Exception:
            log.exception("thumbnail %s", self.path)
        finally:
            with self.loader._lock:
                self.loader._jobs.pop(self.key, None)

    def _load(self) -> None:
        if self.frame is not None:
            self.loader._done(self.path, self.key, _video_frame(self.path, self.frame, self.size))
            return
        reader = QImageReader(self.path)
        reader.setAutoTransform(True)
        original = reader.size()
        if original.isValid() and (original.width() > self.size.width() * 2):
            reader.setScaledSize(original.scaled(self.size * 2, Qt.AspectRatioMode.KeepAspectRatio))
        image = reader.read()
        if not image.isNull():
            image = image.scaled(self.size, Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                                 Qt.TransformationMode.SmoothTransformation)
            image = image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
        self.loader._done(self.path, self.key, image)


def _video_frame(path: str, frame: int, size: QSize) -> QImage:
    """Frame `frame` (0-based) of a video, scaled to fill `size` (pool thread). Takes' proxies are
    all-intra, so the seek lands on the frame itself; other videos decode forward from a keyframe."""
    import av
    with av.open(path) as container:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or 24
        base = stream.time_base
        target = int(round(frame / float(rate) / float(base))) + (stream.start_time or 0)
        container.seek(target, stream=stream, backward=True, any_frame=False)
        picture = None
        for decoded in container.decode(stream):
            picture = decoded
            if decoded.pts is not None and decoded.pts >= target - 0.5 / float(rate) / float(base):
                break
        if picture is None:
            return QImage()
        scale = max(size.width() / picture.width, size.height() / picture.height)
        w, h = max(2, int(round(picture.width * scale))) & ~1, max(2, int(round(picture.height * scale))) & ~1
        rgb = picture.reformat(width=w, height=h, format="rgb24").to_ndarray()
    image = QImage(rgb.data, w, h, rgb.strides[0], QImage.Format.Format_RGB888).copy()
    return image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)


class ThumbnailLoader(QObject):
    loaded = Signal(str)   # a path whose image is now in the cache (or known to be unreadable)
    _posted = Signal(str)

    def __init__(self, parent: QObject | None = None, *, size: QSize = DEFAULT_SIZE,
                 capacity: int = DEFAULT_CAPACITY, threads: int = 2):
        super().__init__(parent)
        self.size = QSize(size)
        self.capacity = capacity
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple, QImage | None] = OrderedDict()
        self._pending: set[tuple] = set()
        self._jobs: dict[tuple, _Job] = {}  # keep each job's Python object alive until it has run
        self._posted.connect(self.loaded, Qt.ConnectionType.QueuedConnection)

    @staticmethod
    def _key(path: str) -> tuple | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        return (path, st.st_mtime_ns, st.st_size)  # a regenerated file at the same path reloads

    def image(self, path: str, frame: int | None = None) -> QImage | None:
        """The cached thumbnail of `path` (with `frame`: that frame of a video), or None (queued for
        loading; `loaded` follows)."""
        if not path:
            return None
        key = self._key(path)
        if key is None:
            return None
        if frame is not None:
            key = key + (int(frame),)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            if key in self._pending:
                return None
            self._pending.add(key)
            job = self._jobs[key] = _Job(self, path, key, self.size, frame)
        self.pool.start(job)
        return None

    def _done(self, path: str, key: tuple, image: QImage) -> None:  # pool thread
        with self._lock:
            self._pending.discard(key)
            self._cache[key] = None if image.isNull() else image
            while len(self._cache) > self.capacity:
                self._cache.popitem(last=False)
        try:
            self._posted.emit(path)
        except RuntimeError:  # the view went away while this was loading: nobody to tell
            pass

    def wait(self, msecs: int = 5000) -> bool:
        """Tests and shutdown: wait for queued loads."""
        return self.pool.waitForDone(msecs)

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()
