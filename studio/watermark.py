"""The visible moving watermark of exports: a badge rendered once with PIL, moved by ffmpeg.

Who calls: `studio.export` renders the badge PNG once per export and puts `overlay_position()`'s
time expressions into its filtergraph; tests use `position_at()` (the same path in Python) to know
where the badge must be. The badge is the Shotreel mark plus one line (the settings' credit text, or
the project title) on a dark rounded plate so it reads on any picture. Opacity is baked into the
PNG's alpha, so the overlay is a plain alpha blend.

The path is a slow Lissajous figure between the action-safe margins (5 % of each side): two sines
with incommensurate periods, so the badge never parks in one corner that a crop could remove and
never repeats quickly. It starts in the middle of the frame moving, not at a turning point, so it
is visibly at different places within the first seconds.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from PIL import Image, ImageDraw, ImageFont

from engine.fsio import atomic_path

from .errors import UserError

SAFE_MARGIN = 0.05          # fraction of width / height kept clear at each edge
PERIOD_X_S = 23.0           # seconds per horizontal swing
PERIOD_Y_S = 17.0           # seconds per vertical swing (incommensurate with X)
_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/local/share/fonts")
_ASSET_FONT = Path(__file__).resolve().parent.parent / "assets" / "fonts" / "DejaVuSans-Bold.ttf"


@dataclass(frozen=True)
class WatermarkSettings:
    """`scale` is the badge width as a fraction of the frame width; `opacity` multiplies its alpha."""
    enabled: bool = True
    text: str = ""          # credit line; '' = the project title
    opacity: float = 0.35
    scale: float = 0.16

    def __post_init__(self) -> None:
        if not 0.0 < float(self.opacity) <= 1.0:
            raise UserError(f"watermark opacity {self.opacity} must be above 0 and at most 1")
        if not 0.03 <= float(self.scale) <= 0.6:
            raise UserError(f"watermark size {self.scale} must be between 0.03 and 0.6 of the frame width")
        if len(self.text) > 200:
            raise UserError("watermark text is longer than 200 characters")

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> "WatermarkSettings":
        """From `project.settings['watermark']` (see DEFAULT_SETTINGS in model.py)."""
        data = dict(settings or {})
        return cls(enabled=bool(data.get("enabled", True)), text=str(data.get("text") or ""),
                   opacity=float(data.get("opacity", 0.35)), scale=float(data.get("scale", 0.16)))

    def disabled(self) -> "WatermarkSettings":
        return WatermarkSettings(False, self.text, self.opacity, self.scale)


def _font(size: int, bold: bool) -> ImageFont.ImageFont:
    names = ["DejaVuSans-Bold.ttf"] if bold else ["DejaVuSans.ttf"]
    candidates = [_ASSET_FONT] if bold else []
    candidates += [Path(d) / n for d in _FONT_DIRS for n in names]
    for path in candidates:
        if path.is_file():
            return ImageFont.truetype(str(path), size)
    try:  # Pillow >= 10.1 scales its built-in font
        return ImageFont.load_default(size=size)
    except TypeError:
        return ImageFont.load_default()


def render_badge(settings: WatermarkSettings, title: str, frame_width: int) -> Image.Image:
    """The RGBA badge, `settings.scale * frame_width` pixels wide (even), opacity applied."""
    target_w = max(16, int(round(frame_width * settings.scale / 2)) * 2)
    line = (settings.text or title or "Shotreel previs").strip()
    # Draw at 4x the design size and downsample: crisp edges at any output size.
    unit = 4
    mark_size = 44 * unit
    big, small = _font(20 * unit, True), _font(15 * unit, False)
    probe = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    head_w = probe.textlength("SHOTREEL", font=big)
    line_w = probe.textlength(line, font=small)
    pad = 10 * unit
    text_w = int(max(head_w, line_w))
    width = pad + mark_size + pad + text_w + pad
    height = pad + mark_size + pad
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=12 * unit, fill=(12, 12, 16, 200))
    _draw_mark(draw, pad, pad, mark_size)
    tx = pad + mark_size + pad
    draw.text((tx, pad + 1 * unit), "SHOTREEL", font=big, fill=(255, 255, 255, 255))
    draw.text((tx, pad + 25 * unit), line, font=small, fill=(235, 235, 235, 255))
    target_h = max(2, int(round(height * target_w / width / 2)) * 2)
    badge = image.resize((target_w, target_h), Image.LANCZOS)
    alpha = badge.getchannel("A").point(lambda a: int(round(a * float(settings.opacity))))
    badge.putalpha(alpha)
    return badge


def _draw_mark(draw: ImageDraw.ImageDraw, x: int, y: int, size: int) -> None:
    """The Shotreel mark: a reel (ring with four sprocket holes) with a play triangle in the hub."""
    ring = max(2, size // 11)
    draw.ellipse((x, y, x + size, y + size), outline=(255, 255, 255, 255), width=ring)
    cx, cy, r = x + size / 2, y + size / 2, size * 0.31
    hole = size * 0.08
    for angle in (45, 135, 225, 315):
        hx = cx + r * math.cos(math.radians(angle))
        hy = cy + r * math.sin(math.radians(angle))
        draw.ellipse((hx - hole, hy - hole, hx + hole, hy + hole), fill=(255, 255, 255, 255))
    t = size * 0.16
    draw.polygon([(cx - t * 0.7, cy - t), (cx - t * 0.7, cy + t), (cx + t * 1.1, cy)], fill=(240, 80, 60, 255))


def mark_image(size: int = 256) -> Image.Image:
    """The mark alone on a dark rounded tile: the app and desktop icon (packaging/make_icon.py)."""
    tile = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(tile)
    draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=size // 6, fill=(28, 30, 36, 255))
    pad = size // 8
    _draw_mark(draw, pad, pad, size - 2 * pad)
    return tile


def write_badge(settings: WatermarkSettings, title: str, frame_width: int, target: str | os.PathLike) -> tuple[int, int]:
    """Render the badge to a PNG (atomically); returns its size."""
    badge = render_badge(settings, title, frame_width)
    with atomic_path(target) as tmp:
        badge.save(tmp, format="PNG")
    return badge.size


def _ranges(frame_w: int, frame_h: int, badge_w: int, badge_h: int) -> tuple[float, float, float, float]:
    mx, my = SAFE_MARGIN * frame_w, SAFE_MARGIN * frame_h
    rx = max(0.0, frame_w - badge_w - 2 * mx)
    ry = max(0.0, frame_h - badge_h - 2 * my)
    return mx, my, rx, ry


def position_at(t: float, frame_w: int, frame_h: int, badge_w: int, badge_h: int) -> tuple[float, float]:
    """Top-left of the badge at `t` seconds of the cut: the same path as `overlay_position`."""
    mx, my, rx, ry = _ranges(frame_w, frame_h, badge_w, badge_h)
    x = mx + rx * (0.5 + 0.5 * math.sin(2 * math.pi * t / PERIOD_X_S))
    y = my + ry * (0.5 - 0.5 * math.sin(2 * math.pi * t / PERIOD_Y_S))
    return x, y


def overlay_position(frame_w: int, frame_h: int, badge_w: int, badge_h: int) -> tuple[str, str]:
    """ffmpeg `overlay` x and y expressions of `t` (no commas: safe inside a filtergraph)."""
    mx, my, rx, ry = _ranges(frame_w, frame_h, badge_w, badge_h)
    x = f"{mx:.3f}+{rx:.3f}*(0.5+0.5*sin(2*PI*t/{PERIOD_X_S}))"
    y = f"{my:.3f}+{ry:.3f}*(0.5-0.5*sin(2*PI*t/{PERIOD_Y_S}))"
    return x, y
