"""The WAL checkpointer of an open project.db: folds the write-ahead log back into the file on its own
thread, so the fsync a checkpoint costs is not paid inside an edit on the GUI thread.

Who calls: `studio.store.Store` only (it pokes every `CHECKPOINT_EVERY` commits)."""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

CHECKPOINT_EVERY = 32     # commits between background checkpoints (a few pages each)
BACKSTOP_PAGES = 20000    # if the checkpointer cannot keep up, SQLite checkpoints inline at ~80 MB of WAL


class Checkpointer:
    """Folds the WAL into project.db on its own thread and connection (PASSIVE: never blocks a writer),
    so the fsync a checkpoint costs is not paid inside an edit on the GUI thread."""

    def __init__(self, path: Path):
        self._path = path
        self._wake = threading.Event()
        self._idle = threading.Event()   # set when no checkpoint runs and none is asked for
        self._idle.set()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="shotreel-checkpoint", daemon=True)
        self._thread.start()

    def poke(self) -> None:
        self._idle.clear()
        self._wake.set()

    def wait_idle(self, timeout: float) -> bool:
        """Until the checkpoints asked for so far are done (tests read the main file after this)."""
        return self._idle.wait(timeout)

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(str(self._path), check_same_thread=False, timeout=1.0)
        except sqlite3.Error:
            return
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._stopping:
                    return
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:  # busy or read-only: the next poke (or the backstop) retries
                    pass
                if not self._wake.is_set():  # no poke arrived during this checkpoint
                    self._idle.set()
        finally:
            self._idle.set()
            conn.close()
