"""The import rules of the house: ui -> studio -> engine only; no Qt outside ui/, no torch in studio/.

Two checks: every import statement in the source (also the lazy ones inside functions), and what a
real interpreter has in sys.modules after importing the packages a headless run uses."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QT = {"PySide6", "PySide2", "PyQt5", "PyQt6", "shiboken6", "qtawesome", "pytestqt"}
TORCH = {"torch", "diffusers", "transformers", "accelerate", "torchvision", "torchaudio"}
RAY = {"ray"}  # the farm extra: imported only inside engine/farm (lazily), never by studio/ or ui/
FORBIDDEN = {
    "studio": QT | TORCH | RAY | {"ui"},
    "engine": QT | {"ui", "studio"},
    "ui": RAY,
}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            found.append((node.lineno, node.args[0].value))
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_forbidden_import_statements(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files
    bad = [f"{path.relative_to(ROOT)}:{line}: {name}" for path in files for line, name in _imports(path)
           if name.split(".")[0] in FORBIDDEN[package]
           or (name.split(".")[0] in RAY and "farm" not in path.relative_to(ROOT).parts)]
    assert bad == [], f"{package}/ must not import these:\n" + "\n".join(bad)


def test_the_walker_sees_lazy_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    import torch.nn\n    from PySide6 import QtCore\n"
                      "    importlib.import_module('qtawesome')\n")
    assert [name for _, name in _imports(sample)] == ["torch.nn", "PySide6", "qtawesome"]


_PROBE = """
import json, sys
import studio, studio.cli, studio.document, studio.store, studio.commands, studio.demo, engine
import engine.cues, engine.jobs, engine.fsio
import studio.farm, engine.farm.runner, engine.farm.cluster, engine.farm.worker, engine.farm.bundle, engine.farm.scheduling
studio.cli.build_parser()   # registers every command module the CLI loads
print(json.dumps(sorted(sys.modules)))
"""


def test_headless_imports_load_no_qt_and_no_torch():
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded = {name.split(".")[0] for name in json.loads(done.stdout.splitlines()[-1])}
    assert loaded & (QT | TORCH | RAY | {"ui"}) == set()


def test_ray_is_imported_lazily_inside_engine_farm_only():
    """engine/farm may use Ray, but only inside functions: importing it costs nothing without the extra."""
    bad = []
    for path in sorted((ROOT / "engine" / "farm").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:  # module level only
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            bad += [f"{path.relative_to(ROOT)}:{node.lineno}: {n}" for n in names if n.split(".")[0] in RAY]
    assert bad == [], "engine/farm must import ray lazily:\n" + "\n".join(bad)
