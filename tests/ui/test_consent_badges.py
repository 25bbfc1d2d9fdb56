"""A revocation marks every view of the takes that show the likeness: the storyboard card's badge, the take
in the takes panel and the timeline clip; undo clears them. (Takes recorded without likeness metadata are
matched through their shot's bible reference.)"""
from __future__ import annotations

from studio.commands import AddBibleEntry, SetShotFields
from studio.consent_commands import RevokeConsent, SetConsent
from studio.model import BibleEntry, ConsentRecord
from tests.ui.ui_fixtures import *  # noqa: F403
from tests.ui.ui_fixtures import add_take
from ui.selection import ShotSelection
from ui.storyboard import ShotListItemModel, StoryboardPanel
from ui.storyboard.model import WithdrawnRole
from ui.takes.model import TakeTreeItemModel
from ui.takes.model import WithdrawnRole as TakeWithdrawnRole
from ui.timeline import TimelinePanel


def test_revocation_badges_card_take_and_clip(qtbot, doc):
    doc.execute(AddBibleEntry(BibleEntry("ch_m", "character", "Mara", real_person=True)))
    doc.execute(SetConsent("ch_m", ConsentRecord("Jane Actor", "2026-01-01", ("previs",), id="cs_m")))
    doc.execute(SetShotFields("sh001", bible_refs=("ch_m",)))
    add_take(doc, "sh001", "tk_m", video=True)
    add_take(doc, "sh002", "tk_other")
    board = ShotListItemModel(doc)
    takes = TakeTreeItemModel(doc)
    takes.set_shot("sh001")
    timeline = TimelinePanel(doc, ShotSelection())
    qtbot.addWidget(timeline)
    timeline.resize(900, 280)
    timeline.show()
    qtbot.waitExposed(timeline)
    storyboard = StoryboardPanel(doc, ShotSelection())
    qtbot.addWidget(storyboard)
    storyboard.resize(900, 400)
    storyboard.show()
    qtbot.waitExposed(storyboard)
    before = storyboard.grab().toImage()
    assert board.index(1).data(WithdrawnRole) == "" and timeline.canvas.withdrawn == {}

    doc.execute(RevokeConsent("ch_m", "withdrew"))
    assert board.index(1).data(WithdrawnRole).startswith("likeness withdrawn: consent for Mara was revoked")
    assert board.index(2).data(WithdrawnRole) == ""
    row = takes.index_of("tk_m")
    assert takes.data(row, TakeWithdrawnRole) and "likeness withdrawn" in takes.data(row)
    assert list(timeline.canvas.withdrawn) == ["sh001"]
    qtbot.waitUntil(lambda: storyboard.grab().toImage() != before, timeout=3000)
    assert "likeness withdrawn" in board.index(1).data(0x03)  # the tooltip says it too, with the way out
    from ui.dialogs.export import ExportDialog
    dialog = ExportDialog(doc)
    qtbot.addWidget(dialog)
    assert "cannot export the cut: likeness withdrawn" in dialog.status.text()  # said before Export is pressed
    assert "remove the shot" in dialog.status.text()

    doc.undo()
    assert board.index(1).data(WithdrawnRole) == "" and timeline.canvas.withdrawn == {}
    assert not takes.data(takes.index_of("tk_m"), TakeWithdrawnRole)
    for thing in (board, takes, timeline, storyboard):
        thing.detach()
