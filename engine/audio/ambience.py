"""Ambience beds synthesized from a seed: rain, wind, city, room tone, forest, sea, night.

Each generator returns `n` stereo samples at 48 kHz, normalized to LEVEL_DB RMS (room tone
quieter), decorrelated between channels so a bed sounds wide rather than inside the head.
"""
from __future__ import annotations

import numpy as np

from . import dsp

SR = dsp.SR
LEVEL_DB = -26.0


def _stereo_bed(n, rng, response, gain: float = 1.0, out: np.ndarray | None = None) -> np.ndarray:
    """Independent shaped noise per side, added into `out` (allocated when None). In place,
    because a minute-long bed is 46 MB per stereo buffer and temporaries add up fast."""
    if out is None:
        out = np.zeros((n, 2))
    for side in range(2):
        channel = dsp.noise(n, rng, response)
        channel *= gain
        out[:, side] += channel
        del channel
    return out


def _sprinkle(out: np.ndarray, rng, rate_hz: float, make, spread: float = 0.9) -> None:
    """Scatter short events (drops, chirps) at Poisson times with random pan."""
    n = out.shape[0]
    count = rng.poisson(rate_hz * n / SR)
    for k, start in enumerate(np.sort(rng.integers(-SR // 4, n, count))):
        if k % 500 == 0:
            dsp.checkpoint()
        event = make(rng)
        angle = (rng.uniform(-spread, spread) + 1) * np.pi / 4  # constant-power pan, side by side
        dsp.add_at(out[:, 0], event * np.cos(angle), int(start))
        dsp.add_at(out[:, 1], event * np.sin(angle), int(start))


def rain(n: int, rng: np.random.Generator) -> np.ndarray:
    out = _stereo_bed(n, rng, lambda f: dsp.highpass(f, 400, 2) * dsp.lowpass(f, 9000, 2) * dsp.tilt(f, -1.5), 0.5)
    _stereo_bed(n, rng, lambda f: dsp.lowpass(f, 180, 2), 0.35, out)

    # A bank of drop sounds reused at random: thousands of drops per shot cost little that way.
    bank = []
    for _ in range(24):
        size = rng.uniform(0.3, 1.0)
        freq = rng.uniform(1800, 5500) / size
        ring = dsp.modal(int(SR * 0.03), [(freq, 1.0, 0.012), (freq * 2.3, 0.4, 0.006)], rng=rng)
        bank.append(ring * size)

    def drop(r):
        return bank[r.integers(len(bank))] * (0.6 * r.uniform(0.1, 0.6))

    _sprinkle(out, rng, 140.0, drop)
    return dsp.normalize_rms(out, LEVEL_DB)


def wind(n: int, rng: np.random.Generator) -> np.ndarray:
    gust_l = dsp.smooth_random(n, rng, 0.3)
    gust_r = np.roll(gust_l, int(0.08 * SR))  # the same gust reaches the other ear a little later
    positions = np.arange(n)

    def shape_for(gust):
        def shape(times, freqs):
            g = np.interp(times[:, 0] * SR, positions, gust)[:, None]
            centre = 380.0 * 2.0 ** (1.1 * g)
            body = dsp.bandpass(freqs, centre, 1.6) * (0.55 + 0.45 * g)
            whistle = dsp.bandpass(freqs, centre * 4.1, 22.0) * 0.25 * np.clip(g, 0, 1)
            rumble = 0.012 * dsp.tilt(freqs, -6.0) * dsp.highpass(freqs, 35)
            return (body + whistle + rumble) * (g + 1.3)
        return shape

    out = np.empty((n, 2))
    out[:, 0] = dsp.spectral_noise(n, rng, shape_for(gust_l))
    out[:, 1] = dsp.spectral_noise(n, rng, shape_for(gust_r))
    return dsp.normalize_rms(out, LEVEL_DB)


def city(n: int, rng: np.random.Generator) -> np.ndarray:
    hubbub = _stereo_bed(n, rng, lambda f: dsp.bandpass(f, 900, 0.7), 0.25)
    hubbub *= (1 + 0.3 * dsp.smooth_random(n, rng, 0.5))[:, None]  # the crowd swells and settles
    out = _stereo_bed(n, rng, lambda f: dsp.lowpass(f, 220, 2) * dsp.highpass(f, 25), 1.0, hubbub)
    # Passing cars: a band of tyre noise that swells and travels across the stereo field.
    for _ in range(max(1, int(n / SR / 2.5))):
        dsp.checkpoint()
        length = int(rng.uniform(3.0, 6.0) * SR)
        start = int(rng.integers(-length // 2, n))
        t = np.linspace(-1, 1, length)
        swell = np.exp(-(t * 2.6) ** 2)
        tyre = dsp.noise(length, rng, lambda f: dsp.bandpass(f, rng.uniform(350, 700), 1.2)) * swell
        direction = rng.choice([-1.0, 1.0])
        dsp.add_at(out, dsp.pan(tyre * rng.uniform(0.6, 1.3), direction * t * 0.9), start)
    # A distant horn now and then: two detuned buzzy tones, heavily low-passed by distance.
    if n > 3 * SR and rng.uniform() < 0.8:
        length = int(rng.uniform(0.3, 0.7) * SR)
        t = np.arange(length) / SR
        f0 = rng.uniform(330, 440)
        tone = sum((0.6 ** k) * np.sin(2 * np.pi * f0 * k * t) + (0.6 ** k) * np.sin(2 * np.pi * f0 * 1.26 * k * t)
                   for k in range(1, 7))
        tone = dsp.fft_filter(dsp.fade(tone, 400, 2000), lambda f: dsp.lowpass(f, 1500, 2)) * 0.08
        dsp.add_at(out, dsp.pan(tone, rng.uniform(-0.7, 0.7)), int(rng.integers(SR, n - length)))
    return dsp.normalize_rms(out, LEVEL_DB)


def room_tone(n: int, rng: np.random.Generator) -> np.ndarray:
    out = _stereo_bed(n, rng, lambda f: dsp.lowpass(f, 1800, 2) * dsp.tilt(f, -3.0) * dsp.highpass(f, 40))
    t = np.arange(n) / SR
    mains = rng.choice([50.0, 60.0])
    hum = sum(a * np.sin(2 * np.pi * mains * k * t + k) for k, a in ((1, 0.05), (2, 0.03), (3, 0.015)))
    del t
    _stereo_bed(n, rng, lambda f: dsp.bandpass(f, 140, 2.0), 0.2, out)
    out += hum[:, None]
    return dsp.normalize_rms(out, LEVEL_DB - 14.0)


def forest(n: int, rng: np.random.Generator) -> np.ndarray:
    out = _stereo_bed(n, rng, lambda f: dsp.bandpass(f, 2800, 0.8) * dsp.lowpass(f, 7000, 2), 0.2)
    out *= (0.7 + 0.3 * dsp.smooth_random(n, rng, 0.4))[:, None]  # leaves stir with the breeze

    species = [(rng.uniform(2500, 4200), rng.uniform(0.05, 0.12), rng.uniform(-1, 1)) for _ in range(3)]

    def chirp(r):
        base, length_s, sweep = species[r.integers(len(species))]
        notes = []
        for _ in range(r.integers(1, 5)):  # a short phrase of two-to-four notes
            m = int(length_s * SR)
            t = np.arange(m) / SR
            freq = base * (1 + 0.25 * sweep * t / length_s) * (1 + 0.04 * np.sin(2 * np.pi * 38 * t))
            note = np.sin(2 * np.pi * np.cumsum(freq) / SR) + 0.2 * np.sin(4 * np.pi * np.cumsum(freq) / SR)
            notes += [note * np.sin(np.pi * np.arange(m) / m) ** 2, np.zeros(int(0.04 * SR))]
        return np.concatenate(notes) * r.uniform(0.4, 1.0)

    _sprinkle(out, rng, 1.2, chirp)
    return dsp.normalize_rms(out, LEVEL_DB)


def sea(n: int, rng: np.random.Generator) -> np.ndarray:
    hop = 1024
    period = rng.uniform(6.0, 9.0)
    phase = rng.uniform(0, 1, 2)

    def shape_for(ph):
        def shape(times, freqs):
            # each wave: a slow build, the break (highs open up), then a long foamy wash
            cycle = ((times / period) + ph) % 1.0
            swell = np.where(cycle < 0.55, (cycle / 0.55) ** 2, np.exp(-(cycle - 0.55) * 5.0))
            cutoff = 250.0 + 5200.0 * swell ** 1.5
            return (0.15 + swell) * dsp.lowpass(freqs, cutoff, 2) * dsp.tilt(freqs, -2.0) * dsp.highpass(freqs, 30)
        return shape

    out = np.empty((n, 2))
    for side, ph in enumerate((phase[0], phase[0] + 0.04)):  # the other ear hears the wave a moment later
        out[:, side] = dsp.spectral_noise(n, rng, shape_for(ph), hop=hop)
    return dsp.normalize_rms(out, LEVEL_DB)


def night(n: int, rng: np.random.Generator) -> np.ndarray:
    out = _stereo_bed(n, rng, lambda f: dsp.lowpass(f, 500, 2) * dsp.highpass(f, 60), 0.3)
    t = np.arange(n) / SR
    for _ in range(4):  # a few crickets, each with its own pitch, pulse rate and place
        carrier = rng.uniform(3800, 5200)
        rate = rng.uniform(2.5, 4.5)      # chirps per second
        pulses = rng.integers(3, 6)       # wing strokes per chirp
        t_local = (t + rng.uniform(0, 1)) * rate % 1.0
        stroke = (t_local * pulses * 2.5) % 1.0
        gate = (t_local < 0.4) * np.sin(np.pi * stroke) ** 2
        cricket = np.sin(2 * np.pi * carrier * t) * gate * rng.uniform(0.25, 0.45)
        del t_local, stroke, gate
        dsp.checkpoint()
        angle = (rng.uniform(-0.8, 0.8) + 1) * np.pi / 4  # constant-power pan, added side by side
        out[:, 0] += cricket * np.cos(angle)
        out[:, 1] += cricket * np.sin(angle)
    return dsp.normalize_rms(out, LEVEL_DB)


PRESETS = {"rain": rain, "wind": wind, "city": city, "room_tone": room_tone, "forest": forest, "sea": sea,
           "night": night}
ALIASES = {"room": "room_tone", "roomtone": "room_tone", "ocean": "sea"}
KEYWORDS = {
    "rain": ("rain", "drizzle", "downpour", "storm", "shower", "thunder"),
    "wind": ("wind", "gust", "breeze", "gale", "blizzard", "howl"),
    "city": ("city", "traffic", "street", "urban", "cars", "downtown", "crowd"),
    "room_tone": ("room tone", "room", "interior", "office", "hum", "quiet", "indoor"),
    "forest": ("forest", "woods", "bird", "jungle", "trees", "leaves"),
    "sea": ("sea", "ocean", "wave", "surf", "beach", "shore", "harbour", "harbor", "coast"),
    "night": ("night", "cricket", "insect", "crickets"),
}
