"""`project.db`: the SQLite file behind a Document (through sqlite-utils).

One transaction per command, writing only the rows the command touched: a shot is one row holding
its JSON, ordered by (seq_id, position), so editing one shot of a 1,000-shot project rewrites one
row. The store keeps what it last wrote of every position so structural edits (insert, move,
remove) update only the rows whose position really changed.

A file is checked before anything writes to it: the header alone refuses foreign, newer and
non-SQLite files, a -wal whose header is not a WAL of this file is refused (SQLite would silently drop it);
then a read-only connection confirms the application id and version and runs `PRAGMA quick_check`, and
the whole database is copied into memory, migrated there if older and its rows read. Only a file that
passes all of it is opened for writing (journal mode set, migrated forward after a backup copy): a refused
file keeps every byte, its journal mode and its folder. Read-only opens keep the in-memory copy and touch
nothing on disk (listing commands work on a full disk). WAL journal, `synchronous=NORMAL`: a killed
process loses nothing that committed.

Who calls: `studio.document.Document` only (and `SQLiteJobStore` for the engine runner's job records).
"""
from __future__ import annotations

import json
import shutil
import sqlite3
import struct
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import sqlite_utils

from engine.errors import EngineError
from engine.fsio import atomic_path
from engine.jobs import fps_to_str

from .changes import Change, ChangeKind
from .errors import ProjectFileError, UserError
from .migrations import LATEST as SCHEMA_VERSION
from .migrations import migrate
from .migrations.v1_initial import APPLICATION
from .model import BibleEntry, Project, Sequence, Shot, Take, ValidationError

K = ChangeKind

APPLICATION_ID = 0x5348_5254  # 'SHRT' in PRAGMA application_id (header bytes 68..71)
DB_NAME = "project.db"
_SQLITE_MAGIC = b"SQLite format 3\x00"

__all__ = ["Store", "StoreError", "ProjectChangedElsewhere", "HistoryWrite", "SQLiteJobStore", "inspect_file",
           "SCHEMA_VERSION", "APPLICATION_ID", "DB_NAME"]



# How a write plan's lists reach the tables, in order: (plan attribute, statement, 'rows' | 'ids').
_PLAN_WRITES = (
    ("seq_upserts", "INSERT OR REPLACE INTO sequences(id, position, heading, notes) VALUES (?, ?, ?, ?)", "rows"),
    ("seq_deletes", "DELETE FROM sequences WHERE id = ?", "ids"),
    ("seq_moves", "UPDATE sequences SET position = ? WHERE id = ?", "rows"),
    ("shot_upserts", "INSERT OR REPLACE INTO shots(id, seq_id, position, data) VALUES (?, ?, ?, ?)", "rows"),
    ("shot_deletes", "DELETE FROM shots WHERE id = ?", "ids"),
    ("shot_moves", "UPDATE shots SET seq_id = ?, position = ? WHERE id = ?", "rows"),
    ("bible_upserts", "INSERT OR REPLACE INTO bible(id, position, kind, name, data) VALUES (?, ?, ?, ?, ?)", "rows"),
    ("bible_deletes", "DELETE FROM bible WHERE id = ?", "ids"),
    ("bible_moves", "UPDATE bible SET position = ? WHERE id = ?", "rows"),
    ("take_upserts", "INSERT OR REPLACE INTO takes(id, shot_id, created, status, data) VALUES (?, ?, ?, ?, ?)", "rows"),
    ("take_deletes", "DELETE FROM takes WHERE id = ?", "ids"),
)

class StoreError(UserError):
    """A write to project.db failed (disk full, read-only folder, locked). Nothing was changed."""


class ProjectChangedElsewhere(StoreError):
    """Another program (the CLI, a second window) saved this project since it was opened here.

    Writing on would mix two histories, so the edit is refused; reopen the project to continue."""


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# ---- checks before opening --------------------------------------------------------------------

