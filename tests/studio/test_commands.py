"""Every command: state0 -> redo -> state1 -> undo -> state0 -> redo -> state1, in memory AND on disk,
and once more through a reopened document (the history persists as JSON)."""
from __future__ import annotations

from typing import Callable

import pytest

from engine.cues import AudioCue, CameraCue, MotionCue
from studio.commands import (AddAudioCue, AddBibleEntry, AddSequence, AddShot, ChooseTake, Command,
                             DuplicateShot, Macro, MoveShot, RemoveAudioCue, RemoveBibleEntry, RemoveSequence,
                             RemoveShot, RestoreTake, SetAudioCue, SetBibleEntry, SetCameraCue, SetMotionCues,
                             SetProjectFields, SetProjectSetting, SetSequenceHeading, SetShotFields, SetTrim,
                             SplitShot, TrashTake, command_from_dict)
from studio.consent_commands import RemoveConsent, RevokeConsent, SetConsent
from studio.commands import SetValue, Target
from studio.document import Document
from studio.model import BibleEntry, ConsentRecord, Project, Shot, TakeStatus, ValidationError

try:
    from .core_helpers import disk_state, make_doc, sample_shot, sample_take
except ImportError:  # pytest without package __init__
    from core_helpers import disk_state, make_doc, sample_shot, sample_take


def _seq(p: Project, i: int) -> str:
    return p.sequences[i].id


COMMANDS: dict[str, Callable[[Project], Command]] = {
    "AddShot": lambda p: AddShot(_seq(p, 0), sample_shot("new1", "New", ("lo_dock",)), 1),
    "AddShot_end": lambda p: AddShot(_seq(p, 1), Shot.create(title="Tail", duration=24)),
    "RemoveShot": lambda p: RemoveShot("a1"),
    "MoveShot_within": lambda p: MoveShot("a0", _seq(p, 0), 2),
    "MoveShot_across": lambda p: MoveShot("a1", "sq_two", 0),
    "DuplicateShot": lambda p: DuplicateShot("a0"),
    "SplitShot": lambda p: SplitShot("a0", 40),
    "SetShotFields": lambda p: SetShotFields("a2", title="Renamed", duration=48, continuity="none"),
    "SetShotFields_selected_take": lambda p: SetShotFields("a0", selected_take="t2"),
    "SetCameraCue": lambda p: SetCameraCue("b0", CameraCue("dolly_in", amount=0.8, lens_mm=50, shot_size="CU")),
    "SetMotionCues": lambda p: SetMotionCues("b1", [MotionCue("Ana", "sits down", 0.2)]),
    "AddAudioCue": lambda p: AddAudioCue("b2", AudioCue("music", preset="tense", gain_db=-12)),
    "SetAudioCue": lambda p: SetAudioCue("a1", AudioCue("dialogue", text="We leave now.", start=12,
                                                        character="Ana", cue_id="au_line")),
    "RemoveAudioCue": lambda p: RemoveAudioCue("a1", "au_door"),
    "AddBibleEntry": lambda p: AddBibleEntry(BibleEntry("pr_key", "prop", "The key", "A brass key")),
    "SetBibleEntry": lambda p: SetBibleEntry(BibleEntry("ch_ana", "character", "Ana", "Now with a red scarf",
                                                        color="#aa2222", voice="en-gb+f3")),
    "RemoveBibleEntry": lambda p: RemoveBibleEntry("ch_ana"),
    "AddSequence": lambda p: AddSequence("sq_three", "EXT. ROOF - DAWN", 1),
    "SetSequenceHeading": lambda p: SetSequenceHeading("sq_two", "INT. OFFICE - NIGHT"),
    "RemoveSequence": lambda p: RemoveSequence("sq_two"),
    "ChooseTake": lambda p: ChooseTake("t2"),
    "TrashTake_selected": lambda p: TrashTake("t1"),
    "TrashTake_other": lambda p: TrashTake("t2"),
    "RestoreTake": lambda p: RestoreTake("t3"),
    "SetTrim": lambda p: SetTrim("a0", 6, 60),
    "SetProjectSetting": lambda p: SetProjectSetting("burn_in", True),
    "SetProjectSetting_new_key": lambda p: SetProjectSetting("export_preset", {"crf": 20, "tags": ["a", "b"]}),
    "SetProjectFields": lambda p: SetProjectFields(name="Renamed", fps="25", width=1920, height=1080),
    "Macro": lambda p: Macro("Insert Blend Shot", [AddShot(_seq(p, 0), Shot.create(title="Blend"), 1),
                                                    SetShotFields("a1", continuity="previous", seed=99),
                                                    TrashTake("t2")]),
}


