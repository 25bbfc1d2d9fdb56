"""The main window: docks with the demo project, a non-blank grab, remembered layout, Edit menu labels,
undo through the menu, the shortcuts overlay, the exception hook and the error dialog."""
from __future__ import annotations

import sys

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest

from engine.errors import EngineError, ErrorKind
from studio.commands import SetShotFields
from studio.errors import UserError
from tests.ui.ui_fixtures import *  # noqa: F403
from tests.ui.ui_fixtures import grab_variance, make_doc
from ui import theme
from ui.app import Studio, install_exception_hook, make_application
from ui.dialogs.error import ErrorDialog, describe


def _studio(tmp_path, settings=None, engine=False):
    make_application()
    settings = settings or QSettings(str(tmp_path / "studio.ini"), QSettings.Format.IniFormat)
    kwargs = {} if engine else {"runner_factory": None}
    return Studio(settings, audio=False, modal_errors=False, **kwargs)


def _small_project(tmp_path):
    """A 5-shot project on disk (the demo is only opened where its content matters: it is slower)."""
    doc = make_doc(tmp_path, 5)
    path = doc.folder
    doc.close()
    return path


def test_demo_window_renders_with_docks(qtbot, tmp_path, studio_env):
    studio = _studio(tmp_path, engine=True)
    window = studio.window
    qtbot.addWidget(window)
    doc = studio.open(tmp_path / "demo.shotreel")  # built on first open
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    for name in ("StoryboardDock", "ViewerDock", "TakesDock", "QueueDock"):
        assert window.docks[name].widget() is window.panels[name]
    board = window.panels["StoryboardDock"]
    assert board.model.rowCount() == len(list(doc.project.shots())) == 10
    assert window.selection.current() == board.model.shot_ids()[0]  # the first shot is selected on open
    assert "The Last Ferry" in window.windowTitle()
    assert grab_variance(window) > 100  # not a blank window
    # the theme is dark and the shipped font is in use
    assert QGuiApplication.palette().window().color().lightness() < 60
    assert window.font().family() == theme.FONT_FAMILY
    assert window.panels["QueueDock"].control.available and window.generation is not None
    studio.close()


