"""`shotreel identity`, `verify` and `import` wired to the real provenance and interchange code."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.fsio import ffmpeg_path
from studio.cli import main


@pytest.fixture()
def config_dir(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("SHOTREEL_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path / "config"


def _clip(path: Path) -> Path:
    import subprocess
    subprocess.run([ffmpeg_path(), "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=128x72:rate=24:d=1",
                    "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(path)], check=True)
    return path


def _json(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_identity_and_verify_exit_codes(tmp_path: Path, config_dir: Path, capsys):
    assert main(["identity", "--json"]) == 0
    root = _json(capsys)["root_certificate"]
    assert Path(root).is_file()
    clip = _clip(tmp_path / "clip.mp4")
    assert main(["verify", str(clip), "--json"]) == 4  # no credentials
    assert _json(capsys)["state"] == "none"
    from studio.identity import load_or_create_identity
    from studio.provenance import sign_take
    sign_take(load_or_create_identity(), clip, backend="previs", model_id=None, model_version=None,
              renderer="Shotreel previs", prompt="a test", seed=1, parameters={}, is_ai_generated=False)
    assert main(["verify", str(clip), "--anchors", root, "--json"]) == 0
    assert _json(capsys)["state"] == "Trusted"
    assert main(["verify", str(clip)]) == 6  # intact, but no trust anchor given: not trusted
    assert "Untrusted signer" in capsys.readouterr().out
    data = bytearray(clip.read_bytes())
    data[len(data) // 2] ^= 0xFF
    clip.write_bytes(bytes(data))
    assert main(["verify", str(clip), "--trust-own", "--json"]) == 3
    assert _json(capsys)["state"] == "Invalid"


def test_import_fountain_is_one_undo_step(tmp_path: Path, capsys):
    project = tmp_path / "p.shotreel"
    assert main(["new", str(project)]) == 0
    script = tmp_path / "s.fountain"
    script.write_text("EXT. ROOF - NIGHT\n\nTheo looks over the edge.\n\nTHEO\nToo high.\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["import", str(project), str(script), "--json"]) == 0
    assert _json(capsys)["shots"] == 1
    assert main(["undo", str(project)]) == 0
    assert main(["shots", str(project), "--json"]) == 0
    assert _json(capsys)["shots"] == []


def test_import_refuses_a_non_script(tmp_path: Path, capsys):
    project = tmp_path / "p.shotreel"
    assert main(["new", str(project)]) == 0
    bad = tmp_path / "bad.storyboarder"
    bad.write_text("{not json", encoding="utf-8")
    assert main(["import", str(project), str(bad)]) == 1
    assert capsys.readouterr().err.startswith("shotreel: ")


def test_identity_refuses_a_chain_without_key_and_a_bad_chain(tmp_path: Path, config_dir: Path, capsys):
    assert main(["identity", "--chain", str(tmp_path / "chain.pem")]) == 1
    assert "both --chain and --key" in capsys.readouterr().err
    (tmp_path / "chain.pem").write_text("not a certificate")
    (tmp_path / "key.pem").write_text("not a key")
    assert main(["identity", "--chain", str(tmp_path / "chain.pem"), "--key", str(tmp_path / "key.pem")]) == 1
    assert capsys.readouterr().err.startswith("shotreel: ")
    assert main(["identity", "--use-studio", "--json"]) == 0
    assert _json(capsys)["source"] == "studio"
