"""WAV files: Shotreel's audio masters and stems, and the robust reader for espeak-ng's output.

Masters are 24-bit PCM, stereo, 48 kHz: 24 bits give headroom for the later cut mix without
dither, and every tool in the chain (ffmpeg, PyAV, editors) reads them. The reader also takes
16-bit and 32-bit float files, and WAVs whose size fields are placeholders (`espeak-ng --stdout`
writes 0x7ffff000 because it cannot seek a pipe): sizes are then taken from the bytes present.
Samples are float32 in [-1, 1], shaped (frames, channels).
"""
from __future__ import annotations

import io
import os
import struct
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..errors import EngineError, ErrorKind
from ..fsio import atomic_path

BITS = 24
_WRITE_BLOCK = 1 << 16
_FULL24 = 8388607.0
_PCM, _FLOAT, _EXTENSIBLE = 1, 3, 0xFFFE


def _header(sample_rate: int, channels: int, data_bytes: int) -> bytes:
    block = channels * BITS // 8
    fmt = struct.pack("<HHIIHH", _PCM, channels, sample_rate, sample_rate * block, block, BITS)
    return (b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + data_bytes) + b"WAVE"
            + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", data_bytes))


def encode_pcm24(samples: np.ndarray) -> bytes:
    """float (frames, channels) -> interleaved little-endian 24-bit bytes (clipped, rounded)."""
    ints = np.rint(np.clip(samples, -1.0, 1.0) * _FULL24).astype("<i4")
    return ints.reshape(-1, 1).view(np.uint8)[:, :3].tobytes()


def write_wav(path: str | os.PathLike, samples: np.ndarray, sample_rate: int = 48000) -> Path:
    """Write a whole buffer atomically. `samples` is (frames,) or (frames, channels) float."""
    samples = np.asarray(samples)
    if samples.ndim == 1:
        samples = samples[:, None]
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            writer = WavWriter(fh, sample_rate, samples.shape[1])
            for lo in range(0, samples.shape[0], _WRITE_BLOCK):  # blocks: no second copy of a long take
                writer.write(samples[lo:lo + _WRITE_BLOCK])
            writer.close()
    return Path(path)


