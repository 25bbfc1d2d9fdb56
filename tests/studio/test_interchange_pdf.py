"""Storyboard PDF and contact sheet: rendered back to pixels (pypdfium2) and checked for real content."""
from __future__ import annotations

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image

from studio.errors import UserError
from studio.interchange import fonts
from studio.interchange.contact_sheet import export_contact_sheet, sheet_geometry
from studio.interchange.pdf import export_storyboard_pdf, page_count
from studio.model import Sequence, Shot

try:
    from .interchange_sample import COLORS, make_project
except ImportError:
    from interchange_sample import COLORS, make_project


def _render(path, scale=0.6):
    pdf = pdfium.PdfDocument(str(path))
    try:
        pages = []
        for page in pdf:
            pages.append((page.get_size(), np.asarray(page.render(scale=scale).to_pil().convert("RGB"))))
        return pages
    finally:
        pdf.close()


def _has_color(pixels: np.ndarray, rgb, tol=12, min_pixels=200) -> bool:
    close = np.all(np.abs(pixels.astype(int) - np.array(rgb)) <= tol, axis=-1)
    return int(close.sum()) >= min_pixels


def _long_scene_project(folder):
    project = make_project(folder)
    extra = [Shot(id=f"sh_x{i}", title=f"Extra {i}", prompt="Coverage. " * (i + 1), duration=24) for i in range(6)]
    project.sequences.append(Sequence("sq_3", "EXT. ROOF - DAWN", extra))
    return project  # scenes of 2, 3 and 6 shots


@pytest.mark.parametrize("paper,size", [("a4", (842, 595)), ("letter", (792, 612))])
@pytest.mark.parametrize("per_page", [3, 6])
def test_pdf_pages_paper_and_panels(tmp_path, paper, size, per_page):
    folder = tmp_path / "p.shotreel"
    project = _long_scene_project(folder)
    out = export_storyboard_pdf(project, folder, tmp_path / "board.pdf", paper=paper, per_page=per_page)
    pages = _render(out)
    # title page + each scene (2, 3 and 6 shots) starting on a new page
    expected = 1 + (1 + 1 + 2 if per_page == 3 else 1 + 1 + 1)
    assert len(pages) == expected == page_count(project, per_page)
    for (w, h), pixels in pages:
        assert (round(w), round(h)) == size  # landscape
        ink = np.any(pixels < 200, axis=-1).mean()
        assert ink > 0.004, "a blank page"
    # the first scene's panels show the takes' thumbnails (their colours are on page 2)
    assert _has_color(pages[1][1], COLORS[0]) and _has_color(pages[1][1], COLORS[1])
    assert not list(tmp_path.glob("*.partial-*"))


def test_pdf_without_unicode_fonts_still_writes(tmp_path, monkeypatch):
    folder = tmp_path / "p.shotreel"
    project = make_project(folder)  # has 'Ünïcödé ✓ 東京' in an action and a note
    monkeypatch.setattr(fonts, "FONT_DIR", tmp_path / "no-fonts")
    faces, unicode_ok = fonts.reportlab_faces()
    assert faces["regular"] == "Helvetica" and not unicode_ok
    out = export_storyboard_pdf(project, folder, tmp_path / "board.pdf", paper="letter", per_page=3)
    assert len(_render(out, scale=0.3)) == 3


def test_pdf_refuses_bad_options_and_leaves_nothing(tmp_path):
    folder = tmp_path / "p.shotreel"
    project = make_project(folder)
    with pytest.raises(UserError, match="a4 or letter"):
        export_storyboard_pdf(project, folder, tmp_path / "b.pdf", paper="a3")
    with pytest.raises(UserError, match="3 or 6"):
        export_storyboard_pdf(project, folder, tmp_path / "b.pdf", per_page=4)
    assert not (tmp_path / "b.pdf").exists()


def test_contact_sheet_png(tmp_path):
    folder = tmp_path / "p.shotreel"
    project = make_project(folder)  # 640x360, five shots, one without any picture
    out = export_contact_sheet(project, folder, tmp_path / "sheet.png", columns=3, cell_width=240)
    width, height, pic_h, _ = sheet_geometry(5, 3, 240, 640 / 360)
    with Image.open(out) as im:
        assert im.size == (width, height) and im.format == "PNG"
        pixels = np.asarray(im.convert("RGB"))
    assert pic_h == 135 and width == 10 + 3 * 250 and height > 2 * pic_h
    for color in COLORS[:4]:  # every picture made it onto the sheet
        assert _has_color(pixels, color)
    assert pixels.std() > 20
    with pytest.raises(UserError, match="png"):
        export_contact_sheet(project, folder, tmp_path / "sheet.jpg")


def test_export_file_dispatches_on_extension(tmp_path):
    from studio.interchange import export_file
    folder = tmp_path / "p.shotreel"
    project = make_project(folder)
    assert export_file(project, folder, tmp_path / "b.pdf", paper="letter", per_page=3, relative=None).is_file()
    assert export_file(project, folder, tmp_path / "s.png", columns=2).is_file()
    assert export_file(project, folder, tmp_path / "c.otio", relative=True).is_file()
    with pytest.raises(UserError, match="per_page: not an option of a .otio export"):
        export_file(project, folder, tmp_path / "d.otio", per_page=3)
    with pytest.raises(UserError, match="writes .otio"):
        export_file(project, folder, tmp_path / "d.mp4")
