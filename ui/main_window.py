"""The studio's main window: docks and menus only. Panels do the work; the window places them,
wires them to the shared selection, and turns menu items into calls on them or on the document.

Layout (dock positions and sizes) is remembered per user with QSettings saveState/restoreState.
Panels that other modules provide (timeline, shot inspector, bible) are docked when their modules
are importable, so the window works with whatever parts are installed.
"""
from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (QApplication, QDockWidget, QFileDialog, QLabel, QMainWindow, QMenu, QPushButton, QTabWidget,
                               QVBoxLayout, QWidget)

from studio.commands import Change, ChangeKind

from . import theme
from .dialogs.error import show_error
from .labels import plural
from .selection import ShotSelection

log = logging.getLogger(__name__)

STATE_VERSION = 1
MAX_RECENT = 8
RECENT_KEY = "recent_projects"

# (object name, title, module, class): panels other modules provide, docked when present
OPTIONAL_PANELS = (
    ("TimelineDock", "Timeline", "ui.timeline", "TimelinePanel"),
    ("InspectorDock", "Shot Inspector", "ui.inspector", "ShotInspectorPanel"),
    ("BibleDock", "Bible", "ui.bible", "BiblePanel"),
)


def _optional_panel_class(module: str, name: str):
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None
    except Exception:  # a panel that fails to import must not keep the studio from starting
        log.exception("could not load %s.%s", module, name)
        return None


