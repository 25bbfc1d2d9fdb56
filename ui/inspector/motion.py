"""`MotionCueEditor`: the shot's motion cues as rows — subject, action, intensity, screen direction.

Any committed change emits `edited(tuple[MotionCue, ...])` with the whole list as the rows now read; the
inspector turns it into one `SetMotionCues` (consecutive edits merge into one undo step). A row whose
values the cue refuses is marked inline and not sent.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QToolButton, QVBoxLayout,
                               QWidget)

from engine.cues import CueError, MotionCue, ScreenDirection

from .. import theme
from .fields import ReleaseSlider, clear_error, mark_error

_DIRECTIONS = [("—", ScreenDirection.NONE), ("← left", ScreenDirection.LEFT), ("right →", ScreenDirection.RIGHT),
               ("toward camera", ScreenDirection.TOWARD), ("away", ScreenDirection.AWAY)]


class MotionRow(QWidget):
    changed = Signal()
    remove_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.subject = QLineEdit(self)
        self.subject.setPlaceholderText("Subject")
        self.action = QLineEdit(self)
        self.action.setPlaceholderText("Action (walks to the window…)")
        self.intensity = ReleaseSlider(self)
        self.intensity.setToolTip("Intensity: how much the subject moves")
        self.value_label = QLabel("0.50", self)
        self.value_label.setMinimumWidth(30)
        self.value_label.setObjectName("panelHint")
        self.direction = QComboBox(self)
        for text, value in _DIRECTIONS:
            self.direction.addItem(text, value.value)
        self.direction.setToolTip("Screen direction")
        self.remove = QToolButton(self)
        self.remove.setIcon(theme.icon("mdi6.close"))
        self.remove.setToolTip("Remove this motion")
        self.remove.setAutoRaise(True)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 2, 0, 2)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(4)
        grid.addWidget(self.subject, 0, 0)
        grid.addWidget(self.action, 0, 1, 1, 3)
        grid.addWidget(self.remove, 0, 4)
        grid.addWidget(self.intensity, 1, 0, 1, 2)
        grid.addWidget(self.value_label, 1, 2)
        grid.addWidget(self.direction, 1, 3)
        grid.setColumnStretch(1, 2)
        grid.setColumnStretch(0, 1)
        self.subject.editingFinished.connect(self._text_done)
        self.action.editingFinished.connect(self._text_done)
        self.intensity.committed.connect(lambda *_: self.changed.emit())
        self.intensity.valueChanged.connect(lambda v: self.value_label.setText(f"{v / 100:.2f}"))
        self.direction.activated.connect(lambda *_: self.changed.emit())
        self.remove.clicked.connect(lambda: self.remove_requested.emit(self))
        self._shown: MotionCue | None = None

    def _text_done(self) -> None:
        if self.subject.isModified() or self.action.isModified():
            self.subject.setModified(False)
            self.action.setModified(False)
            self.changed.emit()

    def show_cue(self, cue: MotionCue) -> None:
        self._shown = cue
        for edit, text in ((self.subject, cue.subject), (self.action, cue.action)):
            if not (edit.hasFocus() and edit.isModified()) and edit.text() != text:
                edit.setText(text)
        self.intensity.set_value(round(cue.intensity * 100))
        self.value_label.setText(f"{cue.intensity:.2f}")
        i = self.direction.findData(cue.screen_direction.value)
        self.direction.setCurrentIndex(max(0, i))

    def read(self) -> MotionCue:
        """The cue the row shows now; the kind is kept when the action text did not change (else re-inferred)."""
        kind = None
        if self._shown is not None and self._shown.action == self.action.text().strip():
            kind = self._shown.kind
        return MotionCue(self.subject.text(), self.action.text(), self.intensity.value() / 100,
                         self.direction.currentData(), kind=kind)


class MotionCueEditor(QWidget):
    edited = Signal(tuple)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.rows: list[MotionRow] = []
        self._box = QVBoxLayout(self)
        self._box.setContentsMargins(0, 0, 0, 0)
        self._box.setSpacing(6)
        self.empty = QLabel("No motion: the subject holds still.", self)
        self.empty.setObjectName("panelHint")
        self._box.addWidget(self.empty)
        bar = QHBoxLayout()
        self.add_button = QToolButton(self)
        self.add_button.setText("Add motion")
        self.add_button.setIcon(theme.icon("mdi6.plus"))
        self.add_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.add_button.clicked.connect(self.add_row)
        bar.addWidget(self.add_button)
        bar.addStretch(1)
        self._box.addLayout(bar)

    def set_cues(self, cues: tuple[MotionCue, ...]) -> None:
        while len(self.rows) > len(cues):
            row = self.rows.pop()
            row.setParent(None)
            row.deleteLater()
        while len(self.rows) < len(cues):
            self._make_row()
        for row, cue in zip(self.rows, cues):
            clear_error(row)
            row.show_cue(cue)
        self.empty.setVisible(not cues)

    def _make_row(self) -> MotionRow:
        row = MotionRow(self)
        row.changed.connect(self._emit)
        row.remove_requested.connect(self._remove)
        self._box.insertWidget(len(self.rows) + 1, row)
        self.rows.append(row)
        return row

    def add_row(self) -> None:
        """A new still cue at the end, sent at once (the document holds it; undo removes it)."""
        cues = self._read_all()
        if cues is None:
            return
        self.edited.emit(cues + (MotionCue("", "", 0.5),))

    def _remove(self, row: MotionRow) -> None:
        index = self.rows.index(row)
        cues = []
        for i, r in enumerate(self.rows):
            if i == index:
                continue
            try:
                cues.append(r.read())
            except CueError as exc:
                mark_error(r, str(exc))
                return
        self.edited.emit(tuple(cues))

    def _read_all(self) -> tuple[MotionCue, ...] | None:
        cues = []
        for row in self.rows:
            try:
                cues.append(row.read())
                clear_error(row)
            except CueError as exc:
                mark_error(row, str(exc))
                return None
        return tuple(cues)

    def _emit(self) -> None:
        cues = self._read_all()
        if cues is not None:
            self.edited.emit(cues)

