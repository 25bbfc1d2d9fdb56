"""Losing the head: a clear message, the farm's jobs back in this machine's queue, all of them done
locally (a real cluster whose head is killed, in a process of its own)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_losing_the_head_moves_jobs_back_to_the_local_queue():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-m", "tests.farm.head_lost_probe"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["idle"] and report["local"]
    assert "cannot reach the render farm" in report["error"]
    assert any("lost the render farm head" in s and "back in this machine's queue" in s for s in report["states"])
    assert [j["status"] for j in report["jobs"]] == ["done"] * 3
    assert all(j["video"] for j in report["jobs"])
    assert any(j["worker"] == "local" for j in report["jobs"])
    assert report["partials"] == []
