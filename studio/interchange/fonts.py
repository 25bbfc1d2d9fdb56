"""Fonts for the storyboard PDF and the contact sheet: DejaVu when installed, else the built-in faces.

DejaVu covers accented Latin, Greek, Cyrillic and many symbols. The reportlab fallback (Helvetica) only
encodes Latin-1-ish text, so `pdf_safe` replaces what it cannot draw instead of failing the export.
CJK is not in DejaVu Sans either: those glyphs draw as boxes, which is still a usable handout.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
_FACES = {"regular": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf", "italic": "DejaVuSans-Oblique.ttf"}
_FALLBACK = {"regular": "Helvetica", "bold": "Helvetica-Bold", "italic": "Helvetica-Oblique"}


def font_file(face: str = "regular") -> Path | None:
    path = FONT_DIR / _FACES[face]
    return path if path.is_file() else None


@lru_cache(maxsize=None)
def _reportlab_faces(font_dir: str) -> tuple[dict[str, str], bool]:
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont, TTFError

    files = {face: Path(font_dir) / name for face, name in _FACES.items()}
    if not all(p.is_file() for p in files.values()):
        return dict(_FALLBACK), False
    names = {"regular": "ShotreelSans", "bold": "ShotreelSans-Bold", "italic": "ShotreelSans-Oblique"}
    try:
        for face, path in files.items():
            pdfmetrics.registerFont(TTFont(names[face], str(path)))
    except TTFError:  # a damaged font file: the built-in faces still work
        return dict(_FALLBACK), False
    addMapping(names["regular"], 0, 0, names["regular"])
    addMapping(names["regular"], 1, 0, names["bold"])
    addMapping(names["regular"], 0, 1, names["italic"])
    addMapping(names["regular"], 1, 1, names["bold"])
    return names, True


def reportlab_faces() -> tuple[dict[str, str], bool]:
    """({'regular','bold','italic'} -> reportlab font name, True when they are unicode TTFs)."""
    return _reportlab_faces(str(FONT_DIR))


def pdf_safe(text: str, unicode_ok: bool) -> str:
    if unicode_ok:
        return text
    return text.encode("cp1252", errors="replace").decode("cp1252")


def pil_font(size: int, face: str = "regular"):
    from PIL import ImageFont
    path = font_file(face)
    if path is not None:
        try:
            return ImageFont.truetype(str(path), size)
        except OSError:
            pass
    return ImageFont.load_default(size)