@pytest.fixture
def doc(tmp_path):
    document = make_doc(tmp_path / "walk.shotreel")
    yield document
    document.close()


# Consent commands (studio.consent) walk from a document where Ana already has a consent record.
_CONSENT = ConsentRecord("Jane Actor", "2026-01-01", ("previs",), id="cs_ana", until="2026-12-31")
CONSENT_COMMANDS: dict[str, Callable[[Project], Command]] = {
    "SetConsent_edit": lambda p: SetConsent("ch_ana", _CONSENT.with_(scope=("previs", "export"), until="")),
    "RevokeConsent": lambda p: RevokeConsent("ch_ana", "withdrew", when="2026-06-01T10:00:00+00:00"),
    "RemoveConsent": lambda p: RemoveConsent("ch_ana"),
}
COMMANDS["SetConsent_first"] = lambda p: SetConsent("ch_ana", _CONSENT)


@pytest.mark.parametrize("name", sorted(CONSENT_COMMANDS))
def test_consent_state_walk(doc, name):
    doc.execute(SetConsent("ch_ana", _CONSENT))
    doc.clear_history()
    doc.mark_clean()
    _walk(doc, CONSENT_COMMANDS[name](doc.project))


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_state_walk(doc, name):
    _walk(doc, COMMANDS[name](doc.project))


def _walk(doc, cmd):
    folder = doc.folder
    state0 = doc.project.to_dict()
    assert disk_state(folder) == (state0, 0, "")

    doc.execute(cmd)
    state1 = doc.project.to_dict()
    assert state1 != state0
    assert disk_state(folder) == (state1, 1, cmd.text)

    assert doc.undo() == cmd.text
    assert doc.project.to_dict() == state0
    assert disk_state(folder) == (state0, 0, "")

    assert doc.redo() == cmd.text
    assert doc.project.to_dict() == state1
    assert disk_state(folder) == (state1, 1, cmd.text)

    # a later run: the command comes back from its JSON and still undoes and redoes exactly
    doc.close()
    with Document.open(folder) as again:
        assert again.project.to_dict() == state1
        assert again.undo() == cmd.text
        assert again.project.to_dict() == state0
        assert again.redo() == cmd.text
        assert again.project.to_dict() == state1
        assert command_from_dict(cmd.to_dict()).to_dict() == cmd.to_dict()


def test_every_command_class_and_value_target_is_walked():
    import studio.commands as module
    made = [COMMANDS[name](make_project_stub()) for name in COMMANDS]
    walked = {type(c).__name__ for c in made} | {type(c).__name__ for m in made if isinstance(m, Macro)
                                                  for c in m.commands}
    classes = {name for name in module.__all__ if isinstance(getattr(module, name), type)
               and issubclass(getattr(module, name), Command) and name != "Command"}
    assert classes - walked == set()
    import studio.consent_commands as consent
    walked |= {make(make_project_stub()).__class__.__name__ for make in CONSENT_COMMANDS.values()}
    assert set(consent.CONSENT_COMMANDS) - walked == set()
    targets = {type(c.target).__name__ for c in made if isinstance(c, SetValue)}
    kinds = {name for name in module.__all__ if isinstance(getattr(module, name), type)
             and issubclass(getattr(module, name), Target) and name != "Target"}
    assert kinds - targets == set()


def make_project_stub() -> Project:
    from studio.model import Sequence
    return Project("stub", sequences=[Sequence("sq_one"), Sequence("sq_two")])


# ---- semantics ---------------------------------------------------------------------------------

def test_split_shot_sums_durations_and_moves_sounds(doc):
    doc.execute(SplitShot("a0", 40, "a0b"))
    seq = doc.project.sequences[0]
    first, second = seq.shots[0], seq.shots[1]
    assert (first.duration, second.duration) == (40, 32)
    assert [a.cue_id for a in first.audio] == ["au_rain", "au_line"]
    assert [(a.cue_id, a.start) for a in second.audio] == [("au_door", 20)]
    assert first.selected_take == second.selected_take == "t1"
    assert (first.trim_in, first.trim_out, second.trim_in) == (0, 40, 40)
    with pytest.raises(ValidationError):
        doc.execute(SplitShot("a1", 72))


def test_duplicate_has_same_cues_new_id_no_take(doc):
    doc.execute(DuplicateShot("a0", "a0copy"))
    seq = doc.project.sequences[0]
    original, copy_ = seq.shots[0], seq.shots[1]
    assert copy_.id == "a0copy" and copy_.selected_take == ""
    assert (copy_.camera, copy_.motion, copy_.audio) == (original.camera, original.motion, original.audio)


