"""The hostile model-folder set (issue 11, items 5 and 6): every case refused with one line, none listed, no
traceback from `shotreel models`; the good folder it is built from is accepted."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.diffusion.registry import inspect_model_dir, scan_model_dirs
from engine.errors import EngineError, ErrorKind
from tests.reliability.hostile_models import HOSTILE, make_hostile, make_model

ROOT = Path(__file__).resolve().parents[2]


def test_the_good_folder_is_accepted(tmp_path):
    info = inspect_model_dir(make_model(tmp_path / "good"))
    assert info.family == "wan" and set(info.params) == {"transformer", "vae", "text_encoder"}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_each_hostile_folder_is_refused_with_one_line(tmp_path, case):
    folder = make_hostile(tmp_path, case)
    with pytest.raises(EngineError) as caught:
        inspect_model_dir(folder)
    assert caught.value.kind == ErrorKind.MODEL_INVALID
    message = caught.value.message
    assert "\n" not in message and HOSTILE[case][1].lower() in message.lower(), message
    errors: list[EngineError] = []
    assert scan_model_dirs([folder.parent], errors) == []
    assert errors and all(e.kind == ErrorKind.MODEL_INVALID for e in errors)


def test_shotreel_models_lists_none_of_them_and_never_tracebacks(tmp_path):
    for case in HOSTILE:
        make_hostile(tmp_path / "models", case)
    make_model(tmp_path / "models" / "good")
    out = subprocess.run([sys.executable, "-m", "studio.cli", "models", "--path", str(tmp_path / "models"), "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert "Traceback" not in out.stderr, out.stderr
    data = json.loads(out.stdout)
    assert [Path(m["path"]).name for m in data["models"]] == ["good"]
    assert len(data["refused"]) == len(HOSTILE), [r["message"] for r in data["refused"]]


ISSUE_CASES = ["header is a JSON list", "header entry not a dict", "string shape", "_class_name a list",
               "_class_name a number", "num_attention_heads many"]


def test_generate_on_the_issues_hostile_headers_fails_in_one_line(tmp_path, capsys):
    from studio.cli import main
    proj = str(tmp_path / "p.shotreel")
    assert main(["new", proj, "--size", "160x90"]) == 0
    assert main(["add-shot", proj, "--title", "A", "--duration", "4f"]) == 0
    for case in ISSUE_CASES:
        folder = make_hostile(tmp_path / "models", case)
        capsys.readouterr()
        assert main(["generate", proj, "--backend", "diffusion", "--model", str(folder), "--no-sign"]) == 1
        captured = capsys.readouterr()
        out = captured.out + captured.err
        # refused up front (the settings/estimate check reads the folder before queueing: one `shotreel:`
        # line) or by the job (one FAILED line): either way one line that names what is wrong
        failed = [line for line in out.splitlines() if "FAILED:" in line or line.startswith("shotreel:")]
        assert len(failed) == 1 and (folder.name in failed[0] or "safetensors" in failed[0]), out
        assert not any(word in out for word in ("AttributeError", "TypeError", "Traceback")), out
