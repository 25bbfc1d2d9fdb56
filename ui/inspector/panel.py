"""`ShotInspectorPanel`: every setting of the current shot, edited in place.

Sections: action (title, duration, action prompt) and the compiled prompt the backend will receive
(editable as an override); camera (move, direction, amount, easing, lens, shot size, angle, with an
animated diagram); motion cues; sound cues with a waveform; continuity and bible references; seed,
backend and model.

Who uses it: the main window docks it (`ShotInspectorPanel(doc, selection)`); it shows
`selection.current()`. Every edit is one studio command through `doc.execute` (text boxes commit when
focus leaves or typing pauses, sliders on release; the document merges consecutive edits of a field into
one undo step). A refused value is marked on its field (red border, message as tooltip) and kept as
typed. The panel follows the document: undo, redo and other panels' edits show up at once.
"""
from __future__ import annotations

import html
import random

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QScrollArea, QStackedWidget, QToolButton, QVBoxLayout, QWidget)

from engine.backends import backend_names
from engine.cues import MOVE_DIRECTIONS, Angle, CameraMove, Easing, ShotSize
from studio.commands import AddBibleEntry, Change, SetCameraCue, SetMotionCues, SetShotFields
from studio.model import BibleEntry, BibleKind, Continuity, Shot, ValidationError, new_id
from studio.prompting import compiled_prompt, prompt_family
from studio.shotplan import plan_for_shot
from studio.timebase import format_duration, parse_duration

from .. import theme
from ..selection import ShotSelection
from .audio import AudioCueEditor
from .camera_diagram import CameraDiagramWidget
from .fields import (AlignedForm, CommitTextEdit, ReleaseSlider, clear_error, compact_combos, field_error,
                     fit_list_height, run_edit, section)
from .motion import MotionCueEditor

LENSES = (14, 18, 24, 28, 35, 50, 65, 85, 100, 135, 200)
_MOVE_LABELS = {m: m.value.replace("_", " ").capitalize() for m in CameraMove}
_ANGLE_LABELS = {Angle.EYE: "Eye level", Angle.HIGH: "High", Angle.LOW: "Low", Angle.OVERHEAD: "Overhead",
                 Angle.DUTCH: "Dutch"}
_CONTINUITY_LABELS = {Continuity.PREVIOUS: "Continue from the previous shot",
                      Continuity.REFERENCE: "Bible references only", Continuity.NONE: "Fresh (no continuity)"}
_KIND_ORDER = (BibleKind.CHARACTER, BibleKind.LOCATION, BibleKind.PROP, BibleKind.STYLE)


def parse_lens(text: str) -> float:
    """'50', '50 mm', '50mm' -> 50.0 (the cue checks the range)."""
    cleaned = str(text).lower().replace("mm", "").strip()
    try:
        return float(cleaned)
    except ValueError:
        raise ValidationError(f"lens (mm): {text!r} is not a focal length like 35 or 50 mm") from None


