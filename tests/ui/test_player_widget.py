"""PlayerWidget offscreen: what is on screen is read back from `grab()` through each frame's stamp."""
import random
from fractions import Fraction

import pytest
from PySide6.QtCore import QPoint, Qt

from tests.ui.player_media import H, W, shared_media, widget_stamp
from ui.player import ManualClock, PlayerWidget, PlayList, PlaySegment


@pytest.fixture(scope="module")
def player_media(tmp_path_factory):
    return shared_media(tmp_path_factory)


FPS = Fraction(24)


@pytest.fixture
def cut(player_media):
    """A 72 frames (codes 0..), then B 48 frames (codes 1000..), then 24 frames of the long-GOP clip
    from its frame 30 (codes 2030..)."""
    return PlayList((PlaySegment(player_media.a, player_media.tone_a, 0, 72, 0, "A"),
                     PlaySegment(player_media.b, None, 0, 48, 72, "B"),
                     PlaySegment(player_media.long, None, 30, 54, 120, "LONG")), FPS, W, H)


def code_at(frame):
    if frame < 72:
        return frame
    if frame < 120:
        return 1000 + frame - 72
    return 2030 + frame - 120


@pytest.fixture
def player(qtbot):
    clock = ManualClock()
    widget = PlayerWidget(clock=clock)
    qtbot.addWidget(widget)
    widget.resize(480, 320)
    widget.show()
    widget.test_clock = clock
    return widget


def shows(qtbot, widget, frame, timeout=3000):
    qtbot.waitUntil(lambda: widget.displayed_frame == frame, timeout=timeout)
    return widget_stamp(widget)


def tick_frames(qtbot, widget, n):
    """Advance the injected clock one frame period at a time. Each tick waits until the player has shown
    the frame it asks for (or stopped): the clock is the test's, the decode is real, so a loaded machine
    slows the test instead of making the player drop a frame it would show on time on an idle one."""
    shown: list[int] = []
    widget.frame_displayed.connect(shown.append)
    try:
        for _ in range(n):
            before = len(shown)
            widget.test_clock.advance_frames(1, FPS)
            qtbot.waitUntil(lambda: len(shown) > before or widget.rate == 0.0, timeout=5000)
    finally:
        widget.frame_displayed.disconnect(shown.append)


def test_seeks_land_on_exact_frames(qtbot, player, cut, player_media):
    player.set_playlist(cut)
    assert shows(qtbot, player, 0) == 0
    targets = random.Random(7).sample(range(cut.duration), 25) + [cut.duration - 1, 71, 72, 120]
    for frame in targets:
        player.seek(frame)
        assert player.position == frame
        assert shows(qtbot, player, frame) == code_at(frame), f"seek {frame}"


def test_seeks_in_a_long_gop_file(qtbot, player, player_media):
    player.set_playlist(PlayList.single(str(player_media.long), 120, FPS, W, H))
    for frame in random.Random(3).sample(range(120), 15):
        player.seek(frame)
        assert shows(qtbot, player, frame) == 2000 + frame


