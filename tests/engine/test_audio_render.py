"""A shot's audio master: length, sample-exact placement, determinism, ducking, voices, errors.

Real espeak-ng, real synthesis, real files; nothing mocked.
"""
from __future__ import annotations

import hashlib
from fractions import Fraction

import numpy as np
import pytest

from engine.audio import dsp, frame_to_sample, read_wav, render_shot_audio, stems_dir_for, voice
from engine.audio.wav import WavReader
from engine.cues import AudioCue
from engine.errors import EngineError, ErrorKind, JobCancelled
from engine.jobs import CancelToken, CharacterSpec


def _onset(x: np.ndarray, fraction: float = 0.05) -> int:
    level = np.max(np.abs(x), axis=1)
    return int(np.flatnonzero(level > fraction * level.max())[0])


@pytest.mark.parametrize("frames,fps,expected", [(48, 24, 96000), (100, Fraction(30000, 1001), 160160),
                                                 (7, Fraction(30000, 1001), 11211), (1, 25, 1920)])
def test_master_length_is_sample_exact(tmp_path, frames, fps, expected):
    out = tmp_path / "a.wav"
    shot = render_shot_audio([AudioCue(kind="sfx", preset="click")], frames, fps, out)
    assert shot.samples == expected == frame_to_sample(frames, fps)
    with WavReader(out) as reader:
        assert (reader.frames, reader.sample_rate, reader.channels, reader.bits) == (expected, 48000, 2, 24)
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]


@pytest.mark.parametrize("preset", ["click", "impact"])
def test_sfx_onset_lands_on_its_frame(tmp_path, preset):
    shot = render_shot_audio([AudioCue(kind="sfx", preset=preset, start=12)], 48, 24, tmp_path / "a.wav")
    x, _ = read_wav(shot.path)
    assert shot.placements[0].onset == 24000
    assert abs(_onset(x) - 24000) <= 4
    assert np.max(np.abs(x[:24000])) == 0.0  # nothing leaks ahead of the cue


def test_ntsc_onset_and_placements(tmp_path):
    fps = Fraction(30000, 1001)
    shot = render_shot_audio([AudioCue(kind="sfx", preset="click", start=31, cue_id="c1")], 60, fps,
                             tmp_path / "a.wav")
    x, _ = read_wav(shot.path)
    expected = frame_to_sample(31, fps)  # 31 * 1601.6 = 49649.6 -> 49650
    assert expected == 49650 and shot.placements[0].onset == expected
    assert shot.placements[0].cue_id == "c1" and shot.placements[0].source == "sfx:click"
    assert abs(_onset(x) - expected) <= 4


def test_dialogue_starts_at_its_offset_and_fits_its_duration(tmp_path):
    cues = [AudioCue(kind="dialogue", text="The harbour lights are out tonight.", character="Mara", start=18),
            AudioCue(kind="dialogue", text="Then we go by the old road, all the way round.", character="Mara",
                     start=60, duration=24)]
    shot = render_shot_audio(cues, 96, 24, tmp_path / "a.wav")
    x, _ = read_wav(shot.path)
    first, second = shot.placements
    assert first.onset == 36000 and first.source.startswith("voice:")
    assert np.max(np.abs(x[:36000])) == 0.0
    assert abs(_onset(x[:60000], 0.01) - 36000) <= 48  # within 1 ms: espeak's lead-in silence is trimmed
    # the fitted line fills its cue (re-spoken faster) and never runs past it
    assert second.onset == 120000 and 0.9 * 48000 <= second.length <= 48000
    natural = render_shot_audio([cues[1].with_(duration=0)], 200, 24, tmp_path / "n.wav").placements[0].length
    assert natural > 1.3 * second.length


def test_render_is_deterministic_and_seeded(tmp_path):
    cues = [AudioCue(kind="ambience", preset="rain"), AudioCue(kind="music", preset="warm", gain_db=-6),
            AudioCue(kind="dialogue", text="Hold the door.", character="Ann", start=10),
            AudioCue(kind="sfx", preset="door", start=30), AudioCue(kind="sfx", text="glass shatters", start=50)]
    digests = []
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        shot = render_shot_audio(cues, 48, 24, tmp_path / f"{name}.wav", seed=seed)
        digests.append(hashlib.sha256(open(shot.path, "rb").read()).hexdigest())
    assert digests[0] == digests[1]
    assert digests[2] != digests[0]


