"""Document: creating, paths, notifications, clean state, history limit, takes, closing."""
from __future__ import annotations

import pytest

import studio.document as document_module
from studio.commands import AddShot, Change, ChangeKind, Macro, RemoveShot, SetProjectSetting, SetShotFields
from studio.document import MEDIA_SUBDIRS, Document
from studio.errors import UserError
from studio.model import Shot, ValidationError

try:
    from .core_helpers import disk_state, make_doc, sample_take
except ImportError:
    from core_helpers import disk_state, make_doc, sample_take


def test_create_lays_out_the_folder(tmp_path):
    with Document.create(tmp_path / "heist.shotreel", fps="30000/1001", width=1920, height=1080) as doc:
        assert doc.project.name == "heist"
        assert str(doc.project.fps) == "30000/1001"
        assert doc.media_dir == doc.folder / "media"
        assert all((doc.media_dir / sub).is_dir() for sub in MEDIA_SUBDIRS)
        assert len(doc.project.sequences) == 1 and not doc.can_undo and doc.is_clean
    assert disk_state(tmp_path / "heist.shotreel")[0]["fps"] == "30000/1001"


def test_create_refuses_existing_things(tmp_path):
    Document.create(tmp_path / "a.shotreel").close()
    with pytest.raises(UserError, match="already a Shotreel project"):
        Document.create(tmp_path / "a.shotreel")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match="not an empty folder"):
        Document.create(tmp_path / "full")
    assert (tmp_path / "full" / "notes.txt").read_text() == "mine"
    with pytest.raises(ValidationError, match="even"):
        Document.create(tmp_path / "odd.shotreel", width=641)
    assert not (tmp_path / "odd.shotreel").exists()  # a refused create leaves nothing behind


def test_paths_are_project_relative(tmp_path):
    with Document.create(tmp_path / "p.shotreel") as doc:
        target = doc.media_dir / "takes" / "t1" / "video.mp4"
        assert doc.relpath(target) == "media/takes/t1/video.mp4"
        assert doc.abspath("media/takes/t1/video.mp4") == target.resolve()
        with pytest.raises(UserError):
            doc.relpath(tmp_path / "elsewhere.mp4")
        with pytest.raises(UserError):
            doc.abspath("../escape.mp4")


def test_subscribers_hear_each_change_and_can_leave(tmp_path):
    with make_doc(tmp_path / "s.shotreel") as doc:
        heard: list[Change] = []
        leave = doc.subscribe(heard.append)
        doc.execute(SetShotFields("a1", title="x"))
        assert heard == [Change(ChangeKind.SHOT_CHANGED, ("a1",)), Change(ChangeKind.HISTORY)]
        heard.clear()
        doc.undo()
        assert heard == [Change(ChangeKind.SHOT_CHANGED, ("a1",)), Change(ChangeKind.HISTORY)]
        heard.clear()
        doc.record_take(sample_take("t7", "a2"))
        assert heard == [Change(ChangeKind.TAKE_RECORDED, ("t7",)), Change(ChangeKind.SHOT_CHANGED, ("a2",))]
        heard.clear()
        doc.job_store.save({"job_id": "j1", "status": "queued"})
        assert heard == [Change(ChangeKind.JOBS, ("j1",))]
        leave()
        doc.redo()
        assert len(heard) == 1


def test_a_failing_subscriber_does_not_undo_a_saved_edit(tmp_path, caplog):
    with make_doc(tmp_path / "s.shotreel") as doc:
        def broken(change: Change) -> None:
            raise RuntimeError("view bug")
        doc.subscribe(broken)
        doc.execute(SetShotFields("a1", title="kept"))
        assert doc.project.shot("a1").title == "kept"
        assert "view bug" in caplog.text


