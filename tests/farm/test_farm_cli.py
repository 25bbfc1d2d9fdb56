"""The three commands a studio runs, as separate processes against a real head on this machine:
`farm start`, `generate --farm`, `farm status`, then `farm stop` ends exactly what start began."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import psutil

from .farm_project import make_project

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(*args: str, env: dict, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "studio.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_start_generate_status_stop(tmp_path):
    env = dict(os.environ, SHOTREEL_CONFIG_DIR=str(tmp_path / "config"),
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    project = make_project(tmp_path / "p.shotreel", shots=2)
    port = _free_port()
    started = _cli("farm", "start", "--workers", "2", "--port", str(port), "--host", "127.0.0.1", "--json", env=env)
    assert started.returncode == 0, started.stderr
    state = json.loads(started.stdout)
    assert state["address"] == f"127.0.0.1:{port}"
    try:
        again = _cli("farm", "start", "--port", str(port), env=env)
        assert again.returncode == 1 and "already a farm head" in again.stderr
        generated = _cli("generate", str(project), "--farm", state["address"], "--no-sign", "--json", env=env)
        assert generated.returncode == 0, generated.stderr[-2000:]
        takes = json.loads(generated.stdout)["takes"]
        assert len(takes) == 2 and all(Path(t["files_abs"]["video"]).is_file() for t in takes)
        status = _cli("farm", "status", state["address"], "--json", env=env)
        assert status.returncode == 0, status.stderr[-2000:]
        report = json.loads(status.stdout)
        head = [n for n in report["nodes"] if n["head"]]
        assert len(head) == 1 and head[0]["cpu_workers"] == 2 and head[0]["alive"]
    finally:
        stopped = _cli("farm", "stop", "--json", env=env)
    assert stopped.returncode == 0 and json.loads(stopped.stdout)["stopped"] is True
    assert not psutil.pid_exists(state["pid"]) or psutil.Process(state["pid"]).status() == psutil.STATUS_ZOMBIE
    gone = _cli("generate", str(project), "--farm", state["address"], "--no-sign", env=env, timeout=120)
    assert gone.returncode == 1 and "cannot reach the render farm" in gone.stderr, gone.stderr[-2000:]


def test_farm_commands_say_what_is_wrong(tmp_path):
    env = dict(os.environ, SHOTREEL_CONFIG_DIR=str(tmp_path / "config"),
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    bad = _cli("farm", "join", "nonsense", env=env)
    assert bad.returncode == 1 and "is not HOST:PORT" in bad.stderr
    none = _cli("farm", "stop", env=env)
    assert none.returncode == 0 and "no farm process" in none.stdout
    workers = _cli("farm", "start", "--workers", "0", env=env)
    assert workers.returncode == 1 and "at least one worker" in workers.stderr
