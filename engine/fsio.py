"""Atomic files and the ffmpeg binary: the two things every writer in engine/ and studio/ shares.

Every file Shotreel writes goes to a temporary sibling named `<stem>.partial-<id><suffix>` (the
suffix is kept so ffmpeg and PIL infer the format), is fsynced, and is renamed over the target. A
crash leaves at most a `.partial-` file, which `remove_partials` sweeps when a project opens.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from pathlib import Path
from typing import Iterator

from .errors import EngineError, ErrorKind

PARTIAL_MARKER = ".partial-"


def partial_name(target: str | os.PathLike) -> Path:
    target = Path(target)
    return target.with_name(f"{target.stem}{PARTIAL_MARKER}{uuid.uuid4().hex[:8]}{target.suffix}")


def fsync_dir(directory: str | os.PathLike) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _commit(tmp: Path, target: Path) -> None:
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    fsync_dir(target.parent)


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, *, mkdir: bool = True) -> Iterator[Path]:
    """Yield a temporary path to write (by any means, e.g. an ffmpeg process); on success it
    replaces `target`, on any exception it is removed and `target` is untouched."""
    target = Path(target)
    if mkdir:
        target.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_name(target)
    try:
        yield tmp
        if not tmp.exists():
            raise EngineError(ErrorKind.BUG, f"nothing was written for {target.name}")
        _commit(tmp, target)
    except OSError as exc:
        _discard(tmp)
        raise disk_error(exc, target) from exc
    except BaseException:
        _discard(tmp)
        raise


def atomic_write_bytes(target: str | os.PathLike, data: bytes) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def atomic_write_text(target: str | os.PathLike, text: str) -> Path:
    return atomic_write_bytes(target, text.encode("utf-8"))


def _discard(tmp: Path) -> None:
    with contextlib.suppress(OSError):
        tmp.unlink()


def remove_partials(directory: str | os.PathLike) -> list[Path]:
    """Delete leftover temporary files below `directory` (after a crash). Returns what was removed."""
    removed = []
    root = Path(directory)
    if not root.is_dir():
        return removed
    for path in root.rglob(f"*{PARTIAL_MARKER}*"):
        if path.is_file():
            _discard(path)
            removed.append(path)
    return removed


def disk_error(exc: OSError, target: str | os.PathLike) -> EngineError:
    import errno
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return EngineError(ErrorKind.DISK_FULL, f"the disk is full while writing {Path(target).name}")
    return EngineError(ErrorKind.BAD_INPUT, f"cannot write {target}: {exc.strerror or exc}",
                       "Check that the project folder exists and is writable.")


_FFMPEG: str | None = None


def ffmpeg_path() -> str:
    """The ffmpeg to run: $SHOTREEL_FFMPEG, else the one imageio-ffmpeg ships, else the system's."""
    global _FFMPEG
    if _FFMPEG and os.path.exists(_FFMPEG):
        return _FFMPEG
    candidates = [os.environ.get("SHOTREEL_FFMPEG")]
    try:
        import imageio_ffmpeg
        candidates.append(imageio_ffmpeg.get_ffmpeg_exe())
    except Exception:  # not installed or its binary missing: fall through to the system one
        pass
    candidates.append(shutil.which("ffmpeg"))
    for candidate in candidates:
        if candidate and os.path.exists(candidate) and os.access(candidate, os.X_OK):
            _FFMPEG = candidate
            return candidate
    raise EngineError(ErrorKind.FFMPEG_MISSING, "ffmpeg was not found")
