"""kill -9 at seeded random moments during edits, generation and export (issue 11, reliability suite).

After every kill: PRAGMA integrity_check is ok, every edit the process acknowledged is in the project, no
partial or unsigned file sits under a final name, and the queue resumes (the next run finishes the work with
exactly one take per shot). Tiny projects (160x90, 4-frame shots) keep each trial about a second or two."""
from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from studio.cli import main
from studio.document import Document

ROOT = Path(__file__).resolve().parents[2]
TRIALS = int(os.environ.get("SHOTREEL_KILL_TRIALS", 10))
PARTIAL = ".partial-"


@pytest.fixture()
def env(tmp_path, monkeypatch):
    config = tmp_path / "config"
    monkeypatch.setenv("SHOTREEL_CONFIG_DIR", str(config))
    return {**os.environ, "PYTHONPATH": str(ROOT), "SHOTREEL_CONFIG_DIR": str(config), "QT_QPA_PLATFORM": "offscreen"}


def _new_project(folder: Path, shots: int) -> Path:
    assert main(["new", str(folder), "--size", "160x90"]) == 0
    for i in range(shots):
        assert main(["add-shot", str(folder), "--title", f"S{i + 1}", "--duration", "4f",
                     "--continuity", "previous" if i % 2 else "none"]) == 0
    return folder


def _integrity(folder: Path) -> None:
    conn = sqlite3.connect(folder / "project.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()


def _kill_at(args: list[str], env: dict, delay: float, ready: str | None = None, trigger=None) -> list[str]:
    """Start `args`; wait for the `ready` line it prints, or until `trigger()` is true (polled), or neither;
    sleep `delay`; SIGKILL. Returns the lines it printed."""
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines: list[str] = []
    if ready is not None:
        while True:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line.strip())
            if line.strip() == ready:
                break
    if trigger is not None:
        deadline = time.monotonic() + 60
        while not trigger() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate(timeout=60)
    return lines + out.splitlines()


EDITOR = r"""
import sys
from studio.commands import AddShot, SetShotFields
from studio.document import Document
from studio.model import Shot
doc = Document.open(sys.argv[1])
seq = doc.project.sequences[0].id
ids = [s.id for _, s in doc.project.shots()]
print("ready", flush=True)
n = 0
while True:
    if n % 5 == 4:
        shot = Shot.create(title=f"added {n}", duration=4)
        doc.execute(AddShot(seq, shot))
        print(f"ack {n} add {shot.id}", flush=True)
    else:
        target = ids[n % len(ids)]
        doc.execute(SetShotFields(target, notes=f"n{n}"))
        print(f"ack {n} notes {target}", flush=True)
    n += 1
"""


def test_kill_during_edits_keeps_every_acknowledged_edit(tmp_path, env):
    rng = random.Random(9001)
    template = _new_project(tmp_path / "template.shotreel", 3)
    failures = []
    for trial in range(TRIALS):
        folder = tmp_path / f"edit{trial}.shotreel"
        shutil.copytree(template, folder)
        lines = _kill_at([sys.executable, "-c", EDITOR, str(folder)], env, rng.uniform(0.0, 0.6), ready="ready")
        acks = [line.split() for line in lines if line.startswith("ack ")]
        _integrity(folder)
        with Document.open(folder) as doc:
            shots = {s.id: s for _, s in doc.project.shots()}
            last_note: dict[str, int] = {}
            for _, n, kind, shot_id in acks:
                if kind == "add" and shot_id not in shots:
                    failures.append(f"trial {trial}: acknowledged shot {shot_id} is missing")
                if kind == "notes":
                    last_note[shot_id] = int(n)
            for shot_id, n in last_note.items():
                kept = shots[shot_id].notes
                if not kept.startswith("n") or int(kept[1:]) < n:
                    failures.append(f"trial {trial}: shot {shot_id} notes {kept!r}, acknowledged n{n}")
    print(f"kill -9 during edits: {TRIALS} trials, {len(failures)} failures")
    assert not failures, failures


def _takes_are_complete_and_signed(doc, trial: int) -> list[str]:
    from studio.identity import load_or_create_identity
    from studio.provenance import verify
    identity = load_or_create_identity()
    problems = []
    for take in doc.project.takes.values():
        video = doc.folder / take.files["video"]
        if not video.is_file():
            problems.append(f"trial {trial}: take {take.id} has no video")
        elif verify(video, identity=identity).state != "Trusted":
            problems.append(f"trial {trial}: take {take.id} is not signed and intact")
    for path in (doc.folder / "media").rglob(f"*{PARTIAL}*"):
        problems.append(f"trial {trial}: a partial file survived the reopen: {path.name}")
    return problems


