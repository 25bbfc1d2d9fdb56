"""Takes panel: the lineage model, choose/trash/restore as undoable commands, in-sync compare."""
from __future__ import annotations

from tests.ui.ui_fixtures import *  # noqa: F403
from tests.ui.ui_fixtures import add_take
from studio.model import TakeStatus
from ui.selection import ShotSelection
from ui.takes import TakesPanel, TakeTreeItemModel
from ui.takes.model import IsSelectedRole, TakeIdRole


def test_lineage_tree_passes_qtmodeltester(qtbot, qtmodeltester, doc):
    add_take(doc, "sh000", "tk1")
    add_take(doc, "sh000", "tk2", parent="tk1", operation="variation")
    add_take(doc, "sh000", "tk3", parent="tk2", operation="extend")
    add_take(doc, "sh000", "tk4")
    add_take(doc, "sh001", "other")
    model = TakeTreeItemModel(doc)
    model.set_shot("sh000")
    qtmodeltester.check(model)
    assert model.rowCount() == 2  # tk1 (with its lineage) and tk4
    root = model.index(0, 0)
    assert root.data(TakeIdRole) == "tk1" and root.data() == "Take 1"
    child = model.index(0, 0, root)
    assert child.data(TakeIdRole) == "tk2" and model.index(0, 1, root).data() == "variation"
    grandchild = model.index(0, 0, child)
    assert grandchild.data(TakeIdRole) == "tk3" and model.parent(grandchild).data(TakeIdRole) == "tk2"
    assert model.index(1, 0).data(IsSelectedRole)  # tk4 was recorded last and selected
    model.detach()


def test_choose_trash_restore_are_commands_and_undo(qtbot, doc):
    add_take(doc, "sh000", "tk1")
    add_take(doc, "sh000", "tk2", parent="tk1", operation="variation")
    selection = ShotSelection()
    panel = TakesPanel(doc, selection)
    qtbot.addWidget(panel)
    panel.show()
    selection.set(["sh000"])
    assert set(panel.model.take_ids()) == {"tk1", "tk2"}
    panel.select_takes(["tk1"])
    assert panel.actions_by_name["choose"].isEnabled()
    panel.actions_by_name["choose"].trigger()
    assert doc.project.shot("sh000").selected_take == "tk1" and doc.undo_text == "Choose Take"
    doc.undo()
    assert doc.project.shot("sh000").selected_take == "tk2"
    panel.select_takes(["tk2"])
    panel.actions_by_name["trash"].trigger()
    assert doc.project.takes["tk2"].status is TakeStatus.TRASHED
    assert doc.project.shot("sh000").selected_take == ""
    panel.actions_by_name["show_trash"].setChecked(False)
    assert panel.model.take_ids() == ["tk1"]
    panel.actions_by_name["show_trash"].setChecked(True)
    panel.select_takes(["tk2"])
    assert panel.actions_by_name["restore"].isEnabled()
    panel.actions_by_name["restore"].trigger()
    assert doc.project.takes["tk2"].status is TakeStatus.READY and doc.undo_text == "Restore Take"
    doc.undo()
    doc.undo()
    assert doc.project.takes["tk2"].status is TakeStatus.READY
    assert doc.project.shot("sh000").selected_take == "tk2"
    panel.detach()


def test_compare_drives_both_players_from_one_position(qtbot, doc):
    add_take(doc, "sh000", "tk1", video=True, frames=24, color=(200, 30, 30))
    add_take(doc, "sh000", "tk2", video=True, frames=12, color=(30, 30, 200), parent="tk1")
    selection = ShotSelection()
    panel = TakesPanel(doc, selection)
    qtbot.addWidget(panel)
    panel.resize(700, 500)
    panel.show()
    selection.set(["sh000"])
    panel.select_takes(["tk1", "tk2"])
    assert panel.actions_by_name["compare"].isEnabled()
    assert panel.compare_selected()
    compare = panel.compare
    a, b = compare.players
    compare.set_position(8)
    assert a.position == 8 and b.position == 8
    compare.set_position(20)  # past the short take: it holds its last frame
    assert a.position == 20 and b.position == 11
    qtbot.waitUntil(lambda: a.displayed_frame == 20 and b.displayed_frame == 11, timeout=5000)
    compare.set_position(0)
    compare.play()
    qtbot.waitUntil(lambda: compare.position >= 6, timeout=5000)
    assert a.position == compare.position and b.position == min(compare.position, 11)
    compare.pause()
    panel.detach()
