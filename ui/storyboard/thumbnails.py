"""Thumbnails decoded off the GUI thread and kept in a bounded cache.

Who calls: the storyboard model (`image(path)` from `data()`), the takes panel. `image` answers at
once from the cache or returns None and queues a `QRunnable` on a private `QThreadPool`; when the
file is decoded and scaled, `loaded(path)` is emitted on the GUI thread (queued) and the caller repaints.
QImage is reentrant, so decoding and scaling happen entirely on the pool thread.
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
    def __init__(self, loader: "ThumbnailLoader", path: str, key: tuple, size: QSize):
        super().__init__()
        self.loader, self.path, self.key, self.size = loader, path, key, size

    def run(self) -> None:  # pool thread: an exception must not escape into Qt's pool
        try:
            self._load()
        except Exception:
            log.exception("thumbnail %s", self.path)
        finally:
            with self.loader._lock:
                self.loader._jobs.pop(self.key, None)

    def _load(self) -> None:
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

    def image(self, path: str) -> QImage | None:
        """The cached thumbnail of `path`, or None (queued for loading; `loaded` follows)."""
        if not path:
            return None
        key = self._key(path)
        if key is None:
            return None
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            if key in self._pending:
                return None
            self._pending.add(key)
            job = self._jobs[key] = _Job(self, path, key, self.size)
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