def test_remove_bible_entry_drops_and_restores_refs(doc):
    doc.execute(RemoveBibleEntry("ch_ana"))
    assert all("ch_ana" not in s.bible_refs for _, s in doc.project.shots())
    doc.undo()
    assert doc.project.shot("a0").bible_refs == ("ch_ana", "lo_dock")
    assert doc.project.shot("b0").bible_refs == ("ch_ana",)


def test_trash_selected_take_unselects_and_undo_reselects(doc):
    doc.execute(TrashTake("t1"))
    assert doc.project.shot("a0").selected_take == ""
    assert doc.project.take("t1").status is TakeStatus.TRASHED
    with pytest.raises(ValidationError):
        doc.execute(ChooseTake("t1"))
    doc.undo()
    assert doc.project.shot("a0").selected_take == "t1"
    doc.execute(TrashTake("t2"))
    doc.execute(RestoreTake("t2"))
    assert doc.project.take("t2").status is TakeStatus.READY


def test_trim_is_checked_against_the_selected_take(doc):
    with pytest.raises(ValidationError, match="outside the take"):
        doc.execute(SetTrim("a0", 0, 80))  # t1 has 72 frames
    doc.execute(ChooseTake("t2"))           # 96 frames
    doc.execute(SetTrim("a0", 0, 80))
    assert doc.project.shot("a0").trim_out == 80


@pytest.mark.parametrize("make", [
    lambda p: AddShot("sq_nope", Shot.create(title="x")),
    lambda p: AddShot(p.sequences[0].id, Shot("a0", "duplicate id")),
    lambda p: AddShot(p.sequences[0].id, Shot.create(title="x", bible_refs=("ch_nobody",))),
    lambda p: MoveShot("a0", p.sequences[0].id, 9),
    lambda p: SetShotFields("a0", duration=0),
    lambda p: SetShotFields("a0", selected_take="t_missing"),
    lambda p: SetCameraCue("a0", {"move": "orbit", "direction": "up"}),
    lambda p: SetAudioCue("a0", AudioCue("sfx", preset="door", cue_id="au_nope")),
    lambda p: AddBibleEntry(BibleEntry("ch_ana2", "character", "ana")),
    lambda p: SetProjectFields(width=1001),
    lambda p: RemoveShot("zzz"),
    lambda p: Macro("half", [SetShotFields("a0", title="changed first"), RemoveShot("zzz")]),
])
def test_invalid_command_changes_nothing(doc, make):
    before = doc.project.to_dict()
    with pytest.raises(ValidationError):
        doc.execute(make(doc.project))
    assert doc.project.to_dict() == before
    assert not doc.can_undo
    assert disk_state(doc.folder) == (before, 0, "")


def test_consecutive_edits_of_one_field_merge(doc):
    original = doc.project.shot("a0").title
    for title in ("T", "Ti", "Tit", "Title"):
        doc.execute(SetShotFields("a0", title=title))
    assert doc.history == ["Edit Title"]
    assert disk_state(doc.folder)[0]["sequences"][0]["shots"][0]["title"] == "Title"
    doc.undo()
    assert doc.project.shot("a0").title == original
    assert disk_state(doc.folder)[1] == 0


def test_merging_needs_same_shot_and_fields_and_no_undo_between(doc):
    doc.execute(SetShotFields("a0", title="x"))
    doc.execute(SetShotFields("a1", title="y"))          # another shot
    doc.execute(SetShotFields("a1", notes="n"))          # another field
    camera = doc.project.shot("a1").camera
    doc.execute(SetCameraCue("a1", camera.with_(amount=0.5)))
    doc.execute(SetCameraCue("a1", camera.with_(amount=0.9)))  # the same cue field again: merges
    assert len(doc.history) == 4
    doc.undo()
    doc.redo()
    doc.execute(SetCameraCue("a1", camera.with_(amount=0.1)))  # undo/redo in between: no merge
    assert len(doc.history) == 5


