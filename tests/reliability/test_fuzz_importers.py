"""Fuzzed Fountain (300 seeded cases) and Storyboarder (100) imports into a real document: 0 tracebacks,
0 hangs over 5 s, the project unchanged whenever an import is refused (issue 11, reliability suite)."""
from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest
from PIL import Image

from engine.errors import EngineError
from studio.document import Document
from studio.errors import UserError
from studio.interchange import import_file
from tests.reliability.fuzz_helpers import bomb_png, check_case

FOUNTAIN_CASES = int(os.environ.get("SHOTREEL_FUZZ_FOUNTAIN", 300))
STORYBOARDER_CASES = int(os.environ.get("SHOTREEL_FUZZ_STORYBOARDER", 100))

SEED_SCRIPT = """Title: The Last Ferry
Author: Test

INT. HARBOUR OFFICE - NIGHT

Rain on the glass. **MAYA** (30s) checks the _timetable_.

MAYA
(quietly)
Is the ferry still running?

TOM (V.O.)
Not tonight. [[a note]]

> CUT TO:

EXT. QUAY - CONTINUOUS

/* cut this */
They run. ~Sing it
= synopsis
# Act two
.FLASHBACK

>THE END<
"""
TOKENS = ["[[", "]]", "/*", "*/", "*", "**", "***", "_", "\\*", "INT. ", "EXT. ", "I/E ", "\n", "\n\n", "@", "^",
          ">", "<", "=", "===", "#", "~", "!", ".", "(V.O.)", "(CONT'D)", "MAYA", "TOM", "CUT TO:", "FADE IN:",
          "Title:", "\t", "\r\n", "\r", " ", "é", "…", "“", "\u200b", "#1#", "x" * 300, "[[ " * 50, "A" * 61,
          "Maya walks. Tom runs! ", "0123456789"]


def _fountain_case(rng: random.Random) -> str:
    text = SEED_SCRIPT if rng.random() < 0.7 else ""
    for _ in range(rng.randint(1, 40)):
        op = rng.random()
        pos = rng.randint(0, len(text))
        if op < 0.6:
            text = text[:pos] + rng.choice(TOKENS) * rng.choice((1, 1, 1, 3, 20)) + text[pos:]
        elif op < 0.8 and text:
            end = min(len(text), pos + rng.randint(1, 40))
            text = text[:pos] + text[end:]
        elif text:
            end = min(len(text), pos + rng.randint(1, 200))
            text = text[:pos] + text[pos:end] * rng.randint(2, 6) + text[pos:]
    return text[:60_000]


@pytest.fixture()
def doc(tmp_path):
    document = Document.create(tmp_path / "fuzz.shotreel", fps=24, width=160, height=90)
    yield document
    document.close()


def test_fuzzed_fountain_imports(doc, tmp_path):
    rng = random.Random(1111)
    failures = []
    for case in range(FOUNTAIN_CASES):
        path = tmp_path / f"case{case}.fountain"
        path.write_text(_fountain_case(rng), encoding="utf-8", errors="surrogatepass")
        problem = check_case(doc, lambda: import_file(doc, path), (UserError, EngineError))
        if problem:
            failures.append(f"case {case}: {problem}")
        path.unlink()
    print(f"fountain fuzz: {FOUNTAIN_CASES} cases, {len(failures)} failures")
    assert not failures, failures[:10]


def _png(path: Path, rng: random.Random) -> None:
    Image.new("RGBA", (rng.choice((16, 32, 160)), rng.choice((9, 18, 90))),
              tuple(rng.randrange(256) for _ in range(4))).save(path)


def _wav(path: Path, seconds: float) -> None:
    import wave
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * int(8000 * seconds))


JUNK = [None, 0, -1, 1e308, 3.5, "", "x", [], {}, [1, 2], {"a": 1}, True, "1A" * 200,
        "../../../etc/passwd", "/etc/hostname", "ü" * 10]


def _storyboarder_case(root: Path, rng: random.Random, outside: Path) -> Path:
    images = root / "images"
    images.mkdir(parents=True)
    boards = []
    for i in range(rng.randint(0, 6)):
        uid = f"U{i}"
        board: dict = {"uid": uid, "url": f"board-{i}.png", "shot": f"{i}A", "action": "A look.",
                       "dialogue": rng.choice(["", "MAYA: Hi.", "TOM (V.O.): Who?\nMAYA: Me.", "lower: x"]),
                       "duration": rng.choice([None, 1000, 2500, "1500", -5, "soon", 10 ** 12])}
        kind = rng.random()
        if kind < 0.55:
            _png(images / board["url"], rng)
        elif kind < 0.62:
            (images / board["url"]).write_bytes(os.urandom(rng.randint(0, 300)))
        elif kind < 0.68:
            (images / board["url"]).symlink_to(outside / "secret.pem")
        elif kind < 0.72:
            (images / board["url"]).write_bytes(bomb_png())   # claims 20000x30000 pixels
        elif kind < 0.75:
            os.mkfifo(images / board["url"])
        if rng.random() < 0.3:
            board["layers"] = {rng.choice(["fill", "ink", "tone", "x"]): {"url": f"board-{i}-layer.png",
                                                                         "opacity": rng.choice([0.5, 2, "a", None])}}
            if rng.random() < 0.7:
                _png(images / f"board-{i}-layer.png", rng)
        if rng.random() < 0.4:
            name = f"{uid}-audio.wav"
            board["audio"] = {"filename": name, "duration": rng.choice([500, "x", None])}
            sound = rng.random()
            if sound < 0.5:
                _wav(images / name, rng.choice((0.2, 1.0)))
            elif sound < 0.7:
                (images / name).symlink_to(outside / "secret.pem")
            elif sound < 0.85:
                (images / name).write_bytes((outside / "secret.pem").read_bytes())
        if rng.random() < 0.25:
            board[rng.choice(list(board))] = rng.choice(JUNK)
        boards.append(board if rng.random() > 0.05 else rng.choice(JUNK))
    doc: object = {"version": "2.4.0", "defaultBoardTiming": rng.choice([2000, "x", None, -1]), "boards": boards}
    if rng.random() < 0.08:
        doc = rng.choice(JUNK)
    path = root / "scene.storyboarder"
    raw = json.dumps(doc)
    if rng.random() < 0.05:
        raw = raw[: rng.randint(0, len(raw))]
    path.write_text(raw)
    return path


def test_fuzzed_storyboarder_imports(doc, tmp_path):
    rng = random.Random(2222)
    outside = tmp_path / "home"
    outside.mkdir()
    (outside / "secret.pem").write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    secret = (outside / "secret.pem").read_bytes()
    failures = []
    for case in range(STORYBOARDER_CASES):
        path = _storyboarder_case(tmp_path / f"sb{case}", rng, outside)
        problem = check_case(doc, lambda: import_file(doc, path), (UserError, EngineError))
        if problem:
            failures.append(f"case {case}: {problem}")
    leaked = [p for p in (doc.folder / "media").rglob("*") if p.is_file() and p.read_bytes() == secret]
    print(f"storyboarder fuzz: {STORYBOARDER_CASES} cases, {len(failures)} failures, {len(leaked)} leaks")
    assert not failures, failures[:10]
    assert not leaked
