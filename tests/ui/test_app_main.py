"""`python -m ui.app PROJECT --screenshot PNG`: the whole composition root runs, paints and exits."""
from __future__ import annotations

import sys

from PySide6.QtGui import QImage

from tests.ui.ui_fixtures import *  # noqa: F403
from tests.ui.ui_fixtures import make_doc
from ui.app import main


def test_main_opens_a_project_grabs_the_window_and_exits(qtbot, tmp_path, studio_env, monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # main() installs its hook: restore it after
    doc = make_doc(tmp_path, 4)
    folder = doc.folder
    doc.close()
    png = tmp_path / "shot.png"
    assert main([str(folder), "--screenshot", str(png), "--size", "1200x760", "--delay-ms", "400",
                 "--select", "2"]) == 0
    image = QImage(str(png))
    assert (image.width(), image.height()) == (1200, 760)
    colours = {image.pixel(x, y) for x in range(0, 1200, 40) for y in range(0, 760, 40)}
    assert len(colours) > 8  # a painted window, not a blank one
