"""The export's signing step: the C2PA manifest written into the finished temporary file before it gets its
final name (`studio.export` calls the signer as its `finish`), so the final name never holds an unsigned
or partial file.

Who calls: `studio.export.export_and_sign`."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from .model import Project


def _training_mining(value: Any) -> dict:
    """project.settings['training_mining']: one use for every entry ('notAllowed') or a dict per entry."""
    if isinstance(value, str) or value is None:
        use = value or "notAllowed"
        return {k: {"use": use} for k in ("ai_inference", "ai_generative_training", "ai_training", "data_mining")}
    return dict(value)


def make_signer(project: Project, identity: Any = None, stems: bool = False) -> Callable[[Path, Any], None]:
    """`sign(tmp, result)` for an ExportResult or AudioExportResult, with the studio identity (or `identity`).
    Builds without studio.provenance sign nothing; stem folders keep no identity loaded."""
    try:
        from .provenance import TakeIngredient
        from .identity import load_or_create_identity
    except ImportError:
        TakeIngredient = None
    if TakeIngredient is not None and identity is None and not stems:
        identity = load_or_create_identity()

    def sign(tmp: Path, result: Any) -> None:
        if TakeIngredient is None:
            return
        from . import provenance
        if not hasattr(result, "watermark"):  # an AudioExportResult (the mix WAV)
            watermark, edits = False, ["audio mixed"]
        else:
            watermark = result.watermark
            edits = [f"cut conformed to {result.width}x{result.height} at {float(result.fps):g} fps",
                     f"visible watermark {'on' if result.watermark else 'off'}"]
            if result.has_audio:
                edits.append("audio mixed")
        provenance.sign_export(identity, tmp,
                               ingredients=[TakeIngredient(Path(i.path), title=i.title) for i in result.ingredients],
                               watermark=watermark,
                               training_mining=_training_mining(project.settings.get("training_mining")),
                               title=project.name, edits=edits,
                               likenesses=list(result.likenesses))

    return sign
