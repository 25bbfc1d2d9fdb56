"""`project.db`: the SQLite file behind a Document (through sqlite-utils).

One transaction per command, writing only the rows the command touched: a shot is one row holding
its JSON, ordered by (seq_id, position), so editing one shot of a 1,000-shot project rewrites one
row. The store keeps what it last wrote of every position so structural edits (insert, move,
remove) update only the rows whose position really changed.

A file is checked before anything writes to it (`studio.store_open`, read-only), and
the whole database is copied into memory, migrated there if older and its rows read. Only a file that
passes all of it is opened for writing (journal mode set, migrated forward after a backup copy): a refused
file keeps every byte, its journal mode and its folder. Read-only opens keep the in-memory copy and touch
nothing on disk (listing commands work on a full disk). WAL journal, `synchronous=NORMAL`: a killed
process loses nothing that committed.

The parts live beside it: `store_open` (checks before opening), `store_plan` (the row-diff write plan),
`checkpoint` (the WAL checkpointer thread). Other writers of project.db tables (`SQLiteJobStore`) use the
public `transaction()` / `query()`: one lock and one connection, never reached into.

Who calls: `studio.document.Document` only (and `SQLiteJobStore` for the engine runner's job records).
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

import sqlite_utils

from engine.errors import EngineError

from .checkpoint import BACKSTOP_PAGES as _BACKSTOP_PAGES
from .checkpoint import CHECKPOINT_EVERY as _CHECKPOINT_EVERY
from .checkpoint import Checkpointer
from .errors import ProjectFileError, UserError
from .migrations import LATEST as SCHEMA_VERSION
from .migrations import migrate
from .model import BibleEntry, Project, Sequence, Shot, Take
from .store_open import APPLICATION_ID, backup_copy, check_file, inspect_file, read_only_connection, sqlite_problem
from .store_plan import Positions, WritePlan, apply_plan, dumps, everything

DB_NAME = "project.db"

__all__ = ["Store", "StoreError", "ProjectChangedElsewhere", "HistoryWrite", "SQLiteJobStore", "inspect_file",
           "SCHEMA_VERSION", "APPLICATION_ID", "DB_NAME"]


class StoreError(UserError):
    """A write to project.db failed (disk full, read-only folder, locked). Nothing was changed."""


class ProjectChangedElsewhere(StoreError):
    """Another program (the CLI, a second window) saved this project since it was opened here.

    Writing on would mix two histories, so the edit is refused; reopen the project to continue."""


# ---- the in-memory copy the open checks read -----------------------------------------------------

def _snapshot(db_path: Path, version: int, wal_pending: bool) -> tuple[sqlite3.Connection, Project, int]:
    """The project read into memory (and migrated there when older): every check a refusal could come
    from runs on this copy, so a file that is refused is never written, not even its journal mode."""
    shown = db_path.parent.name or str(db_path)
    mem = sqlite3.connect(":memory:", check_same_thread=False)
    try:
        src = read_only_connection(db_path, wal_pending)
        try:
            src.backup(mem)
        finally:
            src.close()
    except sqlite3.Error as exc:
        mem.close()
        raise ProjectFileError(f"{shown} cannot be read ({sqlite_problem(exc, db_path)})") from None
    try:
        if version < SCHEMA_VERSION:
            try:
                migrate(sqlite_utils.Database(mem), version)
            except sqlite3.Error as exc:
                raise ProjectFileError(f"{shown} cannot be updated from schema {version} to {SCHEMA_VERSION} "
                                       f"({exc}); it was left untouched") from None
        probe = Store(db_path, mem)
        try:
            project = probe._read_project()
            revision = probe._read_revision()
        except ProjectFileError:
            raise
        except Exception as exc:  # bad JSON, wrong shapes, invalid fields: one line, file untouched
            raise ProjectFileError(f"{shown} holds data this Shotreel cannot read ({exc}); "
                                   "it was left untouched") from None
    except BaseException:
        mem.close()
        raise
    return mem, project, revision


# ---- history rows -------------------------------------------------------------------------------

@dataclass(frozen=True)
class HistoryWrite:
    """What a command does to the persisted undo stack, written in the command's transaction.

    Positions are absolute: the stack holds rows base .. base+len-1 and `index` commands are applied."""
    index: int
    base: int
    put: tuple[int, Mapping[str, Any]] | None = None   # (pos, command dict) to insert or replace
    truncate_from: int | None = None                    # drop the redo branch: rows with pos >= this


# ---- the store ----------------------------------------------------------------------------------

class Store:
    """One open project.db. Thread-safe (one lock): the engine runner saves job records from its thread."""

    def __init__(self, path: Path, conn: sqlite3.Connection):
        self.path = path
        self.db = sqlite_utils.Database(conn, execute_plugins=False)
        self._lock = threading.RLock()
        self._positions = Positions()  # where every row was last written (the write plan's baseline)
        self.migrated_from: int | None = None
        self.revision = 0  # meta 'revision' as of our last read or write; bumped by every document write
        self._writes = 0
        self._checkpointer: Checkpointer | None = None
        self.readonly = False  # opened for reading only: an in-memory snapshot, every write refused
        self._checked: tuple[Project, int] | None = None   # the project as the open checks read it

    # ---- opening -----------------------------------------------------------------------------
    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        conn = sqlite3.connect(str(path), check_same_thread=False, timeout=5.0)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        # checkpoints (which fsync) run on the Checkpointer thread; this is only a backstop
        conn.execute(f"PRAGMA wal_autocheckpoint = {_BACKSTOP_PAGES}")
        return conn

    @classmethod
    def create(cls, path: Path, project: Project) -> "Store":
        """A new database at `path` (which must not exist) holding `project`."""
        if path.exists():
            raise ProjectFileError(f"{path} already exists")
        store = cls(path, cls._connect(path))
        try:
            with store.db.atomic():
                store.db.conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                migrate(store.db, 0)
                store.db.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('created', ?)",
                                      (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),))
                store._write_everything(project)
        except BaseException as exc:
            store.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"cannot create {path}: {sqlite_problem(exc, path)}") from exc
            raise
        return store

    @classmethod
    def open(cls, path: Path, *, readonly: bool = False) -> "Store":
        """Open `path` after every check passed on a read-only copy in memory. `readonly` keeps that copy
        as the store (nothing on disk is touched: read-only commands work on a full disk)."""
        version, wal_pending = check_file(path)
        snapshot, checked, revision = _snapshot(path, version, wal_pending)
        if readonly:
            store = cls(path, snapshot)
            store.readonly = True
            return store
        snapshot.close()
        if version < SCHEMA_VERSION:
            try:
                backup_copy(path, path.with_name(f"{path.name}.v{version}.bak"))
            except (sqlite3.Error, OSError, EngineError) as exc:
                raise ProjectFileError(f"cannot back up {path.parent.name} before updating it: {exc}") from None
        try:
            store = cls(path, cls._connect(path))
        except sqlite3.Error as exc:
            raise ProjectFileError(f"cannot open {path}: {sqlite_problem(exc, path)}") from None
        try:
            if version < SCHEMA_VERSION:
                migrate(store.db, version)
                store.migrated_from = version
        except sqlite3.Error as exc:
            store.close()
            raise ProjectFileError(f"cannot update {path.parent.name} to schema {SCHEMA_VERSION}: "
                                   f"{sqlite_problem(exc, path)}") from None
        store._checked = (checked, revision)  # the first load reuses it unless someone wrote since
        return store

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        with self._lock:
            try:
                self.db.conn.close()  # the last connection checkpoints and removes the WAL
            except sqlite3.Error:
                pass

    def _wrote(self) -> None:
        """Count a commit; every few, ask the checkpointer to fold the WAL back into the file."""
        self._writes += 1
        if self._writes % _CHECKPOINT_EVERY == 0:
            if self._checkpointer is None:
                self._checkpointer = Checkpointer(self.path)
            self._checkpointer.poke()

    # ---- reading -----------------------------------------------------------------------------
    def load(self) -> tuple[Project, tuple[int, int, list[dict[str, Any]]]]:
        """The project and its history (base, index, command dicts), read in one snapshot."""
        checked, self._checked = self._checked, None
        with self._lock, self.db.atomic():
            self.revision = self._read_revision()
            project = checked[0] if checked and checked[1] == self.revision else self._read_project()
            history = self._read_history()
        self._positions = Positions.of(project)
        return project, history

    def load_project(self) -> Project:
        return self.load()[0]

    def load_history(self) -> tuple[int, int, list[dict[str, Any]]]:
        """(base, index, command dicts from base on)."""
        return self.load()[1]

    def _read_project(self) -> Project:
        conn = self.db.conn
        row = conn.execute("SELECT name, fps, width, height, default_backend FROM project WHERE id = 1").fetchone()
        if row is None:
            raise ProjectFileError(f"{self.path.parent.name} has no project record; open a backup copy")
        settings = {k: json.loads(v) for k, v in conn.execute("SELECT key, value FROM settings")}
        seq_rows = conn.execute("SELECT id, heading, notes FROM sequences ORDER BY position, id").fetchall()
        shots: dict[str, list[Shot]] = {sid: [] for sid, _, _ in seq_rows}
        for shot_id, seq_id, data in conn.execute("SELECT id, seq_id, data FROM shots ORDER BY seq_id, position, id"):
            if seq_id in shots:  # a row of no scene cannot exist (transactions); skip rather than fail
                shots[seq_id].append(Shot.from_dict(json.loads(data)))
        sequences = [Sequence(sid, heading or "", shots[sid], notes or "") for sid, heading, notes in seq_rows]
        bible = [_bible_from(json.loads(d)) for (d,) in conn.execute("SELECT data FROM bible ORDER BY position, id")]
        takes = [Take.from_dict(json.loads(d)) for (d,) in conn.execute("SELECT data FROM takes")]
        return Project(row[0], row[1], row[2], row[3], row[4] or "previs", settings, sequences, bible, takes)

    def _read_history(self) -> tuple[int, int, list[dict[str, Any]]]:
        meta = dict(self.db.conn.execute(
            "SELECT key, value FROM meta WHERE key IN ('history_base', 'history_index')").fetchall())
        base, index = int(meta.get("history_base", 0)), int(meta.get("history_index", 0))
        rows = [json.loads(c) for (c,) in self.db.conn.execute(
            "SELECT command FROM history WHERE pos >= ? ORDER BY pos", (base,))]
        return base, min(index, len(rows)), rows

    def _read_revision(self) -> int:
        row = self.db.conn.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()
        return int(row[0]) if row else 0

    def _claim_revision(self) -> None:
        """Inside a write transaction: refuse when someone else wrote since we read, then bump."""
        current = self._read_revision()
        if current != self.revision:
            raise ProjectChangedElsewhere(
                f"{self.path.parent.name} was changed by another Shotreel (the command line or another window) "
                "since it was opened here; reopen the project to continue")
        self.db.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('revision', ?)", (str(current + 1),))

    def meta(self, key: str) -> str | None:
        with self._lock:
            row = self.db.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    # ---- writing -----------------------------------------------------------------------------
    def write(self, project: Project, changes: Iterable[Any], history: HistoryWrite | None = None) -> None:
        """Persist what `changes` touched (plus the history step) in one transaction.

        Raises StoreError for a SQLite failure; any exception rolls the transaction back."""
        self._refuse_if_readonly()
        plan = WritePlan.build(self._positions, project, list(changes))
        with self._lock:  # re-entered by transaction(): the revision bump below belongs to this commit
            with self.transaction(f"could not save to {self.path.parent.name}/{self.path.name}") as conn:
                self._claim_revision()
                apply_plan(conn, plan, project)
                if history is not None:
                    self._put_history(history)
            self.revision += 1
        self._positions = plan.positions

    # ---- the public transaction API (the document's writes and SQLiteJobStore's) ----------------------
    @contextmanager
    def transaction(self, failure: str, *, detail: Callable[[sqlite3.Error], str] | None = None,
                    counted: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction on the store's connection, under its lock; yields the connection.

        Refused (StoreError) on a read-only store. A SQLite failure rolls back and becomes
        `StoreError(f"{failure}: {detail(exc)}")` (default detail: the error in words, a full disk said so);
        any other exception rolls back and passes through. `counted` commits count towards the next
        background checkpoint."""
        self._refuse_if_readonly()
        with self._lock:
            try:
                with self.db.atomic():
                    yield self.db.conn
            except sqlite3.Error as exc:
                what = detail(exc) if detail else sqlite_problem(exc, self.path)
                raise StoreError(f"{failure}: {what}") from exc
            if counted:
                self._wrote()

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        """Rows of one read statement, under the store's lock (safe from the runner's thread)."""
        with self._lock:
            return self.db.conn.execute(sql, tuple(params)).fetchall()

    def _refuse_if_readonly(self) -> None:
        if self.readonly:
            raise StoreError(f"{self.path.parent.name} was opened read-only: nothing can be saved")

    def clear_history(self) -> None:
        with self._lock:
            with self.transaction(f"could not save to {self.path.name}", detail=str, counted=False) as conn:
                self._claim_revision()
                conn.execute("DELETE FROM history")
                conn.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                                 [("history_base", "0"), ("history_index", "0")])
            self.revision += 1

    def _put_history(self, h: HistoryWrite) -> None:
        conn = self.db.conn
        if h.truncate_from is not None:
            conn.execute("DELETE FROM history WHERE pos >= ?", (h.truncate_from,))
        if h.put is not None:
            pos, command = h.put
            conn.execute("INSERT OR REPLACE INTO history(pos, label, command, created) VALUES (?, ?, ?, ?)",
                         (pos, str(command.get("text", "")), dumps(command),
                          time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())))
        conn.execute("DELETE FROM history WHERE pos < ?", (h.base,))
        conn.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                         [("history_base", str(h.base)), ("history_index", str(h.index))])

    def _write_everything(self, project: Project) -> None:
        plan = WritePlan.build(self._positions, project, everything(project))
        apply_plan(self.db.conn, plan, project)
        self._positions = plan.positions


