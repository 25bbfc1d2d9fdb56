"""A chained take whose walker the previous take left on the frame's edge: the operator catches up
over the first beats (frame 0 stays the previous take's last frame) and then keeps it in frame,
measured from the walker's joints projected through each frame's camera."""
from __future__ import annotations

import json

import numpy as np
import pytest

from engine.cues import CameraCue, MotionCue
from engine.jobs import CharacterSpec
from engine.previs import make_renderer
from previs_testkit import MAGENTA, W, render, request, scene, subject_in_frame
from studio.model import BibleEntry, BibleKind
from studio.shotplan import build_plan

BIBLE = (BibleEntry("ch_mara", BibleKind.CHARACTER, "Mara", "A courier.", color=MAGENTA),)
CAST = (CharacterSpec("Mara", color=MAGENTA),)


def _edge_then(tmp_path, walk: str, camera: CameraCue):
    """(first, second): a planless truck that outruns the walker (it ends on the trailing edge), then
    the chained planned take with `camera` on the same setup."""
    motion = (MotionCue(subject="Mara", action="walks", screen_direction=walk),)
    first = request(tmp_path / "a", "a", CameraCue(move="truck", direction=walk, amount=0.5), motion, frames=24,
                    scene=scene(characters=CAST))
    done = render(first)
    state = json.loads(json.dumps(done.end_state))
    plan = build_plan("EXT. SQUARE - DAY", f"Mara walks {walk}.", camera=camera, bible=BIBLE, motion=motion)
    second = request(tmp_path / "b", "b", camera, motion, frames=36, plan=plan,
                     scene=scene(characters=CAST, start_state=state))
    return first, second


@pytest.mark.parametrize("walk,camera", [
    ("right", CameraCue(move="pan", amount=0.4)),                    # the studio chain's pan, no direction
    ("left", CameraCue(move="pan", direction="left", amount=0.4)),   # its mirror
    ("right", CameraCue(move="truck", amount=0.4)),                  # a truck that outruns her again
], ids=["pan-right", "pan-left", "truck"])
def test_a_continued_shot_catches_up_with_a_walker_left_on_the_edge(tmp_path, walk, camera):
    first, second = _edge_then(tmp_path, walk, camera)
    r = make_renderer(second)
    assert r.camera_continued, "the same setup: the camera continues"
    first_r = make_renderer(first)
    assert r.camera_pose(0) == first_r.camera_pose(first.frames - 1), "frame 0 is the last take's frame"
    assert np.array_equal(r.frame(0), first_r.frame(first.frames - 1))
    inside = [subject_in_frame(r, i) for i in range(second.frames)]
    _, left, right = inside[0]
    trailing = left if walk == "right" else W - right
    assert trailing < 0.08 * W, ("the walker starts on the trailing edge", left, right)
    caught = next(i for i, (head, _, _) in enumerate(inside) if head)
    assert caught <= second.fps // 2, caught                       # within half a second
    assert all(head for head, _, _ in inside[caught:]), [h for h, _, _ in inside]   # and never lost again
    yaws = np.array([r.camera_pose(i).yaw for i in range(second.frames)])
    steps = np.abs(np.diff(yaws))
    assert steps[0] < 1.0 and steps.max() < 4.0, steps.round(2)   # a smooth catch-up, no jump on the cut
