"""engine.take_writer: the one take writer every backend uses (real ffmpeg, PyAV, engine.audio), and the
splice that puts a source take's frames around generated ones (diffusion extend takes)."""
from __future__ import annotations

import json
import wave
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from engine.cues import AudioCue
from engine.errors import EngineError, ErrorKind, JobCancelled
from engine.jobs import CancelToken, GenerationRequest, SceneSpec
from engine.take_writer import Splice, take_paths, write_take
from tests.engine.previs_testkit import decode, psnr

W, H = 96, 64


def _request(tmp: Path, job: str, frames: int = 12, fps: int = 24, **kw) -> GenerationRequest:
    return GenerationRequest(job_id=job, output_dir=str(tmp), width=kw.pop("width", W), height=kw.pop("height", H),
                             frames=frames, fps=fps, scene=SceneSpec(heading="INT. ROOM - DAY"),
                             seed=kw.pop("seed", 5), **kw)


def _frame(i: int, w: int = W, h: int = H) -> np.ndarray:
    """A smooth picture that changes every frame (a bar moving over a gradient), RGB."""
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([x * 255 // w, y * 255 // h, np.full_like(x, 80)], -1).astype(np.uint8)
    left = (i * 7) % (w - 12)
    img[:, left:left + 12] = (240, 240, 30)
    return img


def _write(req: GenerationRequest, count: int, events: list | None = None, **kw):
    events = [] if events is None else events
    kw.setdefault("metadata", lambda written: {"backend": "test", "files": written.files,
                                               "frames": written.encoded.frames})
    return write_take(req, (_frame(i) for i in range(count)), total=count, progress=events.append,
                      cancel=kw.pop("cancel", CancelToken()), backend="test", renderer_version="test-1", **kw)


def _wav_seconds(path: str) -> float:
    with wave.open(path) as w:
        return w.getnframes() / w.getframerate()


def test_write_take_files_result_progress_and_scratch_audio_with_seed_and_stems(tmp_path):
    cues = (AudioCue(kind="ambience", preset="rain"),)
    events: list = []
    req = _request(tmp_path, "tk one", frames=12, audio=cues)
    result = _write(req, 18, events, end_state=lambda: {"pose": 1})   # more frames than the request: a splice
    paths = take_paths(req)
    assert [p.name for p in paths.values()] == ["tk_one.mp4", "tk_one.proxy.mp4", "tk_one.thumb.jpg",
                                               "tk_one.last.png", "tk_one.wav", "tk_one.json"]
    assert all(p.is_file() for p in paths.values())
    assert result.video == str(paths["video"].resolve()) and result.audio == str(paths["audio"].resolve())
    assert result.frames == 18 and result.end_state == {"pose": 1} and result.backend == "test"
    assert len(decode(result.video)) == 18
    assert _wav_seconds(result.audio) == pytest.approx(18 / 24, abs=1e-3), "the audio covers the whole take"
    assert (tmp_path / "tk_one.stems").is_dir(), "stems beside the mix (stems_dir_for)"
    meta = json.loads(paths["metadata"].read_text())
    assert meta["frames"] == 18 and meta["files"]["audio"] == result.audio
    stages = [e.stage for e in events]
    assert stages[0] == "rendering" and events[0].preview is not None and stages[-3:] == ["encoding", "audio", "done"]
    assert [e.current for e in events if e.stage == "rendering"][-1] == 18
    # the request's seed reaches the audio: same seed, same sound; another seed, another
    same = _write(_request(tmp_path / "b", "tk", audio=cues), 18)
    other = _write(_request(tmp_path / "c", "tk", audio=cues, seed=6), 18)
    read = [Path(p).read_bytes() for p in (result.audio, same.audio, other.audio)]
    assert read[0] == read[1] and read[0] != read[2]


def test_a_failed_metadata_step_or_a_cancel_leaves_no_file(tmp_path):
    req = _request(tmp_path, "bad", audio=(AudioCue(kind="sfx", preset="click"),))

    def broken(written):
        raise EngineError(ErrorKind.BUG, "metadata broke")
    with pytest.raises(EngineError, match="metadata broke"):
        _write(req, 12, metadata=broken)
    assert not [p for p in tmp_path.iterdir() if p.is_file()]
    token = CancelToken()

    def frames():
        for i in range(12):
            if i == 5:
                token.cancel()
            yield _frame(i)
    with pytest.raises(JobCancelled):
        write_take(req, frames(), total=12, progress=lambda p: None, cancel=token, backend="test",
                   renderer_version="t", metadata=lambda w: {})
    assert not [p for p in tmp_path.iterdir() if p.is_file()]


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("source")
    return _write(_request(folder, "src", frames=24), 24).video


def test_splice_reads_ranges_in_order_and_conforms_size_and_rate(source, tmp_path):
    splice = Splice.from_options({"splice": {"video": source, "head": [0, 5], "tail": [20, 24]}})
    assert splice is not None and splice.source_frames == 24 and splice.source_fps == 24
    original = decode(source)
    fps = Fraction(24)
    head = list(splice.frames(splice.head, W, H, fps))
    tail = list(splice.frames(splice.tail, W, H, fps))
    assert (len(head), len(tail)) == (5, 4) == (splice.count(splice.head, fps), splice.count(splice.tail, fps))
    assert all(psnr(a, b) == float("inf") for a, b in zip(head + tail, original[:5] + original[20:]))
    # another project rate and size: nearest frames, resized
    doubled = list(splice.frames(splice.tail, 48, 32, Fraction(48)))
    assert len(doubled) == 8 and doubled[0].shape == (32, 48, 3)
    assert np.array_equal(doubled[0], doubled[1]) and not np.array_equal(doubled[1], doubled[2])
    # written through the take writer after encode, the spliced frames still match the source
    req = _request(tmp_path, "spliced", frames=4)
    generated = (_frame(100 + i) for i in range(4))
    import itertools
    frames = itertools.chain(splice.frames(splice.head, W, H, fps), generated, splice.frames(splice.tail, W, H, fps))
    result = write_take(req, frames, total=13, progress=lambda p: None, cancel=CancelToken(), backend="test",
                        renderer_version="t", metadata=lambda w: {})
    out = decode(result.video)
    assert len(out) == 13
    assert min(psnr(a, b) for a, b in zip(out[:5], original[:5])) >= 35
    assert min(psnr(a, b) for a, b in zip(out[9:], original[20:])) >= 35


@pytest.mark.parametrize("value, message", [
    ({"video": "relative.mp4", "head": [0, 2]}, "absolute"),
    ({"video": "/nowhere/take.mp4", "head": [0, 2]}, "missing"),
    ("text", "not an object"),
])
def test_bad_splice_options_are_refused(value, message):
    with pytest.raises(EngineError, match=message) as err:
        Splice.from_options({"splice": value})
    assert err.value.kind is ErrorKind.BAD_INPUT


def test_splice_ranges_must_exist_in_the_source(source):
    with pytest.raises(EngineError, match="frames 0..23"):
        Splice.from_options({"splice": {"video": source, "tail": [20, 30]}})
    with pytest.raises(EngineError, match="not a frame range"):
        Splice.from_options({"splice": {"video": source, "head": [5, 2]}})
    assert Splice.from_options({"splice": None}) is None
    empty = Splice.from_options({"splice": {"video": source, "head": [0, 0]}})
    assert empty is not None and empty.head is None and list(empty.frames(empty.head, W, H, Fraction(24))) == []