def inspect_file(db_path: Path) -> int:
    """Refuse anything that is not a healthy Shotreel database of a known version, without writing.

    Returns the schema version. Raises ProjectFileError with one line for the user."""
    return _inspect(db_path)[0]


_WAL_MAGIC = (0x377F0682, 0x377F0683)


def _wal_checksum(data: bytes, big_endian: bool) -> tuple[int, int]:
    """SQLite's WAL checksum (two running 32-bit sums over pairs of words)."""
    words = struct.unpack(f"{'>' if big_endian else '<'}{len(data) // 4}I", data)
    s0 = s1 = 0
    for i in range(0, len(words), 2):
        s0 = (s0 + words[i] + s1) & 0xFFFFFFFF
        s1 = (s1 + words[i + 1] + s0) & 0xFFFFFFFF
    return s0, s1


def _wal_pending(shown: str, db_path: Path, head: bytes) -> bool:
    """Whether a write-ahead log holds pages for this file. SQLite silently ignores a WAL whose header is
    garbage (the edits in it are lost without a word): such a file is refused instead."""
    wal = Path(f"{db_path}-wal")
    try:
        size = wal.stat().st_size
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise ProjectFileError(f"cannot read {wal}: {exc.strerror or exc}") from None
    if size == 0:
        return False
    try:
        with open(wal, "rb") as fh:
            wal_head = fh.read(32)
    except OSError as exc:
        raise ProjectFileError(f"cannot read {wal}: {exc.strerror or exc}") from None
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    ok = len(wal_head) == 32
    if ok:
        magic, version, wal_page, _, _, _, c0, c1 = struct.unpack(">8I", wal_head)
        ok = (magic in _WAL_MAGIC and version == 3007000 and wal_page == page_size
              and _wal_checksum(wal_head[:24], bool(magic & 1)) == (c0, c1))
    if not ok:
        raise ProjectFileError(f"{shown}: {wal.name} is not a SQLite write-ahead log of this project (damaged or "
                               f"foreign); move {wal.name} aside to open the project as it was last checkpointed")
    return True


def _inspect(db_path: Path) -> tuple[int, bool]:
    """(schema version, whether a WAL is pending), checked read-only."""
    shown = db_path.parent.name or str(db_path)
    try:
        with open(db_path, "rb") as fh:
            head = fh.read(100)
    except OSError as exc:
        raise ProjectFileError(f"cannot read {db_path}: {exc.strerror or exc}") from None
    if not head.startswith(_SQLITE_MAGIC) or len(head) < 100:
        what = "an empty file" if not head else "not a SQLite database"
        raise ProjectFileError(f"{shown} is not a Shotreel project: {db_path.name} is {what}")
    wal_pending = _wal_pending(shown, db_path, head)
    if not wal_pending:  # the header is the whole truth only when no WAL holds newer pages
        _check_identity(shown, int.from_bytes(head[68:72], "big"), int.from_bytes(head[60:64], "big"))
    try:
        conn = _read_only_connection(db_path, wal_pending)
    except sqlite3.Error as exc:
        raise ProjectFileError(f"{shown} cannot be opened: {_sqlite_problem(exc, db_path)}") from None
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        _check_identity(shown, app_id, version)
        problems = [r[0] for r in conn.execute("PRAGMA quick_check(3)").fetchall()]
        if problems != ["ok"]:
            detail = " ".join(" ".join(problems).replace("*** in database main ***", "").split())
            raise ProjectFileError(f"{shown} is damaged ({detail[:120]}); open a backup copy")
        row = conn.execute("SELECT value FROM meta WHERE key = 'application'").fetchone()
        if not row or row[0] != APPLICATION:
            raise ProjectFileError(f"{shown} is not a Shotreel project (its metadata is missing)")
    except sqlite3.DatabaseError as exc:
        raise ProjectFileError(f"{shown} is damaged and cannot be opened ({exc}); open a backup copy") from None
    finally:
        conn.close()
    return version, wal_pending