def test_camera_edits_of_different_fields_are_separate_undo_steps(doc):
    """Issue 15 item 4: move, amount, lens and size edited one after another were one undo step."""
    original = doc.project.shot("a0").camera          # pan left 0.3, 35 mm, WS
    steps = [dict(move="tilt", direction="up"), dict(amount=0.7), dict(lens_mm=85), dict(shot_size="CU")]
    seen = [original]
    for change in steps:
        doc.execute(SetCameraCue("a0", doc.project.shot("a0").camera.with_(**change)))
        seen.append(doc.project.shot("a0").camera)
    assert doc.history == ["Change Camera"] * 4
    for expected in reversed(seen[:-1]):                # each undo reverts exactly one edit
        doc.undo()
        assert doc.project.shot("a0").camera == expected
    assert disk_state(doc.folder)[0]["sequences"][0]["shots"][0]["camera"] == original.to_dict()


def test_same_field_merges_within_a_gesture_only(doc):
    for amount in (0.4, 0.5, 0.6):                      # one slider gesture, or typing pauses
        doc.execute(SetCameraCue("a0", doc.project.shot("a0").camera.with_(amount=amount)))
    assert len(doc.history) == 1
    doc.end_gesture()                                   # focus moved away and came back
    doc.execute(SetCameraCue("a0", doc.project.shot("a0").camera.with_(amount=0.9)))
    assert len(doc.history) == 2
    doc.undo()
    assert doc.project.shot("a0").camera.amount == 0.6
    doc.undo()
    assert doc.project.shot("a0").camera.amount == 0.3


def test_a_failed_write_rolls_a_merge_back(doc, monkeypatch):
    doc.execute(SetShotFields("a0", title="one"))
    before = doc.project.to_dict()

    def broken(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(doc.store, "write", broken)
    with pytest.raises(OSError):
        doc.execute(SetShotFields("a0", title="two"))     # would merge into the first step
    monkeypatch.undo()
    assert doc.project.to_dict() == before
    doc.undo()
    assert doc.project.shot("a0").title == "Alpha 0"


def test_history_saved_by_the_old_field_commands_still_undoes(tmp_path):
    """A project whose history holds the schema-2 command shapes (SetShotFields, SetTrim, SetAudioCue ...),
    written by commit 52088fd (fixtures/make_history_v0.py): it opens, undoes and redoes every step."""
    import json
    import shutil
    from pathlib import Path
    fixtures = Path(__file__).with_name("fixtures")
    folder = tmp_path / "old.shotreel"
    shutil.copytree(fixtures / "history_v0.shotreel", folder)
    recorded = json.loads((fixtures / "history_v0_states.json").read_text())
    labels = recorded["labels"]
    # the states as this version's model reads them (fields added since then take their defaults)
    states = [Project.from_dict(state).to_dict() for state in recorded["states"]]
    with Document.open(folder) as doc:
        assert doc.history == labels and doc.history_index == len(labels)
        assert doc.project.to_dict() == states[-1]
        for i in range(len(labels), 0, -1):
            assert doc.undo() == labels[i - 1]
            assert doc.project.to_dict() == states[i - 1]
        for i in range(1, len(labels) + 1):
            doc.redo()
            assert doc.project.to_dict() == states[i]
        assert all(type(c).__name__ in ("SetValue", "Macro") for c in doc._stack)
    assert disk_state(folder) == (states[-1], len(labels), labels[-1])  # and saved in the new shape
    with Document.open(folder) as again:
        again.undo()
        assert again.project.to_dict() == states[-2]


def test_edits_merge_only_within_a_session(doc):
    doc.execute(SetShotFields("a0", title="first run"))
    folder = doc.folder
    doc.close()
    with Document.open(folder) as again:
        again.execute(SetShotFields("a0", title="second run"))
        assert again.history == ["Edit Title", "Edit Title"]
        again.undo()
        assert again.project.shot("a0").title == "first run"


def test_new_edit_after_undo_drops_the_redo_branch(doc):
    doc.execute(SetShotFields("a0", title="one"))
    doc.execute(RemoveShot("a2"))
    doc.undo()
    doc.execute(SetShotFields("a1", notes="branch"))
    assert not doc.can_redo and doc.history == ["Edit Title", "Edit Notes"]
    folder = doc.folder
    doc.close()
    with Document.open(folder) as again:
        assert again.history == ["Edit Title", "Edit Notes"] and not again.can_redo


def test_record_take_is_not_an_undo_step(doc):
    doc.execute(SetShotFields("a1", title="Renamed"))
    doc.record_take(sample_take("t9", "a1"))
    assert doc.project.shot("a1").selected_take == "t9"
    assert doc.history == ["Edit Title"]
    doc.undo()  # restores the title only, the take stays selected
    assert doc.project.shot("a1").selected_take == "t9"
    assert doc.project.shot("a1").title == "Alpha 1"
    assert disk_state(doc.folder)[0] == doc.project.to_dict()
