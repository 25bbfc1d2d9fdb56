"""Copy a user's file into the project (`media/<subdir>`) so the project stays self-contained and movable.

The copy is written under a temporary name and renamed when complete (`engine.fsio.atomic_path`), so a
crash never leaves half a file that the project points at. The name keeps the original stem plus a short
content hash: importing the same file twice reuses the first copy. Used by the bible panel and the CLI.
"""
from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

from engine.fsio import atomic_path

from .errors import UserError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:10]


def import_file(doc, source: str | Path, subdir: str = "imports") -> str:
    """Copy `source` into media/<subdir>/ and return its project-relative path."""
    source = Path(source)
    if not source.is_file():
        raise UserError(f"{source} is not a file")
    stem = re.sub(r"[^A-Za-z0-9_\-]+", "_", source.stem).strip("_")[:48] or "file"
    try:
        name = f"{stem}-{_digest(source)}{source.suffix.lower()}"
    except OSError as exc:
        raise UserError(f"cannot read {source.name}: {exc.strerror or exc}") from None
    target = doc.media_dir / subdir / name
    if not target.exists():
        with atomic_path(target) as tmp:
            shutil.copyfile(source, tmp)
    return doc.relpath(target)


def check_safetensors(path: Path) -> None:
    """Refuse a file that is not a safetensors file: its first 8 bytes are the little-endian length of
    a JSON object header (the format's own definition). A pickle (.bin/.ckpt/.pt) can run code when
    loaded, so nothing else is accepted as a LoRA."""
    import json
    import struct
    if path.suffix.lower() != ".safetensors":
        raise UserError(f"{path.name}: a LoRA is a .safetensors file (a pickle .bin/.ckpt/.pt can run code)")
    if not path.is_file():
        raise UserError(f"{path} is not a file")
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
            size = struct.unpack("<Q", head)[0] if len(head) == 8 else 0
            header = json.loads(fh.read(size)) if 1 < size <= 100_000_000 else None
    except OSError as exc:
        raise UserError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    except ValueError:
        header = None
    if not isinstance(header, dict):
        raise UserError(f"{path.name} is not a safetensors file (its header does not read)")


def import_lora(doc, source: str | Path) -> str:
    """Like `import_file` into media/loras/, refusing anything but a readable safetensors file (checked
    before copying). One place for shot and bible-entry LoRAs."""
    path = Path(source).expanduser()
    check_safetensors(path)
    return import_file(doc, path, "loras")


def import_picture(doc, source: str | Path) -> str:
    """Like `import_file`, refusing a file that does not decode as a picture (checked before copying)."""
    import cv2  # the engine's image library; no Qt here
    path = Path(source)
    if not path.is_file():
        raise UserError(f"{source} is not a file")
    if cv2.imread(str(path), cv2.IMREAD_REDUCED_GRAYSCALE_8) is None:
        raise UserError(f"{path.name} is not a picture Shotreel can read (PNG, JPEG, WebP, BMP or TIFF)")
    return import_file(doc, path)


def import_model(doc, source: str | Path) -> str:
    """Like `import_file` into media/models/, refusing a GLB the previs would refuse (broken, or
    reaching outside itself) with that one line, checked before copying."""
    from engine.errors import EngineError
    from engine.previs.assets import check_glb
    path = Path(source)
    if not path.is_file():
        raise UserError(f"{source} is not a file")
    if path.suffix.lower() != ".glb":
        raise UserError(f"{path.name}: only glTF binary (.glb) models are read; export it from Blender as .glb")
    try:
        check_glb(path)
    except EngineError as exc:
        raise UserError(exc.message) from None
    return import_file(doc, path, "models")
