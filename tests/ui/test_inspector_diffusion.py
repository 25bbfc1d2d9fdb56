"""The inspector's diffusion section: the per-shot override becomes one undoable command, the estimate
for this machine shows before queueing, and a combination that cannot run says why. The model folder
is a Wan 2.1 1.3B described by safetensors headers only (parameter counts, no weights): the estimate
reads nothing else."""
from __future__ import annotations

import json
import struct
from pathlib import Path

from studio.commands import SetShotFields
from tests.ui.ui_fixtures import *  # noqa: F403
from ui.inspector import ShotInspectorPanel
from ui.selection import ShotSelection


def header_only_wan(root: Path) -> Path:
    folder = root / "wan-1.3b-headers"
    components = {"transformer": ("diffusers", "WanTransformer3DModel", 1_419_000_000,
                                  {"num_attention_heads": 12, "attention_head_dim": 128, "num_layers": 30}),
                  "text_encoder": ("transformers", "UMT5EncoderModel", 5_681_000_000, {}),
                  "vae": ("diffusers", "AutoencoderKLWan", 127_000_000, {})}
    folder.mkdir(parents=True)
    index = {"_class_name": "WanPipeline", "_diffusers_version": "0.42.1"}
    for name, (library, cls, params, config) in components.items():
        index[name] = [library, cls]
        sub = folder / name
        sub.mkdir()
        (sub / "config.json").write_text(json.dumps({"_class_name": cls, **config}))
        header = json.dumps({"w": {"dtype": "BF16", "shape": [params], "data_offsets": [0, 0]}}).encode()
        (sub / "model.safetensors").write_bytes(struct.pack("<Q", len(header)) + header)
    (folder / "model_index.json").write_text(json.dumps(index))
    return folder


def test_override_and_estimate(qtbot, doc, tmp_path):
    model = header_only_wan(tmp_path)
    doc.execute(SetShotFields("sh001", model=str(model), backend="diffusion"))
    selection = ShotSelection()
    panel = ShotInspectorPanel(doc, selection)
    qtbot.addWidget(panel)
    panel.resize(480, 900)
    selection.set(["sh001"])
    editor = panel.diffusion
    assert "GiB peak" in editor.estimate.text()
    before = editor.estimate.text()
    combo = editor.combos["memory_mode"]
    combo.setCurrentIndex(combo.findData("group_offload"))
    combo.activated.emit(combo.currentIndex())
    editor.tiling.setChecked(True)
    shot = doc.project.shot("sh001")
    assert dict(shot.generation) == {"memory_mode": "group_offload+vae_tiling"}
    assert "group_offload" in editor.estimate.text() and editor.estimate.text() != before
    cache = editor.combos["cache"]
    cache.setCurrentIndex(cache.findData("first_block"))
    cache.activated.emit(cache.currentIndex())
    editor.compile.setChecked(True)
    assert "cannot run together" in editor.estimate.text()          # refused up front, with the reason
    doc.undo()
    assert "compile" not in dict(doc.project.shot("sh001").generation)
    assert not editor.compile.isChecked()
    panel.detach()


def test_queue_asks_before_a_shot_that_will_not_fit_mocked_gpu(qtbot, doc, tmp_path, monkeypatch):
    """No GPU here: nvidia-smi is mocked to report a 4 GiB card, too small for Wan 1.3B on the GPU."""
    from engine.diffusion import estimate
    from ui.queue.control import QueueControl
    from ui.queue.panel import QueuePanel
    monkeypatch.setattr(estimate, "_nvidia_smi", lambda: ("NVIDIA GeForce RTX 3090", 4.0))
    doc.execute(SetShotFields("sh001", model=str(header_only_wan(tmp_path)), backend="diffusion"))
    panel = QueuePanel(doc, control=QueueControl(doc))
    qtbot.addWidget(panel)
    asked = []
    panel.confirm_too_big = lambda shots: asked.append(shots) or False
    assert panel.generate(["sh001"]) == []                     # declined: nothing queued
    assert asked and "will not fit" not in asked[0][0] and "GiB" in asked[0][0]
    assert "DOES NOT FIT" in asked[0][0]


def test_settings_dialog_sets_the_project_defaults_the_inspector_shows(qtbot, doc, tmp_path):
    from PySide6.QtCore import QSettings
    from ui.dialogs.settings import SettingsDialog
    dialog = SettingsDialog(doc, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(dialog)
    form = dialog.diffusion
    assert "follow_previs" not in form.combos                     # per shot only
    form.combos["dtype"].setCurrentIndex(form.combos["dtype"].findData("fp8"))
    form.tiling.setChecked(True)
    doc.execute(dialog.project_command())
    assert doc.project.settings["diffusion"] == {"dtype": "fp8", "memory_mode": "gpu+vae_tiling"}
    selection = ShotSelection()
    panel = ShotInspectorPanel(doc, selection)
    qtbot.addWidget(panel)
    selection.set(["sh001"])
    assert panel.diffusion.combos["dtype"].itemText(0) == "Project default: fp8"
    panel.detach()