class ShotInspectorPanel(QWidget):
    cue_selected = Signal(str, str)  # shot id, cue id of the sound picked in the list (the timeline follows)

    def __init__(self, doc, selection: ShotSelection, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("ShotInspectorPanel")
        self.doc = doc
        self.selection = selection
        self.shot: Shot | None = None
        self._loading = False

        self.stack = QStackedWidget(self)
        self.placeholder = QLabel("Select a shot to inspect it.", self)
        self.placeholder.setObjectName("panelHint")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.body = QWidget()
        self.scroll.setWidget(self.body)
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(self.scroll)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)

        box = QVBoxLayout(self.body)
        box.setContentsMargins(12, 8, 12, 12)
        box.setSpacing(4)
        self._build_header(box)
        self._build_action(box)
        self._build_prompt(box)
        self._build_camera(box)
        box.addWidget(section("Motion", self.body))
        self.motion = MotionCueEditor(self.body)
        self.motion.edited.connect(self._motion_edited)
        box.addWidget(self.motion)
        box.addWidget(section("Sound", self.body))
        self.audio = AudioCueEditor(doc, self.body)
        self.audio.cue_selected.connect(self.cue_selected)
        box.addWidget(self.audio)
        self._build_continuity(box)
        self._build_generation(box)
        box.addStretch(1)
        compact_combos(self.body)

        self.selection.changed.connect(self._selection_changed)
        self._unsubscribe = doc.subscribe(self._on_change)
        self.load()

    # ---- building ---------------------------------------------------------------------------------
    @staticmethod
    def _form() -> QFormLayout:
        form = AlignedForm()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(6)
        return form

    def _build_header(self, box: QVBoxLayout) -> None:
        self.heading = QLabel(self.body)
        font = QFont(self.heading.font())
        font.setPointSizeF(font.pointSizeF() + 3)
        font.setBold(True)
        self.heading.setFont(font)
        self.subheading = QLabel(self.body)
        self.subheading.setObjectName("panelHint")
        box.addWidget(self.heading)
        box.addWidget(self.subheading)

    def _build_action(self, box: QVBoxLayout) -> None:
        box.addWidget(section("Action", self.body))
        form = self._form()
        self.title = QLineEdit(self.body)
        self.title.editingFinished.connect(
            lambda: self._line_done(self.title, lambda t: SetShotFields(self.shot.id, title=t)))
        self.duration = QLineEdit(self.body)
        self.duration.setToolTip("3s, 72f, 500ms or 00:00:03:00")
        self.duration.editingFinished.connect(lambda: self._line_done(
            self.duration, lambda t: SetShotFields(self.shot.id, duration=parse_duration(t, self.doc.project.fps))))
        self.action = CommitTextEdit(self.body)
        self.action.setPlaceholderText("What happens in the shot")
        self.action.setFixedHeight(64)
        self.action.committed.connect(lambda t: self._edit(self.action, lambda: SetShotFields(self.shot.id, prompt=t)))
        row = QHBoxLayout()
        row.addWidget(self.title, 3)
        row.addWidget(QLabel("Duration", self.body))
        row.addWidget(self.duration, 1)
        form.addRow("Title", row)
        form.addRow("Action", self.action)
        box.addLayout(form)
        # What the shot reader makes of the words, live as the user types (studio.shotplan).
        self.previs_sees = QLabel(self.body)
        self.previs_sees.setObjectName("previsSees")
        self.previs_sees.setWordWrap(True)
        self.previs_sees.setTextFormat(Qt.TextFormat.RichText)
        self.previs_sees.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                                 | Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.previs_sees.linkActivated.connect(self._previs_link)
        box.addWidget(self.previs_sees)
        self.action.textChanged.connect(self._action_typed)

    def _build_prompt(self, box: QVBoxLayout) -> None:
        self.override = QCheckBox("Edit", self.body)
        self.override.setToolTip("Write the prompt yourself instead of compiling it from the shot")
        self.override.toggled.connect(self._override_toggled)
        box.addWidget(section("Prompt", self.body, self.override))
        self.prompt_hint = QLabel(self.body)
        self.prompt_hint.setObjectName("panelHint")
        self.prompt_hint.setWordWrap(True)
        self.prompt = CommitTextEdit(self.body)
        self.prompt.setFixedHeight(78)
        self.prompt.committed.connect(self._prompt_committed)
        self.negative = QLabel(self.body)
        self.negative.setObjectName("panelHint")
        self.negative.setWordWrap(True)
        box.addWidget(self.prompt_hint)
        box.addWidget(self.prompt)
        box.addWidget(self.negative)

    def _build_camera(self, box: QVBoxLayout) -> None:
        box.addWidget(section("Camera", self.body))
        self.diagram = CameraDiagramWidget(self.body)
        box.addWidget(self.diagram)
        form = self._form()
        self.move = QComboBox(self.body)
        for move in CameraMove:
            self.move.addItem(_MOVE_LABELS[move], move.value)
        self.direction = QComboBox(self.body)
        self.move.activated.connect(lambda *_: self._camera(self.move, move=self.move.currentData(), direction=""))
        self.direction.activated.connect(lambda *_: self._camera(self.direction,
                                                                 direction=self.direction.currentData()))
        row = QHBoxLayout()
        row.addWidget(self.move, 2)
        row.addWidget(self.direction, 1)
        form.addRow("Move", row)
        self.amount = ReleaseSlider(self.body)
        self.amount_label = QLabel(self.body)
        self.amount_label.setFixedWidth(96)
        self.amount_label.setObjectName("panelHint")
        self.amount.valueChanged.connect(self._amount_text)
        self.amount.committed.connect(lambda v: self._camera(self.amount, amount=v / 100))
        row = QHBoxLayout()
        row.addWidget(self.amount, 1)
        row.addWidget(self.amount_label)
        form.addRow("Amount", row)
        self.easing = QComboBox(self.body)
        for easing in Easing:
            self.easing.addItem(easing.value.replace("_", " "), easing.value)
        self.easing.activated.connect(lambda *_: self._camera(self.easing, easing=self.easing.currentData()))
        form.addRow("Easing", self.easing)
        self.lens = QComboBox(self.body)
        self.lens.setEditable(True)
        self.lens.addItems([f"{mm} mm" for mm in LENSES])
        self.lens.setToolTip("Focal length on a full-frame camera (8–600 mm)")
        self.lens.activated.connect(lambda *_: self._lens_done())
        self.lens.lineEdit().editingFinished.connect(self._lens_done)
        self.shot_size = QComboBox(self.body)
        for size in ShotSize:
            self.shot_size.addItem(f"{size.value} · {size.label}", size.value)
        self.shot_size.activated.connect(lambda *_: self._camera(self.shot_size,
                                                                 shot_size=self.shot_size.currentData()))
        self.angle = QComboBox(self.body)
        for angle in Angle:
            self.angle.addItem(_ANGLE_LABELS[angle], angle.value)
        self.angle.activated.connect(lambda *_: self._camera(self.angle, angle=self.angle.currentData()))
        row = QHBoxLayout()
        row.addWidget(self.lens, 1)
        row.addWidget(self.shot_size, 2)
        row.addWidget(self.angle, 1)
        form.addRow("Lens / size", row)
        box.addLayout(form)

    def _build_continuity(self, box: QVBoxLayout) -> None:
        box.addWidget(section("Continuity & references", self.body))
        form = self._form()
        self.continuity = QComboBox(self.body)
        for value, label in _CONTINUITY_LABELS.items():
            self.continuity.addItem(label, value.value)
        self.continuity.activated.connect(lambda *_: self._edit(
            self.continuity, lambda: SetShotFields(self.shot.id, continuity=self.continuity.currentData())))
        form.addRow("Start from", self.continuity)
        self.refs = QListWidget(self.body)
        self.refs.setMaximumHeight(132)
        self.refs.itemChanged.connect(self._refs_changed)
        # Fusion's dark indicator barely shows an unchecked box: draw both states plainly
        self.refs.setStyleSheet(
            f"QListWidget::indicator {{ width: 11px; height: 11px; border: 1px solid {theme.TEXT_DIM.name()};"
            f" border-radius: 2px; background: {theme.BASE.name()}; }}"
            f"QListWidget::indicator:checked {{ background: {theme.ACCENT.name()};"
            f" border-color: {theme.ACCENT.lighter(130).name()}; }}")
        form.addRow("References", self.refs)
        box.addLayout(form)

    def _build_generation(self, box: QVBoxLayout) -> None:
        box.addWidget(section("Generation", self.body))
        form = self._form()
        self.seed = QLineEdit(self.body)
        self.seed.editingFinished.connect(lambda: self._line_done(
            self.seed, lambda t: SetShotFields(self.shot.id, seed=t.strip())))
        self.dice = QToolButton(self.body)
        self.dice.setIcon(theme.icon("mdi6.dice-5-outline"))
        self.dice.setToolTip("A new random seed")
        self.dice.clicked.connect(self.roll_seed)
        row = QHBoxLayout()
        row.addWidget(self.seed, 1)
        row.addWidget(self.dice)
        form.addRow("Seed", row)
        self.backend = QComboBox(self.body)
        self.backend.activated.connect(lambda *_: self._edit(
            self.backend, lambda: SetShotFields(self.shot.id, backend=self.backend.currentData())))
        form.addRow("Backend", self.backend)
        self.model = QLineEdit(self.body)
        self.model.setPlaceholderText("Default model of the backend")
        self.model.editingFinished.connect(lambda: self._line_done(
            self.model, lambda t: SetShotFields(self.shot.id, model=t.strip())))
        form.addRow("Model", self.model)
        box.addLayout(form)

    # ---- document -> widgets ----------------------------------------------------------------------
    def detach(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
            self._unsubscribe = None
        try:  # the selection outlives this panel (the window keeps it across projects)
            self.selection.changed.disconnect(self._selection_changed)
        except (RuntimeError, TypeError):
            pass
        self.diagram.set_animating(False)
        self.audio.waveform.renderer.shutdown()

    def _selection_changed(self, ids: list) -> None:
        self.load()

    def _on_change(self, change: Change) -> None:
        current = self.selection.current()
        if change.kind == "shot_changed" and current in change.ids:
            self.load()
        elif change.kind in ("bible", "project", "sequence", "shots_moved", "shot_added", "shot_removed"):
            self.load()

    def load(self) -> None:
        """Show the current shot as the document has it (fields being typed in or marked keep their text)."""
        current = self.selection.current()
        try:
            shot = self.doc.project.shot(current) if current else None
        except ValidationError:
            shot = None
        if shot is None or (self.shot is not None and shot.id != self.shot.id):
            self._clear_errors()
        self.shot = shot
        self.stack.setCurrentIndex(1 if shot is not None else 0)
        self.diagram.set_animating(shot is not None)
        if shot is None:
            self.audio.set_shot(None)
            return
        self._loading = True
        try:
            self._load_fields(shot)
        finally:
            self._loading = False
        self.audio.set_shot(shot)

    def _clear_errors(self) -> None:
        for w in (self.title, self.duration, self.action, self.prompt, self.move, self.direction, self.amount,
                  self.easing, self.lens, self.shot_size, self.angle, self.continuity, self.refs, self.seed,
                  self.backend, self.model):
            clear_error(w)

    def _set_line(self, edit: QLineEdit, text: str) -> None:
        if field_error(edit) or (edit.hasFocus() and edit.isModified()):
            return
        edit.setText(text)
        edit.setModified(False)

    def _load_fields(self, shot: Shot) -> None:
        project = self.doc.project
        seq, index, _ = project.find_shot(shot.id)
        number = next(n for n, (_, s) in enumerate(project.shots(), start=1) if s.id == shot.id)
        self.heading.setText(f"Shot {number}" + (f" · {shot.title}" if shot.title else ""))
        self.subheading.setText(f"{seq.heading or 'Untitled scene'} · {format_duration(shot.duration, project.fps)}"
                                + (f" · take {shot.selected_take}" if shot.selected_take else " · no take yet"))
        self._set_line(self.title, shot.title)
        self._set_line(self.duration, f"{shot.duration}f")
        if not field_error(self.action) and not (self.action.hasFocus() and self.action.dirty):
            self.action.set_text(shot.prompt)
        self._load_prompt(shot, seq)
        cue = shot.camera
        plan = self._show_plan(shot, seq, self.action.toPlainText() if self.action.dirty else shot.prompt)
        self.diagram.set_cue(cue, plan)
        self.move.setCurrentIndex(self.move.findData(cue.move.value))
        self.direction.clear()
        for direction in MOVE_DIRECTIONS[cue.move]:
            self.direction.addItem(direction.value or "—", direction.value)
        self.direction.setCurrentIndex(max(0, self.direction.findData(cue.direction.value)))
        self.direction.setEnabled(len(MOVE_DIRECTIONS[cue.move]) > 1)
        if not self.amount.isSliderDown():
            self.amount.set_value(round(cue.amount * 100))
        self._amount_text(round(cue.amount * 100))
        self.amount.setEnabled(cue.move is not CameraMove.STATIC)
        self.easing.setCurrentIndex(self.easing.findData(cue.easing.value))
        if not field_error(self.lens) and not self.lens.lineEdit().hasFocus():
            self.lens.setEditText(f"{cue.lens_mm:g} mm")
        self.shot_size.setCurrentIndex(self.shot_size.findData(cue.shot_size.value))
        self.angle.setCurrentIndex(self.angle.findData(cue.angle.value))
        self.motion.set_cues(shot.motion)
        self.continuity.setCurrentIndex(self.continuity.findData(shot.continuity.value))
        self._load_refs(shot)
        self._set_line(self.seed, str(shot.seed))
        self.backend.clear()
        self.backend.addItem(f"Project default ({project.default_backend})", "")
        for name in sorted(set(backend_names()) | {"previs", "diffusion"} | ({shot.backend} - {""})):
            self.backend.addItem(name, name)
        self.backend.setCurrentIndex(max(0, self.backend.findData(shot.backend)))
        self._set_line(self.model, shot.model)

    def _show_plan(self, shot: Shot, seq, action: str):
        """Show the plan the previs will draw for `action` (the typed text) and return it."""
        try:
            plan = plan_for_shot(self.doc.project, seq, shot.with_(prompt=action))
        except Exception as exc:  # a reader failure must not break the inspector; say it plainly
            self.previs_sees.setText(f"Previs cannot read this shot: {exc}")
            return None
        lines = [html.escape("Previs sees: " + plan.summary()).replace(". ", ".<br>", 4)]
        for w in plan.warnings:
            line = f"⚠ {html.escape(w.message)}"
            if w.kind == "not_in_bible" and w.name:
                # The offer to fix it: one click adds the name to the bible (one undoable command).
                line += f' <a href="add:{html.escape(w.name, quote=True)}">Add {html.escape(w.name)} to the bible</a>'
            lines.append(line)
        self.previs_sees.setText("<br>".join(lines))
        return plan

    def _previs_link(self, url: str) -> None:
        if not url.startswith("add:") or self.shot is None:
            return
        name = url[4:]
        if self.doc.project.bible_by_name(name) is None:
            self._edit(self.previs_sees, lambda: AddBibleEntry(BibleEntry(new_id("ch"), "character", name)))

    def _action_typed(self) -> None:
        if self._loading or self.shot is None:
            return
        seq, _, shot = self.doc.project.find_shot(self.shot.id)
        plan = self._show_plan(shot, seq, self.action.toPlainText())
        self.diagram.set_cue(shot.camera, plan)

    def _load_prompt(self, shot: Shot, seq) -> None:
        overridden = bool(shot.prompt_override.strip())
        self.override.blockSignals(True)
        self.override.setChecked(overridden)
        self.override.blockSignals(False)
        self.prompt.setReadOnly(not overridden)
        try:
            text, negative = compiled_prompt(self.doc.project, seq, shot, self.doc.folder)
        except Exception as exc:  # a prompt that cannot compile is shown as such, the panel stays usable
            text, negative = "", ""
            self.prompt_hint.setText(f"The prompt cannot be compiled: {exc}")
        else:
            family, label = prompt_family(self.doc.project, shot)
            self.prompt_hint.setText("Your prompt (replaces the compiled one)" if overridden else
                                     f"Prompt for {label}" + ("" if family else
                                                              ": kept with the take; the previs draws what it sees"))
        if not field_error(self.prompt) and not (self.prompt.hasFocus() and self.prompt.dirty):
            self.prompt.set_text(text)
        self.negative.setText(f"Negative: {negative}" if negative else "")
        self.negative.setVisible(bool(negative))

    def _load_refs(self, shot: Shot) -> None:
        self.refs.blockSignals(True)
        try:
            self.refs.clear()
            entries = sorted(self.doc.project.bible, key=lambda e: _KIND_ORDER.index(e.kind))
            for entry in entries:
                item = QListWidgetItem(f"{entry.name}  ·  {entry.kind.value}")
                item.setData(Qt.ItemDataRole.UserRole, entry.id)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsSelectable)
                item.setCheckState(Qt.CheckState.Checked if entry.id in shot.bible_refs else Qt.CheckState.Unchecked)
                if not entry.usable:
                    item.setForeground(theme.WARNING)
                    item.setToolTip("A real person without a consent record: generation will refuse this shot")
                self.refs.addItem(item)
            if not entries:
                item = QListWidgetItem("The bible is empty")
                item.setFlags(Qt.ItemFlag.NoItemFlags)
                self.refs.addItem(item)
            fit_list_height(self.refs, 8)
        finally:
            self.refs.blockSignals(False)

    def _amount_text(self, value: int) -> None:
        from engine.cues import MOVE_SPAN
        move = CameraMove(self.move.currentData() or "static")
        span, unit = MOVE_SPAN[move]
        self.amount_label.setText(amount_text(move, value / 100))
        self.amount_label.setToolTip(f"{value / 100:.2f} of the strongest {move.value.replace('_', ' ')}: "
                                     f"{span * value / 100:g} {unit}" if unit else "")

    # ---- widgets -> commands ----------------------------------------------------------------------
    def _edit(self, widget: QWidget, make_command) -> bool:
        if self._loading or self.shot is None:
            return False
        return run_edit(self.doc, widget, make_command)

    def _line_done(self, edit: QLineEdit, make_command) -> None:
        if not edit.isModified() and not field_error(edit):
            return
        edit.setModified(False)
        text = edit.text()
        self._edit(edit, lambda: make_command(text))

    def _camera(self, widget: QWidget, **changes) -> bool:
        if self.shot is None:
            return False
        cue = self.shot.camera
        shot_id = self.shot.id

        def command():
            new = cue.with_(**changes)
            return None if new == cue else SetCameraCue(shot_id, new)
        return self._edit(widget, command)

    def _lens_done(self) -> None:
        if self._loading or self.shot is None:
            return
        text = self.lens.currentText()
        if text.strip() == f"{self.shot.camera.lens_mm:g} mm" and not field_error(self.lens):
            return
        self._edit(self.lens, lambda: _lens_command(self.shot, text))

    def _motion_edited(self, cues: tuple) -> None:
        self._edit(self.motion, lambda: SetMotionCues(self.shot.id, cues))

    def _override_toggled(self, on: bool) -> None:
        if self.shot is None or self._loading:
            return
        if on:
            self.prompt.setReadOnly(False)
            self.prompt_hint.setText("Your prompt (replaces the compiled one): type to change it")
            self.prompt.setFocus()
        else:
            self._edit(self.prompt, lambda: SetShotFields(self.shot.id, prompt_override=""))

    def _prompt_committed(self, text: str) -> None:
        if self.override.isChecked():
            self._edit(self.prompt, lambda: SetShotFields(self.shot.id, prompt_override=text))

    def _refs_changed(self, *_):
        if self.shot is None:
            return
        checked = [self.refs.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.refs.count())
                   if self.refs.item(i).checkState() == Qt.CheckState.Checked]
        order = [r for r in self.shot.bible_refs if r in checked] + [r for r in checked if r not in self.shot.bible_refs]
        self._edit(self.refs, lambda: SetShotFields(self.shot.id, bible_refs=tuple(order)))

    def select_cue(self, shot_id: str, cue_id: str) -> None:
        """Show one sound of the current shot (the timeline calls this when a cue is clicked)."""
        if cue_id and self.shot is not None and self.shot.id == shot_id:
            self.audio.select_cue(cue_id)

    def roll_seed(self) -> int | None:
        if self.shot is None:
            return None
        seed = random.randrange(1, 2**31)
        if self._edit(self.seed, lambda: SetShotFields(self.shot.id, seed=seed)):
            return seed
        return None


def amount_text(move: CameraMove, amount: float) -> str:
    """The amount in the move's own unit, from the engine's one camera table."""
    from engine.cues import amount_text as table_text
    return table_text(move, amount)


def _lens_command(shot: Shot, text: str) -> SetCameraCue:
    return SetCameraCue(shot.id, shot.camera.with_(lens_mm=parse_lens(text)))
