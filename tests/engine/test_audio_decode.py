"""Imported sound files (made here with the real ffmpeg) and the WAV reader/writer."""
from __future__ import annotations

import struct
import subprocess

import numpy as np
import pytest

from engine.audio import decode_file, read_wav, render_shot_audio, write_wav
from engine.audio.dsp import resample
from engine.audio.wav import WavReader, parse_wav_bytes
from engine.cues import AudioCue
from engine.errors import EngineError, ErrorKind
from engine.fsio import ffmpeg_path

SR = 48000


@pytest.fixture(scope="module")
def tone_files(tmp_path_factory):
    """A 0.5 s 1 kHz tone at 44.1 kHz mono, silence-free from its first sample, in each format."""
    folder = tmp_path_factory.mktemp("imports")
    files = {}
    for ext in ("wav", "mp3", "flac", "m4a", "ogg"):
        out = folder / f"tone.{ext}"
        subprocess.run([ffmpeg_path(), "-v", "error", "-y", "-f", "lavfi", "-i",
                        "sine=frequency=1000:sample_rate=44100:duration=0.5", "-af", "volume=4", str(out)],
                       check=True)
        files[ext] = out
    return files


def _dominant_hz(x: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(x[:, 0] * np.hanning(x.shape[0])))
    return float(np.fft.rfftfreq(x.shape[0], 1 / SR)[np.argmax(spectrum)])


@pytest.mark.parametrize("ext", ["wav", "mp3", "flac", "m4a", "ogg"])
def test_imported_formats_decode_to_48k_stereo(tone_files, ext):
    x = decode_file(tone_files[ext])
    assert x.ndim == 2 and x.shape[1] == 2
    assert abs(x.shape[0] - SR // 2) < 0.05 * SR  # 0.5 s (lossy codecs add a little padding)
    assert abs(_dominant_hz(x) - 1000) < 5
    assert np.allclose(x[:, 0], x[:, 1])  # mono copied to both sides, at full level
    assert 0.4 < np.max(np.abs(x)) < 0.6  # ffmpeg's sine is 1/8 full scale, x4 above


@pytest.mark.parametrize("ext,tolerance", [("wav", 4), ("flac", 4), ("mp3", 240)])
def test_imported_file_is_placed_at_its_offset(tmp_path, tone_files, ext, tolerance):
    shot = render_shot_audio([AudioCue(kind="sfx", file=str(tone_files[ext]), start=6)], 24, 24, tmp_path / "a.wav")
    x, _ = read_wav(shot.path)
    assert shot.placements[0].onset == 12000 and shot.placements[0].source == f"file:{tone_files[ext]}"
    level = np.max(np.abs(x), axis=1)
    assert abs(int(np.flatnonzero(level > 0.05)[0]) - 12000) <= tolerance


def test_imported_file_is_cut_to_its_duration(tmp_path, tone_files):
    shot = render_shot_audio([AudioCue(kind="music", file=str(tone_files["flac"]), start=0, duration=6)], 24, 24,
                             tmp_path / "a.wav")
    assert shot.placements[0].length == 12000
    x, _ = read_wav(shot.path)
    assert np.max(np.abs(x[12000:])) == 0.0


def test_unreadable_file_names_the_file(tmp_path):
    bad = tmp_path / "broken take.mp3"
    bad.write_bytes(b"this is not audio at all" * 100)
    with pytest.raises(EngineError) as err:
        render_shot_audio([AudioCue(kind="sfx", file=str(bad))], 24, 24, tmp_path / "a.wav")
    assert err.value.kind is ErrorKind.BAD_INPUT and "broken take.mp3" in err.value.message
    with pytest.raises(EngineError, match="does not exist"):
        decode_file(tmp_path / "gone.wav")
    assert not (tmp_path / "a.wav").exists()


def test_wav_round_trip_is_24_bit_exact(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.uniform(-0.9, 0.9, (1000, 2))
    write_wav(tmp_path / "r.wav", x)
    y, rate = read_wav(tmp_path / "r.wav")
    assert rate == SR and y.shape == (1000, 2)
    assert np.max(np.abs(y - x)) < 1.0 / 2 ** 22
    with WavReader(tmp_path / "r.wav") as reader:  # random access, silence outside the file
        part = reader.read(995, 10)
        assert np.allclose(part[:5], y[995:]) and not part[5:].any()


def test_espeak_style_placeholder_sizes_are_tolerated():
    pcm = (np.arange(100, dtype="<i2") * 100).tobytes()
    fmt = struct.pack("<HHIIHH", 1, 1, 22050, 44100, 2, 16)
    blob = (b"RIFF" + struct.pack("<I", 0x7FFFF024) + b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt
            + b"data" + struct.pack("<I", 0x7FFFF000) + pcm + b"\x01")  # odd trailing byte: half a sample
    samples, rate = parse_wav_bytes(blob)
    assert rate == 22050 and samples.shape == (100, 1)
    assert samples[5, 0] == pytest.approx(500 / 32768)


def test_resampler_keeps_a_tone_clean():
    t = np.arange(22050) / 22050
    y = resample(np.sin(2 * np.pi * 1000 * t), 22050, SR)
    assert y.shape == (48000,)
    ref = np.sin(2 * np.pi * 1000 * np.arange(48000) / SR)
    assert np.max(np.abs(y[500:-500] - ref[500:-500])) < 1e-4
    # a tone near the old Nyquist leaves no image above it (what a naive interpolation would leave)
    y = resample(np.sin(2 * np.pi * 9000 * t), 22050, SR)
    spectrum = np.abs(np.fft.rfft(y * np.hanning(y.size)))
    freqs = np.fft.rfftfreq(y.size, 1 / SR)
    assert spectrum[freqs > 11500].max() < 1e-4 * spectrum.max()
