"""Storyboarder import brings in only real media from inside the imported project's folder (issue 11, item 1/5)."""
from __future__ import annotations

import json
import os
import stat

import pytest

from studio.document import Document
from studio.errors import UserError
from studio.interchange import import_file
from studio.interchange.storyboarder import parse_storyboarder

from tests.reliability.fuzz_helpers import bomb_png
from tests.studio.test_interchange_storyboarder import make_storyboarder


@pytest.fixture()
def doc(tmp_path):
    document = Document.create(tmp_path / "p.shotreel", fps=24)
    yield document
    document.close()


def _imported(doc):
    root = doc.folder / "media" / "imports"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _secret(tmp_path):
    key = tmp_path / "home" / "signing-key.pem"
    key.parent.mkdir()
    key.write_text("-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n")
    key.chmod(0o600)
    return key


def test_audio_symlinked_to_a_secret_is_refused_and_not_copied(doc, tmp_path):
    source = make_storyboarder(tmp_path / "sb")
    images = source.parent / "images"
    key = _secret(tmp_path)
    (images / "CCCCC-audio-1.wav").unlink()
    (images / "CCCCC-audio-1.wav").symlink_to(key)
    parsed = import_file(doc, source)
    assert any("CCCCC-audio-1.wav" in w and "symlink" in w for w in parsed.warnings), parsed.warnings
    copied = _imported(doc)
    assert not any(p.read_bytes() == key.read_bytes() for p in copied)
    assert not any(p.name.endswith("CCCCC-audio-1.wav") for p in copied)


def test_audio_that_is_not_audio_is_refused(doc, tmp_path):
    source = make_storyboarder(tmp_path / "sb")
    images = source.parent / "images"
    secret = images / "CCCCC-audio-1.wav"
    secret.write_bytes(_secret(tmp_path).read_bytes())  # a hard copy inside the folder, still not audio
    secret.chmod(0o600)
    parsed = import_file(doc, source)
    assert any("CCCCC-audio-1.wav" in w and "not a sound" in w for w in parsed.warnings), parsed.warnings
    assert not any(p.name.endswith("CCCCC-audio-1.wav") for p in _imported(doc))


def test_copied_audio_has_ordinary_permissions(doc, tmp_path):
    source = make_storyboarder(tmp_path / "sb")
    (source.parent / "images" / "CCCCC-audio-1.wav").chmod(0o600)
    import_file(doc, source)
    wavs = [p for p in _imported(doc) if p.suffix == ".wav"]
    assert wavs and all(stat.S_IMODE(p.stat().st_mode) == 0o644 for p in wavs)


def test_an_images_folder_symlinked_outside_is_refused(doc, tmp_path):
    source = make_storyboarder(tmp_path / "sb")
    outside = tmp_path / "elsewhere"
    (source.parent / "images").rename(outside)
    (source.parent / "images").symlink_to(outside)
    with pytest.raises(UserError, match="outside"):
        parse_storyboarder(source)


def test_a_layer_symlink_or_device_is_skipped_with_a_warning(tmp_path):
    source = make_storyboarder(tmp_path / "sb")
    images = source.parent / "images"
    ref = images / "board-1-AAAAA-reference.png"
    target = tmp_path / "outside.png"
    ref.rename(target)
    ref.symlink_to(target)
    os.mkfifo(images / "board-2-BBBBB-tone.png")  # a FIFO would hang a naive reader
    data = json.loads(source.read_text())
    data["boards"][1]["layers"]["tone"] = {"url": "board-2-BBBBB-tone.png"}
    source.write_text(json.dumps(data))
    parsed = parse_storyboarder(source)
    assert any("board-1-AAAAA-reference.png" in w and "symlink" in w for w in parsed.warnings), parsed.warnings
    assert any("board-2-BBBBB-tone.png" in w and "not a regular file" in w for w in parsed.warnings)
    assert all(str(target) not in str(s) for f in parsed.files for s, _ in f.sources)
    assert all(src.resolve().is_relative_to(source.parent.resolve()) and not src.is_symlink()
               for f in parsed.files for src, _ in f.sources)


def test_a_decompression_bomb_board_is_one_clear_line(tmp_path):
    source = make_storyboarder(tmp_path / "sb")
    images = source.parent / "images"
    # A PNG that claims 20000x30000 pixels: PIL's bomb guard would raise DecompressionBombError.
    (images / "board-3-CCCCC.png").write_bytes(bomb_png())
    with pytest.raises(UserError, match="too large"):
        parse_storyboarder(source)


def test_an_overlong_sound_is_refused(doc, tmp_path, monkeypatch):
    from studio.interchange import storyboarder
    monkeypatch.setattr(storyboarder, "MAX_AUDIO_SECONDS", 2)
    source = make_storyboarder(tmp_path / "sb")
    parsed = import_file(doc, source)
    assert any("CCCCC-audio-1.wav" in w and "longer" in w for w in parsed.warnings), parsed.warnings
    assert [p.name for p in _imported(doc) if p.suffix == ".wav"] == ["AAAAA-audio-1.wav"]
