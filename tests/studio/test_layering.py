"""The import rules of the house, written once as import-linter contracts in pyproject.toml: ui -> studio ->
engine only; no Qt outside ui/; torch and diffusers imported only under engine/diffusion, ray only under
engine/farm; no import cycles between the modules of a package. `make test` runs them through this file.

Import-linter reads every import statement (lazy ones inside functions too); a real interpreter then shows
that a headless run loads no Qt and no torch at all (dynamic imports included)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QT = {"PySide6", "PySide2", "PyQt5", "PyQt6", "shiboken6", "qtawesome", "pytestqt"}
TORCH = {"torch", "diffusers", "transformers", "accelerate", "torchvision", "torchaudio"}


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("lint-imports")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-c", "import sys; from importlinter.cli import "
                                                                  "lint_imports_command as c; sys.exit(c())"]
    return subprocess.run(cmd + ["--no-logo", "--no-cache"], cwd=root, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})


CONTRACTS = len(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"])


def test_import_contracts_are_kept():
    done = _lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{CONTRACTS} kept, 0 broken" in done.stdout


def test_the_contracts_refuse_each_kind_of_bad_import(tmp_path):
    """The same contracts on a copy of the tree with one bad import of each kind planted: every one breaks."""
    def sources_only(folder: str, names: list[str]) -> list[str]:  # no assets, no caches: imports are all it reads
        return [n for n in names if n == "__pycache__" or not (n.endswith(".py") or Path(folder, n).is_dir())]
    for package in ("ui", "studio", "engine"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=sources_only)
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / "engine" / "zz_upward.py").write_text("from studio import model\n")           # layers
    (tmp_path / "studio" / "zz_qt.py").write_text("def f():\n    from PySide6 import QtCore\n")  # Qt, lazily
    (tmp_path / "engine" / "zz_torch.py").write_text("def f():\n    import torch\n")            # torch outside
    (tmp_path / "ui" / "zz_ray.py").write_text("def f():\n    import ray\n")                  # ray outside farm
    (tmp_path / "studio" / "zz_a.py").write_text("from . import zz_b\n")                         # a cycle
    (tmp_path / "studio" / "zz_b.py").write_text("from . import zz_a\n")
    done = _lint_imports(tmp_path)
    assert done.returncode != 0
    assert f"0 kept, {CONTRACTS} broken" in done.stdout, done.stdout


_PROBE = """
import json, sys
import studio, studio.cli, studio.document, studio.store, studio.commands, studio.demo, engine
import engine.cues, engine.jobs, engine.fsio
studio.cli.build_parser()   # registers every command module the CLI loads
print(json.dumps(sorted(sys.modules)))
"""


def test_headless_imports_load_no_qt_and_no_torch():
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded = {name.split(".")[0] for name in json.loads(done.stdout.splitlines()[-1])}
    assert loaded & (QT | TORCH | {"ui"}) == set()
