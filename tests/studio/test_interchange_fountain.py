"""Fountain import into a real document (SQLite store, undo history), one undoable step."""
from __future__ import annotations

import pytest

from studio.document import Document
from studio.errors import UserError
from studio.interchange import import_file, parse_import
from studio.interchange.fountain import parse_fountain_text

SCRIPT = """Title: Night Walk
Author: Test Writer

FADE IN:

EXT. STREET - NIGHT #1#

= Maya comes home late.

Rain hammers the empty street. MAYA (30s), soaked, walks toward a red door. [[Neon in the puddles.]]

MAYA
(to herself)
Almost *there*.

TOM (O.S.)
Maya? Is that you?

MAYA
Who else would it be?

/* A deleted scene
INT. BAR - NIGHT

BARTENDER
We're closed.
*/

DISSOLVE TO:

INT. FLAT - NIGHT

The flat is dark. Tom sits at the kitchen table. A single bulb swings above him. The fridge hums. Somewhere a dog barks twice and then falls silent. The clock on the wall reads three in the morning. A car passes and its headlights sweep the ceiling. Nobody moves.

TOM
You're late.

MAYA ^
I know.

> THE END <

FADE OUT.
"""


@pytest.fixture()
def doc(tmp_path):
    document = Document.create(tmp_path / "night.shotreel", fps=24)
    yield document
    document.close()


def test_fountain_import_scenes_shots_dialogue_characters(doc, tmp_path):
    script = tmp_path / "night.fountain"
    script.write_text(SCRIPT, encoding="utf-8")
    parsed = import_file(doc, script)
    project = doc.project
    assert parsed.title == "Night Walk"
    assert [s.heading for s in project.sequences] == ["EXT. STREET - NIGHT", "INT. FLAT - NIGHT"]
    street, flat = project.sequences
    # characters in the bible, with distinct scratch voices; the boneyard's BARTENDER is not there
    names = sorted(b.name for b in project.bible)
    assert names == ["Maya", "Tom"]
    assert len({b.voice for b in project.bible}) == 2
    maya, tom = project.bible_by_name("Maya"), project.bible_by_name("Tom")
    # scene 1: the action shot carries Maya's first line; Tom's reply gets a shot of his own, and so does hers
    action = street.shots[0]
    assert action.prompt.startswith("Rain hammers the empty street.")
    assert "Scene: Maya comes home late." in action.notes and "Neon in the puddles." in action.notes
    assert [(c.character, c.text) for c in action.audio] == [("Maya", "Almost there.")]
    assert action.dialogue == "MAYA: (to herself) Almost there."
    assert maya.id in action.bible_refs
    assert [(s.audio[0].character, s.audio[0].text) for s in street.shots[1:]] == \
        [("Tom", "Maya? Is that you?"), ("Maya", "Who else would it be?")]
    assert street.shots[1].bible_refs == (tom.id,) and street.shots[1].camera.shot_size.value == "MCU"
    assert all(c.kind.value == "dialogue" for s in street.shots for c in s.audio)
    # the shot is long enough for its line, which starts inside it
    for shot in street.shots:
        for cue in shot.audio:
            assert 0 <= cue.start < shot.duration
    # scene 2: the long paragraph is split at sentence ends; DISSOLVE TO: is a crossfade into it
    long_action = [s for s in flat.shots if not s.audio and not s.prompt.startswith("Title card")]
    assert len(long_action) >= 1 and all(len(s.prompt) <= 220 for s in flat.shots)
    assert "".join(s.prompt for s in flat.shots[:2]).count("Tom sits") == 1
    assert flat.shots[0].transition.kind.value == "crossfade"
    # dual dialogue starts with the line it answers
    dual = next(s for s in flat.shots if len(s.audio) == 2)
    assert [c.character for c in dual.audio] == ["Tom", "Maya"] and dual.audio[0].start == dual.audio[1].start
    assert flat.shots[-1].title == "THE END"
    text = " ".join(s.prompt + s.dialogue + s.notes for _, s in project.shots())
    assert "BARTENDER" not in text and "closed" not in text and "*" not in text
    # one undo step; it survives reopening
    assert doc.undo_text.endswith("Import night.fountain") or "night.fountain" in doc.undo_text
    folder = doc.folder
    snapshot = project.to_dict()
    doc.close()
    reopened = Document.open(folder)
    try:
        assert reopened.project.to_dict() == snapshot
        reopened.undo()
        assert not reopened.project.bible and all(not s.shots for s in reopened.project.sequences)
        assert len(reopened.project.sequences) == 1
    finally:
        reopened.close()


def test_fountain_import_reuses_existing_character(doc, tmp_path):
    script = tmp_path / "a.fountain"
    script.write_text("INT. ROOM - DAY\n\nMaya waits.\n\nMAYA\nHello.\n", encoding="utf-8")
    import_file(doc, script)
    import_file(doc, script)  # a second import of the same script: one Maya, two copies of the scene
    assert [b.name for b in doc.project.bible] == ["Maya"]
    refs = {r for _, s in doc.project.shots() for r in s.bible_refs}
    assert refs == {doc.project.bible[0].id}


@pytest.mark.parametrize("content", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64),          # a binary file renamed .fountain
    "Just some notes about the weather.\nIt rained a lot.\n".encode(),  # prose: no scene, no dialogue
    b"",
])
def test_not_fountain_changes_nothing(doc, tmp_path, content):
    bad = tmp_path / "bad.fountain"
    bad.write_bytes(content)
    before, history = doc.project.to_dict(), doc.history
    with pytest.raises(UserError, match="Fountain screenplay"):
        import_file(doc, bad)
    assert doc.project.to_dict() == before and doc.history == history


def test_parser_details():
    parsed = parse_fountain_text(
        "Title:\n    _Two_ Lines\n\n.FLASHBACK\n\n!ALL CAPS ACTION LINE.\n\n@McCLANE\nYippee.\n\n"
        "INT. HALL - DAY\n\n[[standalone note]]\n\nBOB (V.O.)\n(quietly)\nHi.\n\nSMASH CUT TO:\n\nEXT. YARD - DAY\n\nBob runs.\n",
        24)
    assert parsed.title == "Two Lines"
    assert [s.heading for s in parsed.sequences] == ["FLASHBACK", "INT. HALL - DAY", "EXT. YARD - DAY"]
    first = parsed.sequences[0].shots
    # forced action stays action; a forced character (@) speaks over it (the shot shows nobody in particular)
    assert first[0].prompt == "ALL CAPS ACTION LINE." and first[0].audio[0].character == "McCLANE"
    hall = parsed.sequences[1].shots[0]
    assert hall.audio[0].character == "Bob" and hall.audio[0].text == "Hi." and "standalone note" in hall.notes
    yard = parsed.sequences[2].shots[0]
    assert yard.transition.kind.value == "cut" and yard.motion and yard.motion[0].kind.value == "run"
    # no title page: a first line 'FADE IN:' straight above the first heading is not one
    opening = parse_fountain_text("FADE IN:\nEXT. SEA - DAY\n\nWaves.\n\nANNA\nLand!\n", 24)
    assert opening.title == "" and [s.heading for s in opening.sequences] == ["EXT. SEA - DAY"]
    assert [s.prompt for s in opening.sequences[0].shots] == ["Waves."]
    with pytest.raises(UserError):
        parse_import("x.txt")
