"""The one way Shotreel runs ffmpeg: `FFmpegProcess` (start, stderr drained into a bounded tail, stop) and
`run_ffmpeg` (a whole run reading `-progress` lines into Progress reports, with cancel).

Both the take encoder (`engine.encode.VideoWriter`, frames piped to stdin) and the studio's export
(`studio.export`, `run_ffmpeg`) use it, so starting, draining, cancelling and reading failures are written
once. Errors are EngineError: FFMPEG_MISSING when ffmpeg cannot start, DISK_FULL when its stderr says so,
BUG otherwise; `details` holds the stderr tail."""
from __future__ import annotations

import collections
import queue
import subprocess
import threading
import time
from fractions import Fraction
from typing import Any, Callable, Optional

from .errors import EngineError, ErrorKind, JobCancelled
from .jobs import Progress

CancelLike = Any  # engine.jobs.CancelToken, or any object with a `cancelled` property, or a callable

_TAIL_LINES = 40


def is_cancelled(cancel: CancelLike) -> bool:
    if cancel is None:
        return False
    if callable(cancel) and not hasattr(cancel, "cancelled"):
        return bool(cancel())
    return bool(getattr(cancel, "cancelled", False))


class FFmpegProcess:
    """One ffmpeg child. Its stderr is read on a thread into the last lines (a full stderr pipe would block
    ffmpeg, and then our writes); with `progress_lines` its stdout lines are queued for `next_line`."""

    def __init__(self, args: list[str], *, stdin_pipe: bool = False, progress_lines: bool = False):
        try:
            self.proc = subprocess.Popen(args, stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL,
                                         stdout=subprocess.PIPE if progress_lines else subprocess.DEVNULL,
                                         stderr=subprocess.PIPE)
        except FileNotFoundError as exc:
            raise EngineError(ErrorKind.FFMPEG_MISSING, f"ffmpeg could not be started: {exc}") from exc
        self.tail: collections.deque[str] = collections.deque(maxlen=_TAIL_LINES)
        self._lines: "queue.Queue[Optional[bytes]]" = queue.Queue()
        self._readers = [threading.Thread(target=self._read_stderr, daemon=True, name="ffmpeg-stderr")]
        if progress_lines:
            self._readers.append(threading.Thread(target=self._read_stdout, daemon=True, name="ffmpeg-progress"))
        for reader in self._readers:
            reader.start()

    @property
    def stdin(self):
        return self.proc.stdin

    @property
    def returncode(self) -> Optional[int]:
        return self.proc.returncode

    def _read_stderr(self) -> None:
        for raw in iter(self.proc.stderr.readline, b""):
            self.tail.append(raw.decode("utf-8", "replace").rstrip())

    def _read_stdout(self) -> None:
        for raw in iter(self.proc.stdout.readline, b""):
            self._lines.put(raw)
        self._lines.put(None)

    def next_line(self, timeout: float) -> Optional[bytes] | bool:
        """The next stdout line, None at its end, False when none came within `timeout`."""
        try:
            return self._lines.get(timeout=timeout)
        except queue.Empty:
            return False

    def wait(self, cancel: CancelLike = None, poll: float = 0.05, grace: float = 5) -> int:
        """The exit code; a cancel meanwhile stops ffmpeg (`stop(grace=grace)`) and raises JobCancelled."""
        while True:
            try:
                return self.proc.wait(timeout=poll)
            except subprocess.TimeoutExpired:
                if is_cancelled(cancel):
                    self.stop(grace=grace)
                    raise JobCancelled() from None

    def join_readers(self, timeout: float = 2) -> None:
        for reader in self._readers:
            reader.join(timeout=timeout)

    def stop(self, *, grace: float = 5) -> None:
        """Terminate (after `grace` seconds: kill); `grace=0` kills at once."""
        proc = self.proc
        if proc.poll() is None:
            if grace:
                proc.terminate()
                try:
                    proc.wait(timeout=grace)
                    return
                except subprocess.TimeoutExpired:
                    pass
            proc.kill()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass

    def stderr_text(self) -> str:
        return "\n".join(self.tail).strip()

    def failure(self, doing: str, code: Optional[int], *, disk_full: bool = False,
                last_lines: int = 3) -> EngineError:
        """The error of a failed run: DISK_FULL when ffmpeg (or the caller) saw a full disk, else BUG with
        ffmpeg's last `last_lines` stderr lines in the message."""
        text = self.stderr_text()
        if disk_full or "no space left" in text.lower():
            return EngineError(ErrorKind.DISK_FULL, f"the disk filled up while {doing}", details=text)
        last = " | ".join(line for line in list(self.tail)[-last_lines:] if line) or f"exit code {code}"
        return EngineError(ErrorKind.BUG, f"ffmpeg failed while {doing}: {last}", details=text)


def run_ffmpeg(args: list[str], total_frames: int, fps: Fraction, *, job_id: str = "export",
               progress: Optional[Callable[[Progress], None]] = None, cancel: CancelLike = None,
               what: str = "the export") -> None:
    """Run one ffmpeg (its args with `-progress pipe:1`), turning `-progress` lines into Progress reports
    with an ETA; terminate on cancel (raises JobCancelled); raise EngineError with ffmpeg's last stderr lines
    on failure ("the disk filled up while writing {what}" / "ffmpeg failed while rendering {what}: ...")."""
    ff = FFmpegProcess(args, progress_lines=True)
    started = time.monotonic()
    done_frames = 0
    try:
        while True:
            if is_cancelled(cancel):
                ff.stop()
                raise JobCancelled()
            raw = ff.next_line(0.1)
            if raw is False:
                continue
            if raw is None:
                break
            key, _, value = raw.decode("ascii", "replace").strip().partition("=")
            if key == "out_time_us" and value.strip().lstrip("-").isdigit():
                frames = int(Fraction(int(value), 1_000_000) * fps)
                done_frames = max(done_frames, min(total_frames, frames))  # out_time can step back a little
            elif key == "progress" and progress is not None:
                elapsed = time.monotonic() - started
                eta = elapsed * (total_frames - done_frames) / done_frames if done_frames else None
                progress(Progress(job_id, "encoding", done_frames, total_frames, eta,
                                  message=f"{what}: frame {done_frames} of {total_frames}"))
        code = ff.proc.wait()
        if is_cancelled(cancel):
            raise JobCancelled()
    except BaseException:
        ff.stop()
        raise
    finally:
        ff.join_readers()
    if code != 0:
        text = ff.stderr_text()
        if "no space left" in text.lower():
            raise EngineError(ErrorKind.DISK_FULL, f"the disk filled up while writing {what}", details=text)
        raise ff.failure(f"rendering {what}", code)
    if progress is not None:
        progress(Progress(job_id, "done", total_frames, total_frames, 0.0, message=f"{what}: done"))
