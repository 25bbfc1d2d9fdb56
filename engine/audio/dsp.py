"""Small offline DSP kit the synthesizers share (numpy only, deterministic).

Everything renders a whole buffer at once, so filters work in the frequency domain (zero phase,
no per-sample Python loops) and time-varying noise is built by spectral overlap-add. Signals
are float64; mono is (n,), stereo is (n, 2).
"""
from __future__ import annotations

import contextlib
import hashlib
import threading
from functools import lru_cache
from math import gcd
from typing import Callable

import numpy as np

SR = 48000

# The cancel token of the render running on this thread: long loops call checkpoint() so a
# cancelled job stops mid-bed instead of after it (the runner promises ~200 ms).
_current = threading.local()


@contextlib.contextmanager
def cancellable(token):
    previous = getattr(_current, "token", None)
    _current.token = token
    try:
        yield
    finally:
        _current.token = previous


def checkpoint() -> None:
    token = getattr(_current, "token", None)
    if token is not None:
        token.raise_if_cancelled()


def rng_for(*parts) -> np.random.Generator:
    """A generator seeded from any printable parts (stable across runs and machines)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return np.random.Generator(np.random.PCG64(int.from_bytes(digest[:16], "little")))


def db(x: float) -> float:
    return 10.0 ** (x / 20.0)


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x)))) if x.size else 0.0


def normalize_rms(x: np.ndarray, target_db: float) -> np.ndarray:
    """Scale x in place (and return it) to an RMS of target_db: callers pass buffers they own."""
    level = rms(x)
    if level > 1e-12:
        x *= db(target_db) / level
    return x


def normalize_peak(x: np.ndarray, target_db: float) -> np.ndarray:
    """Scale x in place (and return it) to a peak of target_db."""
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak > 1e-12:
        x *= db(target_db) / peak
    return x


# --- filters (magnitude responses, applied with zero phase) -----------------------------------

def lowpass(f: np.ndarray, fc: float, order: int = 2) -> np.ndarray:
    return 1.0 / np.sqrt(1.0 + (f / fc) ** (2 * order))


def highpass(f: np.ndarray, fc: float, order: int = 2) -> np.ndarray:
    ratio = np.divide(fc, f, out=np.full_like(f, 1e12), where=f > 0)
    return 1.0 / np.sqrt(1.0 + ratio ** (2 * order))


def bandpass(f: np.ndarray, fc, q: float) -> np.ndarray:
    """A resonance at fc (scalar or broadcastable array) with quality q, peak gain 1."""
    fc = np.asarray(fc, dtype=np.float64)
    x = np.divide(f, fc, out=np.zeros(np.broadcast(f, fc).shape), where=fc > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        detune = np.where(x > 0, x - 1.0 / np.maximum(x, 1e-9), -1e9)
    return 1.0 / np.sqrt(1.0 + (q * detune) ** 2)


def tilt(f: np.ndarray, db_per_octave: float, ref: float = 1000.0) -> np.ndarray:
    """Spectral slope: -3 dB/oct is pink, -6 dB/oct brown."""
    return (np.maximum(f, 20.0) / ref) ** (db_per_octave / 6.0206)


def fft_filter(x: np.ndarray, response: Callable[[np.ndarray], np.ndarray], sr: int = SR) -> np.ndarray:
    """Filter along axis 0 with a zero-phase magnitude response (padded so the wrap stays silent)."""
    n = x.shape[0]
    size = _fast_len(n + min(n, sr // 2))
    spec = np.fft.rfft(x, size, axis=0)
    gain = response(np.fft.rfftfreq(size, 1.0 / sr))
    if x.ndim == 2:
        gain = gain[:, None]
    return np.fft.irfft(spec * gain, size, axis=0)[:n]


def _fast_len(n: int) -> int:
    size = 1
    while size < n:
        size *= 2
    for cand in (size * 3 // 4, size * 5 // 8):  # smaller sizes with small prime factors
        if cand >= n:
            size = min(size, cand)
    return size


def noise(n: int, rng: np.random.Generator, response=None, sr: int = SR) -> np.ndarray:
    """Gaussian noise shaped by a magnitude response, normalized to RMS 1. Drawn directly as a
    random spectrum (one inverse FFT instead of filtering white noise: half the work)."""
    checkpoint()
    if response is None or n == 0:
        return normalize_rms(rng.standard_normal(n), 0.0)
    size = _fast_len(n)
    bins = size // 2 + 1
    spec = rng.standard_normal(2 * bins).view(np.complex128)  # independent real/imaginary parts, no copies
    spec *= response(np.fft.rfftfreq(size, 1.0 / sr))
    spec[0] = 0.0  # no DC offset in a bed
    return normalize_rms(np.fft.irfft(spec, size)[:n], 0.0)


def spectral_noise(n: int, rng: np.random.Generator, shape: Callable[[np.ndarray, np.ndarray], np.ndarray],
                   sr: int = SR, hop: int = 1024) -> np.ndarray:
    """Noise whose spectrum changes over time: shape(times (F,1), freqs (1,B)) -> magnitude (F,B).

    Each frame is random-phase noise with that magnitude, Hann-windowed and overlap-added at 50 %,
    which sums to a constant gain, so the level follows the shape smoothly.
    """
    win_len = 2 * hop
    frames = n // hop + 2
    freqs = np.fft.rfftfreq(win_len, 1.0 / sr)[None, :]
    window = np.hanning(win_len)[None, :]
    out = np.zeros((frames + 1) * hop)
    chunk = 128  # frames per batch: bounded memory and a cancel check every ~3 s of sound
    for first in range(0, frames, chunk):
        checkpoint()
        count = min(chunk, frames - first)
        times = ((np.arange(first, first + count) - 0.5) * hop / sr)[:, None]
        mag = np.asarray(shape(times, freqs), dtype=np.float64)
        phase = rng.uniform(0, 2 * np.pi, mag.shape)
        grains = np.fft.irfft(mag * np.exp(1j * phase), win_len, axis=1) * window
        for k in range(count):
            i = first + k
            out[i * hop:i * hop + win_len] += grains[k]
    return out[hop:hop + n] * np.sqrt(win_len)


def smooth_random(n: int, rng: np.random.Generator, rate_hz: float, sr: int = SR) -> np.ndarray:
    """A slowly wandering control signal in about [-1, 1] (gusts, swells, traffic)."""
    knots = max(4, int(n / sr * rate_hz) + 4)
    values = rng.uniform(-1, 1, knots)
    pos = np.linspace(0, knots - 3, n)
    i = np.floor(pos).astype(int)
    t = pos - i
    t = t * t * (3 - 2 * t)  # smoothstep between knots: no corners you can hear
    return values[i] * (1 - t) + values[i + 1] * t


# --- envelopes and tones ------------------------------------------------------------------

def decay(n: int, t60: float, sr: int = SR) -> np.ndarray:
    """Exponential decay reaching -60 dB after t60 seconds."""
    return np.exp(-6.9078 * np.arange(n) / (sr * max(t60, 1e-4)))


def fade(x: np.ndarray, fade_in: int = 0, fade_out: int = 0) -> np.ndarray:
    """Raised-cosine fades in place on axis 0 (returns x)."""
    n = x.shape[0]
    for length, at_end in ((min(fade_in, n), False), (min(fade_out, n), True)):
        if length <= 0:
            continue
        ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(length) + 0.5) / length)
        region = slice(n - length, n) if at_end else slice(0, length)
        ramp = ramp[::-1] if at_end else ramp
        x[region] *= ramp if x.ndim == 1 else ramp[:, None]
    return x


def attack_decay(n: int, attack_s: float, t60: float, sr: int = SR) -> np.ndarray:
    env = decay(n, t60, sr)
    a = min(n, max(1, int(attack_s * sr)))
    env[:a] *= np.linspace(0, 1, a, endpoint=False) + 1.0 / a
    return env


def modal(n: int, modes, sr: int = SR, rng: np.random.Generator | None = None) -> np.ndarray:
    """Sum of damped sinusoids [(freq Hz, amplitude, t60 s), ...]: struck objects. Starts at sample 0."""
    t = np.arange(n) / sr
    out = np.zeros(n)
    for k, (freq, amp, t60) in enumerate(modes):
        if freq >= sr / 2:
            continue
        phase = rng.uniform(0, 0.3) if rng is not None else 0.0
        out += amp * np.sin(2 * np.pi * freq * t + phase) * decay(n, t60, sr)
    return out


def glide_sine(n: int, f0: float, f1: float, time_const: float, sr: int = SR) -> np.ndarray:
    """A sine whose pitch falls exponentially from f0 to f1 (kicks, thumps, heartbeats)."""
    t = np.arange(n) / sr
    freq = f1 + (f0 - f1) * np.exp(-t / time_const)
    return np.sin(2 * np.pi * np.cumsum(freq) / sr)


def pan(mono: np.ndarray, position) -> np.ndarray:
    """Constant-power pan; position -1 (left) .. +1 (right), scalar or per sample."""
    angle = (np.clip(position, -1, 1) + 1) * np.pi / 4
    return np.stack([mono * np.cos(angle), mono * np.sin(angle)], axis=1)


def add_at(dest: np.ndarray, src: np.ndarray, start: int) -> None:
    """Mix src into dest at start (clipped at both ends)."""
    if start >= dest.shape[0] or start + src.shape[0] <= 0:
        return
    lo = max(0, -start)
    hi = min(src.shape[0], dest.shape[0] - start)
    dest[start + lo:start + hi] += src[lo:hi]


# --- reverb -------------------------------------------------------------------------------

def reverb(x: np.ndarray, rng: np.random.Generator, t60: float = 1.8, wet: float = 0.25,
           predelay_s: float = 0.012, brightness_hz: float = 6000.0, sr: int = SR) -> np.ndarray:
    """Stereo convolution reverb with a synthetic impulse response (decorrelated decaying noise
    that darkens as it decays, like air and walls absorb highs). Output keeps x's length.
    A stereo x is consumed (scaled in place to become the dry part): long beds are big."""
    checkpoint()
    stereo = x if x.ndim == 2 else np.stack([x, x], axis=1)
    length = int(t60 * sr)
    pre = int(predelay_s * sr)
    ir = np.zeros((pre + length, 2))
    body = rng.standard_normal((length, 2)) * decay(length, t60, sr)[:, None]
    dark = fft_filter(body, lambda f: lowpass(f, brightness_hz * 0.35, 1), sr)
    mix_curve = np.linspace(0, 1, length)[:, None]
    ir[pre:] = body * (1 - mix_curve) + dark * mix_curve
    ir /= np.sqrt(np.sum(ir ** 2, axis=0, keepdims=True)) + 1e-12
    out = convolve(stereo, ir)
    out *= wet
    stereo *= 1 - wet
    out += stereo
    return out


def convolve(x: np.ndarray, ir: np.ndarray, block: int = 1 << 17) -> np.ndarray:
    """Per-channel FFT convolution, overlap-added block by block (same result as one big FFT,
    bounded memory, and a cancel check per ~2.7 s block). Output keeps x's length."""
    n, taps = x.shape[0], ir.shape[0]
    size = _fast_len(min(n, block) + taps)
    ir_spec = np.fft.rfft(ir, size, axis=0)
    out = np.zeros((n + size,) + x.shape[1:])
    for lo in range(0, n, block):
        checkpoint()
        part = x[lo:lo + block]
        out[lo:lo + size] += np.fft.irfft(np.fft.rfft(part, size, axis=0) * ir_spec, size, axis=0)
    return out[:n]


