"""Regenerate assets/icons/shotreel.png from the mark the watermark uses (one drawing, two uses)."""
from pathlib import Path

from engine.fsio import atomic_path
from studio.watermark import mark_image

if __name__ == "__main__":
    target = Path(__file__).resolve().parent.parent / "assets" / "icons" / "shotreel.png"
    with atomic_path(target) as tmp:
        mark_image(256).save(tmp, format="PNG")
    print(target)
