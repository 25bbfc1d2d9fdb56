"""Bible panel: the item model passes qtmodeltester and follows commands; add / edit / remove entries and
record consent through the widgets (each a command that undo restores); reference images are copied into
media/imports; an unreadable picture or an incomplete consent record is refused inline, losing nothing."""
from __future__ import annotations

from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from studio.commands import SetBibleEntry
from studio.demo import build_demo
from tests.ui.ui_fixtures import *  # noqa: F403
from tests.ui.ui_fixtures import grab_variance
from ui.bible import BibleItemModel, BiblePanel
from ui.bible.model import EntryIdRole, KindRole, UsableRole
from ui.inspector.fields import field_error
from ui.selection import ShotSelection


def _demo(tmp_path):
    return build_demo(tmp_path / "demo.shotreel")


def _panel(qtbot, doc):
    panel = BiblePanel(doc, ShotSelection())
    qtbot.addWidget(panel)
    panel.resize(760, 640)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def _type_line(widget, text: str) -> None:
    widget.setFocus()
    widget.selectAll()
    QTest.keyClick(widget, Qt.Key.Key_Delete)
    QTest.keyClicks(widget, text)
    QTest.keyClick(widget, Qt.Key.Key_Return)


def test_model_passes_qtmodeltester_and_follows_commands(qtbot, qtmodeltester, tmp_path, studio_env):
    doc = _demo(tmp_path)
    model = BibleItemModel(doc)
    qtmodeltester.check(model)
    assert model.rowCount() == 5
    first = model.index(0, 0)
    assert first.data() == "Mara" and first.data(EntryIdRole) == "ch_mara"
    assert first.data(KindRole) == "character" and first.data(UsableRole) is True
    mara = doc.project.bible_entry("ch_mara")
    doc.execute(SetBibleEntry(mara.with_(real_person=True)))
    assert model.index(0, 0).data(UsableRole) is False  # a real person without consent
    doc.undo()
    assert model.index(0, 0).data(UsableRole) is True
    qtmodeltester.check(model)
    model.detach()
    doc.close()


def test_add_edit_remove_entries_through_the_panel(qtbot, tmp_path, studio_env):
    doc = _demo(tmp_path)
    panel = _panel(qtbot, doc)
    entry_id = panel.add_entry("prop")
    assert doc.project.bible_entry(entry_id).name == "New prop"
    assert doc.undo_text == "Add Prop" and panel.current_entry_id() == entry_id
    _type_line(panel.name, "Brass lantern")
    assert doc.project.bible_entry(entry_id).name == "Brass lantern"
    assert doc.undo_text == "Edit Prop"
    _type_line(panel.name, "The parcel")  # the name of another prop: refused inline, text kept
    assert "already a prop named" in field_error(panel.name)
    assert panel.name.text() == "The parcel"
    assert doc.project.bible_entry(entry_id).name == "Brass lantern"
    _type_line(panel.name, "Storm lantern")
    assert field_error(panel.name) == ""
    panel.description.setFocus()
    QTest.keyClicks(panel.description, "Brass, dented, still lit.")
    panel.description.commit()
    assert doc.project.bible_entry(entry_id).description == "Brass, dented, still lit."
    doc.undo()  # the description is its own step (edits merge per field: issue 15 item 4)
    assert doc.project.bible_entry(entry_id).description == ""
    assert doc.project.bible_entry(entry_id).name == "Storm lantern"
    doc.undo()  # the name edits in a row are one step
    assert doc.project.bible_entry(entry_id).name == "New prop"
    # removing an entry drops the shots' references; undo restores both
    assert panel.select_entry("pr_parcel")
    panel.remove_current()
    assert doc.project.bible_by_name("The parcel") is None
    assert "pr_parcel" not in doc.project.shot("sh_ferry06").bible_refs
    doc.undo()
    assert "pr_parcel" in doc.project.shot("sh_ferry06").bible_refs
    doc.undo()
    assert all(e.id != entry_id for e in doc.project.bible)
    panel.detach()
    doc.close()


