"""The streaming take encoder: one ffmpeg process, take + all-intra proxy + stills, atomic, clean on failure."""
from __future__ import annotations

from fractions import Fraction

import av
import cv2
import numpy as np
import pytest

import engine.encode as encode
from engine.encode import PROXY_MAX, EncodeSettings, VideoWriter
from engine.errors import EngineError, ErrorKind, JobCancelled
from engine.jobs import CancelToken


def gradient_frames(n, w, h):
    ys, xs = np.mgrid[0:h, 0:w]
    for i in range(n):
        frame = np.zeros((h, w, 3), np.uint8)
        frame[..., 0] = (xs * 255 // max(1, w - 1) + i * 7) % 256
        frame[..., 1] = ys * 255 // max(1, h - 1)
        frame[..., 2] = 128
        yield frame


def writer(tmp_path, w, h, fps=Fraction(24), n=0, **kw):
    return VideoWriter(tmp_path / "take.mp4", w, h, fps, proxy_path=tmp_path / "take.proxy.mp4",
                       thumbnail_path=tmp_path / "take.thumb.jpg", last_frame_path=tmp_path / "take.last.png",
                       expected_frames=n, **kw)


def test_take_proxy_and_stills(tmp_path):
    n, fps = 9, Fraction(30000, 1001)
    frames = list(gradient_frames(n, 1280, 720))
    w = writer(tmp_path, 1280, 720, fps, n)
    for f in frames:
        w.write(f)
    take = w.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take.last.png", "take.mp4", "take.proxy.mp4",
                                                           "take.thumb.jpg"]
    with av.open(take.video) as c:
        s = c.streams.video[0]
        assert s.average_rate == fps and s.codec_context.name == "h264" and s.codec_context.pix_fmt == "yuv420p"
        decoded = [fr for fr in c.decode(video=0)]
        assert len(decoded) == n and decoded[-1].key_frame  # the continuity frame is a keyframe
    with av.open(take.proxy) as c:
        s = c.streams.video[0]
        assert (s.codec_context.width, s.codec_context.height) == PROXY_MAX
        assert all(fr.key_frame for fr in c.decode(video=0))  # all-intra: every frame seeks in ~2 ms
    # the last frame is lossless and the colour of the decoded take is right
    assert np.array_equal(cv2.imread(take.last_frame), frames[-1])
    rgb = decoded[4].to_ndarray(format="rgb24").astype(int)
    assert np.abs(rgb - frames[4][..., ::-1].astype(int)).mean() < 3  # BT.601 tagged and read back
    assert cv2.imread(take.thumbnail).shape == (270, 480, 3)


def test_odd_size_and_rgb_input(tmp_path):
    frames = list(gradient_frames(3, 101, 57))
    w = writer(tmp_path, 101, 57, n=3, channel_order="rgb")
    for f in frames:
        w.write(f)
    take = w.close()
    with av.open(take.video) as c:
        first = next(c.decode(video=0))
        assert (first.width, first.height) == (102, 58)  # padded by one pixel for 4:2:0
    assert np.array_equal(cv2.imread(take.last_frame), frames[-1][..., ::-1])


def test_abort_and_cancel_leave_nothing(tmp_path):
    w = writer(tmp_path, 64, 36, n=50)
    for f in gradient_frames(5, 64, 36):
        w.write(f)
    w.abort()
    assert list(tmp_path.iterdir()) == []
    token = CancelToken()
    with pytest.raises(JobCancelled):
        with writer(tmp_path, 64, 36, n=50) as w:
            for i, f in enumerate(gradient_frames(50, 64, 36)):
                if i == 10:
                    token.cancel()
                token.raise_if_cancelled()
                w.write(f)
    assert list(tmp_path.iterdir()) == []


def test_ffmpeg_failure_carries_its_stderr(tmp_path):
    w = writer(tmp_path, 64, 36, settings=EncodeSettings(preset="no-such-preset"))
    with pytest.raises(EngineError) as info:
        for f in gradient_frames(200, 64, 36):
            w.write(f)
        w.close()
    assert info.value.kind is ErrorKind.BUG
    assert "preset" in info.value.details.lower()
    assert [p.name for p in tmp_path.iterdir()] == []


def test_missing_ffmpeg_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(encode, "ffmpeg_path", lambda: str(tmp_path / "no-ffmpeg"))
    with pytest.raises(EngineError) as info:
        writer(tmp_path, 64, 36)
    assert info.value.kind is ErrorKind.FFMPEG_MISSING
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]


def test_wrong_frame_shape_is_refused(tmp_path):
    with writer(tmp_path, 64, 36) as w:
        with pytest.raises(EngineError):
            w.write(np.zeros((36, 65, 3), np.uint8))


@pytest.mark.skipif(not hasattr(__import__("fcntl"), "F_GETPIPE_SZ"), reason="pipe sizes are a Linux fcntl")
def test_pipe_to_ffmpeg_is_widened_to_one_mib(tmp_path):
    # A 64 KiB pipe wakes ffmpeg's reader twenty-odd times per 720p frame (bench_previs: ~0.4 s CPU per
    # 10 s take); the writer asks for 1 MiB (the default pipe-max-size) once it starts feeding.
    import fcntl
    w = writer(tmp_path, 160, 90, n=2)
    for f in gradient_frames(2, 160, 90):
        w.write(f)
    size = fcntl.fcntl(w._proc.stdin.fileno(), fcntl.F_GETPIPE_SZ)
    w.close()
    assert size == min(1 << 20, int(open("/proc/sys/fs/pipe-max-size").read()))
