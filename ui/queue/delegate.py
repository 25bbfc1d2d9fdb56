"""Paints one queue row: the latest step preview, the job's label, stage and step count, a progress
bar, the ETA, and a status icon (queued, running, done, failed, cancelled)."""
from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPainterPath, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from .. import theme
from .model import ErrorRole, EtaRole, FractionRole, NodeRole, PreviewRole, StageRole, StatusRole, StepsRole
from ..qtcompat import role

ROW_H = 58
PREVIEW_W, PREVIEW_H = 80, 45

STATUS_ICONS = {
    "queued": ("mdi6.progress-clock", theme.QUEUED),
    "running": ("mdi6.movie-cog-outline", theme.ACCENT),
    "done": ("mdi6.check-circle-outline", theme.SUCCESS),
    "failed": ("mdi6.alert-circle-outline", theme.DANGER),
    "cancelled": ("mdi6.cancel", theme.TEXT_DIM),
}


def format_eta(seconds: float | None) -> str:
    if seconds is None or seconds < 0:
        return ""
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d} left" if seconds >= 60 else f"{seconds}s left"


class JobDelegate(QStyledItemDelegate):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._icons: dict[str, QPixmap] = {}

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        return QSize(300, ROW_H)

    def _icon(self, status: str) -> QPixmap:
        if status not in self._icons:
            name, color = STATUS_ICONS.get(status, STATUS_ICONS["queued"])
            self._icons[status] = theme.icon(name, color.name()).pixmap(16, 16)
        return self._icons[status]

    def paint(self, p: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(option.rect).adjusted(4, 3, -4, -3)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        path = QPainterPath()
        path.addRoundedRect(r, 4, 4)
        p.fillPath(path, theme.CARD_SELECTED if selected else theme.CARD)

        status = role(index, StatusRole) or "queued"
        pic = QRectF(r.left() + 5, r.top() + (r.height() - PREVIEW_H) / 2, PREVIEW_W, PREVIEW_H)
        preview = role(index, PreviewRole)
        if preview is not None and not preview.isNull():
            p.drawImage(pic, preview)
        else:
            p.fillRect(pic, theme.BASE)
            p.drawPixmap(QPointF(pic.center().x() - 8, pic.center().y() - 8), self._icon(status))

        x = pic.right() + 10
        right = r.right() - 8
        fm = QFontMetrics(option.font)
        p.setPen(theme.TEXT)
        font = p.font()
        font.setBold(True)
        p.setFont(font)
        title = fm.elidedText(str(role(index) or ""), Qt.TextElideMode.ElideRight, int(right - x - 24))
        p.drawText(QRectF(x, r.top() + 4, right - x - 24, fm.height()), Qt.AlignmentFlag.AlignLeft, title)
        font.setBold(False)
        p.setFont(font)
        p.drawPixmap(QPointF(right - 16, r.top() + 4), self._icon(status))

        fraction = float(role(index, FractionRole) or 0.0)
        current, total = role(index, StepsRole) or (0, 0)
        stage = role(index, StageRole) or ""
        if status == "running":
            detail = f"{stage} {current}/{total}" if total else (stage or "starting")
        elif status == "failed":
            error = role(index, ErrorRole) or {}
            detail = error.get("message", "failed")
        else:
            detail = status
        node = role(index, NodeRole) or ""
        if node and status != "failed":
            detail = f"{detail}  ·  {node}"   # which farm machine has it
        eta = format_eta(role(index, EtaRole)) if status == "running" else ""
        p.setPen(theme.DANGER if status == "failed" else theme.TEXT_DIM)
        line_y = r.top() + 6 + fm.height()
        eta_w = fm.horizontalAdvance(eta) + 6 if eta else 0
        p.drawText(QRectF(x, line_y, right - x - eta_w, fm.height()), Qt.AlignmentFlag.AlignLeft,
                   fm.elidedText(detail, Qt.TextElideMode.ElideRight, int(right - x - eta_w)))
        if eta:
            p.setPen(theme.TEXT_DIM)
            p.drawText(QRectF(right - eta_w, line_y, eta_w, fm.height()), Qt.AlignmentFlag.AlignRight, eta)

        bar = QRectF(x, r.bottom() - 10, right - x, 5)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(theme.BASE)
        p.drawRoundedRect(bar, 2, 2)
        color = {"done": theme.SUCCESS, "failed": theme.DANGER, "cancelled": theme.TEXT_DIM}.get(status, theme.ACCENT)
        if fraction > 0:
            p.setBrush(color)
            p.drawRoundedRect(QRectF(bar.left(), bar.top(), bar.width() * fraction, bar.height()), 2, 2)
        p.restore()
