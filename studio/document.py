"""The Document: one open project, its undo history and its store. The only entry point for edits.

Who calls: the Qt app (through its item models and inspector), the CLI, and headless code (demo,
generate, import). Every edit is a `studio.commands` command run by `execute`: validated, applied,
and persisted with its history step in ONE SQLite transaction; if the write fails, the command is
undone in memory and the error is raised, so model and disk never disagree. Subscribers are told
synchronously on the calling thread (the GUI thread in the app).

Recording a take (`record_take`) is not an undo step: a generated take is kept whatever the user
undoes; choosing, trashing and restoring takes are commands.
"""
from __future__ import annotations

import copy
import logging
import os
import threading
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable

from engine.fsio import remove_partials

from . import consent_commands as _consent_commands  # noqa: F401  registers them: a saved history replays
from .changes import Change, ChangeKind
from .commands import Command, Macro, command_from_dict
from .errors import ProjectFileError, UserError
from .model import Project, Sequence, Take, TakeStatus, ValidationError, new_id
from .store import DB_NAME, HistoryWrite, SQLiteJobStore, Store

__all__ = ["Document", "Change", "ChangeKind", "MEDIA_SUBDIRS", "HISTORY_LIMIT"]

log = logging.getLogger(__name__)

MEDIA_SUBDIRS = ("takes", "proxies", "thumbnails", "audio", "imports", "exports")
HISTORY_LIMIT = 1000  # undo steps kept; older ones are dropped from memory and disk


def _resolve_folder(path: str | os.PathLike) -> Path:
    """A project is its folder; a path to its project.db is accepted too."""
    path = Path(path).expanduser()
    if path.name == DB_NAME and path.is_file():
        return path.parent
    return path