def test_arrow_steps_cross_a_segment_boundary_both_ways(qtbot, player, cut):
    player.set_playlist(cut)
    player.seek(70)
    shows(qtbot, player, 70)
    seen = []
    for key, expected_frame in [(Qt.Key.Key_Right, 71), (Qt.Key.Key_Right, 72), (Qt.Key.Key_Right, 73),
                                (Qt.Key.Key_Left, 72), (Qt.Key.Key_Left, 71), (Qt.Key.Key_Left, 70)]:
        qtbot.keyClick(player, key)
        seen.append(shows(qtbot, player, expected_frame))
    assert seen == [71, 1000, 1001, 1000, 71, 70]
    qtbot.keyClick(player, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert player.position == 80 and player.rate == 0.0


def test_jkl_changes_rate_and_direction(qtbot, player, cut):
    player.set_playlist(cut)
    player.seek(50)
    rates = []
    player.rate_changed.connect(rates.append)
    for key in "LLLLLJJKJ":
        qtbot.keyClick(player, getattr(Qt.Key, f"Key_{key}"))
    assert rates == [1.0, 2.0, 4.0, 8.0, -1.0, -2.0, 0.0, -1.0]   # a 5th L stays at 8x: no signal
    qtbot.keyClick(player, Qt.Key.Key_K)
    assert player.rate == 0.0
    start = player.position
    qtbot.keyPress(player, Qt.Key.Key_K)        # K held + L / J: frame steps
    qtbot.keyClick(player, Qt.Key.Key_L)
    qtbot.keyClick(player, Qt.Key.Key_L)
    qtbot.keyClick(player, Qt.Key.Key_J)
    qtbot.keyRelease(player, Qt.Key.Key_K)
    assert player.position == start + 1 and player.rate == 0.0
    qtbot.keyClick(player, Qt.Key.Key_Space)
    assert player.rate == 1.0
    qtbot.keyClick(player, Qt.Key.Key_Space)
    assert player.rate == 0.0


def test_shuttle_speed_moves_that_many_frames_per_period(qtbot, player, cut):
    player.set_playlist(cut)
    player.seek(10)
    player.shuttle(1)
    player.shuttle(1)
    player.shuttle(1)                            # 4x
    tick_frames(qtbot, player, 5)
    assert player.position == 30
    assert shows(qtbot, player, 30) == 30


def test_up_down_jump_to_cuts_home_end(qtbot, player, cut):
    player.set_playlist(cut)
    player.seek(40)
    positions = []
    for key in ("Down", "Down", "Down", "Up", "Up", "Up", "End", "Home"):
        qtbot.keyClick(player, getattr(Qt.Key, f"Key_{key}"))
        positions.append(player.position)
    assert positions == [72, 120, 143, 120, 72, 0, 143, 0]
    player.seek(120)
    assert shows(qtbot, player, 120) == 2030


def test_marks_and_loop_play_between_marks(qtbot, player, cut):
    player.set_playlist(cut)
    marks = []
    player.marks_changed.connect(lambda i, o: marks.append((i, o)))
    player.seek(68)
    qtbot.keyClick(player, Qt.Key.Key_I)
    player.seek(74)
    qtbot.keyClick(player, Qt.Key.Key_O)
    qtbot.keyClick(player, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert marks == [(68, None), (68, 74)] and player.loop
    player.seek(10)
    seen = []
    player.frame_displayed.connect(seen.append)
    player.play()                                # outside the marks: starts at the in mark
    shows(qtbot, player, 68)
    tick_frames(qtbot, player, 16)
    assert seen == [68, 69, 70, 71, 72, 73, 74] * 2 + [68, 69, 70]
    assert shows(qtbot, player, 70) == 70 and player.dropped_frames == 0
    qtbot.keyClick(player, Qt.Key.Key_X, Qt.KeyboardModifier.AltModifier)
    assert marks[-1] == (None, None)


def test_reverse_playback_shows_decreasing_frames(qtbot, player, cut):
    player.set_playlist(cut)
    player.seek(130)                             # long-GOP segment: reverse needs GOP decoding
    shows(qtbot, player, 130)
    seen = []
    player.frame_displayed.connect(seen.append)
    qtbot.keyClick(player, Qt.Key.Key_J)
    tick_frames(qtbot, player, 16)               # back across the cut into B
    assert seen == list(range(129, 113, -1))
    assert shows(qtbot, player, 114) == 1042 and player.dropped_frames == 0


def test_playback_on_injected_clock_shows_every_frame_in_order(qtbot, player, cut):
    player.set_playlist(cut)
    player.seek(59)
    shows(qtbot, player, 59)
    seen, stamps = [], []
    player.frame_displayed.connect(seen.append)
    player.frame_displayed.connect(lambda f: stamps.append(widget_stamp(player)) if f % 3 == 0 else None)
    player.play()
    tick_frames(qtbot, player, 24)               # crosses the A -> B cut at 72 (one real second)
    assert seen == list(range(60, 84))
    assert player.dropped_frames == 0
    assert stamps == [code_at(f) for f in range(60, 84) if f % 3 == 0]


def test_stops_at_the_end_without_looping(qtbot, player, cut):
    player.set_playlist(cut)
    player.seek(140)
    rates = []
    player.rate_changed.connect(rates.append)
    player.play()
    tick_frames(qtbot, player, 6)
    assert player.position == 143 and rates == [1.0, 0.0]


def test_cache_stays_within_a_small_bound_during_playback(qtbot, cut):
    clock = ManualClock()
    bound = W * H * 3 * 10                       # room for ten frames only
    player = PlayerWidget(clock=clock, cache_bytes=bound)
    qtbot.addWidget(player)
    player.resize(400, 260)
    player.show()
    player.set_playlist(cut)
    shows(qtbot, player, 0)
    seen = []
    player.frame_displayed.connect(seen.append)
    player.shuttle(1)
    player.shuttle(1)                            # 2x over 60 periods: 120 frames through a 10-frame cache
    for k in range(1, 61):                       # each period waits for its picture: this is about memory
        clock.advance_frames(1, FPS)
        shows(qtbot, player, 2 * k)
        assert player.cache.nbytes <= bound
    assert seen == list(range(2, 122, 2))
    assert player.cache.peak_bytes <= bound and player.cache.nbytes <= bound


def test_no_audio_device_plays_silently_and_says_so_once(qtbot, cut, monkeypatch):
    import sounddevice as sd

    try:
        has_output = any(d["max_output_channels"] > 0 for d in sd.query_devices())
    except sd.PortAudioError:
        has_output = False
    if has_output:    # a machine with sound: simulate the missing device this test is about
        def no_device(*args, **kwargs):
            raise sd.PortAudioError("Error querying device -1")
        monkeypatch.setattr(sd, "OutputStream", no_device)
    player = PlayerWidget()                      # no injected clock: tries the sound device
    qtbot.addWidget(player)
    player.show()
    player.set_playlist(cut)
    reports = []
    player.audio_unavailable.connect(reports.append)
    player.play()
    qtbot.waitUntil(lambda: player.position >= 3, timeout=3000)   # time still passes
    player.pause()
    player.play()
    player.shuttle(1)
    player.pause()
    assert len(reports) == 1 and "no audio output device" in reports[0]
    assert player.clock.name == "monotonic" and "silently" in player.audio_status


def test_gap_is_black_and_missing_media_reports(qtbot, player, player_media, tmp_path):
    pl = PlayList((PlaySegment(player_media.a, None, 0, 10, 0, "A"),
                   PlaySegment(str(tmp_path / "gone.mp4"), None, 0, 10, 20, "GONE")), FPS, W, H)
    player.set_playlist(pl)
    errors = []
    player.media_error.connect(errors.append)
    player.seek(15)
    shows(qtbot, player, 15)
    img = player.grab().toImage()
    r = player.video_rect()
    assert img.pixelColor(r.center()).value() == 0
    player.seek(25)
    qtbot.waitUntil(lambda: len(errors) == 1, timeout=3000)
    assert "gone.mp4" in errors[0]
    qtbot.waitUntil(lambda: player.displayed_frame == 25, timeout=3000)


def test_overlays_and_full_screen(qtbot, player, cut):
    player.set_playlist(cut)
    shows(qtbot, player, 0)

    def luma(point):
        return player.grab().toImage().pixelColor(point).value()

    r = player.video_rect()
    bottom_band = QPoint(r.center().x(), r.bottom() - 3)
    before = luma(bottom_band)
    player.set_aspect_mask("2.39")                # 16:9 frame: bars top and bottom
    assert luma(bottom_band) < before * 0.5
    player.set_aspect_mask(None)
    player.set_safe_areas(True)
    with pytest.raises(ValueError):
        player.set_aspect_mask("3:1")
    qtbot.keyClick(player, Qt.Key.Key_F)
    assert player.is_fullscreen() and player.isWindow()
    qtbot.keyClick(player, Qt.Key.Key_Escape)
    assert not player.is_fullscreen()


def test_a_rebuilt_proxy_is_not_served_from_the_cache(qtbot, player, tmp_path, player_media):
    import shutil
    import time as _time

    path = tmp_path / "proxy.mp4"
    shutil.copy(player_media.a, path)
    pl = PlayList.single(str(path), 48, FPS, W, H)
    player.set_playlist(pl)
    player.seek(5)
    assert shows(qtbot, player, 5) == 5
    _time.sleep(0.01)
    shutil.copy(player_media.b, path)                # same name, new pictures
    player.set_playlist(pl)
    player.seek(5)
    assert shows(qtbot, player, 5) == 1005


def test_no_playlist_ignores_every_key(qtbot, player, cut):
    player.set_playlist(cut)
    player.seek(30)
    player.set_playlist(None)
    for key in ("Space", "L", "J", "Right", "Down", "End", "I", "O"):
        qtbot.keyClick(player, getattr(Qt.Key, f"Key_{key}"))
    assert player.position == 0 and player.rate == 0.0 and player.displayed_frame is None
    assert player.marks == (None, None)
    player.grab()                                # paints the empty player without a picture
