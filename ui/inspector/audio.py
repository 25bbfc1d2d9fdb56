"""`AudioCueEditor`: the shot's sound cues — a list, the selected cue's fields and its waveform.

Edits are studio commands (`AddAudioCue`, `SetAudioCue`, `RemoveAudioCue`) executed on the document; a
refused value (a dialogue cue without a line, a preset that does not exist) is marked on its field and
kept as typed. The waveform is synthesized off the GUI thread (`WaveformWidget`).
"""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLineEdit, QListWidget,
                               QListWidgetItem, QMenu, QSpinBox, QToolButton, QVBoxLayout, QWidget)

from engine.cues import AudioCue, AudioKind
from studio.commands import AddAudioCue, RemoveAudioCue, SetAudioCue
from studio.model import BibleKind, Shot
from studio.prompting import absolute_audio

from .. import theme
from ..timeline.canvas import LANE_COLORS, LANE_TITLES
from ..timeline.layout import cue_label
from .fields import AlignedForm, FocusCommit, fit_list_height, clear_error, field_error, run_edit
from ..waveform import WaveformWidget

_NEW_CUE = {
    "dialogue": dict(text="New line."),
    "sfx": dict(preset="door"),
    "ambience": dict(preset="rain"),
    "music": dict(preset="tense"),
}


def kind_icon(kind: str) -> QIcon:
    pixmap = QPixmap(10, 10)
    pixmap.fill(LANE_COLORS.get(kind, theme.TEXT_DIM))
    return QIcon(pixmap)


def _presets(kind: str) -> tuple[str, ...]:
    try:
        from engine.audio import preset_names
        return preset_names(kind)
    except Exception:  # dialogue has no presets
        return ()


