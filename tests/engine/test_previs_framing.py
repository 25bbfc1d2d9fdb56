"""The framing solver, checked analytically: the subject's head box projected through the pinhole."""
import numpy as np
import pytest

from engine.cues import CameraCue, amount_text, CAMERA_MOVES, CameraMove
from engine.plan import Action, Person, Place, Prop, ShotPlan, Subject
from engine.previs.framing import box_height_fraction, box_in_frame, layout, project, solve

W, H = 320, 180
SIZES = ["EWS", "WS", "MLS", "MS", "MCU", "CU"]


def one(facing="camera", **kw):
    return ShotPlan(place=Place("street"), people=(Person(description="man", is_subject=True, facing=facing, **kw),),
                    subject=Subject("person", 0, "body"))


def two_talking():
    return ShotPlan(place=Place("kitchen", True), people=(Person("Ann", is_subject=True), Person("Bo")),
                    actions=(Action("talk", 0, target_person=1, relation="at_each_other"),),
                    subject=Subject("person", 0, "body"))


@pytest.mark.parametrize("angle", ["eye", "high", "low", "overhead", "dutch"])
def test_head_box_in_frame_and_growing_from_ews_to_cu(angle):
    fractions = []
    for size in SIZES:
        fr = solve(one(), CameraCue(shot_size=size, angle=angle), W, H)
        box = np.array(fr.box)
        assert box_in_frame(fr.pose, box, W, H), (size, angle)
        fractions.append(box_height_fraction(fr.pose, box, W, H))
    assert fractions == sorted(fractions) and fractions[0] < 0.05 and fractions[-1] > 0.4, fractions


def test_cu_is_about_half_the_frame_with_headroom_and_mcu_shows_the_chest():
    fr = solve(one(), CameraCue(shot_size="CU"), W, H)
    uv = project(fr.pose, np.array(fr.box), W, H)
    assert 0.4 < (uv[:, 1].max() - uv[:, 1].min()) / H < 0.7
    assert uv[:, 1].min() > 0.05 * H           # headroom above the head
    mcu = solve(one(), CameraCue(shot_size="MCU"), W, H)
    chest = project(mcu.pose, np.array([[0.0, 1.25, 0.0], [0.0, 0.97, 0.0]]), W, H)
    assert chest[0, 1] < H < chest[1, 1]       # chest in frame, waist below it
    ms = solve(one(), CameraCue(shot_size="MS"), W, H)
    waist_knee = project(ms.pose, np.array([[0.0, 1.0, 0.0], [0.0, 0.47, 0.0]]), W, H)
    assert waist_knee[0, 1] < H < waist_knee[1, 1]
    ws = solve(one(), CameraCue(shot_size="WS"), W, H)
    feet_head = project(ws.pose, np.array([[0.0, 0.0, 0.0], [0.0, 1.75, 0.0]]), W, H)
    assert 0 < feet_head[1, 1] and feet_head[0, 1] < H   # the whole figure


def test_subject_faces_the_camera_unless_the_words_say_otherwise():
    for facing, heading in (("camera", 180.0), ("away", 0.0), ("left", 270.0)):
        lay = layout(one(facing))
        assert lay.marks[0].heading == heading
    fr = solve(one(), CameraCue(shot_size="MCU"), W, H)
    assert fr.pose.position[2] < 0      # the camera on -Z, in front of a figure facing -Z


def test_two_people_talking_get_a_two_shot_or_an_over_the_shoulder():
    plan = two_talking()
    lay = layout(plan)
    a, b = lay.marks[0], lay.marks[1]
    assert a.x < 0 < b.x and a.heading == 120.0 and b.heading == 240.0   # face to face, cheated to the lens
    ms = solve(plan, CameraCue(shot_size="MS"), W, H)
    assert ms.kind == "two_shot"
    assert box_in_frame(ms.pose, a.head_box(), W, H) and box_in_frame(ms.pose, b.head_box(), W, H)
    ots = solve(plan, CameraCue(shot_size="MCU"), W, H)
    assert ots.kind == "over_the_shoulder"
    assert box_in_frame(ots.pose, a.head_box(), W, H)
    # The camera stands behind the partner: the partner is nearer the lens than the subject.
    cam = np.array(ots.pose.position)
    assert np.linalg.norm(cam - b.head()) < np.linalg.norm(cam - a.head())


