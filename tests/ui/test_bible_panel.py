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
    _type_line(panel.consent_scope, "Previs for The Last Ferry only")
    consent = doc.project.bible_entry("ch_mara").consent
    assert consent is not None and consent.who == "Jane Actor" and consent.when == "2026-11-22"
    assert not panel.warning.isVisible() and field_error(panel.consent_scope) == ""
    evidence = tmp_path / "release.txt"
    evidence.write_text("I agree.")
    rel = panel.attach_evidence(str(evidence))
    assert rel.startswith("media/imports/") and (doc.folder / rel).read_text() == "I agree."
    assert doc.project.bible_entry("ch_mara").consent.evidence_file == rel
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
