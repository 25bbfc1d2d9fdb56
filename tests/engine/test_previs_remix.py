"""Previs remix operations measured on rendered frames: extend keeps the parent exactly and joins
without a jump, loops close in one frame step (PSNR / mean difference at the seam), blends start next
to A and end next to B, variations differ by seed and repeat for the same seed, and the backend
writes an operation's take end to end."""
from __future__ import annotations

import math
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest

from engine.cues import AudioCue, CameraCue, MotionCue
from engine.errors import EngineError, ErrorKind
from engine.plan import Person, Place, ShotPlan
from engine.previs import make_renderer
from engine.previs.figures import FigureState
from engine.previs.rig import skeleton
from previs_testkit import decode, psnr, render, request, subject_in_frame

W, H = 192, 108
WALK = (MotionCue(subject="MARA", action="walks", screen_direction="right"),)


def _req(tmp: Path, job: str, camera: CameraCue, motion=WALK, frames: int = 12, **kw):
    return request(tmp, job, camera, motion, frames=frames, width=W, height=H, **kw)


def _frames(req) -> list[np.ndarray]:
    r = make_renderer(req)
    return [r.frame(i) for i in range(req.frames)]


def _mad(a, b) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def _steps(frames) -> list[float]:
    return [_mad(a, b) for a, b in zip(frames, frames[1:])]


def _op(parent, job: str, frames: int, **options):
    return parent.with_(job_id=job, frames=frames, options={**options, "parent": parent.to_dict()})


@pytest.mark.parametrize("camera", [CameraCue(move="pan", amount=0.5), CameraCue(move="dolly_in", amount=0.6)])
def test_extend_forward_keeps_the_parent_and_continues(tmp_path, camera):
    parent = _req(tmp_path, "p", camera)
    old = _frames(parent)
    ext = _frames(_op(parent, "e", 20, previs_op="extend", from_frame=11, extend_frames=8))
    assert all(np.array_equal(old[i], ext[i]) for i in range(12)), "re-simulation is exact"
    steps = _steps(ext)
    assert steps[11] < 2 * max(steps[:11]), "the first new frame is one step on"
    assert max(steps[11:]) > 0.5, "camera and walker go on moving"
    # from a middle frame: the parent's frames up to it, then a continuation
    mid = _frames(_op(parent, "m", 12, previs_op="extend", from_frame=5, extend_frames=6))
    assert len(mid) == 12 and all(np.array_equal(old[i], mid[i]) for i in range(6))
    assert _steps(mid)[5] < 2 * max(_steps(old)) + 1


def test_extend_backward_leads_into_the_chosen_frame(tmp_path):
    parent = _req(tmp_path, "p", CameraCue(move="truck", amount=0.5))
    old = _frames(parent)
    back = _frames(_op(parent, "b", 14, previs_op="extend", from_frame=4, extend_frames=6, direction="backward"))
    assert all(np.array_equal(back[6 + k], old[4 + k]) for k in range(8))
    steps = _steps(back)
    assert steps[5] < 2 * float(np.median(steps)) + 1
    with pytest.raises(EngineError) as err:
        _frames(_op(parent, "x", 13, previs_op="extend", from_frame=4, extend_frames=6, direction="backward"))
    assert err.value.kind is ErrorKind.BAD_INPUT and "14 frames" in err.value.message


@pytest.mark.parametrize("camera", [CameraCue(move="pan", amount=0.3), CameraCue(move="handheld", amount=0.9),
                                    CameraCue(move="orbit", amount=0.3)])
def test_loop_closes_in_one_step(tmp_path, camera):
    parent = _req(tmp_path, "p", camera, motion=WALK + (MotionCue(subject="MARA", action="waves"),))
    frames = _frames(_op(parent, "l", 16, previs_op="loop", from_frame=2))
    steps = _steps(frames)
    seam = _mad(frames[-1], frames[0])
    assert seam <= 1.25 * max(steps) and seam < 2.5 * float(np.median(steps)), (seam, steps)
    assert psnr(frames[-1], frames[0]) > 15
    # the loop moves (it is not a frozen frame), and closes far better than the parent played round
    assert float(np.median(steps)) > 0.5
    old = _frames(parent)
    naive = _mad(old[-1], old[0]) / float(np.median(_steps(old)))
    assert seam / float(np.median(steps)) < 0.5 * naive


PHASES = ("walk_phase", "gesture_phase", "breath")   # angles: they close modulo a full turn
WAVE = (MotionCue(subject="MARA", action="waves"),)
LINE = (AudioCue(kind="dialogue", text="We should go now, before it gets dark.", character="MARA"),)


