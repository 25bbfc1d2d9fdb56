"""Sound effects synthesized from a seed: impact, whoosh, footsteps, door, glass, click, riser, heartbeat.

Every effect's first sound is at sample 0 (no pre-roll), so a cue's onset is where the ear hears it.
Generators take the wanted length in samples (0 = the effect's natural length) and return stereo
float64 peaking at PEAK_DB. Lengths that repeat (footsteps, heartbeat) fill the length; one-shots
(impact, glass) are cut with a short fade when a shorter length is asked for.
"""
from __future__ import annotations

import numpy as np

from . import dsp

SR = dsp.SR
PEAK_DB = -6.0


def _finish(sound: np.ndarray, n: int, rng, width: float = 0.0, room: float = 0.0) -> np.ndarray:
    """Centre a mono sound, add a little room (the convolution is causal: the onset stays dry and
    sharp), fit it to n samples (fading a cut tail) and normalize its peak."""
    x = dsp.pan(sound, 0.0) * np.sqrt(2) if sound.ndim == 1 else sound
    if room > 0:
        x = dsp.reverb(x, rng, t60=0.7, wet=room, predelay_s=0.006, brightness_hz=5000)
    if width > 0:  # a touch of inter-ear delay so it is not glued to the centre
        x[:, 1] = np.roll(x[:, 1], int(width * 0.0006 * SR))
    out = np.zeros((n, 2))
    out[:min(n, x.shape[0])] = x[:n]
    if x.shape[0] > n:
        dsp.fade(out, 0, min(n, int(0.03 * SR)))
    return dsp.normalize_peak(out, PEAK_DB)


def _length(n: int, natural_s: float) -> int:
    return n if n > 0 else int(natural_s * SR)


def impact(n: int, rng: np.random.Generator) -> np.ndarray:
    n = _length(n, 1.6)
    m = int(1.6 * SR)
    thump = dsp.glide_sine(m, 110.0, 42.0, 0.04) * dsp.attack_decay(m, 0.0005, 0.5)
    crack = dsp.noise(m, rng, lambda f: dsp.lowpass(f, 2500, 2)) * dsp.decay(m, 0.06) * 0.5
    # the struck body's first modes: inharmonic, higher ones dying sooner
    body = dsp.modal(m, [(rng.uniform(95, 130), 0.5, 0.5), (rng.uniform(230, 290), 0.3, 0.35),
                         (rng.uniform(410, 520), 0.2, 0.2), (rng.uniform(700, 900), 0.1, 0.12)])
    return _finish(thump + crack + body * 0.6, n, rng, room=0.15)


def whoosh(n: int, rng: np.random.Generator) -> np.ndarray:
    n = _length(n, 0.8)
    peak_at = 0.55

    def shape(times, freqs):
        pos = np.clip(times / (n / SR), 0, 1)
        centre = 250.0 * 2.0 ** (3.5 * np.sin(np.pi * pos) ** 2)  # up to ~2.8 kHz at the pass-by
        bell = np.exp(-((pos - peak_at) / 0.22) ** 2)
        return dsp.bandpass(freqs, centre, 1.3) * dsp.lowpass(freqs, 5000, 2) * bell

    body = dsp.spectral_noise(n + 2048, rng, shape, hop=256)[:n]
    # Start on the first audible grain: a whoosh has no attack transient, so its onset is soft.
    travel = np.linspace(-0.8, 0.8, n)
    return _finish(dsp.pan(body, travel) * np.sqrt(2), n, rng)


def _step(rng: np.random.Generator, weight: float) -> np.ndarray:
    m = int(0.22 * SR)
    heel = dsp.glide_sine(m, 160.0, 70.0, 0.015) * dsp.attack_decay(m, 0.0005, 0.08) * weight
    grit = dsp.noise(m, rng, lambda f: dsp.bandpass(f, rng.uniform(1500, 2800), 0.9)) * dsp.decay(m, 0.05) * 0.6
    toe_at = int(rng.uniform(0.06, 0.09) * SR)
    toe = np.zeros(m)
    toe[toe_at:] = grit[:m - toe_at] * 0.5 * dsp.decay(m - toe_at, 0.04)
    return heel + grit * 0.8 + toe


