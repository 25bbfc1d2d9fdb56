"""Colour statistics and colour transfer in CIE Lab: how a cut's colour jump is measured and matched.

Shared by the seam check (studio.seams measures the jump at each cut) and the 'match colour to
previous' operation (a new take whose frames get a Reinhard-style Lab mean/std transfer toward the
previous shot's end). Frames are uint8 RGB arrays, HxWx3.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

import cv2
import numpy as np

# Frames are analysed at this width: colour statistics do not need full resolution, and it keeps a
# seam check of a whole cut in milliseconds per cut.
ANALYSIS_WIDTH = 160


def _small(frame: np.ndarray) -> np.ndarray:
    h, w = frame.shape[:2]
    if w <= ANALYSIS_WIDTH:
        return frame
    return cv2.resize(frame, (ANALYSIS_WIDTH, max(1, round(h * ANALYSIS_WIDTH / w))), interpolation=cv2.INTER_AREA)


def to_lab(frame: np.ndarray) -> np.ndarray:
    """uint8 RGB -> float32 Lab (L 0..100, a/b about -128..127)."""
    return cv2.cvtColor(frame.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)


def from_lab(lab: np.ndarray) -> np.ndarray:
    rgb = cv2.cvtColor(lab.astype(np.float32), cv2.COLOR_LAB2RGB)
    return np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class LabStats:
    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    def to_dict(self) -> dict:
        return {"mean": list(self.mean), "std": list(self.std)}

    @classmethod
    def from_dict(cls, data: Mapping) -> "LabStats":
        return cls(tuple(float(v) for v in data["mean"]), tuple(float(v) for v in data["std"]))  # type: ignore[arg-type]


def lab_stats(frames: Iterable[np.ndarray]) -> LabStats:
    pixels = np.concatenate([to_lab(_small(f)).reshape(-1, 3) for f in frames])
    return LabStats(tuple(float(v) for v in pixels.mean(axis=0)),  # type: ignore[arg-type]
                    tuple(float(v) for v in pixels.std(axis=0)))


def mean_luma(frame: np.ndarray) -> float:
    """Mean Lab lightness (0..100) of a frame: the unit flash and exposure checks use."""
    return float(to_lab(_small(frame))[..., 0].mean())


def delta_e(a: LabStats, b: LabStats) -> float:
    """Euclidean distance of mean Lab colours (CIE76): about 2.3 is a just-noticeable difference."""
    return float(np.linalg.norm(np.subtract(a.mean, b.mean)))


def histogram_distance(a: np.ndarray, b: np.ndarray, bins: int = 32) -> float:
    """Hellinger distance (0 same .. 1 disjoint) between the Lab histograms of two frames."""
    total = 0.0
    la, lb = to_lab(_small(a)), to_lab(_small(b))
    ranges = ((0.0, 100.0), (-128.0, 128.0), (-128.0, 128.0))
    for channel, (lo, hi) in enumerate(ranges):
        ha, _ = np.histogram(la[..., channel], bins=bins, range=(lo, hi))
        hb, _ = np.histogram(lb[..., channel], bins=bins, range=(lo, hi))
        pa, pb = ha / max(1, ha.sum()), hb / max(1, hb.sum())
        bc = float(np.sum(np.sqrt(pa * pb)))
        total += float(np.sqrt(max(0.0, 1.0 - bc)))
    return total / 3.0


@dataclass(frozen=True)
class ColourTransfer:
    """Move a clip's Lab statistics (`source`) onto a reference's (`target`). strength 0..1 blends."""
    source: LabStats
    target: LabStats
    strength: float = 1.0

    def apply(self, frame: np.ndarray) -> np.ndarray:
        lab = to_lab(frame)
        src_mean, src_std = np.array(self.source.mean, np.float32), np.array(self.source.std, np.float32)
        dst_mean, dst_std = np.array(self.target.mean, np.float32), np.array(self.target.std, np.float32)
        scale = dst_std / np.maximum(src_std, 1e-3)
        scale = np.clip(scale, 0.25, 4.0)  # a flat source must not explode into noise
        moved = (lab - src_mean) * scale + dst_mean
        out = lab + (moved - lab) * float(self.strength)
        out[..., 0] = np.clip(out[..., 0], 0.0, 100.0)
        return from_lab(out)

    def to_dict(self) -> dict:
        return {"source": self.source.to_dict(), "target": self.target.to_dict(), "strength": self.strength}

    @classmethod
    def from_dict(cls, data: Mapping) -> "ColourTransfer":
        return cls(LabStats.from_dict(data["source"]), LabStats.from_dict(data["target"]),
                   float(data.get("strength", 1.0)))
