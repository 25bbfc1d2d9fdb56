"""Scratch lip-sync: a speaking figure's mouth opens with its dialogue line's loudness.

The line is spoken by engine.audio exactly as the take's WAV will have it (same espeak-ng voice,
same cue start and length); its RMS envelope per video frame, normalised to the line's loud part
and eased over ~2 frames, is the mouth opening 0..1 of that frame."""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..audio import SAMPLE_RATE, dialogue_lines, frame_to_sample


def frame_envelope(track: np.ndarray, frames: int, fps) -> np.ndarray:
    """RMS of `track` over each video frame's samples (frames,)."""
    edges = [frame_to_sample(i, Fraction(fps), SAMPLE_RATE) for i in range(frames + 1)]
    return np.array([float(np.sqrt(np.mean(track[a:b] ** 2))) if b > a else 0.0 for a, b in zip(edges, edges[1:])])


def mouth_curves(request) -> dict[str, np.ndarray]:
    """Lower-cased character name -> mouth opening per frame, for every character with a line."""
    if not any(getattr(c.kind, "value", c.kind) == "dialogue" for c in request.audio):
        return {}
    lines = dialogue_lines(request.audio, request.frames, request.fps, request.scene.characters)
    out = {}
    for name, track in lines.items():
        env = frame_envelope(track, request.frames, request.fps)
        loud = float(np.percentile(env[env > 0], 90)) if (env > 0).any() else 0.0
        if loud <= 0:
            continue
        m = np.clip(env / loud, 0.0, 1.0)
        smooth = np.convolve(m, np.array([0.25, 0.5, 0.25]), mode="same")
        out[name] = np.clip(smooth, 0.0, 1.0)
    return out