def test_ecu_frames_the_detail():
    parcel = ShotPlan(people=(Person("Mara"),), props=(Prop("parcel", is_subject=True),),
                      subject=Subject("prop", 0, "prop"))
    fr = solve(parcel, CameraCue(shot_size="ECU", angle="high"), W, H)
    assert fr.kind == "insert" and box_in_frame(fr.pose, np.array(fr.box), W, H)
    assert box_height_fraction(fr.pose, np.array(fr.box), W, H) > 0.3
    head = layout(parcel).marks[0].head_box()
    assert not box_in_frame(fr.pose, head, W, H)      # the parcel, not a face
    eyes = solve(one(), CameraCue(shot_size="ECU"), W, H)
    assert box_in_frame(eyes.pose, np.array(eyes.box), W, H)
    assert box_height_fraction(eyes.pose, eyes.layout.marks[0].head_box(), W, H) > 1.0  # closer than the head


MOVES = [("pan", "right"), ("pan", "left"), ("tilt", "up"), ("tilt", "down"), ("truck", "left"),
         ("pedestal", "up"), ("dolly_in", None), ("dolly_out", None), ("zoom_in", None), ("zoom_out", None),
         ("orbit", "cw"), ("crane", "up"), ("handheld", None)]


@pytest.mark.parametrize("move,direction", MOVES)
@pytest.mark.parametrize("size", ["WS", "MS", "MCU", "CU"])
def test_head_box_stays_in_frame_through_every_move(move, direction, size):
    cue = CameraCue(move=move, direction=direction, amount=1.0, shot_size=size, easing="linear")
    fr = solve(one(), cue, W, H)
    path = fr.path(cue, 12, 24, seed=3)
    box = np.array(fr.box)
    for i in range(12):
        assert box_in_frame(path.pose(i), box, W, H), (move, size, i)


def test_dolly_and_zoom_in_end_on_the_face_and_are_relative_to_the_distance():
    for move in ("dolly_in", "zoom_in"):
        cue = CameraCue(move=move, amount=0.8, shot_size="MS", easing="linear")
        fr = solve(one(), cue, W, H)
        path = fr.path(cue, 10, 24, seed=0)
        start, end = path.pose(0), path.pose(9)
        box = np.array(fr.box)
        assert box_height_fraction(end, box, W, H) > 1.4 * box_height_fraction(start, box, W, H)
        centre = project(end, np.array([fr.focus]), W, H)[0]
        assert abs(centre[0] - W / 2) < 0.1 * W and abs(centre[1] - H / 2) < 0.2 * H   # ends on the face
    # A dolly's travel is a fraction of the distance: the same amount travels further in a wide shot.
    travel = {}
    for size in ("MS", "EWS"):
        cue = CameraCue(move="dolly_in", amount=0.5, shot_size=size, easing="linear")
        fr = solve(one(), cue, W, H)
        path = fr.path(cue, 5, 24, seed=0)
        travel[size] = np.linalg.norm(np.subtract(path.pose(4).position, path.pose(0).position))
    assert travel["EWS"] > 5 * travel["MS"] > 0


def test_orbit_circles_the_subject():
    cue = CameraCue(move="orbit", direction="cw", amount=1.0, shot_size="MS", easing="linear")
    fr = solve(one(), cue, W, H)
    path = fr.path(cue, 9, 24, seed=0)
    aim = np.array(fr.aim)
    radii = [np.linalg.norm(np.subtract(path.pose(i).position, aim)[[0, 2]]) for i in range(9)]
    assert max(radii) - min(radii) < 1e-6
    assert abs(path.pose(8).yaw - path.pose(0).yaw) == pytest.approx(90.0)


def test_one_camera_table_and_dolly_out_direction():
    assert CameraCue(move="dolly", direction="out").move is CameraMove.DOLLY_OUT
    assert CameraCue(move="zoom", direction="out").move is CameraMove.ZOOM_OUT
    assert CameraCue(move="dolly").move is CameraMove.DOLLY_IN
    assert amount_text("pan", 0.5) == "30°" and amount_text("dolly_in", 0.5) == "30% closer"
    assert CameraCue(move="pan", direction="left", amount=0.2).describe().startswith("slow pan left")
    assert set(CAMERA_MOVES) == set(CameraMove)
