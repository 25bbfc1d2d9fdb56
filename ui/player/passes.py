"""Control passes in the player: a take's depth, mask and pose videos (written beside it by the previs,
listed in its metadata JSON under "passes") played instead of the picture or over it.

`with_pass(playlist, name, over)` swaps (or overlays) each segment's video for that pass where the take
has it; segments of takes without it play their picture. The player's decoder composites an overlay
(`overlay`) frame by frame, so picture and pass stay in step by construction.
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from .source import PlayList

PASSES = ("depth", "mask", "pose")
PASS_TITLES = {"depth": "Depth", "mask": "Mask", "pose": "Pose"}


def pass_file(video_path: str, name: str) -> str | None:
    """The take's `name` pass beside its video or proxy (`<stem>.mp4` / `<stem>.proxy.mp4`), as its
    metadata `<stem>.json` lists it; None when the take has none (or the file is gone)."""
    p = Path(video_path)
    stem = p.name[:-len(".proxy.mp4")] if p.name.endswith(".proxy.mp4") else p.stem
    try:
        meta = json.loads((p.parent / f"{stem}.json").read_text(encoding="utf-8"))
        file = str(meta["passes"][name]["file"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if Path(file).name != file:       # only a file beside the take (never a path elsewhere)
        return None
    path = p.parent / file
    return str(path) if path.is_file() else None


def with_pass(playlist: PlayList | None, name: str | None, over: bool) -> PlayList | None:
    """The playlist showing control pass `name` instead of the picture (or over it)."""
    if playlist is None or not name:
        return playlist
    segments = []
    for seg in playlist.segments:
        found = pass_file(seg.video_path, name)
        if found is None:
            segments.append(seg)
        elif over:
            segments.append(replace(seg, overlay_path=found))
        else:
            segments.append(replace(seg, video_path=found))
    return replace(playlist, segments=tuple(segments))


def overlay(picture: np.ndarray, layer: np.ndarray) -> np.ndarray:
    """The pass over the picture: where the pass draws something (not black) it shows at 60 %, so the
    pose skeleton and the mask's figures sit on the picture and the depth ramp shades it."""
    drawn = layer.max(axis=2, keepdims=True) > 16
    mixed = (picture.astype(np.uint16) * 2 + layer.astype(np.uint16) * 3) // 5
    return np.where(drawn, mixed, picture).astype(np.uint8)
