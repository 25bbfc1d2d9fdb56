"""Shared by the fuzz tests: a per-case time limit (a hang fails the case, it does not stall the suite) and a
fingerprint of a document and its folder (a failed import must leave both as they were)."""
from __future__ import annotations

import contextlib
import hashlib
import json
import signal

HANG_S = 5.0


class Hang(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds: float = HANG_S):
    def fire(signum, frame):
        raise Hang(f"took longer than {seconds} s")
    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def fingerprint(doc) -> str:
    """The project as the model holds it, as the database holds it, and the files under media/."""
    media = sorted(str(p.relative_to(doc.folder)) for p in (doc.folder / "media").rglob("*") if p.is_file())
    stored = doc.store.load_project().to_dict()
    blob = json.dumps([doc.project.to_dict(), stored, media, doc.store.revision], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def check_case(doc, run, allowed: tuple[type[BaseException], ...]) -> str:
    """Run one import case. Returns '' when it behaved, else what went wrong (for the failure list)."""
    before = fingerprint(doc)
    try:
        with time_limit():
            run()
    except Hang as exc:
        return f"hang: {exc}"
    except allowed as exc:
        if "\n" in str(exc).strip():
            return f"a multi-line error: {str(exc)[:200]!r}"
        if fingerprint(doc) != before:
            return f"refused ({exc}) but the project changed"
        return ""
    except Exception as exc:  # noqa: BLE001 - anything else would reach the user as a traceback
        return f"traceback: {type(exc).__name__}: {exc}"
    doc.undo()  # keep the document small for the next case
    return ""


def bomb_png(width: int = 20000, height: int = 30000) -> bytes:
    """A small PNG whose header claims `width` x `height` pixels (a decompression bomb: PIL refuses it on open)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))
