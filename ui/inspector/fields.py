"""Small form helpers shared by the inspector and the bible panel: inline errors, commit-on-finish text
boxes, a slider that commits on release, and section headers.

An edit the document refuses (studio `ValidationError`, engine `CueError`) is shown on the widget itself
— red border, the message as tooltip — and the widget keeps what the user typed, so nothing is lost;
the next accepted edit clears the mark.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (QAbstractSpinBox, QComboBox, QFormLayout, QFrame, QHBoxLayout, QLabel, QLineEdit,
                               QListWidget, QPlainTextEdit, QSlider, QWidget)

from engine.cues import CueError
from studio.errors import UserError

from .. import theme

EDIT_ERRORS = (UserError, CueError, ValueError)
_ERROR_STYLE = f"border: 1px solid {theme.DANGER.name()}; border-radius: 3px;"


def mark_error(widget: QWidget, message: str) -> None:
    if widget.property("fieldError") is None:
        widget.setProperty("plainTooltip", widget.toolTip())
    widget.setProperty("fieldError", message)
    widget.setStyleSheet(_ERROR_STYLE)
    widget.setToolTip(message)


def clear_error(widget: QWidget) -> None:
    if widget.property("fieldError") is None:
        return
    widget.setProperty("fieldError", None)
    widget.setStyleSheet("")
    widget.setToolTip(widget.property("plainTooltip") or "")


def field_error(widget: QWidget) -> str:
    """The message shown on a widget ('' when it has none): tests and the panel read it."""
    return widget.property("fieldError") or ""


def run_edit(doc, widget: QWidget, make_command: Callable[[], object]) -> bool:
    """Build and execute a command for `widget`'s edit; a refusal marks the widget and returns False."""
    try:
        command = make_command()
        if command is None:
            clear_error(widget)
            return False
        doc.execute(command)
    except EDIT_ERRORS as exc:
        mark_error(widget, str(exc))
        return False
    clear_error(widget)
    return True


class CommitTextEdit(QPlainTextEdit):
    """A multi-line box that reports `committed(text)` when focus leaves it or typing pauses.

    Typing pauses commit too (so a crash loses at most the last half second); the document merges
    consecutive edits of one field into one undo step."""
    committed = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, pause_ms: int = 700):
        super().__init__(parent)
        self._last = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(pause_ms)
        self._timer.timeout.connect(self.commit)
        self.textChanged.connect(self._changed)
        self._loading = False
        self.setTabChangesFocus(True)

    def set_text(self, text: str) -> None:
        """Show the document's value (never commits)."""
        if text == self.toPlainText():
            self._last = text
            return
        self._loading = True
        try:
            self.setPlainText(text)
        finally:
            self._loading = False
        self._last = text
        self._timer.stop()

    def _changed(self) -> None:
        if not self._loading:
            self._timer.start()

    def commit(self) -> None:
        self._timer.stop()
        text = self.toPlainText()
        if text != self._last:
            self._last = text
            self.committed.emit(text)

    @property
    def dirty(self) -> bool:
        return self.toPlainText() != self._last or self._timer.isActive()

    def focusOutEvent(self, event) -> None:
        self.commit()
        super().focusOutEvent(event)


class ReleaseSlider(QSlider):
    """A 0..100 slider that reports `committed(value)` once per gesture: on release after a drag, or at
    once for keyboard / wheel / click steps (which have no drag)."""
    committed = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setRange(0, 100)
        self.setPageStep(10)
        self.sliderReleased.connect(lambda: self.committed.emit(self.value()))
        self.valueChanged.connect(self._changed)
        self._loading = False

    def set_value(self, value: int) -> None:
        self._loading = True
        try:
            self.setValue(int(value))
        finally:
            self._loading = False

    def _changed(self, value: int) -> None:
        if not self._loading and not self.isSliderDown():
            self.committed.emit(value)


class FocusCommit(QObject):
    """Event filter: calls `fn` when the watched widget loses focus (line edits commit on editingFinished
    already; editable combo boxes need this)."""

    def __init__(self, widget: QWidget, fn: Callable[[], None]):
        super().__init__(widget)
        self.fn = fn
        widget.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.FocusOut:
            self.fn()
        return False


def section(title: str, parent: QWidget | None = None, trailing: QWidget | None = None) -> QWidget:
    """A section header: bold title over a hairline, optionally with a widget at the right."""
    header = QWidget(parent)
    layout = QHBoxLayout(header)
    layout.setContentsMargins(0, 10, 0, 2)
    label = QLabel(title.upper(), header)
    label.setStyleSheet(f"color: {theme.TEXT_DIM.name()}; font-weight: bold; letter-spacing: 1px;")
    layout.addWidget(label)
    line = QFrame(header)
    line.setFrameShape(QFrame.Shape.HLine)
    line.setStyleSheet(f"color: {theme.BORDER.name()};")
    layout.addWidget(line, 1)
    if trailing is not None:
        layout.addWidget(trailing)
    return header


LABEL_W = 84


class AlignedForm(QFormLayout):
    """A form whose labels share one width across sections, so every field starts on the same line."""

    def addRow(self, label, field=None):  # noqa: N802 (Qt override)
        if isinstance(label, str):
            text = QLabel(label)
            text.setFixedWidth(LABEL_W)
            text.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            text.setObjectName("formLabel")
            label = text
        return super().addRow(label, field)


def fit_list_height(view: QListWidget, max_rows: int) -> None:
    """A short list takes only the rows it has (up to max_rows; then it scrolls)."""
    rows = max(1, min(view.count(), max_rows))
    row_h = view.sizeHintForRow(0) if view.count() else 18
    view.setFixedHeight(rows * max(row_h, 16) + 2 * view.frameWidth() + 4)


def compact_combos(root: QWidget) -> None:
    """Fields may shrink to a few characters instead of their longest item or widest value, so a narrow
    dock squeezes the form rather than clipping it (the values stay readable in tooltips and popups)."""
    for combo in root.findChildren(QComboBox):
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(3)
        combo.setMinimumWidth(56)
    for field in root.findChildren(QAbstractSpinBox) + root.findChildren(QLineEdit):
        field.setMinimumWidth(48)
