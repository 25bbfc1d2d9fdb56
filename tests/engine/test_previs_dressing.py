"""Set dressing: the words of a scene pick a location kind, each kind builds its own pieces, the
dressed set is seeded and deterministic, and rendered frames differ the way the places do."""
from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine.cues import CameraCue
from engine.jobs import CharacterSpec, SceneSpec
from engine.previs import make_renderer
from engine.previs.dressing import classify
from engine.previs.dressing import build_world
from previs_testkit import MAGENTA, colour_mask, request

GREEN = "#20c040"

KIND_SCENES = {
    "harbour": dict(heading="EXT. HARBOUR QUAY - NIGHT", location="Harbour quay: stone quay, black water"),
    "street": dict(heading="EXT. MAIN STREET - NIGHT", location="main street"),
    "interior": dict(heading="INT. KITCHEN - NIGHT", location="kitchen", interior=True),
    "forest": dict(heading="EXT. FOREST - NIGHT", location="pine forest"),
    "rooftop": dict(heading="EXT. ROOFTOP - NIGHT", location="a city rooftop"),
    "desert": dict(heading="EXT. DESERT - NIGHT", location="desert"),
    "beach": dict(heading="EXT. BEACH - NIGHT", location="beach"),
    "field": dict(heading="EXT. FIELD - NIGHT", location="wheat field"),
    "generic": dict(heading="EXT. NOWHERE - NIGHT", location="the void"),
}


def spec(kind: str, tod: str = "night", seed: int = 5, **kw) -> SceneSpec:
    base = dict(KIND_SCENES[kind], time_of_day=tod, set_seed=seed)
    base["heading"] = base["heading"].rsplit(" - ", 1)[0] + f" - {tod.upper()}"
    base.update(kw)
    return SceneSpec(**base)


@pytest.mark.parametrize("heading,location,style,interior,kind,room", [
    ("EXT. HARBOUR QUAY - NIGHT", "", "", False, "harbour", ""),
    ("EXT. HARBOUR STREET - DUSK", "harbour street", "", False, "harbour", ""),   # a more specific place wins
    ("EXT. FOREST ROAD - DAY", "", "", False, "forest", ""),
    ("EXT. CITY ROOFTOP - NIGHT", "", "", False, "rooftop", ""),
    ("EXT. BACK ALLEY - NIGHT", "", "", False, "street", ""),
    ("EXT. TOWN SQUARE - DAY", "town square", "", False, "street", ""),
    ("EXT. CITY PARK - DAY", "", "", False, "forest", ""),
    ("EXT. THE DUNES - DAY", "", "", False, "desert", ""),
    ("EXT. LAKE SHORE - DAWN", "", "", False, "beach", ""),
    ("EXT. FARM - DAY", "", "", False, "field", ""),
    ("EXT. MARA'S PLACE - NIGHT", "Mara's place: a quay by the ferry", "", False, "harbour", ""),  # bible text
    ("EXT. SOMEWHERE - DAY", "a wooden sign", "", False, "generic", ""),  # 'wooden' is not 'wood'
    ("EXT. AIRPORT - DAY", "", "", False, "generic", ""),                  # 'airport' is not 'port'
    ("EXT. NOWHERE - DAY", "", "city lights in the distance", False, "street", ""),  # style last
    ("INT. KITCHEN - NIGHT", "", "", False, "interior", "kitchen"),
    ("INT. HARBOUR OFFICE - DAY", "", "", False, "interior", "office"),
    ("INT. DOCKSIDE PUB - NIGHT", "", "", False, "interior", "bar"),
    ("INT. MARA'S APARTMENT - NIGHT", "", "", False, "interior", "apartment"),
    ("EXT. FOREST - DAY", "forest", "", True, "interior", "room"),
])
def test_keywords_pick_the_location_kind(heading, location, style, interior, kind, room):
    plan = classify(SceneSpec(heading=heading, location=location, style=style, interior=interior))
    assert (plan.kind, plan.room) == (kind, room)