def footsteps(n: int, rng: np.random.Generator) -> np.ndarray:
    n = _length(n, 2.5)
    out = np.zeros(n + SR)
    pace = rng.uniform(0.48, 0.58)  # seconds per step: a walk
    at = 0.0
    k = 0
    while at * SR < n:
        dsp.checkpoint()
        step = _step(rng, 1.0 if k % 2 == 0 else 0.8) * rng.uniform(0.8, 1.0)
        dsp.add_at(out, step, int(at * SR))
        at += pace * rng.uniform(0.95, 1.05)
        k += 1
    return _finish(out[:n], n, rng, width=1.0, room=0.12)


def door(n: int, rng: np.random.Generator) -> np.ndarray:
    n = _length(n, 2.2)
    m = int(2.2 * SR)
    out = np.zeros(m)
    # latch: two metallic clicks
    for at, amp in ((0, 1.0), (int(0.07 * SR), 0.6)):
        latch = dsp.modal(int(0.05 * SR), [(3100, amp, 0.02), (5200, amp * 0.5, 0.012), (1900, amp * 0.4, 0.03)])
        dsp.add_at(out, latch, at)
    # creak: stick-slip pulses at a wandering rate, rung through the door's wooden resonances
    c0, c1 = int(0.25 * SR), int(1.3 * SR)
    t = np.arange(c1 - c0) / SR
    rate = 45 + 25 * np.sin(2 * np.pi * 0.8 * t + rng.uniform(0, 6)) + 10 * dsp.smooth_random(t.size, rng, 6)
    pulses = (np.diff(np.floor(np.cumsum(rate) / SR), prepend=0) > 0).astype(float)
    creak = dsp.fft_filter(pulses, lambda f: dsp.bandpass(f, 720, 4) + 0.7 * dsp.bandpass(f, 1350, 6)
                           + 0.4 * dsp.bandpass(f, 2300, 8))
    out[c0:c1] += dsp.fade(creak, 2000, 4000) * 0.35 / (np.abs(creak).max() + 1e-9)
    # close: a low wooden thump and a rattle
    thud_at = int(1.45 * SR)
    k = m - thud_at
    thud = dsp.glide_sine(k, 95, 55, 0.05) * dsp.attack_decay(k, 0.001, 0.35)
    thud += dsp.modal(k, [(180, 0.4, 0.25), (340, 0.25, 0.18), (610, 0.12, 0.1)])
    thud += dsp.noise(k, rng, lambda f: dsp.lowpass(f, 1800)) * dsp.decay(k, 0.05) * 0.3
    out[thud_at:] += thud
    return _finish(out, n, rng, room=0.2)


def glass(n: int, rng: np.random.Generator) -> np.ndarray:
    n = _length(n, 2.0)
    m = int(2.0 * SR)
    base = rng.uniform(1700, 2300)
    ratios = (1.0, 2.32, 4.25, 6.63, 9.38)  # free-plate-like, inharmonic
    strike = dsp.modal(m, [(base * r, 1.0 / (1 + i), 1.2 / (1 + i * 0.6)) for i, r in enumerate(ratios)], rng=rng)
    burst = dsp.noise(m, rng, lambda f: dsp.highpass(f, 2500)) * dsp.decay(m, 0.05)
    out = strike * 0.5 + burst * 0.7
    # shatter: a shower of small shards over the next second, each its own tiny resonator
    stereo = dsp.pan(out, 0.0) * np.sqrt(2)
    for _ in range(45):
        at = int(rng.exponential(0.25) * SR)
        if at >= m:
            continue
        f = rng.uniform(3000, 9000)
        shard = dsp.modal(int(0.25 * SR), [(f, 1.0, rng.uniform(0.05, 0.2)), (f * 1.73, 0.5, 0.08)], rng=rng)
        dsp.add_at(stereo, dsp.pan(shard * rng.uniform(0.05, 0.3), rng.uniform(-0.8, 0.8)), at)
    return _finish(stereo, n, rng, room=0.15)


