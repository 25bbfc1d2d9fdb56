"""Help > User Guide: the README rendered in the studio, offline.

The README is the user guide (install, the window, the command line). It is read from the source
tree beside the packages when there is one, else from the installed package's metadata (pip stores
the README as the long description), so an installed studio shows it without a network.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

ROOT = Path(__file__).resolve().parents[2]
IMAGE_W = 820  # screenshots are 1600 px wide: shown at the dialog's width, not with a sideways scroll


def fit_images(document, width: int) -> int:
    """Show each image at most `width` pixels wide (height follows); returns how many were fitted.
    Qt lays Markdown images out at their natural size, which for screenshots means a sideways scroll."""
    fitted = 0
    cursor = document.find("\ufffc")  # each image is one object-replacement character
    while not cursor.isNull():
        fmt = cursor.charFormat()
        if fmt.isImageFormat():
            image = fmt.toImageFormat()
            image.setWidth(width)
            cursor.setCharFormat(image)
            fitted += 1
        cursor = document.find("\ufffc", cursor)
    return fitted


def guide_markdown() -> tuple[str, Path | None]:
    """(Markdown text, folder its relative images resolve against)."""
    readme = ROOT / "README.md"
    if readme.is_file():
        return readme.read_text(encoding="utf-8"), ROOT
    try:
        from importlib.metadata import metadata
        text = metadata("shotreel").get_payload() or ""
    except Exception:  # not installed either: say where the guide lives
        text = ""
    return text or "# Shotreel\n\nThe user guide is the README.md of the Shotreel sources.", None


class UserGuideDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("UserGuideDialog")
        self.setWindowTitle("Shotreel User Guide")
        self.resize(900, 760)
        self.browser = QTextBrowser(self)
        self.browser.setOpenLinks(False)  # in-page anchors scroll; web links open in the user's browser
        self.browser.anchorClicked.connect(self._link)
        text, base = guide_markdown()
        if base is not None:
            self.browser.setSearchPaths([str(base)])
        self.browser.setMarkdown(text)
        fit_images(self.browser.document(), IMAGE_W)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser, 1)
        layout.addWidget(buttons)

    def _link(self, url: QUrl) -> None:
        if url.scheme() in ("http", "https", "mailto"):
            QDesktopServices.openUrl(url)
        elif url.hasFragment() and not url.path():
            self.browser.scrollToAnchor(url.fragment())
