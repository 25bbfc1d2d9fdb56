"""Qt tests run offscreen unless the caller chose a platform (e.g. xcb under Xvfb for screenshots)."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _no_modal_dialogs(monkeypatch):
    """A modal dialog in an offscreen test waits for a click that never comes, and pytest-timeout cannot
    interrupt Qt's event loop: the suite would hang. Fail at once instead; a test that wants an answer
    gives the panel one (e.g. `panel.ask_heading = ...`) or patches the question itself."""
    from PySide6.QtWidgets import QDialog, QInputDialog, QMessageBox

    def refuse(*args, **kwargs):
        raise AssertionError("a test opened a modal dialog (it would wait forever): answer it in the test")
    monkeypatch.setattr(QDialog, "exec", refuse)
    for name in ("getText", "getItem", "getInt", "getDouble", "getMultiLineText"):
        monkeypatch.setattr(QInputDialog, name, staticmethod(refuse))
    for name in ("question", "warning", "information", "critical"):
        monkeypatch.setattr(QMessageBox, name, staticmethod(refuse))
