"""Sound for the player, and the clock it keeps: the sounddevice callback is the master clock.

Every callback consumes a block of samples at 48 kHz; elapsed time is the sample count (plus the time
since the last callback, bounded by one block, so the picture moves smoothly between callbacks), less
the stream's output latency so the picture matches what is heard. The
mix follows the transport only at 1x forward; shuttle speeds and reverse are silent but still clocked.
WAVs are memory-mapped, so the callback reads pages, never opens files.
"""
from __future__ import annotations

import bisect
import struct
import threading
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

from .clock import Clock
from .source import PlayList

SAMPLE_RATE = 48000
CHANNELS = 2


class AudioUnavailable(Exception):
    """No PortAudio library or no output device: the player falls back to a silent monotonic clock."""


class AudioFileError(Exception):
    """A segment's WAV cannot be read; that segment plays silent and the message is shown once."""


class WavSource:
    """PCM (16/32-bit int) or float32 WAV, any rate and channel count, read as 48 kHz stereo float32."""

    def __init__(self, path: str) -> None:
        self.path = str(path)
        name = Path(path).name
        try:
            with open(path, "rb") as fh:
                header = fh.read(12)
                if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
                    raise AudioFileError(f"{name} is not a WAV file")
                fmt = data_offset = data_size = None
                while True:
                    chunk = fh.read(8)
                    if len(chunk) < 8:
                        break
                    cid, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
                    if cid == b"fmt ":
                        fmt = fh.read(size)
                    elif cid == b"data":
                        data_offset, data_size = fh.tell(), size
                        break
                    else:
                        fh.seek(size + (size & 1), 1)
                file_size = fh.seek(0, 2)
        except OSError as exc:
            raise AudioFileError(f"cannot read {name}: {exc.strerror or exc}") from exc
        if fmt is None or data_offset is None:
            raise AudioFileError(f"{name} has no audio data")
        tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", fmt[:16])
        if tag == 0xFFFE and len(fmt) >= 26:           # WAVE_FORMAT_EXTENSIBLE: the real tag is in the GUID
            tag = struct.unpack("<H", fmt[24:26])[0]
        dtypes = {(1, 16): "<i2", (1, 32): "<i4", (3, 32): "<f4"}
        if (tag, bits) not in dtypes or channels < 1 or rate <= 0:
            raise AudioFileError(f"{name}: unsupported WAV format (tag {tag}, {bits}-bit); "
                                 "use 16-bit PCM or 32-bit float")
        dtype = np.dtype(dtypes[(tag, bits)])
        # espeak-ng writes a placeholder size: trust the file length instead.
        available = file_size - data_offset
        if data_size in (0, 0xFFFFFFFF) or data_size > available:
            data_size = available
        frames = data_size // (dtype.itemsize * channels)
        self.rate, self.channels = rate, channels
        self._scale = 1.0 if dtype.kind == "f" else 1.0 / (2 ** (bits - 1))
        self._data = (np.memmap(path, dtype=dtype, mode="r", offset=data_offset, shape=(frames, channels))
                      if frames else np.zeros((0, channels), dtype))

    @property
    def frames(self) -> int:
        return self._data.shape[0]

    def read(self, start: int, n: int) -> np.ndarray:
        """Output samples start..start+n at 48 kHz (nearest source sample); silence outside the file."""
        out = np.zeros((n, CHANNELS), np.float32)
        if self.rate == SAMPLE_RATE:
            idx = np.arange(start, start + n)
        else:
            idx = (np.arange(start, start + n) * self.rate) // SAMPLE_RATE
        ok = (idx >= 0) & (idx < self.frames)
        if not ok.any():
            return out
        lo, hi = int(idx[ok][0]), int(idx[ok][-1]) + 1
        block = np.asarray(self._data[lo:hi], np.float32) * self._scale
        picked = block[idx[ok] - lo]
        if self.channels == 1:
            out[ok] = picked[:, :1]
        else:
            out[ok] = picked[:, :CHANNELS]
        return out