def _read_only_connection(db_path: Path, wal_pending: bool) -> sqlite3.Connection:
    # immutable=1 when there is no WAL: SQLite then creates no -wal/-shm files next to a file we refuse
    # (and needs no disk space, so reading works on a full disk).
    uri = db_path.resolve().as_uri() + ("?mode=ro" if wal_pending else "?mode=ro&immutable=1")
    return sqlite3.connect(uri, uri=True, check_same_thread=False)


def _sqlite_problem(exc: sqlite3.Error, path: Path) -> str:
    """The SQLite error in words; a full disk (SQLITE_FULL, or an I/O error with no space left) says so."""
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code == 13:  # SQLITE_FULL
        return "the disk is full"
    if code == 10:  # SQLITE_IOERR: often a full disk while creating -wal/-shm
        try:
            if shutil.disk_usage(path.parent).free < 64 * 1024:
                return "the disk is full"
        except OSError:
            pass
    return str(exc)


def _snapshot(db_path: Path, version: int, wal_pending: bool) -> tuple[sqlite3.Connection, Project, int]:
    """The project read into memory (and migrated there when older): every check a refusal could come
    from runs on this copy, so a file that is refused is never written, not even its journal mode."""
    shown = db_path.parent.name or str(db_path)
    mem = sqlite3.connect(":memory:", check_same_thread=False)
    try:
        src = _read_only_connection(db_path, wal_pending)
        try:
            src.backup(mem)
        finally:
            src.close()
    except sqlite3.Error as exc:
        mem.close()
        raise ProjectFileError(f"{shown} cannot be read ({_sqlite_problem(exc, db_path)})") from None
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