def test_clean_state_follows_undo_and_redo(tmp_path):
    with make_doc(tmp_path / "c.shotreel") as doc:
        assert doc.is_clean
        doc.execute(SetShotFields("a0", title="x"))
        assert not doc.is_clean
        doc.undo()
        assert doc.is_clean
        doc.redo()
        assert not doc.is_clean
        doc.execute(SetShotFields("a0", title="y"))  # after a redo: a new step, no merge
        doc.mark_clean()
        assert doc.is_clean and len(doc.history) == 2
        doc.execute(SetShotFields("a0", title="z"))  # merges into the clean step: clean is unreachable now
        assert not doc.is_clean and len(doc.history) == 2
        doc.undo()
        assert not doc.is_clean


def test_history_is_capped(tmp_path, monkeypatch):
    monkeypatch.setattr(document_module, "HISTORY_LIMIT", 3)
    with make_doc(tmp_path / "h.shotreel") as doc:
        for i in range(5):
            doc.execute(SetShotFields(f"a{i % 3}", notes=f"n{i}") if i % 2 else RemoveShot(f"b{i % 3}"))
        assert len(doc.history) == 3
        folder = doc.folder
    with Document.open(folder) as doc:
        assert len(doc.history) == 3 and doc.history_index == 3
        assert [doc.undo() for _ in range(4)][-1] is None


def test_macro_is_one_step(tmp_path):
    with make_doc(tmp_path / "m.shotreel") as doc:
        seq = doc.project.sequences[0].id
        doc.execute(Macro("Import Script", [AddShot(seq, Shot("i1", "One")), AddShot(seq, Shot("i2", "Two")),
                                            SetProjectSetting("burn_in", True)]))
        assert doc.undo_text == "Import Script"
        doc.undo()
        assert not any(s.id in ("i1", "i2") for _, s in doc.project.shots())


def test_record_take_refuses_a_duplicate_and_survives_removed_shots(tmp_path):
    with make_doc(tmp_path / "t.shotreel") as doc:
        with pytest.raises(ValidationError):
            doc.record_take(sample_take("t1", "a0"))
        doc.execute(RemoveShot("a2"))
        doc.record_take(sample_take("t8", "a2"))  # finished after its shot was removed: kept, not selected
        doc.undo()
        assert doc.project.shot("a2").selected_take == ""
        assert "t8" in doc.project.takes
        assert disk_state(doc.folder)[0] == doc.project.to_dict()


def test_closed_document_refuses_edits(tmp_path):
    doc = make_doc(tmp_path / "x.shotreel")
    doc.close()
    with pytest.raises(UserError, match="closed"):
        doc.execute(SetShotFields("a0", title="late"))


def test_settings(tmp_path):
    with make_doc(tmp_path / "st.shotreel") as doc:
        assert doc.get_setting("burn_in") is False
        doc.execute(SetProjectSetting("burn_in", True))
        assert doc.get_setting("burn_in") is True
        assert doc.get_setting("missing", 5) == 5
        with pytest.raises(ValidationError):
            SetProjectSetting("bad", object())


def test_change_kinds_are_typed_and_a_misspelt_kind_fails_loudly():
    """A view comparing `change.kind` with a misspelt string used to be a silent no-op."""
    change = Change(ChangeKind.SHOT_CHANGED, ("a1",))
    assert change.kind is ChangeKind.SHOT_CHANGED and change.kind in {ChangeKind.SHOT_CHANGED}
    assert Change("shot_changed", ("a1",)) == change and change.kind == "shot_changed"  # the old names, spelt right
    assert change.kind in ("bible", "shot_changed") and change.kind != "bible"
    with pytest.raises(ValueError):
        Change("shot_chnged", ("a1",))
    with pytest.raises(ValueError):
        change.kind == "shot_chnged"  # noqa: B015 (the comparison is what raises)
    with pytest.raises(ValueError):
        change.kind in ("bible", "shot_chnged")  # noqa: B015
    with pytest.raises(AttributeError):
        ChangeKind.SHOT_CHNGED  # noqa: B018
