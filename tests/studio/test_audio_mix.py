"""The cut's audio mix: segments at their record positions, source ranges, crossfades, dips, stems."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from engine.audio import read_wav, render_shot_audio, stems_dir_for, write_wav
from engine.cues import AudioCue
from studio.audio import CutAudioSegment, mix_cut, mix_cut_stems
from studio.errors import UserError

SR = 48000


def _ramp_take(path, seconds: float, level: float):
    """A take whose every sample says where it is: left = level, right = position / length."""
    n = int(seconds * SR)
    x = np.stack([np.full(n, level), np.arange(n) / n * 0.9], axis=1)
    write_wav(path, x)
    return n


def test_segments_land_at_their_record_positions_with_their_source_ranges(tmp_path):
    n = _ramp_take(tmp_path / "a.wav", 3, 0.5)
    _ramp_take(tmp_path / "b.wav", 3, -0.25)
    segments = [CutAudioSegment(str(tmp_path / "a.wav"), 24, 48, 0),      # a's second second at 0 s
                CutAudioSegment(str(tmp_path / "b.wav"), 0, 24, 48)]      # gap of 1 s, then b
    result = mix_cut(segments, 24, tmp_path / "cut.wav")
    x, _ = read_wav(result.path)
    assert result.samples == x.shape[0] == 3 * SR
    assert np.allclose(x[:SR, 0], 0.5, atol=1e-6)
    assert np.allclose(x[:SR, 1], (np.arange(SR) + SR) / n * 0.9, atol=1e-6)  # read from source_in
    assert not x[SR:2 * SR].any()                                           # the gap is silent
    assert np.allclose(x[2 * SR:, 0], -0.25, atol=1e-6)
    assert x[2 * SR, 1] == pytest.approx(0.0, abs=1e-6)


def test_crossfade_is_equal_power_and_centred_on_the_overlap(tmp_path):
    rng = np.random.default_rng(3)
    write_wav(tmp_path / "a.wav", rng.uniform(-0.3, 0.3, (2 * SR, 2)))
    write_wav(tmp_path / "b.wav", rng.uniform(-0.3, 0.3, (2 * SR, 2)))
    # a: 0..48 frames fading out over its last 12; b starts at 36 fading in over 12
    segments = [CutAudioSegment(str(tmp_path / "a.wav"), 0, 48, 0, fade_out=12),
                CutAudioSegment(str(tmp_path / "b.wav"), 0, 48, 36, fade_in=12)]
    x, _ = read_wav(mix_cut(segments, 24, tmp_path / "cut.wav").path)
    a, _ = read_wav(tmp_path / "a.wav")
    b, _ = read_wav(tmp_path / "b.wav")
    assert x.shape[0] == 84 * SR // 24
    assert np.allclose(x[:72000], a[:72000], atol=1e-6)            # before the overlap: a untouched
    assert np.allclose(x[96000:], b[24000:], atol=1e-6)               # after it: b untouched
    mid = 84000                                                     # middle of the overlap
    pos_a, pos_b = mid, mid - 72000
    ga = np.sin(0.5 * np.pi * (96000 - pos_a - 0.5) / 24000)
    gb = np.sin(0.5 * np.pi * (pos_b + 0.5) / 24000)
    assert ga ** 2 + gb ** 2 == pytest.approx(1.0, abs=1e-3)
    assert np.allclose(x[mid], a[mid] * ga + b[pos_b] * gb, atol=1e-5)
    # power stays level through the crossfade (uncorrelated takes)
    window = lambda s: float(np.mean(x[s:s + 4800] ** 2))  # noqa: E731
    assert 0.8 < window(81600) / window(48000) < 1.25


def test_dip_fades_to_silence(tmp_path):
    write_wav(tmp_path / "a.wav", np.full((SR, 2), 0.5))
    x, _ = read_wav(mix_cut([CutAudioSegment(str(tmp_path / "a.wav"), 0, 24, 0, fade_in=6, fade_out=6)], 24,
                            tmp_path / "cut.wav").path)
    assert abs(x[0, 0]) < 0.001 and abs(x[-1, 0]) < 0.001 and x[SR // 2, 0] == pytest.approx(0.5, abs=1e-6)
    assert np.all(np.diff(x[:12000, 0]) >= -1e-6)  # rises monotonically


def test_ntsc_positions_and_total_length(tmp_path):
    fps = Fraction(30000, 1001)
    write_wav(tmp_path / "a.wav", np.full((SR, 2), 0.5))
    result = mix_cut([CutAudioSegment(str(tmp_path / "a.wav"), 0, 10, 7)], fps, tmp_path / "cut.wav",
                     total_frames=30)
    x, _ = read_wav(result.path)
    assert x.shape[0] == 48048  # 30 frames at 29.97
    start, end = 11211, 27227   # round(7 * 1601.6), round(17 * 1601.6)
    assert not x[:start].any() and not x[end:].any() and np.allclose(x[start:end], 0.5, atol=1e-6)


def test_missing_take_audio_is_a_clear_error_and_writes_nothing(tmp_path):
    with pytest.raises(UserError, match="missing"):
        mix_cut([CutAudioSegment(str(tmp_path / "gone.wav"), 0, 24, 0)], 24, tmp_path / "cut.wav")
    write_wav(tmp_path / "a44.wav", np.zeros((100, 2)), 44100)
    with pytest.raises(UserError, match="44100 Hz"):
        mix_cut([CutAudioSegment(str(tmp_path / "a44.wav"), 0, 1, 0)], 24, tmp_path / "cut.wav")
    assert not list(tmp_path.glob("cut*"))
    with pytest.raises(UserError):
        CutAudioSegment("x.wav", 10, 5, 0)


def test_rendered_takes_and_their_stems_cut_together(tmp_path):
    takes = []
    for k, cue in enumerate([AudioCue(kind="sfx", preset="click", start=6),
                             AudioCue(kind="ambience", preset="rain")]):
        wav = tmp_path / f"take{k}" / "audio.wav"
        render_shot_audio([cue], 24, 24, wav, stems_dir=stems_dir_for(wav))
        takes.append(str(wav))
    segments = [CutAudioSegment(takes[0], 0, 24, 0), CutAudioSegment(takes[1], 0, 24, 24)]
    stems_out = {kind: tmp_path / "stems" / f"{kind}.wav" for kind in ("sfx", "ambience")}
    result = mix_cut(segments, 24, tmp_path / "cut.wav", stems=stems_out)
    master, _ = read_wav(result.path)
    level = np.max(np.abs(master), axis=1)
    assert abs(int(np.flatnonzero(level > 0.05 * level[:SR].max())[0]) - 12000) <= 4  # click at 0.25 s
    sfx, _ = read_wav(result.stems["sfx"])
    amb, _ = read_wav(result.stems["ambience"])
    assert sfx.shape == amb.shape == master.shape == (2 * SR, 2)
    assert not sfx[SR:].any() and not amb[:SR].any() and amb[SR:].any()
    # the stem helper gives the same files on its own
    again = mix_cut_stems(segments, 24, tmp_path / "stems2", kinds=("sfx",))
    assert np.array_equal(read_wav(again["sfx"])[0], sfx)


def test_long_cut_streams_in_blocks(tmp_path):
    """Two minutes of cut from one take: the mix reads blocks, so peak allocations stay small."""
    import tracemalloc
    write_wav(tmp_path / "a.wav", np.full((10 * SR, 2), 0.25))
    segments = [CutAudioSegment(str(tmp_path / "a.wav"), 0, 240, 240 * k) for k in range(12)]
    tracemalloc.start()
    result = mix_cut(segments, 24, tmp_path / "cut.wav")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert result.samples == 120 * SR
    assert peak < 12 * 2 ** 20  # the whole cut as float64 would be 92 MB


def test_a_take_without_stems_is_silence_in_the_stems_and_a_warning(tmp_path):
    write_wav(tmp_path / "plain.wav", np.full((SR, 2), 0.5))  # e.g. an imported take: no stems beside it
    result = mix_cut([CutAudioSegment(str(tmp_path / "plain.wav"), 0, 24, 0)], 24, tmp_path / "cut.wav",
                     stems={"music": tmp_path / "music.wav"})
    assert np.allclose(read_wav(result.path)[0], 0.5, atol=1e-6)
    assert not read_wav(result.stems["music"])[0].any()
    assert len(result.warnings) == 1 and "music.wav stem" in result.warnings[0]
