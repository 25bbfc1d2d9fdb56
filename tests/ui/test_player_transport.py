"""The transport state machine and the playlist maths, without Qt: a fake clock decides the time."""
from fractions import Fraction

import pytest

from ui.player.source import PlayList, PlayListError, PlaySegment, timecode
from ui.player.transport import Transport


class Now:
    def __init__(self):
        self.t = Fraction(0)

    def __call__(self):
        return self.t

    def frames(self, n, fps=24):
        self.t += Fraction(n, fps)


def make(duration=100, cuts=(0, 40, 70, 100)):
    now = Now()
    tr = Transport(now, Fraction(24))
    tr.load(duration, cuts)
    return tr, now


def test_shuttle_doubles_up_to_8x_and_reverses_from_1x():
    tr, _ = make()
    rates = []
    for direction in (1, 1, 1, 1, 1, -1, -1, -1, 0, -1):
        tr.shuttle(direction)
        rates.append(tr.rate)
    assert rates == [1, 2, 4, 8, 8, -1, -2, -4, 0, -1]


def test_play_advances_by_rate_per_frame_period_exactly():
    tr, now = make()
    tr.seek(10)
    tr.shuttle(1)
    tr.shuttle(1)                      # 2x
    now.frames(3)
    assert tr.advance().position == 16
    now.t += Fraction(1, 48)           # half a period: still the same slot
    assert tr.advance().position == 16
    tr.shuttle(-1)                     # reverse 1x from 16, re-anchored now
    now.frames(5)
    assert tr.advance().position == 11


def test_play_stops_at_the_end_and_restarts_from_the_start():
    tr, now = make()
    tr.seek(95)
    tr.play()
    now.frames(10)
    assert tr.advance().position == 99 and tr.rate == 0
    tr.play()                          # at the end: begins again
    assert tr.position == 0 and tr.rate == 1


def test_reverse_stops_at_frame_zero():
    tr, now = make()
    tr.seek(3)
    tr.shuttle(-1)
    now.frames(2)
    assert tr.advance().position == 1
    now.frames(5)
    assert tr.advance().position == 0 and not tr.playing


def test_step_pauses_and_clamps():
    tr, now = make()
    tr.play()
    now.frames(4)
    tr.advance()
    assert tr.step(1) == 5 and not tr.playing
    assert tr.step(-10) == 0
    tr.end()
    assert tr.step(3) == 99


def test_cuts_home_end():
    tr, _ = make()
    tr.seek(50)
    assert tr.next_cut() == 70
    assert tr.next_cut() == 99          # the end of the cut, clamped to the last frame
    assert tr.prev_cut() == 70
    assert tr.prev_cut() == 40
    assert tr.prev_cut() == 0
    assert tr.prev_cut() == 0
    assert tr.end() == 99 and tr.home() == 0


def test_marks_replace_each_other_when_crossed():
    tr, _ = make()
    tr.seek(20)
    tr.set_mark_in()
    tr.set_mark_out(30)
    assert (tr.mark_in, tr.mark_out) == (20, 30)
    tr.set_mark_in(40)                  # after the out: the out goes
    assert (tr.mark_in, tr.mark_out) == (40, None)
    tr.clear_marks()
    assert (tr.mark_in, tr.mark_out) == (None, None)


def test_loop_between_marks_wraps_forward_and_backward():
    tr, now = make()
    tr.set_mark_in(20)
    tr.set_mark_out(24)
    tr.set_loop(True)
    tr.seek(60)
    tr.play()                           # outside the range: starts at the in mark
    assert tr.position == 20
    seen = []
    for _ in range(12):
        now.frames(1)
        seen.append(tr.advance().position)
    assert seen == [21, 22, 23, 24, 20, 21, 22, 23, 24, 20, 21, 22]
    tr.shuttle(-1)
    tr.shuttle(-1)                      # -2x from 22
    seen = []
    for _ in range(4):
        now.frames(1)
        seen.append(tr.advance().position)
    assert seen == [20, 23, 21, 24]


def test_upcoming_follows_play_direction_and_loop():
    tr, _ = make()
    tr.seek(50)
    assert tr.upcoming(5) == [50, 51, 49, 52, 48]      # paused: neighbours for stepping
    tr.shuttle(-1)
    tr.shuttle(-1)
    assert tr.upcoming(4) == [50, 48, 46, 44]
    tr.seek(2)
    assert tr.upcoming(4) == [2, 0]                     # stops at the start
    tr.set_loop(True)
    tr.shuttle(1)                                       # -> +1x
    tr.seek(97)
    assert tr.upcoming(5) == [97, 98, 99, 0, 1]


def test_empty_playlist_never_plays():
    tr, _ = make(duration=0, cuts=())
    tr.play()
    assert not tr.playing and tr.position == 0


def test_playlist_lookup_and_validation():
    a = PlaySegment("a.mp4", None, 10, 20, 0, "A")
    b = PlaySegment("b.mp4", "b.wav", 0, 5, 12, "B")
    pl = PlayList((a, b), Fraction(24000, 1001), 960, 540)
    assert pl.duration == 17
    assert pl.source_at(0) == ("a.mp4", 10) and pl.source_at(9) == ("a.mp4", 19)
    assert pl.source_at(10) is None and pl.source_at(11) is None     # the gap plays black
    assert pl.source_at(12) == ("b.mp4", 0) and pl.source_at(17) is None
    assert pl.cuts() == (0, 10, 12, 17)
    with pytest.raises(PlayListError, match="overlaps"):
        PlayList((b, a), Fraction(24), 960, 540)
    with pytest.raises(PlayListError, match="empty"):
        PlaySegment("a.mp4", None, 5, 5, 0)
    with pytest.raises(PlayListError, match="integer"):
        PlaySegment("a.mp4", None, 0.5, 5, 0)
    with pytest.raises(PlayListError, match="positive"):
        PlayList((a,), Fraction(0), 960, 540)


def test_timecode_non_drop():
    assert timecode(0, Fraction(24)) == "00:00:00:00"
    assert timecode(24 * 3661 + 5, Fraction(24)) == "01:01:01:05"
    assert timecode(30 * 60, Fraction(30000, 1001)) == "00:01:00:00"
