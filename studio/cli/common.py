"""What every `shotreel` subcommand shares: registration with `--json`, output, errors, progress.

    def register(subparsers):
        p = add_command(subparsers, "generate", "Generate takes for shots", run_generate)
        p.add_argument("project")

    def run_generate(args):
        with open_document(args.project) as doc:
            with progress_for(args, "generate") as bar:
                ...  bar(progress)          # an engine.jobs.Progress, or bar.update(current, total, stage)
            emit(args, {"takes": [...]}, "Generated 3 takes")

Results go to stdout (human text, or one JSON document with --json); progress and errors go to stderr.
An error is one line (`shotreel: <message>`) and exit code 1; with --json it is one JSON line.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any, Callable, Iterable, TextIO

from engine.errors import EngineError

__all__ = ["add_command", "emit", "print_error", "open_document", "ProgressBar", "progress_for", "version",
           "table"]


def version() -> str:
    try:
        from importlib.metadata import version as _v
        return _v("shotreel")
    except Exception:
        return "0+unknown"


def _output_parent() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--json", action="store_true", help="print machine-readable JSON instead of text")
    return parent


def add_command(subparsers: Any, name: str, help: str, func: Callable[[argparse.Namespace], int | None],
                **kwargs: Any) -> argparse.ArgumentParser:
    """A subcommand with --json that runs func(args) -> exit code (None = 0)."""
    parser = subparsers.add_parser(name, help=help, description=help, parents=[_output_parent()], **kwargs)
    parser.set_defaults(func=func)
    return parser


def _default(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if hasattr(value, "value"):  # enums
        return value.value
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


def emit(args: argparse.Namespace, data: Any, text: str | Callable[[], str] | None = None,
         stream: TextIO | None = None) -> None:
    """Print the result: `data` as JSON with --json, else `text` (or a plain rendering of data)."""
    stream = stream or sys.stdout
    if getattr(args, "json", False):
        stream.write(json.dumps(data, default=_default, ensure_ascii=False) + "\n")
    else:
        body = text() if callable(text) else text
        if body is None:
            body = json.dumps(data, default=_default, ensure_ascii=False, indent=2)
        if body:
            stream.write(body.rstrip("\n") + "\n")
    stream.flush()


def os_error_message(exc: OSError) -> str:
    """One line for an OSError; a full disk is named as such."""
    import errno
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full" + (f" (writing {exc.filename})" if exc.filename else "")
    return f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")


def print_error(args: argparse.Namespace | None, exc: BaseException) -> None:
    message = " ".join(str(exc).split()) or type(exc).__name__
    suggestion = exc.suggestion if isinstance(exc, EngineError) else ""
    if args is not None and getattr(args, "json", False):
        payload = {"error": message, "type": type(exc).__name__}
        if isinstance(exc, EngineError):
            payload.update(kind=exc.kind.value, suggestion=suggestion)
        sys.stderr.write(json.dumps(payload, ensure_ascii=False) + "\n")
    else:
        sys.stderr.write(f"shotreel: {message}" + (f" ({suggestion})" if suggestion else "") + "\n")
    sys.stderr.flush()


def open_document(path: str, *, readonly: bool = False):
    """Open a project for a command (imported lazily so `shotreel --help` stays fast). Listing commands pass
    readonly: nothing is written (they work on a full disk or a read-only folder)."""
    from ..document import Document
    return Document.open(path, readonly=readonly)


def table(rows: Iterable[Iterable[Any]], headers: Iterable[str]) -> str:
    """Left-aligned columns, two spaces apart; long cells are cut with an ellipsis."""
    head = [str(h) for h in headers]
    body = [[_cell(c) for c in row] for row in rows]
    widths = [max([len(head[i])] + [len(r[i]) for r in body]) for i in range(len(head))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in body]
    return "\n".join(lines)


def _cell(value: Any, limit: int = 40) -> str:
    text = " ".join(str(value if value is not None else "").split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


class ProgressBar:
    """Progress on stderr: a redrawn bar on a terminal, a line per stage and quarter otherwise.

    Call it with an `engine.jobs.Progress` (or anything with stage/current/total/message), or use
    `update(current, total, stage, message)`. Silent when disabled (--json)."""

    def __init__(self, label: str = "", *, stream: TextIO | None = None, enabled: bool = True, width: int = 28):
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.width = width
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_draw = 0.0
        self._last_stage: str | None = None
        self._last_quarter = -1
        self._drawn = False

    def __call__(self, progress: Any) -> None:
        self.update(getattr(progress, "current", 0), getattr(progress, "total", 0),
                    getattr(progress, "stage", ""), getattr(progress, "message", ""),
                    getattr(progress, "eta_s", None))

    def update(self, current: float, total: float, stage: str = "", message: str = "",
               eta_s: float | None = None) -> None:
        if not self.enabled:
            return
        fraction = min(1.0, max(0.0, current / total)) if total else 0.0
        prefix = " ".join(p for p in (self.label, stage) if p)
        if self.tty:
            now = time.monotonic()
            if now - self._last_draw < 0.1 and fraction < 1.0 and stage == self._last_stage:
                return
            self._last_draw, self._last_stage = now, stage
            filled = int(round(fraction * self.width))
            eta = f" ~{eta_s:.0f}s" if eta_s else ""
            line = f"\r{prefix} [{'#' * filled}{'.' * (self.width - filled)}] {fraction * 100:3.0f}%{eta} {message}"
            self.stream.write(line[:160].ljust(80))
            self._drawn = True
        else:
            quarter = int(fraction * 4)
            if stage == self._last_stage and quarter == self._last_quarter:
                return
            self._last_stage, self._last_quarter = stage, quarter
            tail = f" {current:g}/{total:g}" if total else ""
            self.stream.write(f"{prefix}:{tail} {fraction * 100:.0f}% {message}".rstrip() + "\n")
        self.stream.flush()

    def done(self, message: str = "") -> None:
        if not self.enabled:
            return
        if self.tty and self._drawn:
            self.stream.write("\n")
        if message:
            self.stream.write(message + "\n")
        self.stream.flush()
        self._drawn = False

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.done()


def progress_for(args: argparse.Namespace, label: str = "") -> ProgressBar:
    """The progress bar a command should use: silent with --json (stdout is one JSON document)."""
    return ProgressBar(label, enabled=not getattr(args, "json", False))


def parse_lora_flags(doc: Any, values: list[str]) -> tuple:
    """`--lora FILE[:WEIGHT[:TRIGGER WORDS]]` (repeatable; '' clears) -> LoraRefs, each file checked and
    copied into the project's media/loras/ (shots and bible entries alike)."""
    from ..errors import UserError
    from ..media import import_lora
    from ..model import LoraRef
    out = []
    for raw in values:
        if not str(raw).strip():
            continue
        path, found, rest = str(raw).partition(".safetensors")
        if not found:
            raise UserError(f"--lora {raw!r}: a LoRA is a .safetensors file")
        weight, trigger = 1.0, ""
        if rest.startswith(":"):
            weight_text, _, trigger = rest[1:].partition(":")
            try:
                weight = float(weight_text or 1.0)
            except ValueError:
                raise UserError(f"--lora {raw!r}: weight {weight_text!r} is not a number") from None
        elif rest:
            raise UserError(f"--lora {raw!r}: expected FILE.safetensors[:WEIGHT[:TRIGGER]]")
        try:
            ref = LoraRef("check.safetensors", weight, trigger.strip())   # weight/trigger refused before copying
        except ValueError as exc:
            raise UserError(f"--lora {raw!r}: {exc}") from None
        out.append(ref.with_(path=import_lora(doc, path + ".safetensors")))
    return tuple(out)