def test_layout_is_remembered(qtbot, tmp_path, studio_env):
    settings = QSettings(str(tmp_path / "layout.ini"), QSettings.Format.IniFormat)
    project = _small_project(tmp_path)
    studio = _studio(tmp_path, settings)
    qtbot.addWidget(studio.window)
    studio.open(project)
    studio.window.show()
    studio.window.docks["QueueDock"].hide()
    studio.window.close()  # saves geometry and dock state
    studio.close()
    again = _studio(tmp_path, QSettings(str(tmp_path / "layout.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(again.window)
    again.open(project)
    again.window._restore_layout()
    again.window.show()
    assert again.window.docks["QueueDock"].isHidden()
    assert not again.window.docks["StoryboardDock"].isHidden()
    assert str(project) in again.window.recent_projects()
    again.close()


def test_edit_menu_shows_command_labels_and_undoes(qtbot, tmp_path, studio_env):
    studio = _studio(tmp_path)
    window = studio.window
    qtbot.addWidget(window)
    doc = studio.open(_small_project(tmp_path))
    undo, redo = window.actions_by_name["undo"], window.actions_by_name["redo"]
    assert not undo.isEnabled() and undo.text() == "Undo"
    shot_id = window.selection.current()
    board = window.panels["StoryboardDock"]
    board.actions_by_name["duplicate"].trigger()
    assert undo.isEnabled() and undo.text() == "Undo Duplicate Shot"
    doc.execute(SetShotFields(shot_id, title="A new title"))
    assert undo.text() == f"Undo {doc.undo_text}" and "Title" in undo.text()
    undo.trigger()
    assert doc.project.shot(shot_id).title != "A new title"
    assert redo.text().startswith("Redo") and "Title" in redo.text() and undo.text() == "Undo Duplicate Shot"
    redo.trigger()
    assert doc.project.shot(shot_id).title == "A new title"
    studio.close()


def test_focus_leaving_a_field_ends_its_gesture(qtbot, tmp_path, studio_env):
    """Typing pauses in the action box merge into one undo step; coming back to it later is a new step."""
    studio = _studio(tmp_path)
    window = studio.window
    qtbot.addWidget(window)
    doc = studio.open(_small_project(tmp_path))
    window.show()
    qtbot.waitExposed(window)
    shot_id = window.selection.current()
    inspector = window.panels["InspectorDock"]
    start = len(doc.history)

    def type_action(text: str) -> None:
        inspector.action.setFocus()
        qtbot.waitUntil(inspector.action.hasFocus)
        inspector.action.moveCursor(inspector.action.textCursor().MoveOperation.End)
        QTest.keyClicks(inspector.action, text)
        inspector.action.commit()                     # what a typing pause does

    type_action(" in")
    type_action(" the rain")                          # same gesture: merges
    assert doc.history[start:] == ["Edit Action"]
    inspector.title.setFocus()                        # focus moves on: the gesture ends
    qtbot.waitUntil(inspector.title.hasFocus)
    type_action(", slowly")
    assert doc.history[start:] == ["Edit Action", "Edit Action"]
    doc.undo()
    assert doc.project.shot(shot_id).prompt.endswith(" in the rain")
    studio.close()


def test_shortcuts_overlay_lists_window_and_player_keys(qtbot, tmp_path, studio_env):
    studio = _studio(tmp_path)
    qtbot.addWidget(studio.window)
    studio.open(_small_project(tmp_path))
    studio.window.resize(1200, 800)
    studio.window.show()
    groups = dict(studio.window.shortcut_groups())
    assert any("Undo" in what for _, what in groups["Studio"])
    assert any(keys == "J / K / L" for keys, _ in groups["Viewer"])
    assert any(what == "Split Shot" for _, what in groups["Storyboard"])
    overlay = studio.window.show_shortcuts()
    assert overlay.isVisible() and overlay.geometry() == studio.window.rect()
    qtbot.keyClick(overlay, Qt.Key.Key_Escape)
    assert not overlay.isVisible()
    studio.close()


def test_error_dialog_copies_details(qtbot):
    make_application()
    exc = EngineError(ErrorKind.OUT_OF_MEMORY, "ran out of memory at 1280x720", details="CUDA: 0 bytes free")
    title, message, suggestion, details = describe(exc)
    assert message == "ran out of memory at 1280x720" and "Lower the resolution" in suggestion
    dialog = ErrorDialog.from_exception(exc)
    qtbot.addWidget(dialog)
    dialog.copy_details()
    copied = QGuiApplication.clipboard().text()
    assert "ran out of memory" in copied and "Lower the resolution" in copied and "CUDA: 0 bytes free" in copied
    assert describe(UserError("no shot 12"))[1] == "no shot 12"
    assert "bug" in describe(ZeroDivisionError("x"))[2]


def test_exception_hook_shows_the_error_dialog(qtbot, tmp_path, studio_env, monkeypatch):
    studio = _studio(tmp_path)
    qtbot.addWidget(studio.window)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    install_exception_hook(studio)
    try:
        raise UserError("the take file is missing")
    except UserError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    assert isinstance(studio.window.last_error, UserError)
    dialogs = [w for w in studio.window.findChildren(ErrorDialog)]
    assert dialogs and dialogs[-1].message_label.text() == "the take file is missing"
    assert "Traceback" not in dialogs[-1].details_text and dialogs[-1].details_text  # a sentence (issue 15)
    studio.close()


def test_menu_errors_become_dialogs_and_change_nothing(qtbot, tmp_path, studio_env):
    studio = _studio(tmp_path)
    qtbot.addWidget(studio.window)
    doc = studio.open(_small_project(tmp_path))
    before = doc.project.to_dict()
    studio.window._guard(lambda: doc.execute(SetShotFields(studio.window.selection.current(), duration=-5)))
    assert isinstance(studio.window.last_error, UserError)
    assert doc.project.to_dict() == before
    studio.close()


def test_new_and_open_project_switch_documents(qtbot, tmp_path, studio_env):
    studio = _studio(tmp_path)
    qtbot.addWidget(studio.window)
    project = _small_project(tmp_path)
    studio.open(project)
    studio.window.show()
    studio.window.docks["TakesDock"].hide()  # the user's layout survives switching projects
    studio.window.new_project(str(tmp_path / "fresh"))
    assert studio.window.docks["TakesDock"].isHidden() and studio.window.docks["StoryboardDock"].isVisible()
    assert studio.doc.folder.name == "fresh.shotreel" and studio.window.panels["StoryboardDock"].model.rowCount() == 0
    studio.window.open_project(str(project))
    assert studio.doc.project.name == "Test"
    assert studio.window.recent_projects()[:2] == [str(project), str(tmp_path / "fresh.shotreel")]
    studio.window._guard(lambda: studio.window.open_project(str(tmp_path / "nothing-here")))
    assert "no project" in str(studio.window.last_error)
    assert studio.doc.project.name == "Test"  # a failed open keeps the current project
    studio.close()
