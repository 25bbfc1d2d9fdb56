"""Storyboard PDF and contact sheet of a 60-shot project with 1280x720 board drawings.

Floor, measured in the same run: decoding and downscaling the same 60 pictures with PIL, which both
exports must do at least once. Ratios say what the layout, text and PDF writing add on top.
"""
from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw

from studio.interchange import export_file
from studio.model import Project, Sequence, Shot

SHOTS = 60


def _project(folder: Path) -> Project:
    sequences = []
    for k in range(SHOTS // 15):
        shots = []
        for i in range(15):
            rel = f"media/boards/b{k}_{i}.png"
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            img = Image.new("RGB", (1280, 720), (240, 240, 240))
            d = ImageDraw.Draw(img)
            d.rectangle([100 + 20 * i, 100, 700, 600], fill=(40 * k % 255, 17 * i % 255, 120))
            d.ellipse([800, 80, 1100, 380], outline=(20, 20, 20), width=8)
            img.save(folder / rel)
            shots.append(Shot(id=f"s{k}_{i}", title=f"Shot {k}.{i}", prompt="She crosses the room to the window. " * 3,
                              notes="Hold the frame a beat longer. " * 2, board_image=rel, duration=48))
        sequences.append(Sequence(f"q{k}", f"INT. ROOM {k} - NIGHT", shots))
    return Project("Bench", 24, 1280, 720, sequences=sequences)


def _line(name: str, value: float, unit: str, target: float) -> None:
    print(json.dumps({"bench": name, "value": round(value, 3), "unit": unit, "target": target,
                      "ok": value <= target}), flush=True)


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-interchange-"))
    try:
        project = _project(folder)
        floor = float("inf")
        for _ in range(2):  # the first pass also warms the file cache, which the exports then enjoy
            t = time.perf_counter()
            for _, shot in project.shots():
                with Image.open(folder / shot.board_image) as im:
                    im.convert("RGB").thumbnail((800, 800))
            floor = min(floor, time.perf_counter() - t)
        for name, out, options in (("pdf_6up_vs_decode", "board.pdf", {"per_page": 6}),
                                   ("pdf_3up_vs_decode", "board3.pdf", {"per_page": 3}),
                                   ("contact_sheet_vs_decode", "sheet.png", {})):
            t = time.perf_counter()
            export_file(project, folder, folder / out, **options)
            _line(name, (time.perf_counter() - t) / floor, "x", 2.0)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
