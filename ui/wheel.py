"""The wheel scrolls the form, not the field under the pointer.

Combo boxes, spin boxes and sliders take a wheel step only once they have keyboard focus (clicked or
tabbed into); over an unfocused one the wheel goes on to the scroll area holding it, so scrolling the
inspector or a dialog never changes a camera move and leaves no surprise undo step.

One application-wide event filter (installed by `ui.app.make_application`) covers every such widget,
including rows created later, instead of a subclass per widget type.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSlider, QAbstractSpinBox, QApplication, QComboBox

WHEEL_SENSITIVE = (QComboBox, QAbstractSpinBox, QAbstractSlider)


def _guarded(obj: QObject) -> bool:
    # scroll bars are sliders too, but the wheel is what they are for
    return isinstance(obj, WHEEL_SENSITIVE) and obj.metaObject().className() != "QScrollBar"


class WheelGuard(QObject):
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        kind = event.type()
        if kind == QEvent.Type.Polish and _guarded(obj):
            # Qt's spin boxes use WheelFocus: the wheel itself would focus them before we see it
            if obj.focusPolicy() == Qt.FocusPolicy.WheelFocus:
                obj.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        elif kind == QEvent.Type.Wheel and _guarded(obj) and not obj.hasFocus():
            event.ignore()  # filtered but not accepted: Qt offers the wheel to the parents (the scroll area)
            return True
        return False


def install_wheel_guard(app: QApplication) -> WheelGuard:
    """Once per application (idempotent)."""
    guard = app.findChild(WheelGuard, "wheelGuard")
    if guard is None:
        guard = WheelGuard(app)
        guard.setObjectName("wheelGuard")
        app.installEventFilter(guard)
    return guard