class AudioCueEditor(QWidget):
    cue_selected = Signal(str, str)  # shot id, cue id the user picked in the list

    def __init__(self, doc, parent: QWidget | None = None):
        super().__init__(parent)
        self.doc = doc
        self.shot: Shot | None = None
        self._loading = False
        self.list = QListWidget(self)
        self.list.setIconSize(QSize(10, 10))
        self.list.setUniformItemSizes(True)
        self.add_button = QToolButton(self)
        self.add_button.setText("Add sound")
        self.add_button.setIcon(theme.icon("mdi6.plus"))
        self.add_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.add_button)
        for kind in AudioKind:
            menu.addAction(kind_icon(kind.value), LANE_TITLES[kind.value],
                           lambda k=kind.value: self.add_cue(k))
        self.add_button.setMenu(menu)
        self.remove_button = QToolButton(self)
        self.remove_button.setIcon(theme.icon("mdi6.trash-can-outline"))
        self.remove_button.setToolTip("Remove the selected sound")
        self.remove_button.clicked.connect(self.remove_selected)

        self.kind = QComboBox(self)
        for kind in AudioKind:
            self.kind.addItem(kind_icon(kind.value), LANE_TITLES[kind.value], kind.value)
        self.text = QLineEdit(self)
        self.text.setPlaceholderText("The line, or a description of the sound")
        self.preset = QComboBox(self)
        self.preset.setEditable(True)
        self.character = QComboBox(self)
        self.character.setEditable(True)
        self.start = QSpinBox(self)
        self.start.setRange(0, 10**6)
        self.start.setSuffix(" f")
        self.start.setToolTip("Start: frames into the shot")
        self.duration = QSpinBox(self)
        self.duration.setRange(0, 10**6)
        self.duration.setSuffix(" f")
        self.duration.setSpecialValueText("natural")
        self.duration.setToolTip("Length in frames (natural: the sound's own length, or to the end of the shot)")
        self.gain = QDoubleSpinBox(self)
        self.gain.setRange(-60.0, 24.0)
        self.gain.setSingleStep(1.0)
        self.gain.setDecimals(1)
        self.gain.setSuffix(" dB")
        self.gain.setToolTip("Gain")
        for spin in (self.start, self.duration, self.gain):
            spin.setKeyboardTracking(False)  # valueChanged on Enter / focus out / arrows: one commit each
        self.waveform = WaveformWidget(self)

        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addStretch(1)
        buttons.addWidget(self.remove_button)
        form = AlignedForm()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Kind", self.kind)
        form.addRow("Line / text", self.text)
        form.addRow("Preset", self.preset)
        form.addRow("Character", self.character)
        timing = QHBoxLayout()
        timing.addWidget(self.start, 1)
        timing.addWidget(self.duration, 1)
        timing.addWidget(self.gain, 1)
        form.addRow("Timing", timing)
        self.detail = QWidget(self)
        detail_box = QVBoxLayout(self.detail)
        detail_box.setContentsMargins(0, 0, 0, 0)
        detail_box.addLayout(form)
        detail_box.addWidget(self.waveform)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.list)
        box.addLayout(buttons)
        box.addWidget(self.detail)

        self.list.currentRowChanged.connect(lambda *_: self._row_changed())
        self.kind.activated.connect(lambda *_: self._commit(self.kind, kind=self.kind.currentData()))
        self.text.editingFinished.connect(self._text_done)
        self.preset.activated.connect(lambda *_: self._commit(self.preset, preset=self.preset.currentText().strip()))
        self.preset.lineEdit().editingFinished.connect(
            lambda: self._commit(self.preset, preset=self.preset.currentText().strip()))
        self.character.activated.connect(lambda *_: self._commit(self.character,
                                                                 character=self.character.currentText().strip()))
        FocusCommit(self.character, lambda: self._commit(self.character, character=self.character.currentText().strip()))
        self.start.valueChanged.connect(lambda v: self._commit(self.start, start=v))
        self.duration.valueChanged.connect(lambda v: self._commit(self.duration, duration=v))
        self.gain.valueChanged.connect(lambda v: self._commit(self.gain, gain_db=round(v, 1)))

    # ---- showing ----------------------------------------------------------------------------------
    def set_shot(self, shot: Shot | None) -> None:
        keep = self.current_cue_id()
        same_shot = self.shot is not None and shot is not None and shot.id == self.shot.id
        self.shot = shot
        self._loading = True
        try:
            self.list.clear()
            for cue in shot.audio if shot else ():
                item = QListWidgetItem(kind_icon(cue.kind.value), f"{cue_label(cue)}   @{cue.start}f")
                item.setData(Qt.ItemDataRole.UserRole, cue.cue_id)
                item.setToolTip(f"{LANE_TITLES[cue.kind.value]} · starts at frame {cue.start}")
                self.list.addItem(item)
            row = 0
            if same_shot and keep:
                row = next((i for i in range(self.list.count())
                            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == keep), 0)
            if self.list.count():
                self.list.setCurrentRow(row)
            fit_list_height(self.list, 6)
        finally:
            self._loading = False
        self._show_selected(clear=not same_shot)

    def _row_changed(self) -> None:
        if self._loading:
            return
        self._show_selected()
        if self.shot is not None:
            self.cue_selected.emit(self.shot.id, self.current_cue_id())

    def current_cue_id(self) -> str:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else ""

    def select_cue(self, cue_id: str) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == cue_id:
                self.list.setCurrentRow(i)
                return

    def current_cue(self) -> AudioCue | None:
        cue_id = self.current_cue_id()
        if self.shot is None or not cue_id:
            return None
        return next((c for c in self.shot.audio if c.cue_id == cue_id), None)

    def _show_selected(self, clear: bool = True) -> None:
        if self._loading:
            return
        cue = self.current_cue()
        self.detail.setEnabled(cue is not None)
        self.remove_button.setEnabled(cue is not None)
        if cue is None:
            self.waveform.set_cue(None)
            return
        self._loading = True
        try:
            widgets = (self.kind, self.text, self.preset, self.character, self.start, self.duration, self.gain)
            if clear:
                for w in widgets:
                    clear_error(w)
            self.kind.setCurrentIndex(max(0, self.kind.findData(cue.kind.value)))
            # a field holding a refused value keeps it (nothing typed is lost) until an edit is accepted
            if not field_error(self.text) and not (self.text.hasFocus() and self.text.isModified()):
                self.text.setText(cue.text)
                self.text.setModified(False)
            presets = _presets(cue.kind.value)
            if not field_error(self.preset):
                self.preset.clear()
                self.preset.addItems(list(presets))
                self.preset.setEditText(cue.preset)
            self.preset.setEnabled(bool(presets))
            project = self.doc.project
            if not field_error(self.character):
                self.character.clear()
                self.character.addItems([""] + [e.name for e in project.bible if e.kind is BibleKind.CHARACTER])
                self.character.setEditText(cue.character)
            self.character.setEnabled(cue.kind is AudioKind.DIALOGUE)
            for spin, value in ((self.start, cue.start), (self.duration, cue.duration), (self.gain, cue.gain_db)):
                if not field_error(spin):
                    spin.setValue(value)
        finally:
            self._loading = False
        self._update_waveform(cue)

    def _update_waveform(self, cue: AudioCue) -> None:
        shot = self.shot
        try:
            resolved = {c.cue_id: c for c in absolute_audio(self.doc.project, shot, self.doc.folder)}[cue.cue_id]
        except Exception:
            resolved = cue
        frames = cue.duration or max(1, shot.duration - cue.start)
        self.waveform.set_cue(resolved.with_(start=0), frames, self.doc.project.fps, shot.seed,
                              LANE_COLORS.get(cue.kind.value))

    # ---- edits ------------------------------------------------------------------------------------
    def _text_done(self) -> None:
        if self.text.isModified():
            self.text.setModified(False)
            self._commit(self.text, text=self.text.text())

    def _commit(self, widget: QWidget, **changes) -> bool:
        if self._loading or self.shot is None:
            return False
        cue = self.current_cue()
        if cue is None:
            return False
        shot_id = self.shot.id

        def command():
            new = cue.with_(**changes)
            return None if new == cue else SetAudioCue(shot_id, new)
        return run_edit(self.doc, widget, command)

    def add_cue(self, kind: str) -> str | None:
        if self.shot is None:
            return None
        cue = AudioCue(kind=kind, **_NEW_CUE[kind])
        command = AddAudioCue(self.shot.id, cue)
        if run_edit(self.doc, self.add_button, lambda: command):
            cue_id = command.cue.cue_id
            self.select_cue(cue_id)
            return cue_id
        return None

    def remove_selected(self) -> None:
        cue = self.current_cue()
        if cue is not None and self.shot is not None:
            run_edit(self.doc, self.remove_button, lambda: RemoveAudioCue(self.shot.id, cue.cue_id))
