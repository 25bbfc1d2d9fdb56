"""Continuity (a chained shot starts exactly where the previous take ended) and determinism."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from engine.cues import CameraCue, MotionCue
from engine.jobs import Conditioning, GenerationRequest
from engine.previs import RENDERER_VERSION, make_renderer
from previs_testkit import decode, frames_hash, psnr, render, request, scene

FRAMES = 12


def first_shot(tmp_path, direction="right"):
    return request(tmp_path, f"sh010-{direction}", CameraCue(move="pan", direction="right", amount=0.2, shot_size="WS"),
                   [MotionCue(kind="cross", screen_direction=direction, intensity=0.6)], frames=FRAMES)


def chained(tmp_path, prev_result, job_id="sh020", camera=None) -> GenerationRequest:
    state = json.loads(json.dumps(prev_result.end_state))  # it travels as JSON through the project
    # Same framing as the first shot (WS, 35 mm, eye level): the cut is a continuation.
    return request(tmp_path, job_id, camera or CameraCue(move="dolly_in", amount=0.4, shot_size="WS"), frames=FRAMES,
                   scene=scene(start_state=state),
                   conditioning=Conditioning(first_frame=prev_result.last_frame, source_take_id="take-sh010",
                                             source_frame=FRAMES - 1))


def test_chained_shot_starts_on_the_previous_last_frame(tmp_path):
    a = render(first_shot(tmp_path))
    b_req = chained(tmp_path, a)
    b = render(b_req)
    # exact before encoding: the chained shot's first frame IS the previous take's lossless last frame
    b_first = make_renderer(b_req).frame(0)  # BGR, as the renderer hands it to the encoder
    assert np.array_equal(b_first, cv2.imread(a.last_frame))
    assert np.array_equal(b_first, make_renderer(first_shot(tmp_path)).frame(FRAMES - 1))
    # and in the encoded takes (4:2:0 chroma costs a little against the RGB PNG, the same for both)
    a_frames, b_frames = decode(a.video), decode(b.video)
    assert psnr(b_frames[0], a_frames[-1]) >= 40
    # and the chained shot then does its own move (a dolly in: the frame changes)
    assert psnr(b_frames[-1], b_frames[0]) < 30
    source = b.metadata["conditioning_source"]
    assert source == {"take_id": "take-sh010", "frame": FRAMES - 1, "continued_from_state": True}
    assert json.loads(open(b.metadata_file).read())["conditioning_source"]["take_id"] == "take-sh010"


def test_a_new_setup_reframes_the_continued_world(tmp_path):
    """A chained cut to another shot size is a new camera setup: the figures stay where the previous
    take left them, the camera frames them afresh for the new size."""
    a = render(first_shot(tmp_path))
    close = chained(tmp_path, a, "sh030", camera=CameraCue(move="static", shot_size="MCU", lens_mm=85))
    renderer = make_renderer(close)
    assert not renderer.camera_continued
    assert psnr(renderer.frame(0), cv2.imread(a.last_frame)) < 30  # not the previous framing
    carried = {f["name"]: (f["x"], f["z"]) for f in a.end_state["figures"]}
    now = {f.name: (f.x, f.z) for f in renderer.figure_states(0)}
    for name, (x, z) in carried.items():
        assert abs(now[name][0] - x) < 1e-6 and abs(now[name][1] - z) < 1e-6
    assert renderer.end_state()["framing"] == {"shot_size": "MCU", "lens_mm": 85.0, "angle": "eye"}


def test_changed_start_state_changes_the_render(tmp_path):
    a = render(first_shot(tmp_path))
    base = make_renderer(chained(tmp_path, a)).frame(0)
    moved = json.loads(json.dumps(a.end_state))
    moved["camera"]["yaw"] += 4.0
    req = chained(tmp_path, a).with_(scene=scene(start_state=moved))
    assert psnr(make_renderer(req).frame(0), base) < 30
    # a different upstream take (the figure crossed the other way) changes the downstream shot
    other = render(first_shot(tmp_path / "other", direction="left"))
    assert psnr(make_renderer(chained(tmp_path, other)).frame(0), base) < 30


def test_unreadable_start_state_is_a_clear_error(tmp_path):
    import pytest
    from engine.errors import EngineError, ErrorKind
    req = request(tmp_path, "bad", frames=2, scene=scene(start_state={"mode": "blocking", "camera": {"yaw": 1}}))
    with pytest.raises(EngineError) as info:
        make_renderer(req)
    assert info.value.kind is ErrorKind.BAD_INPUT and "start state" in info.value.message


def test_same_request_renders_identical_frames(tmp_path):
    req = first_shot(tmp_path / "one").with_(burn_in="SH010")
    a = render(req)
    b = render(req.with_(output_dir=str(tmp_path / "two")))
    assert frames_hash(decode(a.video)) == frames_hash(decode(b.video))
    assert open(a.last_frame, "rb").read() == open(b.last_frame, "rb").read()
    assert a.end_state == b.end_state
    c = render(req.with_(output_dir=str(tmp_path / "three"), scene=scene(set_seed=8)))
    assert frames_hash(decode(c.video)) != frames_hash(decode(a.video))


def test_take_files_and_metadata(tmp_path):
    req = first_shot(tmp_path).with_(fps="30000/1001", burn_in="SH010")
    result = render(req)
    import av
    for path in (result.video, result.proxy, result.thumbnail, result.last_frame, result.metadata_file):
        assert path and path.startswith(str(tmp_path)) and open(path, "rb").read(4)
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]
    with av.open(result.video) as c:
        stream = c.streams.video[0]
        assert stream.average_rate == req.fps and stream.frames == FRAMES
    meta = json.loads(open(result.metadata_file).read())
    assert meta["renderer_version"] == RENDERER_VERSION and meta["backend"] == "previs"
    assert GenerationRequest.from_dict(meta["request"]) == req
    assert meta["end_state"] == json.loads(json.dumps(result.end_state))
    assert result.audio is None  # no audio cues, no WAV


def test_audio_cues_make_the_take_wav(tmp_path):
    import wave

    from engine.cues import AudioCue
    req = first_shot(tmp_path).with_(audio=(AudioCue(kind="sfx", preset="click", start=3),
                                            AudioCue(kind="ambience", preset="rain")))
    result = render(req)
    assert result.audio == str(tmp_path / "sh010-right.wav")
    with wave.open(result.audio) as w:
        assert w.getframerate() == 48000 and w.getnframes() == FRAMES * 48000 // 24  # exactly the shot
    assert result.metadata["files"]["audio"] == result.audio


def test_burn_in_draws_text_and_running_timecode(tmp_path):
    from engine.previs.render import timecode
    still = request(tmp_path, "still", CameraCue(), frames=30)
    plain, burnt = make_renderer(still), make_renderer(still.with_(burn_in="SH010"))
    a, b = plain.frame(5), burnt.frame(5)
    diff = np.any(a != b, axis=2)
    ys, xs = np.nonzero(diff)
    assert ys.min() > a.shape[0] * 0.7 and xs.max() < a.shape[1] * 0.7  # bottom-left corner only
    assert np.array_equal(plain.frame(4), a)  # a static shot: only the timecode changes...
    changed = np.any(burnt.frame(4) != b, axis=2)
    assert changed.any() and not (changed & ~diff).any()  # ...inside the burn-in box
    assert timecode(0, 24) == "00:00:00:00" and timecode(24 * 61 + 5, 24) == "00:01:01:05"
    assert timecode(30, 30000 / 1001) == "00:00:01:00"


def test_the_set_is_the_same_world_at_any_time_of_day(tmp_path):
    from engine.jobs import SceneSpec
    from engine.previs.dressing import build_world
    for location, interior in (("harbour street", False), ("kitchen", True), ("forest", False)):
        day = build_world(SceneSpec(location=location, interior=interior, time_of_day="day", set_seed=3))
        night = build_world(SceneSpec(location=location, interior=interior, time_of_day="night", set_seed=3))
        other = build_world(SceneSpec(location=location, interior=interior, time_of_day="day", set_seed=4))
        assert np.array_equal(day.box_centres, night.box_centres)
        assert not np.array_equal(day.box_centres, other.box_centres)
        assert day.light.name == "day" and night.light.name == "night"


# -- a continued figure with nothing to do in the new shot settles (arms down, feet together) ----------
SETTLE_FRAMES = 24   # one second at 24 fps


def gestured(tmp_path):
    return render(request(tmp_path, "sh040", CameraCue(shot_size="WS"),
                          [MotionCue(kind="gesture", intensity=0.6)], frames=FRAMES))


def test_a_continued_figure_with_no_cue_lowers_its_arm_and_breathes(tmp_path):
    from engine.previs.figures import FigureState
    from engine.previs.rig import skeleton
    a = gestured(tmp_path)
    left = FigureState.from_dict(a.end_state["figures"][0])
    assert left.gesture > 0.5
    req = chained(tmp_path, a, "sh041", camera=CameraCue(shot_size="WS")).with_(frames=SETTLE_FRAMES)
    renderer = make_renderer(req)
    assert renderer.camera_continued
    states = [renderer.figure_states(i) for i in range(SETTLE_FRAMES)]
    assert states[0][0] == left   # it starts from exactly where the previous take left it
    assert np.array_equal(renderer.frame(0), cv2.imread(a.last_frame))
    joints = [skeleton(s[0]) for s in states]
    lift = [float(j["r_wrist"][1] - j["r_shoulder"][1]) for j in joints]
    assert lift[0] > 0.1   # the hand up over the shoulder, as the previous take ended
    down = next(i for i, v in enumerate(lift) if v < 0)
    assert down <= 0.8 * 24, lift   # down below the shoulder within 0.8 s, and it stays down
    assert max(lift[down:]) < 0 and states[-1][0].gesture == 0.0
    assert states[-1][0].breath != left.breath   # breathing goes on


def test_a_continued_figure_with_a_cue_keeps_doing_it(tmp_path):
    from engine.previs.rig import skeleton
    a = gestured(tmp_path)
    req = chained(tmp_path, a, "sh042", camera=CameraCue(shot_size="WS")).with_(
        frames=SETTLE_FRAMES, motion=(MotionCue(kind="gesture", intensity=0.6),))
    renderer = make_renderer(req)
    for i in range(SETTLE_FRAMES):
        j = skeleton(renderer.figure_states(i)[0])
        assert j["r_wrist"][1] > j["r_shoulder"][1]


@pytest.mark.parametrize("phase", [0.6, 2.0, 3.6, 5.6])   # stance foot ahead of / behind the hip, either leg
def test_a_figure_left_mid_stride_finishes_its_step_without_sliding(tmp_path, phase):
    from engine.previs.rig import skeleton
    a = render(first_shot(tmp_path))
    state = json.loads(json.dumps(a.end_state))
    state["figures"][0].update(stride=0.8, walk_phase=phase)   # the take ended with the legs apart
    req = chained(tmp_path, a, f"sh05{int(phase * 10)}").with_(
        scene=scene(start_state=state), frames=SETTLE_FRAMES, camera=CameraCue(shot_size="WS"))
    renderer = make_renderer(req)
    states = [renderer.figure_states(i)[0] for i in range(SETTLE_FRAMES)]
    assert states[0].stride == 0.8 and states[0].walk_phase == phase
    joints = [skeleton(s) for s in states]
    fwd = joints[0]["body_fwd"]
    gap = [abs(float(np.dot(j["r_ankle"] - j["l_ankle"], fwd))) for j in joints]
    assert gap[0] > 0.1 and gap[-1] < 0.01, gap   # apart, then together
    floor = min(float(j["r_ankle"][1]) for j in joints)
    for leg in ("r", "l"):
        ankle = np.array([j[f"{leg}_ankle"] for j in joints])
        down = ankle[:, 1] < floor + 1e-6   # on the ground (in stance)
        # each stretch on the ground holds its footfall: drift <= 1 cm
        start = None
        for i in range(SETTLE_FRAMES):
            if down[i] and start is None:
                start = i
            if not down[i]:
                start = None
            elif float(np.linalg.norm(ankle[i] - ankle[start])) > 0.01:
                raise AssertionError(f"{leg} foot slid {np.linalg.norm(ankle[i] - ankle[start]):.3f} m by frame {i}")
        assert down[-1]


def test_a_continued_figure_settles_into_what_the_new_shot_plan_has_it_do(tmp_path):
    """Uncued, but the new shot's plan has her point: the wave she was left in comes down as the point
    goes up (the plan's pose is what she settles into)."""
    from engine.jobs import CharacterSpec, SceneSpec
    from engine.previs.render import BlockingRenderer
    from studio.shotplan import build_plan
    cam, wave = CameraCue(shot_size="WS"), (MotionCue("Mara", "waves", 0.5, kind="gesture"),)
    cast = dict(heading="EXT. QUAY - NIGHT", set_seed=3, characters=(CharacterSpec("Mara"),))
    a = render(request(tmp_path, "sh060", cam, wave, frames=FRAMES, scene=SceneSpec(**cast),
                       plan=build_plan("EXT. QUAY - NIGHT", "Mara waves.", camera=cam, motion=wave)))
    r = BlockingRenderer(request(tmp_path, "sh061", cam, frames=SETTLE_FRAMES,
                                 plan=build_plan("EXT. QUAY - NIGHT", "Mara points at the sea.", camera=cam),
                                 scene=SceneSpec(**cast, start_state=a.end_state)))
    first, last = r.figure_states(0)[0], r.figure_states(SETTLE_FRAMES - 1)[0]
    assert first.gesture > 0.5 and first.point == 0.0
    assert last.gesture == 0.0 and last.point == 1.0
