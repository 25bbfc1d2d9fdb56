"""Storyboard PDF: the handout a filmmaker gives the crew.

A title page (project, totals, the scenes with their shots and first page), then panels in reading order,
3 (one row) or 6 (two rows) to a landscape A4 or Letter page, each scene starting on a new page under its
heading. A panel shows the shot's picture (selected take's thumbnail, else its board image, else a drawn
placeholder frame), the shot number, duration and record timecode, the action, dialogue, camera / motion /
audio cues, the transition in and the notes. Called by `shotreel export ... -o FILE.pdf` and the export dialog.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from engine.fsio import atomic_path

from ..errors import UserError
from ..model import Project
from ..timebase import format_duration, format_timecode
from .cut import CutShot, cut_shots, picture_for
from .fonts import pdf_safe, reportlab_faces

PAPERS = ("a4", "letter")
PANELS_PER_PAGE = (3, 6)
_MAX_PICTURE_PX = 800     # pictures are downscaled before embedding: ~190 dpi on the 3-per-page layout

_INK = (0.12, 0.12, 0.14)
_MUTED = (0.42, 0.42, 0.46)
_RULE = (0.78, 0.78, 0.8)
_ACCENT = (0.78, 0.22, 0.16)


@dataclass(frozen=True)
class _Layout:
    width: float
    height: float
    margin: float = 30.0
    header: float = 34.0
    footer: float = 20.0
    gap: float = 16.0


def _page_size(paper: str) -> tuple[float, float]:
    from reportlab.lib.pagesizes import A4, landscape, letter
    key = str(paper).strip().lower()
    if key not in PAPERS:
        raise UserError(f"paper size {paper!r}: choose a4 or letter")
    return landscape(A4 if key == "a4" else letter)


def _pages(cut: list[CutShot], per_page: int) -> list[list[CutShot]]:
    """Panels grouped into pages; a new scene always starts a new page."""
    pages: list[list[CutShot]] = []
    for item in cut:
        if not pages or len(pages[-1]) == per_page or pages[-1][-1].sequence is not item.sequence:
            pages.append([])
        pages[-1].append(item)
    return pages


def page_count(project: Project, per_page: int = 6) -> int:
    """Pages the PDF will have (title page included): what the tests and the export dialog show."""
    return 1 + len(_pages(cut_shots(project, "."), per_page))


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class _Writer:
    def __init__(self, canvas, project: Project, folder: Path, size: tuple[float, float], per_page: int):
        self.c = canvas
        self.project = project
        self.folder = folder
        self.per_page = per_page
        self.lay = _Layout(*size)
        self.faces, self.unicode = reportlab_faces()
        self.small = per_page == 6

    # ---- text helpers ---------------------------------------------------------------------------
    def t(self, text: str) -> str:
        return pdf_safe(text, self.unicode)

    def text(self, x: float, y: float, text: str, size: float, face: str = "regular", color=_INK,
             align: str = "left", max_width: float | None = None) -> None:
        c = self.c
        font = self.faces[face]
        text = self.t(text)
        if max_width is not None:
            from reportlab.pdfbase.pdfmetrics import stringWidth
            while text and stringWidth(text, font, size) > max_width:
                text = text[:-2] + "…" if len(text) > 2 else ""
        c.setFillColorRGB(*color)
        c.setFont(font, size)
        {"left": c.drawString, "right": c.drawRightString, "center": c.drawCentredString}[align](x, y, text)

    def paragraph_style(self, size: float):
        from reportlab.lib.styles import ParagraphStyle
        return ParagraphStyle("panel", fontName=self.faces["regular"], fontSize=size, leading=size * 1.25,
                              textColor=_INK, spaceAfter=size * 0.35)

    # ---- pages ----------------------------------------------------------------------------------
    def title_page(self, pages: list[list[CutShot]], cut: list[CutShot]) -> None:
        c, lay, p = self.c, self.lay, self.project
        total = sum(item.duration for item in cut)
        c.setFillColorRGB(*_ACCENT)
        c.rect(lay.margin, lay.height - lay.margin - 6, 60, 6, stroke=0, fill=1)
        self.text(lay.margin, lay.height - lay.margin - 52, p.name, 34, "bold", max_width=lay.width - 2 * lay.margin)
        self.text(lay.margin, lay.height - lay.margin - 78, "Storyboard", 16, color=_MUTED)
        facts = (f"{len(p.sequences)} scene{'s' * (len(p.sequences) != 1)}  ·  {len(cut)} shot{'s' * (len(cut) != 1)}"
                 f"  ·  running time {format_timecode(total, p.fps)} ({format_duration(total, p.fps)})"
                 f"  ·  {float(p.fps):g} fps  ·  {p.width}×{p.height}")
        self.text(lay.margin, lay.height - lay.margin - 102, facts, 10, color=_MUTED)
        first_page = {}
        for number, page in enumerate(pages, start=2):
            first_page.setdefault(page[0].sequence.id, number)
        y = lay.height - lay.margin - 150
        self.text(lay.margin, y, "SCENES", 9, "bold", color=_MUTED)
        y -= 8
        for index, seq in enumerate(p.sequences, start=1):
            items = [i for i in cut if i.sequence is seq]
            if y < lay.margin + lay.footer + 20:
                self.text(lay.margin, y - 14, f"… and {len(p.sequences) - index + 1} more scenes", 10, color=_MUTED)
                break
            y -= 20
            c.setStrokeColorRGB(*_RULE)
            c.setLineWidth(0.5)
            c.line(lay.margin, y - 6, lay.width - lay.margin, y - 6)
            self.text(lay.margin, y, f"{index}.", 11, "bold", color=_ACCENT)
            self.text(lay.margin + 28, y, seq.heading or "(untitled scene)", 11, "bold",
                      max_width=lay.width * 0.5)
            if items:
                span = f"shots {items[0].number}–{items[-1].number}" if len(items) > 1 else f"shot {items[0].number}"
                detail = (f"{span}  ·  {format_timecode(items[0].record_in, p.fps)}  ·  "
                          f"{format_duration(sum(i.duration for i in items), p.fps)}  ·  page {first_page[seq.id]}")
            else:
                detail = "no shots"
            self.text(lay.width - lay.margin, y, detail, 9, color=_MUTED, align="right")
        self.footer(1, len(pages) + 1)
        c.showPage()

    def header(self, page: list[CutShot]) -> None:
        lay, c = self.lay, self.c
        top = lay.height - lay.margin
        self.text(lay.margin, top - 14, page[0].sequence.heading or "(untitled scene)", 13, "bold",
                  max_width=lay.width * 0.6)
        self.text(lay.width - lay.margin, top - 14, self.project.name, 9, color=_MUTED, align="right",
                  max_width=lay.width * 0.35)
        c.setStrokeColorRGB(*_INK)
        c.setLineWidth(1)
        c.line(lay.margin, top - lay.header + 8, lay.width - lay.margin, top - lay.header + 8)

    def footer(self, number: int, total: int) -> None:
        lay = self.lay
        self.text(lay.margin, lay.margin - 8, "Shotreel storyboard", 7, color=_MUTED)
        self.text(lay.width - lay.margin, lay.margin - 8, f"page {number} / {total}", 7, color=_MUTED, align="right")

    def panel_page(self, page: list[CutShot], number: int, total: int) -> None:
        """3 per page: three rows, picture left and notes right (the classic shooting board).
        6 per page: two rows of three panels, notes under each picture."""
        lay = self.lay
        self.header(page)
        cols, rows = (1, 3) if self.per_page == 3 else (3, 2)
        body_top = lay.height - lay.margin - lay.header
        body_bottom = lay.margin + lay.footer
        col_w = (lay.width - 2 * lay.margin - (cols - 1) * lay.gap) / cols
        row_h = (body_top - body_bottom - (rows - 1) * lay.gap) / rows
        for index, item in enumerate(page):
            row, col = divmod(index, cols)
            x = lay.margin + col * (col_w + lay.gap)
            top = body_top - row * (row_h + lay.gap)
            if cols == 1:
                self.row_panel(item, x, top, col_w, row_h)
            else:
                self.panel(item, x, top, col_w, row_h)
        self.footer(number, total)
        self.c.showPage()

    # ---- one panel ------------------------------------------------------------------------------
    def panel_heading(self, item: CutShot, x: float, top: float, w: float) -> float:
        """Shot number, title and duration on one line; returns the height used."""
        bar = 15 if self.small else 18
        self.text(x, top - bar + 4, f"{item.number}", 13 if self.small else 16, "bold", color=_ACCENT)
        self.text(x + (26 if self.small else 32), top - bar + 4, item.shot.title or "", 8 if self.small else 9.5,
                  "bold", max_width=w * 0.5)
        self.text(x + w, top - bar + 4, format_duration(item.duration, self.project.fps), 7.5 if self.small else 9,
                  color=_MUTED, align="right")
        return bar + 2

    def timing_line(self, item: CutShot, x: float, y: float, w: float) -> None:
        p = self.project
        size = 6.5 if self.small else 7.5
        self.text(x, y, f"TC {format_timecode(item.record_in, p.fps)} – {format_timecode(item.record_out, p.fps)}",
                  size, color=_MUTED)
        if item.take is not None:
            self.text(x + w, y, f"take {item.take.id}", size, color=_MUTED, align="right", max_width=w * 0.4)

    def panel(self, item: CutShot, x: float, top: float, w: float, h: float) -> None:
        p = self.project
        img_top = top - self.panel_heading(item, x, top, w)
        img_h = min(w * p.height / p.width, h * 0.62)
        self.picture(item, x, img_top - img_h, w, img_h)
        self.timing_line(item, x, img_top - img_h - 10, w)
        text_top = img_top - img_h - 14
        self.notes_block(item, x, text_top, w, text_top - (top - h))

    def row_panel(self, item: CutShot, x: float, top: float, w: float, h: float) -> None:
        p = self.project
        img_h = h - 12
        img_w = min(img_h * p.width / p.height, w * 0.48)
        img_h = img_w * p.height / p.width
        self.picture(item, x, top - img_h, img_w, img_h)
        self.timing_line(item, x, top - img_h - 10, img_w)
        tx = x + img_w + self.lay.gap
        tw = w - img_w - self.lay.gap
        used = self.panel_heading(item, tx, top + 2, tw)
        self.notes_block(item, tx, top - used, tw, h - used)
        self.c.setStrokeColorRGB(*_RULE)
        self.c.setLineWidth(0.5)
        self.c.line(tx, top - h + 2, x + w, top - h + 2)

    def picture(self, item: CutShot, x: float, y: float, w: float, h: float) -> None:
        c = self.c
        path = picture_for(self.project, self.folder, item.shot)
        image = _load_picture(path) if path is not None else None
        c.setFillColorRGB(0.16, 0.16, 0.18)
        c.rect(x, y, w, h, stroke=0, fill=1)
        if image is not None:
            iw, ih = image.getSize()
            scale = min(w / iw, h / ih)
            dw, dh = iw * scale, ih * scale
            c.drawImage(image, x + (w - dw) / 2, y + (h - dh) / 2, dw, dh)
        else:
            self.placeholder(item, x, y, w, h)
        c.setStrokeColorRGB(*_INK)
        c.setLineWidth(0.8)
        c.rect(x, y, w, h, stroke=1, fill=0)

    def placeholder(self, item: CutShot, x: float, y: float, w: float, h: float) -> None:
        """No picture yet: an empty frame with thirds and the framing asked for, like a blank board."""
        c = self.c
        c.setFillColorRGB(0.95, 0.95, 0.94)
        c.rect(x, y, w, h, stroke=0, fill=1)
        c.setStrokeColorRGB(*_RULE)
        c.setLineWidth(0.4)
        c.setDash(2, 3)
        for k in (1, 2):
            c.line(x + w * k / 3, y, x + w * k / 3, y + h)
            c.line(x, y + h * k / 3, x + w, y + h * k / 3)
        c.setDash()
        cam = item.shot.camera
        self.text(x + w / 2, y + h / 2 + 2, cam.shot_size.label.upper(), 10 if self.small else 12, "bold",
                  color=_MUTED, align="center")
        self.text(x + w / 2, y + h / 2 - 12, "no picture yet", 7 if self.small else 8, color=_MUTED, align="center")

    def notes_block(self, item: CutShot, x: float, top: float, w: float, h: float) -> None:
        from reportlab.platypus import Frame, KeepInFrame, Paragraph
        if h <= 8:
            return
        shot = item.shot
        size = 6.8 if self.small else 9
        limit = 220 if self.small else 700
        style = self.paragraph_style(size)
        faces = self.faces

        def para(label: str, body: str, italic: bool = False) -> Paragraph:
            body = escape(self.t(body)).replace("\n", "<br/>")
            if italic:
                body = f'<font name="{faces["italic"]}">{body}</font>'
            head = f'<font name="{faces["bold"]}" color="#6b6b75">{escape(label)}</font>  ' if label else ""
            return Paragraph(head + body, style)

        flow = []
        if shot.prompt.strip():
            flow.append(para("", _clip(shot.prompt, limit)))
        if shot.dialogue.strip():
            flow.append(para("DIALOGUE", _clip(shot.dialogue, limit), italic=True))
        elif any(a.kind.value == "dialogue" for a in shot.audio):
            lines = [f"{a.character.upper() + ': ' if a.character else ''}{a.text}" for a in shot.audio
                     if a.kind.value == "dialogue"]
            flow.append(para("DIALOGUE", _clip(" / ".join(lines), limit), italic=True))
        flow.append(para("CAMERA", shot.camera.describe()))
        moves = [m for m in shot.motion if not m.is_empty]
        if moves:
            flow.append(para("MOTION", _clip("; ".join(
                _describe_motion(m) for m in moves), limit)))
        sounds = [a for a in shot.audio if a.kind.value != "dialogue"]
        if sounds:
            flow.append(para("AUDIO", _clip("; ".join(
                f"{a.kind.value} {a.preset or a.text or Path(a.file).name} @{a.start}f" for a in sounds), limit)))
        if item.transition.kind.value != "cut":
            flow.append(para("IN", f"{item.transition.kind.value.replace('_', ' ')} {item.transition.frames}f"))
        if shot.notes.strip():
            flow.append(para("NOTES", _clip(shot.notes, limit)))
        frame = Frame(x, top - h, w, h, leftPadding=0, rightPadding=0, topPadding=2, bottomPadding=0,
                      showBoundary=0)
        frame.addFromList([KeepInFrame(w, h - 2, flow, mode="shrink")], self.c)


def _describe_motion(cue) -> str:
    action = cue.action or cue.kind.value
    named = cue.subject and cue.subject.lower() in action.lower()
    text = f"{cue.subject + ' ' if cue.subject and not named else ''}{action}"
    direction = cue.screen_direction.value
    if direction and direction not in cue.action.lower():
        text += f" (toward {direction})" if direction in ("left", "right") else f" ({direction})"
    return text


def _load_picture(path: Path):
    """The panel picture, downscaled and JPEG-encoded (reportlab embeds JPEG data as it is, so a board
    of 100+ panels stays small and quick); None for an unreadable file, which draws the placeholder."""
    import io

    from PIL import Image, UnidentifiedImageError
    from reportlab.lib.utils import ImageReader
    try:
        with Image.open(path) as im:
            im.draft("RGB", (_MAX_PICTURE_PX, _MAX_PICTURE_PX))
            image = im.convert("RGB")
    except (OSError, UnidentifiedImageError, ValueError):
        return None
    image.thumbnail((_MAX_PICTURE_PX, _MAX_PICTURE_PX), Image.Resampling.BILINEAR, reducing_gap=2.0)
    data = io.BytesIO()
    image.save(data, format="JPEG", quality=88)
    data.seek(0)
    return ImageReader(data)


@contextlib.contextmanager
def _binary_streams():
    """reportlab ASCII85-encodes image data by default, in pure Python here: a third of the export time.
    PDF streams may be binary, so turn it off while we write (restored afterwards)."""
    from reportlab import rl_config
    before = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = before


def export_storyboard_pdf(project: Project, folder: str | Path, out: str | Path, *, paper: str = "a4",
                          per_page: int = 6) -> Path:
    """Write the storyboard PDF atomically. paper: 'a4' | 'letter' (landscape); per_page: 3 | 6."""
    from reportlab.pdfgen.canvas import Canvas

    size = _page_size(paper)
    if per_page not in PANELS_PER_PAGE:
        raise UserError(f"panels per page: {per_page} — choose 3 or 6")
    cut = cut_shots(project, folder)
    if not cut:
        raise UserError("the project has no shots to put on a storyboard")
    pages = _pages(cut, per_page)
    out = Path(out)
    with atomic_path(out) as tmp, _binary_streams():
        canvas = Canvas(str(tmp), pagesize=size, pageCompression=1)
        canvas.setTitle(f"{project.name} — storyboard")
        canvas.setAuthor("Shotreel")
        canvas.setSubject(f"{len(cut)} shots, generated {_dt.date.today().isoformat()}")
        writer = _Writer(canvas, project, Path(folder), size, per_page)
        writer.title_page(pages, cut)
        for number, page in enumerate(pages, start=2):
            writer.panel_page(page, number, len(pages) + 1)
        canvas.save()
    return out
