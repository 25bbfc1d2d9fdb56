"""PyAV frame-exact access, the decode thread and the byte-bounded cache, on real encoded media."""
import random
import threading
from fractions import Fraction

import numpy as np
import pytest

from tests.ui.player_media import H, W, read_stamp, shared_media
from ui.player.cache import FrameCache
from ui.player.decoder import DecodeThread, MediaError, VideoReader
from ui.player.source import PlayList, PlaySegment


@pytest.fixture(scope="module")
def player_media(tmp_path_factory):
    return shared_media(tmp_path_factory)


@pytest.mark.parametrize("name,base,count", [("a", 0, 72), ("long", 2000, 120), ("mjpeg", 3000, 24)])
def test_random_seeks_are_frame_exact(player_media, name, base, count):
    reader = VideoReader(str(getattr(player_media, name)))
    targets = random.Random(5).choices(range(count), k=40) + [count - 1, 0, count - 2, 1]
    try:
        for n in targets:
            arr, _ = reader.read(n)
            assert arr.shape == (H, W, 3)
            assert read_stamp(arr) == base + n, f"asked {n}"
    finally:
        reader.close()


def test_sequential_reads_decode_on_without_seeking(player_media):
    reader = VideoReader(str(player_media.long))
    reader.read(10)
    seeks = reader.seeks
    codes = [read_stamp(reader.read(n)[0]) for n in range(11, 60)]
    assert codes == [2000 + n for n in range(11, 60)]
    assert reader.seeks == seeks
    reader.close()


def test_reverse_on_long_gop_keeps_the_gop_decoded_on_the_way(player_media):
    reader = VideoReader(str(player_media.long))
    arr, extras = reader.read(70, keep=set(range(60, 70)))
    assert read_stamp(arr) == 2070
    assert [i for i, _ in extras] == list(range(60, 70))
    assert all(read_stamp(a) == 2000 + i for i, a in extras)
    reader.close()


def test_past_the_end_holds_the_last_frame_and_resizes(player_media):
    reader = VideoReader(str(player_media.b), size=(160, 90))
    arr, _ = reader.read(500)
    assert arr.shape == (90, 160, 3) and read_stamp(arr) == 1047
    reader.close()


def test_bad_media_is_a_clear_error(tmp_path, player_media):
    with pytest.raises(MediaError, match="does not exist"):
        VideoReader(str(tmp_path / "gone.mp4"))
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 100)
    with pytest.raises(MediaError, match="junk.mp4"):
        VideoReader(str(junk))
    with pytest.raises(MediaError, match="no video"):
        VideoReader(str(player_media.tone_a))


def test_cache_is_lru_and_never_exceeds_its_bound():
    frame = np.zeros((10, 10, 3), np.uint8)        # 300 bytes
    cache = FrameCache(max_bytes=1000)
    for i in range(10):
        cache.put(("p", i), frame.copy())
        assert cache.nbytes <= 1000
    assert len(cache) == 3 and ("p", 9) in cache and ("p", 6) not in cache
    cache.get(("p", 7))                             # touched: survives the next eviction
    cache.put(("p", 10), frame.copy())
    assert ("p", 7) in cache and ("p", 8) not in cache
    cache.put(("big", 0), np.zeros(2000, np.uint8))  # larger than the bound: not kept
    assert ("big", 0) not in cache and cache.peak_bytes <= 1000
    with pytest.raises(ValueError):
        FrameCache(0)


def test_decode_thread_serves_the_waited_frame_and_decodes_ahead(player_media):
    pl = PlayList((PlaySegment(str(player_media.a), None, 0, 72, 0, "A"),
                   PlaySegment(str(player_media.b), None, 0, 48, 72, "B")), Fraction(24), W, H)
    frame_bytes = W * H * 3
    cache = FrameCache(max_bytes=frame_bytes * 12)
    got = []
    done = threading.Event()

    def on_frame(serial, frame, arr):
        got.append((frame, read_stamp(arr)))
        done.set()

    thread = DecodeThread(cache, on_frame, lambda path, msg: None)
    try:
        thread.want(pl, list(range(68, 78)), notify=68)
        assert done.wait(5)
        for _ in range(200):
            if thread.idle():
                break
            threading.Event().wait(0.01)
        assert got == [(68, 68)]
        assert all((str(player_media.a), n) in cache for n in range(68, 72))
        assert all((str(player_media.b), n) in cache for n in range(0, 6))
        for start in range(0, 110, 10):             # keep asking ahead: the bound holds
            thread.want(pl, list(range(start, start + 10)))
        for _ in range(500):
            if thread.idle():
                break
            threading.Event().wait(0.01)
        assert thread.idle()
        assert cache.peak_bytes <= cache.max_bytes and cache.nbytes <= cache.max_bytes
    finally:
        thread.stop()


def test_decode_thread_reports_missing_media_once(tmp_path):
    pl = PlayList((PlaySegment(str(tmp_path / "gone.mp4"), None, 0, 10, 0),), Fraction(24), W, H)
    errors = []
    thread = DecodeThread(FrameCache(10 ** 7), lambda *a: None, lambda path, msg: errors.append(msg))
    try:
        for frame in range(5):
            thread.want(pl, [frame], notify=frame)
            for _ in range(300):
                if thread.idle():
                    break
                threading.Event().wait(0.01)
        assert len(errors) == 1 and "gone.mp4" in errors[0]
    finally:
        thread.stop()
