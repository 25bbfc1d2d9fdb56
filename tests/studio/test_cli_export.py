"""`shotreel export` routes by extension to the real export, interchange and signing code."""
from __future__ import annotations

import json
from pathlib import Path

import av
import pytest

from studio.cli import main
from tests.studio.test_generate import _small_project


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("cli-export")
    path = base / "p.shotreel"
    _small_project(path, shots=2).close()
    assert main(["generate", str(path)]) == 0
    return path


def _last_json(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_export_mp4_is_signed_and_matches_the_cut(rendered: Path, tmp_path: Path, capsys):
    out = tmp_path / "cut.mp4"
    assert main(["export", str(rendered), "-o", str(out), "--json"]) == 0
    record = _last_json(capsys)
    assert record["signed"] and record["watermark"] and record["frames"] == 24 and len(record["takes"]) == 2
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (192, 108)
        assert sum(1 for _ in container.decode(stream)) == 24
    assert main(["verify", str(out), "--trust-own", "--json"]) == 0
    report = _last_json(capsys)
    assert report["state"] == "Trusted" and report["watermarked"]


def test_export_without_watermark_and_unsigned(rendered: Path, tmp_path: Path, capsys):
    out = tmp_path / "plain.mp4"
    assert main(["export", str(rendered), "-o", str(out), "--no-watermark", "--no-sign", "--json"]) == 0
    assert _last_json(capsys)["watermark"] is False
    assert main(["verify", str(out)]) == 4


@pytest.mark.parametrize("name", ["cut.otio", "cut.edl", "board.pdf", "sheet.png", "mix.wav"])
def test_export_other_formats(rendered: Path, tmp_path: Path, capsys, name: str):
    out = tmp_path / name
    assert main(["export", str(rendered), "-o", str(out), "--json"]) == 0
    assert Path(_last_json(capsys)["path"]).stat().st_size > 100


def test_export_stems_folder(rendered: Path, tmp_path: Path, capsys):
    out = tmp_path / "stems"
    assert main(["export", str(rendered), "-o", str(out), "--stems", "--json"]) == 0
    stems = _last_json(capsys)["stems"]
    assert set(stems) == {"dialogue", "sfx", "ambience", "music"}
    assert all(Path(p).is_file() for p in stems.values())


def test_export_refuses_an_unknown_format(rendered: Path, tmp_path: Path, capsys):
    assert main(["export", str(rendered), "-o", str(tmp_path / "cut.webm")]) == 1
    assert "cannot export to cut.webm" in capsys.readouterr().err
