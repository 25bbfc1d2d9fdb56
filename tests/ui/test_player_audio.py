"""The audio side: WAVs laid on the timeline, the callback as the master clock, and this machine's
reality of no output device (the silent monotonic fallback)."""
import math
import wave
from fractions import Fraction

import numpy as np
import pytest

from tests.ui.player_media import shared_media, write_tone
from ui.player.audio_out import AudioClock, AudioMixer, AudioUnavailable, WavSource
from ui.player.source import PlayList, PlaySegment


@pytest.fixture(scope="module")
def player_media(tmp_path_factory):
    return shared_media(tmp_path_factory)


def _expected_tone(start_sample, n, freq=440.0):
    t = np.arange(start_sample, start_sample + n) / 48000
    return (0.5 * np.sin(2 * math.pi * freq * t) * 32767).astype(np.int16) / 32768


def test_mixer_places_segment_audio_at_the_record_position(player_media, tmp_path):
    mono22k = write_tone(tmp_path / "mono22k.wav", 1.0, 220.0, rate=22050, channels=1)
    pl = PlayList((PlaySegment(player_media.a, player_media.tone_a, 24, 48, 0, "A"),   # from 1 s into the WAV
                   PlaySegment(player_media.b, None, 0, 24, 24, "B"),                   # silent segment
                   PlaySegment(player_media.b, str(mono22k), 0, 24, 48, "C")), Fraction(24), 320, 180)
    mixer = AudioMixer(pl)
    assert mixer.errors == []
    block = mixer.render(1000, 512)
    assert block.shape == (512, 2)
    assert np.allclose(block[:, 0], _expected_tone(48000 + 1000, 512), atol=1e-4)
    assert np.allclose(block[:, 0], block[:, 1])
    assert not mixer.render(48000 + 100, 512).any()               # segment B has no audio
    across = mixer.render(48000 * 2 - 256, 512)                   # the cut from B to C
    assert not across[:256].any() and np.abs(across[256:]).max() > 0.3


def test_bad_wav_is_reported_and_plays_silent(tmp_path, player_media):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF....WAVEjunk")
    with wave.open(str(tmp_path / "u8.wav"), "wb") as w8:
        w8.setnchannels(1)
        w8.setsampwidth(1)
        w8.setframerate(8000)
        w8.writeframes(bytes(800))
    pl = PlayList((PlaySegment(player_media.a, str(bad), 0, 10, 0),
                   PlaySegment(player_media.a, str(tmp_path / "u8.wav"), 0, 10, 10),
                   PlaySegment(player_media.a, str(tmp_path / "none.wav"), 0, 10, 20)), Fraction(24), 320, 180)
    mixer = AudioMixer(pl)
    assert len(mixer.errors) == 3
    assert any("unsupported" in e for e in mixer.errors) and any("none.wav" in e for e in mixer.errors)
    assert not mixer.render(0, 48000).any()


def test_espeak_style_placeholder_size_reads_the_whole_file(tmp_path):
    path = write_tone(tmp_path / "t.wav", 0.5, 440.0)
    data = bytearray(path.read_bytes())
    data[40:44] = (0xFFFFFFFF).to_bytes(4, "little")               # the data chunk's size field
    path.write_bytes(bytes(data))
    assert WavSource(str(path)).frames == 24000


def test_audio_callback_is_the_clock_and_follows_the_picture(player_media):
    pl = PlayList((PlaySegment(player_media.a, player_media.tone_a, 0, 72, 0),), Fraction(24), 320, 180)
    clock = AudioClock(AudioMixer(pl), blocksize=480)
    out = np.zeros((480, 2), np.float32)
    clock.fill(out)                                   # paused: silence, but time passes
    assert not out.any() and clock.elapsed() == Fraction(480, 48000)
    clock.follow(anchor_frame=12, anchor_time=clock.elapsed(), rate=1, fps=Fraction(24))
    for k in range(3):
        clock.fill(out)
        # frame 12 is 0.5 s into the take: the block starts 24000 + k*480 samples into the WAV
        assert np.allclose(out[:, 0], _expected_tone(24000 + k * 480, 480), atol=1e-4)
    assert clock.elapsed() == Fraction(4 * 480, 48000)
    clock.follow(12, clock.elapsed(), 2, Fraction(24))  # shuttle speeds are silent
    clock.fill(out)
    assert not out.any()


def test_no_output_device_raises_audio_unavailable(monkeypatch):
    import sounddevice as sd

    try:
        has_output = any(d["max_output_channels"] > 0 for d in sd.query_devices())
    except sd.PortAudioError:
        has_output = False
    if has_output:    # a machine with sound: simulate the missing device this test is about
        def no_device(*args, **kwargs):
            raise sd.PortAudioError("Error querying device -1")
        monkeypatch.setattr(sd, "OutputStream", no_device)
    with pytest.raises(AudioUnavailable, match="no audio output device"):
        AudioClock().start()
