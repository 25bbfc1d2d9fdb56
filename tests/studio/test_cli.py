"""`shotreel` end to end through main([...]), and once as the installed console script."""
from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from studio.cli import main
from studio.cli.common import ProgressBar, table
from studio.document import Document
from tests.studio.core_helpers import run, run_json


def test_new_add_edit_list_undo_redo(tmp_path, capsys):
    proj = str(tmp_path / "heist.shotreel")
    code, out, _ = run(capsys, "new", proj, "--fps", "25", "--size", "1920x1080")
    assert code == 0 and "heist" in out and "1920x1080" in out

    added = run_json(capsys, "add-shot", proj, "--title", "Vault door", "--prompt", "The door swings open",
                     "--duration", "3s", "--camera", "dolly_in", "--amount", "0.4", "--lens", "50",
                     "--shot-size", "MCU", "--angle", "low", "--motion", "walks to the vault",
                     "--subject", "Rey", "--continuity", "none")
    assert added["number"] == 1 and added["duration"] == 75  # 3 s at 25 fps
    assert added["camera"]["move"] == "dolly_in" and added["camera"]["shot_size"] == "MCU"
    assert added["motion"][0]["kind"] == "cross" and added["continuity"] == "none"
    run(capsys, "add-shot", proj, "--title", "Guard", "--duration", "48f", "--camera", "pan", "--direction", "left")
    run(capsys, "add-shot", proj, "--title", "Alarm", "--at", "1")

    listing = run_json(capsys, "shots", proj)
    assert [s["title"] for s in listing["shots"]] == ["Alarm", "Vault door", "Guard"]
    assert listing["project"]["fps"] == "25/1" and listing["project"]["width"] == 1920
    assert [s["start"] for s in listing["shots"]] == [0, 75, 150]

    # SHOT by number, by title, by id
    assert run_json(capsys, "edit-shot", proj, "2", "--duration", "2s")["duration"] == 50
    assert run_json(capsys, "edit-shot", proj, "guard", "--camera", "tilt")["camera"]["direction"] == "up"
    shot_id = listing["shots"][0]["id"]
    assert run_json(capsys, "edit-shot", proj, shot_id, "--title", "Alarm bell")["title"] == "Alarm bell"

    code, out, _ = run(capsys, "shots", proj)
    assert code == 0 and "Alarm bell" in out and "tilt up" in out and "2.0s (50f)" in out

    code, out, _ = run(capsys, "undo", proj)
    assert code == 0 and out.strip() == "Undid: Edit Title"
    assert run_json(capsys, "redo", proj)["label"] == "Edit Title"
    for _ in range(6):
        run(capsys, "undo", proj)
    code, out, _ = run(capsys, "undo", proj)
    assert out.strip() == "Nothing to undo"
    assert run_json(capsys, "shots", proj)["shots"] == []


@pytest.mark.parametrize("argv, message", [
    (["shots", "{tmp}/missing.shotreel"], "no project at"),
    (["add-shot", "{proj}", "--title", "x", "--camera", "orbit", "--direction", "up"], "orbit moves cw"),
    (["add-shot", "{proj}", "--title", "x", "--duration", "three seconds"], "duration"),
    (["add-shot", "{proj}", "--title", "x", "--amount", "3"], "camera amount"),
    (["add-shot", "{proj}", "--title", "x", "--ref", "Nobody"], "no bible entry named"),
    (["edit-shot", "{proj}", "9", "--title", "x"], "no shot '9'"),
    (["edit-shot", "{proj}", "1"], "nothing to change"),
    (["new", "{proj}"], "already a Shotreel project"),
    (["new", "{tmp}/n.shotreel", "--size", "big"], "1280x720"),
    (["new", "{tmp}/n.shotreel", "--fps", "500"], "outside 1..240"),
])
def test_errors_are_one_line_and_exit_1(tmp_path, capsys, argv, message):
    proj = tmp_path / "p.shotreel"
    assert run(capsys, "new", str(proj))[0] == 0
    assert run(capsys, "add-shot", str(proj), "--title", "First")[0] == 0
    before = (proj / "project.db").read_bytes()
    code, out, err = run(capsys, *[a.format(tmp=tmp_path, proj=proj) for a in argv])
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("shotreel: ")
    assert message in err
    with Document.open(proj) as doc:
        assert [s.title for _, s in doc.project.shots()] == ["First"] and doc.history_index == 1
    del before


def test_json_errors_are_json(tmp_path, capsys):
    code, out, err = run(capsys, "shots", str(tmp_path / "none"), "--json")
    assert code == 1 and json.loads(err)["error"].startswith("no project at")