def test_kill_during_generation_then_the_queue_resumes_with_one_take_per_shot(tmp_path, env):
    rng = random.Random(9002)
    template = _new_project(tmp_path / "template.shotreel", 3)
    probe = tmp_path / "probe.shotreel"
    shutil.copytree(template, probe)
    started = time.monotonic()
    assert subprocess.run([sys.executable, "-m", "studio.cli", "generate", str(probe)], cwd=ROOT, env=env,
                          capture_output=True).returncode == 0
    full_run = time.monotonic() - started   # the kills land anywhere from the start to the end of a run
    failures = []
    for trial in range(TRIALS):
        folder = tmp_path / f"gen{trial}.shotreel"
        shutil.copytree(template, folder)
        takes = folder / "media" / "takes"
        if trial % 2:   # half the kills land just after the first take file appears (render end, signing, record)
            _kill_at([sys.executable, "-m", "studio.cli", "generate", str(folder)], env, rng.uniform(0.0, 0.5),
                     trigger=lambda: any(p.is_file() for p in takes.rglob("*")))
        else:
            _kill_at([sys.executable, "-m", "studio.cli", "generate", str(folder)], env, rng.uniform(0.2, full_run))
        _integrity(folder)
        with Document.open(folder) as doc:
            failures += _takes_are_complete_and_signed(doc, trial)
        code = main(["generate", str(folder), "--missing"]) if _missing(folder) else 0
        with Document.open(folder) as doc:
            counts = [sum(t.shot_id == s.id for t in doc.project.takes.values()) for _, s in doc.project.shots()]
            if code != 0 or counts != [1, 1, 1]:
                failures.append(f"trial {trial}: resume exit {code}, takes per shot {counts}")
            if any(r.get("status") in ("queued", "running") for r in doc.job_store.load_all()):
                failures.append(f"trial {trial}: jobs left queued or running after the resume")
            failures += _takes_are_complete_and_signed(doc, trial)
    print(f"kill -9 during generation: {TRIALS} trials, {len(failures)} failures")
    assert not failures, failures


def _missing(folder: Path) -> bool:
    with Document.open(folder, readonly=True) as doc:
        return any(not s.selected_take for _, s in doc.project.shots())


def test_kill_during_export_never_leaves_an_unsigned_or_partial_file_under_the_final_name(tmp_path, env):
    from studio.identity import load_or_create_identity
    from studio.provenance import verify
    rng = random.Random(9003)
    tmp_before = set(Path(tempfile.gettempdir()).glob("shotreel-export-*"))
    folder = _new_project(tmp_path / "cut.shotreel", 3)
    assert main(["generate", str(folder), "--no-sign"]) == 0
    out = tmp_path / "out" / "cut.mp4"
    out.parent.mkdir()
    args = [sys.executable, "-m", "studio.cli", "export", str(folder), "-o", str(out), "--preset", "source"]
    started = time.monotonic()
    assert subprocess.run(args, cwd=ROOT, env=env, capture_output=True).returncode == 0
    full_run = time.monotonic() - started
    identity = load_or_create_identity()
    failures = []
    for trial in range(TRIALS):
        if rng.random() < 0.5:
            out.unlink(missing_ok=True)     # half the trials start without an earlier export
        if trial % 2:   # half the kills land while the encode's output exists: its end, the signature, the rename
            _kill_at(args, env, rng.uniform(0.0, 0.4), trigger=lambda: any(PARTIAL in p.name for p in out.parent.iterdir()))
        else:
            _kill_at(args, env, rng.uniform(0.2, full_run))
        if out.exists():
            report = verify(out, identity=identity)
            if report.state != "Trusted":
                failures.append(f"trial {trial}: {out.name} under its final name is {report.state}")
    assert main(["export", str(folder), "-o", str(out), "--preset", "source"]) == 0
    assert verify(out, identity=identity).state == "Trusted"
    left = [p.name for p in out.parent.iterdir() if PARTIAL in p.name]
    work = list((folder / "media" / "cache").glob("shotreel-export-*"))
    work += sorted(set(Path(tempfile.gettempdir()).glob("shotreel-export-*")) - tmp_before)
    print(f"kill -9 during export: {TRIALS} trials, {len(failures)} failures; left after the next run: "
          f"{len(left)} partial files, {len(work)} work folders")
    assert not failures, failures
    assert not left and not work
