"""The shot plan reaches the pixels: rendered through the previs backend's public entry point (real
encode, real decode) at 320x180, a few frames. These hold for any previs renderer behind the backend."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from engine.cues import CameraCue
from engine.jobs import SceneSpec
from engine.previs.framing import project, solve
from previs_testkit import decode, render, request
from studio.model import BibleEntry, BibleKind
from studio.shotplan import build_plan

W, H = 320, 180
BIBLE = (BibleEntry("ch_mara", BibleKind.CHARACTER, "Mara", "A courier.", color="#e020e0"),)
# OpenCV hue (0..180) of the colour words
HUES = {"red": 0, "yellow": 30, "green": 60, "blue": 120}


def take(tmp_path, heading, action, size="MS", move="static", frames=2, subject="", seed=3, motion=()):
    cam = CameraCue(move=move, shot_size=size, amount=0.8, easing="linear")
    plan = build_plan(heading, action, camera=cam, bible=BIBLE, subject=subject, motion=motion)
    job = f"j{abs(hash((heading, action, size, move, subject, motion))) % 10**8}"
    req = request(tmp_path / job, job, cam, frames=frames, width=W, height=H, motion=motion,
                  scene=SceneSpec(heading=heading, set_seed=seed), plan=plan)
    return decode(render(req).video), plan, req


def hue_fraction(rgb: np.ndarray, hue: int) -> float:
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV).astype(int)
    d = np.minimum(np.abs(hsv[..., 0] - hue), 180 - np.abs(hsv[..., 0] - hue))
    return float(((d <= 10) & (hsv[..., 1] > 120) & (hsv[..., 2] > 60)).mean())


def changed(a: np.ndarray, b: np.ndarray) -> float:
    """The fraction of pixels that differ clearly (beyond the encoder's noise)."""
    return float((np.abs(a.astype(int) - b.astype(int)).max(axis=2) > 30).mean())


SHOTS = [("EXT. STREET - NIGHT", "A woman in a red coat walks down a street.", "WS", "red"),
         ("EXT. BEACH - NOON", "A fisherman in a yellow oilskin mends a net.", "MS", "yellow"),
         ("INT. KITCHEN - DAY", "Two men in blue suits argue.", "MS", "blue"),
         ("INT. KITCHEN - DAY", "A green lantern on a table.", "ECU", "green")]


@pytest.mark.parametrize("heading,action,size,colour", SHOTS, ids=[s[3] for s in SHOTS])
def test_colour_word_is_a_saturated_region_and_the_blank_twin_differs(tmp_path, heading, action, size, colour):
    frames, plan, _ = take(tmp_path, heading, action, size)
    blank, _, _ = take(tmp_path, heading, "", size)
    written = hue_fraction(frames[0], HUES[colour])
    assert written > 0.02, (colour, written)
    assert hue_fraction(blank[0], HUES[colour]) < written / 4
    assert changed(frames[0], blank[0]) > 0.01


def test_night_is_far_darker_than_midday(tmp_path):
    night, _, _ = take(tmp_path, "EXT. CAR PARK - NIGHT", "", "WS")
    noon, _, _ = take(tmp_path, "EXT. CAR PARK - DAY", "An empty car park at midday.", "WS")
    # The time in the action counts too: no heading time, 'at night' in the words.
    said, plan, _ = take(tmp_path, "EXT. CAR PARK", "An empty car park at night.", "WS")
    lum = [float(np.median(cv2.cvtColor(f[0], cv2.COLOR_RGB2GRAY))) for f in (night, noon, said)]
    assert plan.time_of_day == "night"
    assert lum[0] < 0.6 * lum[1] and lum[2] < 0.6 * lum[1], lum


def test_knights_hall_is_lit_as_day_and_morning_is_not_dawn(tmp_path):
    knight, _, req = take(tmp_path, "EXT. KNIGHT'S YARD - DAY", "", "WS")
    day, _, _ = take(tmp_path, "EXT. YARD - DAY", "", "WS")
    assert req.scene.time_of_day == "day" and req.plan.light == "day"
    assert np.abs(knight[0].astype(int) - day[0].astype(int)).mean() < 1.0   # the same light
    _, plan, req = take(tmp_path, "EXT. COVE - MORNING", "", "WS")
    assert plan.time_of_day == "morning" and req.scene.time_of_day == "day"


def test_a_named_person_is_present(tmp_path):
    with_mara, plan, _ = take(tmp_path, "EXT. SQUARE - DAY", "Mara waits by the fountain.", "MS")
    without, _, _ = take(tmp_path, "EXT. SQUARE - DAY", "", "MS")
    assert [p.name for p in plan.people] == ["Mara"] and plan.people[0].in_bible
    magenta = 150   # #e020e0
    assert hue_fraction(with_mara[0], magenta) > 0.03 > hue_fraction(without[0], magenta)
    # A name not in the bible is still drawn (and warned about).
    rey, plan, _ = take(tmp_path, "INT. VAULT - NIGHT", "Rey cracks the vault door.", "MS")
    empty, _, _ = take(tmp_path, "INT. VAULT - NIGHT", "", "MS")
    assert plan.people[0].name == "Rey" and any(w.name == "Rey" for w in plan.warnings)
    assert changed(rey[0], empty[0]) > 0.03


def _skin_height(rgb: np.ndarray, near: np.ndarray) -> tuple[float, tuple[int, int, int, int]]:
    """Height fraction and bbox of the skin-coloured blob (the mannequin's head) nearest `near`."""
    d = np.abs(rgb.astype(int) - np.array([214, 190, 160])).max(axis=2)
    n, labels, stats, centroids = cv2.connectedComponentsWithStats((d < 45).astype(np.uint8))
    if n < 2:
        return 0.0, (0, 0, 0, 0)
    k = 1 + int(np.argmin(np.linalg.norm(centroids[1:] - near, axis=1)))
    x, y, w, h, _ = stats[k]
    return h / rgb.shape[0], (x, y, x + w, y + h)


def test_head_in_frame_through_a_move_and_growing_from_ews_to_cu(tmp_path):
    action = "A man in a red coat waits."
    heights = []
    for size in ("EWS", "WS", "MLS", "MS", "MCU", "CU"):
        frames, plan, req = take(tmp_path, "EXT. SQUARE - NOON", action, size, frames=1)
        fr = solve(plan, req.camera, W, H)
        near = project(fr.pose, np.array([fr.box]).reshape(-1, 3), W, H).mean(axis=0)
        heights.append(_skin_height(frames[0], near)[0])
    assert heights == sorted(heights) and heights[-1] > 0.35, heights
    for move in ("dolly_in", "zoom_in", "pan"):
        frames, plan, req = take(tmp_path, "EXT. SQUARE - NOON", action, "MS", move=move, frames=6)
        fr = solve(plan, req.camera, W, H)
        path = fr.path(req.camera, 6, 24, req.seed)
        for i, f in enumerate(frames):
            near = project(path.pose(i), np.array(fr.box), W, H).mean(axis=0)
            frac, (x0, y0, x1, y1) = _skin_height(f, near)
            assert frac > 0.05 and x0 > 0 and y0 > 0 and x1 < W and y1 < H, (move, i, (x0, y0, x1, y1))


@pytest.mark.parametrize("move,size", [("static", "MCU"), ("dolly_in", "MS"), ("pan", "WS")])
def test_a_walking_subject_is_followed_and_stays_in_frame(tmp_path, move, size):
    # The README's kind of shot: a character walks in a medium close-up (it rendered an empty set before).
    from engine.cues import MotionCue
    walk = (MotionCue("Mara", "walks to the vault", 0.5),)
    frames, plan, _ = take(tmp_path, "INT. BANK VAULT - DAY", "Mara opens the vault door.", size, frames=48,
                           motion=walk, move=move)   # 2 s: a 2.4 m cross, wider than the frame
    assert plan.subject.kind == "person" and plan.people[0].name == "Mara"
    for i, f in list(enumerate(frames))[::6]:
        hsv = cv2.cvtColor(f, cv2.COLOR_RGB2HSV).astype(int)
        mask = (np.abs(hsv[..., 0] - 150) <= 10) & (hsv[..., 1] > 120) & (hsv[..., 2] > 60)  # her #e020e0
        assert mask.mean() > (0.04 if size != "WS" else 0.005), (i, mask.mean())
        xs = np.nonzero(mask.any(axis=0))[0]
        assert 0.2 * W < xs.mean() < 0.8 * W, (i, xs.mean())


@pytest.mark.parametrize("move,direction,axis,sign", [("pan", "right", 0, -1), ("pan", "left", 0, 1),
                                                      ("tilt", "up", 1, 1), ("truck", "right", 0, -1)])
def test_camera_moves_flow_the_right_way_with_a_planned_subject(tmp_path, move, direction, axis, sign):
    from previs_testkit import frames_hash, mean_flow
    cam = CameraCue(move=move, direction=direction, amount=0.5, shot_size="WS", easing="linear")
    plan = build_plan("EXT. SQUARE - DAY", "A man in a red coat waits.", camera=cam)
    req = request(tmp_path, f"{move}{direction}", cam, frames=10, plan=plan,
                  scene=SceneSpec(heading="EXT. SQUARE - DAY", location="town square", set_seed=7))
    frames = decode(render(req).video)
    dx, dy, _, _ = mean_flow(frames, 4, 5)
    along, across = (dx, dy) if axis == 0 else (dy, dx)
    assert sign * along > 0.3 and abs(across) < 0.35 * abs(along), (dx, dy)
    again = decode(render(req.with_(job_id=f"{move}{direction}b", output_dir=str(tmp_path / "b"))).video)
    assert frames_hash(frames) == frames_hash(again)       # deterministic with a plan too


def test_a_chained_shot_frames_the_subject_where_the_last_take_left_it(tmp_path):
    from engine.cues import MotionCue
    walk = (MotionCue("Mara", "walks", 0.8, "right"),)
    cam = CameraCue(shot_size="WS")
    plan = build_plan("EXT. SQUARE - DAY", "Mara walks right.", camera=cam, bible=BIBLE, motion=walk)
    first = render(request(tmp_path / "a", "a", cam, frames=48, width=W, height=H, motion=walk, plan=plan,
                           scene=SceneSpec(heading="EXT. SQUARE - DAY", set_seed=3)))
    ended = next(f for f in first.end_state["figures"] if f["name"] == "Mara")
    assert ended["x"] > 1.0                       # she walked off her mark
    close = CameraCue(shot_size="MCU")            # a new setup on the continued world
    plan2 = build_plan("EXT. SQUARE - DAY", "Mara waits.", camera=close, bible=BIBLE)
    second = render(request(tmp_path / "b", "b", close, frames=1, width=W, height=H, plan=plan2,
                            scene=SceneSpec(heading="EXT. SQUARE - DAY", set_seed=3,
                                            start_state=first.end_state)))
    assert hue_fraction(decode(second.video)[0], 150) > 0.1   # Mara (#e020e0) fills the close shot


TEN = [("", "An old keeper climbs the spiral stairs of a lighthouse at dusk, lantern in hand", "MS"),
       ("", "A woman in a red coat stands on a street at night", "WS"),
       ("", "A fisherman in a yellow oilskin mends a net on a beach at noon", "MS"),
       ("", "Two men in blue suits argue in a kitchen", "MS"),
       ("", "A green lantern on a table", "ECU"),
       ("", "An empty car park at night", "WS"),
       ("", "A girl in a pink dress runs across the field", "WS"),
       ("", "Three soldiers in green uniforms wait in the rain", "WS"),
       ("", "A nurse in a white uniform reads a letter in the hospital ward", "MCU"),
       ("", "Rey opens the vault door", "MS")]


@pytest.mark.parametrize("heading,action,size", TEN, ids=[a[:24] for _, a, _ in TEN])
def test_ten_shots_from_scratch_differ_from_their_blank_twin(tmp_path, heading, action, size):
    # The ten from-scratch shots rendered identical to an empty-action twin: no longer.
    written, _, _ = take(tmp_path, heading, action, size, frames=1)
    blank, _, _ = take(tmp_path, heading, "", size, frames=1)
    assert changed(written[0], blank[0]) > 0.01


def test_a_chained_close_up_stands_in_front_of_the_face_the_last_take_left(tmp_path):
    # The demo's MCU of Tomas showed his back: he had walked off along the quay, facing left.
    import math
    from engine.cues import MotionCue
    walk = (MotionCue("Mara", "walks", 0.6, "left"),)
    cam = CameraCue(shot_size="WS")
    plan = build_plan("EXT. QUAY - NIGHT", "Mara walks along the quay.", camera=cam, bible=BIBLE, motion=walk)
    first = render(request(tmp_path / "a", "a", cam, frames=24, width=W, height=H, motion=walk, plan=plan,
                           scene=SceneSpec(heading="EXT. QUAY - NIGHT", set_seed=3)))
    close = CameraCue(shot_size="MCU", angle="low")
    plan2 = build_plan("EXT. QUAY - NIGHT", "Mara stops and talks.", camera=close, bible=BIBLE)
    second = render(request(tmp_path / "b", "b", close, frames=1, width=W, height=H, plan=plan2,
                            scene=SceneSpec(heading="EXT. QUAY - NIGHT", set_seed=3,
                                            start_state=first.end_state)))
    mara = next(f for f in second.end_state["figures"] if f["name"] == "Mara")
    assert abs(((mara["heading"] - 180.0 + 180.0) % 360.0) - 180.0) > 45   # she faces along the quay
    cam_pos = np.array(second.end_state["camera"]["position"])
    to_cam = cam_pos - np.array([mara["x"], cam_pos[1], mara["z"]])
    facing = np.array([math.sin(math.radians(mara["heading"])), 0.0, math.cos(math.radians(mara["heading"]))])
    assert float(to_cam @ facing) > 0.8 * float(np.linalg.norm(to_cam))    # the lens is in front of her face


def _face_box(j, cam) -> tuple[float, float, float, float]:
    """The face's box in pixels: round the head joint, as wide as ear to ear, a little taller."""
    px, _ = cam.pixels(np.array([j["head"], j["r_ear"], j["l_ear"]]))
    r = 0.55 * float(np.linalg.norm(px[1] - px[2])) + 1.0
    return px[0, 0] - r, px[0, 1] - 1.2 * r, px[0, 0] + r, px[0, 1] + 1.2 * r


def _arm_points(j) -> np.ndarray:
    """Points along both arms from the elbow to the fingertips (what a raised arm puts before a face)."""
    out = []
    for side in "rl":
        e, w, h = j[f"{side}_elbow"], j[f"{side}_wrist"], j[f"{side}_hand"]
        out += [e + (w - e) * t for t in np.linspace(0, 1, 8)] + [w + (h - w) * t for t in np.linspace(0, 1, 4)]
    return np.array(out)


def _arm_over_face(r, i: int) -> list[tuple[str, str]]:
    """(whose arm, whose face) for each arm that covers another figure's face in frame i, from the
    figures' own joints projected through the take's camera."""
    from engine.previs.projection import Pinhole
    from engine.previs.rig import skeleton
    cam, states = Pinhole(r.camera_pose(i), W, H), r.figure_states(i)
    hits = []
    for a in states:
        for b in states:
            if a is b:
                continue
            x0, y0, x1, y1 = _face_box(skeleton(b), cam)
            px, depth = cam.pixels(_arm_points(skeleton(a)))
            if ((px[:, 0] > x0) & (px[:, 0] < x1) & (px[:, 1] > y0) & (px[:, 1] < y1)).any():
                hits.append((a.name, b.name))
    return hits


TWO = BIBLE + (BibleEntry("ch_tomas", BibleKind.CHARACTER, "Tomas", "A watchman.", color="#e0a526"),)


@pytest.mark.parametrize("size", ["MLS", "WS"])
@pytest.mark.parametrize("action", ["Mara waves at Tomas.", "Tomas waves at Mara.", "Mara and Tomas talk. Tomas waves.",
                                    "Mara and Tomas talk. Mara waves.", "Mara points at Tomas."])
def test_in_a_two_shot_a_gesturing_arm_does_not_cover_the_other_face(tmp_path, action, size):
    from engine.previs.projection import Pinhole
    from engine.previs.render import BlockingRenderer
    from engine.previs.rig import skeleton
    cam = CameraCue(shot_size=size)
    plan = build_plan("EXT. QUAY - NIGHT", action, camera=cam, bible=TWO)
    r = BlockingRenderer(request(tmp_path, "g", cam, frames=24, width=W, height=H, plan=plan,
                                 scene=SceneSpec(heading="EXT. QUAY - NIGHT", set_seed=3)))
    states = r.figure_states(0)
    assert len(states) == 2 and any(f.gesture > 0.3 or f.point > 0.3 for f in states)   # an arm is up
    for i in (0, 8, 16, 23):
        cam = Pinhole(r.camera_pose(i), W, H)
        for f in r.figure_states(i):                                              # a two-shot: both faces in
            x0, y0, x1, y1 = _face_box(skeleton(f), cam)
            assert 0 < x0 and x1 < W and 0 < y0 and y1 < H, (i, f.name)
        assert not _arm_over_face(r, i), (i, _arm_over_face(r, i))


def test_a_figure_new_to_a_chained_shot_keeps_its_blocking_to_the_one_it_finds(tmp_path):
    # The demo's "He has seen it": Tomas, not in the previous take, came onto his bare mark, where Mara
    # (the previous take's lead, left on hers) already stood: her gesturing arm was over his face.
    from engine.cues import MotionCue
    from engine.previs.projection import Pinhole
    from engine.previs.render import BlockingRenderer
    from engine.previs.rig import skeleton
    # (her arm raised: a wave; gripping the parcel now holds it, the arm no longer goes up)
    grip = (MotionCue("Mara", "waves", 0.2, kind="gesture"),)
    cam = CameraCue(shot_size="MS")
    first = render(request(tmp_path / "a", "a", cam, frames=24, width=W, height=H, motion=grip,
                           plan=build_plan("EXT. QUAY - NIGHT", "Mara waves.", camera=cam, bible=TWO,
                                           motion=grip), scene=SceneSpec(heading="EXT. QUAY - NIGHT", set_seed=3)))
    assert [f["name"] for f in first.end_state["figures"]] == ["Mara"]
    wide = CameraCue(shot_size="WS")
    closer = (MotionCue("Tomas", "comes closer", 0.5, "toward", kind="approach"),)
    plan = build_plan("EXT. QUAY - NIGHT", "Tomas steps closer to Mara.", camera=wide, bible=TWO, motion=closer)
    r = BlockingRenderer(request(tmp_path / "b", "b", wide, frames=24, width=W, height=H, motion=closer, plan=plan,
                                 scene=SceneSpec(heading="EXT. QUAY - NIGHT", set_seed=3,
                                                 start_state=first.end_state)))
    left = next(f for f in first.end_state["figures"] if f["name"] == "Mara")
    for i in (0, 12, 23):
        states = {f.name: f for f in r.figure_states(i)}
        mara, tomas = states["Mara"], states["Tomas"]
        assert (mara.x, mara.z) == (left["x"], left["z"])   # where she was
        # her arm up as she was left, then down (she has no cue of her own in this shot: she settles)
        assert mara.gesture > 0.3 if i == 0 else mara.gesture < {12: 0.2, 23: 0.01}[i], (i, mara.gesture)
        assert np.hypot(mara.x - tomas.x, mara.z - tomas.z) > 0.8, (mara, tomas)  # not inside one another
        cam = Pinhole(r.camera_pose(i), W, H)
        for f in (mara, tomas):                                                   # a two-shot: both faces in
            x0, y0, x1, y1 = _face_box(skeleton(f), cam)
            assert 0 < x0 and x1 < W and 0 < y0 and y1 < H, (i, f.name)
        assert not _arm_over_face(r, i), (i, _arm_over_face(r, i))