def write_silence(path: str | os.PathLike, frames: int, sample_rate: int = 48000, channels: int = 2) -> Path:
    """A silent WAV of an exact length (an unused stem), written atomically without a big buffer."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            writer = WavWriter(fh, sample_rate, channels)
            for lo in range(0, frames, _WRITE_BLOCK):
                writer.write(np.zeros((min(_WRITE_BLOCK, frames - lo), channels), np.float32))
            writer.close()
    return Path(path)


class WavWriter:
    """Streams blocks into an open file (the temporary of an `atomic_path`); patches sizes on close."""

    def __init__(self, fh: BinaryIO, sample_rate: int = 48000, channels: int = 2):
        self._fh, self.sample_rate, self.channels = fh, sample_rate, channels
        self.frames = 0
        fh.write(_header(sample_rate, channels, 0))

    def write(self, block: np.ndarray) -> None:
        block = np.asarray(block, dtype=np.float64).reshape(-1, self.channels)  # float64: exact 24-bit rounding
        self._fh.write(encode_pcm24(block))
        self.frames += block.shape[0]

    def close(self) -> None:
        data_bytes = self.frames * self.channels * BITS // 8
        if data_bytes >= 2 ** 32 - 64:
            raise EngineError(ErrorKind.UNSUPPORTED, "the audio is longer than a WAV file can hold (4 GB)")
        self._fh.seek(0)
        self._fh.write(_header(self.sample_rate, self.channels, data_bytes))
        self._fh.seek(0, io.SEEK_END)


class WavReader:
    """Random access to a PCM/float WAV file without loading it: `read(start, count)`."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        try:
            self._fh = open(self.path, "rb")
        except OSError as exc:
            raise EngineError(ErrorKind.BAD_INPUT, f"cannot open audio file {self.path}: {exc.strerror}") from exc
        try:
            size = os.fstat(self._fh.fileno()).st_size
            head = self._fh.read(min(size, 1 << 16))
            fmt, self._data_offset, data_bytes = _parse(head, size, self.path)
        except BaseException:
            self._fh.close()
            raise
        self.format_tag, self.channels, self.sample_rate, self.bits = fmt
        self._width = self.bits // 8
        self.frames = data_bytes // (self._width * self.channels)

    def read(self, start: int, count: int) -> np.ndarray:
        """Frames [start, start+count) as float32 (count, channels); outside the file reads as silence."""
        out = np.zeros((max(count, 0), self.channels), dtype=np.float32)
        lo, hi = max(start, 0), min(start + count, self.frames)
        if hi <= lo:
            return out
        self._fh.seek(self._data_offset + lo * self._width * self.channels)
        raw = self._fh.read((hi - lo) * self._width * self.channels)
        out[lo - start:hi - start] = _decode(raw, self.format_tag, self.bits).reshape(-1, self.channels)
        return out

    def read_all(self) -> np.ndarray:
        return self.read(0, self.frames)

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> "WavReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_wav(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """The whole file as float32 (frames, channels) and its sample rate."""
    with WavReader(path) as reader:
        return reader.read_all(), reader.sample_rate


def parse_wav_bytes(blob: bytes, what: str = "WAV data") -> tuple[np.ndarray, int]:
    """Decode a WAV held in memory (espeak-ng's stdout). Tolerates placeholder size fields."""
    fmt, offset, data_bytes = _parse(blob, len(blob), what)
    tag, channels, rate, bits = fmt
    width = bits // 8
    usable = data_bytes - data_bytes % (width * channels)
    samples = _decode(blob[offset:offset + usable], tag, bits).reshape(-1, channels)
    return samples, rate


def _parse(head: bytes, file_size: int, name) -> tuple[tuple[int, int, int, int], int, int]:
    """Walk the RIFF chunks -> ((format, channels, rate, bits), data offset, data bytes)."""
    def bad(why: str) -> EngineError:
        return EngineError(ErrorKind.BAD_INPUT, f"{name} is not a readable WAV file ({why})")

    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise bad("no RIFF/WAVE header")
    pos, fmt = 12, None
    while pos + 8 <= len(head):
        chunk, size = head[pos:pos + 4], struct.unpack("<I", head[pos + 4:pos + 8])[0]
        body = pos + 8
        if chunk == b"fmt ":
            if size < 16 or body + 16 > len(head):
                raise bad("short fmt chunk")
            tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", head[body:body + 16])
            if tag == _EXTENSIBLE and size >= 40:
                tag = struct.unpack("<H", head[body + 24:body + 26])[0]
            fmt = (tag, channels, rate, bits)
        elif chunk == b"data":
            if fmt is None:
                raise bad("data before fmt")
            tag, channels, rate, bits = fmt
            if not ((tag == _PCM and bits in (16, 24, 32)) or (tag == _FLOAT and bits == 32)) or channels < 1:
                raise bad(f"unsupported encoding: format {tag}, {bits} bits, {channels} channels")
            # A placeholder or truncated size: trust the bytes that are actually there.
            return fmt, body, min(size, file_size - body)
        pos = body + size + (size & 1)
    raise bad("no data chunk")


def _decode(raw: bytes, tag: int, bits: int) -> np.ndarray:
    if tag == _FLOAT:
        return np.frombuffer(raw, dtype="<f4").astype(np.float32)
    if bits == 16:
        return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    if bits == 32:
        return (np.frombuffer(raw, dtype="<i4").astype(np.float64) / 2147483648.0).astype(np.float32)
    trip = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3)
    quad = np.zeros((trip.shape[0], 4), dtype=np.uint8)
    quad[:, 1:] = trip  # shift left by 8 so the sign bit lands in place, then scale
    return (quad.view("<i4").ravel().astype(np.float64) / 2147483648.0).astype(np.float32)
