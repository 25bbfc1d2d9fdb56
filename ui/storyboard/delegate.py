"""Paints one storyboard card: a 16:9 picture (take thumbnail, board, or a drawn placeholder), the shot
number, title, duration, camera line, cue icons and the stale / queued / rendering badges.

Painting only reads model roles and cached pixmaps: no file access, no document look-ups, so a
1,000-shot board repaints within a frame (see tests/bench/bench_ui.py).
"""
from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QLinearGradient, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from .. import theme
from .model import (CameraTextRole, CuesRole, DurationTextRole, HasTakeRole, JobRole, NumberRole, StaleRole,
                    ThumbnailRole)

CARD_W, CARD_H = 224, 196
PIC_H = 126  # 16:9 of the card's inner width (224 - 2 * 0)
RADIUS = 5

CUE_ICONS = {
    "camera": ("mdi6.video-vintage", "Camera move"),
    "dialogue": ("mdi6.comment-quote-outline", "Dialogue"),
    "sfx": ("mdi6.flash-outline", "Sound effect"),
    "ambience": ("mdi6.weather-windy", "Ambience"),
    "music": ("mdi6.music-note", "Music"),
}


class ShotCardDelegate(QStyledItemDelegate):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._icons: dict[tuple[str, str], QPixmap] = {}
        self._fonts: dict[str, QFont] = {}

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        return QSize(CARD_W, CARD_H)

    def _icon(self, name: str, color: QColor, size: int = 14) -> QPixmap:
        key = (name, color.name())
        pixmap = self._icons.get(key)
        if pixmap is None:
            pixmap = theme.icon(name, color.name()).pixmap(size, size)
            self._icons[key] = pixmap
        return pixmap

    def _font(self, base: QFont, kind: str) -> QFont:
        key = f"{kind}:{base.family()}:{base.pointSizeF()}"
        font = self._fonts.get(key)
        if font is None:
            font = QFont(base)
            if kind == "title":
                font.setBold(True)
                font.setPointSizeF(base.pointSizeF() + 0.5)
            elif kind == "small":
                font.setPointSizeF(max(6.5, base.pointSizeF() - 1.0))
            elif kind == "number":
                font.setBold(True)
            self._fonts[key] = font
        return font

    def paint(self, p: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        outer = QRectF(option.rect).adjusted(5, 5, -5, -5)
        card = QPainterPath()
        card.addRoundedRect(outer, RADIUS, RADIUS)
        p.fillPath(card, theme.CARD_SELECTED if selected else theme.CARD)
        border = theme.ACCENT if selected else (theme.BORDER.lighter(130) if hovered else theme.BORDER)
        p.setPen(QPen(border, 2 if selected else 1))
        p.drawPath(card)

        pic = QRectF(outer.left() + 1, outer.top() + 1, outer.width() - 2, (outer.width() - 2) * 9 / 16)
        self._paint_picture(p, pic, index)
        self._paint_badges(p, pic, index, option.font)

        text_left = outer.left() + 8
        y = pic.bottom() + 4
        number = index.data(NumberRole)
        p.setFont(self._font(option.font, "number"))
        fm = QFontMetrics(p.font())
        num_text = f"{number}"
        num_w = fm.horizontalAdvance(num_text) + 10
        num_rect = QRectF(text_left, y + 2, num_w, fm.height() + 2)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(theme.ACCENT if selected else theme.BORDER)
        p.drawRoundedRect(num_rect, 3, 3)
        p.setPen(theme.TEXT)
        p.drawText(num_rect, Qt.AlignmentFlag.AlignCenter, num_text)

        p.setFont(self._font(option.font, "title"))
        fm = QFontMetrics(p.font())
        title_rect = QRectF(num_rect.right() + 6, y + 2, outer.right() - num_rect.right() - 14, fm.height() + 2)
        title = fm.elidedText(str(index.data(Qt.ItemDataRole.DisplayRole) or ""), Qt.TextElideMode.ElideRight,
                              int(title_rect.width()))
        p.drawText(title_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, title)

        p.setFont(self._font(option.font, "small"))
        fm = QFontMetrics(p.font())
        y2 = num_rect.bottom() + 3
        line = QRectF(text_left, y2, outer.width() - 16, fm.height())
        p.setPen(theme.TEXT_DIM)
        camera = fm.elidedText(str(index.data(CameraTextRole) or ""), Qt.TextElideMode.ElideRight,
                               int(line.width()))
        p.drawText(line, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, camera)

        y3 = line.bottom() + 3
        p.setPen(theme.TEXT)
        p.drawText(QRectF(text_left, y3, 110, 16), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   str(index.data(DurationTextRole) or ""))
        x = outer.right() - 8
        for cue in reversed(index.data(CuesRole) or []):
            name = CUE_ICONS.get(cue)
            if not name:
                continue
            x -= 16
            p.drawPixmap(QPointF(x, y3 + 1), self._icon(name[0], theme.TEXT_DIM))
        p.restore()

    def _paint_picture(self, p: QPainter, pic: QRectF, index: QModelIndex) -> None:
        clip = QPainterPath()
        clip.addRoundedRect(pic, RADIUS - 1, RADIUS - 1)
        p.save()
        p.setClipPath(clip)
        image = index.data(ThumbnailRole)
        if image is not None and not image.isNull():
            # cover the 16:9 box, centred
            scale = max(pic.width() / image.width(), pic.height() / image.height())
            w, h = image.width() * scale, image.height() * scale
            target = QRectF(pic.center().x() - w / 2, pic.center().y() - h / 2, w, h)
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            p.drawImage(target, image)
            if not index.data(HasTakeRole):  # a board drawing, not a take: say so
                p.fillRect(QRectF(pic.left(), pic.bottom() - 16, pic.width(), 16), QColor(0, 0, 0, 140))
                p.setPen(theme.TEXT_DIM)
                p.drawText(pic.adjusted(6, 0, -6, -1), Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignLeft,
                           "board")
        else:
            self._paint_placeholder(p, pic, index)
        p.restore()

    def _paint_placeholder(self, p: QPainter, pic: QRectF, index: QModelIndex) -> None:
        grad = QLinearGradient(pic.topLeft(), pic.bottomRight())
        grad.setColorAt(0, QColor(44, 46, 52))
        grad.setColorAt(1, QColor(30, 31, 35))
        p.fillRect(pic, QBrush(grad))
        # a framing guide: thirds, like a blank storyboard panel
        p.setPen(QPen(QColor(255, 255, 255, 18), 1))
        for i in (1, 2):
            x = pic.left() + pic.width() * i / 3
            y = pic.top() + pic.height() * i / 3
            p.drawLine(QPointF(x, pic.top()), QPointF(x, pic.bottom()))
            p.drawLine(QPointF(pic.left(), y), QPointF(pic.right(), y))
        icon = self._icon("mdi6.movie-open-outline", QColor(120, 124, 132), 28)
        p.drawPixmap(QPointF(pic.center().x() - 14, pic.center().y() - 20), icon)
        p.setPen(theme.TEXT_DIM)
        p.drawText(QRectF(pic.left(), pic.center().y() + 10, pic.width(), 18), Qt.AlignmentFlag.AlignCenter,
                   "no take yet")

    def _paint_badges(self, p: QPainter, pic: QRectF, index: QModelIndex, base_font: QFont) -> None:
        p.setFont(self._font(base_font, "small"))
        fm = QFontMetrics(p.font())
        right = pic.right() - 6
        job = index.data(JobRole)
        if job:
            status, fraction = job
            color = theme.ACCENT if status == "running" else theme.QUEUED
            text = f"{int(fraction * 100)}%" if status == "running" else "queued"
            w = fm.horizontalAdvance(text) + 24
            rect = QRectF(right - w, pic.top() + 6, w, fm.height() + 4)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(color.red(), color.green(), color.blue(), 225))
            p.drawRoundedRect(rect, 3, 3)
            name = "mdi6.progress-clock" if status == "queued" else "mdi6.movie-cog-outline"
            p.drawPixmap(QPointF(rect.left() + 4, rect.center().y() - 6), self._icon(name, QColor("white"), 12))
            p.setPen(QColor("white"))
            p.drawText(rect.adjusted(18, 0, -4, 0), Qt.AlignmentFlag.AlignCenter, text)
            right = rect.left() - 4
            if status == "running":
                bar = QRectF(pic.left(), pic.bottom() - 4, pic.width(), 4)
                p.fillRect(bar, QColor(0, 0, 0, 150))
                p.fillRect(QRectF(bar.left(), bar.top(), bar.width() * fraction, bar.height()), theme.ACCENT)
        stale = index.data(StaleRole)
        if stale:
            text = "stale"
            w = fm.horizontalAdvance(text) + 24
            rect = QRectF(right - w, pic.top() + 6, w, fm.height() + 4)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(theme.WARNING.red(), theme.WARNING.green(), theme.WARNING.blue(), 230))
            p.drawRoundedRect(rect, 3, 3)
            p.drawPixmap(QPointF(rect.left() + 4, rect.center().y() - 6),
                         self._icon("mdi6.link-variant-off", QColor(30, 30, 30), 12))
            p.setPen(QColor(30, 30, 30))
            p.drawText(rect.adjusted(18, 0, -4, 0), Qt.AlignmentFlag.AlignCenter, text)


def card_rect(option_rect: QRect) -> QRect:
    return option_rect.adjusted(5, 5, -5, -5)
