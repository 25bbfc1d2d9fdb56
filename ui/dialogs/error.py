"""The error dialog: one clear message, what to do about it, and the details behind a button with
a copy-details button (for bug reports). Used for every error that reaches the user.

`describe(exc)` turns studio/engine errors into (title, message, suggestion, details): a `UserError`
or `EngineError` message is shown as written; anything else is a bug and says so.
"""
from __future__ import annotations

import logging
import traceback

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton,
                               QVBoxLayout, QWidget)

from engine.errors import EngineError, ErrorKind
from studio.errors import UserError

from .. import theme

log = logging.getLogger(__name__)


NOTHING_CHANGED = "Shotreel refused this; nothing was changed and your project is saved as it was."


def _is_traceback(text: str) -> bool:
    return "Traceback (most recent call last)" in (text or "")


def describe(exc: BaseException, details: str = "") -> tuple[str, str, str, str]:
    """(title, message, suggestion, details). A Python traceback is a detail of a bug only: a refusal
    the user can act on (UserError, an engine error that is not a bug) details in a sentence."""
    if isinstance(exc, UserError) or (isinstance(exc, EngineError) and exc.kind is not ErrorKind.BUG):
        if _is_traceback(details):
            log.info("%s", details)  # kept in the log for support, never shown
            details = ""
    elif not details:
        details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    if isinstance(exc, EngineError):
        title = "Generation failed" if exc.kind is not ErrorKind.BUG else "Something went wrong"
        extra = f"{exc.details}\n\n" if exc.details else ""
        return title, exc.message, exc.suggestion, (f"kind: {exc.kind.value}\n{extra}{details}").strip()
    if isinstance(exc, UserError):
        extra = str(getattr(exc, "details", "") or "")
        text = "\n\n".join(t for t in (extra, details) if t and not _is_traceback(t))
        return "Cannot do that", str(exc), "", text or NOTHING_CHANGED
    if isinstance(exc, OSError):
        return "File problem", f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""), \
            "Check that the file exists and that you may write to its folder.", details
    return ("Something went wrong", f"{type(exc).__name__}: {exc}",
            "This is a bug in Shotreel: copy the details into a bug report. Your project is saved.", details)


class ErrorDialog(QDialog):
    def __init__(self, title: str, message: str, suggestion: str = "", details: str = "",
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(460)
        self.details_text = details

        icon = QLabel(self)
        icon.setPixmap(theme.icon("mdi6.alert-circle-outline", theme.DANGER.name()).pixmap(36, 36))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.message_label = QLabel(message, self)
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.message_label.font()
        font.setPointSizeF(font.pointSizeF() + 1)
        self.message_label.setFont(font)
        self.suggestion_label = QLabel(suggestion, self)
        self.suggestion_label.setWordWrap(True)
        self.suggestion_label.setObjectName("panelHint")
        self.suggestion_label.setVisible(bool(suggestion))

        text = QVBoxLayout()
        text.addWidget(self.message_label)
        text.addWidget(self.suggestion_label)
        top = QHBoxLayout()
        top.addWidget(icon)
        top.addLayout(text, 1)

        self.details = QPlainTextEdit(details, self)
        self.details.setReadOnly(True)
        self.details.setVisible(False)
        self.details.setMinimumHeight(160)
        mono = self.details.font()
        mono.setFamily("DejaVu Sans Mono")
        self.details.setFont(mono)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok, self)
        self.toggle_button = QPushButton("Show Details", self)
        self.toggle_button.setEnabled(bool(details))
        self.toggle_button.clicked.connect(self._toggle)
        self.copy_button = QPushButton(theme.icon("mdi6.content-copy"), "Copy Details", self)
        self.copy_button.clicked.connect(self.copy_details)
        buttons.addButton(self.toggle_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.accepted.connect(self.accept)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.details, 1)
        layout.addWidget(buttons)

    def copy_text(self) -> str:
        parts = [self.windowTitle(), self.message_label.text()]
        if self.suggestion_label.text():
            parts.append(self.suggestion_label.text())
        if self.details_text:
            parts.append(self.details_text)
        return "\n\n".join(parts)

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.copy_text())
        self.copy_button.setText("Copied")

    def _toggle(self) -> None:
        self.details.setVisible(not self.details.isVisible())
        self.toggle_button.setText("Hide Details" if self.details.isVisible() else "Show Details")
        self.adjustSize()

    @classmethod
    def from_exception(cls, exc: BaseException, parent: QWidget | None = None, details: str = "") -> "ErrorDialog":
        return cls(*describe(exc, details), parent=parent)


def show_error(parent: QWidget | None, exc: BaseException, details: str = "", *, modal: bool = True) -> ErrorDialog:
    """Show `exc` to the user. Modal by default; tests pass modal=False and inspect the dialog."""
    dialog = ErrorDialog.from_exception(exc, parent, details)
    if modal:
        dialog.exec()
    else:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
    return dialog
