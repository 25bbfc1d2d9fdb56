"""The Viewer dock: the whole cut from the edit list, selecting a shot seeks to it, takes play alone."""
from __future__ import annotations

from studio.commands import MoveShot
from tests.ui.ui_fixtures import *  # noqa: F403
from tests.ui.ui_fixtures import add_take
from ui.selection import ShotSelection
from ui.viewer import ViewerPanel, cut_playlist


def test_viewer_plays_the_cut_and_seeks_to_the_selected_shot(qtbot, doc):
    add_take(doc, "sh000", "ta", video=True, frames=24, color=(200, 30, 30))
    add_take(doc, "sh001", "tb", video=True, frames=24, color=(30, 200, 30))
    add_take(doc, "sh002", "tc", video=True, frames=24, color=(30, 30, 200))
    selection = ShotSelection()
    viewer = ViewerPanel(doc, selection, audio=False)
    qtbot.addWidget(viewer)
    viewer.resize(480, 320)
    viewer.show()
    playlist = viewer.player.playlist
    assert [s.label for s in playlist.segments][:3] == ["1. Shot title 0", "2. Shot title 1", "3. Shot title 2"]
    assert playlist.segments[1].record_in == 24
    selection.set(["sh002"])
    assert viewer.player.position == 48
    qtbot.waitUntil(lambda: viewer.player.displayed_frame == 48, timeout=5000)
    # an edit that changes the cut rebuilds the playlist (debounced)
    doc.execute(MoveShot("sh002", doc.project.sequences[0].id, 0))
    qtbot.waitUntil(lambda: viewer.player.playlist.segments[0].label.startswith("1. Shot title 2"), timeout=3000)
    assert "shots" in viewer.info.text() and "without a take" in viewer.info.text()
    viewer.play_take("tb")
    assert viewer.player.playlist.duration == 24 and "Take 1 of shot" in viewer.info.text()
    assert "tb" not in viewer.info.text()  # a take id is not for people (issue 15)
    viewer.detach()


def test_crossfades_play_the_incoming_shot():
    from fractions import Fraction
    from studio.playlist import EditEntry, EditList
    from studio.model import Transition, TransitionKind
    cut = Transition()
    a = EditEntry("a", 1, "ta", "/a.mp4", "", "", 0, 30, 0, 30, cut, "1. A", overlap_out=6)
    b = EditEntry("b", 2, "tb", "/b.mp4", "", "", 0, 30, 24, 54, Transition(TransitionKind.CROSSFADE, 6), "2. B")
    playlist = cut_playlist(EditList(Fraction(24), 320, 180, (a, b)))
    assert [(s.record_in, s.source_out) for s in playlist.segments] == [(0, 24), (24, 30)]
