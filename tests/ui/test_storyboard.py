"""Storyboard: the shot list model against a real document, cards, drag-reorder and edits as commands."""
from __future__ import annotations

import json
import random

from PySide6.QtCore import QByteArray, QMimeData, QModelIndex, Qt

from studio.commands import AddSequence, AddShot, ChooseTake, SetShotFields
from studio.model import Shot
from tests.ui.ui_fixtures import *  # noqa: F403
from tests.ui.ui_fixtures import add_take, grab_variance, make_doc
from ui.selection import ShotSelection
from ui.storyboard import ShotListItemModel, StoryboardPanel
from ui.storyboard.model import (CuesRole, JobRole, MIME_TYPE, NumberRole, ShotIdRole, StaleRole, ThumbnailRole)


def ids(doc):
    return [s.id for _, s in doc.project.shots()]


def test_model_passes_qtmodeltester_and_follows_edits(qtbot, qtmodeltester, doc):
    model = ShotListItemModel(doc)
    qtmodeltester.check(model)
    assert model.rowCount() == 5
    first = model.index(0)
    assert first.data(ShotIdRole) == "sh000" and first.data(NumberRole) == 1
    assert first.data() == "Shot title 0"
    assert "camera" in model.index(1).data(CuesRole) and "sfx" in model.index(1).data(CuesRole)
    assert "dialogue" in model.index(2).data(CuesRole)
    # inserts, removals, moves and field edits from commands reach the model (and keep it consistent)
    doc.execute(AddShot(doc.project.sequences[0].id, Shot("shnew", "Inserted"), 2))
    assert model.rowCount() == 6 and model.index(2).data(ShotIdRole) == "shnew"
    doc.execute(SetShotFields("shnew", title="Renamed"))
    assert model.index(2).data() == "Renamed"
    doc.undo()
    doc.undo()
    assert model.rowCount() == 5 and model.index(2).data(ShotIdRole) == "sh002"
    qtmodeltester.check(model)
    model.detach()


def test_drag_reorder_produces_move_shot_and_undo_restores(qtbot, doc):
    model = ShotListItemModel(doc)
    before = ids(doc)
    mime = model.mimeData([model.index(0)])
    assert json.loads(bytes(mime.data(MIME_TYPE)).decode()) == ["sh000"]
    # drop shot 1 before shot 4 (row 3)
    assert model.dropMimeData(mime, Qt.DropAction.MoveAction, 3, 0, QModelIndex()) is False  # view must not delete
    assert ids(doc) == ["sh001", "sh002", "sh000", "sh003", "sh004"]
    assert doc.undo_text == "Move Shot"
    assert [model.index(r).data(ShotIdRole) for r in range(5)] == ids(doc)
    doc.undo()
    assert ids(doc) == before
    assert [model.index(r).data(ShotIdRole) for r in range(5)] == before
    # Qt's moveRows (QListView's internal move) goes through the same command
    assert model.moveRows(QModelIndex(), 4, 1, QModelIndex(), 0)
    assert ids(doc)[0] == "sh004" and doc.undo_text == "Move Shot"
    assert not model.moveRows(QModelIndex(), 1, 1, QModelIndex(), 1)  # onto itself: refused
    model.detach()


def test_multi_shot_moves_match_the_requested_order(qtbot, tmp_path, studio_env):
    doc = make_doc(tmp_path, 7)
    model = ShotListItemModel(doc)
    rng = random.Random(4)
    for _ in range(25):
        order = ids(doc)
        picked = sorted(rng.sample(range(7), rng.randint(1, 3)))
        moving = [order[i] for i in picked]
        before_row = rng.randint(0, 7)
        anchor = next((i for i in order[before_row:] if i not in moving), None)
        rest = [i for i in order if i not in moving]
        at = rest.index(anchor) if anchor else len(rest)
        expected = rest[:at] + moving + rest[at:]
        model.move_shots(moving, before_row)
        assert ids(doc) == expected
        assert [model.index(r).data(ShotIdRole) for r in range(7)] == expected
    model.detach()
    doc.close()


def test_move_across_scenes(qtbot, doc):
    doc.execute(AddSequence("sq2", "INT. CABIN - NIGHT"))
    doc.execute(AddShot("sq2", Shot("shb", "In the cabin")))
    model = ShotListItemModel(doc)
    assert model.rowCount() == 6
    mime = QMimeData()
    mime.setData(MIME_TYPE, QByteArray(json.dumps(["sh001"]).encode()))
    model.dropMimeData(mime, Qt.DropAction.MoveAction, 5, 0, QModelIndex())  # before 'shb'
    seq2 = doc.project.sequence("sq2")
    assert [s.id for s in seq2.shots] == ["sh001", "shb"]
    doc.undo()
    assert [s.id for s in seq2.shots] == ["shb"]
    model.detach()


