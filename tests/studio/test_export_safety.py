"""The final export name only ever holds a complete, signed file; a killed export's leftovers are swept (item 3/8)."""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest

from studio.export import export_and_sign
from studio.identity import load_or_create_identity
from studio.provenance import verify
from tests.studio.test_export import OFF, _project, folder  # noqa: F401 - the module fixture


class Killed(BaseException):
    """Stands in for SIGKILL arriving after the encode: nothing after it runs (not even except: blocks)."""


@pytest.mark.parametrize("name", ["cut.mp4", "mix.wav"])
def test_a_death_while_signing_leaves_nothing_under_the_final_name(folder, tmp_path, monkeypatch, name):  # noqa: F811
    import studio.provenance as provenance
    identity = load_or_create_identity(tmp_path / "config")
    seen = {}

    def die(identity, path, **kwargs):
        seen["path"] = Path(path)
        seen["final_exists"] = (tmp_path / name).exists()
        raise Killed()

    monkeypatch.setattr(provenance, "sign_export", die)
    with pytest.raises(Killed):
        export_and_sign(_project(), folder, tmp_path / name, identity=identity, **({"watermark": OFF}
                                                                                   if name.endswith(".mp4") else {}))
    assert seen["path"] != tmp_path / name, "the file was signed after it got its final name"
    assert not seen["final_exists"]
    assert not (tmp_path / name).exists()
    monkeypatch.undo()
    result = export_and_sign(_project(), folder, tmp_path / name, identity=identity,
                             **({"watermark": OFF} if name.endswith(".mp4") else {}))
    assert verify(result.path, identity=identity).state == "Trusted"
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == [name]


def test_the_next_export_sweeps_what_a_killed_one_left(folder, tmp_path):  # noqa: F811
    identity = load_or_create_identity(tmp_path / "config")
    out = tmp_path / "out" / "cut.mp4"
    out.parent.mkdir()
    stale_partial = out.parent / "cut.partial-deadbeef.mp4"
    stale_partial.write_bytes(b"half an mp4")
    other = out.parent / "holiday.partial-deadbeef.mp4"   # another file's temp: not ours to remove
    other.write_bytes(b"x")
    cache = folder / "media" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    stale_work = Path(tempfile.mkdtemp(prefix="shotreel-export-", dir=cache))
    legacy = Path(tempfile.mkdtemp(prefix="shotreel-export-"))   # where older versions worked
    for d in (stale_work, legacy):
        (d / "mix.wav").write_bytes(b"x")
        old = time.time() - 3600
        os.utime(d, (old, old))
    export_and_sign(_project(), folder, out, identity=identity, watermark=OFF)
    assert not stale_partial.exists() and not stale_work.exists() and not legacy.exists()
    assert other.exists()
    assert not list(cache.glob("shotreel-export-*")), "this export's own work folder was left behind"
