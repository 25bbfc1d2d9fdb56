"""Dialogs: settings as one undoable command, identity and verify off the GUI thread, export in a worker."""
from __future__ import annotations

from PySide6.QtCore import QSettings

from studio.demo import build_demo
from tests.ui.ui_fixtures import *  # noqa: F403
from tests.ui.ui_fixtures import write_thumbnail
from ui.app import make_application
from ui.dialogs.error import ErrorDialog
from ui.dialogs.export import ExportDialog
from ui.dialogs.settings import PROJECTS_FOLDER_KEY, SettingsDialog
from ui.dialogs.verify import VerifyDialog


def test_settings_apply_as_one_undoable_command(qtbot, doc, tmp_path):
    make_application()
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    dialog = SettingsDialog(doc, settings)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.identity_text.toPlainText() != "Loading…", timeout=15000)
    assert "Signer" in dialog.identity_text.toPlainText()  # the studio identity, created off the GUI thread
    dialog.backend.setCurrentText("diffusion")
    dialog.burn_in.setChecked(True)
    dialog.opacity.setValue(0.5)
    dialog.projects_folder.setText(str(tmp_path / "my-projects"))
    dialog.accept()
    assert doc.project.default_backend == "diffusion"
    assert doc.project.settings["burn_in"] is True
    assert doc.project.settings["watermark"]["opacity"] == 0.5
    assert settings.value(PROJECTS_FOLDER_KEY) == str(tmp_path / "my-projects")
    assert doc.undo_text == "Change Settings"
    doc.undo()
    assert doc.project.default_backend == "previs" and doc.project.settings["burn_in"] is False
    assert doc.project.settings["watermark"]["opacity"] == 0.35
    unchanged = SettingsDialog(doc, settings)
    qtbot.addWidget(unchanged)
    assert unchanged.project_command() is None  # nothing edited: no empty undo step


def test_verify_runs_off_the_gui_thread(qtbot, tmp_path, studio_env):
    make_application()
    image = tmp_path / "plain.png"
    write_thumbnail(image)
    dialog = VerifyDialog(path=str(image))
    qtbot.addWidget(dialog)
    task = dialog.start()
    with qtbot.waitSignal(task.finished, timeout=15000):
        pass
    assert dialog.state_label.text() == "No Content Credentials"
    assert "no Content Credentials" in dialog.text.toPlainText()


def test_export_timeline_in_a_worker_and_movie_refusal(qtbot, tmp_path, studio_env):
    make_application()
    doc = build_demo(tmp_path / "demo.shotreel")
    dialog = ExportDialog(doc, out_dir=str(tmp_path / "out"))
    qtbot.addWidget(dialog)
    assert "no usable take" in dialog.status.text() or "have no usable take" in dialog.status.text()
    otio = next(i for i in range(dialog.format.count()) if dialog.format.itemData(i)[1] == ".otio")
    dialog.format.setCurrentIndex(otio)
    assert dialog.path_edit.text().endswith(".otio")
    with qtbot.waitSignal(dialog.exported, timeout=20000) as blocker:
        dialog.start()
    assert (tmp_path / "out").joinpath(blocker.args[0].split("/")[-1]).is_file()
    # a movie needs every shot generated: the worker's UserError reaches an error dialog, nothing is written
    dialog.format.setCurrentIndex(0)
    assert dialog.start() is None and dialog.warning.isVisible()  # asks first (issue 15); then past the question
    dialog.warning.close()
    task = dialog.start(confirmed=True)
    with qtbot.waitSignal(task.finished, timeout=20000):
        pass
    assert dialog.status.text() == "Export failed."
    errors = dialog.findChildren(ErrorDialog)
    assert errors and "no usable take" in errors[-1].message_label.text()
    assert not list((tmp_path / "out").glob("*.mp4"))
    doc.close()


def test_export_a_signed_movie_and_verify_it(qtbot, doc, tmp_path):
    """Every shot has a real take: the export dialog renders and signs the cut off the GUI thread, and the
    verify dialog reads its Content Credentials back."""
    from tests.ui.ui_fixtures import add_take
    make_application()
    for i, (_, shot) in enumerate(list(doc.project.shots())):
        add_take(doc, shot.id, f"tk{i}", video=True, frames=12, color=(40 * i, 90, 160))
    dialog = ExportDialog(doc, out_dir=str(tmp_path / "out"))
    qtbot.addWidget(dialog)
    source = next(i for i in range(dialog.format.count()) if dialog.format.itemData(i)[0] == "source")
    dialog.format.setCurrentIndex(source)
    seen = []
    with qtbot.waitSignal(dialog.exported, timeout=60000) as blocker:
        task = dialog.start(confirmed=True)  # past the stale-shots question (these takes are not chained)
        task.progress.connect(lambda p: seen.append(p.current))
    out = blocker.args[0]
    assert out.endswith(".mp4") and (tmp_path / "out" / out.split("/")[-1]).is_file()
    assert dialog.progress.value() == 1000 and "320x180" in dialog.status.text()
    verify = VerifyDialog(path=out)
    qtbot.addWidget(verify)
    task = verify.start()
    with qtbot.waitSignal(task.finished, timeout=30000):
        pass
    assert verify.state_label.text() in ("Trusted", "Valid")
    assert "ingredient" in verify.text.toPlainText()
