"""The viewer plays a take's control passes (depth, mask, pose: files beside the take, listed in its
metadata under "passes") instead of the picture or over it, from the View menu's Control Pass items."""
from __future__ import annotations

import json

import av
import numpy as np

from tests.ui.ui_fixtures import *  # noqa: F403
from tests.ui.ui_fixtures import add_take
from ui.selection import ShotSelection
from ui.viewer import ViewerPanel

GREEN = (20, 220, 20)


def _pass_video(path, frames: int = 24) -> None:
    """Black with a green square in the middle (what a pose or mask pass looks like: a drawing on black)."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        stream.options = {"g": "1", "preset": "ultrafast"}
        for _ in range(frames):
            arr = np.zeros((180, 320, 3), np.uint8)
            arr[60:120, 130:190] = GREEN
            for packet in stream.encode(av.VideoFrame.from_ndarray(arr, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def _shown(qtbot, viewer, frame: int = 12):
    viewer.player.seek(frame)
    qtbot.waitUntil(lambda: viewer.player.displayed_frame == frame and viewer.player._image_array is not None,
                    timeout=5000)
    return np.array(viewer.player._image_array)


def test_a_control_pass_plays_instead_of_or_over_the_picture(qtbot, doc):
    add_take(doc, "sh000", "ta", video=True, frames=24, color=(200, 30, 30))
    add_take(doc, "sh001", "tb", video=True, frames=24, color=(30, 30, 200))   # a take without passes
    takes = doc.folder / "media" / "takes"
    _pass_video(takes / "ta.pose.mp4")
    (takes / "ta.json").write_text(json.dumps({"passes": {"pose": {"file": "ta.pose.mp4", "format": "h264"}}}))
    viewer = ViewerPanel(doc, ShotSelection(), audio=False)
    qtbot.addWidget(viewer)
    viewer.resize(480, 320)
    viewer.show()
    menu_items = {a.text(): a for a in viewer.pass_actions()[0].menu().actions()}
    assert {"Picture", "Depth", "Mask", "Pose", "Over the Picture"} <= set(menu_items)
    picture = _shown(qtbot, viewer)
    assert picture[90, 300, 0] > 150 and picture[90, 160, 1] < 80          # red, no square
    menu_items["Pose"].trigger()
    assert viewer.control_pass == "pose" and menu_items["Pose"].isChecked()
    assert viewer.player.playlist.segments[0].video_path.endswith("ta.pose.mp4")
    assert viewer.player.playlist.segments[1].video_path.endswith("tb.mp4")   # no pass: its picture
    instead = _shown(qtbot, viewer)
    assert instead[90, 160, 1] > 150 and instead[90, 300].max() < 40          # the square on black
    menu_items["Over the Picture"].trigger()
    assert viewer.pass_over and viewer.player.playlist.segments[0].overlay_path.endswith("ta.pose.mp4")
    over = _shown(qtbot, viewer)
    assert over[90, 300, 0] > 150 and over[90, 300, 1] < 80                   # the picture around it
    assert 60 < over[90, 185, 0] < 150 and over[90, 185, 1] > 100             # the square mixed over the red
    viewer.play_take("ta")                                                    # a take played alone keeps it
    assert viewer.player.playlist.segments[0].overlay_path.endswith("ta.pose.mp4")
    menu_items["Picture"].trigger()
    assert viewer.control_pass is None and viewer.player.playlist.segments[0].overlay_path is None
    viewer.detach()