def _check_identity(shown: str, app_id: int, version: int) -> None:
    if app_id != APPLICATION_ID:
        raise ProjectFileError(f"{shown} is not a Shotreel project (a SQLite file of another application)")
    if version > SCHEMA_VERSION:
        raise ProjectFileError(f"{shown} was made by a newer Shotreel (schema {version} > {SCHEMA_VERSION}); "
                               "update Shotreel to open it")
    if version < 1:
        raise ProjectFileError(f"{shown} is not a Shotreel project (no schema)")


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
        self._shot_pos: dict[str, tuple[str, int]] = {}
        self._seq_pos: dict[str, int] = {}
        self._bible_pos: dict[str, int] = {}
        self.migrated_from: int | None = None
        self.revision = 0  # meta 'revision' as of our last read or write; bumped by every document write
        self._writes = 0
        self._checkpointer: _Checkpointer | None = None
        self.readonly = False  # opened for reading only: an in-memory snapshot, every write refused
        self._checked: tuple[Project, int] | None = None   # the project as the open checks read it

    # ---- opening -----------------------------------------------------------------------------
    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        conn = sqlite3.connect(str(path), check_same_thread=False, timeout=5.0)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        # checkpoints (which fsync) run on the _Checkpointer thread; this is only a backstop
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
                raise StoreError(f"cannot create {path}: {_sqlite_problem(exc, path)}") from exc
            raise
        return store

    @classmethod
    def open(cls, path: Path, *, readonly: bool = False) -> "Store":
        """Open `path` after every check passed on a read-only copy in memory. `readonly` keeps that copy
        as the store (nothing on disk is touched: read-only commands work on a full disk)."""
        version, wal_pending = _inspect(path)
        snapshot, checked, revision = _snapshot(path, version, wal_pending)
        if readonly:
            store = cls(path, snapshot)
            store.readonly = True
            return store
        snapshot.close()
        if version < SCHEMA_VERSION:
            try:
                _backup(path, path.with_name(f"{path.name}.v{version}.bak"))
            except (sqlite3.Error, OSError, EngineError) as exc:
                raise ProjectFileError(f"cannot back up {path.parent.name} before updating it: {exc}") from None
        try:
            store = cls(path, cls._connect(path))
        except sqlite3.Error as exc:
            raise ProjectFileError(f"cannot open {path}: {_sqlite_problem(exc, path)}") from None
        try:
            if version < SCHEMA_VERSION:
                migrate(store.db, version)
                store.migrated_from = version
        except sqlite3.Error as exc:
            store.close()
            raise ProjectFileError(f"cannot update {path.parent.name} to schema {SCHEMA_VERSION}: "
                                   f"{_sqlite_problem(exc, path)}") from None
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
                self._checkpointer = _Checkpointer(self.path)
            self._checkpointer.poke()

    # ---- reading -----------------------------------------------------------------------------
    def load(self) -> tuple[Project, tuple[int, int, list[dict[str, Any]]]]:
        """The project and its history (base, index, command dicts), read in one snapshot."""
        checked, self._checked = self._checked, None
        with self._lock, self.db.atomic():
            self.revision = self._read_revision()
            project = checked[0] if checked and checked[1] == self.revision else self._read_project()
            history = self._read_history()
        self._remember_positions(project)
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
        plan = _Plan.build(self, project, list(changes))
        with self._lock:
            try:
                with self.db.atomic():
                    self._claim_revision()
                    self._apply(plan, project)
                    if history is not None:
                        self._put_history(history)
            except sqlite3.Error as exc:
                raise StoreError(f"could not save to {self.path.parent.name}/{self.path.name}: "
                                 f"{_sqlite_problem(exc, self.path)}") from exc
            self.revision += 1
            self._wrote()
        self._shot_pos, self._seq_pos, self._bible_pos = plan.shot_pos, plan.seq_pos, plan.bible_pos

    def _refuse_if_readonly(self) -> None:
        if self.readonly:
            raise StoreError(f"{self.path.parent.name} was opened read-only: nothing can be saved")

    def clear_history(self) -> None:
        self._refuse_if_readonly()
        with self._lock:
            try:
                with self.db.atomic():
                    self._claim_revision()
                    self.db.conn.execute("DELETE FROM history")
                    self.db.conn.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                                             [("history_base", "0"), ("history_index", "0")])
            except sqlite3.Error as exc:
                raise StoreError(f"could not save to {self.path.name}: {exc}") from exc
            self.revision += 1

    def _put_history(self, h: HistoryWrite) -> None:
        conn = self.db.conn
        if h.truncate_from is not None:
            conn.execute("DELETE FROM history WHERE pos >= ?", (h.truncate_from,))
        if h.put is not None:
            pos, command = h.put
            conn.execute("INSERT OR REPLACE INTO history(pos, label, command, created) VALUES (?, ?, ?, ?)",
                         (pos, str(command.get("text", "")), _dumps(command),
                          time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())))
        conn.execute("DELETE FROM history WHERE pos < ?", (h.base,))
        conn.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                         [("history_base", str(h.base)), ("history_index", str(h.index))])

    def _write_everything(self, project: Project) -> None:
        changes = [Change(K.PROJECT), Change(K.SEQUENCE, tuple(s.id for s in project.sequences)),
                   Change(K.SHOT_ADDED, tuple(s.id for _, s in project.shots())),
                   Change(K.BIBLE, tuple(b.id for b in project.bible)),
                   Change(K.TAKE_RECORDED, tuple(project.takes))]
        plan = _Plan.build(self, project, changes)
        self._apply(plan, project)
        self._shot_pos, self._seq_pos, self._bible_pos = plan.shot_pos, plan.seq_pos, plan.bible_pos

    def _apply(self, plan: "_Plan", project: Project) -> None:
        conn = self.db.conn
        if plan.project:
            conn.execute("INSERT OR REPLACE INTO project(id, name, fps, width, height, default_backend) "
                         "VALUES (1, ?, ?, ?, ?, ?)", (project.name, fps_to_str(project.fps), project.width,
                                                       project.height, project.default_backend))
            conn.execute("DELETE FROM settings")
            conn.executemany("INSERT INTO settings(key, value) VALUES (?, ?)",
                             [(k, _dumps(v)) for k, v in project.settings.items()])
        for rows_name, sql, as_rows in _PLAN_WRITES:
            rows = getattr(plan, rows_name)
            if rows:
                conn.executemany(sql, [(r,) for r in rows] if as_rows == "ids" else rows)

    def _remember_positions(self, project: Project) -> None:
        self._seq_pos = {s.id: i for i, s in enumerate(project.sequences)}
        self._shot_pos = {shot.id: (seq.id, i) for seq in project.sequences for i, shot in enumerate(seq.shots)}
        self._bible_pos = {b.id: i for i, b in enumerate(project.bible)}