def test_real_person_needs_a_consent_record(qtbot, tmp_path, studio_env):
    doc = _demo(tmp_path)
    panel = _panel(qtbot, doc)
    assert panel.select_entry("ch_mara")
    assert not panel.warning.isVisible()
    panel.real_person.click()
    assert doc.project.bible_entry("ch_mara").real_person
    assert panel.warning.isVisible() and panel.consent_box.isVisible()
    index = panel.proxy.index(panel.list.currentIndex().row(), 0)
    assert index.data(UsableRole) is False  # the list shows the warning badge
    _type_line(panel.consent_who, "Jane Actor")
    _type_line(panel.consent_when, "22/11/2026")  # not ISO: refused on the date field, kept
    assert "ISO date" in field_error(panel.consent_when)
    assert doc.project.bible_entry("ch_mara").consent is None
    _type_line(panel.consent_when, "2026-11-22")
    assert "scope" in field_error(panel.consent_scope)  # still incomplete: the scope is required
    panel.consent_uses["previs"].click()
    consent = doc.project.bible_entry("ch_mara").consent
    assert consent is not None and consent.who == "Jane Actor" and consent.when == "2026-11-22"
    assert consent.scope == ("previs",)
    assert not panel.warning.isVisible() and field_error(panel.consent_scope) == ""
    panel.consent_uses["export"].click()
    _type_line(panel.consent_until, "2027-06-30")
    evidence = tmp_path / "release.txt"
    evidence.write_text("I agree.")
    rel = panel.attach_evidence(str(evidence))
    assert rel.startswith("media/consent/") and (doc.folder / rel).read_text() == "I agree."
    consent = doc.project.bible_entry("ch_mara").consent
    assert consent.evidence_file == rel and len(consent.evidence_sha256) == 64
    assert consent.scope == ("previs", "export") and consent.until == "2027-06-30" and consent.id
    assert consent.id in panel.consent_status.text() and "until 2027-06-30" in panel.consent_status.text()
    doc.undo()  # consent edits merged into one step
    doc.undo()  # real person
    entry = doc.project.bible_entry("ch_mara")
    assert not entry.real_person and entry.consent is None
    panel.detach()
    doc.close()


def test_reference_images_are_imported_and_unreadable_files_refused(qtbot, tmp_path, studio_env):
    doc = _demo(tmp_path)
    panel = _panel(qtbot, doc)
    panel.select_entry("lo_harbour")
    picture = tmp_path / "quay photo.png"
    Image.new("RGB", (640, 360), (30, 60, 120)).save(picture)
    rel = panel.add_reference_image(str(picture))
    assert rel.startswith("media/imports/quay_photo-") and (doc.folder / rel).is_file()
    assert doc.project.bible_entry("lo_harbour").reference_images == (rel,)
    assert panel.images.count() == 1
    qtbot.waitUntil(lambda: not panel.images.item(0).icon().isNull()
                    and panel.thumbnails.image(str(doc.folder / rel)) is not None, timeout=5000)
    bogus = tmp_path / "not a picture.png"
    bogus.write_text("hello")
    before = sorted(p.name for p in (doc.folder / "media" / "imports").iterdir())
    assert panel.add_reference_image(str(bogus)) is None
    assert "not a picture" in field_error(panel.add_image)
    assert sorted(p.name for p in (doc.folder / "media" / "imports").iterdir()) == before  # nothing copied
    assert doc.project.bible_entry("lo_harbour").reference_images == (rel,)
    panel.images.setCurrentRow(0)
    panel.remove_reference_image()
    assert doc.project.bible_entry("lo_harbour").reference_images == ()
    doc.undo()
    doc.undo()
    assert doc.project.bible_entry("lo_harbour").reference_images == ()
    assert grab_variance(panel) > 100
    panel.detach()
    doc.close()


def test_kind_tabs_filter_the_list(qtbot, qtmodeltester, tmp_path, studio_env):
    doc = _demo(tmp_path)
    panel = _panel(qtbot, doc)
    assert panel.proxy.rowCount() == 5
    panel.tabs.setCurrentIndex(1)  # characters
    assert panel.proxy.rowCount() == 2
    qtmodeltester.check(panel.proxy)
    assert {panel.proxy.index(r, 0).data() for r in range(2)} == {"Mara", "Tomas"}
    panel.add_entry("style")  # adding another kind shows everything again and selects it
    assert panel.tabs.currentIndex() == 0 and panel.proxy.rowCount() == 6
    panel.detach()
    doc.close()


def test_revoke_with_a_reason_lists_uses_and_undo_restores(qtbot, tmp_path, studio_env):
    from studio.consent_commands import SetConsent
    from studio.model import ConsentRecord
    doc = _demo(tmp_path)
    doc.execute(SetConsent("ch_mara", ConsentRecord("Jane Actor", "2026-01-01", ("previs",), id="cs_m")))
    panel = _panel(qtbot, doc)
    assert panel.select_entry("ch_mara")
    used = [panel.consent_used.item(i).text() for i in range(panel.consent_used.count())]
    mara_shots = [s for _, s in doc.project.shots() if "ch_mara" in s.bible_refs]
    assert mara_shots and sum(t.startswith("shot ") for t in used) >= len(mara_shots)
    panel._use_activated(panel.consent_used.item(0))  # double-click a use: its shot is selected
    assert panel.selection.ids() == [panel.consent_used.item(0).data(Qt.ItemDataRole.UserRole)]
    assert not panel.warning.isVisible() and panel.revoke_button.isEnabled()
    _type_line(panel.consent_reason, "Left the production")
    panel.revoke_button.click()
    consent = doc.project.bible_entry("ch_mara").consent
    assert consent.revoked and consent.revoked_reason == "Left the production"
    assert panel.warning.isVisible() and "revoked" in panel.warning.text()
    assert "REVOKED" in panel.consent_status.text() and not panel.revoke_button.isEnabled()
    index = panel.proxy.index(panel.list.currentIndex().row(), 0)
    assert index.data(UsableRole) is False
    assert doc.undo() == "Revoke Consent"
    assert not doc.project.bible_entry("ch_mara").consent.revoked and not panel.warning.isVisible()
    panel.clear_consent.click()
    assert doc.project.bible_entry("ch_mara").consent is None and panel.warning.isVisible()
    panel.detach()
    doc.close()


