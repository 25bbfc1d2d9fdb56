"""Verify a file's Content Credentials (`studio.provenance.verify`) off the GUI thread and show the report."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit,
                               QPlainTextEdit, QPushButton, QVBoxLayout, QWidget)

from .. import theme
from .tasks import BackgroundTask

_STATE_COLOURS = {"Trusted": theme.SUCCESS, "Valid": theme.ACCENT, "Invalid": theme.DANGER}


class VerifyDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, path: str = ""):
        super().__init__(parent)
        self.setWindowTitle("Verify Content Credentials")
        self.setMinimumSize(620, 380)
        self.report = None
        self.task: BackgroundTask | None = None
        self.path_edit = QLineEdit(path, self)
        self.path_edit.setPlaceholderText("An exported MP4, a take, any file…")
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        self.verify_button = QPushButton(theme.icon("mdi6.shield-check-outline"), "Verify", self)
        self.verify_button.clicked.connect(self.start)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        row.addWidget(self.verify_button)
        self.state_label = QLabel("", self)
        font = self.state_label.font()
        font.setBold(True)
        self.state_label.setFont(font)
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.state_label)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "File to verify", self.path_edit.text())
        if path:
            self.path_edit.setText(path)
            self.start()

    def start(self) -> BackgroundTask | None:
        path = self.path_edit.text().strip()
        if not path:
            return None
        self.verify_button.setEnabled(False)
        self.state_label.setText("Verifying…")
        self.text.clear()

        def work(report, cancel):
            from studio.identity import load_or_create_identity
            from studio.provenance import verify
            try:
                identity = load_or_create_identity()  # the studio's own root counts as trusted here
            except Exception:
                identity = None
            return verify(Path(path), identity=identity)

        self.task = BackgroundTask(work, self)
        self.task.succeeded.connect(self._show)
        self.task.failed.connect(self._failed)
        self.task.finished.connect(lambda: self.verify_button.setEnabled(True))
        return self.task.start()

    def _show(self, report) -> None:
        self.report = report
        state = getattr(report, "state", "")
        color = _STATE_COLOURS.get(state, theme.TEXT_DIM)
        self.state_label.setStyleSheet(f"color: {color.name()}")
        self.state_label.setText(state if state in _STATE_COLOURS else
                                 "Not a media file" if state == "not media" else "No Content Credentials")
        self.text.setPlainText("\n".join(report.summary_lines()))

    def _failed(self, exc, details) -> None:
        self.state_label.setStyleSheet(f"color: {theme.DANGER.name()}")
        self.state_label.setText("Could not verify")
        self.text.setPlainText(str(exc))