def test_usage_errors_exit_2(capsys):
    assert main(["add-shot"]) == 2
    assert main([]) == 2
    assert main(["--version"]) == 0


def test_demo_builds_and_lists(tmp_path, capsys):
    proj = str(tmp_path / "demo.shotreel")
    code, out, _ = run(capsys, "demo", proj)
    assert code == 0 and "The Last Ferry" in out
    data = run_json(capsys, "shots", proj)
    shots = data["shots"]
    assert 8 <= len(shots) <= 10
    moves = {s["camera"]["move"] for s in shots}
    assert {"pan", "tilt", "dolly_in", "truck", "zoom_in", "orbit", "static"} <= moves
    kinds = {a["kind"] for s in shots for a in s["audio"]}
    assert kinds == {"dialogue", "sfx", "ambience", "music"}
    assert all(s["continuity"] == "previous" for s in shots[1:7])
    assert all(a["text"] for s in shots for a in s["audio"] if a["kind"] == "dialogue")
    bible = {b["kind"] for b in data["project"]["bible"]}
    assert {"character", "location"} <= bible
    with Document.open(proj) as doc:
        characters = [b for b in doc.project.bible if b.kind.value == "character"]
        assert len(characters) == 2 and len({c.voice for c in characters}) == 2 and all(c.color for c in characters)
        presets = {a.preset for _, s in doc.project.shots() for a in s.audio if a.kind.value == "sfx"}
        assert {"impact", "whoosh", "footsteps", "door", "glass", "click", "riser", "heartbeat"} <= presets
        assert not doc.can_undo
    code, out, _ = run(capsys, "demo", proj)  # a second run reuses the project, never rebuilds over it
    assert code == 0 and "Using the demo project" in out
    with Document.open(proj) as doc:
        assert not doc.can_undo and sum(1 for _ in doc.project.shots()) == len(shots)
    edited = run_json(capsys, "edit-shot", proj, "The parcel", "--ref", "mara", "--ref", "Harbour quay")
    assert edited["bible_refs"] == ["ch_mara", "lo_harbour"]


def test_open_execs_the_studio_without_importing_ui(tmp_path, capsys, monkeypatch):
    proj = tmp_path / "o.shotreel"
    run(capsys, "new", str(proj))
    calls = []
    monkeypatch.setattr(os, "execv", lambda path, argv: calls.append((path, argv)))
    loaded_before = set(sys.modules)  # other tests in this process may have imported ui already
    assert main(["open", str(proj)]) == 0
    assert calls == [(sys.executable, [sys.executable, "-m", "ui.app", str(proj.resolve())])]
    assert not [m for m in set(sys.modules) - loaded_before if m == "ui" or m.startswith("ui.")]
    code, _, err = run(capsys, "open", str(tmp_path / "missing"))
    assert code == 1 and "no project at" in err


def test_console_script_runs_in_a_real_process(tmp_path):
    script = shutil.which("shotreel", path=str(Path(sys.executable).parent)) or shutil.which("shotreel")
    assert script, "the shotreel console script is not installed (pip install -e .)"
    proj = tmp_path / "sub.shotreel"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([script, "new", str(proj)], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([script, "add-shot", str(proj), "--title", "From a shell", "--camera", "zoom_in"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([script, "shots", str(proj), "--json"], capture_output=True, text=True, env=env,
                          timeout=60)
    assert done.returncode == 0 and json.loads(done.stdout)["shots"][0]["title"] == "From a shell"
    done = subprocess.run([script, "shots", str(tmp_path / "nope")], capture_output=True, text=True, env=env,
                          timeout=60)
    assert done.returncode == 1 and done.stderr.startswith("shotreel: no project at")


def test_progress_bar_and_table_helpers():
    stream = io.StringIO()
    bar = ProgressBar("generate", stream=stream)
    for i in range(11):
        bar.update(i, 10, "rendering")
    bar.update(1, 1, "encoding")
    bar.done("3 takes")
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("generate rendering: 0/10 0%")
    assert "generate rendering: 10/10 100%" in lines and lines[-1] == "3 takes"
    assert len(lines) == 7  # one line per quarter and stage, not one per update
    quiet = io.StringIO()
    ProgressBar(stream=quiet, enabled=False).update(1, 2, "x")
    assert quiet.getvalue() == ""
    text = table([(1, "a" * 60)], ("#", "TITLE")).splitlines()
    assert text[0].split() == ["#", "TITLE"] and text[1].endswith("…") and len(text[1]) < 50