class Document:
    def __init__(self, folder: Path, store: Store, project: Project,
                 history: list[Command] | None = None, index: int = 0, base: int = 0):
        # Absolute always: engine requests carry absolute paths, and a relative folder would change
        # meaning if anything changed the working directory.
        self.folder = Path(folder).resolve()
        self.media_dir = self.folder / "media"
        self.store = store
        self.project = project
        self._stack: list[Command] = list(history or [])
        self._index = index           # commands applied (undo moves it down, redo up)
        self._base = base             # absolute history position of _stack[0]
        self._clean = index
        self._mergeable = False       # the top command was executed in this session, no undo since
        self._subscribers: list[Callable[[Change], None]] = []
        self._closed = False
        self._thread = threading.get_ident()
        self.job_store = SQLiteJobStore(store, on_change=self._job_changed)

    # ---- opening -----------------------------------------------------------------------------
    @classmethod
    def create(cls, path: str | os.PathLike, name: str | None = None, fps: Fraction | int | str = 24,
               width: int = 1280, height: int = 720) -> "Document":
        """A new project folder at `path` ('projects/heist.shotreel') with one empty scene."""
        folder = Path(path).expanduser()
        if (folder / DB_NAME).exists():
            raise UserError(f"{folder} is already a Shotreel project: open it instead")
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise UserError(f"{folder} already exists and is not an empty folder")
        if name is None:
            name = folder.name[:-len(".shotreel")] if folder.name.endswith(".shotreel") else folder.name
        project = Project(name or "Untitled", fps, width, height, sequences=[Sequence(new_id("sq"), "")])
        created = not folder.exists()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for sub in MEDIA_SUBDIRS:
                (folder / "media" / sub).mkdir(parents=True, exist_ok=True)
            store = Store.create(folder / DB_NAME, project)
        except OSError as exc:
            raise UserError(f"cannot create {folder}: {exc.strerror or exc}") from None
        except BaseException:
            if created:
                _remove_empty_tree(folder)
            raise
        return cls(folder, store, project)

    @classmethod
    def open(cls, path: str | os.PathLike, *, readonly: bool = False) -> "Document":
        """Open a project folder. Corrupt, foreign and newer files are refused untouched. `readonly` reads a
        snapshot and writes nothing at all (listing commands; they work on a full disk); edits are refused."""
        folder = _resolve_folder(path)
        if not folder.exists():
            raise ProjectFileError(f"no project at {folder}")
        if not (folder / DB_NAME).is_file():
            raise ProjectFileError(f"{folder} is not a Shotreel project (there is no {DB_NAME} inside)")
        store = Store.open(folder / DB_NAME, readonly=readonly)
        try:
            project, (base, index, rows) = store.load()
            try:
                history = [command_from_dict(r) for r in rows]
            except (ValidationError, KeyError, TypeError, ValueError) as exc:
                log.warning("dropping an unreadable undo history of %s: %s", folder, exc)
                if not readonly:
                    store.clear_history()
                history, index, base = [], 0, 0
        except ProjectFileError:
            store.close()
            raise
        except Exception as exc:
            store.close()
            raise ProjectFileError(f"{folder.name} holds data this Shotreel cannot read ({exc})") from None
        if not readonly:
            for sub in MEDIA_SUBDIRS:
                (folder / "media" / sub).mkdir(parents=True, exist_ok=True)
            remove_partials(folder / "media")  # leftovers of a crash mid-write
        return cls(folder, store, project, history, index, base)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.store.close()

    def __enter__(self) -> "Document":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise UserError("the project is closed")

    # ---- paths -------------------------------------------------------------------------------
    def abspath(self, rel: str) -> Path:
        """A project-relative media path as an absolute path (refuses paths leaving the folder)."""
        path = (self.folder / rel).resolve()
        if not path.is_relative_to(self.folder.resolve()):
            raise UserError(f"{rel} is outside the project folder")
        return path

    def relpath(self, abs_path: str | os.PathLike) -> str:
        path = Path(abs_path).resolve()
        try:
            return path.relative_to(self.folder.resolve()).as_posix()
        except ValueError:
            raise UserError(f"{abs_path} is outside the project folder {self.folder}: import it first") from None

    # ---- edits -------------------------------------------------------------------------------
    def execute(self, cmd: Command) -> None:
        """Apply, persist (one transaction) and record `cmd`. ValidationError: nothing changed."""
        self._check_open()
        if isinstance(cmd, Macro) and not cmd.commands:
            return
        top = self._stack[self._index - 1] if self._mergeable and self._index == len(self._stack) else None
        changes = cmd.redo(self.project)
        saved_top = copy.copy(top)  # merge_with replaces attributes: a shallow copy rolls it back
        merged = top is not None and top.merge_with(cmd)
        pos = self._base + self._index
        try:
            if merged:
                history = HistoryWrite(index=self._index, base=self._base, put=(pos - 1, top.to_dict()))
            else:
                drop = max(0, self._index + 1 - HISTORY_LIMIT)
                history = HistoryWrite(index=self._index + 1 - drop, base=self._base + drop,
                                       put=(pos, cmd.to_dict()), truncate_from=pos)
            self.store.write(self.project, changes, history)
        except BaseException:
            cmd.undo(self.project)
            if merged:
                self._stack[self._index - 1] = saved_top
            raise
        if merged:
            if self._clean == self._index:
                self._clean = -1  # the saved state was the one before this merge: unreachable now
        else:
            del self._stack[self._index:]
            if self._clean > self._index:
                self._clean = -1
            self._stack.append(cmd)
            self._index += 1
            drop = max(0, self._index - HISTORY_LIMIT)
            if drop:
                del self._stack[:drop]
                self._index -= drop
                self._base += drop
                self._clean -= drop
        self._mergeable = True
        self._notify(changes + [Change(ChangeKind.HISTORY)])

    def undo(self) -> str | None:
        """Undo the last step. Returns its label, None when there is nothing to undo."""
        self._check_open()
        if not self.can_undo:
            return None
        cmd = self._stack[self._index - 1]
        changes = cmd.undo(self.project)
        try:
            self.store.write(self.project, changes, HistoryWrite(index=self._index - 1, base=self._base))
        except BaseException:
            cmd.redo(self.project)
            raise
        self._index -= 1
        self._mergeable = False
        self._notify(changes + [Change(ChangeKind.HISTORY)])
        return cmd.text

    def redo(self) -> str | None:
        self._check_open()
        if not self.can_redo:
            return None
        cmd = self._stack[self._index]
        changes = cmd.redo(self.project)
        try:
            self.store.write(self.project, changes, HistoryWrite(index=self._index + 1, base=self._base))
        except BaseException:
            cmd.undo(self.project)
            raise
        self._index += 1
        self._mergeable = False
        self._notify(changes + [Change(ChangeKind.HISTORY)])
        return cmd.text

    def end_gesture(self) -> None:
        """The user finished one gesture (focus left a field, a drag ended): the next edit starts a new
        undo step even if it sets the same thing. Within a gesture, edits of the same parts merge."""
        self._mergeable = False

    @property
    def can_undo(self) -> bool:
        return self._index > 0

    @property
    def can_redo(self) -> bool:
        return self._index < len(self._stack)

    @property
    def undo_text(self) -> str:
        return self._stack[self._index - 1].text if self.can_undo else ""

    @property
    def redo_text(self) -> str:
        return self._stack[self._index].text if self.can_redo else ""

    @property
    def history(self) -> list[str]:
        """Labels of the undo stack, oldest first (`history_index` of them are applied)."""
        return [c.text for c in self._stack]

    @property
    def history_index(self) -> int:
        return self._index

    @property
    def is_clean(self) -> bool:
        return self._index == self._clean

    def mark_clean(self) -> None:
        self._clean = self._index
        self._notify([Change(ChangeKind.HISTORY)])

    def clear_history(self) -> None:
        """Forget every undo step (after building a project programmatically, e.g. the demo)."""
        self._check_open()
        self.store.clear_history()
        self._stack, self._index, self._base, self._clean, self._mergeable = [], 0, 0, 0, False
        self._notify([Change(ChangeKind.HISTORY)])

    # ---- takes -------------------------------------------------------------------------------
    def record_take(self, take: Take, *, select: bool = True) -> None:
        """Keep a finished take (not an undo step). With select, it becomes the shot's take when the
        shot still exists; trims are kept when they fit the new take."""
        self._check_open()
        if take.id in self.project.takes:
            raise ValidationError(f"take {take.id} is already recorded")
        changes = [Change(ChangeKind.TAKE_RECORDED, (take.id,))]
        before = None
        self.project.takes[take.id] = take
        try:
            if select and take.status is TakeStatus.READY:
                try:
                    seq, index, shot = self.project.find_shot(take.shot_id)
                except ValidationError:
                    shot = None
                if shot is not None:
                    values: dict[str, Any] = {"selected_take": take.id}
                    frames = take.frames or shot.duration
                    if shot.trim_in >= frames or shot.trim_out > frames:
                        values.update(trim_in=0, trim_out=0)
                    before = (seq, index, shot)
                    seq.shots[index] = shot.with_(**values)
                    changes.append(Change(ChangeKind.SHOT_CHANGED, (shot.id,)))
            self.store.write(self.project, changes)
        except BaseException:
            del self.project.takes[take.id]
            if before is not None:
                seq, index, shot = before
                seq.shots[index] = shot
            raise
        self._notify(changes)

    # ---- settings ----------------------------------------------------------------------------
    def get_setting(self, key: str, default: Any = None) -> Any:
        return self.project.settings.get(key, default)

    # ---- notifications -----------------------------------------------------------------------
    def subscribe(self, fn: Callable[[Change], None]) -> Callable[[], None]:
        self._subscribers.append(fn)

        def unsubscribe() -> None:
            if fn in self._subscribers:
                self._subscribers.remove(fn)
        return unsubscribe

    def _notify(self, changes: list[Change]) -> None:
        for change in changes:
            for fn in list(self._subscribers):
                try:
                    fn(change)
                except Exception:  # a broken view must not undo a saved edit; it is a bug to log
                    log.exception("a document subscriber failed on %s", change)

    def _job_changed(self, job_id: str) -> None:
        # job records are saved from the engine thread: only tell subscribers on the document's thread
        if threading.get_ident() == self._thread:
            self._notify([Change(ChangeKind.JOBS, (job_id,))])

    def __repr__(self) -> str:
        return f"Document({self.folder}, {self.project!r})"


def _remove_empty_tree(folder: Path) -> None:
    """Undo a failed create: remove the folders it made (and nothing that holds a file)."""
    for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_dir():
            try:
                path.rmdir()
            except OSError:
                pass
    try:
        folder.rmdir()
    except OSError:
        pass
