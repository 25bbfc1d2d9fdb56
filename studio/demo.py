"""The demo project: 'The Last Ferry', one rainy harbour scene in ten shots.

A courier waits for a ferry that the old watchman swears is not coming; he notices the parcel she
guards; the ferry comes anyway. It exercises what the studio does: two characters with colours and
voices, a location, a prop and a style in the bible; every kind of camera move a board needs
(pan, static, truck, dolly in/out, orbit, tilt, zoom, crane, handheld); motion cues; dialogue, SFX,
ambience and music cues; continuity chained from shot to shot; a crossfade.

Who calls: `shotreel demo` and `make run`/`make demo`. Ids are fixed so the demo renders the same
every time (seeds too).
"""
from __future__ import annotations

import os

from engine.cues import AudioCue, CameraCue, MotionCue

from .commands import AddBibleEntry, AddShot, Macro, SetSequenceHeading
from .document import Document
from .model import BibleEntry, BibleKind, Shot, Transition

DEMO_NAME = "The Last Ferry"
HEADING = "EXT. HARBOUR QUAY - NIGHT"

MARA, TOMAS, HARBOUR, PARCEL, STYLE = "ch_mara", "ch_tomas", "lo_harbour", "pr_parcel", "st_rain_noir"


def _bible() -> list[BibleEntry]:
    return [
        BibleEntry(MARA, BibleKind.CHARACTER, "Mara",
                   "A courier in her late thirties: long dark coat, collar up, wet black hair. Keeps her promises "
                   "and her parcels.", color="#c0504d", voice="en-gb+f3"),
        BibleEntry(TOMAS, BibleKind.CHARACTER, "Tomas",
                   "The harbour watchman, sixties, yellow oilskin and a brass storm lantern. Has seen every ferry "
                   "for forty years.", color="#e0a526", voice="en-us+m3"),
        BibleEntry(HARBOUR, BibleKind.LOCATION, "Harbour quay",
                   "A stone quay at night: sodium lamps, iron bollards, stacked crates, black water slapping the "
                   "wall, a ferry ramp chained shut, a breakwater light blinking far out."),
        BibleEntry(PARCEL, BibleKind.PROP, "The parcel",
                   "A small parcel wrapped in oilcloth and tied with red string."),
        BibleEntry(STYLE, BibleKind.STYLE, "Rain noir",
                   "Wet night, sodium orange against blue-black shadow, rain streaks in the lamp light, long "
                   "lenses, slow deliberate moves."),
    ]


def _sound(kind: str, preset: str = "", *, text: str = "", start: int = 0, duration: int = 0, gain: float = 0.0,
           character: str = "", cue_id: str) -> AudioCue:
    return AudioCue(kind=kind, preset=preset, text=text, start=start, duration=duration, gain_db=gain,
                    character=character, cue_id=cue_id)