def test_thumbnails_load_off_the_gui_thread_and_badges(qtbot, doc):
    model = ShotListItemModel(doc)
    assert model.data(model.index(0), ThumbnailRole) is None  # nothing yet: placeholder
    add_take(doc, "sh000", "tk_a", color=(10, 200, 30))
    with qtbot.waitSignal(model.dataChanged, timeout=5000):
        first = model.data(model.index(0), ThumbnailRole)  # queues the load
        assert first is None
    image = model.data(model.index(0), ThumbnailRole)
    assert image is not None and not image.isNull()
    assert image.pixelColor(image.width() // 2, image.height() // 2).green() > 150
    # stale: shot 2 made from a take of shot 1 that is no longer selected
    add_take(doc, "sh001", "tk_b1", color=(50, 50, 200), source_take_id="tk_a")
    add_take(doc, "sh002", "tk_c", source_take_id="tk_b1")
    assert model.data(model.index(2), StaleRole) == ""
    add_take(doc, "sh001", "tk_b2", color=(50, 50, 220), source_take_id="tk_a")
    assert "no longer its selected take" in model.data(model.index(2), StaleRole)
    doc.execute(ChooseTake("tk_b1"))
    assert model.data(model.index(2), StaleRole) == ""
    model.set_job_state("sh003", "running", 0.4)
    assert model.data(model.index(3), JobRole) == ("running", 0.4)
    model.set_job_state("sh003", None)
    assert model.data(model.index(3), JobRole) is None
    model.detach()


def test_panel_edits_are_commands_and_undo_restores(qtbot, doc):
    selection = ShotSelection()
    panel = StoryboardPanel(doc, selection)
    qtbot.addWidget(panel)
    panel.resize(800, 500)
    panel.show()
    selection.set(["sh001"])
    assert [i.row() for i in panel.view.selectionModel().selectedIndexes()] == [1]
    panel.ask_heading = lambda title, text: None  # the scene has no heading: the user cancels the question
    new_id = panel.add_shot()
    assert ids(doc)[2] == new_id and doc.undo_text == "Add Shot" and selection.current() == new_id
    doc.undo()
    assert new_id not in ids(doc) and selection.ids() == []
    selection.set(["sh001", "sh003"])
    dupes = panel.duplicate_selected()
    assert len(dupes) == 2 and doc.undo_text == "Duplicate 2 Shots"
    doc.undo()
    selection.set(["sh002"])
    new = panel.split_current()
    assert doc.project.shot("sh002").duration + doc.project.shot(new).duration == 26
    doc.undo()
    assert doc.project.shot("sh002").duration == 26
    selection.set(["sh000", "sh004"])
    panel.delete_selected()
    assert ids(doc) == ["sh001", "sh002", "sh003"] and doc.undo_text == "Remove 2 Shots"
    doc.undo()
    assert len(ids(doc)) == 5
    # clicking a card updates the shared selection
    rect = panel.view.visualRect(panel.model.index(3))
    qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert selection.current() == "sh003"
    assert grab_variance(panel) > 50
    panel.detach()


def test_a_drop_on_the_card_view_moves_shots(qtbot, doc):
    """A real drop event on the icon view (what the user's drag ends with) lands as one MoveShot."""
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QDropEvent
    selection = ShotSelection()
    panel = StoryboardPanel(doc, selection)
    qtbot.addWidget(panel)
    panel.resize(1200, 500)
    panel.show()
    qtbot.waitExposed(panel)
    mime = panel.model.mimeData([panel.model.index(0)])
    target = panel.view.visualRect(panel.model.index(3))
    pos = QPointF(target.left() + 8, target.center().y())  # the left edge of shot 4: drop before it
    event = QDropEvent(pos, Qt.DropAction.MoveAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    panel.view.dropEvent(event)
    assert doc.undo_text == "Move Shot"
    assert ids(doc) == ["sh001", "sh002", "sh000", "sh003", "sh004"]  # before shot 4
    assert len(ids(doc)) == 5  # the view deleted nothing
    doc.undo()
    assert ids(doc)[0] == "sh000"
    # two cards dropped on the right half of the last card: both go to the end, one undo step
    mime = panel.model.mimeData([panel.model.index(0), panel.model.index(1)])
    last = panel.view.visualRect(panel.model.index(4))
    panel.view.dropEvent(QDropEvent(QPointF(last.right() - 8, last.center().y()), Qt.DropAction.MoveAction, mime,
                                    Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
    assert ids(doc) == ["sh002", "sh003", "sh004", "sh000", "sh001"] and doc.undo_text == "Move 2 Shots"
    doc.undo()
    assert ids(doc)[:2] == ["sh000", "sh001"]
    panel.detach()


def test_new_scene_and_new_shot_take_a_typed_heading(qtbot, doc):
    selection = ShotSelection()
    panel = StoryboardPanel(doc, selection)
    qtbot.addWidget(panel)
    asked = []
    panel.ask_heading = lambda title, text: asked.append((title, text)) or "EXT. COVE - NIGHT"
    selection.set(["sh004"])
    shot_id = panel.add_shot()               # the scene had no heading: asked once, one undo step
    assert doc.project.sequences[0].heading == "EXT. COVE - NIGHT" and doc.undo_text == "Add Shot"
    assert doc.project.shot(shot_id).continuity.value == "none"
    doc.undo()
    assert doc.project.sequences[0].heading == "" and shot_id not in ids(doc)
    panel.ask_heading = lambda title, text: "INT. LAMP ROOM - DUSK"
    first = panel.add_scene()
    seq, index, shot = doc.project.find_shot(first)
    assert seq.heading == "INT. LAMP ROOM - DUSK" and index == 0 and shot.continuity.value == "none"
    assert doc.undo_text == "New Scene" and len(doc.project.sequences) == 2
    panel.ask_heading = lambda title, text: "INT. LAMP ROOM - NIGHT"
    assert panel.edit_heading() == "INT. LAMP ROOM - NIGHT" and seq.heading == "INT. LAMP ROOM - NIGHT"
    doc.undo()
    doc.undo()
    assert len(doc.project.sequences) == 1
    panel.ask_heading = lambda title, text: None
    assert panel.add_scene() is None and len(doc.project.sequences) == 1   # cancelled: nothing changes
    panel.detach()
