"""Help > Keyboard Shortcuts: an overlay over the main window listing every key, grouped.

The player's keys come from `ui.player.widget.SHORTCUTS`; the window's from its actions (so the list
cannot go out of date when a shortcut changes). Any key or click closes it.
"""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QWidget

from .. import theme


class ShortcutsOverlay(QWidget):
    def __init__(self, parent: QWidget, groups: list[tuple[str, list[tuple[str, str]]]]):
        super().__init__(parent)
        self.groups = groups
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setGeometry(parent.rect())
        parent.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if obj is self.parent() and event.type() == event.Type.Resize:
            self.setGeometry(self.parent().rect())
        return False

    def keyPressEvent(self, event) -> None:
        self.close()

    def mousePressEvent(self, event) -> None:
        self.close()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(10, 11, 13, 228))
        base = QFont(self.font())
        title_font = QFont(base)
        title_font.setPointSizeF(base.pointSizeF() + 5)
        title_font.setBold(True)
        head_font = QFont(base)
        head_font.setBold(True)
        fm = QFontMetrics(base)
        line_h = fm.height() + 5
        columns = 2 if self.width() > 900 else 1
        col_w = min(460, (self.width() - 80) // columns)
        total_w = col_w * columns + 40 * (columns - 1)
        left0 = (self.width() - total_w) / 2
        p.setFont(title_font)
        p.setPen(theme.TEXT)
        p.drawText(QRectF(0, 30, self.width(), 40), Qt.AlignmentFlag.AlignCenter, "Keyboard shortcuts")
        # distribute groups over columns by height
        heights = [len(items) * line_h + line_h + 12 for _, items in self.groups]
        target = sum(heights) / columns
        col, y, acc = 0, 90.0, 0.0
        for (name, items), h in zip(self.groups, heights):
            if col < columns - 1 and acc > 0 and acc + h / 2 > target:
                col, y, acc = col + 1, 90.0, 0.0
            x = left0 + col * (col_w + 40)
            p.setFont(head_font)
            p.setPen(theme.ACCENT)
            p.drawText(QRectF(x, y, col_w, line_h), Qt.AlignmentFlag.AlignVCenter, name.upper())
            y += line_h + 2
            p.setFont(base)
            for keys, what in items:
                key_w = max(96, fm.horizontalAdvance(keys) + 14)
                box = QRectF(x, y + 1, key_w, line_h - 4)
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(theme.CARD)
                p.drawRoundedRect(box, 3, 3)
                p.setPen(theme.TEXT)
                p.drawText(box, Qt.AlignmentFlag.AlignCenter, keys)
                p.setPen(theme.TEXT_DIM)
                p.drawText(QRectF(x + key_w + 10, y, col_w - key_w - 10, line_h),
                           Qt.AlignmentFlag.AlignVCenter, fm.elidedText(what, Qt.TextElideMode.ElideRight,
                                                                        int(col_w - key_w - 10)))
                y += line_h
            y += 12
            acc += h
        p.setPen(theme.TEXT_DIM)
        p.drawText(QRectF(0, self.height() - 40, self.width(), 20), Qt.AlignmentFlag.AlignCenter,
                   "Press any key to close")
