"""A long take streams in constant memory: Panda's state cache must not grow with every frame."""
from __future__ import annotations

from engine.cues import CameraCue, MotionCue
from engine.previs import make_renderer, stage
from previs_testkit import request


def _cached_states() -> int:
    from panda3d.core import RenderState, TransformState
    return stage.call(lambda: TransformState.getNumStates() + RenderState.getNumStates())


def test_rendering_frames_does_not_accumulate_panda_states(tmp_path):
    # Each posed limb gets a new matrix every frame; without a garbage collect per render (ShowBase's
    # job, absent here) ~60 states a figure a frame piled up: +70 MB over a 60 s 720p take.
    cue = MotionCue(subject="", kind="cross", screen_direction="right", intensity=0.8)
    renderer = make_renderer(request(tmp_path, "mem", CameraCue(move="dolly_in", amount=0.5), [cue],
                                     frames=40, width=160, height=90))
    for i in range(10):
        renderer.frame(i)
    before = _cached_states()
    for i in range(10, 40):
        renderer.frame(i)
    assert _cached_states() - before < 100, (before, _cached_states())
