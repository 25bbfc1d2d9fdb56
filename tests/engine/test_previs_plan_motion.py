"""The words move the figures when no motion cue does: a walk in the action crosses the frame, a run
runs, "away" recedes, a turn turns; a talk or an argument with no line to speak works the hands and
the mouth. A motion cue, where there is one, still decides."""
from __future__ import annotations

import math

import numpy as np

from engine.cues import CameraCue, MotionCue
from engine.jobs import SceneSpec
from engine.previs.render import BlockingRenderer
from previs_testkit import request, subject_in_frame
from studio.shotplan import build_plan

W, H = 320, 180


def renderer(tmp_path, heading, action, size="WS", frames=72, motion=()):
    cam = CameraCue(shot_size=size)
    plan = build_plan(heading, action, camera=cam, bible=(), motion=motion)
    job = f"m{abs(hash((heading, action, size, motion))) % 10**8}"
    return BlockingRenderer(request(tmp_path / job, job, cam, motion=motion, frames=frames, width=W, height=H,
                                    scene=SceneSpec(heading=heading, set_seed=3), plan=plan))


def travelled(r) -> float:
    a, b = r.figure_states(0)[0], r.figure_states(r.frames - 1)[0]
    return math.hypot(b.x - a.x, b.z - a.z)


def test_a_walk_in_the_words_crosses_the_frame_and_stays_framed(tmp_path):
    r = renderer(tmp_path, "EXT. HARBOUR - DAWN", "At dawn a woman in a green coat walks along the harbour")
    assert travelled(r) > 2.0                     # 3 s at a walk
    assert r.tracks[0].walking and r.figure_states(r.frames // 2)[0].stride > 0.5
    assert all(subject_in_frame(r, i)[0] for i in range(0, r.frames, 6))


def test_a_run_away_recedes_from_the_lens(tmp_path):
    r = renderer(tmp_path, "EXT. STREET - NIGHT", "A thief runs away down the street")
    cam = np.asarray(r.camera_pose(0).position)
    d0, d1 = (math.hypot(f.x - cam[0], f.z - cam[2]) for f in (r.figure_states(0)[0],
                                                                r.figure_states(r.frames - 1)[0]))
    assert d1 > d0 + 3.0 and r.figure_states(10)[0].run > 0.5


def test_a_turn_in_the_words_turns_on_the_spot(tmp_path):
    r = renderer(tmp_path, "INT. KITCHEN - DAY", "An old man turns round", size="MS", frames=48)
    a, b = r.figure_states(0)[0], r.figure_states(47)[0]
    assert abs((b.heading - a.heading + 180) % 360 - 180) > 60 and travelled(r) < 0.05


def test_a_motion_cue_still_decides(tmp_path):
    cue = MotionCue(subject="", action="turns round", kind="turn")
    r = renderer(tmp_path, "EXT. HARBOUR - DAWN", "A woman walks along the harbour", motion=(cue,))
    assert travelled(r) < 0.05


def test_an_argument_without_lines_works_both_pairs_of_hands_and_mouths(tmp_path):
    r = renderer(tmp_path, "INT. KITCHEN - DAY", "Two men in blue suits argue.", size="MS", frames=96)
    talk = np.array([[f.talk for f in r.figure_states(i)[:2]] for i in range(r.frames)])
    mouth = np.array([[f.mouth for f in r.figure_states(i)[:2]] for i in range(r.frames)])
    assert talk[0].max() == 0.0                                   # from rest
    assert (talk.max(axis=0) > 0.5).all() and (talk.std(axis=0) > 0.1).all()
    assert (mouth.max(axis=0) > 0.3).all()
    assert np.corrcoef(talk[:, 0], talk[:, 1])[0, 1] < 0.9       # not in step


def test_standing_figures_with_nothing_to_do_keep_still(tmp_path):
    r = renderer(tmp_path, "INT. KITCHEN - DAY", "A man waits by the window", size="MS", frames=24)
    assert travelled(r) < 0.01 and max(f.talk for f in r.figure_states(12)) == 0.0


def test_checking_a_watch_brings_it_up_and_bows_the_head_instead_of_waving(tmp_path):
    """Demo shot 2, "checks her watch" with a gesture cue: it waved (the gesture cue's default arm),
    and the watch lay on the quay. Now the watch is in her hand, brought up before the chest, her head
    bowed to it, no wave."""
    from engine.previs.rig import HELD_HAND, skeleton
    cue = MotionCue(subject="Mara", action="checks her watch", intensity=0.3, kind="gesture")
    r = renderer(tmp_path, "EXT. HARBOUR QUAY - NIGHT", "Mara stands under a lamp, collar up, and checks her watch.",
                 size="MS", frames=24, motion=(cue,))
    f = r.figure_states(20)[0]
    j = skeleton(f)
    assert [p["holder"] for p in r.props if p["kind"] == "watch"] == [0]
    assert f.gesture == 0.0 and f.head_pitch < -20
    assert j["r_hand"][1] > (HELD_HAND + 0.2) * f.height / 1.75       # up before the chest, not at the side
    assert j["r_hand"][1] < j["neck"][1]


def test_a_gesture_cue_on_talking_words_talks_and_on_a_wave_waves(tmp_path):
    talk = MotionCue(subject="Mara", action="talks", kind="gesture")
    r = renderer(tmp_path, "INT. KITCHEN - DAY", "Mara talks.", size="MS", frames=48, motion=(talk,))
    states = [r.figure_states(i)[0] for i in range(48)]
    assert max(s.talk for s in states) > 0.3 and max(s.gesture for s in states) == 0.0
    wave = MotionCue(subject="Mara", action="waves", kind="gesture")
    r = renderer(tmp_path, "INT. KITCHEN - DAY", "Mara waves.", size="MS", frames=48, motion=(wave,))
    assert max(r.figure_states(i)[0].gesture for i in range(48)) > 0.5


def test_a_carried_on_figure_takes_up_the_plans_pose_from_where_it_was_left():
    """Demo shot 2 continues shot 1: Mara was left with her arms down, so the plan's pose (watch up,
    head bowed) must be taken up over the shot, from exactly the state she was left in."""
    from dataclasses import replace
    from engine.previs.figures import FigureState, FigureTrack
    left = FigureState("Mara", x=0.3, z=0.2, heading=180.0)
    plan_pose = replace(left, carry=1.0, lift=1.0, head_pitch=-28.0)
    cue = MotionCue(subject="Mara", action="checks her watch", kind="gesture")
    t = FigureTrack(left, cue, 48, 24.0, np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.6, -4.0]), fresh=False,
                    settle_to=plan_pose, gesture="pose")
    assert t.state(0) == replace(left, march=0.0)
    late = t.state(30)
    assert (late.carry, late.lift, late.head_pitch, late.gesture) == (1.0, 1.0, -28.0, 0.0)
