"""Export the cut: a movie preset (signed MP4 / ProRes / GIF through `studio.export.export_and_sign`) or a
file for other tools (OTIO / FCP XML / FCPXML / EDL / storyboard PDF / contact sheet through
`studio.interchange.export_file`). The work runs on a pool thread with a progress bar and a cancel
button; the project is snapshotted on the GUI thread first, so edits made meanwhile cannot race it.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QProgressBar, QPushButton, QVBoxLayout, QWidget)

from studio.model import Project

from .. import theme
from .error import show_error
from .tasks import BackgroundTask

# (label, preset or '', extension); the project-size movie comes first: it is the default (no upscaling)
FORMATS = (
    ("Movie — H.264 project size (signed)", "source", ".mp4"),
    ("Movie — H.264 1080p (signed)", "1080p", ".mp4"),
    ("Movie — H.264 720p (signed)", "720p", ".mp4"),
    ("Movie — ProRes (.mov)", "prores", ".mov"),
    ("Animated GIF", "gif", ".gif"),
    ("Timeline — OpenTimelineIO (.otio)", "", ".otio"),
    ("Timeline — Final Cut Pro 7 XML", "", ".xml"),
    ("Timeline — FCPXML", "", ".fcpxml"),
    ("Timeline — CMX 3600 EDL", "", ".edl"),
    ("Storyboard PDF", "", ".pdf"),
    ("Contact sheet (PNG)", "", ".png"),
)


def run_export(project: Project, folder: Path, out: Path, preset: str, watermark: bool | None, report, cancel):
    """Pool thread: the export itself. Returns a one-line summary for the dialog."""
    if preset:
        from studio.export import export_and_sign
        from studio.watermark import WatermarkSettings
        kwargs = {}
        if watermark is not None:
            wm = WatermarkSettings.from_settings(project.settings.get("watermark"))
            kwargs["watermark"] = wm if watermark else wm.disabled()
        result = export_and_sign(project, folder, out, preset=preset, progress=report, cancel=cancel, **kwargs)
        return result.summary()
    from studio.interchange import export_file
    path = export_file(project, folder, out)
    return f"{Path(path).name} written"


def shots_to_regenerate(project: Project) -> tuple[list[str], list[str]]:
    """(shots without a usable take, stale shots), each in cut order: what a movie export would show
    as black or out of date."""
    from studio.continuity import stale_shots
    from studio.model import TakeStatus
    stale = stale_shots(project)
    missing, old = [], []
    for _, shot in project.shots():
        take = project.takes.get(shot.selected_take) if shot.selected_take else None
        if take is None or take.status is not TakeStatus.READY:
            missing.append(shot.id)
        elif shot.id in stale:
            old.append(shot.id)
    return missing, old


class ExportDialog(QDialog):
    exported = Signal(str)  # the written path
    regenerate_requested = Signal(list)  # shot ids, in cut order: the window queues them

    def __init__(self, doc, parent: QWidget | None = None, *, out_dir: str | None = None):
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.setMinimumWidth(560)
        self.doc = doc
        self.task: BackgroundTask | None = None
        self.format = QComboBox(self)
        project = doc.project
        for label, preset, ext in FORMATS:
            if preset == "source":
                label = label.replace("project size", f"project size {project.width}×{project.height}")
            elif preset in ("1080p", "720p") and int(preset[:-1]) > project.height:
                label += " — upscales this project"
            self.format.addItem(label, (preset, ext))
        self.format.currentIndexChanged.connect(self._format_changed)
        base = Path(out_dir) if out_dir else doc.media_dir / "exports"
        stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in doc.project.name).strip("-") or "cut"
        self.path_edit = QLineEdit(str(base / f"{stem}.mp4"), self)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        self.watermark = QCheckBox("Visible moving watermark", self)
        self.watermark.setChecked(bool((doc.project.settings.get("watermark") or {}).get("enabled", True)))
        form = QFormLayout()
        form.addRow("Format", self.format)
        form.addRow("File", path_row)
        form.addRow("", self.watermark)

        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.status = QLabel("", self)
        self.status.setObjectName("panelHint")
        self.status.setWordWrap(True)
        self.export_button = QPushButton(theme.icon("mdi6.export"), "Export", self)
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Close", self)
        self.cancel_button.clicked.connect(self._cancel_or_close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.export_button)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        missing = self._missing_summary()
        if missing:
            self.status.setText(missing)

    def _missing_summary(self) -> str:
        try:
            from studio.playlist import build_edit_list
            edit = build_edit_list(self.doc.project, folder=self.doc.folder)
        except Exception as exc:
            return str(exc)
        lines = []
        if edit.missing:
            lines.append(f"{len(edit.missing)} shot(s) have no usable take yet; movie formats need every shot "
                         "generated (timelines and the PDF do not).")
        try:  # a withdrawn likeness or consent without export: said before the user presses Export
            from studio.consent import check_export
            check_export(self.doc.project, edit, self.doc.folder)
        except Exception as exc:
            lines.append(str(exc))
        return "\n".join(lines)

    def _format_changed(self) -> None:
        preset, ext = self.format.currentData()
        path = Path(self.path_edit.text() or "cut")
        self.path_edit.setText(str(path.with_suffix(ext)))
        self.watermark.setEnabled(bool(preset))

    def _browse(self) -> None:
        _, ext = self.format.currentData()
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.path_edit.text(), f"*{ext}")
        if path:
            self.path_edit.setText(path if path.endswith(ext) else path + ext)

    def start(self, checked: bool = False, *, confirmed: bool = False) -> BackgroundTask | None:
        """Export; a movie of a cut with stale shots or shots without a take asks first (`warning`)."""
        if self.task is not None and self.task.running:
            return self.task
        preset, _ = self.format.currentData()
        if preset and not confirmed and self._warn_incomplete():
            return None
        out = Path(self.path_edit.text().strip()).expanduser()
        project = Project.from_dict(self.doc.project.to_dict())  # a snapshot: the worker reads only this
        folder = Path(self.doc.folder)
        watermark = self.watermark.isChecked() if preset else None
        out.parent.mkdir(parents=True, exist_ok=True)
        self.task = BackgroundTask(lambda report, cancel: run_export(project, folder, out, preset, watermark,
                                                                     report, cancel), self)
        self.task.progress.connect(self._progress)
        self.task.succeeded.connect(lambda summary: self._done(summary, str(out)))
        self.task.failed.connect(self._failed)
        self.task.cancelled.connect(lambda: self._ended("Export cancelled; nothing was written."))
        self.export_button.setEnabled(False)
        self.cancel_button.setText("Cancel")
        self.progress.setValue(0)
        self.status.setText("Exporting…")
        return self.task.start()

    def _warn_incomplete(self) -> bool:
        """Ask before exporting a movie that would show stale or missing shots. True: a question is open."""
        missing, stale = shots_to_regenerate(self.doc.project)
        if not missing and not stale:
            return False
        from PySide6.QtWidgets import QMessageBox
        from ..labels import plural
        parts = []
        if missing:
            parts.append(f"{plural(len(missing), 'shot')} {'has' if len(missing) == 1 else 'have'} no take yet")
        if stale:
            parts.append(f"{plural(len(stale), 'shot')} {'is' if len(stale) == 1 else 'are'} stale (made from a "
                         "take that is no longer selected)")
        box = QMessageBox(QMessageBox.Icon.Warning, "Export an unfinished cut?",
                          "In this cut " + " and ".join(parts) + ".", QMessageBox.StandardButton.NoButton, self)
        box.setInformativeText("Generate them first, then export again." if missing else
                               "Regenerate them first, or export the cut as it is.")
        self.regenerate_button = box.addButton("Generate Them" if missing else "Regenerate Them",
                                               QMessageBox.ButtonRole.AcceptRole)
        self.anyway_button = None if missing else box.addButton("Export Anyway",
                                                                 QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(self.regenerate_button)
        ids = missing + stale
        order = {shot.id: n for n, (_, shot) in enumerate(self.doc.project.shots())}
        ids.sort(key=order.get)

        def answered(button) -> None:
            if button is self.regenerate_button:
                self.regenerate_requested.emit(ids)
                self.status.setText(f"Queued {plural(len(ids), 'shot')}; export when they are done.")
            elif button is not None and button is self.anyway_button:
                self.start(confirmed=True)
        box.buttonClicked.connect(answered)
        self.warning = box
        box.open()
        return True

    def _progress(self, progress) -> None:
        total = getattr(progress, "total", 0) or 0
        if total:
            self.progress.setValue(int(1000 * min(1.0, progress.current / total)))
        eta = getattr(progress, "eta_s", None)
        stage = getattr(progress, "stage", "")
        self.status.setText(f"{stage}… {f'{eta:.0f}s left' if eta else ''}")

    def _done(self, summary: str, path: str) -> None:
        self.progress.setValue(1000)
        self._ended(summary)
        self.exported.emit(path)

    def _failed(self, exc, details) -> None:
        self._ended("Export failed.")
        show_error(self, exc, details, modal=self.isModal())

    def _ended(self, text: str) -> None:
        self.status.setText(text)
        self.export_button.setEnabled(True)
        self.cancel_button.setText("Close")

    def _cancel_or_close(self) -> None:
        if self.task is not None and self.task.running:
            self.task.cancel()
            self.status.setText("Cancelling…")
        else:
            self.reject()

    def reject(self) -> None:
        if self.task is not None and self.task.running:
            self.task.cancel()
        super().reject()
