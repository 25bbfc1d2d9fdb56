"""Decoded frames kept in memory, least recently used first out, bounded in bytes.

Shared by the decode thread (writes) and the GUI thread (reads), so every method takes the lock. The
bound counts the numpy buffers only; a frame larger than the whole bound is simply not kept.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Hashable

import numpy as np

DEFAULT_CACHE_BYTES = 512 * 1024 * 1024


class FrameCache:
    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        if max_bytes <= 0:
            raise ValueError(f"frame cache bound must be positive, got {max_bytes}")
        self.max_bytes = int(max_bytes)
        self._items: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.peak_bytes = 0
        self.hits = 0
        self.misses = 0

    @property
    def nbytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._items

    def get(self, key: Hashable) -> np.ndarray | None:
        with self._lock:
            frame = self._items.get(key)
            if frame is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return frame

    def put(self, key: Hashable, frame: np.ndarray) -> None:
        size = frame.nbytes
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old.nbytes
            if size > self.max_bytes:
                return
            while self._bytes + size > self.max_bytes:
                _, evicted = self._items.popitem(last=False)
                self._bytes -= evicted.nbytes
            self._items[key] = frame
            self._bytes += size
            self.peak_bytes = max(self.peak_bytes, self._bytes)

    def capacity_for(self, frame_bytes: int) -> int:
        """How many frames of this size fit: bounds the decode-ahead so it never evicts itself."""
        return self.max_bytes // max(1, frame_bytes)

    def discard_path(self, path: str) -> None:
        """Forget every frame of one file (keys are (path, frame)): its proxy was rebuilt."""
        with self._lock:
            for key in [k for k in self._items if isinstance(k, tuple) and k and k[0] == path]:
                self._bytes -= self._items.pop(key).nbytes

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0
