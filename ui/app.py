"""Composition root of the studio: QApplication, theme and fonts, the Document, the engine runner and its
bridge to the GUI thread, exception hooks, and the main window.

    python -m ui.app [PROJECT]            open a project (projects/demo.shotreel is built on first use)
    python -m ui.app PROJECT --screenshot out.png [--size 1600x1000] [--delay-ms 1500]
                                          grab the window once it has painted, save a PNG and exit

Nothing here holds business rules: documents are opened/created through `studio`, generation goes
through `studio.generate.GenerationService` on one engine runner per project (events cross to the GUI
thread through `ui.bridge.EngineBridge`), and every uncaught exception ends in the error dialog
instead of a silent crash.
"""
from __future__ import annotations

import argparse
import logging
import sys
import traceback
from pathlib import Path
from typing import Any, Callable, Sequence

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from . import theme
from .wheel import install_wheel_guard

log = logging.getLogger("ui.app")

ORGANIZATION, APPLICATION = "Shotreel", "Studio"


def make_application(argv: Sequence[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv) if argv is not None else [sys.argv[0]])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("Shotreel")
    theme.apply_theme(app)
    app.setWindowIcon(QIcon(str(theme.ASSETS / "icons" / "shotreel.png")))  # the watermark's mark
    install_wheel_guard(app)
    return app


def _lazy_signing(request, result, _state: dict = {}):  # noqa: B006 - one identity per process
    """Sign each take on the worker thread; the identity is loaded (created the first time) there too,
    never on the GUI thread."""
    fn = _state.get("sign")
    if fn is None:
        from studio.generate import signing_postprocess
        from studio.identity import load_or_create_identity
        fn = _state["sign"] = signing_postprocess(load_or_create_identity())
    return fn(request, result)


def make_runner(doc) -> Any:
    """The engine runner of one project: one worker thread, jobs persisted in the project's store (so an
    interrupted job runs again next session), takes signed before they are recorded."""
    from engine.runner import Runner
    return Runner(store=doc.job_store, postprocess=_lazy_signing)


class Studio:
    """Owns the long-lived objects so their lifetimes are explicit: one document and its engine runner
    at a time, one bridge for the whole session."""

    def __init__(self, settings: QSettings | None = None, *, audio: bool = True, modal_errors: bool = True,
                 runner_factory: Callable[[Any], Any] | None = make_runner):
        from .bridge import EngineBridge
        from .main_window import MainWindow
        self.settings = settings or QSettings(ORGANIZATION, APPLICATION)
        self.bridge = EngineBridge()
        self.runner_factory = runner_factory
        self.runner = None
        self.generation = None
        self._listener = None  # removes the bridge from the runner's listeners
        self.doc = None
        self.window = MainWindow(None, settings=self.settings, bridge=self.bridge, open_document=self.open,
                                 create_document=self.create, audio=audio, modal_errors=modal_errors)

    def open(self, path: str | Path):
        from studio.document import Document
        path = Path(path)
        if not path.exists() and path.name == "demo.shotreel":
            from studio.demo import build_demo
            doc = build_demo(path)
        else:
            doc = Document.open(path)
        self._switch(doc)
        return doc

    def create(self, path: str | Path):
        from studio.document import Document
        doc = Document.create(path)
        self._switch(doc)
        return doc

    def _switch(self, doc) -> None:
        """Show `doc` with its own runner; the old panels let go first, then the old runner stops and
        the old document closes. The dock layout the user has stays as it is."""
        old_doc, old_runner, old_listener = self.doc, self.runner, self._listener
        self.runner = self.runner_factory(doc) if (doc is not None and self.runner_factory) else None
        self.generation, self._listener = None, None
        if self.runner is not None:
            from studio.generate import GenerationService
            self.generation = GenerationService(doc, self.runner)
            self._listener = self.runner.add_listener(self.bridge)
        self.window.runner = self.runner
        self.window.generation = self.generation
        self.window.set_document(doc)
        self.doc = doc
        self._stop_runner(old_runner, old_listener)
        if old_doc is not None and old_doc is not doc:
            old_doc.close()

    @staticmethod
    def _stop_runner(runner, listener) -> None:
        if listener is not None:
            listener()
        if runner is not None:
            runner.shutdown()

    def close(self) -> None:
        self.window.set_document(None)
        self._stop_runner(self.runner, self._listener)
        self.runner, self._listener, self.generation = None, None, None
        if self.doc is not None:
            self.doc.close()
            self.doc = None


def install_exception_hook(studio: Studio) -> None:
    """Uncaught exceptions (in slots, timers, paint code) become the error dialog, not a crash."""
    previous = sys.excepthook

    def hook(exc_type, exc, tb):
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        log.error("uncaught exception\n%s", details)
        if issubclass(exc_type, KeyboardInterrupt):
            previous(exc_type, exc, tb)
            return
        try:
            studio.window.show_exception(exc, details)
        except Exception:  # never recurse from the hook
            previous(exc_type, exc, tb)

    sys.excepthook = hook


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="shotreel-studio", description="Shotreel studio")
    parser.add_argument("project", nargs="?", help="project folder to open (…/name.shotreel)")
    parser.add_argument("--screenshot", help=argparse.SUPPRESS)
    parser.add_argument("--size", default="1600x1000", help=argparse.SUPPRESS)
    parser.add_argument("--delay-ms", type=int, default=1800, help=argparse.SUPPRESS)
    parser.add_argument("--select", type=int, default=0, help=argparse.SUPPRESS)  # 1-based shot to select
    parser.add_argument("--show-shortcuts", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-audio", action="store_true", help="play silently")
    return parser.parse_args(list(argv) if argv is not None else None)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv if argv is not None else sys.argv[1:])
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = make_application([sys.argv[0]])
    screenshot = args.screenshot
    settings = None
    if screenshot:  # a clean, reproducible window: no remembered layout of the user
        settings = QSettings(str(Path(screenshot).with_suffix(".ini")), QSettings.Format.IniFormat)
        settings.clear()
    studio = Studio(settings, audio=not (args.no_audio or screenshot), modal_errors=not screenshot)
    install_exception_hook(studio)
    window = studio.window
    if args.project:
        try:
            studio.open(args.project)
        except Exception as exc:  # said over the shown window, once the event loop runs
            QTimer.singleShot(0, lambda exc=exc: window.show_exception(exc))
    else:
        recent = [p for p in window.recent_projects() if Path(p).exists()]
        if recent:
            try:
                studio.open(recent[0])
            except Exception as exc:
                log.warning("could not reopen %s: %s", recent[0], exc)
    if screenshot:
        w, h = (int(v) for v in args.size.lower().split("x"))
        window.resize(w, h)
        if args.select and studio.doc is not None:
            ids = [s.id for _, s in studio.doc.project.shots()]
            if 0 < args.select <= len(ids):
                window.selection.set([ids[args.select - 1]])
    window.show()
    if args.show_shortcuts:
        QTimer.singleShot(0, window.show_shortcuts)
    if screenshot:
        def grab() -> None:
            Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
            ok = window.grab().save(screenshot)
            log.info("screenshot %s: %s", screenshot, "saved" if ok else "FAILED")
            app.exit(0 if ok else 1)
        QTimer.singleShot(args.delay_ms, grab)
    code = app.exec()
    studio.close()
    return code


if __name__ == "__main__":
    sys.exit(main())