@pytest.mark.parametrize("camera, motion, parent_frames, frames, start, extra", [
    (CameraCue(move="truck", amount=0.4), WALK + WAVE, 12, 12, 0, {}),     # a short loop: walks in place
    (CameraCue(move="handheld", amount=0.9), WALK, 12, 16, 2, {}),         # whole-cycle shake
    (CameraCue(move="truck", amount=0.4), WALK, 24, 96, 5, {}),            # long enough for a lap
    (CameraCue(move="dolly_in", amount=0.3), (), 24, 24, 3, {"audio": LINE}),  # mouth out and back
], ids=["truck-walk-wave", "handheld-walk", "walk-lap", "dolly-talk"])
def test_loop_frame_n_is_frame_0(tmp_path, camera, motion, parent_frames, frames, start, extra):
    """Frame N (one past the loop's last) is frame 0 again: every figure field (phases modulo a turn),
    the joints, the camera pose and the pixels; and frame 0 is the parent's frame `start` in the
    fields the loop does not set itself (a walker's stride, a waver's arm take up the motion)."""
    parent = _req(tmp_path, "p", camera, motion, frames=parent_frames, **extra)
    r = make_renderer(_op(parent, "l", frames, previs_op="loop", from_frame=start))
    n = r.frames
    assert n == frames
    first, again = r.figure_states(0), r.figure_states(n)
    for a, b in zip(first, again):
        for f in fields(FigureState):
            va, vb = getattr(a, f.name), getattr(b, f.name)
            if f.name in PHASES:
                assert math.isclose(math.remainder(vb - va, 2 * math.pi), 0.0, abs_tol=1e-9), (f.name, va, vb)
            elif isinstance(va, float):
                assert math.isclose(va, vb, abs_tol=1e-9), (f.name, va, vb)
            else:
                assert va == vb, f.name
        ja, jb = skeleton(a), skeleton(b)
        assert max(float(np.abs(ja[k] - jb[k]).max()) for k in ja) < 1e-9
    pa, pb = r.camera_pose(0), r.camera_pose(n)
    assert np.allclose(pa.position, pb.position, atol=1e-9)
    assert all(math.isclose(getattr(pa, k), getattr(pb, k), abs_tol=1e-9) for k in ("yaw", "pitch", "roll", "lens_mm"))
    assert np.array_equal(r.frame(0), r.frame(n))
    p0 = make_renderer(parent).figure_states(start)[0]
    for name in ("mouth", "talk", "head_yaw", "head_pitch", "sit", "heading", "x", "z"):
        assert math.isclose(getattr(first[0], name), getattr(p0, name), abs_tol=1e-9), name
    if extra:
        assert max(f[0].mouth for f in map(r.figure_states, range(n))) > 0.5, "the line's mouth plays in the loop"


def test_loop_walker_in_place_or_round_a_lap(tmp_path):
    """A loop too short for a lap marks time (on the mark, heading held: a 0.5 s lap spun the
    figure round ~30 degrees a frame); a long one laps at constant speed. Both take whole strides."""
    parent = _req(tmp_path, "p", CameraCue(move="truck", amount=0.4), frames=24)
    short = make_renderer(_op(parent, "s", 12, previs_op="loop", from_frame=5))
    walker = [short.figure_states(i)[0] for i in range(13)]
    assert len({(f.x, f.z, f.heading) for f in walker}) == 1 and {f.march for f in walker} == {1.0}
    strides = (walker[-1].walk_phase - walker[0].walk_phase) / (2 * math.pi)
    assert strides >= 1 and math.isclose(strides, round(strides), abs_tol=1e-9)
    lap = make_renderer(_op(parent, "l", 96, previs_op="loop", from_frame=5))
    walker = [lap.figure_states(i)[0] for i in range(97)]
    assert {f.march for f in walker} == {0.0}, "a lap walks on its feet"
    steps = [math.hypot(b.x - a.x, b.z - a.z) for a, b in zip(walker, walker[1:])]
    assert max(steps) < 1.03 * min(steps), "constant speed round the lap"
    turns = [abs((b.heading - a.heading + 180) % 360 - 180) for a, b in zip(walker, walker[1:])]
    assert max(turns) < 20, "no spin"
    strides = (walker[-1].walk_phase - walker[0].walk_phase) / (2 * math.pi)
    assert math.isclose(strides, round(strides), abs_tol=1e-9)