def test_rain_and_variants_come_from_the_words():
    assert classify(SceneSpec(heading="EXT. QUAY - NIGHT", style="Wet night, rain streaks")).rain
    assert not classify(SceneSpec(heading="EXT. QUAY - NIGHT", style="Dry and clear")).rain
    assert not classify(SceneSpec(heading="EXT. TRAINING GROUND - DAY")).rain  # 'training' is not 'rain'
    assert classify(SceneSpec(heading="EXT. PARK - DAY")).park
    assert classify(SceneSpec(heading="EXT. MARKET SQUARE - DAY")).wide
    assert not classify(SceneSpec(heading="EXT. HIGH STREET - DAY")).wide


PIECES = {
    "harbour": {"water", "bollard", "hull", "rope", "ramp", "lamp", "crate", "container", "warehouse", "breakwater"},
    "street": {"building", "window", "kerb", "lamp", "car", "bin"},
    "interior": {"wall", "door", "window", "floor_boards", "table", "chair", "ceiling_lamp", "counter", "fridge"},
    "forest": {"trunk", "canopy", "bush", "log", "campfire"},
    "rooftop": {"parapet", "stair_hut", "water_tank", "skyline"},
    "desert": {"dunes", "rock", "scrub"},
    "beach": {"water", "sea_line", "umbrella", "lifeguard_hut"},
    "field": {"fence", "hay_bale", "farmhouse", "trunk"},
    "generic": {"lamp"},
}


SIGNATURE = {"harbour": "hull", "street": "building", "interior": "floor_boards", "forest": "bush",
             "rooftop": "parapet", "desert": "dunes", "beach": "sea_line", "field": "hay_bale", "generic": "pole"}


@pytest.mark.parametrize("kind", sorted(PIECES))
def test_each_kind_builds_its_characteristic_pieces(kind):
    world = build_world(spec(kind))
    assert world.kind == kind
    missing = PIECES[kind] - set(world.pieces)
    assert not missing, (kind, missing, world.pieces)
    # each kind's signature piece belongs to it alone: a harbour has no facades, a street no hull
    foreign = {SIGNATURE[k] for k in SIGNATURE if k != kind} & set(world.pieces)
    assert not foreign, (kind, foreign)


def test_room_kinds_furnish_differently():
    rooms = {r: build_world(SceneSpec(heading=f"INT. {r.upper()} - DAY", set_seed=2)).pieces
             for r in ("kitchen", "bar", "office", "apartment")}
    assert "counter" in rooms["kitchen"] and "bar_counter" in rooms["bar"] and "stool" in rooms["bar"]
    assert "desk" in rooms["office"] and "sofa" in rooms["apartment"]
    assert "bar_counter" not in rooms["kitchen"] and "desk" not in rooms["bar"]
    park = build_world(SceneSpec(heading="EXT. PARK - NIGHT", set_seed=2)).pieces
    assert "bench" in park and "lamp" in park and "campfire" not in park


def _arrays(world):
    yield world.box_centres
    yield world.box_half
    yield world.box_colours
    yield world.decals
    yield world.decal_colours
    yield world.ground_texture.image
    for layer in world.layers:
        yield layer.quads
        yield layer.colours


@pytest.mark.parametrize("kind", ["harbour", "street", "interior", "rooftop"])
def test_dressed_set_is_deterministic_seeded_and_the_same_by_day(kind):
    a, b = build_world(spec(kind)), build_world(spec(kind))
    for x, y in zip(_arrays(a), _arrays(b), strict=True):
        assert np.array_equal(x, y)
    assert a.pieces == b.pieces and a.info == b.info
    other = build_world(spec(kind, seed=6))
    assert not np.array_equal(other.box_centres, a.box_centres)
    day = build_world(spec(kind, tod="day"))
    assert np.array_equal(day.box_centres, a.box_centres) and day.pieces == a.pieces
    assert np.array_equal(day.decals, a.decals)  # the same windows and bulbs, lit or not


def test_night_practicals_light_pools_on_the_ground():
    night, day = build_world(spec("street")), build_world(spec("street", tod="day"))
    tex = night.ground_texture
    ppm = tex.ppm
    lit = []
    for pool_x, pool_z in ((5.0, 2.0), (-5.0, 2.0)):  # the lamp beside the mark, on one side or the other
        u, v = int((pool_x - tex.x0) * ppm), int((pool_z - tex.z0) * ppm)
        lit.append(float(tex.image[v - 3:v + 3, u - 3:u + 3].mean()))
    far = float(tex.image[int((-30 - tex.z0) * ppm), int((0 - tex.x0) * ppm)].mean())
    assert max(lit) > 1.6 * far, (lit, far)
    assert night.decal_colours.max() >= 250 and day.decal_colours.max() < 250  # glowing bulbs only at night


