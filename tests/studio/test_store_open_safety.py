"""A project that is refused is never written; read-only commands work on a full disk (issue 11, item 7)."""
from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from studio.document import Document
from studio.errors import ProjectFileError
from tests.studio.core_helpers import make_doc

ROOT = Path(__file__).resolve().parents[2]


def _state(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def _rollback_journal_project(tmp_path: Path, change) -> Path:
    doc = make_doc(tmp_path / "p.shotreel")
    folder = doc.folder
    doc.close()
    conn = sqlite3.connect(folder / "project.db")
    conn.execute("PRAGMA journal_mode = DELETE")  # as another tool might leave it
    change(conn)
    conn.commit()
    conn.close()
    return folder


VARIANTS = {
    "shot row not JSON": lambda c: c.execute("UPDATE shots SET data = '{not json' WHERE id = 'a0'"),
    "shot of the wrong shape": lambda c: c.execute("UPDATE shots SET data = '[1, 2]' WHERE id = 'a1'"),
    "shot with a bad field": lambda c: c.execute("UPDATE shots SET data = json_set(data, '$.duration', -5) "
                                                 "WHERE id = 'a2'"),
    "no project record": lambda c: c.execute("DELETE FROM project"),
    "take row not JSON": lambda c: c.execute("UPDATE takes SET data = 'garbage' WHERE id = 't1'"),
    "v1 label on a v2 schema": lambda c: c.execute("PRAGMA user_version = 1"),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_a_refused_project_is_never_written(tmp_path, variant):
    folder = _rollback_journal_project(tmp_path, VARIANTS[variant])
    before = _state(folder)
    with pytest.raises(ProjectFileError) as caught:
        Document.open(folder)
    assert "\n" not in str(caught.value)
    assert _state(folder) == before, "bytes changed or files (a -wal, a .bak) appeared"
    conn = sqlite3.connect(folder.joinpath("project.db").as_uri() + "?mode=ro&immutable=1", uri=True)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


def test_a_garbage_wal_is_refused_with_a_clear_message(tmp_path):
    doc = make_doc(tmp_path / "p.shotreel")
    folder = doc.folder
    doc.close()
    (folder / "project.db-wal").write_bytes(os.urandom(4096))
    before = _state(folder)
    with pytest.raises(ProjectFileError, match="project.db-wal"):
        Document.open(folder)
    assert _state(folder) == before


def test_a_project_still_opens_and_migrates_when_healthy(tmp_path):
    folder = _rollback_journal_project(tmp_path, lambda c: None)
    with Document.open(folder) as doc:
        assert len(list(doc.project.shots())) == 6


FULL_DISK = r"""
set -eu
D=$(mktemp -d "$1/fullXXXX")
mount -t tmpfs -o size=3m tmpfs "$D"
S="$2 -m studio.cli"
$S new "$D/p.shotreel" --size 160x90 >/dev/null
for i in 1 2 3; do $S add-shot "$D/p.shotreel" --title "S$i" --duration 4f >/dev/null; done
dd if=/dev/zero of="$D/fill" bs=64k 2>/dev/null || true
set +e
$S shots "$D/p.shotreel"; echo "shots rc=$?"
$S add-shot "$D/p.shotreel" --title X --duration 4f; echo "add rc=$?"
"""


def test_read_only_commands_work_on_a_full_disk_and_a_write_says_the_disk_is_full(tmp_path):
    """A real full disk: a 3 MB tmpfs in a private mount namespace (needs root, as CI runs)."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root for a private tmpfs mount")
    probe = subprocess.run(["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o size=1m tmpfs {tmp_path}"],
                           capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {probe.stderr.decode().strip()}")
    out = subprocess.run(["unshare", "-m", "sh", "-c", FULL_DISK, "sh", str(tmp_path), sys.executable],
                         capture_output=True, text=True, timeout=120, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    text = out.stdout + out.stderr
    assert "shots rc=0" in text and "S3" in text, text
    assert "add rc=1" in text and "the disk is full" in text, text
    assert "Traceback" not in text