def _ground_runs(heights: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) frames of each stretch a foot is down (at its lowest)."""
    down = heights < heights.min() + 1e-6
    runs, start = [], None
    for i, d in enumerate(list(down) + [False]):
        if d and start is None:
            start = i
        elif not d and start is not None:
            runs.append((start, i - 1))
            start = None
    return runs


def test_loop_walker_marks_time_with_planted_feet(tmp_path):
    """A walker too short of time for a lap marks time: each foot lifts and comes down where it
    stood (a walk cycle with the hips held slid the planted foot back 5 cm a frame, a treadmill),
    the feet take turns, the body bobs and the arms swing, and frame N is frame 0."""
    parent = _req(tmp_path, "p", CameraCue(move="truck", amount=0.4), frames=24)
    for n in (12, 16):
        r = make_renderer(_op(parent, f"l{n}", n, previs_op="loop", from_frame=5))
        states = [r.figure_states(i)[0] for i in range(n + 1)]
        assert all(f.march == 1.0 for f in states)
        joints = [skeleton(f) for f in states]
        lifted = {}
        for foot in ("r_ankle", "l_ankle"):
            pts = np.array([j[foot] for j in joints])
            runs = _ground_runs(pts[:, 1])
            assert runs and (pts[:, 1].max() - pts[:, 1].min()) > 0.02, "the foot lifts"
            for a, b in runs:
                drift = float(np.linalg.norm(pts[a:b + 1, [0, 2]] - pts[a, [0, 2]], axis=1).max())
                assert drift <= 0.01, (n, foot, a, b, drift)
            lifted[foot] = {i for i in range(n + 1) if not any(a <= i <= b for a, b in runs)}
            # the same timeline walked on (not marking time) is the treadmill the loop had
            walked = np.array([skeleton(replace(f, march=0.0))[foot] for f in states])
            assert max(float(np.linalg.norm(walked[b, [0, 2]] - walked[a, [0, 2]])) for a, b in runs) > 0.05
        assert lifted["r_ankle"] and lifted["l_ankle"] and not lifted["r_ankle"] & lifted["l_ankle"], \
            "the feet take turns, one always down"
        for name, least in (("pelvis", 0.003), ("r_hand", 0.05)):
            pts = np.array([j[name] for j in joints])
            assert float(np.ptp(pts, axis=0).max()) > least, (name, "the body bobs and the arms swing")
        assert max(float(np.abs(joints[0][k] - joints[n][k]).max()) for k in joints[0]) < 1e-9


@pytest.mark.parametrize("camera, parent_frames, frames, start", [
    (CameraCue(move="truck", amount=0.4), 12, 12, 0),    # marking time: trucked 0.24 m out, it left the frame
    (CameraCue(move="pan", amount=0.3), 12, 16, 2),
    (CameraCue(move="truck", amount=0.4), 24, 96, 5),    # a lap
], ids=["truck-12", "pan-16", "truck-lap"])
def test_loop_keeps_the_subject_in_frame(tmp_path, camera, parent_frames, frames, start):
    """The operator keeps the loop's subject in frame (the walker stays about its mark while the
    camera goes out along its move): head box and body inside on every frame, the camera still
    moving, frame N's pose frame 0's."""
    parent = _req(tmp_path, "p", camera, WALK + WAVE, frames=parent_frames)
    r = make_renderer(_op(parent, "l", frames, previs_op="loop", from_frame=start))
    for i in range(frames + 1):
        head_in, left, right = subject_in_frame(r, i)
        assert head_in and 0 <= left and right <= r.width, (i, left, right)
    poses = [r.camera_pose(i) for i in range(frames + 1)]
    moved = max(float(np.linalg.norm(np.subtract(p.position, poses[0].position))) + abs(p.yaw - poses[0].yaw)
                for p in poses)
    assert moved > 0.2, "the camera still moves"
    assert np.allclose(poses[frames].position, poses[0].position, atol=1e-9)
    assert all(math.isclose(getattr(poses[frames], k), getattr(poses[0], k), abs_tol=1e-9) for k in ("yaw", "pitch"))


def test_extend_of_a_loop_keeps_its_frames_and_steps_off(tmp_path):
    """An extension of a marking-time loop whose camera keeps the walker: the loop's frames exactly
    (its kept camera included), then the walker steps off into the walk and the move goes on from
    the pose the loop showed, without a jump."""
    parent = _req(tmp_path, "p", CameraCue(move="truck", amount=0.4), frames=24)
    loop = _op(parent, "l", 12, previs_op="loop", from_frame=5)
    ext = make_renderer(_op(loop, "e", 20, previs_op="extend", from_frame=11, extend_frames=8))
    frames = [ext.frame(i) for i in range(20)]
    assert all(np.array_equal(a, b) for a, b in zip(frames, _frames(loop)))
    marches = [ext.figure_states(i)[0].march for i in range(20)]
    assert marches[11] == 1.0 and marches[-1] < 0.3 and all(b <= a for a, b in zip(marches, marches[1:]))
    steps = _steps(frames)
    assert steps[11] < 2 * float(np.median(steps)) + 1, steps


def test_loop_of_a_handheld_loop_starts_on_its_frame_and_closes(tmp_path):
    """A loop of a loop (handheld: its shake already made periodic) starts exactly on the parent
    loop's frame, on that loop's own clock, and closes again (it raised AttributeError before)."""
    parent = _req(tmp_path, "p", CameraCue(move="handheld", amount=0.9))
    inner = _op(parent, "l1", 16, previs_op="loop", from_frame=2)
    outer = make_renderer(_op(inner, "l2", 12, previs_op="loop", from_frame=3))
    there = make_renderer(inner).camera_pose(3)
    for pose in (outer.camera_pose(0), outer.camera_pose(12)):
        assert np.allclose(pose.position, there.position, atol=1e-9)
        assert all(math.isclose(getattr(pose, k), getattr(there, k), abs_tol=1e-9) for k in ("yaw", "pitch", "roll"))
    assert np.array_equal(outer.frame(0), outer.frame(12))


@pytest.mark.parametrize("weather", ["snow", "rain"])
def test_loop_weather_has_no_seam(tmp_path, weather):
    """Snow (flakes that fall for one loop from their own moments) and rain (fresh every frame)
    close: frame N is frame 0 and the seam is a step like the others."""
    plan = ShotPlan(place=Place(kind="field", interior=False, neutral=False), weather=weather,
                    people=(Person(description="man", is_subject=True),))
    parent = request(tmp_path, f"w-{weather}", CameraCue(shot_size="WS"), frames=12, width=160, height=90, plan=plan)
    r = make_renderer(_op(parent, "l", 12, previs_op="loop", from_frame=0))
    frames = [r.frame(i) for i in range(13)]
    assert np.array_equal(frames[0], frames[12])
    steps = _steps(frames)
    assert float(np.median(steps)) > 0.1, "the weather moves"
    assert steps[-1] < 1.3 * float(np.median(steps[:-1])), steps


def test_loop_renders_through_the_backend(tmp_path):
    parent = _req(tmp_path, "p", CameraCue(move="pan", amount=0.5))
    result = render(_op(parent, "loop", 12, previs_op="loop", from_frame=0))
    frames = decode(result.video)
    assert len(frames) == 12 and result.frames == 12
    seam, step = _mad(frames[-1], frames[0]), float(np.median(_steps(frames)))
    assert seam < 2.5 * step + 1
    assert result.end_state["frame"] == 11 and result.metadata["conditioning_source"]["continued_from_state"]


def test_blend_interpolates_between_two_takes(tmp_path):
    a = _req(tmp_path, "a", CameraCue(move="pan", amount=0.5))
    b = _req(tmp_path, "b", CameraCue(move="dolly_in", amount=0.4, shot_size="CU"), motion=())
    fa, fb = _frames(a), _frames(b)
    blend = a.with_(job_id="x", frames=10, options={"previs_op": "blend", "blend_from": a.to_dict(),
                                                    "blend_from_frame": 11, "blend_to": b.to_dict(),
                                                    "blend_to_frame": 0})
    out = _frames(blend)
    jump = _mad(fa[-1], fb[0])
    assert _mad(out[0], fa[-1]) < 0.3 * jump and _mad(out[-1], fb[0]) < 0.5 * jump
    steps = _steps([fa[-1]] + out + [fb[0]])
    assert max(steps) < 0.6 * jump, "the jump is spread over the transition"


def test_variations_differ_by_seed_and_repeat(tmp_path):
    base = _req(tmp_path, "v", CameraCue(move="pan", amount=0.5))
    one = make_renderer(base.with_(seed=1, options={"previs_op": "variation"})).frame(6)
    again = make_renderer(base.with_(seed=1, options={"previs_op": "variation"})).frame(6)
    two = make_renderer(base.with_(seed=2, options={"previs_op": "variation"})).frame(6)
    plain = make_renderer(base).frame(6)
    assert np.array_equal(one, again)
    assert _mad(one, two) > 2 and _mad(one, plain) > 2


def test_unknown_operation_and_missing_parent_are_clear_errors(tmp_path):
    base = _req(tmp_path, "u", CameraCue())
    with pytest.raises(EngineError) as err:
        make_renderer(base.with_(options={"previs_op": "rewind"}))
    assert "rewind" in err.value.message and "extend" in err.value.message
    with pytest.raises(EngineError) as err:
        make_renderer(base.with_(options={"previs_op": "loop", "from_frame": 0}))
    assert err.value.kind is ErrorKind.BAD_INPUT and "missing" in err.value.message
    with pytest.raises(EngineError) as err:
        make_renderer(_op(base, "f", 12, previs_op="loop", from_frame=40))
    assert "outside" in err.value.message
