"""`shotreel verify` tells trusted, untrusted signer, tampered, no credentials and not-media apart (issue 11, item 2)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from studio.cli import main
from studio.identity import load_or_create_identity
from studio.provenance import sign_take
from tests.studio.test_cli_provenance_import import _clip

ROOT = Path(__file__).resolve().parents[2]


def _sign(identity, clip):
    sign_take(identity, clip, backend="previs", model_id=None, model_version=None, renderer="Shotreel previs",
              prompt="a test", seed=1, parameters={}, is_ai_generated=False)


@pytest.fixture()
def studio(tmp_path, monkeypatch):
    monkeypatch.setenv("SHOTREEL_CONFIG_DIR", str(tmp_path / "config"))
    return load_or_create_identity(tmp_path / "config", name="Ada Studio", organisation="Harbour Films")


def _verify(capsys, *args) -> tuple[int, dict]:
    code = main(["verify", *map(str, args), "--json"])
    return code, json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_a_forged_chain_reusing_the_studios_names_is_not_trusted(tmp_path, studio, capsys):
    forger = load_or_create_identity(tmp_path / "forger", name="Ada Studio", organisation="Harbour Films")
    assert (forger.name, forger.organisation, forger.issuer) == (studio.name, studio.organisation, studio.issuer)
    assert forger.fingerprint != studio.fingerprint
    clip = _clip(tmp_path / "forged.mp4")
    _sign(forger, clip)
    own, report = _verify(capsys, clip, "--trust-own")
    anchored, _ = _verify(capsys, clip, "--anchors", studio.root_cert_path)
    plain, _ = _verify(capsys, clip)
    assert own == anchored == plain == 6, (own, anchored, plain)
    assert report["state"] == "Valid"
    main(["verify", str(clip), "--trust-own"])
    assert "Untrusted" in capsys.readouterr().out
    genuine = _clip(tmp_path / "genuine.mp4")
    _sign(studio, genuine)
    assert _verify(capsys, genuine, "--trust-own")[0] == 0


def test_tampered_no_credentials_and_not_media_differ(tmp_path, studio, capsys):
    clip = _clip(tmp_path / "clip.mp4")
    assert _verify(capsys, clip)[0] == 4
    _sign(studio, clip)
    data = bytearray(clip.read_bytes())
    data[len(data) // 2] ^= 0xFF
    clip.write_bytes(bytes(data))
    assert _verify(capsys, clip, "--trust-own")[0] == 3
    (tmp_path / "empty.mp4").write_bytes(b"")
    (tmp_path / "random.mp4").write_bytes(bytes(range(256)) * 20)
    (tmp_path / "notes.txt").write_text("hello\n")
    for name in ("empty.mp4", "random.mp4", "notes.txt"):
        code, report = _verify(capsys, tmp_path / name)
        assert code == 5 and report["state"] == "not media", (name, code, report["state"])
        main(["verify", str(tmp_path / name)])
        assert "not a media file" in capsys.readouterr().out


def test_the_readme_table_names_the_same_exit_codes():
    from studio.provenance import VERIFY_EXIT_CODES
    readme = (ROOT / "README.md").read_text()
    rows = dict(re.findall(r"^\s*\|\s*`?(\d)`?\s*\|\s*([^|]+?)\s*\|", readme, re.M))
    for word, code in VERIFY_EXIT_CODES.items():
        assert str(code) in rows, (word, code)