class MainWindow(QMainWindow):
    document_changed = Signal(object)  # the new Document (or None)

    def __init__(self, doc=None, *, settings: QSettings | None = None, runner: Any = None, bridge: Any = None,
                 generation: Any = None, open_document: Callable[[str], Any] | None = None,
                 create_document: Callable[[str], Any] | None = None, audio: bool = True,
                 modal_errors: bool = True):
        super().__init__()
        self.setObjectName("ShotreelMainWindow")
        self.setWindowTitle("Shotreel")
        self.settings = settings or QSettings("Shotreel", "Studio")
        self.runner = runner
        self.bridge = bridge
        self.generation = generation
        self._open_document = open_document
        self._create_document = create_document
        self._audio = audio
        self.modal_errors = modal_errors
        self.doc = None
        self.selection = ShotSelection(self)
        self.panels: dict[str, QWidget] = {}
        self.docks: dict[str, QDockWidget] = {}
        self._unsubscribe: Callable[[], None] | None = None
        self.last_error = None
        # focus moving to another widget ends the user's gesture: the next edit is its own undo step
        QApplication.instance().focusChanged.connect(self._focus_moved)

        self.setDockNestingEnabled(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowNestedDocks
                            | QMainWindow.DockOption.AllowTabbedDocks)
        self.setTabPosition(Qt.DockWidgetArea.AllDockWidgetAreas, QTabWidget.TabPosition.North)
        self.welcome = self._make_welcome()
        self.setCentralWidget(self.welcome)
        self._make_docks()
        self._make_menus()
        self._make_status_bar()
        self.resize(1500, 920)
        if bridge is not None:
            bridge.engine_state.connect(self.engine_label.setText)
        self.set_document(doc)
        self._restore_layout()

    # ---- building -------------------------------------------------------------------------------------
    def _make_welcome(self) -> QWidget:
        w = QWidget(self)
        layout = QVBoxLayout(w)
        layout.addStretch(1)
        title = QLabel("Shotreel", w)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() + 14)
        font.setBold(True)
        title.setFont(font)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint = QLabel("Create a project or open one to start boarding.", w)
        hint.setObjectName("panelHint")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(title)
        layout.addWidget(hint)
        for text, slot in (("New Project…", self.new_project), ("Open Project…", self.open_project),
                           ("Open the Demo: The Last Ferry", self.open_demo)):
            button = QPushButton(text, w)
            button.setMinimumWidth(240)
            button.setMaximumWidth(280)
            button.clicked.connect(lambda *_, s=slot: self._guard(s))
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        return w

    def _dock(self, name: str, title: str, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        self.docks[name] = dock
        return dock

    def _make_docks(self) -> None:
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        storyboard = self._dock("StoryboardDock", "Storyboard", left)
        viewer = self._dock("ViewerDock", "Viewer", right)
        self.splitDockWidget(storyboard, viewer, Qt.Orientation.Horizontal)
        self.optional_classes = {}
        for name, title, module, cls in OPTIONAL_PANELS:
            panel_cls = _optional_panel_class(module, cls)
            if panel_cls is not None:
                self.optional_classes[name] = panel_cls
                self._dock(name, title, right if name != "TimelineDock" else bottom)
        if "InspectorDock" in self.docks:
            self.splitDockWidget(viewer, self.docks["InspectorDock"], Qt.Orientation.Horizontal)
        takes = self._dock("TakesDock", "Takes", right)
        queue = self._dock("QueueDock", "Queue", right)
        self.splitDockWidget(viewer, takes, Qt.Orientation.Vertical)
        self.tabifyDockWidget(takes, queue)
        if "BibleDock" in self.docks:
            self.tabifyDockWidget(queue, self.docks["BibleDock"])
        takes.raise_()
        if "TimelineDock" in self.docks:
            self.addDockWidget(bottom, self.docks["TimelineDock"])
        self.resizeDocks([storyboard, viewer], [560, 900], Qt.Orientation.Horizontal)
        self.resizeDocks([viewer, takes], [560, 300], Qt.Orientation.Vertical)
        self._default_state = self.saveState(STATE_VERSION)

    def _action(self, text: str, slot, shortcut=None, icon: str | None = None, menu: QMenu | None = None) -> QAction:
        action = QAction(text, self)
        if icon:
            action.setIcon(theme.icon(icon))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda *_: self._guard(slot))
        if menu is not None:
            menu.addAction(action)
        return action

    def _make_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self.actions_by_name: dict[str, QAction] = {}
        a = self.actions_by_name
        a["new"] = self._action("&New Project…", self.new_project, QKeySequence.StandardKey.New,
                                "mdi6.file-plus-outline", file)
        a["open"] = self._action("&Open Project…", self.open_project, QKeySequence.StandardKey.Open,
                                 "mdi6.folder-open-outline", file)
        self.recent_menu = file.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file.addSeparator()
        a["export"] = self._action("&Export…", self.show_export, "Ctrl+E", "mdi6.export", file)
        a["verify"] = self._action("&Verify Content Credentials…", self.show_verify, None,
                                   "mdi6.shield-check-outline", file)
        file.addSeparator()
        a["settings"] = self._action("&Settings…", self.show_settings, QKeySequence.StandardKey.Preferences,
                                     "mdi6.cog-outline", file)
        file.addSeparator()
        a["quit"] = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit, None, file)

        edit = bar.addMenu("&Edit")
        a["undo"] = self._action("Undo", self.undo, QKeySequence.StandardKey.Undo, "mdi6.undo", edit)
        a["redo"] = self._action("Redo", self.redo, QKeySequence.StandardKey.Redo, "mdi6.redo", edit)
        edit.addSeparator()
        a["select_all"] = self._action("Select All Shots", self.select_all_shots, "Ctrl+A", None, edit)

        self.shot_menu = bar.addMenu("&Shot")
        gen = bar.addMenu("&Generate")
        a["generate"] = self._action("Generate Selected Shots", self.generate_selected, "Ctrl+G",
                                     "mdi6.movie-open-play-outline", gen)
        a["generate_stale"] = self._action("Generate Missing and Stale Shots", self.generate_stale, "Ctrl+Shift+G",
                                           "mdi6.movie-refresh-outline", gen)
        a["regenerate_stale"] = self._action("Regenerate Stale Shots", self.regenerate_stale, None,
                                             "mdi6.link-variant", gen)
        a["check_seams"] = self._action("Check Seams", self.check_seams, None, "mdi6.contrast-box", gen)
        gen.addSeparator()
        a["pause"] = self._action("Pause the Engine", self.toggle_pause, None, "mdi6.pause-circle-outline", gen)
        a["pause"].setCheckable(True)
        a["cancel_all"] = self._action("Cancel All Jobs", self.cancel_all_jobs, None, "mdi6.cancel", gen)

        self.view_menu = bar.addMenu("&View")
        for dock in self.docks.values():
            self.view_menu.addAction(dock.toggleViewAction())
        self._viewer_section = self.view_menu.addSection("Viewer")  # the player's actions, per document
        self._viewer_actions: list[QAction] = []
        self._viewer_end = self.view_menu.addSeparator()
        a["reset_layout"] = self._action("Reset Layout", self.reset_layout, None, None, self.view_menu)

        help_ = bar.addMenu("&Help")
        a["shortcuts"] = self._action("&Keyboard Shortcuts", self.show_shortcuts, "F1", "mdi6.keyboard-outline",
                                      help_)
        # '?' too, as in most editors (text fields keep typing it: they claim printable keys first)
        a["shortcuts"].setShortcuts([QKeySequence("F1"), QKeySequence("?")])
        a["guide"] = self._action("&User Guide", self.show_guide, None, "mdi6.book-open-variant", help_)
        a["about"] = self._action("&About Shotreel", self.show_about, None, None, help_)
        for action in a.values():
            self.addAction(action)  # shortcuts work even when a floating dock has focus

    def _make_status_bar(self) -> None:
        status = self.statusBar()
        self.project_label = QLabel(self)
        self.engine_label = QLabel("Engine: idle", self)
        self.engine_label.setObjectName("engineState")
        status.addWidget(self.project_label, 1)
        status.addPermanentWidget(self.engine_label)

    def _focus_moved(self, old, new) -> None:
        if self.doc is not None and old is not None:
            self.doc.end_gesture()

    # ---- documents --------------------------------------------------------------------------------------
    def set_document(self, doc) -> None:
        """Show `doc` (None: the welcome screen). The old document's panels are detached first;
        closing the old document is the caller's business (the app owns documents)."""
        self._detach_panels()
        self.doc = doc
        self.selection.clear()
        has_doc = doc is not None
        # no central widget with a project: the docks share the whole window
        if has_doc and self.centralWidget() is self.welcome:
            self.takeCentralWidget()
            self.welcome.hide()
            for dock in self.docks.values():
                dock.show()
        elif not has_doc and self.centralWidget() is not self.welcome:
            self.setCentralWidget(self.welcome)
            self.welcome.show()
        if not has_doc:
            for dock in self.docks.values():
                dock.hide()
        if has_doc:
            self._build_panels(doc)
            self._unsubscribe = doc.subscribe(self._on_change)
            self._add_recent(str(doc.folder))
            self.setWindowTitle(f"{doc.project.name} — Shotreel")
            first = next((s.id for _, s in doc.project.shots()), None)
            if first:
                self.selection.set([first])
        else:
            self.setWindowTitle("Shotreel")
            self.engine_label.setText("Engine: off (no project)")
        self._update_undo_actions()
        self._update_project_label()
        for name in ("export", "settings", "generate", "generate_stale", "select_all", "regenerate_stale",
                     "check_seams"):
            self.actions_by_name[name].setEnabled(has_doc)
        self.document_changed.emit(doc)

    def _build_panels(self, doc) -> None:
        from .queue import QueuePanel
        from .storyboard import StoryboardPanel
        from .takes import TakesPanel
        from .viewer import ViewerPanel
        storyboard = StoryboardPanel(doc, self.selection)
        viewer = ViewerPanel(doc, self.selection, audio=self._audio)
        takes = TakesPanel(doc, self.selection)
        queue = QueuePanel(doc, runner=self.runner, bridge=self.bridge, storyboard=storyboard.model,
                           generation=self.generation)
        queue.error_requested.connect(lambda exc, details: self.show_exception(exc, details))
        queue.summary_changed.connect(self.engine_label.setText)
        queue.shot_activated.connect(lambda shot_id: self.selection.set([shot_id]))
        queue._update_summary()
        storyboard.activated.connect(lambda shot_id: (viewer.seek_to_shot(shot_id),
                                                      viewer.player.setFocus()))
        takes.play_requested.connect(viewer.play_take)
        takes.generation = self.generation  # remix dialogs queue their takes here
        self.panels = {"StoryboardDock": storyboard, "ViewerDock": viewer, "TakesDock": takes, "QueueDock": queue}
        for name, cls in self.optional_classes.items():
            try:
                self.panels[name] = cls(doc, self.selection)
            except Exception as exc:  # another module's panel failing must not close the studio
                log.exception("could not create %s", name)
                self.panels[name] = QLabel(f"This panel could not start: {exc}")
        timeline = self.panels.get("TimelineDock")
        if hasattr(timeline, "playhead_moved"):  # the timeline and the viewer share one playhead (cut frames)
            timeline.playhead_moved.connect(viewer.player.seek)
            viewer.player.position_changed.connect(timeline.set_playhead)
            viewer.player.marks_changed.connect(timeline.set_marks)
            timeline.set_marks(*viewer.player.marks)
        inspector = self.panels.get("InspectorDock")
        if hasattr(inspector, "edit_title"):  # after Add Shot: the inspector's title, scrolled to the top
            storyboard.shot_added.connect(lambda _id: (self.docks["InspectorDock"].raise_(), inspector.edit_title()))
        if hasattr(timeline, "cue_selected") and hasattr(inspector, "select_cue"):  # one sound picked in both
            timeline.cue_selected.connect(inspector.select_cue)
            inspector.cue_selected.connect(timeline.select_cue)
        for name, panel in self.panels.items():
            self.docks[name].setWidget(panel)
        self._viewer_actions = viewer.player.view_actions()  # loop, safe areas, aspect mask, full screen
        if hasattr(viewer, "pass_actions"):
            self._viewer_actions += viewer.pass_actions()     # depth / mask / pose instead of or over the picture
        self.view_menu.insertActions(self._viewer_end, self._viewer_actions)
        self.shot_menu.clear()
        for action in storyboard.actions_by_name.values():
            self.shot_menu.addAction(action)
        storyboard.extra_actions = [self.actions_by_name["generate"]]

    def _detach_panels(self) -> None:
        for action in self._viewer_actions:  # the old player's: they go with it
            self.view_menu.removeAction(action)
        self._viewer_actions = []
        if self._unsubscribe:
            self._unsubscribe()
            self._unsubscribe = None
        for name, panel in self.panels.items():
            detach = getattr(panel, "detach", None)
            if callable(detach):
                try:
                    detach()
                except Exception:
                    log.exception("detaching %s", name)
            self.docks[name].setWidget(None)
            panel.deleteLater()
        self.panels = {}

    def panel(self, name: str) -> QWidget | None:
        """'storyboard', 'viewer', 'takes', 'queue', 'timeline', 'inspector', 'bible'."""
        return self.panels.get(name.capitalize() + "Dock") or self.panels.get(f"{name.title()}Dock")

    def _on_change(self, change: Change) -> None:
        if change.kind is ChangeKind.HISTORY:
            self._update_undo_actions()
        if change.kind in (ChangeKind.PROJECT, ChangeKind.SHOT_ADDED, ChangeKind.SHOT_REMOVED,
                           ChangeKind.SHOT_CHANGED):
            self._update_project_label()
            if change.kind is ChangeKind.PROJECT and self.doc is not None:
                self.setWindowTitle(f"{self.doc.project.name} — Shotreel")

    def _update_undo_actions(self) -> None:
        doc = self.doc
        undo, redo = self.actions_by_name["undo"], self.actions_by_name["redo"]
        undo.setEnabled(bool(doc and doc.can_undo))
        redo.setEnabled(bool(doc and doc.can_redo))
        undo.setText(f"Undo {doc.undo_text}" if doc and doc.can_undo else "Undo")
        redo.setText(f"Redo {doc.redo_text}" if doc and doc.can_redo else "Redo")

    def _update_project_label(self) -> None:
        doc = self.doc
        if doc is None:
            self.project_label.setText("No project open")
            return
        project = doc.project
        shots = sum(len(s.shots) for s in project.sequences)
        self.project_label.setText(f"{project.name} · {plural(shots, 'shot')} · {project.width}×{project.height} "
                                   f"@ {float(project.fps):g} fps · {doc.folder}")

    # ---- File ------------------------------------------------------------------------------------------
    def projects_folder(self) -> str:
        from .dialogs.settings import PROJECTS_FOLDER_KEY
        default = str(Path.cwd() / "projects")
        return str(self.settings.value(PROJECTS_FOLDER_KEY, default) or default)

    def new_project(self, path: str | None = None) -> None:
        if not path:
            path, _ = QFileDialog.getSaveFileName(self, "New project", str(Path(self.projects_folder()) /
                                                                           "untitled.shotreel"))
            if not path:
                return
        if not path.endswith(".shotreel"):
            path += ".shotreel"
        if self._create_document is None:
            raise RuntimeError("this window cannot create projects (no document factory)")
        self._create_document(path)

    def open_project(self, path: str | None = None) -> None:
        if not path:
            path = QFileDialog.getExistingDirectory(self, "Open project", self.projects_folder())
            if not path:
                return
        if self._open_document is None:
            raise RuntimeError("this window cannot open projects (no document factory)")
        self._open_document(path)

    def open_demo(self) -> None:
        """The demo project in the projects folder (built there the first time)."""
        self.open_project(str(Path(self.projects_folder()) / "demo.shotreel"))

    def recent_projects(self) -> list[str]:
        value = self.settings.value(RECENT_KEY, [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _add_recent(self, path: str) -> None:
        recent = [p for p in self.recent_projects() if p != path]
        self.settings.setValue(RECENT_KEY, [path] + recent[:MAX_RECENT - 1])

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.recent_projects()
        for path in recent:
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.setEnabled(Path(path).exists())
            action.triggered.connect(lambda *_, p=path: self._guard(lambda: self.open_project(p)))
        if not recent:
            self.recent_menu.addAction("No recent projects").setEnabled(False)

    def show_export(self):
        from .dialogs.export import ExportDialog
        dialog = ExportDialog(self.doc, self)
        dialog.regenerate_requested.connect(lambda ids: self._guard(lambda: self._generate_for_export(ids)))
        dialog.open()
        return dialog

    def _generate_for_export(self, shot_ids: list[str]) -> None:
        queue = self.panels.get("QueueDock")
        if queue is not None:
            queue.generate(shot_ids)
            self.docks["QueueDock"].raise_()

    def show_verify(self):
        from .dialogs.verify import VerifyDialog
        dialog = VerifyDialog(self)
        dialog.open()
        return dialog

    def show_settings(self):
        from .dialogs.settings import SettingsDialog
        dialog = SettingsDialog(self.doc, self.settings, self, default_projects=self.projects_folder())
        dialog.open()
        return dialog

    # ---- Edit ------------------------------------------------------------------------------------------
    def undo(self) -> None:
        if self.doc is not None and self.doc.can_undo:
            label = self.doc.undo()
            self.statusBar().showMessage(f"Undid {label}", 3000)

    def redo(self) -> None:
        if self.doc is not None and self.doc.can_redo:
            label = self.doc.redo()
            self.statusBar().showMessage(f"Redid {label}", 3000)

    def select_all_shots(self) -> None:
        if self.doc is not None:
            self.selection.set([s.id for _, s in self.doc.project.shots()])

    # ---- Generate ----------------------------------------------------------------------------------------
    def generate_selected(self) -> None:
        queue = self.panels.get("QueueDock")
        if queue is not None and self.selection.ids():
            queue.generate(self.selection.ids())
            self.docks["QueueDock"].raise_()

    def generate_stale(self) -> None:
        queue = self.panels.get("QueueDock")
        if queue is not None:
            queue.generate_missing_and_stale()
            self.docks["QueueDock"].raise_()

    def toggle_pause(self) -> None:
        queue = self.panels.get("QueueDock")
        if queue is not None:
            queue.actions_by_name["pause"].setChecked(self.actions_by_name["pause"].isChecked())

    def regenerate_stale(self) -> list[str]:
        """Queue the stale shots (their upstream take changed), in cut order. Returns the job ids."""
        queue = self.panels.get("QueueDock")
        if queue is None or self.doc is None:
            return []
        from studio.continuity import stale_shots
        stale = stale_shots(self.doc.project)
        ids = [shot.id for _, shot in self.doc.project.shots() if shot.id in stale]
        if not ids:
            self.statusBar().showMessage("No stale shots", 3000)
            return []
        jobs = queue.generate(ids)
        self.docks["QueueDock"].raise_()
        return jobs

    def check_seams(self):
        """Measure every continuity cut off the GUI thread (it decodes frames) and flag the jumps on the
        timeline when done. Returns the BackgroundTask (its `result` is shot id -> why), or None."""
        if self.doc is None:
            return None
        from studio.seams import check_seams

        from .dialogs.tasks import BackgroundTask
        project, folder = self.doc.project, self.doc.folder

        def measure(report, cancel):
            return {r.shot_id: "; ".join(r.reasons) for r in check_seams(project, folder) if r.flagged}

        def show(flags: dict) -> None:
            timeline = self.panels.get("TimelineDock")
            if timeline is not None and hasattr(timeline, "set_seam_flags"):
                timeline.set_seam_flags(flags)
            self.statusBar().showMessage(f"Seams checked: {plural(len(flags), 'cut')} flagged", 5000)

        task = BackgroundTask(measure, self)
        task.succeeded.connect(show)
        task.failed.connect(self.show_exception)
        self.statusBar().showMessage("Checking seams…")
        return task.start()

    def cancel_all_jobs(self) -> None:
        queue = self.panels.get("QueueDock")
        if queue is not None:
            queue.cancel_all()

    # ---- View / Help ---------------------------------------------------------------------------------
    def reset_layout(self) -> None:
        self.restoreState(self._default_state, STATE_VERSION)
        for dock in self.docks.values():
            dock.setVisible(self.doc is not None)
        self.apply_default_sizes()

    def shortcut_groups(self) -> list[tuple[str, list[tuple[str, str]]]]:
        from .player.widget import SHORTCUTS
        def keys(action: QAction) -> str:  # every binding ('F1 / ?')
            return " / ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())
        window = [(keys(a), a.text().replace("&", "").rstrip("…")) for a in self.actions_by_name.values()
                  if not a.shortcut().isEmpty()]
        groups = [("Studio", window)]
        board = self.panels.get("StoryboardDock")
        if board is not None:
            groups.append(("Storyboard", [(keys(a), a.text()) for a in board.actions_by_name.values()
                                          if not a.shortcut().isEmpty()]))
        groups.append(("Viewer", list(SHORTCUTS)))
        if hasattr(self.panels.get("TimelineDock"), "playhead_moved"):
            from .timeline import SHORTCUTS as TIMELINE_SHORTCUTS
            groups.append(("Timeline", list(TIMELINE_SHORTCUTS)))
        groups.append(("Compare takes", [("Space", "Play / pause both"), ("← / →", "Step both one frame")]))
        return groups

    def show_shortcuts(self):
        from .dialogs.shortcuts import ShortcutsOverlay
        overlay = ShortcutsOverlay(self, self.shortcut_groups())
        overlay.show()
        overlay.raise_()
        overlay.setFocus()
        return overlay

    def show_guide(self):
        from .dialogs.guide import UserGuideDialog
        dialog = UserGuideDialog(self)
        dialog.open()
        return dialog

    def about_text(self) -> str:
        from importlib.metadata import PackageNotFoundError, version
        try:
            number = version("shotreel")
        except PackageNotFoundError:  # a checkout that was never installed
            number = "(development checkout)"
        return (f"Shotreel {number} — storyboard to previs cut.\n"
                "Every edit is saved as you make it.\n\nHelp > User Guide has the whole guide, offline.")

    def show_about(self) -> None:
        from PySide6.QtWidgets import QMessageBox
        QMessageBox.about(self, "About Shotreel", self.about_text())

    # ---- errors, layout, closing --------------------------------------------------------------------------
    def _guard(self, slot) -> None:
        """Run a menu action; an error becomes a dialog (the document is unchanged by a failed command)."""
        try:
            slot()
        except Exception as exc:
            self.show_exception(exc)

    def show_exception(self, exc: BaseException, details: str = ""):
        self.last_error = exc
        return show_error(self, exc, details, modal=self.modal_errors)

    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        self._layout_restored = isinstance(state, QByteArray) and self.restoreState(state, STATE_VERSION)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not getattr(self, "_layout_restored", False) and not getattr(self, "_sized", False):
            self._sized = True
            QTimer.singleShot(0, self.apply_default_sizes)

    def apply_default_sizes(self) -> None:
        """Split the window the first time (no remembered layout): a board three cards wide on the left,
        the viewer big on the right, the takes and queue under it."""
        from .storyboard.delegate import CARD_W
        docks = self.docks
        width, height = self.width(), self.height()
        inspector_w = 440 if "InspectorDock" in docks else 0
        columns = 3 if width - inspector_w >= 3 * CARD_W + 760 else 2
        board_w = columns * CARD_W + 22  # whole cards plus the scroll bar: no ragged gap on the right
        row = [docks["StoryboardDock"], docks["ViewerDock"]]
        sizes = [board_w, width - board_w - inspector_w]
        if inspector_w:
            row.append(docks["InspectorDock"])
            sizes.append(inspector_w)
        self.resizeDocks(row, sizes, Qt.Orientation.Horizontal)
        top = int(height * 0.58)
        self.resizeDocks([docks["ViewerDock"], docks["TakesDock"]], [top, height - top], Qt.Orientation.Vertical)
        if "TimelineDock" in docks:
            self.resizeDocks([docks["TimelineDock"]], [int(height * 0.25)], Qt.Orientation.Vertical)

    def save_layout(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState(STATE_VERSION))
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        self._detach_panels()
        super().closeEvent(event)