def test_dialogue_ducks_music_and_ambience(tmp_path):
    beds = [AudioCue(kind="music", preset="warm"), AudioCue(kind="ambience", preset="wind")]
    line = AudioCue(kind="dialogue", text="Listen. Do you hear that? Something is out there.", start=24)
    plain = render_shot_audio(beds, 144, 24, tmp_path / "p.wav", stems_dir=tmp_path / "p")
    ducked = render_shot_audio(beds + [line], 144, 24, tmp_path / "d.wav", stems_dir=tmp_path / "d")
    spoken = ducked.placements[2]
    inside = slice(spoken.onset + 9600, spoken.onset + spoken.length - 9600)  # away from attack/release
    for kind in ("music", "ambience"):
        a, _ = read_wav(plain.stems[kind])
        b, _ = read_wav(ducked.stems[kind])
        drop = 20 * np.log10(dsp.rms(b[inside]) / dsp.rms(a[inside]))
        assert -12.0 < drop < -7.0, (kind, drop)
        assert np.array_equal(a[:spoken.onset - 4800], b[:spoken.onset - 4800])  # untouched before the line
    # the master never clips
    master, _ = read_wav(ducked.path)
    assert np.max(np.abs(master)) <= 10 ** (-1 / 20) + 1e-4


def test_limiter_keeps_a_hot_mix_under_the_ceiling(tmp_path):
    cues = [AudioCue(kind="sfx", preset="impact", start=k * 4, gain_db=18) for k in range(4)]
    cues.append(AudioCue(kind="music", preset="action", gain_db=18))
    shot = render_shot_audio(cues, 48, 24, tmp_path / "a.wav")
    x, _ = read_wav(shot.path)
    assert np.max(np.abs(x)) <= 10 ** (-1 / 20) + 1e-4
    assert shot.peak_db > -3.0  # limited, not simply attenuated


def test_characters_get_distinct_deterministic_voices(tmp_path):
    text = "I was never here."
    cues = [AudioCue(kind="dialogue", text=text, character="Anna", start=0),
            AudioCue(kind="dialogue", text=text, character="Boris", start=48)]
    shot = render_shot_audio(cues, 96, 24, tmp_path / "a.wav", stems_dir=tmp_path / "s")
    va, vb = (p.source for p in shot.placements)
    assert va != vb and va.split(":")[1] in voice.VOICE_POOL and vb.split(":")[1] in voice.VOICE_POOL
    x, _ = read_wav(shot.stems["dialogue"])
    a, b = x[:48000, 0], x[96000:144000, 0]
    assert not np.allclose(a[:len(b)], b[:len(a)], atol=1e-3)
    # same name, same voice, whichever shot or cue order
    again = render_shot_audio(cues[::-1], 96, 24, tmp_path / "b.wav")
    assert sorted(p.source for p in again.placements) == sorted([va, vb])


def test_voice_precedence_cue_then_bible_then_pool(tmp_path):
    cues = [AudioCue(kind="dialogue", text="One.", character="Ann"),
            AudioCue(kind="dialogue", text="Two.", character="Ann", voice="en-gb+m7", start=24),
            AudioCue(kind="dialogue", text="Three.", character="Lee", start=48)]
    shot = render_shot_audio(cues, 72, 24, tmp_path / "a.wav", [CharacterSpec("ann", voice="en-us+f2")])
    assert [p.source for p in shot.placements] == ["voice:en-us+f2", "voice:en-gb+m7",
                                                   f"voice:{voice.voice_for('Lee', ['en-us+f2'])}"]


def test_pool_voices_avoid_collisions_inside_a_shot():
    names = [f"extra {k}" for k in range(8)]
    assigned = voice.assign_voices(names, {})
    assert len(set(assigned.values())) == len(names)


