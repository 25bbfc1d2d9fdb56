"""Settings: where projects live (per user, QSettings), and the open project's engine defaults, model
folders and watermark (project settings, changed through ONE undoable command on OK), plus the signing
identity (read off the GUI thread: the first call creates the studio's certificates).
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog,
                               QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QListWidget, QPlainTextEdit,
                               QPushButton, QVBoxLayout, QWidget)

from studio.commands import Command, Macro, SetProjectFields, SetProjectSetting
from studio.errors import UserError
from studio.farm import EXTRA_HINT, SETTING as FARM_SETTING, farm_available, farm_setting, validate_address

from .tasks import BackgroundTask

BACKENDS = ("previs", "diffusion")
PROJECTS_FOLDER_KEY = "projects_folder"


def load_identity_lines(report, cancel) -> list[str]:
    from studio.identity import load_or_create_identity
    return load_or_create_identity().summary_lines()


class SettingsDialog(QDialog):
    def __init__(self, doc, settings: QSettings, parent: QWidget | None = None, *, default_projects: str = ""):
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(560)
        self.doc = doc
        self.settings = settings
        project = doc.project if doc is not None else None
        psettings: dict[str, Any] = dict(project.settings) if project else {}

        general = QGroupBox("Studio", self)
        form = QFormLayout(general)
        self.projects_folder = QLineEdit(str(settings.value(PROJECTS_FOLDER_KEY, default_projects) or ""), self)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse_projects)
        row = QHBoxLayout()
        row.addWidget(self.projects_folder, 1)
        row.addWidget(browse)
        form.addRow("Projects folder", row)
        # The studio's content policy (studio.policy): a TOML file copied into the user config folder.
        self.policy_path = QLineEdit(self)
        self.policy_path.setReadOnly(True)
        self.policy_path.setToolTip("Names that always need a consent record, blocked terms, block or warn. "
                                    "A project adds its own policy.toml in its folder.")
        choose_policy = QPushButton("Choose…", self)
        choose_policy.clicked.connect(lambda: self.choose_policy())
        row = QHBoxLayout()
        row.addWidget(self.policy_path, 1)
        row.addWidget(choose_policy)
        form.addRow("Content policy", row)
        self._show_policy()

        engine = QGroupBox("Engine defaults (this project)", self)
        eform = QFormLayout(engine)
        self.backend = QComboBox(self)
        self.backend.addItems(BACKENDS)
        if project:
            self.backend.setCurrentText(project.default_backend)
        self.burn_in = QCheckBox("Burn shot number and timecode into previs takes", self)
        self.burn_in.setChecked(bool(psettings.get("burn_in", False)))
        eform.addRow("Backend", self.backend)
        eform.addRow("", self.burn_in)
        self.model_dirs = QListWidget(self)
        self.model_dirs.addItems([str(p) for p in psettings.get("model_dirs") or []])
        self.model_dirs.setMaximumHeight(80)
        add_dir = QPushButton("Add…", self)
        add_dir.clicked.connect(self._add_model_dir)
        remove_dir = QPushButton("Remove", self)
        remove_dir.clicked.connect(lambda: [self.model_dirs.takeItem(self.model_dirs.row(i))
                                            for i in self.model_dirs.selectedItems()])
        dir_buttons = QVBoxLayout()
        dir_buttons.addWidget(add_dir)
        dir_buttons.addWidget(remove_dir)
        dir_buttons.addStretch(1)
        dirs = QHBoxLayout()
        dirs.addWidget(self.model_dirs, 1)
        dirs.addLayout(dir_buttons)
        eform.addRow("Model folders", dirs)

        from ui.inspector.diffusion import DiffusionSettingsForm   # one set of choices with the inspector
        from studio.diffusion_settings import project_defaults
        diffusion = QGroupBox("Diffusion defaults (this project; a shot can override them)", self)
        QVBoxLayout(diffusion).addWidget(DiffusionSettingsForm(diffusion, follow_previs=False,
                                                               default_label="Engine default"))
        self.diffusion = diffusion.findChild(DiffusionSettingsForm)
        self.diffusion.set_values(project_defaults(project) if project else {})

        wm = dict(psettings.get("watermark") or {})
        mark = QGroupBox("Export watermark (this project)", self)
        wform = QFormLayout(mark)
        self.watermark = QCheckBox("Visible moving watermark on exports", self)
        self.watermark.setChecked(bool(wm.get("enabled", True)))
        self.opacity = QDoubleSpinBox(self)
        self.opacity.setRange(0.05, 1.0)
        self.opacity.setSingleStep(0.05)
        self.opacity.setValue(float(wm.get("opacity", 0.35)))
        self.watermark.toggled.connect(self.opacity.setEnabled)
        self.opacity.setEnabled(self.watermark.isChecked())
        wform.addRow("", self.watermark)
        wform.addRow("Opacity", self.opacity)

        farm = farm_setting(psettings)
        self.farm_box = QGroupBox("Render farm (this project)", self)
        fform = QFormLayout(self.farm_box)
        self.farm_enabled = QCheckBox("Generate on the render farm (takes are still written and signed here)", self)
        self.farm_enabled.setChecked(farm["enabled"])
        self.farm_address = QLineEdit(farm["address"], self)
        self.farm_address.setPlaceholderText("HOST:PORT, or empty for this machine's farm")
        self.farm_note = QLabel("" if farm_available() else EXTRA_HINT, self)
        self.farm_note.setWordWrap(True)
        fform.addRow("", self.farm_enabled)
        fform.addRow("Head address", self.farm_address)
        fform.addRow("", self.farm_note)

        ident = QGroupBox("Signing identity (Content Credentials)", self)
        iv = QVBoxLayout(ident)
        self.identity_text = QPlainTextEdit("Loading…", self)
        self.identity_text.setReadOnly(True)
        self.identity_text.setMaximumHeight(130)
        iv.addWidget(self.identity_text)

        for box in (engine, diffusion, mark, self.farm_box):
            box.setEnabled(project is not None)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (general, engine, diffusion, mark, self.farm_box, ident):
            layout.addWidget(widget)
        layout.addWidget(buttons)

        self.identity_task = BackgroundTask(load_identity_lines, self)
        self.identity_task.succeeded.connect(lambda lines: self.identity_text.setPlainText("\n".join(lines)))
        self.identity_task.failed.connect(lambda exc, _: self.identity_text.setPlainText(f"Not available: {exc}"))
        self.identity_task.start()

    def _show_policy(self, error: str = "") -> None:
        from studio.policy import DEFAULT_POLICY, studio_policy_path
        path = studio_policy_path()
        self.policy_path.setText(error or (str(path) if path.exists() else f"{DEFAULT_POLICY} (shipped default)"))

    def choose_policy(self, path: str | None = None) -> bool:
        """Validate a TOML policy and make it the studio's (takes effect at once, not on OK: it is not a
        project setting). A bad file is refused with its one-line reason and the old policy stays."""
        from studio.errors import UserError
        from studio.policy import choose_studio_policy
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Content policy", "", "TOML (*.toml);;All files (*)")
            if not path:
                return False
        try:
            choose_studio_policy(path)
        except UserError as exc:
            self._show_policy(f"⚠ {exc}")
            return False
        self._show_policy()
        return True

    def _browse_projects(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Projects folder", self.projects_folder.text())
        if folder:
            self.projects_folder.setText(folder)

    def _add_model_dir(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Model folder")
        if folder:
            self.model_dirs.addItem(folder)

    def project_command(self) -> Command | None:
        """The project changes as one undoable command (None when nothing changed)."""
        if self.doc is None:
            return None
        project = self.doc.project
        commands: list[Command] = []
        if self.backend.currentText() != project.default_backend:
            commands.append(SetProjectFields(default_backend=self.backend.currentText()))
        if self.burn_in.isChecked() != bool(project.settings.get("burn_in", False)):
            commands.append(SetProjectSetting("burn_in", self.burn_in.isChecked()))
        dirs = [self.model_dirs.item(i).text() for i in range(self.model_dirs.count())]
        if dirs != list(project.settings.get("model_dirs") or []):
            commands.append(SetProjectSetting("model_dirs", dirs))
        wm = dict(project.settings.get("watermark") or {})
        new_wm = {**wm, "enabled": self.watermark.isChecked(), "opacity": round(self.opacity.value(), 2)}
        if new_wm != wm:
            commands.append(SetProjectSetting("watermark", new_wm))
        farm = {"enabled": self.farm_enabled.isChecked(), "address": validate_address(self.farm_address.text())}
        if farm != farm_setting(project.settings):
            commands.append(SetProjectSetting(FARM_SETTING, farm))   # used when the project opens next
        from studio.diffusion_settings import project_defaults
        if self.diffusion.values() != project_defaults(project):
            commands.append(SetProjectSetting("diffusion", self.diffusion.values()))
        if not commands:
            return None
        return commands[0] if len(commands) == 1 else Macro("Change Settings", commands)

    def apply(self) -> None:
        self.settings.setValue(PROJECTS_FOLDER_KEY, self.projects_folder.text().strip())
        command = self.project_command()
        if command is not None:
            self.doc.execute(command)

    def accept(self) -> None:
        try:   # a bad farm address keeps the dialog open with one line saying why
            validate_address(self.farm_address.text())
        except UserError as exc:
            self.farm_note.setText(str(exc))
            return
        self.apply()
        super().accept()
