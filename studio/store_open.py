"""Checks before opening a project.db, all read-only: a refused file keeps every byte, its journal mode and
its folder.

The header alone refuses foreign, newer and non-SQLite files; a -wal whose header is not a WAL of this file
is refused (SQLite would silently drop it); then a read-only connection confirms the application id and
version and runs `PRAGMA quick_check`. Also the read-only connection itself, the backup copy made before a
migration, and SQLite errors in words.

Who calls: `studio.store` (and `inspect_file` through it)."""
from __future__ import annotations

import shutil
import sqlite3
import struct
from pathlib import Path

from engine.fsio import atomic_path

from .errors import ProjectFileError
from .migrations import LATEST as SCHEMA_VERSION
from .migrations.v1_initial import APPLICATION

APPLICATION_ID = 0x5348_5254  # 'SHRT' in PRAGMA application_id (header bytes 68..71)
_SQLITE_MAGIC = b"SQLite format 3\x00"


def inspect_file(db_path: Path) -> int:
    """Refuse anything that is not a healthy Shotreel database of a known version, without writing.

    Returns the schema version. Raises ProjectFileError with one line for the user."""
    return check_file(db_path)[0]


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


def check_file(db_path: Path) -> tuple[int, bool]:
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
        check_identity(shown, int.from_bytes(head[68:72], "big"), int.from_bytes(head[60:64], "big"))
    try:
        conn = read_only_connection(db_path, wal_pending)
    except sqlite3.Error as exc:
        raise ProjectFileError(f"{shown} cannot be opened: {sqlite_problem(exc, db_path)}") from None
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        check_identity(shown, app_id, version)
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


def read_only_connection(db_path: Path, wal_pending: bool) -> sqlite3.Connection:
    # immutable=1 when there is no WAL: SQLite then creates no -wal/-shm files next to a file we refuse
    # (and needs no disk space, so reading works on a full disk).
    uri = db_path.resolve().as_uri() + ("?mode=ro" if wal_pending else "?mode=ro&immutable=1")
    return sqlite3.connect(uri, uri=True, check_same_thread=False)


def sqlite_problem(exc: sqlite3.Error, path: Path) -> str:
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


def check_identity(shown: str, app_id: int, version: int) -> None:
    if app_id != APPLICATION_ID:
        raise ProjectFileError(f"{shown} is not a Shotreel project (a SQLite file of another application)")
    if version > SCHEMA_VERSION:
        raise ProjectFileError(f"{shown} was made by a newer Shotreel (schema {version} > {SCHEMA_VERSION}); "
                               "update Shotreel to open it")
    if version < 1:
        raise ProjectFileError(f"{shown} is not a Shotreel project (no schema)")


def backup_copy(src: Path, dest: Path) -> None:
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
