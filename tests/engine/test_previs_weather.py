"""Weather from the shot plan: fog thickens with distance (from the depth pass), snow falls per frame."""
from __future__ import annotations

import numpy as np

from engine.cues import CameraCue
from engine.plan import Person, Place, ShotPlan
from engine.previs import make_renderer
from previs_testkit import request


def _frames(tmp_path, weather: str, n=2):
    plan = ShotPlan(place=Place(kind="field", interior=False, neutral=False), weather=weather,
                    people=(Person(description="man", is_subject=True),))
    r = make_renderer(request(tmp_path, f"w-{weather}", CameraCue(shot_size="WS"), frames=n, width=160, height=90,
                              plan=plan))
    return r, [r.frame(i) for i in range(n)]


def test_fog_greys_the_distance_more_than_the_foreground(tmp_path):
    clear_r, (clear, _) = _frames(tmp_path, "clear")
    _, (fog, _) = _frames(tmp_path, "fog")
    depth = clear_r.control_passes(0)["depth"]
    far, near = depth < 40, depth > 200
    assert far.sum() > 50 and near.sum() > 50

    def contrast(img, where):
        return float(img[where].astype(float).std())
    # far things lose their contrast (into the haze); near things keep most of theirs
    assert contrast(fog, far) < 0.6 * contrast(clear, far) + 1
    assert np.abs(fog[near].astype(int) - clear[near]).mean() < np.abs(fog[far].astype(int) - clear[far]).mean()


def test_snow_falls_and_frames_stay_pure(tmp_path):
    r, (a, b) = _frames(tmp_path, "snow")
    assert not np.array_equal(a, b)
    assert np.array_equal(r.frame(1), b)
    _, (clear, _) = _frames(tmp_path, "clear")
    white = (a.min(axis=2) > 215) & ~(clear.min(axis=2) > 215)
    assert white.sum() > 5


def test_a_rainy_day_greys_the_sky_and_softens_the_light():
    """Rain, snow or fog outdoors: a grey sky (it was the clear day's blue) and soft light from the whole
    sky, the sun's share given to the ambient; indoors and on a clear day the light is as it was."""
    from engine.previs.scene import OVERCAST, light_for
    clear, grey = light_for("day", False), light_for("day", False, overcast=True)
    spread = lambda c: float(np.ptp(c))                    # how coloured a BGR sky is
    assert spread(grey.sky_top) < 0.5 * spread(clear.sky_top)
    assert grey.diffuse < 0.5 * clear.diffuse and grey.ambient > clear.ambient and not grey.clouds
    inside, inside_wet = light_for("day", True), light_for("day", True, overcast=True)
    assert (inside.ambient, inside.diffuse) == (inside_wet.ambient, inside_wet.diffuse)
    assert set(OVERCAST) == {"rain", "snow", "fog"}