class AudioMixer:
    """The playlist's segment WAVs laid on its timeline: `render(start, n)` in 48 kHz samples."""

    def __init__(self, playlist: PlayList) -> None:
        self.errors: list[str] = []
        sources: dict[str, WavSource | None] = {}
        self._spans: list[tuple[int, int, int, WavSource]] = []   # (record start, end, source start, wav)
        fps = playlist.fps
        for seg in playlist.segments:
            if seg.audio_path is None:
                continue
            if seg.audio_path not in sources:
                try:
                    sources[seg.audio_path] = WavSource(seg.audio_path)
                except AudioFileError as exc:
                    sources[seg.audio_path] = None
                    self.errors.append(str(exc))
            wav = sources[seg.audio_path]
            if wav is not None:
                self._spans.append((frames_to_samples(seg.record_in, fps), frames_to_samples(seg.record_out, fps),
                                    frames_to_samples(seg.source_in, fps), wav))
        self._starts = [s[0] for s in self._spans]

    def render(self, start: int, n: int) -> np.ndarray:
        out = np.zeros((n, CHANNELS), np.float32)
        end = start + n
        i = max(0, bisect.bisect_right(self._starts, start) - 1)
        while i < len(self._spans) and self._spans[i][0] < end:
            rec_start, rec_end, src_start, wav = self._spans[i]
            a, b = max(start, rec_start), min(end, rec_end)
            if a < b:
                out[a - start:b - start] += wav.read(src_start + a - rec_start, b - a)
            i += 1
        np.clip(out, -1.0, 1.0, out=out)
        return out


def frames_to_samples(frame: int, fps: Fraction) -> int:
    return round(Fraction(frame) * SAMPLE_RATE / Fraction(fps))


class AudioClock(Clock):
    """Owns the output stream. `start()` raises AudioUnavailable when there is no device."""

    name = "audio"

    def __init__(self, mixer: AudioMixer | None = None, blocksize: int = 1024) -> None:
        self._mixer = mixer
        self._blocksize = blocksize
        self._lock = threading.Lock()
        self._samples = 0
        self._last_ns = time.monotonic_ns()
        self._returned = Fraction(0)
        self._follow: tuple[int, Fraction, int, Fraction] = (0, Fraction(0), 0, Fraction(24))
        self._stream = None
        self._latency = Fraction(0)

    def start(self) -> None:
        try:
            import sounddevice as sd
        except OSError as exc:                     # the PortAudio library itself is missing
            raise AudioUnavailable(f"no audio library ({exc})") from exc
        try:
            stream = sd.OutputStream(samplerate=SAMPLE_RATE, channels=CHANNELS, dtype="float32",
                                     blocksize=self._blocksize, callback=self._callback)
            stream.start()
        except (sd.PortAudioError, ValueError) as exc:   # ValueError: no default output device
            raise AudioUnavailable(f"no audio output device ({exc})") from exc
        # The picture should match what is heard, not what was just written: lag by the output latency.
        self._latency = Fraction(float(stream.latency or 0)).limit_denominator(SAMPLE_RATE)
        self._stream = stream

    def set_mixer(self, mixer: AudioMixer | None) -> None:
        with self._lock:
            self._mixer = mixer

    def follow(self, anchor_frame: int, anchor_time: Fraction, rate: int, fps: Fraction) -> None:
        with self._lock:
            self._follow = (anchor_frame, Fraction(anchor_time), rate, Fraction(fps))

    def elapsed(self) -> Fraction:
        with self._lock:
            base = Fraction(self._samples, SAMPLE_RATE)
            block_ns = self._blocksize * 1_000_000_000 // SAMPLE_RATE
            since = min(time.monotonic_ns() - self._last_ns, block_ns) if self._stream is not None else 0
            now = max(Fraction(0), base + Fraction(since, 1_000_000_000) - self._latency)
            self._returned = max(self._returned, now)
            return self._returned

    def fill(self, outdata: np.ndarray) -> None:
        """One block of output: the mix at the picture's position when playing at 1x, else silence.
        Called by the PortAudio thread; tests call it directly."""
        frames = outdata.shape[0]
        with self._lock:
            clock_sample = self._samples
            anchor_frame, anchor_time, rate, fps = self._follow
            mixer = self._mixer
        if rate == 1 and mixer is not None:
            start = frames_to_samples(anchor_frame, fps) + clock_sample - round(anchor_time * SAMPLE_RATE)
            outdata[:] = mixer.render(start, frames)
        else:
            outdata.fill(0)
        with self._lock:
            self._samples += frames
            self._last_ns = time.monotonic_ns()

    def _callback(self, outdata, frames, time_info, status) -> None:
        self.fill(outdata)

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.abort()
            stream.close()
