"""New shots start fresh where a filmmaker expects: the first shot of the project and of every scene
(CLI, window, Fountain import) gets continuity 'none'; a later shot chains on only when its words
continue the same setup."""
from __future__ import annotations

import json

from studio.cli import main
from studio.document import Document

FOUNTAIN = """Title: Gallery

EXT. LIGHTHOUSE GALLERY - NIGHT

The keeper walks the gallery rail, lantern raised.

He stops and looks out to sea.

INT. LAMP ROOM - NIGHT

The keeper trims the wick.

He still trims it, patient.
"""


def _json(capsys, *argv):
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_cli_first_shot_of_project_and_scene_is_fresh(tmp_path, capsys):
    proj = str(tmp_path / "p.shotreel")
    assert main(["new", proj]) == 0
    capsys.readouterr()
    one = _json(capsys, "add-shot", proj, "--title", "One", "--prompt", "A man waits.")
    two = _json(capsys, "add-shot", proj, "--title", "Two", "--prompt", "A man walks away.")
    three = _json(capsys, "add-shot", proj, "--title", "Three", "--prompt", "He still walks, continuing.")
    _json(capsys, "scene", "add", proj, "--heading", "EXT. COVE - NIGHT")
    four = _json(capsys, "add-shot", proj, "--title", "Four", "--prompt", "He continues along the beach.")
    explicit = _json(capsys, "add-shot", proj, "--title", "Five", "--prompt", "A gull.", "--continuity", "previous")
    with Document.open(proj) as doc:
        got = {s.title: s.continuity.value for _, s in doc.project.shots()}
    assert got == {"One": "none", "Two": "none", "Three": "previous", "Four": "none", "Five": "previous"}
    assert one and two and three and four and explicit


def test_fountain_import_starts_every_scene_fresh(tmp_path, capsys):
    script = tmp_path / "gallery.fountain"
    script.write_text(FOUNTAIN)
    proj = str(tmp_path / "g.shotreel")
    assert main(["new", proj]) == 0
    assert main(["import", proj, str(script)]) == 0, capsys.readouterr()
    with Document.open(proj) as doc:
        scenes = [(s.heading, [sh.continuity.value for sh in s.shots]) for s in doc.project.sequences]
    assert scenes[0][0].startswith("EXT. LIGHTHOUSE GALLERY") and scenes[1][0].startswith("INT. LAMP ROOM")
    assert scenes[0][1][0] == "none" and scenes[1][1][0] == "none"
    assert scenes[1][1][-1] == "previous"     # 'still': the same setup goes on
