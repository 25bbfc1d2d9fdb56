"""Scratch dialogue through espeak-ng: one distinct voice per character, lines fitted to their cue.

espeak-ng renders 22,050 Hz mono; we trim its leading/trailing silence (so a line starts exactly at
its cue), resample to 48 kHz, and, when the cue has a duration, re-speak at the speed that fits.
"""
from __future__ import annotations

import hashlib
import shutil
import subprocess
from typing import Iterable

import numpy as np

from ..errors import EngineError, ErrorKind
from . import dsp
from .wav import parse_wav_bytes

DEFAULT_VOICE = "en-us"
BASE_SPEED = 175          # espeak-ng's default words per minute
SPEED_RANGE = (80, 450)   # what espeak-ng accepts and still sounds like speech
LEVEL_DB = -18.0          # dialogue RMS before the cue's gain
# Characters without a voice of their own draw from this list (fixed: a character keeps its
# voice across shots and machines). Accent x variant, chosen to be easy to tell apart.
VOICE_POOL = (
    "en-us+m3", "en-gb+f3", "en-us+m7", "en-gb+f2", "en-gb-x-rp+m4", "en-us+f4",
    "en-gb-scotland+m2", "en-us+f1", "en-029+m6", "en-gb+m5", "en-us+f5", "en-us-nyc+m1",
)
_SILENCE = 10 ** (-50 / 20)  # below -50 dBFS counts as silence when trimming


def voice_for(name: str, taken: Iterable[str] = ()) -> str:
    """The default voice of a character name: a hash into VOICE_POOL, skipping voices in `taken`
    (other speakers of the same shot) while the pool has free ones."""
    start = int.from_bytes(hashlib.sha256(name.strip().lower().encode()).digest()[:4], "little")
    taken = set(taken)
    for k in range(len(VOICE_POOL)):
        voice = VOICE_POOL[(start + k) % len(VOICE_POOL)]
        if voice not in taken:
            return voice
    return VOICE_POOL[start % len(VOICE_POOL)]


def assign_voices(speakers: Iterable[str], explicit: dict[str, str]) -> dict[str, str]:
    """Voices for every speaker of a shot: explicit (bible) voices first, then distinct pool voices,
    handed out in name order so the result does not depend on cue order."""
    result = {k.lower(): v for k, v in explicit.items() if v}
    for name in sorted({s.strip().lower() for s in speakers if s.strip()} - set(result)):
        result[name] = voice_for(name, result.values())
    return result


def espeak_binary() -> str:
    found = shutil.which("espeak-ng")
    if not found:
        raise EngineError(ErrorKind.TOOL_MISSING,
                          "espeak-ng is not installed (Debian package espeak-ng), so dialogue cannot be spoken",
                          "Install the Debian package `espeak-ng` (sudo apt install espeak-ng).")
    return found


def _espeak(text: str, voice: str, speed: int) -> tuple[np.ndarray, int]:
    cmd = [espeak_binary(), "-v", voice, "-s", str(int(speed)), "--stdin", "--stdout"]
    try:
        proc = subprocess.run(cmd, input=text.encode("utf-8"), capture_output=True, timeout=60)
    except subprocess.TimeoutExpired as exc:
        raise EngineError(ErrorKind.BAD_INPUT, f"espeak-ng took too long on the line {text[:40]!r}") from exc
    if proc.returncode != 0 or not proc.stdout:
        why = proc.stderr.decode("utf-8", "replace").strip() or f"exit code {proc.returncode}"
        raise EngineError(ErrorKind.BAD_INPUT, f"espeak-ng failed for voice {voice!r}: {why}",
                          "Pick a voice listed by `espeak-ng --voices` (e.g. en-us+m3).")
    samples, rate = parse_wav_bytes(proc.stdout, "espeak-ng output")
    return samples.mean(axis=1).astype(np.float64), rate


def _trim(x: np.ndarray) -> np.ndarray:
    loud = np.flatnonzero(np.abs(x) > _SILENCE)
    return x[loud[0]:loud[-1] + 1] if loud.size else x[:0]


def speak(text: str, voice: str = DEFAULT_VOICE, fit_samples: int = 0, sr: int = dsp.SR) -> np.ndarray:
    """A spoken line as mono float64 at `sr`, starting on its first sound.

    fit_samples > 0: the line is re-spoken faster or slower so it lasts about that long (espeak's
    speed is clamped to SPEED_RANGE; a line that still overruns is cut with a short fade).
    """
    text = " ".join(text.split())
    if not text:
        return np.zeros(0)
    raw, rate = _espeak(text, voice or DEFAULT_VOICE, BASE_SPEED)
    line = _trim(raw)
    if fit_samples > 0 and line.size:
        speed = BASE_SPEED
        for _ in range(2):  # speech time is not exactly inverse to speed: one correction pass
            natural_s = line.size / rate
            target_s = fit_samples / sr
            wanted = int(np.clip(round(speed * natural_s / target_s), *SPEED_RANGE))
            if abs(wanted - speed) <= 2:
                break
            speed = wanted
            raw, rate = _espeak(text, voice or DEFAULT_VOICE, speed)
            line = _trim(raw)
    out = dsp.resample(line, rate, sr)
    if fit_samples > 0 and out.size > fit_samples:
        out = dsp.fade(out[:fit_samples].copy(), 0, min(fit_samples, int(0.02 * sr)))
    return dsp.normalize_rms(out, LEVEL_DB) if out.size else out
