"""Land a parsed import in a document as ONE undoable step.

Order matters for "bad input changes nothing": the parsers have already read and checked everything; here
the pictures and sounds are written into media/imports (each atomically), then one `Macro` adds the
characters that are new, the scenes and their shots. If writing a file or the macro fails, the files
written so far are removed and the document is as it was. Undo removes the scenes and characters; the
imported media stay on disk (harmless, and redo needs them).
Called by `shotreel import PROJECT FILE` and the File > Import menu.
"""
from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from engine.fsio import atomic_path

from ..commands import AddBibleEntry, AddSequence, AddShot, Command, Macro, RemoveSequence
from ..errors import UserError
from ..model import Continuity
from ..shotplan import build_plan
from .imported import ParsedImport, PendingFile


def _flatten(file: PendingFile, target: Path) -> None:
    """Storyboarder layers onto white, in order, each at its opacity."""
    size = file.size
    canvas = None
    for path, opacity in file.sources:
        try:
            with Image.open(path) as im:
                layer = im.convert("RGBA")
        except (OSError, UnidentifiedImageError, ValueError) as exc:
            raise UserError(f"cannot read the image {path.name}: {exc}") from None
        if canvas is None:
            size = size or layer.size
            canvas = Image.new("RGBA", size, (255, 255, 255, 255))
        if layer.size != size:
            layer = layer.resize(size, Image.Resampling.LANCZOS)
        if opacity < 1.0:
            alpha = layer.getchannel("A").point(lambda a: int(a * opacity + 0.5))
            layer.putalpha(alpha)
        canvas = Image.alpha_composite(canvas, layer)
    assert canvas is not None
    with atomic_path(target) as tmp:
        canvas.convert("RGB").save(tmp, format="PNG")


def _copy(file: PendingFile, target: Path) -> None:
    source = file.sources[0][0]
    with atomic_path(target) as tmp:
        try:
            shutil.copyfile(source, tmp)
        except FileNotFoundError:
            raise UserError(f"{source.name} disappeared while importing") from None


def write_files(folder: Path, files: list[PendingFile]) -> list[Path]:
    """Write every pending file under `folder`; on any failure remove the ones already written and raise."""
    written: list[Path] = []
    root = folder.resolve()
    try:
        for file in files:
            target = (folder / file.dest).resolve()
            if not target.is_relative_to(root):
                raise UserError(f"{file.dest} would land outside the project folder")
            if target.exists():
                raise UserError(f"{file.dest} already exists in the project: not overwriting it")
            (_flatten if file.composite else _copy)(file, target)
            written.append(target)
    except BaseException:
        remove_files(written)
        raise
    return written


def remove_files(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()
    for parent in sorted({p.parent for p in paths}, key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):
            parent.rmdir()  # only when empty


def build_macro(project, parsed: ParsedImport) -> Macro:
    """The undoable step: characters new to the bible, then each scene and its shots (at the end)."""
    commands: list[Command] = []
    ids: dict[str, str] = {}
    for entry in parsed.bible:
        existing = project.bible_by_name(entry.name, entry.kind)
        if existing is not None:
            ids[entry.id] = existing.id  # same character already in the bible: reuse it
        else:
            ids[entry.id] = entry.id
            commands.append(AddBibleEntry(entry))
    for seq in parsed.sequences:
        commands.append(AddSequence(seq.id, seq.heading))
        for n, shot in enumerate(seq.shots):
            refs = tuple(dict.fromkeys(ids.get(r, r) for r in shot.bible_refs))
            notes = shot.notes
            if n == 0 and seq.notes.strip():  # scene synopsis: AddSequence has no notes, keep it on shot 1
                notes = f"Scene: {seq.notes.strip()}" + (f"\n{notes}" if notes else "")
            # An imported scene starts fresh; a shot chains on only when its words continue the setup.
            continuity = Continuity.NONE if n == 0 else (
                Continuity.PREVIOUS if build_plan(seq.heading, shot.prompt).continues_setup else Continuity.NONE)
            commands.append(AddShot(seq.id, shot.with_(bible_refs=refs, notes=notes, continuity=continuity)))
    blank = [s for s in project.sequences if not s.shots and not s.heading.strip()]
    if len(project.sequences) == 1 and blank:  # a new project's placeholder scene: the import replaces it
        commands.append(RemoveSequence(blank[0].id))
    return Macro(f"Import {parsed.source.name}", commands)


def import_into(document, parsed: ParsedImport) -> None:
    """Write the import's media and apply it as one undo step ('Import night.fountain'). All or nothing."""
    if not parsed.shot_count:
        raise UserError(f"{parsed.source.name}: nothing to import")
    macro = build_macro(document.project, parsed)
    written = write_files(Path(document.folder), parsed.files)
    try:
        document.execute(macro)
    except BaseException:
        remove_files(written)
        raise
