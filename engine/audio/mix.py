"""Bus processing for a shot's mix: dialogue ducking of the beds, and the master's soft limiter.

Both work offline on the whole buffer, so their "look-ahead" costs no latency: nothing is delayed,
and a cue's onset in the master is exactly where it was placed.
"""
from __future__ import annotations

import numpy as np

from . import dsp

DUCK_DB = -10.0
_BLOCK = 240  # 5 ms control blocks at 48 kHz


def _block_levels(x: np.ndarray, block: int, reduce) -> np.ndarray:
    mono = np.max(np.abs(x), axis=1) if x.ndim == 2 else np.abs(x)
    pad = (-mono.shape[0]) % block
    return reduce(np.concatenate([mono, np.zeros(pad)]).reshape(-1, block), axis=1)


def _ramps(starts: np.ndarray, ends: np.ndarray, n: int, block: int) -> np.ndarray:
    """Per-sample float32 gains: within block b a straight line from starts[b] to ends[b]."""
    frac = np.arange(block, dtype=np.float32) / np.float32(block)
    s = starts.astype(np.float32)[:, None]
    e = ends.astype(np.float32)[:, None]
    return (s + (e - s) * frac[None, :]).ravel()[:n]


def _to_samples(block_gain: np.ndarray, n: int, block: int) -> np.ndarray:
    """Gains given at block starts -> per sample, linearly interpolated (no zipper steps)."""
    return _ramps(block_gain, np.append(block_gain[1:], block_gain[-1]), n, block)


def duck_envelope(key: np.ndarray, depth_db: float = DUCK_DB, threshold_db: float = -45.0, attack_s: float = 0.04,
                  release_s: float = 0.4, hold_s: float = 0.15, lookahead_s: float = 0.03,
                  sr: int = dsp.SR) -> np.ndarray:
    """Per-sample gain for the beds: depth_db while the key (dialogue bus) is speaking.

    A hold bridges the gaps between words so the music does not pump; the look-ahead starts
    the dip just before the first syllable so the line is not masked.
    """
    n = key.shape[0]
    if n == 0:
        return np.ones(0, dtype=np.float32)
    block = _BLOCK * sr // dsp.SR
    rms = np.sqrt(_block_levels(key ** 2 if key.ndim == 1 else np.mean(key ** 2, axis=1), block, np.mean))
    active = rms > dsp.db(threshold_db)
    hold = int(hold_s * sr / block)
    ahead = int(lookahead_s * sr / block)
    if active.any():
        idx = np.flatnonzero(active)
        spread = np.zeros(active.shape[0] + hold + 1, dtype=int)
        np.add.at(spread, np.maximum(idx - ahead, 0), 1)
        np.add.at(spread, np.minimum(idx + hold + 1, spread.shape[0] - 1), -1)
        active = np.cumsum(spread)[:active.shape[0]] > 0
    target = np.where(active, depth_db, 0.0)
    # one-pole smoothing in dB: falls with the attack time, recovers with the release time
    a = np.exp(-block / (attack_s * sr))
    r = np.exp(-block / (release_s * sr))
    smoothed = np.empty_like(target)
    g = 0.0
    for i, t in enumerate(target):
        coef = a if t < g else r
        g = t + (g - t) * coef
        smoothed[i] = g
    return _to_samples(10.0 ** (smoothed / 20.0), n, block)


def limit(x: np.ndarray, ceiling_db: float = -1.0, release_s: float = 0.12, knee_db: float = 3.0,
          sr: int = dsp.SR) -> np.ndarray:
    """A look-ahead peak limiter: the output never exceeds ceiling_db, quiet passages are untouched.

    Gain is computed per 64-sample block from the peaks of the block and its neighbours, drops
    instantly, recovers over release_s, and is interpolated between blocks; since every
    interpolated gain is at most what its block needs, no sample passes the ceiling.
    """
    n = x.shape[0]
    if n == 0:
        return x
    block = 64
    ceiling = dsp.db(ceiling_db)
    knee = dsp.db(ceiling_db - knee_db)
    peaks = _block_levels(x, block, np.max)
    # soft knee: peaks between knee and ceiling are squeezed gently instead of left alone
    over = np.maximum(peaks, 1e-12)
    squeeze = np.where(over > knee, knee * (over / knee) ** 0.25 / over, 1.0)
    need = np.minimum(np.minimum(1.0, ceiling / over), squeeze)
    need = np.minimum(need, np.concatenate([[1.0], need[:-1]]))  # block starts are shared with the previous block
    r = np.exp(-block / (release_s * sr))
    gains = np.empty(need.shape[0] + 1)
    g = 1.0
    for i, want in enumerate(np.append(need, 1.0)):
        g = want if want < g else want + (g - want) * r
        gains[i] = g
    # a block's samples interpolate between its start gain and the next; both must suit the block
    gain = _ramps(np.minimum(gains[:-1], need), np.minimum(gains[1:], need), n, block)
    out = x * (gain[:, None] if x.ndim == 2 else gain)
    return np.clip(out, -ceiling, ceiling, out=out)  # float rounding only; the gain already guarantees it
