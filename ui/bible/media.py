"""Copy a user's file into the project (`media/imports`) so the project stays self-contained and movable.

The copy is written under a temporary name and renamed when complete (`engine.fsio.atomic_path`), so a
crash never leaves half a picture that the bible points at. The name keeps the original stem plus a
short content hash: importing the same file twice reuses the first copy.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QImageReader

from studio.errors import UserError
from studio.media import import_file  # noqa: F401  (the one copy routine; re-exported for the panel)

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff)"


def import_image(doc, source: str | Path) -> str:
    """Like `import_file`, refusing a file Qt cannot read as a picture (before anything is copied)."""
    reader = QImageReader(str(source))
    if not reader.canRead():
        raise UserError(f"{Path(source).name} is not a picture Shotreel can read ({reader.errorString()})")
    return import_file(doc, source)
