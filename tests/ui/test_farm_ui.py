"""Render farm in the UI: Settings > Render farm (on/off + address, one undoable command, a bad address
refused with one line), and the queue panel showing the node a job runs on (from the runner's job
record: a farm runner sets `worker`; here a real local Runner's record stands in, no Ray in ui tests)."""
from __future__ import annotations

from PySide6.QtCore import QSettings

from engine.jobs import GenerationRequest
from engine.runner import Runner
from tests.ui.ui_fixtures import *  # noqa: F403
from ui.app import make_application
from ui.bridge import EngineBridge
from ui.dialogs.settings import SettingsDialog
from ui.queue import QueuePanel
from ui.queue.control import QueueControl
from ui.queue.model import NodeRole


def test_render_farm_settings_are_one_undoable_command(qtbot, doc, tmp_path):
    make_application()
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    dialog = SettingsDialog(doc, settings)
    qtbot.addWidget(dialog)
    assert not dialog.farm_enabled.isChecked() and dialog.farm_address.text() == ""
    dialog.farm_enabled.setChecked(True)
    dialog.farm_address.setText("not an address")
    dialog.accept()
    assert dialog.isVisible() or dialog.result() == 0
    assert "is not HOST:PORT" in dialog.farm_note.text()
    assert "farm" not in doc.project.settings or not doc.project.settings["farm"].get("enabled")
    dialog.farm_address.setText("10.0.0.5:6379")
    dialog.accept()
    assert doc.project.settings["farm"] == {"enabled": True, "address": "10.0.0.5:6379"}
    doc.undo()
    assert not (doc.project.settings.get("farm") or {}).get("enabled")


def test_the_queue_shows_the_node_of_each_job(qtbot, doc, tmp_path):
    runner = Runner(store=None, start=False)
    bridge = EngineBridge()
    bridge.attach(runner)
    try:
        panel = QueuePanel(doc, bridge=bridge, control=QueueControl(doc, runner=runner))
        qtbot.addWidget(panel)
        shot = next(s for _, s in doc.project.shots())
        job = runner.submit(GenerationRequest(job_id="tk-farm", output_dir=str(tmp_path / "o"), width=160,
                                              height=90, frames=4, shot_id=shot.id))
        runner._jobs[job].worker = "1f2e3d4c/gpu7"   # what FarmRunner records when it starts the job
        bridge.on_state(job, "running")
        qtbot.waitUntil(lambda: panel.model.job(job) is not None and panel.model.job(job).node != "", timeout=5000)
        index = panel.model.index(panel.model.row_of(job))
        assert index.data(NodeRole) == "1f2e3d4c/gpu7"
        assert "on 1f2e3d4c/gpu7" in index.data(0x03)  # ToolTipRole
        panel.resize(420, 200)
        panel.show()
        assert not panel.view.grab().isNull()      # the delegate paints the node line
    finally:
        bridge.detach()
