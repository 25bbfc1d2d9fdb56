"""Seam checks at continuity cuts: does the picture jump in colour or exposure, or flash, at the cut?

For each shot chained to the previous one ('previous' continuity) with both selected takes present,
compare the frames the cut leaves on with the frames it enters on: mean Lab difference (CIE76 ΔE),
Lab histogram distance, exposure (lightness) jump, and single-frame lightness spikes near the cut.
Seams over a threshold are flagged for the timeline and `shotreel seams`. Frames come from the
scrubbing proxy when there is one (small, all-intra: fast frame-exact seeks).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from engine.frames import read_frames
from engine.grade import delta_e, histogram_distance, lab_stats, mean_luma

from .continuity import last_used_frame
from .model import Continuity, Project, Shot, Take


@dataclass(frozen=True)
class SeamThresholds:
    delta_e: float = 6.0          # mean colour jump; ~2.3 is just noticeable, 6 is obvious on a cut
    histogram: float = 0.25       # Hellinger distance of Lab histograms
    exposure: float = 8.0         # lightness jump (L, 0..100)
    flash: float = 12.0           # a frame this much brighter/darker than its neighbours' median
    context: int = 4              # frames looked at on each side of the cut


@dataclass(frozen=True)
class SeamReport:
    shot_id: str                  # the shot entered at the cut
    previous_shot_id: str
    delta_e: float
    histogram: float
    exposure_jump: float          # signed: + = the new shot is brighter
    flash_frames: tuple[int, ...] = ()  # offsets from the cut (-context..context-1) with a spike
    reasons: tuple[str, ...] = field(default=())

    @property
    def flagged(self) -> bool:
        return bool(self.reasons)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["flagged"] = self.flagged
        return data


def _media(folder: Path, take: Take) -> Path:
    role = "proxy" if take.files.get("proxy") else "video"
    return Path(folder) / take.files[role]


def _first_used_frame(shot: Shot) -> int:
    return shot.trim_in


def measure_frames(before: list[np.ndarray], after: list[np.ndarray],
                   thresholds: SeamThresholds = SeamThresholds()) -> tuple[float, float, float, tuple[int, ...], tuple[str, ...]]:
    """Metrics of a cut from the frames before it (ending at the cut) and after it (starting at the cut)."""
    a, b = before[-1], after[0]
    de = delta_e(lab_stats([a]), lab_stats([b]))
    hist = histogram_distance(a, b)
    lumas = [mean_luma(f) for f in before + after]
    cut = len(before)
    exposure = lumas[cut] - lumas[cut - 1]
    flashes = []
    for i, value in enumerate(lumas):
        # Neighbours on the same side of the cut only: the cut itself is a legitimate change.
        side = lumas[:cut] if i < cut else lumas[cut:]
        j = i if i < cut else i - cut
        neighbours = side[max(0, j - 2):j] + side[j + 1:j + 3]
        if len(neighbours) >= 2 and abs(value - float(np.median(neighbours))) > thresholds.flash:
            flashes.append(i - cut)
    reasons = []
    if de > thresholds.delta_e:
        reasons.append(f"colour jump ΔE {de:.1f} > {thresholds.delta_e:g}")
    if hist > thresholds.histogram:
        reasons.append(f"histogram distance {hist:.2f} > {thresholds.histogram:g}")
    if abs(exposure) > thresholds.exposure:
        reasons.append(f"exposure jump {exposure:+.1f} L")
    if flashes:
        reasons.append(f"flash at {', '.join(f'{o:+d}' for o in flashes)} frame(s) from the cut")
    return de, hist, exposure, tuple(flashes), tuple(reasons)


def measure_cut(project: Project, folder: Path, previous: Shot, shot: Shot,
                thresholds: SeamThresholds = SeamThresholds()) -> SeamReport | None:
    """The seam between two adjacent shots, or None when either has no selected take."""
    a_take = project.takes.get(previous.selected_take)
    b_take = project.takes.get(shot.selected_take)
    if a_take is None or b_take is None:
        return None
    n = thresholds.context
    a_end = last_used_frame(previous, a_take)
    b_start = _first_used_frame(shot)
    b_end = min(b_take.frames - 1, (shot.trim_out or b_take.frames) - 1)
    a_idx = list(range(max(0, a_end - n + 1), a_end + 1))
    b_idx = list(range(b_start, min(b_end, b_start + n - 1) + 1))
    a_frames = read_frames(_media(folder, a_take), a_idx)
    b_frames = read_frames(_media(folder, b_take), b_idx)
    de, hist, exposure, flashes, reasons = measure_frames([a_frames[i] for i in a_idx], [b_frames[i] for i in b_idx],
                                                          thresholds)
    return SeamReport(shot.id, previous.id, round(de, 3), round(hist, 4), round(exposure, 3), flashes, reasons)


def check_seams(project: Project, folder: Path, thresholds: SeamThresholds = SeamThresholds()) -> list[SeamReport]:
    """Every continuity cut of the project that can be measured, in cut order."""
    reports = []
    for seq in project.sequences:
        for previous, shot in zip(seq.shots, seq.shots[1:]):
            if shot.continuity is not Continuity.PREVIOUS:
                continue
            report = measure_cut(project, folder, previous, shot, thresholds)
            if report is not None:
                reports.append(report)
    return reports
