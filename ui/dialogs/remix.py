"""`RemixDialog`: make new takes from a take — variations, remix, extend, re-cut, loop, blend, and
match colour to the previous shot.

Who opens it: the takes panel (its Variations… / Remix… / Extend… / Loop… / Blend to next… actions)
and the main window. The dialog only gathers the fields each operation needs; `studio.remix` plans
the requests (and runs the undoable edits: re-cut, inserting a blend shot), and they are queued on
the window's `GenerationService` when it has one (else they stay in `self.requests` for the caller).
When the shot's diffusion model cannot do the chosen operation the dialog says so, with the models
that can, and OK is disabled.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QLabel, QLineEdit,
                               QSpinBox, QStackedWidget, QVBoxLayout, QWidget)

from engine.cues import CameraMove
from engine.errors import EngineError
from studio import remix
from studio.errors import UserError

from .. import theme
from ..labels import take_label

OPS = ("variations", "remix", "extend", "recut", "loop", "blend", "colour_match")
KEEP = "(keep)"


class RemixDialog(QDialog):
    def __init__(self, doc, take_id: str, parent: QWidget | None = None, *, generation: Any = None,
                 operation: str = "variations"):
        super().__init__(parent)
        self.setObjectName("RemixDialog")
        self.doc = doc
        self.take = doc.project.take(take_id)
        self.shot = doc.project.shot(self.take.shot_id)
        self.generation = generation
        self.requests: list = []
        self.job_ids: list[str] = []
        self.setWindowTitle(f"Remix {take_label(doc.project, self.take)}")
        self.setMinimumWidth(460)
        self._base = None

        self.op = QComboBox(self)
        for op in OPS:
            self.op.addItem(remix.OP_LABELS.get(op, op), op)
        self.pages = QStackedWidget(self)
        self.fields: dict[str, QWidget] = {}
        for op in OPS:
            self.pages.addWidget(self._page(op))
        self.status = QLabel(self)
        self.status.setObjectName("remixWarning")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setStyleSheet(f"color: {theme.DANGER.name()};")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        head = QFormLayout()
        self.take_text = QLabel(f"{take_label(doc.project, self.take)} · {self.take.operation} · {self.take.backend}"
                                f"{' · ' + self.take.model_id if self.take.model_id else ''}", self)
        head.addRow("Take", self.take_text)
        head.addRow("Operation", self.op)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.pages)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.op.currentIndexChanged.connect(self._op_changed)
        self.fields["extend.direction"].currentIndexChanged.connect(self._update_status)
        self.fields["extend.from"].valueChanged.connect(self._update_status)
        self.set_operation(operation)
        self._op_changed()

    # ---- pages --------------------------------------------------------------------------------------
    def _spin(self, name: str, lo: int, hi: int, value: int) -> QSpinBox:
        box = QSpinBox(self)
        box.setRange(lo, hi)
        box.setValue(max(lo, min(hi, value)))
        self.fields[name] = box
        return box

    def _page(self, op: str) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        last = max(0, self.take.frames - 1)
        if op == "variations":
            form.addRow("How many", self._spin("variations.count", 1, remix.MAX_VARIATIONS, 4))
        elif op == "remix":
            prompt = QLineEdit(self)
            prompt.setPlaceholderText("what changes: 'at night, in the rain'")
            self.fields["remix.prompt"] = prompt
            strength = QDoubleSpinBox(self)
            strength.setRange(0.05, 1.0)
            strength.setSingleStep(0.05)
            strength.setValue(0.6)
            self.fields["remix.strength"] = strength
            camera = QComboBox(self)
            camera.addItems([KEEP] + [m.value for m in CameraMove])
            self.fields["remix.camera"] = camera
            motion = QLineEdit(self)
            motion.setPlaceholderText("what the subject does now (previs reads cues)")
            self.fields["remix.motion"] = motion
            form.addRow("Change", prompt)
            form.addRow("Strength", strength)
            form.addRow("Camera move", camera)
            form.addRow("Motion", motion)
        elif op == "extend":
            form.addRow("New frames", self._spin("extend.frames", 1, 24 * 60, 24))
            direction = QComboBox(self)
            direction.addItems(["forward", "backward"])
            self.fields["extend.direction"] = direction
            form.addRow("Direction", direction)
            form.addRow("From frame", self._spin("extend.from", 0, last, last))
        elif op == "recut":
            form.addRow("In (first frame)", self._spin("recut.in", 0, last, self.shot.trim_in))
            form.addRow("Out (0 = the end)", self._spin("recut.out", 0, self.take.frames, self.shot.trim_out))
        elif op == "loop":
            form.addRow("Start frame", self._spin("loop.start", 0, last, 0))
            form.addRow("Length (frames)", self._spin("loop.frames", 4, 24 * 60, max(4, self.take.frames)))
        elif op == "blend":
            target = QComboBox(self)
            for take in self._next_takes():
                target.addItem(f"{take_label(self.doc.project, take)} · {take.operation}", take.id)
            self.fields["blend.to"] = target
            form.addRow("Into take", target)
            form.addRow("Length (frames)", self._spin("blend.frames", 2, 24 * 30, 12))
        elif op == "colour_match":
            strength = QDoubleSpinBox(self)
            strength.setRange(0.05, 1.0)
            strength.setSingleStep(0.05)
            strength.setValue(1.0)
            self.fields["colour.strength"] = strength
            form.addRow("Strength", strength)
        return page

    def _next_takes(self) -> list:
        seq, index, _ = self.doc.project.find_shot(self.shot.id)
        if index + 1 >= len(seq.shots):
            return []
        following = seq.shots[index + 1]
        takes = self.doc.project.takes_of(following.id)
        return sorted(takes, key=lambda t: t.id != following.selected_take)

    # ---- state --------------------------------------------------------------------------------------
    def operation(self) -> str:
        return str(self.op.currentData())

    def set_operation(self, op: str) -> None:
        index = self.op.findData(op)
        if index >= 0:
            self.op.setCurrentIndex(index)

    def _op_changed(self, *_) -> None:
        self.pages.setCurrentIndex(max(0, self.op.currentIndex()))
        self._update_status()

    def refusal(self) -> str:
        """Why this take cannot do the chosen operation ('' when it can)."""
        op = self.operation()
        if op == "blend" and not self._next_takes():
            return "The next shot has no take to blend into: generate it first."
        if op == "colour_match":
            previous = self.doc.project.previous_shot(self.shot.id)
            if previous is None or not previous.selected_take:
                return "There is no previous shot with a take to match."
            if self.shot.selected_take != self.take.id:
                return "Colour match works on the shot's selected take: choose this take first."
            return ""
        if self.take.backend == "grade" and op != "recut":
            return "This take is a colour-matched copy: work from the take it was made from."
        if op in ("variations", "recut"):
            return ""
        if self._base is None:
            try:
                self._base = remix.take_request(self.doc, self.take)
            except UserError as exc:
                return str(exc)
        kw: dict[str, Any] = {}
        if op == "extend":
            kw["direction"] = self.fields["extend.direction"].currentText()
            from_last = self.fields["extend.from"].value() == self.take.frames - 1 and kw["direction"] == "forward"
            kw["from_last"] = from_last and remix.can_extend_by_continuation(self.doc, self._base)
        return remix.model_refusal(self.doc, self._base, op, **kw)

    def _update_status(self, *_) -> None:
        reason = self.refusal()
        self.status.setText(reason)
        self.status.setVisible(bool(reason))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not reason)

    # ---- doing it ---------------------------------------------------------------------------------------
    def plan(self) -> list:
        """Plan the chosen operation (running its undoable edit, if it has one). Raises UserError."""
        op, f, take = self.operation(), self.fields, self.take
        if op == "variations":
            return remix.plan_variations(self.doc, take.id, f["variations.count"].value())
        if op == "remix":
            camera = None
            if f["remix.camera"].currentText() != KEEP:
                camera = {"move": f["remix.camera"].currentText(), "direction": ""}
            motion = None
            text = f["remix.motion"].text().strip()
            if text:
                base = remix.take_request(self.doc, take)
                first = base.motion[0] if base.motion else None
                from engine.cues import MotionCue
                motion = ((first or MotionCue()).with_(action=text, kind=None),) + tuple(base.motion[1:])
            return remix.plan_remix(self.doc, take.id, f["remix.prompt"].text() or None, f["remix.strength"].value(),
                                    camera=camera, motion=motion)
        if op == "extend":
            return remix.plan_extend(self.doc, take.id, f["extend.frames"].value(),
                                     f["extend.direction"].currentText(), f["extend.from"].value())
        if op == "recut":
            remix.recut(self.doc, take.id, f["recut.in"].value(), f["recut.out"].value())
            return []
        if op == "loop":
            return remix.plan_loop(self.doc, take.id, start=f["loop.start"].value(), frames=f["loop.frames"].value())
        if op == "blend":
            return remix.plan_blend(self.doc, take.id, str(f["blend.to"].currentData()), f["blend.frames"].value())
        return remix.plan_colour_match(self.doc, self.shot.id, strength=f["colour.strength"].value())

    def accept(self) -> None:
        try:
            self.requests = self.plan()
        except (UserError, EngineError, ValueError) as exc:  # shown in the dialog; nothing was queued
            self.status.setText(str(exc))
            self.status.setVisible(True)
            return
        if self.requests and self.generation is not None:
            self.job_ids = remix.submit(self.generation, self.requests)
        super().accept()
