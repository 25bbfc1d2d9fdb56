"""Board mode: the camera move applied to a storyboard image with parallax between depth bands."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from engine.cues import CameraCue, MotionCue
from engine.errors import EngineError, ErrorKind
from engine.previs import make_renderer
from previs_testkit import H, W, decode, flow, mean_flow, psnr, render, request, scene, textured

FRAMES = 10


@pytest.fixture
def board(tmp_path):
    """A drawn panel: sky, distant hills, a figure mid-frame, foreground rocks, all textured."""
    rng = np.random.default_rng(3)
    img = np.zeros((360, 640, 3), np.uint8)
    img[:] = (200, 170, 120)
    for _ in range(300):  # texture everywhere, so flow is measurable in every band
        x, y = int(rng.integers(0, 640)), int(rng.integers(0, 360))
        cv2.circle(img, (x, y), int(rng.integers(2, 9)), tuple(int(v) for v in rng.integers(30, 230, 3)), -1)
    cv2.rectangle(img, (290, 120), (350, 300), (60, 40, 160), -1)
    path = tmp_path / "board.png"
    cv2.imwrite(str(path), img)
    return str(path)


def board_request(tmp_path, board, job_id, cue, **kw):
    return request(tmp_path, job_id, cue, frames=FRAMES, scene=scene(board_image=board, **kw.pop("scene_kw", {})),
                   **kw)


def test_static_board_is_the_board(tmp_path, board):
    req = board_request(tmp_path, board, "static", CameraCue())
    frame = make_renderer(req).frame(0)
    expected = cv2.resize(cv2.imread(board), (W, H), interpolation=cv2.INTER_AREA)  # same aspect: no crop
    assert np.array_equal(frame, expected)
    result = render(req)
    decoded = decode(result.video)
    # luma: the random colour dots are exactly what 4:2:0 chroma subsampling blurs
    gray = lambda rgb: cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)  # noqa: E731
    assert psnr(gray(decoded[-1]), gray(cv2.cvtColor(expected, cv2.COLOR_BGR2RGB))) > 35
    assert result.metadata["mode"] == "board"


def test_truck_slides_the_foreground_faster_than_the_background(tmp_path, board):
    result = render(board_request(tmp_path, board, "truck", CameraCue(move="truck", direction="right", amount=0.1,
                                                                       easing="linear")))
    frames = decode(result.video)
    f = flow(frames[4], frames[5])
    mask = textured(frames[4])
    top = float(np.median(f[: H // 4, :, 0][mask[: H // 4]]))
    bottom = float(np.median(f[-H // 8:, :, 0][mask[-H // 8:]]))
    assert top < 0 and bottom < 0  # camera right: everything slides left
    assert abs(bottom) > 2.0 * abs(top), (top, bottom)  # near band moves more: parallax


def test_dolly_in_on_a_board_diverges(tmp_path, board):
    result = render(board_request(tmp_path, board, "dolly", CameraCue(move="dolly_in", amount=0.5, easing="linear")))
    _, _, divergence, _ = mean_flow(decode(result.video), 4, 5)
    assert divergence > 0.3


def test_board_continuation_and_ignored_motion(tmp_path, board):
    first = render(board_request(tmp_path, board, "b1", CameraCue(move="pan", direction="left", amount=0.2),
                                 motion=[MotionCue(kind="cross", screen_direction="right")]))
    assert "motion cues are not executed on a board image" in first.metadata["ignored"]
    state = json.loads(json.dumps(first.end_state))
    follow = board_request(tmp_path, board, "b2", CameraCue(move="zoom_in", amount=0.3),
                           scene_kw={"start_state": state})
    assert np.array_equal(make_renderer(follow).frame(0), cv2.imread(first.last_frame))


def test_unreadable_board_is_a_bad_input(tmp_path):
    bad = tmp_path / "board.png"
    bad.write_bytes(b"not an image")
    with pytest.raises(EngineError) as info:
        make_renderer(board_request(tmp_path, str(bad), "bad", CameraCue()))
    assert info.value.kind is ErrorKind.BAD_INPUT and "board.png" in info.value.message


def test_pan_on_a_board_has_no_parallax(tmp_path, board):
    # A camera that only turns sees every depth alike: the near band moves with the far one.
    result = render(board_request(tmp_path, board, "pan", CameraCue(move="pan", direction="right", amount=0.1,
                                                                     easing="linear")))
    frames = decode(result.video)
    f = flow(frames[4], frames[5])
    mask = textured(frames[4])
    top = float(np.median(f[: H // 4, :, 0][mask[: H // 4]]))
    bottom = float(np.median(f[-H // 8:, :, 0][mask[-H // 8:]]))
    assert top < -0.5 and abs(bottom / top - 1) < 0.25, (top, bottom)
