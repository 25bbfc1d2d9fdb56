"""Shared builders for the studio core tests (store, commands, document, CLI)."""
from __future__ import annotations

from pathlib import Path

from engine.cues import AudioCue, CameraCue, MotionCue
from studio.commands import AddBibleEntry, AddSequence, AddShot, Macro
from studio.document import Document
from studio.model import BibleEntry, Shot, Take


def sample_shot(shot_id: str, title: str, refs: tuple[str, ...] = ()) -> Shot:
    return Shot(shot_id, title, f"{title}: something happens", duration=72, seed=7, bible_refs=refs,
                camera=CameraCue("pan", "left", 0.3, lens_mm=35, shot_size="WS"),
                motion=(MotionCue("Ana", "walks to the door", 0.5, "left"),),
                audio=(AudioCue("ambience", preset="rain", cue_id="au_rain"),
                       AudioCue("dialogue", text="We leave at dawn.", start=30, character="Ana", cue_id="au_line"),
                       AudioCue("sfx", preset="door", start=60, cue_id="au_door")))


def sample_take(take_id: str, shot_id: str, frames: int = 72, created: str = "2026-11-22T00:00:00Z") -> Take:
    return Take(take_id, shot_id, "previs", seed=7, frames=frames, width=640, height=360, created=created,
                files={"video": f"media/takes/{take_id}/video.mp4"}, params={"steps": 1})


def make_doc(folder: Path, shots_per_scene: int = 3) -> Document:
    """Two scenes of shots, two bible entries, and three takes of the first shot (t1 selected, t3 trashed)."""
    doc = Document.create(folder, name="Sample")
    first = doc.project.sequences[0].id
    commands = [AddBibleEntry(BibleEntry("ch_ana", "character", "Ana", color="#c0504d", voice="en-gb+f3")),
                AddBibleEntry(BibleEntry("lo_dock", "location", "Dock")),
                AddSequence("sq_two", "INT. OFFICE - DAY")]
    for i in range(shots_per_scene):
        commands.append(AddShot(first, sample_shot(f"a{i}", f"Alpha {i}", ("ch_ana", "lo_dock"))))
        commands.append(AddShot("sq_two", sample_shot(f"b{i}", f"Bravo {i}", ("ch_ana",))))
    doc.execute(Macro("Build", commands))
    doc.record_take(sample_take("t1", "a0", created="2026-11-22T00:00:01Z"))
    doc.record_take(sample_take("t2", "a0", frames=96, created="2026-11-22T00:00:02Z"), select=False)
    doc.record_take(sample_take("t3", "a0", created="2026-11-22T00:00:03Z").with_(status="trashed"), select=False)
    doc.clear_history()
    doc.mark_clean()
    return doc


def disk_state(folder: Path) -> tuple[dict, int, str]:
    """What a fresh open of the project sees: (project dict, history index, undo label)."""
    with Document.open(folder) as doc:
        return doc.project.to_dict(), doc.history_index, doc.undo_text


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """`shotreel ARGV` in this process: (exit code, stdout, stderr)."""
    from studio.cli import main
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *argv: str):
    """`shotreel ARGV --json`, which must succeed: its JSON document."""
    import json
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)