def test_missing_espeak_names_the_debian_package(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty PATH: espeak-ng cannot be found
    with pytest.raises(EngineError) as err:
        render_shot_audio([AudioCue(kind="dialogue", text="Hello.")], 24, 24, tmp_path / "a.wav")
    assert err.value.kind is ErrorKind.TOOL_MISSING
    assert "Debian package espeak-ng" in err.value.message and "apt install espeak-ng" in err.value.suggestion
    assert not (tmp_path / "a.wav").exists()


def test_bad_voice_is_a_clear_error(tmp_path):
    with pytest.raises(EngineError, match="espeak-ng failed for voice 'xx-nowhere'"):
        render_shot_audio([AudioCue(kind="dialogue", text="Hi.", voice="xx-nowhere")], 24, 24, tmp_path / "a.wav")


def test_beds_run_to_the_end_and_cues_past_the_end_are_reported(tmp_path):
    cues = [AudioCue(kind="ambience", preset="room tone", start=12), AudioCue(kind="sfx", preset="click", start=500)]
    shot = render_shot_audio(cues, 48, 24, tmp_path / "a.wav", stems_dir=stems_dir_for(tmp_path / "a.wav"))
    bed, late = shot.placements
    assert (bed.onset, bed.length, bed.source) == (24000, 72000, "ambience:room_tone")
    assert (late.onset, late.length) == (1000000, 0)
    x, _ = read_wav(shot.stems["ambience"])
    assert dsp.rms(x[-4800:-480]) > 0  # still sounding near the end
    assert abs(x[-1]).max() < abs(x[-4800:]).max()  # faded at the cut
    assert set(shot.stems) == {"dialogue", "sfx", "ambience", "music"}
    assert all(read_wav(p)[0].shape == (96000, 2) for p in shot.stems.values())


def test_unknown_preset_lists_the_choices(tmp_path):
    with pytest.raises(EngineError, match="rain, wind, city, room_tone, forest, sea, night"):
        render_shot_audio([AudioCue(kind="ambience", preset="lava")], 24, 24, tmp_path / "a.wav")
    with pytest.raises(EngineError, match="no music mood matches"):
        render_shot_audio([AudioCue(kind="music", text="something nice")], 24, 24, tmp_path / "b.wav")


def test_other_sample_rates_keep_exact_length_and_onset(tmp_path):
    shot = render_shot_audio([AudioCue(kind="sfx", preset="click", start=12)], 25, 25, tmp_path / "a.wav",
                             stems_dir=tmp_path / "s", sample_rate=44100)
    x, rate = read_wav(shot.path)
    assert rate == 44100 and x.shape == (44100, 2) == read_wav(shot.stems["sfx"])[0].shape
    assert abs(_onset(x) - 21168) <= 8  # 12 frames at 25 fps = 0.48 s


def test_cancel_stops_before_writing(tmp_path):
    token = CancelToken()
    token.cancel()
    with pytest.raises(JobCancelled):
        render_shot_audio([AudioCue(kind="ambience", preset="rain")], 24, 24, tmp_path / "a.wav", cancel=token)
    assert not list(tmp_path.iterdir())


def test_cancel_interrupts_a_long_bed_quickly(tmp_path):
    """A 3-minute music + wind bed takes ~10 s of CPU to synthesize; a cancel mid-way stops it at the
    next check (~0.1-0.2 s on a quiet machine; the bound is loose for a loaded 2-core test box)."""
    import threading
    import time

    token = CancelToken()
    outcome = {}

    def run():
        try:
            render_shot_audio([AudioCue(kind="music", preset="warm"), AudioCue(kind="ambience", preset="wind")],
                              24 * 180, 24, tmp_path / "long.wav", cancel=token)
            outcome["done"] = True
        except JobCancelled:
            outcome["stopped"] = time.monotonic()

    worker = threading.Thread(target=run)
    worker.start()
    time.sleep(0.3)
    token.cancel()
    worker.join(10)
    assert "stopped" in outcome, outcome
    assert outcome["stopped"] - token.cancelled_at < 2.0
    assert not list(tmp_path.iterdir())


def test_stems_sum_to_the_master_when_the_limiter_is_idle(tmp_path):
    cues = [AudioCue(kind="ambience", preset="sea", gain_db=-6), AudioCue(kind="music", preset="sad", gain_db=-6),
            AudioCue(kind="dialogue", text="It was here.", start=6, gain_db=-6),
            AudioCue(kind="sfx", preset="footsteps", start=30, gain_db=-12)]
    shot = render_shot_audio(cues, 60, 24, tmp_path / "a.wav", stems_dir=tmp_path / "s")
    master, _ = read_wav(shot.path)
    total = sum(read_wav(path)[0] for path in shot.stems.values())
    assert shot.peak_db < -4.5  # under the limiter's knee (-4 dBFS): it leaves the mix alone
    assert np.max(np.abs(total - master)) < 4 / 2 ** 23  # a few 24-bit steps of rounding