_CHECKPOINT_EVERY = 32     # commits between background checkpoints (a few pages each)
_BACKSTOP_PAGES = 20000    # if the checkpointer cannot keep up, SQLite checkpoints inline at ~80 MB of WAL


class _Checkpointer:
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


def _bible_from(data: dict[str, Any]) -> BibleEntry:
    return BibleEntry.from_dict({**data, "reference_images": tuple(data.get("reference_images") or ())})


def _backup(src: Path, dest: Path) -> None:
    """A consistent copy of the database (SQLite's backup API, so a pending WAL is included)."""
    if dest.exists():
        return
    source = sqlite3.connect(src.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        with atomic_path(dest) as tmp:
            target = sqlite3.connect(str(tmp))
            try:
                source.backup(target)
            finally:
                target.close()
    finally:
        source.close()


@dataclass
class _Plan:
    """The rows one write changes, computed before the transaction so a failure changes no cache."""
    project: bool
    seq_upserts: list[tuple]
    seq_deletes: list[str]
    seq_moves: list[tuple]
    shot_upserts: list[tuple]
    shot_deletes: list[str]
    shot_moves: list[tuple]
    bible_upserts: list[tuple]
    bible_deletes: list[str]
    bible_moves: list[tuple]
    take_upserts: list[tuple]
    take_deletes: list[str]
    shot_pos: dict[str, tuple[str, int]]
    seq_pos: dict[str, int]
    bible_pos: dict[str, int]

    @classmethod
    def build(cls, store: Store, project: Project, changes: list[Any]) -> "_Plan":
        kinds: dict[ChangeKind, set[str]] = {}
        for change in changes:
            kinds.setdefault(change.kind, set()).update(change.ids)
        shot_ids = set().union(*(kinds.get(k, set()) for k in (K.SHOT_ADDED, K.SHOT_REMOVED, K.SHOT_CHANGED,
                                                                K.SHOTS_MOVED)))
        structural = bool({K.SHOT_ADDED, K.SHOT_REMOVED, K.SHOTS_MOVED, K.SEQUENCE} & kinds.keys())
        plan = cls(K.PROJECT in kinds, [], [], [], [], [], [], [], [], [], [], [],
                   store._shot_pos, store._seq_pos, store._bible_pos)
        found: dict[str, Shot] = {}
        for sid in shot_ids:
            try:
                seq, index, shot = project.find_shot(sid)
            except ValidationError:  # removed: its row goes
                continue
            found[sid] = shot
            if store._shot_pos.get(sid) != (seq.id, index):
                structural = True  # a position changed that the changes did not announce: resync them all

        if structural:
            plan.seq_pos = {s.id: i for i, s in enumerate(project.sequences)}
            plan.shot_pos = {shot.id: (seq.id, i) for seq in project.sequences for i, shot in enumerate(seq.shots)}
            seqs = {s.id: s for s in project.sequences}
            for seq_id in kinds.get(K.SEQUENCE, ()):
                if seq_id in seqs:
                    s = seqs[seq_id]
                    plan.seq_upserts.append((s.id, plan.seq_pos[s.id], s.heading, s.notes))
                elif seq_id in store._seq_pos:
                    plan.seq_deletes.append(seq_id)
            upserted = set(kinds.get(K.SEQUENCE, ()))
            plan.seq_moves = [(pos, sid) for sid, pos in plan.seq_pos.items()
                              if sid not in upserted and store._seq_pos.get(sid) != pos]
            # scenes removed without a 'sequence' change still lose their row
            plan.seq_deletes += [sid for sid in store._seq_pos if sid not in seqs and sid not in plan.seq_deletes]
            # shots gone with a removed scene
            shot_ids |= {sid for sid in store._shot_pos if sid not in plan.shot_pos}

        if shot_ids:
            for sid in sorted(shot_ids):
                if sid in found:
                    seq_id, pos = plan.shot_pos[sid]
                    plan.shot_upserts.append((sid, seq_id, pos, _dumps(found[sid].to_dict())))
                elif sid in store._shot_pos:
                    plan.shot_deletes.append(sid)
        if structural:
            plan.shot_moves = [(seq_id, pos, sid) for sid, (seq_id, pos) in plan.shot_pos.items()
                               if sid not in shot_ids and store._shot_pos.get(sid) != (seq_id, pos)]

        if K.BIBLE in kinds:
            plan.bible_pos = {b.id: i for i, b in enumerate(project.bible)}
            entries = {b.id: b for b in project.bible}
            touched = kinds[K.BIBLE] | {bid for bid in store._bible_pos if bid not in entries}
            for bid in sorted(touched):
                if bid in entries:
                    b = entries[bid]
                    plan.bible_upserts.append((bid, plan.bible_pos[bid], b.kind.value, b.name, _dumps(b.to_dict())))
                elif bid in store._bible_pos:
                    plan.bible_deletes.append(bid)
            plan.bible_moves = [(pos, bid) for bid, pos in plan.bible_pos.items()
                                if bid not in touched and store._bible_pos.get(bid) != pos]

        for take_id in sorted(kinds.get(K.TAKE_RECORDED, set()) | kinds.get(K.TAKE_CHANGED, set())):
            take = project.takes.get(take_id)
            if take is None:
                plan.take_deletes.append(take_id)
            else:
                plan.take_upserts.append((take.id, take.shot_id, take.created, take.status.value,
                                          _dumps(take.to_dict())))
        return plan


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
        store = self._store
        store._refuse_if_readonly()
        with store._lock:
            try:
                with store.db.atomic():
                    conn = store.db.conn
                    pos = conn.execute("SELECT COALESCE(MAX(position), -1) + 1 FROM jobs").fetchone()[0]
                    conn.execute(
                        "INSERT INTO jobs(job_id, position, status, data, updated) VALUES (?, ?, ?, ?, ?) "
                        "ON CONFLICT(job_id) DO UPDATE SET status = excluded.status, data = excluded.data, "
                        "updated = excluded.updated",
                        (job_id, pos, str(status), _dumps(data), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())))
            except sqlite3.Error as exc:
                raise StoreError(f"could not save job {job_id}: {exc}") from exc
            store._wrote()
        if self.on_change:
            self.on_change(job_id)

    def delete(self, job_id: str) -> None:
        store = self._store
        store._refuse_if_readonly()
        with store._lock:
            try:
                with store.db.atomic():
                    store.db.conn.execute("DELETE FROM jobs WHERE job_id = ?", (job_id,))
            except sqlite3.Error as exc:
                raise StoreError(f"could not delete job {job_id}: {exc}") from exc
        if self.on_change:
            self.on_change(job_id)

    def load_all(self) -> list[Any]:
        with self._store._lock:
            rows = self._store.db.conn.execute("SELECT data FROM jobs ORDER BY position").fetchall()
        records = [json.loads(d) for (d,) in rows]
        return [self.decode(r) for r in records] if self.decode else records
