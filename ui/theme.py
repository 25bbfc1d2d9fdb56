"""The studio's look: Fusion with a dark palette, one small stylesheet, the shipped DejaVu font and
qtawesome icons. `apply_theme(app)` is called once by `ui.app`; tests call it too so grabs match the app.

The font is loaded from `assets/fonts` (not the system) so screenshots are the same on every machine,
and so Qt never falls back to qtawesome's icon font for text (it does when no text font is found).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PySide6.QtGui import QColor, QFont, QFontDatabase, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

ASSETS = Path(__file__).resolve().parent.parent / "assets"
FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
FONT_FAMILY = "DejaVu Sans"
FONT_POINT_SIZE = 9

# Named colours the custom-painted widgets share with the stylesheet.
WINDOW = QColor(32, 33, 36)
BASE = QColor(24, 25, 27)
PANEL = QColor(40, 41, 45)
CARD = QColor(48, 50, 55)
CARD_SELECTED = QColor(52, 84, 132)
BORDER = QColor(62, 64, 70)
TEXT = QColor(222, 223, 226)
TEXT_DIM = QColor(146, 149, 156)
ACCENT = QColor(74, 144, 226)
WARNING = QColor(232, 160, 48)
DANGER = QColor(220, 80, 72)
SUCCESS = QColor(88, 180, 110)
QUEUED = QColor(150, 130, 220)

STYLESHEET = f"""
QMainWindow::separator {{ background: {BASE.name()}; width: 4px; height: 4px; }}
QMainWindow::separator:hover {{ background: {ACCENT.name()}; }}
QDockWidget {{ color: {TEXT.name()}; titlebar-close-icon: none; }}
QDockWidget::title {{ background: {PANEL.name()}; padding: 4px 8px; border-bottom: 1px solid {BORDER.name()};
    text-align: left; }}
QToolBar {{ background: {PANEL.name()}; border: none; spacing: 2px; padding: 2px; }}
QToolButton {{ border: 1px solid transparent; border-radius: 3px; padding: 3px; color: {TEXT.name()}; }}
QToolButton:hover {{ background: {CARD.name()}; border-color: {BORDER.name()}; }}
QToolButton:checked {{ background: {CARD_SELECTED.name()}; }}
QListView, QTreeView, QTableView {{ background: {BASE.name()}; border: none;
    selection-background-color: {CARD_SELECTED.name()}; alternate-background-color: {WINDOW.name()}; }}
QHeaderView::section {{ background: {PANEL.name()}; color: {TEXT_DIM.name()}; border: none;
    border-right: 1px solid {BORDER.name()}; padding: 3px 6px; }}
QStatusBar {{ background: {PANEL.name()}; color: {TEXT_DIM.name()}; border-top: 1px solid {BORDER.name()}; }}
QStatusBar QLabel {{ color: {TEXT_DIM.name()}; padding: 0 6px; }}
QMenuBar {{ background: {PANEL.name()}; border-bottom: 1px solid {BORDER.name()}; }}
QMenu {{ background: {PANEL.name()}; border: 1px solid {BORDER.name()}; }}
QMenu::item:selected {{ background: {CARD_SELECTED.name()}; }}
QProgressBar {{ background: {BASE.name()}; border: 1px solid {BORDER.name()}; border-radius: 3px;
    text-align: center; height: 12px; color: {TEXT.name()}; }}
QProgressBar::chunk {{ background: {ACCENT.name()}; border-radius: 2px; }}
QPushButton {{ background: {CARD.name()}; border: 1px solid {BORDER.name()}; border-radius: 3px;
    padding: 4px 12px; color: {TEXT.name()}; }}
QPushButton:hover {{ border-color: {ACCENT.name()}; }}
QPushButton:default {{ border-color: {ACCENT.name()}; }}
QLineEdit, QPlainTextEdit, QTextEdit, QSpinBox, QDoubleSpinBox, QComboBox {{ background: {BASE.name()};
    border: 1px solid {BORDER.name()}; border-radius: 3px; padding: 2px 4px; color: {TEXT.name()}; }}
QLineEdit:focus, QPlainTextEdit:focus, QSpinBox:focus, QComboBox:focus {{ border-color: {ACCENT.name()}; }}
QTabBar::tab {{ background: {PANEL.name()}; color: {TEXT_DIM.name()}; padding: 4px 10px; border: none; }}
QTabBar::tab:selected {{ color: {TEXT.name()}; border-bottom: 2px solid {ACCENT.name()}; }}
QLabel#panelHint {{ color: {TEXT_DIM.name()}; }}
"""


def dark_palette() -> QPalette:
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: WINDOW, QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: BASE, QPalette.ColorRole.AlternateBase: WINDOW,
        QPalette.ColorRole.ToolTipBase: PANEL, QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.PlaceholderText: TEXT_DIM, QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: PANEL, QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.BrightText: QColor(255, 255, 255), QPalette.ColorRole.Highlight: CARD_SELECTED,
        QPalette.ColorRole.HighlightedText: QColor(255, 255, 255), QPalette.ColorRole.Link: ACCENT,
        QPalette.ColorRole.Light: BORDER, QPalette.ColorRole.Midlight: CARD, QPalette.ColorRole.Mid: PANEL,
        QPalette.ColorRole.Dark: BASE, QPalette.ColorRole.Shadow: QColor(0, 0, 0),
    }
    for role, color in roles.items():
        pal.setColor(role, color)
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, TEXT_DIM.darker(130))
    return pal


def load_fonts() -> str:
    """Register the shipped fonts; returns the family to use (the system default if they are missing)."""
    family = ""
    for name in FONT_FILES:
        font_id = QFontDatabase.addApplicationFont(str(ASSETS / "fonts" / name))
        if font_id >= 0 and not family:
            families = QFontDatabase.applicationFontFamilies(font_id)
            family = families[0] if families else ""
    return family or FONT_FAMILY


def apply_theme(app: QApplication) -> None:
    app.setStyle(QStyleFactory.create("Fusion"))
    app.setPalette(dark_palette())
    font = QFont(load_fonts(), FONT_POINT_SIZE)
    font.setStyleStrategy(QFont.StyleStrategy.PreferAntialias)
    app.setFont(font)
    app.setStyleSheet(STYLESHEET)


@lru_cache(maxsize=256)
def icon(name: str, color: str | None = None) -> QIcon:
    """A qtawesome icon ('mdi6.movie-open'), tinted for the dark theme. Cached: qtawesome builds
    icons from a font each time, which is slow in paint code."""
    import qtawesome as qta
    try:
        return qta.icon(name, color=color or TEXT.name(), color_disabled=TEXT_DIM.darker(130).name())
    except Exception:  # an unknown icon name must not take a panel down
        return QIcon()