def test_a_3d_model_is_attached_replaced_and_cleared_undoably(qtbot, tmp_path, studio_env):
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))
    from test_previs_assets import box_glb
    doc = _demo(tmp_path)
    panel = _panel(qtbot, doc)
    assert panel.select_entry("lo_harbour")
    assert panel.model_box.isVisible() and not panel.clear_model_button.isEnabled()
    first = box_glb(tmp_path / "quay wall.glb")
    rel = panel.attach_model(str(first))
    assert rel.startswith("media/models/") and (doc.folder / rel).read_bytes() == first.read_bytes()
    assert doc.project.bible_entry("lo_harbour").model == rel and panel.model_path.text() == rel
    assert panel.attach_model_button.text() == "Replace…" and panel.clear_model_button.isEnabled()
    second = box_glb(tmp_path / "pier.glb", colour=(0.1, 0.1, 0.9))
    rel2 = panel.attach_model(str(second))
    assert rel2 != rel and doc.project.bible_entry("lo_harbour").model == rel2
    # a broken file is refused inline, nothing copied, the model kept
    bad = tmp_path / "broken.glb"
    bad.write_bytes(b"glTF\x02\x00\x00\x00\xff\xff\x00\x00")
    before = sorted(p.name for p in (doc.folder / "media" / "models").iterdir())
    assert panel.attach_model(str(bad)) is None
    assert "broken.glb is not a usable 3D model" in field_error(panel.attach_model_button)
    assert sorted(p.name for p in (doc.folder / "media" / "models").iterdir()) == before
    panel.clear_model()
    assert doc.project.bible_entry("lo_harbour").model == "" and panel.model_path.text() == ""
    doc.undo()
    assert doc.project.bible_entry("lo_harbour").model == rel2      # each step is one command
    doc.undo()
    assert doc.project.bible_entry("lo_harbour").model == rel
    doc.undo()
    assert doc.project.bible_entry("lo_harbour").model == ""
    panel.select_entry(next(e.id for e in doc.project.bible if e.kind.value == "style"))
    assert not panel.model_box.isVisible()                           # a style has no model
    doc.close()


def test_loras_are_added_weighted_and_removed_undoably(qtbot, tmp_path, studio_env):
    doc = _demo(tmp_path)
    panel = _panel(qtbot, doc)
    assert panel.select_entry("ch_mara") and panel.lora_box.isVisible()
    before = doc.project.bible_entry("ch_mara").loras
    import numpy as np
    from safetensors.numpy import save_file
    lora = tmp_path / "mara_v2.safetensors"
    save_file({"lora_A.weight": np.zeros((2, 4), dtype=np.float32)}, str(lora))
    assert panel.add_lora(str(lora))
    added = doc.project.bible_entry("ch_mara").loras
    # copied into the project (portable, nothing outside it read at generation time)
    assert len(added) == len(before) + 1 and added[-1].path.startswith("media/loras/") and added[-1].weight == 1.0
    assert (doc.folder / added[-1].path).read_bytes() == lora.read_bytes()
    assert panel.loras.currentRow() == len(added) - 1 and "mara_v2" in panel.loras.currentItem().text()
    panel.lora_weight.setValue(0.7)
    panel.lora_weight.editingFinished.emit()
    _type_line(panel.lora_trigger, "mara woman")
    last = doc.project.bible_entry("ch_mara").loras[-1]
    assert (last.weight, last.trigger) == (0.7, "mara woman")
    pickle = tmp_path / "evil.ckpt"
    pickle.write_bytes(b"x")
    assert not panel.add_lora(str(pickle))                     # only .safetensors: refused inline
    assert "safetensors" in field_error(panel.add_lora_button)
    panel.remove_lora()
    assert doc.project.bible_entry("ch_mara").loras == before
    for _ in range(4):                                         # remove, trigger, weight, add: four steps
        doc.undo()
    assert doc.project.bible_entry("ch_mara").loras == before
    doc.redo()
    assert doc.project.bible_entry("ch_mara").loras[-1].weight == 1.0
    panel.select_entry("pr_parcel")
    assert not panel.lora_box.isVisible()                      # a prop has no LoRA
    doc.close()
