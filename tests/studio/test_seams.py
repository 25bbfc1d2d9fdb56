"""Seam checks on synthetic cuts: a clean continuation passes, a colour jump and a flash are flagged,
and a colour transfer toward the previous shot reduces the measured jump."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from engine.frames import read_frames, video_info
from engine.grade import ColourTransfer, lab_stats
from studio.model import Continuity, Project, Sequence, Shot, Take
from studio.seams import check_seams, measure_frames

W, H, N = 128, 72, 12


def _scene(t: int) -> np.ndarray:
    """A textured, slowly moving picture (so compression and motion are realistic)."""
    y, x = np.mgrid[0:H, 0:W]
    r = 120 + 60 * np.sin((x + 2 * t) / 9.0)
    g = 100 + 50 * np.cos((y + t) / 7.0)
    b = 90 + 40 * np.sin((x + y) / 11.0)
    return np.clip(np.stack([r, g, b], axis=-1), 0, 255).astype(np.uint8)


def _write(path: Path, frames: list[np.ndarray]) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.options = {"crf": "12", "g": "1"}
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def _project(tmp_path: Path, b_frames: list[np.ndarray]) -> Project:
    media = tmp_path / "media"
    media.mkdir(exist_ok=True)
    _write(media / "a.mp4", [_scene(t) for t in range(N)])
    _write(media / "b.mp4", b_frames)
    takes = [Take(id="ta", shot_id="s1", backend="previs", frames=N, files={"video": "media/a.mp4"}),
             Take(id="tb", shot_id="s2", backend="previs", frames=N, files={"video": "media/b.mp4"},
                  source_take_id="ta", source_frame=N - 1)]
    shots = [Shot(id="s1", duration=N, selected_take="ta"),
             Shot(id="s2", duration=N, selected_take="tb", continuity=Continuity.PREVIOUS)]
    return Project("Seams", sequences=[Sequence("q", "INT. ROOM - DAY", shots)], takes=takes)


def _continuation() -> list[np.ndarray]:
    return [_scene(t) for t in range(N - 1, 2 * N - 1)]


def _graded(frame: np.ndarray) -> np.ndarray:
    """A warmer, brighter grade: what a diffusion model drifting at a cut looks like."""
    out = frame.astype(np.float32) * np.array([1.25, 1.05, 0.75]) + 18
    return np.clip(out, 0, 255).astype(np.uint8)


def test_read_frames_is_frame_exact(tmp_path: Path):
    frames = [np.full((H, W, 3), 10 * i, np.uint8) for i in range(N)]
    path = _write(tmp_path / "ramp.mp4", frames)
    assert video_info(path)[:2] == (N, Fraction(24))
    got = read_frames(path, [0, 5, 11])
    assert [int(round(got[i].mean() / 10)) for i in (0, 5, 11)] == [0, 5, 11]


def test_clean_continuation_is_not_flagged(tmp_path: Path):
    reports = check_seams(_project(tmp_path, _continuation()), tmp_path)
    assert len(reports) == 1 and not reports[0].flagged, reports[0]
    assert reports[0].delta_e < 2.0


def test_colour_jump_is_flagged(tmp_path: Path):
    report = check_seams(_project(tmp_path, [_graded(f) for f in _continuation()]), tmp_path)[0]
    assert report.flagged and report.delta_e > 6.0
    assert any("colour jump" in r for r in report.reasons)
    assert report.exposure_jump > 0


def test_flash_near_the_cut_is_flagged(tmp_path: Path):
    frames = _continuation()
    frames[2] = np.clip(frames[2].astype(int) + 90, 0, 255).astype(np.uint8)
    report = check_seams(_project(tmp_path, frames), tmp_path)[0]
    assert 2 in report.flash_frames and any("flash" in r for r in report.reasons)


def test_colour_match_reduces_the_jump():
    before = [_scene(t) for t in range(N - 4, N)]
    after = [_graded(f) for f in _continuation()[:4]]
    de_before = measure_frames(before, after)[0]
    transfer = ColourTransfer(source=lab_stats(after), target=lab_stats(before))
    matched = [transfer.apply(f) for f in after]
    de_after = measure_frames(before, matched)[0]
    assert de_after < de_before / 4, (de_before, de_after)
    assert ColourTransfer.from_dict(transfer.to_dict()) == transfer


def test_shots_without_takes_or_continuity_are_skipped(tmp_path: Path):
    project = _project(tmp_path, _continuation())
    seq = project.sequences[0]
    seq.shots[1] = seq.shots[1].with_(continuity=Continuity.NONE)
    assert check_seams(project, tmp_path) == []
    seq.shots[1] = seq.shots[1].with_(continuity=Continuity.PREVIOUS, selected_take="")
    assert check_seams(project, tmp_path) == []


@pytest.mark.parametrize("index", [-1, N + 5])
def test_missing_frame_is_a_clear_error(tmp_path: Path, index: int):
    from engine.errors import EngineError
    path = _write(tmp_path / "x.mp4", [_scene(t) for t in range(N)])
    with pytest.raises(EngineError, match="frame"):
        read_frames(path, [index])
