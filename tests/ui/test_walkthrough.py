"""Issue 15, the studio as a filmmaker uses it: each rough edge driven with real Qt events (wheel,
drag-and-drop event sequences, key presses) on the real window and panels."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (QAbstractSlider, QAbstractSpinBox, QApplication, QComboBox, QScrollBar)

from tests.ui.ui_fixtures import *  # noqa: F403
from tests.ui.ui_fixtures import make_doc
from ui.app import Studio, make_application


def _studio(tmp_path, shots=5):
    make_application()
    settings = QSettings(str(tmp_path / "studio.ini"), QSettings.Format.IniFormat)
    studio = Studio(settings, audio=False, modal_errors=False, runner_factory=None)
    doc = make_doc(tmp_path, shots)
    path = doc.folder
    doc.close()
    studio.open(path)
    studio.window.resize(1500, 920)
    studio.window.show()
    studio.window.activateWindow()  # offscreen: focus moves only inside the active window
    return studio


def _wheel(widget, steps: int = -1) -> QWheelEvent:
    """One notch of a real mouse wheel over the middle of `widget` (negative: towards the user)."""
    pos = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(pos, QPointF(widget.mapToGlobal(pos.toPoint())), QPoint(0, 0), QPoint(0, 120 * steps),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                        False)
    QApplication.sendEvent(widget, event)
    return event


# ---- 1. the wheel scrolls the form, not the field ------------------------------------------------------
def test_wheel_over_unfocused_fields_changes_nothing_and_focused_ones_step(qtbot, tmp_path, studio_env):
    studio = _studio(tmp_path)
    window = studio.window
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    inspector = window.panels["InspectorDock"]
    doc = studio.doc
    shot_id = window.selection.current()
    before = doc.project.find_shot(shot_id)[2].camera.move
    window.panels["StoryboardDock"].view.setFocus()
    _wheel(inspector.move)
    _wheel(inspector.move)
    assert doc.project.find_shot(shot_id)[2].camera.move == before
    assert not doc.can_undo  # no surprise undo step
    # every wheel-sensitive field of the window and its docks is guarded the same way
    fields = [w for w in window.findChildren(QComboBox) + window.findChildren(QAbstractSpinBox)
              + window.findChildren(QAbstractSlider) if not isinstance(w, QScrollBar) and w.isVisible()
              and w.isEnabled()]
    assert len(fields) >= 5
    for field in fields:
        value = field.currentIndex() if isinstance(field, QComboBox) else field.value()
        _wheel(field, -1)
        _wheel(field, 1)
        _wheel(field, 1)
        assert (field.currentIndex() if isinstance(field, QComboBox) else field.value()) == value, field
        assert field.focusPolicy() != Qt.FocusPolicy.WheelFocus
    assert not doc.can_undo
    # once the user clicked into the combo, the wheel steps it (one undoable edit)
    inspector.move.setFocus(Qt.FocusReason.MouseFocusReason)
    assert inspector.move.hasFocus()
    index = inspector.move.currentIndex()
    _wheel(inspector.move, -1)
    assert inspector.move.currentIndex() == index + 1
    assert doc.project.find_shot(shot_id)[2].camera.move != before and doc.can_undo
    studio.close()