def _shots() -> list[Shot]:
    rain = lambda n: _sound("ambience", "rain", gain=-8, cue_id=f"au_rain{n}")  # noqa: E731
    return [
        Shot("sh_ferry01", "The empty quay",
             "Rain sweeps an empty stone quay at night; sodium lamps buzz over black water and a ferry ramp "
             "chained shut. Far along the quay a lone figure waits.",
             duration=120, seed=101, continuity="none", bible_refs=(HARBOUR, MARA, STYLE),
             camera=CameraCue("pan", "right", 0.45, "ease_in_out", 24, "EWS", "high"),
             motion=(MotionCue("Mara", "waits at the end of the quay", 0.1, kind="none"),),
             audio=(rain(1), _sound("ambience", "sea", gain=-12, cue_id="au_sea1"),
                    _sound("music", "tense", gain=-16, cue_id="au_mus1")),
             notes="Establish the geography: ramp left, lamps right, Mara small at the far end."),
        Shot("sh_ferry02", "Mara waits",
             "Mara stands under a lamp, collar up, and checks her watch.",
             duration=96, seed=102, bible_refs=(MARA, HARBOUR, PARCEL),
             camera=CameraCue("static", "", 0.0, "linear", 50, "MS", "eye"),
             motion=(MotionCue("Mara", "checks her watch", 0.3, kind="gesture"),),
             audio=(rain(2), _sound("sfx", "click", text="watch lid snaps shut", start=40, cue_id="au_click2"))),
        Shot("sh_ferry03", "The watchman",
             "Tomas walks along the quay towards her, his storm lantern swinging.",
             duration=96, seed=103, bible_refs=(TOMAS, HARBOUR),
             camera=CameraCue("truck", "left", 0.5, "ease_in_out", 35, "WS", "eye"),
             motion=(MotionCue("Tomas", "walks along the quay", 0.6, "left", kind="cross"),),
             audio=(rain(3), _sound("sfx", "footsteps", text="boots on wet stone", cue_id="au_steps3"))),
        Shot("sh_ferry04", "No ferry tonight",
             "Tomas stops and raises the lantern to see her face.",
             dialogue="TOMAS: Ferry's not coming tonight. Not in this weather.",
             duration=96, seed=104, bible_refs=(TOMAS, HARBOUR),
             camera=CameraCue("dolly_in", "in", 0.4, "ease_out", 50, "MCU", "low"),
             motion=(MotionCue("Tomas", "talks, raising the lantern", 0.4, kind="gesture"),),
             audio=(rain(4), _sound("dialogue", text="Ferry's not coming tonight. Not in this weather.",
                                    start=12, character="Tomas", cue_id="au_line4"))),
        Shot("sh_ferry05", "It always comes",
             "Mara turns to face him, rain running off her collar.",
             dialogue="MARA: It always comes. It came for my father, every night for thirty years.",
             duration=120, seed=105, bible_refs=(MARA, HARBOUR),
             camera=CameraCue("orbit", "cw", 0.35, "ease_in_out", 85, "CU", "eye"),
             motion=(MotionCue("Mara", "turns to face him", 0.4, "right", kind="turn"),),
             audio=(_sound("ambience", "wind", gain=-10, cue_id="au_wind5"),
                    _sound("sfx", "whoosh", text="a gust off the water", start=4, gain=-6, cue_id="au_gust5"),
                    _sound("dialogue", text="It always comes. It came for my father, every night for thirty years.",
                           start=18, character="Mara", cue_id="au_line5"),
                    _sound("music", "warm", start=40, gain=-20, cue_id="au_mus5"))),
        Shot("sh_ferry06", "The parcel",
             "Under her coat, her hand tightens on an oilcloth parcel tied with red string.",
             duration=72, seed=106, bible_refs=(MARA, PARCEL),
             camera=CameraCue("tilt", "down", 0.5, "ease_in_out", 100, "ECU", "high"),
             motion=(MotionCue("Mara", "grips the parcel", 0.2, kind="gesture"),),
             audio=(_sound("sfx", "heartbeat", gain=-4, cue_id="au_heart6"),
                    _sound("music", "tense", gain=-14, cue_id="au_mus6"))),
        Shot("sh_ferry07", "He has seen it",
             "Tomas's eyes drop to the parcel. He steps closer.",
             dialogue="TOMAS: Then it'll have to come for that too.",
             duration=96, seed=107, bible_refs=(TOMAS, MARA, PARCEL),
             camera=CameraCue("zoom_in", "in", 0.6, "ease_in", 35, "MS", "eye"),
             motion=(MotionCue("Tomas", "comes closer", 0.5, "toward", kind="approach"),),
             audio=(rain(7), _sound("sfx", "footsteps", text="two slow steps", start=6, duration=30, gain=-3,
                                    cue_id="au_steps7"),
                    _sound("dialogue", text="Then it'll have to come for that too.", start=44, character="Tomas",
                           cue_id="au_line7"))),
        Shot("sh_ferry08", "The horn",
             "Out in the dark, a ferry's lights swing round the breakwater; its horn rolls over the harbour.",
             duration=120, seed=108, continuity="reference", bible_refs=(HARBOUR, STYLE),
             camera=CameraCue("crane", "up", 0.5, "ease_in_out", 24, "EWS", "low"),
             transition=Transition("crossfade", 12),
             audio=(_sound("ambience", "sea", gain=-8, cue_id="au_sea8"),
                    _sound("sfx", "riser", text="the ferry horn swells", start=24, gain=-2, cue_id="au_horn8"),
                    _sound("music", "action", start=48, gain=-10, cue_id="au_mus8"))),
        Shot("sh_ferry09", "The lantern falls",
             "Tomas lunges for the parcel; Mara twists away; the lantern smashes on the stones.",
             duration=72, seed=109, bible_refs=(TOMAS, MARA, PARCEL),
             camera=CameraCue("handheld", "", 0.6, "linear", 35, "MCU", "dutch"),
             motion=(MotionCue("Tomas", "lunges for the parcel", 0.9, "right", kind="run"),
                     MotionCue("Mara", "twists away", 0.7, "away", kind="recede")),
             audio=(rain(9), _sound("sfx", "impact", text="shoulder against shoulder", start=20, cue_id="au_hit9"),
                    _sound("sfx", "glass", text="the lantern smashes", start=26, cue_id="au_glass9"),
                    _sound("music", "action", gain=-8, cue_id="au_mus9"))),
        Shot("sh_ferry10", "Last ferry",
             "Mara walks up the lowered ramp into the ferry's light without looking back. Tomas stands alone "
             "in the rain beside the broken lantern.",
             dialogue="TOMAS: Safe crossing, then.",
             duration=144, seed=110, bible_refs=(MARA, TOMAS, HARBOUR, STYLE),
             camera=CameraCue("dolly_out", "out", 0.5, "ease_in_out", 35, "WS", "high"),
             motion=(MotionCue("Mara", "walks away up the ramp", 0.5, "away", kind="recede"),),
             audio=(rain(10), _sound("ambience", "night", gain=-14, cue_id="au_night10"),
                    _sound("dialogue", text="Safe crossing, then.", start=30, character="Tomas", cue_id="au_line10"),
                    _sound("sfx", "door", text="the ferry door clangs shut", start=110, cue_id="au_door10"),
                    _sound("music", "sad", start=60, gain=-12, cue_id="au_mus10"))),
    ]


def build_demo(path: str | os.PathLike, name: str = DEMO_NAME) -> Document:
    """Create the demo project at `path` (refuses an existing project) and return it open.

    Built as one macro, then the history is cleared: the demo starts with nothing to undo."""
    doc = Document.create(path, name=name, fps=24, width=1280, height=720)
    try:
        seq = doc.project.sequences[0]
        commands = [SetSequenceHeading(seq.id, HEADING)]
        commands += [AddBibleEntry(entry) for entry in _bible()]
        commands += [AddShot(seq.id, shot) for shot in _shots()]
        doc.execute(Macro("Build Demo", commands))
        doc.clear_history()
        doc.mark_clean()
    except BaseException:
        doc.close()
        raise
    return doc
