"""Music beds by mood (tense, warm, sad, action): a tiny seeded sequencer with pads, plucked
arpeggios, bass and (for action) drums, put in a room with convolution reverb.

The seed picks the key and small variations, so two shots of a sequence with the same mood and
seed share a bed, and the same cue always renders the same bytes.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from . import dsp

SR = dsp.SR
LEVEL_DB = -22.0
_TABLE_LEN = 4096


def _hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


def _wavetable(harmonics: tuple[float, ...]) -> np.ndarray:
    phase = np.arange(_TABLE_LEN + 1) / _TABLE_LEN
    return sum(a * np.sin(2 * np.pi * (k + 1) * phase) for k, a in enumerate(harmonics)).astype(np.float32)


_PAD_TABLE = _wavetable(tuple(0.8 ** k / (k + 1) for k in range(8)))       # soft saw
_ORGAN_TABLE = _wavetable((1.0, 0.0, 0.35, 0.0, 0.15, 0.0, 0.07))          # hollow, for tense drones


def _osc(table: np.ndarray, freqs, n: int, phases, vibrato: float = 0.0) -> np.ndarray:
    """Detuned band-limited wavetable voices summed (linear interpolation, float32: this is the
    bed's hot loop). Vibrato is applied as phase modulation, shared by the voices."""
    t = np.arange(n, dtype=np.float64) / SR
    wobble = (vibrato * freqs[0] / (2 * np.pi * 5.1)) * np.sin(2 * np.pi * 5.1 * t) if vibrato else 0.0
    out = np.zeros(n, dtype=np.float32)
    for freq, phase0 in zip(freqs, phases):
        pos = ((phase0 + freq * t + wobble) % 1.0).astype(np.float32) * np.float32(_TABLE_LEN)
        i = np.minimum(pos.astype(np.int32), _TABLE_LEN - 1)  # float32 rounding can reach the end
        frac = pos - i
        out += table[i] + (table[i + 1] - table[i]) * frac
    return out


def _ar(n: int, attack: float, release: float) -> np.ndarray:
    env = np.ones(n)
    a, r = min(n, int(attack * SR)), min(n, int(release * SR))
    if a:
        env[:a] = np.linspace(0, 1, a) ** 2
    if r:
        env[n - r:] *= np.linspace(1, 0, r) ** 2
    return env


def pad_note(midi: float, n: int, organ: bool = False, attack: float = 0.35, release: float = 0.6) -> np.ndarray:
    table = _ORGAN_TABLE if organ else _PAD_TABLE
    detune = (0.996, 1.0, 1.0045)
    voices = _osc(table, [_hz(midi) * d for d in detune], n, [(midi * 0.137 * (k + 1)) % 1.0 for k in range(3)],
                  vibrato=0.002)
    return voices / 3 * _ar(n, attack, release)


def pluck_note(midi: float, n: int, t60: float = 1.2, bright: float = 1.0) -> np.ndarray:
    """Additive plucked string: higher partials die faster, which is what makes it sound plucked."""
    # float32: sin/exp run twice as fast and a plucked note needs no more precision than that
    i = np.arange(n, dtype=np.float32)
    f0 = _hz(midi)
    out = np.zeros(n, dtype=np.float32)
    for k in range(1, 9):
        if f0 * k > SR / 2.2:
            break
        omega = np.float32(2 * np.pi * f0 * k * (1 + 0.0004 * k * k) / SR)
        damping = np.float32(-6.9078 * k ** 0.7 / (SR * t60))
        out += np.float32((bright ** k) / k) * np.sin(omega * i) * np.exp(damping * i)
    return out * _ar(n, 0.002, 0.03)


def bass_note(midi: float, n: int) -> np.ndarray:
    t = np.arange(n) / SR
    f0 = _hz(midi)
    tone = np.sin(2 * np.pi * f0 * t) + 0.35 * np.sin(4 * np.pi * f0 * t) + 0.12 * np.sin(6 * np.pi * f0 * t)
    return tone * dsp.attack_decay(n, 0.005, 1.6) * _ar(n, 0.0, 0.04)


def kick(rng) -> np.ndarray:
    m = int(0.35 * SR)
    return dsp.glide_sine(m, 150, 48, 0.03) * dsp.attack_decay(m, 0.001, 0.3)


def snare(rng) -> np.ndarray:
    m = int(0.25 * SR)
    body = dsp.glide_sine(m, 240, 180, 0.02) * dsp.decay(m, 0.08) * 0.6
    rattle = dsp.noise(m, rng, lambda f: dsp.bandpass(f, 3500, 0.8)) * dsp.decay(m, 0.15) * 0.5
    return body + rattle


def hat(rng) -> np.ndarray:
    m = int(0.06 * SR)
    return dsp.noise(m, rng, lambda f: dsp.highpass(f, 7000, 2)) * dsp.decay(m, 0.04) * 0.25


@dataclass(frozen=True)
class Mood:
    tempo: float
    root: int                          # MIDI note of the key
    chords: tuple[tuple[int, ...], ...]  # semitones above the root, one chord per bar
    pad: float                         # mix levels of the parts
    arp: float
    bass: float
    drums: float
    arp_step: float                    # beats per arpeggio note
    t60: float                         # reverb
    wet: float


MOODS = {
    "tense": Mood(96, 50, ((0, 3, 7), (1, 5, 8), (0, 3, 7), (0, 3, 6)), pad=0.9, arp=0.5, bass=0.8, drums=0.0,
                  arp_step=0.5, t60=2.6, wet=0.35),
    "warm": Mood(84, 60, ((0, 4, 7), (9, 12, 16), (5, 9, 12), (7, 11, 14)), pad=0.6, arp=0.7, bass=0.6, drums=0.0,
                 arp_step=0.5, t60=1.8, wet=0.25),
    "sad": Mood(66, 57, ((0, 3, 7), (-4, 0, 3), (3, 7, 10), (-2, 2, 5)), pad=0.7, arp=0.8, bass=0.5, drums=0.0,
                arp_step=1.0, t60=2.8, wet=0.35),
    "action": Mood(140, 52, ((0, 3, 7), (-4, 0, 3), (-2, 2, 5), (0, 3, 7)), pad=0.35, arp=0.5, bass=0.9,
                   drums=0.9, arp_step=0.25, t60=1.0, wet=0.15),
}
ALIASES = {"suspense": "tense", "happy": "warm", "melancholy": "sad", "chase": "action", "tension": "tense"}
KEYWORDS = {
    "tense": ("tense", "suspense", "dread", "menace", "thriller", "dark", "tension", "ominous", "horror"),
    "warm": ("warm", "happy", "love", "gentle", "hopeful", "romantic", "tender", "light"),
    "sad": ("sad", "melanchol", "grief", "somber", "sombre", "mourn", "lonely", "loss"),
    "action": ("action", "chase", "fight", "energetic", "epic", "battle", "race", "driving"),
}


def render(mood_name: str, n: int, rng: np.random.Generator) -> np.ndarray:
    mood = MOODS[mood_name]
    # Notes repeat a lot inside a bed (arpeggios, held chords): render each distinct one once
    # per bed (a local cache, freed with the bed). The cached arrays are only read.
    pad, pluck, bass = (lru_cache(maxsize=None)(f) for f in (pad_note, pluck_note, bass_note))
    root = mood.root + int(rng.integers(-2, 3))
    beat = 60.0 / mood.tempo
    bar = int(4 * beat * SR)
    tail = int(mood.t60 * SR)
    buf = np.zeros((n + tail, 2))
    left, right = buf[:, 0], buf[:, 1]  # views: notes are added per side
    n_bars = n // bar + 1
    pattern = rng.permutation(4) if rng.uniform() < 0.5 else np.array([0, 1, 2, 1])
    for b in range(n_bars):
        dsp.checkpoint()
        chord = mood.chords[b % len(mood.chords)]
        at = b * bar
        # pad: the whole chord held for the bar (an octave below middle for weight)
        for i, semis in enumerate(chord):
            note = pad(root + semis - 12 + (12 if i == 2 and mood_name == "tense" else 0), bar + int(0.4 * SR),
                            organ=mood_name == "tense")
            spread = (i - 1) * 0.5
            dsp.add_at(left, note * mood.pad * 0.35 * (1 - spread * 0.5), at)
            dsp.add_at(right, note * mood.pad * 0.35 * (1 + spread * 0.5), at)
        # arpeggio: chord tones in a seeded order, an octave up
        step = int(mood.arp_step * beat * SR)
        tones = [root + chord[j % len(chord)] + 12 * (j // len(chord)) for j in pattern]
        for k in range(int(4 / mood.arp_step)):
            midi = tones[k % len(tones)] + (12 if mood_name != "tense" else 0)
            length = int((0.7 if mood_name == "action" else 1.6) * SR)
            note = pluck(midi, length, t60=1.4 if mood_name != "action" else 0.5,
                              bright=0.75 if mood_name in ("warm", "sad") else 0.6)
            accent = 1.0 if k % 4 == 0 else 0.75
            position = 0.35 * np.sin(k * 1.7)
            stereo = dsp.pan(note * mood.arp * 0.3 * accent, position)
            dsp.add_at(left, stereo[:, 0], at + k * step)
            dsp.add_at(right, stereo[:, 1], at + k * step)
        # bass: root on the beat (eighths for action and tense)
        bass_step = 0.5 if mood_name in ("action", "tense") else 2.0
        bstep = int(bass_step * beat * SR)
        for k in range(int(4 / bass_step)):
            note = bass(root + chord[0] - 24, int(bstep * 0.95)) * mood.bass * 0.35
            dsp.add_at(left, note, at + k * bstep)
            dsp.add_at(right, note, at + k * bstep)
        if mood.drums:
            if b == 0:
                kit = (kick(rng), snare(rng), [hat(rng) for _ in range(4)])
            beat_n = int(beat * SR)
            for k in range(4):
                hit = kit[0] if k % 2 == 0 else kit[1]
                for side in (left, right):
                    dsp.add_at(side, hit * mood.drums * 0.5, at + k * beat_n)
                for j, half in enumerate((0, beat_n // 2)):
                    h = kit[2][(2 * k + j) % 4] * mood.drums
                    dsp.add_at(left, h * 0.8, at + k * beat_n + half)
                    dsp.add_at(right, h, at + k * beat_n + half)
    wet = dsp.reverb(buf[:n], rng, t60=mood.t60, wet=mood.wet, predelay_s=0.02, brightness_hz=5000)
    return dsp.normalize_rms(wet, LEVEL_DB)


PRESETS = {name: (lambda name: lambda n, rng: render(name, n, rng))(name) for name in MOODS}
