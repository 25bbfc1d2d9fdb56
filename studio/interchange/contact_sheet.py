"""Contact sheet: every shot's picture in a numbered grid on one PNG, for a quick look at the whole cut.

Pictures are the same the storyboard PDF uses (selected take's thumbnail, else the board, else an empty
frame with the shot size). Called by `shotreel export ... -o FILE.png`.
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, UnidentifiedImageError

from engine.fsio import atomic_path

from ..errors import UserError
from ..model import Project
from ..timebase import format_duration
from .cut import CutShot, cut_shots, picture_for
from .fonts import pil_font

BACKGROUND = (24, 24, 27)
CELL_BG = (44, 44, 48)
TEXT = (235, 235, 238)
MUTED = (150, 150, 158)
ACCENT = (214, 74, 52)


def sheet_geometry(count: int, columns: int, cell_width: int, aspect: float) -> tuple[int, int, int, int]:
    """(image width, image height, picture height, label height) for `count` shots: what the tests check."""
    columns = max(1, min(columns, count))
    rows = -(-count // columns)
    pad = max(8, cell_width // 24)
    pic_h = round(cell_width / aspect)
    label_h = max(22, cell_width // 9)
    width = pad + columns * (cell_width + pad)
    height = pad + rows * (pic_h + label_h + pad)
    return width, height, pic_h, label_h


def _fit(path: Path | None, size: tuple[int, int]) -> Image.Image | None:
    if path is None:
        return None
    try:
        with Image.open(path) as im:
            im.draft("RGB", size)
            image = im.convert("RGB")
    except (OSError, UnidentifiedImageError, ValueError):
        return None
    image.thumbnail(size)  # bicubic with a reducing gap: fast on big board drawings
    return image


def _placeholder(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], item: CutShot, font) -> None:
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    for k in (1, 2):
        draw.line([(x0 + w * k // 3, y0), (x0 + w * k // 3, y1)], fill=(70, 70, 76))
        draw.line([(x0, y0 + h * k // 3), (x1, y0 + h * k // 3)], fill=(70, 70, 76))
    draw.text(((x0 + x1) // 2, (y0 + y1) // 2), item.shot.camera.shot_size.value, fill=MUTED, font=font, anchor="mm")


def export_contact_sheet(project: Project, folder: str | Path, out: str | Path, *, columns: int = 4,
                         cell_width: int = 320) -> Path:
    """Write a PNG grid of the cut's pictures with shot numbers, titles and durations. Atomic."""
    if not 1 <= columns <= 16:
        raise UserError(f"contact sheet columns: {columns} — choose 1 to 16")
    if not 64 <= cell_width <= 1920:
        raise UserError(f"contact sheet cell width: {cell_width}px — choose 64 to 1920")
    cut = cut_shots(project, folder)
    if not cut:
        raise UserError("the project has no shots for a contact sheet")
    aspect = project.width / project.height
    width, height, pic_h, label_h = sheet_geometry(len(cut), columns, cell_width, aspect)
    columns = max(1, min(columns, len(cut)))
    pad = max(8, cell_width // 24)
    sheet = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    number_font = pil_font(max(12, label_h * 2 // 3), "bold")
    text_font = pil_font(max(10, label_h // 2))
    for index, item in enumerate(cut):
        row, col = divmod(index, columns)
        x0 = pad + col * (cell_width + pad)
        y0 = pad + row * (pic_h + label_h + pad)
        box = (x0, y0, x0 + cell_width, y0 + pic_h)
        draw.rectangle(box, fill=CELL_BG)
        picture = _fit(picture_for(project, folder, item.shot), (cell_width, pic_h))
        if picture is not None:
            sheet.paste(picture, (x0 + (cell_width - picture.width) // 2, y0 + (pic_h - picture.height) // 2))
        else:
            _placeholder(draw, box, item, text_font)
        ly = y0 + pic_h + label_h // 2
        draw.text((x0, ly), str(item.number), fill=ACCENT, font=number_font, anchor="lm")
        number_w = draw.textlength(f"{item.number}  ", font=number_font)
        duration = format_duration(item.duration, project.fps)
        duration_w = draw.textlength(duration, font=text_font)
        title = item.shot.title or item.shot.prompt
        room = cell_width - number_w - duration_w - 8
        while title and draw.textlength(title, font=text_font) > room:
            title = title[:-2] + "…" if len(title) > 2 else ""
        draw.text((x0 + number_w, ly), title, fill=TEXT, font=text_font, anchor="lm")
        draw.text((x0 + cell_width, ly), duration, fill=MUTED, font=text_font, anchor="rm")
    out = Path(out)
    if out.suffix.lower() != ".png":
        raise UserError(f"{out.name}: a contact sheet is written as .png")
    with atomic_path(out) as tmp:
        sheet.save(tmp, format="PNG", optimize=False)
    return out
