"""The inspector's diffusion settings for one shot: the per-shot override of the project's defaults
(memory mode, VAE tiling, dtype, attention kernel, cache, compile, follow previs) and the memory / time
estimate for this machine's device, shown before the shot is queued.

Who uses it: ShotInspectorPanel (the Generation section). Every change is one SetShotFields(generation=...)
through the panel's edit path (a refused combination is marked on the editor and kept as chosen). The
estimate is studio.diffusion_settings.estimate_for_shot: no torch, parameter counts from the model folder.
"""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from studio.diffusion_estimate import estimate_for_shot
from studio.diffusion_settings import project_defaults, shot_override
from studio.errors import UserError

from .. import theme
from .fields import AlignedForm

DEFAULT = "Project default"
_CHOICES = {
    "memory_mode": [("gpu", "Everything on the GPU"), ("model_offload", "Model offload"),
                    ("group_offload", "Group offload (streamed)"), ("group_offload_disk", "Group offload from disk"),
                    ("sequential_offload", "Sequential offload (slowest)")],
    "dtype": [("auto", "Auto (bf16, VAE in its own)"), ("bfloat16", "bfloat16"), ("float16", "float16"),
              ("fp8", "fp8 transformer"), ("float32", "float32")],
    "attention_backend": [("native", "Native (PyTorch SDPA)"), ("flash", "FlashAttention"), ("sage", "SageAttention"),
                          ("_native_cudnn", "cuDNN")],
    "cache": [("none", "No cache"), ("first_block", "First-block cache"), ("pab", "Pyramid broadcast")],
    "follow_previs": [("off", "Off (prompt only)"), ("camera", "Camera"),
                      ("camera_blocking", "Camera and blocking")],
}
_LABELS = {"memory_mode": "Memory", "dtype": "Precision", "attention_backend": "Attention", "cache": "Cache",
           "follow_previs": "Follow previs"}


class DiffusionSettingsForm(QWidget):
    """The diffusion settings as choices; 'default' (no value) inherits the layer below. Used by the
    inspector (a shot's override over the project's defaults) and Settings (the project's defaults)."""
    changed = Signal()

    def __init__(self, parent: QWidget | None = None, *, follow_previs: bool = True, default_label: str = DEFAULT):
        super().__init__(parent)
        self.default_label = default_label
        self.form = AlignedForm(self)         # labels line up with the rest of the inspector
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setHorizontalSpacing(10)
        self.form.setVerticalSpacing(6)
        self.combos: dict[str, QComboBox] = {}
        for key, choices in _CHOICES.items():
            if key == "follow_previs" and not follow_previs:
                continue
            combo = QComboBox(self)
            combo.addItem(default_label, None)
            for value, label in choices:
                combo.addItem(label, value)
            combo.activated.connect(lambda *_: self.changed.emit())
            self.combos[key] = combo
            if key == "memory_mode":
                self.tiling = QCheckBox("VAE tiling", self)
                self.tiling.setToolTip("Decode in tiles: far less memory for the VAE decode")
                self.tiling.toggled.connect(lambda *_: self.changed.emit())
                row = QHBoxLayout()
                row.addWidget(combo, 1)
                row.addWidget(self.tiling)
                self.form.addRow(_LABELS[key], row)
            else:
                self.form.addRow(_LABELS[key], combo)
        self.compile = QCheckBox("Regional compile (warm-up, then faster)", self)
        self.compile.toggled.connect(lambda *_: self.changed.emit())
        self.form.addRow("", self.compile)

    def set_values(self, values: dict, inherited: dict | None = None) -> None:
        """Show `values`; the default item names what is inherited (the project's defaults)."""
        inherited = inherited or {}
        blockers = [w.blockSignals(True) for w in (self, self.tiling, self.compile)]
        try:
            mode = str(values.get("memory_mode") or "")
            for key, combo in self.combos.items():
                value = mode.split("+")[0] if key == "memory_mode" else values.get(key)
                combo.setCurrentIndex(max(0, combo.findData(value)) if value else 0)
                combo.setItemText(0, f"{self.default_label}: {inherited[key]}" if key in inherited
                                  else self.default_label)
            self.tiling.setChecked("vae_tiling" in mode)
            self.compile.setChecked(bool(values.get("compile")))
        finally:
            for widget, was in zip((self, self.tiling, self.compile), blockers):
                widget.blockSignals(was)

    def values(self) -> dict:
        out = {}
        for key, combo in self.combos.items():
            if combo.currentData() is not None:
                out[key] = combo.currentData()
        if self.tiling.isChecked():
            out["memory_mode"] = out.get("memory_mode", "gpu") + "+vae_tiling"
        if self.compile.isChecked():
            out["compile"] = True
        return out


class DiffusionOverrideEditor(QWidget):
    edited = Signal(dict)          # the shot's new generation override (engine option names)

    def __init__(self, doc, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("DiffusionOverrideEditor")
        self.doc = doc
        self.shot = None
        self.settings = DiffusionSettingsForm(self)
        self.settings.changed.connect(self._changed)
        self.combos, self.tiling, self.compile = self.settings.combos, self.settings.tiling, self.settings.compile
        self.estimate = QLabel(self)
        self.estimate.setObjectName("diffusionEstimate")
        self.estimate.setWordWrap(True)
        self.settings.form.addRow("Estimate", self.estimate)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.settings)

    # ---- document -> widgets ------------------------------------------------------------------------
    def set_shot(self, shot) -> None:
        self.shot = shot
        self.settings.set_values(shot_override(shot) if shot is not None else {}, project_defaults(self.doc.project))
        self.refresh_estimate()
    def refresh_estimate(self) -> None:
        """The estimate for this machine's device ('choose a model' when the shot has none)."""
        if self.shot is None:
            self.estimate.setText("")
            return
        if not self.shot.model:
            self.estimate.setText("Set a diffusion model for this shot to see its memory and time.")
            self.estimate.setStyleSheet(f"color: {theme.TEXT_DIM.name()};")
            return
        try:
            _, est = estimate_for_shot(self.doc, self.shot.id)
        except UserError as exc:
            self.estimate.setText(str(exc))
            self.estimate.setStyleSheet(f"color: {theme.TEXT_DIM.name()};")
            return
        text = est.summary() + "".join(f"\n{w}" for w in est.warnings)
        self.estimate.setText(text)
        self.estimate.setStyleSheet(f"color: {theme.DANGER.name()};" if est.fits is False else "")

    # ---- widgets -> the override ---------------------------------------------------------------------
    def values(self) -> dict:
        return self.settings.values()

    def _changed(self, *_) -> None:
        if self.shot is not None:
            self.edited.emit(self.values())
