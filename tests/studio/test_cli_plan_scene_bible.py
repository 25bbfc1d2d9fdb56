"""`shotreel plan`, `scene add|edit|list`, `bible add|edit|list` end to end through main([...])."""
from __future__ import annotations

import cv2
import numpy as np

from studio.cli import bible_cmds
from studio.document import Document
from tests.studio.core_helpers import run, run_json


def test_scene_and_bible_commands_then_plan(tmp_path, capsys):
    proj = str(tmp_path / "cove.shotreel")
    assert run(capsys, "new", proj)[0] == 0
    scene = run_json(capsys, "scene", "add", proj, "--heading", "EXT. COVE - NIGHT")
    assert scene["number"] == 2 and scene["place"] == "beach" and scene["time_of_day"] == "night"
    edited = run_json(capsys, "scene", "edit", proj, "2", "--heading", "INT. KNIGHT'S HALL - DAY")
    assert edited["time_of_day"] == "day" and edited["place"] == "hall" and edited["interior"]
    listed = run_json(capsys, "scene", "list", proj)
    assert [s["heading"] for s in listed] == ["", "INT. KNIGHT'S HALL - DAY"]
    code, out, _ = run(capsys, "scene", "list", proj)
    assert code == 0 and "KNIGHT'S HALL" in out and "hall" in out

    picture = tmp_path / "rey.png"
    cv2.imwrite(str(picture), np.full((8, 8, 3), 200, np.uint8))
    rey = run_json(capsys, "bible", "add", proj, "--kind", "character", "--name", "Rey", "--description",
                   "a scavenger in a grey wrap", "--colour", "crimson", "--image", str(picture))
    assert rey["colour"] == "#dc143c" and len(rey["reference_images"]) == 1
    assert (tmp_path / "cove.shotreel" / rey["reference_images"][0]).is_file()
    again = run(capsys, "bible", "add", proj, "--kind", "character", "--name", "Rey")
    assert again[0] == 1 and "already has" in again[2]
    bad = run(capsys, "bible", "add", proj, "--kind", "prop", "--name", "Lamp", "--colour", "ultraviolet")
    assert bad[0] == 1 and "colour" in bad[2] and "Traceback" not in bad[2]
    not_picture = tmp_path / "notes.png"
    not_picture.write_text("not a picture")
    refused = run(capsys, "bible", "edit", proj, "Rey", "--image", str(not_picture))
    assert refused[0] == 1 and "not a picture" in refused[2]
    run_json(capsys, "bible", "edit", proj, "Rey", "--description", "a scavenger in a blue wrap")
    entries = run_json(capsys, "bible", "list", proj)
    assert [(e["name"], e["description"]) for e in entries] == [("Rey", "a scavenger in a blue wrap")]

    run_json(capsys, "add-shot", proj, "--title", "Vault door", "--prompt", "Rey opens the vault door; Drew "
             "waits behind her.", "--scene", "2", "--shot-size", "MS")
    plan = run_json(capsys, "plan", proj, "Vault door")["plan"]
    names = [p["name"] for p in plan["people"]]
    assert names == ["Rey", "Drew"] and plan["people"][0]["in_bible"]
    assert plan["time_of_day"] == "day" and plan["place"]["kind"] == "hall"
    assert [w["name"] for w in plan["warnings"] if w["kind"] == "not_in_bible"] == ["Drew"]
    code, out, _ = run(capsys, "plan", proj, "1")
    assert code == 0 and out.startswith("Previs sees: People: Rey") and "Drew is not in the bible" in out

    # every edit is one undoable command through the Document
    with Document.open(proj) as doc:
        texts = []
        while doc.can_undo:
            texts.append(doc.undo())
        assert doc.project.bible == [] and len(doc.project.sequences) == 1
    assert texts == ["Add Shot", "Edit Character", "Add Character", "Rename Scene", "Add Scene"]


def test_bible_group_takes_subcommands_from_other_modules(monkeypatch, tmp_path, capsys):
    import sys
    import types
    module = types.ModuleType("studio.cli.fake_bible_extra")
    module.register_bible = lambda sub: sub.add_parser("ping").set_defaults(func=lambda args: print("pong") or 0)
    monkeypatch.setitem(sys.modules, "studio.cli.fake_bible_extra", module)
    monkeypatch.setattr(bible_cmds, "BIBLE_SUBCOMMAND_MODULES", ["fake_bible_extra"])
    module.__spec__ = types.SimpleNamespace(name="studio.cli.fake_bible_extra")
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: module.__spec__
                        if name == "studio.cli.fake_bible_extra" else real(name, *a))
    code, out, _ = run(capsys, "bible", "ping")
    assert code == 0 and out.strip() == "pong"
