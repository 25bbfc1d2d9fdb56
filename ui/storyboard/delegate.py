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
from ..qtcompat import role
from .model import (CameraTextRole, CardKeyRole, CuesRole, DurationTextRole, HasTakeRole, JobRole, NumberRole, StaleRole,
                    WithdrawnRole,
                    ThumbnailRole)

CARD_W, CARD_H = 224, 196
PIC_H = 126  # 16:9 of the card's inner width (224 - 2 * 0)
RADIUS = 5
PIXMAP_CACHE = 400  # cards and pictures kept (~150 KB each): a few screens of a 1,000-shot board

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
        self._pixmaps: dict[tuple, QPixmap] = {}

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
        """One cached blit of the card (re-rendered only when what it shows changes), then the live
        badges (queued / rendering / stale) on top."""
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        outer = QRectF(option.rect).adjusted(5, 5, -5, -5)
        size = outer.size().toSize()
        image = role(index, ThumbnailRole)
        key = ("whole", role(index, CardKeyRole), image.cacheKey() if image is not None else 0, selected, hovered,
               size.width(), size.height(), option.font.key())
        card = self._cached(key, lambda: self._render_card(size, option.font, index, selected, hovered))
        p.drawPixmap(outer.topLeft(), card)
        job, stale = role(index, JobRole), role(index, StaleRole)
        if job or stale or role(index, WithdrawnRole):
            p.save()
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            pic = QRectF(outer.left() + 2, outer.top() + 2, outer.width() - 4, round((outer.width() - 4) * 9 / 16))
            self._paint_badges(p, pic, index, option.font)
            p.restore()

    def _render_card(self, size: QSize, base_font: QFont, index: QModelIndex, selected: bool,
                     hovered: bool) -> QPixmap:
        pixmap = QPixmap(size)
        pixmap.fill(theme.BASE)
        p = QPainter(pixmap)
        outer = QRectF(0, 0, size.width(), size.height())
        p.drawPixmap(outer.topLeft(), self._card_background(size, selected, hovered))
        pic = QRectF(outer.left() + 2, outer.top() + 2, outer.width() - 4, round((outer.width() - 4) * 9 / 16))
        p.drawPixmap(pic.topLeft(), self._picture(index, pic.size().toSize(), selected))
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        option_font = base_font

        text_left = outer.left() + 8
        y = pic.bottom() + 4
        number = role(index, NumberRole)
        p.setFont(self._font(option_font, "number"))
        fm = QFontMetrics(p.font())
        num_text = f"{number}"
        num_w = fm.horizontalAdvance(num_text) + 10
        num_rect = QRectF(text_left, y + 2, num_w, fm.height() + 2)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(theme.ACCENT if selected else theme.BORDER)
        p.drawRoundedRect(num_rect, 3, 3)
        p.setPen(theme.TEXT)
        p.drawText(num_rect, Qt.AlignmentFlag.AlignCenter, num_text)

        p.setFont(self._font(option_font, "title"))
        fm = QFontMetrics(p.font())
        title_rect = QRectF(num_rect.right() + 6, y + 2, outer.right() - num_rect.right() - 14, fm.height() + 2)
        title = fm.elidedText(str(role(index, Qt.ItemDataRole.DisplayRole) or ""), Qt.TextElideMode.ElideRight,
                              int(title_rect.width()))
        p.drawText(title_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, title)

        p.setFont(self._font(option_font, "small"))
        fm = QFontMetrics(p.font())
        y2 = num_rect.bottom() + 3
        line = QRectF(text_left, y2, outer.width() - 16, fm.height())
        p.setPen(theme.TEXT_DIM)
        camera = fm.elidedText(str(role(index, CameraTextRole) or ""), Qt.TextElideMode.ElideRight,
                               int(line.width()))
        p.drawText(line, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, camera)

        y3 = line.bottom() + 3
        p.setPen(theme.TEXT)
        p.drawText(QRectF(text_left, y3, 110, 16), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   str(role(index, DurationTextRole) or ""))
        x = outer.right() - 8
        for cue in reversed(role(index, CuesRole) or []):
            name = CUE_ICONS.get(cue)
            if not name:
                continue
            x -= 16
            p.drawPixmap(QPointF(x, y3 + 1), self._icon(name[0], theme.TEXT_DIM))
        p.end()
        return pixmap

    # ---- cached pixmaps: painting a card is mostly blits ------------------------------------------
    def _cached(self, key: tuple, make) -> QPixmap:
        pixmap = self._pixmaps.get(key)
        if pixmap is None:
            pixmap = make()
            self._pixmaps[key] = pixmap
            if len(self._pixmaps) > PIXMAP_CACHE:
                self._pixmaps.pop(next(iter(self._pixmaps)))
        return pixmap

    def _card_background(self, size: QSize, selected: bool, hovered: bool) -> QPixmap:
        def make() -> QPixmap:
            pixmap = QPixmap(size)
            pixmap.fill(theme.BASE)  # opaque (the list's background in the corners): blits without blending
            p = QPainter(pixmap)
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            rect = QRectF(0.5, 0.5, size.width() - 1, size.height() - 1)
            path = QPainterPath()
            path.addRoundedRect(rect, RADIUS, RADIUS)
            p.fillPath(path, theme.CARD_SELECTED if selected else theme.CARD)
            border = theme.ACCENT if selected else (theme.BORDER.lighter(130) if hovered else theme.BORDER)
            p.setPen(QPen(border, 2 if selected else 1))
            p.drawPath(path)
            p.end()
            return pixmap
        return self._cached(("card", size.width(), size.height(), selected, hovered), make)

    def _picture(self, index: QModelIndex, size: QSize, selected: bool) -> QPixmap:
        """The card's picture at its exact size with rounded corners: the thumbnail (covering the box,
        a 'board' band when it is not a take) or the placeholder. Made once per image, size and state;
        opaque (the card's colour in the corners) so painting it is a plain copy."""
        image = role(index, ThumbnailRole)
        if image is None or image.isNull():
            return self._cached(("placeholder", size.width(), size.height(), selected),
                                lambda: self._placeholder(size, selected))
        board = not role(index, HasTakeRole)
        return self._cached(("image", image.cacheKey(), size.width(), size.height(), board, selected),
                            lambda: self._render_picture(image, size, board, selected))

    def _rounded(self, size: QSize, paint, selected: bool) -> QPixmap:
        pixmap = QPixmap(size)
        pixmap.fill(theme.CARD_SELECTED if selected else theme.CARD)
        p = QPainter(pixmap)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        clip = QPainterPath()
        clip.addRoundedRect(QRectF(0, 0, size.width(), size.height()), RADIUS - 1, RADIUS - 1)
        p.setClipPath(clip)
        paint(p, QRectF(0, 0, size.width(), size.height()))
        p.end()
        return pixmap

    def _render_picture(self, image, size: QSize, board: bool, selected: bool) -> QPixmap:
        def paint(p: QPainter, pic: QRectF) -> None:
            scale = max(pic.width() / image.width(), pic.height() / image.height())
            w, h = image.width() * scale, image.height() * scale
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            p.drawImage(QRectF((pic.width() - w) / 2, (pic.height() - h) / 2, w, h), image)
            if board:  # a board drawing, not a take: say so
                p.fillRect(QRectF(0, pic.bottom() - 16, pic.width(), 16), QColor(0, 0, 0, 140))
                p.setPen(theme.TEXT_DIM)
                p.drawText(pic.adjusted(6, 0, -6, -1), Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignLeft,
                           "board")
        return self._rounded(size, paint, selected)

    def _placeholder(self, size: QSize, selected: bool) -> QPixmap:
        def paint(p: QPainter, pic: QRectF) -> None:
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
        return self._rounded(size, paint, selected)

    def _paint_badges(self, p: QPainter, pic: QRectF, index: QModelIndex, base_font: QFont) -> None:
        right = pic.right() - 6
        job = role(index, JobRole)
        if job:
            status, fraction = job
            running = status == "running"
            badge = self._badge(base_font, "running" if running else "queued",
                                f"{int(fraction * 100)}%" if running else "queued")
            p.drawPixmap(QPointF(right - badge.width(), pic.top() + 6), badge)
            right -= badge.width() + 4
            if running:
                bar = QRectF(pic.left(), pic.bottom() - 4, pic.width(), 4)
                p.fillRect(bar, QColor(0, 0, 0, 150))
                p.fillRect(QRectF(bar.left(), bar.top(), bar.width() * fraction, bar.height()), theme.ACCENT)
        if role(index, StaleRole):
            badge = self._badge(base_font, "stale", "stale")
            p.drawPixmap(QPointF(right - badge.width(), pic.top() + 6), badge)
            right -= badge.width() + 4
        if role(index, WithdrawnRole):  # the take shows a likeness whose consent was revoked
            badge = self._badge(base_font, "withdrawn", "likeness withdrawn")
            p.drawPixmap(QPointF(max(pic.left() + 4, right - badge.width()), pic.top() + 6), badge)

    def _badge(self, base_font: QFont, kind: str, text: str) -> QPixmap:
        """A small rounded label ('queued', '42%', 'stale'), rendered once per text."""
        def make() -> QPixmap:
            font = self._font(base_font, "small")
            fm = QFontMetrics(font)
            size = QSize(fm.horizontalAdvance(text) + 24, fm.height() + 4)
            pixmap = QPixmap(size)
            pixmap.fill(Qt.GlobalColor.transparent)
            fill, ink, icon = {
                "running": (theme.ACCENT, QColor("white"), "mdi6.movie-cog-outline"),
                "queued": (theme.QUEUED, QColor("white"), "mdi6.progress-clock"),
                "stale": (theme.WARNING, QColor(30, 30, 30), "mdi6.link-variant-off"),
                "withdrawn": (theme.DANGER, QColor("white"), "mdi6.account-cancel-outline"),
            }[kind]
            p = QPainter(pixmap)
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            rect = QRectF(0, 0, size.width(), size.height())
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(fill.red(), fill.green(), fill.blue(), 230))
            p.drawRoundedRect(rect, 3, 3)
            p.drawPixmap(QPointF(4, rect.center().y() - 6), self._icon(icon, ink, 12))
            p.setFont(font)
            p.setPen(ink)
            p.drawText(rect.adjusted(18, 0, -4, 0), Qt.AlignmentFlag.AlignCenter, text)
            p.end()
            return pixmap
        return self._cached(("badge", kind, text, base_font.key()), make)


def card_rect(option_rect: QRect) -> QRect:
    return option_rect.adjusted(5, 5, -5, -5)
