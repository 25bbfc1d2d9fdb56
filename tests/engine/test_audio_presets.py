"""Every built-in sound renders, is not silent, and has the spectrum its name promises.

The checks are physical, not golden files: a heartbeat lives below 200 Hz, glass and clicks are
bright, beds are broadband noise while music is tonal (power on notes), and no preset is a single
sine beep.
"""
from __future__ import annotations

import numpy as np
import pytest

from engine.audio import dsp, presets, resolve_preset
from engine.cues import AudioKind
from engine.errors import EngineError

SR = 48000


def _stats(x: np.ndarray) -> dict:
    mono = x.mean(axis=1)
    power = np.abs(np.fft.rfft(mono * np.hanning(mono.size))) ** 2
    freqs = np.fft.rfftfreq(mono.size, 1 / SR)
    keep = (freqs > 40) & (freqs < 12000)
    power, freqs = power[keep], freqs[keep]
    # tonality: share of power in bins standing 10 dB above the median of their 50 Hz neighbourhood
    width = max(1, int(50 / (freqs[1] - freqs[0])))
    usable = power.size // width * width
    median = np.repeat(np.median(power[:usable].reshape(-1, width), axis=1), width)
    tonal = power[:usable][power[:usable] > 10 * median].sum() / power[:usable].sum()
    # spectral peaks within 30 dB of the loudest (10 Hz smoothing): a sine beep has one
    smooth = np.convolve(power, np.ones(max(1, int(10 / (freqs[1] - freqs[0])))), "same")
    inner = smooth[1:-1]
    peaks = np.sum((inner > smooth[:-2]) & (inner >= smooth[2:]) & (inner > smooth.max() * 1e-3))
    return {"rms_db": 20 * np.log10(dsp.rms(x) + 1e-12), "peak": float(np.max(np.abs(x))),
            "centroid": float((power * freqs).sum() / power.sum()), "tonality": float(tonal), "peaks": int(peaks)}


# preset -> (centroid range in Hz, what it must be)
EXPECT = {
    (AudioKind.AMBIENCE, "rain"): (1500, 6000),
    (AudioKind.AMBIENCE, "wind"): (250, 2000),
    (AudioKind.AMBIENCE, "city"): (150, 1500),
    (AudioKind.AMBIENCE, "room_tone"): (100, 1500),
    (AudioKind.AMBIENCE, "forest"): (1500, 6000),
    (AudioKind.AMBIENCE, "sea"): (300, 3000),
    (AudioKind.AMBIENCE, "night"): (400, 5000),
    (AudioKind.SFX, "impact"): (30, 600),
    (AudioKind.SFX, "whoosh"): (800, 5000),
    (AudioKind.SFX, "footsteps"): (300, 4000),
    (AudioKind.SFX, "door"): (100, 2000),
    (AudioKind.SFX, "glass"): (2500, 10000),
    (AudioKind.SFX, "click"): (1500, 8000),
    (AudioKind.SFX, "riser"): (1000, 8000),
    (AudioKind.SFX, "heartbeat"): (20, 200),
    (AudioKind.MUSIC, "tense"): (60, 1500),
    (AudioKind.MUSIC, "warm"): (60, 1500),
    (AudioKind.MUSIC, "sad"): (60, 1500),
    (AudioKind.MUSIC, "action"): (60, 2000),
}


def test_catalogue_is_what_the_issue_lists():
    assert set(presets.preset_names("ambience")) == {"rain", "wind", "city", "room_tone", "forest", "sea", "night"}
    assert set(presets.preset_names("sfx")) == {"impact", "whoosh", "footsteps", "door", "glass", "click", "riser",
                                                "heartbeat"}
    assert set(presets.preset_names("music")) == {"tense", "warm", "sad", "action"}
    assert set(EXPECT) == {(k, n) for k in (AudioKind.AMBIENCE, AudioKind.SFX, AudioKind.MUSIC)
                           for n in presets.preset_names(k)}


@pytest.mark.parametrize("kind,name", sorted(EXPECT, key=lambda k: (k[0].value, k[1])), ids=lambda v: str(v))
def test_preset_renders_plausibly(kind, name):
    length = {AudioKind.SFX: 0, AudioKind.MUSIC: 2 * SR}.get(kind, 3 * SR)  # 3 s: the sea needs a wave
    x = presets.generator(kind, name)(length, dsp.rng_for("test", name))
    s = _stats(x)
    assert x.ndim == 2 and x.shape[1] == 2 and x.shape[0] > 0.05 * SR
    assert np.isfinite(x).all() and s["peak"] <= 1.0
    assert s["rms_db"] > -50.0, s  # audible (room tone is quiet on purpose, but not silent)
    lo, hi = EXPECT[(kind, name)]
    assert lo <= s["centroid"] <= hi, (name, s)
    assert s["peaks"] >= 3, (name, s)  # not a sine beep: several partials or a broadband spectrum
    if kind is AudioKind.MUSIC:
        assert s["tonality"] > 0.6 and s["peaks"] >= 20, (name, s)  # notes and chords
    elif kind is AudioKind.AMBIENCE and name not in ("night", "forest"):  # crickets and birdsong are tonal
        assert s["tonality"] < 0.1 and s["peaks"] >= 200, (name, s)  # broadband noise beds
    elif kind is AudioKind.AMBIENCE:
        assert s["tonality"] > 0.1, (name, s)  # the crickets / birds are really there


def test_stereo_beds_are_wide():
    x = presets.generator(AudioKind.AMBIENCE, "rain")(SR, dsp.rng_for("wide"))
    assert abs(np.corrcoef(x[:, 0], x[:, 1])[0, 1]) < 0.5


def test_same_seed_same_sound_other_seed_other_sound():
    gen = presets.generator(AudioKind.SFX, "glass")
    a, b, c = gen(0, dsp.rng_for(1)), gen(0, dsp.rng_for(1)), gen(0, dsp.rng_for(2))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_music_moods_differ():
    beds = {m: presets.generator(AudioKind.MUSIC, m)(2 * SR, dsp.rng_for("mood")) for m in ("warm", "action")}
    assert not np.allclose(beds["warm"], beds["action"], atol=1e-3)


@pytest.mark.parametrize("kind,preset,text,expected", [
    ("ambience", "", "heavy rain on tin roof", "rain"),
    ("ambience", "Room Tone", "", "room_tone"),
    ("ambience", "room-tone", "", "room_tone"),
    ("ambience", "", "waves breaking on the shore at night", "sea"),
    ("sfx", "", "door slams shut", "door"),
    ("sfx", "", "a fist hits the table", "impact"),
    ("sfx", "", "the wine glass shatters", "glass"),
    ("music", "", "tense suspense underscore", "tense"),
    ("music", "Warm", "", "warm"),
])
def test_presets_resolve_from_names_and_descriptions(kind, preset, text, expected):
    assert resolve_preset(kind, preset, text) == expected


def test_unresolvable_descriptions_are_clear_errors():
    with pytest.raises(EngineError, match="no sfx preset matches 'a sound'.*impact, whoosh"):
        resolve_preset("sfx", "", "a sound")
    with pytest.raises(EngineError, match="unknown music mood 'jazzy': choose one of tense, warm, sad, action"):
        resolve_preset("music", "jazzy")