def click(n: int, rng: np.random.Generator) -> np.ndarray:
    n = _length(n, 0.12)
    m = int(0.12 * SR)
    tick = dsp.modal(m, [(rng.uniform(2800, 3400), 1.0, 0.012), (rng.uniform(5500, 6500), 0.5, 0.006),
                         (1200, 0.3, 0.02)])
    tick[:96] += dsp.noise(96, rng) * np.linspace(1, 0, 96) * 0.5  # the snap of the contact
    return _finish(tick, n, rng)


def riser(n: int, rng: np.random.Generator) -> np.ndarray:
    n = _length(n, 3.0)
    dur = n / SR

    def shape(times, freqs):
        pos = np.clip(times / dur, 0, 1)
        centre = 200.0 * 30.0 ** pos
        return dsp.bandpass(freqs, centre, 2.0) * (0.1 + pos ** 2)

    air = dsp.spectral_noise(n, rng, shape, hop=512)
    t = np.arange(n) / SR
    pos = t / dur
    tones = np.zeros(n)
    for detune in (0.997, 1.0, 1.004):  # three detuned saw-ish voices gliding up an octave and a half
        freq = 110.0 * detune * 2.0 ** (1.5 * pos ** 1.5)
        phase = 2 * np.pi * np.cumsum(freq) / SR
        tones += sum(np.sin(k * phase) / k for k in range(1, 9))
    env = (0.02 + pos ** 2.2)
    body = dsp.normalize_rms(air, -20) + dsp.normalize_rms(tones * env, -22)
    body = body * np.minimum(1.0, np.arange(n) / (0.005 * SR) + 0.05)  # first sample audible, no click
    stereo = np.stack([body, np.roll(body, 29)], axis=1)
    return _finish(stereo, n, rng)


def heartbeat(n: int, rng: np.random.Generator) -> np.ndarray:
    n = _length(n, 3.0)
    bpm = rng.uniform(66, 78)
    out = np.zeros(n + SR)
    beat = int(60.0 / bpm * SR)
    m = int(0.18 * SR)
    for at in range(0, n, beat):
        dsp.checkpoint()
        for offset, amp in ((0, 1.0), (int(0.26 * SR), 0.7)):  # lub ... dub
            thump = dsp.glide_sine(m, 75.0, 42.0, 0.03) * dsp.attack_decay(m, 0.001, 0.12) * amp
            dsp.add_at(out, thump, at + offset)
    muffled = dsp.fft_filter(out[:n], lambda f: dsp.lowpass(f, 180, 2))
    muffled[:8] = out[:8]  # keep the onset sharp: the zero-phase filter smears a little ahead
    return _finish(muffled, n, rng)


PRESETS = {"impact": impact, "whoosh": whoosh, "footsteps": footsteps, "door": door, "glass": glass,
           "click": click, "riser": riser, "heartbeat": heartbeat}
ALIASES = {"hit": "impact", "footstep": "footsteps", "steps": "footsteps", "swoosh": "whoosh",
           "heart": "heartbeat", "heart_beat": "heartbeat"}
KEYWORDS = {
    "door": ("door", "knock", "latch", "creak"),
    "glass": ("glass", "shatter", "window", "bottle", "smash"),
    "footsteps": ("footstep", "steps", "walk", "running", "stride"),
    "heartbeat": ("heartbeat", "heart", "pulse"),
    "whoosh": ("whoosh", "swoosh", "swish", "woosh", "swing", "fly by", "passes"),
    "riser": ("riser", "rise", "build", "swell", "rising"),
    "click": ("click", "switch", "button", "tick", "lock", "trigger"),
    "impact": ("impact", "hit", "punch", "thud", "bang", "crash", "slam", "boom", "blow"),
}