def _bible_from(data: dict[str, Any]) -> BibleEntry:
    return BibleEntry.from_dict({**data, "reference_images": tuple(data.get("reference_images") or ())})


# ---- the engine runner's job records --------------------------------------------------------------

class SQLiteJobStore:
    """The runner's JobStore: `save(record)`, `delete(job_id)`, `load_all()`, rows in queue order.

    A record is anything with `to_dict()` (or a mapping) holding `job_id` (or `id`) and `status`.
    `decode` turns a stored dict back into the runner's record type; without it `load_all` returns dicts.
    `on_change(job_id)` is called after each write, on the caller's thread."""

    def __init__(self, store: Store, decode: Callable[[dict[str, Any]], Any] | None = None,
                 on_change: Callable[[str], None] | None = None):
        self._store = store
        self.decode = decode
        self.on_change = on_change

    @staticmethod
    def _as_dict(record: Any) -> dict[str, Any]:
        data = record.to_dict() if hasattr(record, "to_dict") else dict(record)
        job_id = data.get("job_id") or data.get("id")
        if not job_id:
            raise ValueError("a job record needs a job_id")
        return data

    def save(self, record: Any) -> None:
        data = self._as_dict(record)
        job_id = str(data.get("job_id") or data.get("id"))
        status = data.get("status", "")
        status = getattr(status, "value", status)
        with self._store.transaction(f"could not save job {job_id}", detail=str) as conn:
            pos = conn.execute("SELECT COALESCE(MAX(position), -1) + 1 FROM jobs").fetchone()[0]
            conn.execute(
                "INSERT INTO jobs(job_id, position, status, data, updated) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(job_id) DO UPDATE SET status = excluded.status, data = excluded.data, "
                "updated = excluded.updated",
                (job_id, pos, str(status), dumps(data), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())))
        if self.on_change:
            self.on_change(job_id)

    def delete(self, job_id: str) -> None:
        with self._store.transaction(f"could not delete job {job_id}", detail=str, counted=False) as conn:
            conn.execute("DELETE FROM jobs WHERE job_id = ?", (job_id,))
        if self.on_change:
            self.on_change(job_id)

    def load_all(self) -> list[Any]:
        rows = self._store.query("SELECT data FROM jobs ORDER BY position")
        records = [json.loads(d) for (d,) in rows]
        return [self.decode(r) for r in records] if self.decode else records