def frame_of(kind: str, tod: str, characters=(), size=(320, 180), shot="EWS", index=0, angle="eye", **kw) -> np.ndarray:
    req = request(Path("/nonexistent"), f"dress-{kind}", CameraCue(shot_size=shot, angle=angle),
                  frames=max(2, index + 1), width=size[0], height=size[1],
                  scene=spec(kind, tod=tod, characters=tuple(characters), **kw))
    renderer = make_renderer(req)
    img = renderer.frame(index)
    pose = renderer.path.pose(index)
    horizon = size[1] / 2 + pose.focal_px(size[0]) * math.tan(math.radians(pose.pitch))
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB), horizon


def _band(img, horizon, frac=0.15):
    top = int(math.ceil(horizon)) + 2
    return img[top:top + max(4, int(img.shape[0] * frac))].reshape(-1, 3).astype(int)


def test_rendered_kinds_differ_the_way_the_places_do():
    harbour, _ = frame_of("harbour", "day", angle="high")   # looking down on the set: all below the horizon
    street, _ = frame_of("street", "day", angle="high")
    room, _ = frame_of("interior", "day")
    forest, f_hor = frame_of("forest", "day")
    eye_street, s_hor = frame_of("street", "day")
    open_ground, _ = frame_of("generic", "day")

    def watery(img):  # dark and blue-dominant
        px = img.reshape(-1, 3).astype(int)
        return float(np.mean((px[:, 2] > px[:, 0] + 8) & (px.max(axis=1) < 90)))
    # a harbour: a large region of dark water beyond the quay edge; a street is paving and facades
    assert watery(harbour) > 0.15 and watery(harbour) > 3 * watery(street), (watery(harbour), watery(street))

    # an interior has no sky: the top of the frame is ceiling, not blue
    def skyish(px):
        return float(np.mean(px[:, 2] > px[:, 0] + 30))
    assert skyish(open_ground[:10].reshape(-1, 3).astype(int)) > 0.5
    assert skyish(room[:10].reshape(-1, 3).astype(int)) < 0.05

    # a forest floor is green, a street's grey
    def greenish(px):
        return float(np.mean((px[:, 1] > px[:, 0] + 5) & (px[:, 1] > px[:, 2] + 5)))
    assert greenish(_band(forest, f_hor, 0.3)) > 0.5 and greenish(_band(eye_street, s_hor, 0.3)) < 0.1
    # and the frames are far apart as images
    for a, b in ((harbour, street), (eye_street, room), (room, forest), (eye_street, forest)):
        assert float(np.abs(a.astype(int) - b).mean()) > 15


def test_street_at_night_has_lit_windows_and_rain_falls_per_frame():
    street, _ = frame_of("street", "night", shot="EWS")
    warm = (street[..., 0] > 200) & (street[..., 1] > 150) & (street[..., 2] < 180)
    assert warm.mean() > 0.01
    a, _ = frame_of("street", "night", style="rain", index=3)
    b, _ = frame_of("street", "night", style="rain", index=3)
    c, _ = frame_of("street", "night", style="rain", index=2)
    assert np.array_equal(a, b) and not np.array_equal(a, c)  # frame(i) stays pure; streaks move


@pytest.mark.parametrize("kind", sorted(KIND_SCENES))
def test_figures_stay_readable_and_sets_never_look_like_them(kind):
    # Trackers find a figure by its colour: no set (day or night) may contain the test colours,
    # and a figure at night still shows its colour.
    for tod in ("day", "night"):
        empty, _ = frame_of(kind, tod, size=(256, 144), shot="WS")
        for colour in (MAGENTA, GREEN):
            assert colour_mask(empty, colour).sum() < 20, (kind, tod, colour)
    cast = (CharacterSpec("MARA", color=MAGENTA),)
    night, _ = frame_of(kind, "night", cast, size=(256, 144), shot="WS", style="rain")
    mask = colour_mask(night, MAGENTA)
    assert mask.sum() > 300, (kind, mask.sum())
