"""`shotreel export`: the finished cut (signed MP4/MOV/GIF, WAV mix or stems) or a file for editors
(OTIO, FCP 7 XML, FCPXML, EDL), a storyboard PDF or a contact sheet. The extension picks the format."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Callable

from ..errors import UserError
from .common import add_command, emit, open_document, progress_for

MEDIA_EXTENSIONS = {".mp4", ".m4v", ".mov", ".gif", ".wav"}
INTERCHANGE_EXTENSIONS = {".otio", ".xml", ".fcpxml", ".edl", ".pdf", ".png"}


def register(subparsers: Any) -> None:
    p = add_command(subparsers, "export", "Export the cut (.mp4 .mov .gif .wav, a folder with --stems) or a "
                    "file for editors (.otio .xml .fcpxml .edl), a storyboard .pdf or a contact sheet .png",
                    run_export)
    p.add_argument("project")
    p.add_argument("-o", "--output", metavar="FILE", help="where to write; the extension picks the format "
                   "(required unless --stems DIR names the folder)")
    p.add_argument("--preset", choices=("1080p", "720p", "source", "prores", "gif"),
                   help="video preset (default: source size for .mp4, ProRes for .mov)")
    p.add_argument("--no-watermark", action="store_true", help="turn the visible moving watermark off")
    p.add_argument("--stems", nargs="?", const=True, default=False, metavar="DIR",
                   help="WAV stems per cue kind (dialogue, sfx, ambience, music) plus mix.wav into DIR, "
                        "or into the -o folder")
    p.add_argument("--no-sign", action="store_true", help="do not sign the file with Content Credentials")
    p.add_argument("--scene", help="only this scene (id)")
    p.add_argument("--paper", choices=("a4", "letter"), help="storyboard PDF paper size (landscape)")
    p.add_argument("--per-page", type=int, choices=(3, 6), help="storyboard PDF panels per page")
    p.add_argument("--relative", action="store_true", help="timelines reference media relative to the project")


def export_any(doc: Any, output: str | Path, *, preset: str | None = None, watermark: bool = True,
               stems: bool = False, sign: bool = True, sequence_id: str | None = None,
               interchange: dict | None = None, progress: Callable | None = None) -> tuple[dict, str]:
    """Export `doc`'s cut to `output` by its extension. Returns (JSON record, one human line).
    Shared by `shotreel export` and `shotreel demo --export`."""
    out = Path(output).expanduser()
    ext = out.suffix.lower()
    if ext in INTERCHANGE_EXTENSIONS:
        from ..interchange import export_file
        written = export_file(doc.project, doc.folder, out, **{k: v for k, v in (interchange or {}).items()
                                                              if v is not None})
        return {"path": str(Path(written).resolve()), "format": ext.lstrip(".")}, f"wrote {written}"
    if ext not in MEDIA_EXTENSIONS and not (stems or not ext):
        known = " ".join(sorted(MEDIA_EXTENSIONS | INTERCHANGE_EXTENSIONS))
        raise UserError(f"cannot export to {out.name}: use one of {known} (or a folder with --stems)")
    from ..export import export_and_sign, export_audio, export_video, is_audio_target
    from ..watermark import WatermarkSettings
    kwargs: dict[str, Any] = {"sequence_id": sequence_id}
    if not is_audio_target(out, stems):
        mark = WatermarkSettings.from_settings(doc.project.settings.get("watermark"))
        kwargs.update(preset=preset, progress=progress, watermark=mark if watermark else mark.disabled())
    if sign:
        result = export_and_sign(doc.project, doc.folder, out, stems=stems, **kwargs)
    elif is_audio_target(out, stems):
        result = export_audio(doc.project, doc.folder, out, stems=stems, sequence_id=sequence_id)
    else:
        result = export_video(doc.project, doc.folder, out, **kwargs)
    record = {"path": result.path, "signed": sign and not getattr(result, "stems", None),
              "takes": [i.take_id for i in result.ingredients], "warnings": list(result.warnings)}
    if hasattr(result, "width"):
        record.update(preset=result.preset, width=result.width, height=result.height, fps=str(result.fps),
                      frames=result.frames, duration_s=round(result.duration_s, 3), watermark=result.watermark,
                      audio=result.has_audio, seconds=round(result.elapsed_s, 2))
        text = result.summary()
    else:
        record.update(stems=result.stems, duration_s=round(result.duration_s, 3))
        text = f"{Path(result.path).name}: {result.duration_s:.2f}s of 48 kHz audio" + \
            (f" + {len(result.stems)} stems" if result.stems else "")
    if record["signed"]:
        text += ", signed with Content Credentials (check with `shotreel verify`)"
    return record, text


def _output_and_stems(args: argparse.Namespace) -> tuple[str, bool]:
    """`-o FILE`, `-o DIR --stems` or `--stems DIR` (as the README writes it)."""
    stems_dir = args.stems if isinstance(args.stems, str) else None
    if stems_dir and args.output and Path(stems_dir) != Path(args.output):
        raise UserError(f"give the stems folder once: --stems {stems_dir} or -o {args.output} --stems")
    output = args.output or stems_dir
    if not output:
        raise UserError("say where to write: -o FILE (the extension picks the format) or --stems DIR")
    return output, bool(args.stems)


def run_export(args: argparse.Namespace) -> int:
    output, stems = _output_and_stems(args)
    args.output, args.stems = output, stems
    with open_document(args.project) as doc:
        bar = progress_for(args, "export")
        with bar:
            record, text = export_any(doc, args.output, preset=args.preset, watermark=not args.no_watermark,
                                      stems=args.stems, sign=not args.no_sign, sequence_id=args.scene,
                                      interchange={"paper": args.paper, "per_page": args.per_page,
                                                   "relative": args.relative or None},
                                      progress=bar)
        emit(args, record, "\n".join([text] + [f"warning: {w}" for w in record.get("warnings", [])]))
    return 0
