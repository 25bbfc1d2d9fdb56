"""Real test media for the player: PyAV-encoded clips whose every frame carries its own number.

Each frame shows a 12-bit code as bright/dark blocks along the top (read back from a widget grab or a
decoded array by `read_stamp`) and the same number in big digits for a human looking at a failure.
Shared by the player tests and `tests/bench/bench_player.py`.
"""
from __future__ import annotations

import functools
import math
import wave
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from engine.fsio import atomic_path

BITS = 12
FPS = Fraction(24)
W, H = 320, 180


def stamp_frame(code: int, width: int, height: int, texture: bool = False) -> np.ndarray:
    """RGB frame for `code`: the top sixth holds BITS blocks (most significant first)."""
    y = np.linspace(40, 110, height, dtype=np.float32)[:, None]
    x = np.linspace(0, 30, width, dtype=np.float32)[None, :]
    base = (y + x + (code * 7) % 40).astype(np.uint8)
    img = np.repeat(base[:, :, None], 3, axis=2)
    if texture:   # shapes and grain like a shaded previs render, so the codec does realistic work
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        phase = code * 0.15
        rings = 40 * np.sin(np.hypot(xx - width * 0.6, yy - height * 0.5) / 9 - phase)
        stripes = 25 * np.sin(xx / 23 + yy / 31 + phase)
        grain = np.random.default_rng(code).integers(-3, 4, (height, width), dtype=np.int16)
        luma = img[:, :, 0].astype(np.float32) + rings + stripes + grain
        tint = np.array([1.0, 0.9, 0.75], np.float32)
        img = np.clip(luma[:, :, None] * tint, 0, 255).astype(np.uint8)
    band = height // 6
    for bit in range(BITS):
        x0, x1 = bit * width // BITS, (bit + 1) * width // BITS
        on = (code >> (BITS - 1 - bit)) & 1
        img[:band, x0:x1] = 235 if on else 16
    scale = height / 90
    cv2.putText(img, str(code), (width // 10, int(height * 0.8)), cv2.FONT_HERSHEY_SIMPLEX, scale,
                (255, 220, 0), max(1, int(scale * 2)), cv2.LINE_AA)
    return img


def read_stamp(rgb: np.ndarray, rect: tuple[int, int, int, int] | None = None) -> int:
    """The code in the picture occupying `rect` (x, y, w, h) of `rgb` (the whole array by default)."""
    x, y, w, h = rect or (0, 0, rgb.shape[1], rgb.shape[0])
    code = 0
    cy = y + int(h / 12)
    for bit in range(BITS):
        cx = x + int((bit + 0.5) * w / BITS)
        patch = rgb[cy - 1:cy + 2, cx - 2:cx + 3, :3].astype(np.float32)
        code = (code << 1) | int(patch.mean() > 128)
    return code


def encode_video(path: Path, codes: list[int], width: int = W, height: int = H, fps: Fraction = FPS,
                 gop: int = 1, codec: str = "libx264", texture: bool = False) -> Path:
    """gop=1 gives an all-intra proxy; a long GOP also gets B-frames (pts reordering)."""
    with atomic_path(path) as tmp:
        with av.open(str(tmp), "w") as out:
            stream = out.add_stream(codec, rate=fps)
            stream.width, stream.height = width, height
            if codec == "mjpeg":
                stream.pix_fmt = "yuvj420p"
                stream.options = {"q:v": "3"}
            else:
                stream.pix_fmt = "yuv420p"
                stream.codec_context.gop_size = gop
                stream.options = {"preset": "veryfast", "crf": "18", "bf": "0" if gop == 1 else "3"}
            for code in codes:
                frame = av.VideoFrame.from_ndarray(stamp_frame(code, width, height, texture), format="rgb24")
                for packet in stream.encode(frame):
                    out.mux(packet)
            for packet in stream.encode():
                out.mux(packet)
    return path


def write_tone(path: Path, seconds: float, freq: float, rate: int = 48000, channels: int = 2) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    mono = (0.5 * np.sin(2 * math.pi * freq * t) * 32767).astype(np.int16)
    data = np.repeat(mono[:, None], channels, axis=1)
    with atomic_path(path) as tmp:
        with wave.open(str(tmp), "wb") as wav:
            wav.setnchannels(channels)
            wav.setsampwidth(2)
            wav.setframerate(rate)
            wav.writeframes(data.tobytes())
    return path


class PlayerMedia:
    """A: all-intra 72 frames coded 0.., B: all-intra 48 frames coded 1000.., LONG: GOP 48 with
    B-frames, 120 frames coded 2000.., MJPEG: 24 frames coded 3000..; TONE_A: 3 s of 440 Hz."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.a = encode_video(root / "a_intra.mp4", list(range(72)))
        self.b = encode_video(root / "b_intra.mp4", [1000 + i for i in range(48)])
        self.long = encode_video(root / "long_gop.mp4", [2000 + i for i in range(120)], gop=48)
        self.mjpeg = encode_video(root / "mjpeg.mov", [3000 + i for i in range(24)], codec="mjpeg")
        self.tone_a = write_tone(root / "a_tone.wav", 3.0, 440.0)


@functools.lru_cache(maxsize=None)
def make_media(root: Path) -> PlayerMedia:
    return PlayerMedia(root)


def shared_media(tmp_path_factory) -> PlayerMedia:
    """For a test module's fixture: the media is made once per session, in the session's temp dir."""
    return make_media(tmp_path_factory.getbasetemp() / "player_media")


def widget_stamp(widget) -> int:
    """The code of the frame a `PlayerWidget` shows, read from its grab like a person would see it."""
    image = widget.grab().toImage().convertToFormat(widget.grab().toImage().Format.Format_RGB888)
    ptr = image.constBits()
    rgb = np.frombuffer(ptr, np.uint8, image.sizeInBytes()).reshape(image.height(), image.bytesPerLine())
    rgb = rgb[:, :image.width() * 3].reshape(image.height(), image.width(), 3)
    r = widget.video_rect()
    return read_stamp(rgb, (r.x(), r.y(), r.width(), r.height()))