# --- resampling ----------------------------------------------------------------------------

_HALF_TAPS = 24  # zero crossings each side at unity ratio: ~100 dB stopband with Kaiser beta 10
_BETA = 10.0


@lru_cache(maxsize=8)
def _polyphase_table(up: int, down: int) -> tuple[np.ndarray, np.ndarray]:
    """Windowed-sinc kernels for the `up` fractional phases of an up/down resampler -> (offsets, kernels)."""
    cutoff = 0.94 * min(1.0, up / down)              # fraction of the input Nyquist
    half = int(np.ceil(_HALF_TAPS / min(1.0, up / down)))  # wider kernel when decimating
    offsets = np.arange(-half + 1, half + 1)         # input taps around the base index
    dist = offsets[None, :] - (np.arange(up) / up)[:, None]
    window = np.i0(_BETA * np.sqrt(1 - np.clip(dist / half, -1, 1) ** 2)) / np.i0(_BETA)
    kernel = np.sinc(cutoff * dist) * window
    return offsets, (kernel / kernel.sum(axis=1, keepdims=True)).astype(np.float32)


def resample(x: np.ndarray, sr_in: int, sr_out: int = SR) -> np.ndarray:
    """Band-limited polyphase resampling (windowed sinc) along axis 0; output length
    round(n * sr_out / sr_in). Used for espeak-ng's 22,050 Hz speech."""
    x = np.asarray(x, dtype=np.float64)
    if sr_in == sr_out:
        return x
    g = gcd(int(sr_in), int(sr_out))
    up, down = int(sr_out) // g, int(sr_in) // g
    offsets, table = _polyphase_table(up, down)
    n_out = int(round(x.shape[0] * up / down))
    pad = int(offsets[-1]) + 1
    zeros = np.zeros((pad,) + x.shape[1:], dtype=np.float32)
    padded = np.concatenate([zeros, x.astype(np.float32), zeros])  # float32 taps: half the memory traffic
    out = np.empty((n_out,) + x.shape[1:])
    step = 16384
    for lo in range(0, n_out, step):
        checkpoint()
        idx = np.arange(lo, min(n_out, lo + step), dtype=np.int64) * down
        base, phase = idx // up, idx % up
        taps = padded[base[:, None] + offsets[None, :] + pad]  # (m, taps[, channels])
        out[lo:lo + len(idx)] = np.einsum("mt...,mt->m...", taps, table[phase])
    return out
