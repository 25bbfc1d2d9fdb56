"""Editor interchange, handouts and imports: what leaves the studio for other tools and what comes in.

- `otio_export`: the cut as OTIO (lossless master) and FCP 7 XML / FCPXML / CMX 3600 EDL via the adapters.
- `pdf`: the storyboard PDF; `contact_sheet`: the PNG grid.
- `fountain`, `storyboarder`: parsers producing plain model objects; `apply.import_into` lands them as one
  undoable step.

`export_file` / `import_file` pick the format from the file extension (the CLI and the dialogs call these).
Heavy libraries (reportlab, OTIO) load only when their format is used.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import UserError

TIMELINE_SUFFIXES = (".otio", ".xml", ".fcpxml", ".edl")
EXPORT_SUFFIXES = TIMELINE_SUFFIXES + (".pdf", ".png")
IMPORT_SUFFIXES = (".fountain", ".storyboarder")


_OPTIONS = {"timeline": {"relative", "audio"}, ".pdf": {"paper", "per_page"}, ".png": {"columns", "cell_width"}}


def export_file(project, folder: str | Path, out: str | Path, **options: Any) -> Path:
    """Write `out` in the format its extension names. options: relative, audio (timelines); paper, per_page (PDF);
    columns, cell_width (contact sheet). None values are ignored; an option the format has not is refused."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        raise UserError(f"{out.name}: interchange export writes {', '.join(EXPORT_SUFFIXES)}")
    options = {k: v for k, v in options.items() if v is not None}
    allowed = _OPTIONS["timeline" if suffix in TIMELINE_SUFFIXES else suffix]
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise UserError(f"{', '.join(unknown)}: not an option of a {suffix} export "
                        f"(it takes {', '.join(sorted(allowed))})")
    # a timeline, board or sheet shows the takes too: the likeness consent applies as to a movie export
    from ..consent import check_export, record_export
    from ..playlist import build_edit_list
    edit = build_edit_list(project, folder=folder)
    likenesses = check_export(project, edit, folder)
    if suffix in TIMELINE_SUFFIXES:
        from .otio_export import export_timeline
        written = export_timeline(project, folder, out, **options)
    elif suffix == ".pdf":
        from .pdf import export_storyboard_pdf
        written = export_storyboard_pdf(project, folder, out, **options)
    else:
        from .contact_sheet import export_contact_sheet
        written = export_contact_sheet(project, folder, out, **options)
    record_export(folder, written, likenesses, ((e.shot_id, e.take_id) for e in edit.playable))
    return written


def parse_import(path: str | Path, fps=24):
    """Parse (and check) an import file without changing anything: a `ParsedImport`."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".fountain":
        from .fountain import parse_fountain
        return parse_fountain(path, fps)
    if suffix == ".storyboarder":
        from .storyboarder import parse_storyboarder
        return parse_storyboarder(path, fps)
    raise UserError(f"{path.name}: import reads {', '.join(IMPORT_SUFFIXES)}")


def import_file(document, path: str | Path):
    """Parse `path` and add it to the document as one undoable step. Returns the `ParsedImport`
    (its `summary()` and `warnings` are for the user)."""
    from .apply import import_into
    parsed = parse_import(path, document.project.fps)
    import_into(document, parsed)
    return parsed
