"""Storyboarder import: a project folder written here (JSON + images/ layers + a WAV), into a real document."""
from __future__ import annotations

import json
import wave

import numpy as np
import pytest
from PIL import Image

from studio.document import Document
from studio.errors import UserError
from studio.interchange import import_file
from studio.interchange.apply import import_into
from studio.interchange.storyboarder import parse_storyboarder

W, H = 160, 90


def _layer(path, color, box, alpha=255):
    img = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    img.paste((*color, alpha), box)
    img.save(path)


def _wav(path, seconds=3.0, rate=22050):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        t = np.arange(int(seconds * rate)) / rate
        w.writeframes((np.sin(2 * np.pi * 440 * t) * 8000).astype("<i2").tobytes())


def make_storyboarder(folder, *, drop=None):
    images = folder / "images"
    images.mkdir(parents=True)
    _layer(images / "board-1-AAAAA.png", (200, 30, 30), (10, 10, 60, 60))           # main drawing: red square
    _layer(images / "board-1-AAAAA-reference.png", (0, 0, 255), (100, 10, 150, 60))  # reference at 0.5 opacity
    _layer(images / "board-2-BBBBB-fill.png", (30, 160, 30), (0, 0, W, H))           # only a fill layer
    _layer(images / "board-3-CCCCC.png", (20, 20, 20), (70, 30, 90, 80))
    _wav(images / "CCCCC-audio-1.wav", 3.0)
    _wav(images / "AAAAA-audio-1.wav", 1.0)
    doc = {
        "version": "2.4.0", "aspectRatio": W / H, "fps": 24, "defaultBoardTiming": 2000,
        "boards": [
            {"uid": "AAAAA", "url": "board-1-AAAAA.png", "number": 1, "shot": "1A", "time": 0,
             "layers": {"reference": {"url": "board-1-AAAAA-reference.png", "opacity": 0.5}},
             "action": "Maya looks up at the window.", "dialogue": "MAYA: Is anyone there?\nTOM: Only me.",
             "audio": {"filename": "AAAAA-audio-1.wav", "duration": 1000},
             "notes": "Hold on her face."},
            {"uid": "BBBBB", "url": "board-2-BBBBB.png", "number": 2, "shot": "2A", "time": 2000, "duration": 1500,
             "layers": {"fill": {"url": "board-2-BBBBB-fill.png"}}, "action": "The garden, empty."},
            {"uid": "CCCCC", "url": "board-3-CCCCC.png", "number": 3, "shot": "3A", "time": 3500, "duration": 1000,
             "audio": {"filename": "CCCCC-audio-1.wav", "duration": 3000}, "action": "A door slams."},
        ],
    }
    if drop:
        (images / drop).unlink()
    path = folder / "Scene-1-EXT-GARDEN-NIGHT-1-X1Y2Z.storyboarder"
    path.write_text(json.dumps(doc, indent=2))
    return path


@pytest.fixture()
def doc(tmp_path):
    document = Document.create(tmp_path / "garden.shotreel", fps=24)
    yield document
    document.close()


def test_storyboarder_import_boards_images_timing_dialogue_audio(doc, tmp_path):
    source = make_storyboarder(tmp_path / "sb")
    parsed = import_file(doc, source)
    assert not parsed.warnings
    project = doc.project
    assert len(project.sequences) == 1  # the new project's empty placeholder scene was replaced
    seq = project.sequences[0]
    assert seq.heading == "Scene 1 EXT GARDEN NIGHT 1 X1Y2Z"
    shots = seq.shots
    assert [s.title for s in shots] == ["1A", "2A", "3A"]
    # timing: default 2000 ms, 1500 ms, and a 1000 ms board stretched to its 3000 ms recording
    assert [s.duration for s in shots] == [48, 36, 72]
    assert shots[0].prompt == "Maya looks up at the window." and shots[0].notes == "Hold on her face."
    # dialogue lines with their speakers, who join the bible
    assert [(c.character, c.text) for c in shots[0].audio] == [("Maya", "Is anyone there?"), ("Tom", "Only me.")]
    assert shots[0].audio[1].start > shots[0].audio[0].start
    # a board's recording with dialogue on it is the first line's voice (no scratch synthesis)
    assert shots[0].audio[0].file.endswith("AAAAA-audio-1.wav") and not shots[0].audio[1].file
    assert sorted(b.name for b in project.bible) == ["Maya", "Tom"]
    # the board's sound was copied into the project and became an SFX cue (no dialogue on that board)
    cue = shots[2].audio[0]
    assert cue.kind.value == "sfx" and cue.file.startswith("media/imports/")
    copied = doc.folder / cue.file
    assert copied.read_bytes() == (tmp_path / "sb/images/CCCCC-audio-1.wav").read_bytes()
    # pictures: flattened onto white inside media/imports, nothing half-written left behind
    for shot in shots:
        assert shot.board_image.startswith("media/imports/") and (doc.folder / shot.board_image).is_file()
    assert not list((doc.folder / "media").rglob("*.partial-*"))
    with Image.open(doc.folder / shots[0].board_image) as im:
        assert im.mode == "RGB" and im.size == (W, H)
        px = im.load()
        assert px[30, 30] == (200, 30, 30)                   # main drawing
        assert px[120, 30] == pytest.approx((127, 127, 255), abs=2)  # reference at 50 % over white
        assert px[5, 85] == (255, 255, 255)                   # paper
    with Image.open(doc.folder / shots[1].board_image) as im:
        assert im.getpixel((80, 45)) == (30, 160, 30)        # the fill layer alone (main image absent)
    # one undo step removes it all
    doc.undo()
    assert not project.bible and all(not s.shots for s in project.sequences)


def test_malformed_json_changes_nothing(doc, tmp_path):
    source = make_storyboarder(tmp_path / "sb")
    source.write_text(source.read_text()[:-40])
    before = doc.project.to_dict()
    with pytest.raises(UserError, match=r"broken JSON at line \d+"):
        import_file(doc, source)
    source.write_text(json.dumps({"version": "1.0", "frames": []}))
    with pytest.raises(UserError, match="no 'boards' list"):
        import_file(doc, source)
    assert doc.project.to_dict() == before
    assert not any((doc.folder / "media/imports").iterdir())


def test_missing_board_image_changes_nothing(doc, tmp_path):
    source = make_storyboarder(tmp_path / "sb", drop="board-3-CCCCC.png")
    before, history = doc.project.to_dict(), doc.history
    with pytest.raises(UserError, match="board 3 \\(3A\\).*board-3-CCCCC.png is missing"):
        import_file(doc, source)
    assert doc.project.to_dict() == before and doc.history == history
    assert not any((doc.folder / "media/imports").iterdir())


def test_failed_apply_removes_written_media(doc, tmp_path):
    """If the undoable step is refused after the files were written, the files go and nothing changes."""
    parsed = parse_storyboarder(make_storyboarder(tmp_path / "sb"), 24)
    seq = parsed.sequences[0]
    seq.shots[1] = seq.shots[1].with_(bible_refs=("bb_nobody",))  # AddShot refuses an unknown reference
    before = doc.project.to_dict()
    with pytest.raises(UserError, match="bb_nobody"):
        import_into(doc, parsed)
    assert doc.project.to_dict() == before
    assert not any((doc.folder / "media/imports").iterdir())
