"""Set dressing: the previs set reads as the place the script names.

`classify(spec)` picks a location kind from words in the scene heading (strongest), then the
location text (the bible entry), then the style; `dress(builder, plan, rng)` builds that kind's
pieces and returns its ground. Words match whole (plural 's' allowed), case-insensitive.

Keywords by kind (when several match in one text, the first kind in this list wins: a harbour
street is a harbour, a forest road a forest, a city rooftop a rooftop):
  rooftop   rooftop, roof, roofs, rooftops, terrace
            -> roof deck, parapet all round, vents, AC units, a water tank, a stair hut with a
               bulkhead lamp, city skyline silhouettes beyond (lit windows at night)
  harbour   harbour, harbor, quay, quayside, dock, docks, dockside, pier, port, wharf, marina,
            jetty, waterfront, ferry, boatyard
            -> stone setts to a coping edge, dark water plane beyond (ripples; lamp reflections at
               night), bollards, mooring ropes, a moored ferry hull with cabin and funnel, a ramp,
               crates, containers, quay lamps, warehouses behind, a far shore with a breakwater light
  forest    forest, wood, woods, woodland, jungle, grove, orchard, trail, park, garden
            -> grass ground with leaf litter, tree trunks with canopy blobs, bushes, rocks, a log;
               a park (park, garden) adds a gravel path, benches and park lamps; a wild forest
               has a campfire (its glow is the practical at night)
  beach     beach, shore, seashore, seaside, coast, sea, lake, bay
            -> sand, a foam line and the sea to the horizon, umbrellas, a lifeguard hut, driftwood,
               a bonfire
  desert    desert, dune, dunes, sand, wasteland, canyon
            -> sand with ripple marks, dune silhouettes near and far, rocks, scrub, a campfire
  field     field, fields, meadow, farm, prairie, pasture, countryside
            -> furrowed ground, a fence line, hay bales, a lone tree, a farmhouse with a porch lamp
  street    street, city, alley, road, avenue, town, square, market, plaza, downtown, lane,
            boulevard, highway, parking, station, crossroads, sidewalk
            -> asphalt with a centre line, kerbs, pavements, building facades on both sides with
               windows (many lit at night) and shopfronts, street lamps, parked cars, bins; a
               square (square, plaza, market, parking, station, crossroads) is twice as wide
  interior  any INT. heading or `interior` -> a room with panelled walls, a door, windows (the
            time of day shows through), floor boards, table and chairs under a ceiling lamp, and
            by room keyword:
              kitchen (kitchen, diner): counters, wall cabinets, a fridge, a stove
              office (office, study, bank, classroom, lab): desks with glowing screens, cabinets
              bar (bar, pub, tavern, cafe, restaurant, saloon, club): a bar counter, stools,
                   a back bar of bottles, pendant lamps
              apartment (apartment, flat, bedroom, lounge, living, hotel, house, home, room): a
                   sofa, a rug, bookshelves
  generic   anything else: the plain tiled ground with poles and crates, and one lamp.

Practicals: every kind has a lamp (or a fire) near the mark and more about the set; at dusk and
night they glow and pool light on the ground (baked into the ground texture), so the figures read
against the dark; indoors they are on at any hour, dimmer by day.

Weather: rain, rainy, raining, drizzle, downpour, storm, stormy, showers anywhere in the heading,
location or style -> rain streaks over the frame (drawn by the renderer). The shot plan's weather
(engine.plan.WEATHERS) wins: rain or storm -> rain, snow, fog. The world carries it (World.weather),
the one source the renderer's overlays and the shadows' light choice read.

Everything is seeded from the scene (set_seed and the location text), never from a shot, and the
random draws never depend on the time of day: the same set by day and by night. Set colours are
kept muted (low saturation) so saturated character colours stay the subject and their trackers
never lock onto scenery.
"""
from __future__ import annotations

import math
import re
import zlib
from dataclasses import dataclass

import numpy as np

from ..jobs import SceneSpec
from .rig import Stair
from .scene import (OVERCAST, PRACTICALS, GroundSpec, SetBuilder, World, grid_quads, ground_texture, is_interior, key_light,
                    light_for, rgb, sky_objects, tile_colours, time_of_day)

KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("rooftop", ("rooftop", "roof", "terrace")),
    ("harbour", ("harbour", "harbor", "quay", "quayside", "dock", "dockside", "pier", "port", "wharf", "marina",
                 "jetty", "waterfront", "ferry", "boatyard")),
    ("forest", ("forest", "wood", "woodland", "jungle", "grove", "orchard", "trail", "park", "garden")),
    ("beach", ("beach", "shore", "seashore", "seaside", "coast", "sea", "lake", "bay")),
    ("desert", ("desert", "dune", "sand", "wasteland", "canyon")),
    ("field", ("field", "meadow", "farm", "prairie", "pasture", "countryside")),
    ("street", ("street", "city", "alley", "road", "avenue", "town", "square", "market", "plaza", "downtown",
                "lane", "boulevard", "highway", "parking", "station", "crossroads", "sidewalk")),
)
ROOMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("kitchen", ("kitchen", "diner")),
    ("bar", ("bar", "pub", "tavern", "cafe", "café", "restaurant", "saloon", "club")),
    ("office", ("office", "study", "bank", "classroom", "lab")),
    ("apartment", ("apartment", "flat", "bedroom", "lounge", "living", "hotel", "house", "home", "room")),
)
RAIN_WORDS = ("rain", "rainy", "raining", "drizzle", "downpour", "storm", "stormy", "showers")
PARK_WORDS = ("park", "garden")
WIDE_WORDS = ("square", "plaza", "market", "parking", "station", "crossroads")

SODIUM = (255, 178, 92)
WARM = (255, 222, 170)
WINDOW_LIT = (255, 212, 140)
WINDOW_DARK = (58, 66, 80)
WOOD = (120, 98, 76)
BOLLARD = (96, 98, 104)

# The subject's stage and the camera's corridor stay clear of set pieces.
STAGE = [(-3.2, 3.2, -3.0, 3.0), (-3.0, 3.0, -40.0, 0.0)]


@dataclass(frozen=True)
class SetPlan:
    kind: str
    room: str = ""                  # interior: kitchen, bar, office, apartment, room
    rain: bool = False
    park: bool = False
    wide: bool = False              # street: an open square rather than a street between facades


def _words(text: str) -> str:
    return " " + re.sub(r"[^a-z0-9é]+", " ", text.lower()) + " "


def _has(text: str, word: str) -> bool:
    return re.search(rf"\b{re.escape(word)}s?\b", text) is not None


def _heading_place(heading: str) -> str:
    body = re.sub(r"^\s*(INT\./EXT\.|INT/EXT|I/E|INT|EXT|EST)\.?\s*", "", heading, flags=re.I)
    return re.split(r"\s+-+\s+|\s+–\s+", body)[0] if body else ""


def classify(spec: SceneSpec) -> SetPlan:
    """The location kind (and room kind, weather) of a scene, from its words."""
    sources = [_words(_heading_place(spec.heading)), _words(spec.location), _words(spec.style)]
    every = " ".join(sources) + _words(spec.heading)
    rain = any(_has(every, w) for w in RAIN_WORDS)
    park = any(_has(every, w) for w in PARK_WORDS)
    wide = any(_has(every, w) for w in WIDE_WORDS)
    if is_interior(spec):
        for text in sources[:2]:
            for room, words in ROOMS:
                if any(_has(text, w) for w in words):
                    return SetPlan("interior", room, rain)
        return SetPlan("interior", "room", rain)
    for text in sources:
        for kind, words in KINDS:
            if any(_has(text, w) for w in words):
                return SetPlan(kind, "", rain, park and kind == "forest", wide and kind == "street")
    return SetPlan("generic", "", rain)


def dress(b: SetBuilder, plan: SetPlan, rng) -> GroundSpec:
    """Build the kind's pieces into `b`; returns its ground. `rng(stage)` gives seeded streams."""
    if plan.kind == "interior":
        return _interior(b, plan, rng)
    return {"harbour": _harbour, "street": _street, "forest": _forest, "rooftop": _rooftop, "beach": _beach,
            "desert": _desert, "field": _field}.get(plan.kind, _generic)(b, plan, rng)


# -- shared pieces ---------------------------------------------------------------------------------

def free_spot(rng, xr, zr, keep_out, tries=40):
    """A random (x, z) in the ranges outside every keep-out rectangle (x0, x1, z0, z1)."""
    for _ in range(tries):
        x, z = rng.uniform(*xr), rng.uniform(*zr)
        if not any(x0 <= x <= x1 and z0 <= z <= z1 for x0, x1, z0, z1 in keep_out):
            return x, z
    return None


def ring(b: SetBuilder, rng, radius: float, lo: float, hi: float, colour, n: int = 72, smooth: bool = False,
         arc: tuple[float, float] | None = None, windows: float = 0.0, y0: float = 0.0) -> None:
    """Far silhouettes round the set (skyline, tree line, dunes, a far shore), optionally only over
    an arc of directions (radians, 0 = +Z, clockwise toward +X); `windows`: share lit at night."""
    light = b.light
    a_lo, a_hi = arc if arc else (0.0, 2 * math.pi)
    a0 = a_lo + (np.arange(n) / n) * (a_hi - a_lo) + rng.uniform(0, 0.05)
    a1 = a0 + (a_hi - a_lo) / n
    if smooth:  # dunes and hills: heights from a few sines, continuous from segment to segment
        t = np.arange(n + 1) / n * 2 * math.pi
        phase = rng.uniform(0, 2 * math.pi, size=3)
        wave = sum(np.sin(t * k + p) / k for k, p in zip((2, 5, 9), phase))
        wave = (wave - wave.min()) / max(1e-9, np.ptp(wave))
        edges = lo + (hi - lo) * wave
        h0, h1 = edges[:-1], edges[1:]
    else:
        h0 = h1 = rng.uniform(lo, hi, size=n)
    p0 = np.stack([np.sin(a0) * radius, np.full(n, y0), np.cos(a0) * radius], -1)
    p1 = np.stack([np.sin(a1) * radius, np.full(n, y0), np.cos(a1) * radius], -1)
    up = np.array([0.0, 1.0, 0.0])
    quads = np.stack([p0, p1, p1 + h1[:, None] * up, p0 + h0[:, None] * up], axis=1)
    shade = np.round(rng.uniform(0.85, 1.12, size=n) * 5) / 5  # a few colour classes: fewer fill calls
    col = np.clip(rgb(colour)[None, :] * shade[:, None] * light.tint * (light.ambient + 0.35), 0, 255)
    inward = -(p0 + p1) / (2 * radius)
    inward[:, 1] = 0
    b.add(quads, col, inward, grouped=True, aa=False)  # seen from inside, segments never overlap
    # Lit windows: drawn every time (the same draws by day), kept only when the practicals are on.
    wins, wcol, wnorm = [], [], []
    for k in range(n):
        count = int(rng.integers(0, 9))
        us, vs = rng.uniform(0.1, 0.9, size=count), rng.uniform(0.08, 0.9, size=count)
        lit = rng.uniform(size=count) < windows
        for u, v, on in zip(us, vs, lit):
            if not on or not b.lamps_on or v * h0[k] < 2.0:
                continue
            base = p0[k] + (p1[k] - p0[k]) * u + up * (v * h0[k]) + inward[k] * 0.3
            along = (p1[k] - p0[k]) / np.linalg.norm(p1[k] - p0[k])
            wins.append([base, base + along * 1.6, base + along * 1.6 + up * 1.4, base + up * 1.4])
            wcol.append(rgb(WINDOW_LIT) * (0.55 + 0.35 * b.practicals))
            wnorm.append(inward[k])
    if wins:
        b.add(wins, wcol, wnorm, grouped=True, aa=False)


def lamp_post(b: SetBuilder, x: float, z: float, arm: tuple[float, float], height: float = 4.6,
              colour=SODIUM, radius: float = 6.5) -> None:
    """A post with an arm and a glowing head; its pool of light falls under the head."""
    b.box((x, height / 2, z), (0.14, height, 0.14), 0.0, (70, 72, 76), tag="lamp")
    b.box((x, 0.25, z), (0.3, 0.5, 0.3), 0.0, (64, 66, 70))
    hx, hz = x + arm[0], z + arm[1]
    b.beam((x, height - 0.1, z), (hx, height - 0.1, hz), 0.08, (70, 72, 76))
    b.box((hx, height - 0.1, hz), (0.55, 0.16, 0.4), 0.0, (60, 62, 66))
    b.glow((hx, height - 0.24, hz), (0.34, 0.1, 0.26), colour)
    b.pool(hx, hz, radius, colour)


def crate_stack(b: SetBuilder, rng, x: float, z: float) -> None:
    yaw = float(rng.uniform(-20, 20))
    y = 0.0
    for level in range(int(rng.integers(1, 4))):
        s = float(rng.uniform(0.9, 1.3)) * (0.92 ** level)
        tone = float(rng.uniform(0.8, 1.15))
        b.box((x + rng.uniform(-0.1, 0.1), y + s / 2, z + rng.uniform(-0.1, 0.1)), (s, s, s),
              yaw + rng.uniform(-8, 8), tuple(v * tone for v in WOOD), tag="crate")
        y += s


def car(b: SetBuilder, rng, x: float, z: float, yaw: float) -> None:
    colour = tuple(int(v) for v in rng.choice([(150, 150, 154), (70, 78, 96), (118, 88, 86), (200, 198, 190),
                                               (52, 54, 58), (110, 112, 96)]))
    b.box((x, 0.62, z), (1.8, 0.72, 4.3), yaw, colour, tag="car")
    b.box((x, 1.22, z - 0.2), (1.6, 0.5, 2.2), yaw, tuple(v * 0.45 for v in colour))
    for dz in (-1.35, 1.35):
        b.box((x, 0.33, z + dz), (1.86, 0.62, 0.62), yaw, (30, 30, 32))


def chair(b: SetBuilder, x: float, z: float, facing: float, colour=(96, 76, 60)) -> None:
    """A chair whose sitter faces `facing` degrees (0 = +Z)."""
    a = math.radians(facing)
    fx, fz = math.sin(a), math.cos(a)
    b.box((x, 0.45, z), (0.46, 0.06, 0.46), facing, colour, tag="chair")
    b.box((x - fx * 0.21, 0.72, z - fz * 0.21), (0.46, 0.5, 0.05), facing, colour)
    b.box((x, 0.21, z), (0.4, 0.42, 0.4), facing, tuple(v * 0.8 for v in colour))


def table(b: SetBuilder, x: float, z: float, w: float, d: float, yaw: float = 0.0, colour=(132, 104, 78),
          height: float = 0.74) -> None:
    b.box((x, height - 0.03, z), (w, 0.06, d), yaw, colour, tag="table")
    a = math.radians(yaw)
    for sx in (-1, 1):
        for sz in (-1, 1):
            lx, lz = sx * (w / 2 - 0.08), sz * (d / 2 - 0.08)
            px, pz = x + lx * math.cos(a) + lz * math.sin(a), z - lx * math.sin(a) + lz * math.cos(a)
            b.box((px, (height - 0.06) / 2, pz), (0.07, height - 0.06, 0.07), yaw, tuple(v * 0.85 for v in colour))


def windows_on(b: SetBuilder, rng, axis: int, at: float, facing: float, a0: float, a1: float, height: float,
               shop: bool) -> None:
    """Windows on a facade: one per 2.6 m bay per 3 m floor, lit at random when the practicals
    are on (the draws are made by day too); a shopfront band and a door on the ground floor."""
    bays = max(1, int((a1 - a0) / 2.6))
    step = (a1 - a0) / bays
    floors = int((height - 1.0) // 3.0)
    lit = rng.uniform(size=(floors, bays)) < 0.55
    for f in range(floors):
        y0 = f * 3.0 + 1.0
        if f == 0 and shop:
            colour, emissive = (WINDOW_LIT, True) if b.lamps_on else (WINDOW_DARK, False)
            b.rect(axis, at, a0 + 0.5, a1 - 1.8, 0.3, 2.5, facing, colour, emissive)
            b.rect(axis, at, a1 - 1.5, a1 - 0.5, 0.0, 2.2, facing, (60, 50, 44))
            continue
        for k in range(bays):
            on = bool(lit[f, k]) and b.lamps_on
            c0, c1 = a0 + k * step + step * 0.25, a0 + (k + 1) * step - step * 0.25
            b.rect(axis, at, c0, c1, y0 + 0.3, y0 + 1.9, facing, WINDOW_LIT if on else WINDOW_DARK, emissive=on)
        b.tag("window", bays)


def water(b: SetBuilder, rng, z0: float, colour, reflections=(), foam: bool = False) -> None:
    """The water plane beyond z0 to the horizon, broken ripples over it, and (practicals on) the
    lamps' reflections as streaks toward the viewer's side."""
    up = np.array([0.0, 1.0, 0.0])
    far = 20000.0
    b.add_lit([[[-far, 0, z0], [far, 0, z0], [far, 0, far], [-far, 0, far]]], colour, up, grouped=False)
    quads, cols = [], []
    z, depth = z0 + 0.15, 0.25
    base = np.array(colour, float)
    while z < z0 + 90:
        x = -70.0 + rng.uniform(0, 4)
        while x < 70:
            length = rng.uniform(1.0, 5.0) * (1 + (z - z0) / 25)
            if rng.uniform() < 0.55:
                quads.append([[x, 0, z], [x + length, 0, z], [x + length, 0, z + depth], [x, 0, z + depth]])
                cols.append(base * rng.choice([0.7, 1.35, 1.6]))
            x += length + rng.uniform(0.5, 4.0) * (1 + (z - z0) / 25)
        z += depth * rng.uniform(1.6, 2.6)
        depth *= 1.09
    b.add_lit(quads, cols, up, grouped=True)
    if foam:  # surf along the shore
        fq = []
        x = -80.0
        while x < 80:
            w = rng.uniform(2, 7)
            dz = rng.uniform(0.2, 0.9)
            fq.append([[x, 0, z0], [x + w, 0, z0], [x + w, 0, z0 + dz], [x, 0, z0 + dz]])
            x += w + rng.uniform(0.2, 1.5)
        b.add_lit(fq, (220, 224, 222), up, grouped=True)
    if b.lamps_on and reflections:
        # Long, narrow, broken streaks away from the usual camera side (a set is built for every
        # shot alike, so toward the mark's -Z side): foreshortened they read as glints under lamps.
        rq, rc = [], []
        for lx in reflections:
            d = np.array([lx, z0 + 12.0]) / math.hypot(lx, z0 + 12.0)
            n = np.array([d[1], -d[0]])
            t = 0.3 / d[1]
            while t < 45:
                dt = rng.uniform(1.0, 4.0) * (1 + t / 15)
                w = rng.uniform(0.12, 0.3) * (1 + t / 30)
                c0 = np.array([lx, z0]) + d * t + n * rng.uniform(-0.2, 0.2)
                c1 = c0 + d * dt
                pts = [c0 - n * w, c0 + n * w, c1 + n * w, c1 - n * w]
                rq.append([[p[0], 0.0, p[1]] for p in pts])
                rc.append(rgb(SODIUM) * max(0.15, 0.8 - 0.015 * t) * b.practicals)
                t += dt + rng.uniform(0.3, 1.5) * (1 + t / 15)
        b.add(rq, rc, np.repeat(up[None, :], len(rq), axis=0), grouped=True)
    b.tag("water")


def campfire(b: SetBuilder, rng, x: float, z: float) -> None:
    for k in range(7):
        a = 2 * math.pi * k / 7
        b.box((x + math.cos(a) * 0.55, 0.1, z + math.sin(a) * 0.55), (0.25, 0.2, 0.22), math.degrees(a),
              (110, 106, 100))
    b.beam((x - 0.4, 0.12, z - 0.1), (x + 0.4, 0.18, z + 0.1), 0.12, (90, 70, 50))
    b.glow((x, 0.25, z), (0.45, 0.3, 0.45), (255, 150, 70), tag="campfire")
    b.pool(x, z, 7.0, (255, 160, 90))


# -- exteriors -------------------------------------------------------------------------------------

def _harbour(b: SetBuilder, plan: SetPlan, rng) -> GroundSpec:
    r = rng(4)
    edge = float(r.uniform(5.5, 7.0))          # the quay's edge: water beyond, toward +Z
    coping = []
    x = -45.0
    while x < 45:
        w = float(r.uniform(0.9, 1.5))
        coping.append(([[x + 0.03, edge - 0.6], [x + w - 0.03, edge - 0.6], [x + w - 0.03, edge], [x + 0.03, edge]],
                       (150, 148, 140) if r.uniform() < 0.7 else (136, 134, 128)))
        x += w
    ground = GroundSpec((112, 110, 104), -45.0, 45.0, -45.0, edge, tile=0.9, stagger=True, contrast=0.14,
                        marks=[([[-45, edge - 0.62], [45, edge - 0.62], [45, edge], [-45, edge]], (70, 68, 64))]
                        + coping)
    # The ferry alongside, beside the subject so wide shots show it past the quay edge.
    side = 1.0 if r.uniform() < 0.5 else -1.0
    length, beam_w = float(r.uniform(22, 30)), 6.0
    hx, hz = side * float(r.uniform(15, 20)), edge + 1.0 + beam_w / 2
    hull = (58, 62, 70)
    b.box((hx, 1.2, hz), (length, 2.4, beam_w), 0.0, hull, tag="hull")
    bow = beam_w / math.sqrt(2)  # a box turned 45 degrees: the pointed bow
    b.box((hx + side * length / 2, 1.2, hz), (bow, 2.4, bow), 45.0, hull)
    b.rect(2, hz - beam_w / 2 - 0.02, hx - length / 2, hx + length / 2, 1.9, 2.2, -1, (176, 176, 170))
    cabin_l = length * 0.55
    b.box((hx - side * 1.5, 3.3, hz), (cabin_l, 1.8, beam_w * 0.8), 0.0, (168, 168, 160), tag="cabin")
    bays = int(cabin_l / 1.4)
    lit = r.uniform(size=bays) < 0.8
    for k in range(bays):
        x0 = hx - side * 1.5 - cabin_l / 2 + 0.3 + k * 1.4
        on = bool(lit[k]) and b.lamps_on
        b.rect(2, hz - beam_w * 0.4 - 0.02, x0, x0 + 0.9, 3.1, 3.8, -1, WINDOW_LIT if on else WINDOW_DARK, on)
    b.box((hx + side * (cabin_l / 2 - 2.5), 4.9, hz), (3.2, 1.4, beam_w * 0.6), 0.0, (180, 180, 172))
    b.box((hx - side * cabin_l * 0.2, 5.4, hz), (1.3, 2.4, 1.3), 0.0, (128, 94, 86), tag="funnel")
    b.box((hx + side * (cabin_l / 2 - 2.5), 7.0, hz), (0.1, 3.0, 0.1), 0.0, (80, 80, 84))
    b.glow((hx + side * (cabin_l / 2 - 2.5), 8.6, hz), (0.22, 0.22, 0.22), (255, 240, 220))
    # Ramp from the quay to the deck, chained shut at the quay end.
    rx = hx - side * length * 0.3
    b.beam((rx, 0.08, edge - 0.3), (rx, 2.3, hz - beam_w / 2 + 0.4), 0.18, (96, 96, 94), tag="ramp", width=2.6)
    for dx in (-1.5, 1.5):
        b.box((rx + dx, 0.5, edge - 1.2), (0.14, 1.0, 0.14), 0.0, (80, 82, 86))
    b.beam((rx - 1.5, 0.85, edge - 1.2), (rx + 1.5, 0.78, edge - 1.2), 0.05, (150, 140, 110))
    # Bollards along the edge; ropes from the two nearest the hull's ends to its deck.
    bollards = []
    x = -40.0 + float(r.uniform(0, 3))
    while x < 40:
        if not -2.5 < x < 2.5:
            # painted iron, a shade lighter than the night water so the row reads along the edge
            b.box((x, 0.32, edge - 0.45), (0.4, 0.64, 0.4), 0.0, BOLLARD, tag="bollard")
            b.box((x, 0.68, edge - 0.45), (0.54, 0.12, 0.54), 0.0, BOLLARD)
            bollards.append(x)
        x += float(r.uniform(5.5, 8.0))
    for end in (-1, 1):
        target = hx + end * length * 0.42
        bx = min(bollards, key=lambda v: abs(v - target))
        p0 = np.array([bx, 0.62, edge - 0.45])
        p2 = np.array([target, 2.3, hz - beam_w / 2])
        mid = (p0 + p2) / 2 + [0, -0.5, 0]
        b.beam(p0, mid, 0.06, (150, 138, 112), tag="rope")
        b.beam(mid, p2, 0.06, (150, 138, 112), tag="rope")
    # Quay lamps: one beside the mark so the subject stands in light, the rest along the edge.
    near_side = 1.0 if r.uniform() < 0.5 else -1.0
    lamps = [(near_side * 4.0, min(2.4, edge - 2.6))]
    x = -38.0 + float(r.uniform(0, 4))
    while x < 38:
        if abs(x - lamps[0][0]) > 6:
            lamps.append((x, edge - 2.2))
        x += float(r.uniform(11, 15))
    for lx, lz in lamps:
        arm = (-near_side * 1.1, 0.0) if lz < 3 else (0.0, 1.0)
        lamp_post(b, lx, lz, arm)
    # Crates, drums and containers on the land side of the quay.
    for _ in range(10):
        spot = free_spot(r, (-26, 26), (-22, edge - 3.0), STAGE)
        if spot is not None:
            crate_stack(b, r, *spot)
    for k in range(3):
        cx, cz = float(r.uniform(-24, 24)), float(r.uniform(-24, -14))
        b.box((cx, 1.3, cz), (6.1, 2.6, 2.45), float(r.choice([0.0, 90.0])),
              tuple(int(v) for v in r.choice([(112, 84, 76), (76, 92, 104), (98, 104, 90)])), tag="container")
    for k in range(5):  # warehouses behind, with roller doors
        wx = -40.0 + k * 18 + float(r.uniform(-2, 2))
        wz, wh = -34.0, float(r.uniform(7, 11))
        b.box((wx, wh / 2, wz), (15.0, wh, 12.0), 0.0, (118, 114, 106), tag="warehouse")
        b.rect(2, wz + 6.02, wx - 3.0, wx + 3.0, 0.0, 4.5, 1, (84, 86, 88))
    water(b, rng(7), edge, (34, 48, 58), reflections=[lx for lx, _ in lamps[1:]] + [hx])
    # The far shore and a breakwater light out in the dark.
    ring(b, rng(2), 600.0, 6.0, 26.0, (70, 76, 84), n=48, smooth=True, arc=(-1.3, 1.3), windows=0.3)
    ring(b, rng(2), 150.0, 6.0, 22.0, (92, 90, 96), n=48, arc=(1.6, 2 * math.pi - 1.6), windows=0.25)
    bw_x = -side * 45.0
    b.box((bw_x, 0.9, 120.0), (60.0, 1.8, 4.0), 0.0, (96, 96, 98), tag="breakwater")
    b.box((bw_x + 30, 3.0, 120.0), (1.6, 6.0, 1.6), 0.0, (190, 188, 180))
    b.glow((bw_x + 30, 6.4, 120.0), (0.9, 0.9, 0.9), (255, 238, 200))
    return ground


def _street(b: SetBuilder, plan: SetPlan, rng) -> GroundSpec:
    r = rng(4)
    # A street: 10 m of road between pavements and facades; a square (plaza, market...) is twice as
    # wide, and its lamps stand back from the mark.
    road = 10.0 if plan.wide else 5.0
    front = road + 2.5
    lamp_x = road + 1.2
    # Asphalt stays light enough, and the tiles contrasty enough, for optical flow to read moves.
    marks = [([[-road, -45], [road, -45], [road, 45], [-road, 45]], (106, 106, 110))]
    for s in (-1, 1):
        marks.append(([[s * road, -45], [s * (road + 0.25), -45], [s * (road + 0.25), 45], [s * road, 45]],
                      (160, 158, 150)))
    z = -45.0
    while z < 45:  # dashed centre line
        marks.append(([[-0.08, z], [0.08, z], [0.08, z + 3], [-0.08, z + 3]], (196, 194, 180)))
        z += 9.0
    ground = GroundSpec((134, 132, 126), -45.0, 45.0, -45.0, 45.0, tile=1.25, contrast=0.18, jitter=0.08,
                        marks=marks)
    for s in (-1, 1):
        z = -44.0
        while z < 44:  # kerb stones: low boxes, segmented so they sort well against the figures
            b.box((s * (road + 0.12), 0.07, z + 4), (0.24, 0.14, 8.0), 0.0, (150, 148, 142), tag="kerb")
            z += 8.0
    for s in (-1, 1):  # facades on both sides
        z = -44.0
        while z < 44:
            w, d, h = float(r.uniform(7, 11)), float(r.uniform(6, 11)), float(r.uniform(7, 22))
            x = s * (front + w / 2)
            tone = float(r.uniform(0.75, 1.1))
            colour = tuple(v * tone for v in r.choice([(150, 140, 130), (140, 112, 100), (170, 162, 148),
                                                       (120, 124, 130)]))
            b.box((x, h / 2, z + d / 2), (w, h, d), 0.0, colour, tag="building")
            windows_on(b, r, 0, x - s * (w / 2 + 0.02), -s, z + 0.3, z + d - 0.3, h, shop=True)
            z += d + float(r.uniform(0.5, 2.5))
    # Street lamps on the pavements (one beside the mark), parked cars at the kerbs, bins.
    near = 1.0 if r.uniform() < 0.5 else -1.0
    near_x, near_z = (near * 7.0, 6.0) if plan.wide else (near * lamp_x, 2.0)
    lamp_post(b, near_x, near_z, (-near * 1.2, 0.0), height=5.0, radius=9.0 if plan.wide else 7.5)
    for s in (-1, 1):
        z = -40.0 + float(r.uniform(0, 6)) + (7 if s == near else 0)
        while z < 40:
            if abs(z - near_z) > 5:
                lamp_post(b, s * lamp_x, z, (-s * 1.2, 0.0), height=5.0, radius=7.5)
            z += 15.0
        z = -36.0 + float(r.uniform(0, 4))
        while z < 36:
            if abs(z) > 7 and r.uniform() < 0.7:
                car(b, r, s * (road - 1.0), z, float(r.uniform(-3, 3)))
            z += float(r.uniform(5.5, 8))
        for _ in range(3):
            bz = float(r.uniform(-30, 30))
            if abs(bz) > 4:
                b.box((s * (road + 1.8), 0.5, bz), (0.6, 1.0, 0.6), 0.0, (62, 72, 66), tag="bin")
    ring(b, rng(2), 150.0, 14.0, 50.0, (70, 74, 86), windows=0.3)
    ring(b, rng(5), 95.0, 8.0, 30.0, (88, 90, 100), windows=0.3)
    return ground


def _tree(b: SetBuilder, r, x: float, z: float) -> None:
    h = float(r.uniform(4, 8))
    trunk = float(r.uniform(0.3, 0.5))
    b.box((x, h * 0.35, z), (trunk, h * 0.7, trunk), float(r.uniform(0, 90)), (96, 78, 62), tag="trunk")
    green = np.array([(74, 96, 62), (84, 104, 70), (66, 86, 60), (92, 106, 68)][int(r.integers(0, 4))], float)
    for k in range(3):
        s = float(r.uniform(2.0, 3.6)) * (1.0 if k == 0 else 0.75)
        ox, oz = (0.0, 0.0) if k == 0 else (float(r.uniform(-1, 1)), float(r.uniform(-1, 1)))
        b.box((x + ox, h * 0.7 + s * (0.35 + 0.3 * k), z + oz), (s, s * 0.8, s), float(r.uniform(0, 90)),
              tuple(green * r.uniform(0.85, 1.1)), tag="canopy")


def _forest(b: SetBuilder, plan: SetPlan, rng) -> GroundSpec:
    r = rng(4)
    marks = []
    for _ in range(160):  # leaf litter and bare patches
        cx, cz, s = r.uniform(-40, 40), r.uniform(-40, 40), r.uniform(0.4, 1.6)
        a = r.uniform(0, math.pi)
        pts = [[cx + s * math.cos(a + k * math.pi / 2) * (1.0 if k % 2 else 0.6),
                cz + s * math.sin(a + k * math.pi / 2) * (1.0 if k % 2 else 0.6)] for k in range(4)]
        marks.append((pts, (112, 100, 74) if r.uniform() < 0.6 else (86, 100, 70)))
    if plan.park:
        marks.append(([[-45, 5.0], [45, 5.0], [45, 7.5], [-45, 7.5]], (168, 158, 136)))
    ground = GroundSpec((90, 106, 74), -40.0, 40.0, -40.0, 40.0, tile=0.8, contrast=0.18, jitter=0.09, marks=marks)
    keep = STAGE + ([(-45, 45, 4.0, 8.5)] if plan.park else [])
    for _ in range(26 if plan.park else 40):
        spot = free_spot(r, (-30, 30), (-30, 35), keep)
        if spot is not None:
            _tree(b, r, *spot)
    for _ in range(12):
        spot = free_spot(r, (-20, 20), (-20, 25), keep)
        if spot is not None:
            s = float(r.uniform(0.8, 1.6))
            b.box((spot[0], s * 0.35, spot[1]), (s, s * 0.7, s), float(r.uniform(0, 90)), (78, 96, 64), tag="bush")
    for _ in range(6):
        spot = free_spot(r, (-20, 20), (-20, 25), keep)
        if spot is not None:
            s = float(r.uniform(0.4, 1.0))
            b.box((spot[0], s * 0.3, spot[1]), (s * 1.3, s * 0.6, s), float(r.uniform(0, 90)), (118, 114, 106),
                  tag="rock")
    spot = free_spot(r, (-10, 10), (4, 14), keep) or (6.0, 9.0)
    yaw = math.radians(float(r.uniform(0, 180)))
    b.beam((spot[0] - 2 * math.cos(yaw), 0.22, spot[1] - 2 * math.sin(yaw)),
           (spot[0] + 2 * math.cos(yaw), 0.22, spot[1] + 2 * math.sin(yaw)), 0.42, (100, 82, 64), tag="log")
    if plan.park:
        for x in (-14.0, -5.0, 5.0, 14.0):
            b.box((x, 0.45, 8.9), (1.8, 0.08, 0.5), 0.0, (120, 96, 74), tag="bench")
            b.box((x, 0.75, 9.15), (1.8, 0.5, 0.06), 0.0, (120, 96, 74))
            b.box((x, 0.22, 8.9), (1.6, 0.44, 0.3), 0.0, (60, 62, 64))
        for x in (-20.0, -9.5, 0.5, 9.5, 20.0):
            lamp_post(b, x, 4.6, (0.0, 0.6), height=3.8, colour=WARM, radius=6.0)
    else:
        campfire(b, r, float(r.choice([-3.0, 3.0])), 5.0)
    ring(b, rng(2), 150.0, 10.0, 30.0, (58, 74, 58))
    ring(b, rng(5), 90.0, 6.0, 16.0, (66, 84, 62))
    return ground


def _rooftop(b: SetBuilder, plan: SetPlan, rng) -> GroundSpec:
    r = rng(4)
    x0, x1, z0, z1 = -14.0, 14.0, -16.0, 14.0
    ground = GroundSpec((104, 104, 106), x0, x1, z0, z1, tile=1.0, contrast=0.12, fade_from=None,
                        border=(44, 46, 54))
    for (ax, az), (bx, bz) in (((x0, z0), (x1, z0)), ((x1, z0), (x1, z1)), ((x1, z1), (x0, z1)), ((x0, z1), (x0, z0))):
        n = max(1, int(math.hypot(bx - ax, bz - az) / 4))
        for k in range(n):  # parapet in 4 m pieces (they sort against the figures one by one)
            p = np.array([ax + (bx - ax) * (k + 0.5) / n, az + (bz - az) * (k + 0.5) / n])
            size = (abs(bx - ax) / n + 0.35, 1.05, 0.35) if az == bz else (0.35, 1.05, abs(bz - az) / n + 0.35)
            b.box((p[0], 0.525, p[1]), size, 0.0, (146, 140, 130), tag="parapet")
    for _ in range(7):
        spot = free_spot(r, (x0 + 2, x1 - 2), (z0 + 2, z1 - 2), STAGE)
        if spot is not None:
            if r.uniform() < 0.5:
                s = float(r.uniform(0.4, 0.8))
                b.box((spot[0], 0.5, spot[1]), (s, 1.0, s), 0.0, (150, 152, 150), tag="vent")
                b.box((spot[0], 1.05, spot[1]), (s * 1.4, 0.1, s * 1.4), 0.0, (130, 132, 130))
            else:
                b.box((spot[0], 0.55, spot[1]), (1.2, 1.1, 0.9), float(r.choice([0.0, 90.0])), (170, 170, 166),
                      tag="ac_unit")
    side = 1.0 if r.uniform() < 0.5 else -1.0
    tx, tz = -side * 9.0, 9.0
    for dx in (-0.9, 0.9):
        for dz in (-0.9, 0.9):
            b.box((tx + dx, 1.0, tz + dz), (0.15, 2.0, 0.15), 0.0, (70, 64, 58))
    b.box((tx, 3.2, tz), (2.4, 2.4, 2.4), 45.0, (118, 96, 78), tag="water_tank")
    hx, hz = side * 7.5, 8.5  # the stair hut with its bulkhead lamp over the door
    b.box((hx, 1.4, hz), (3.2, 2.8, 3.0), 0.0, (140, 134, 124), tag="stair_hut")
    b.rect(2, hz - 1.52, hx - 0.5, hx + 0.5, 0.0, 2.1, -1, (74, 66, 60))
    b.glow((hx, 2.4, hz - 1.62), (0.3, 0.2, 0.16), WARM)
    b.pool(hx, hz - 2.5, 6.5, WARM)
    b.box((-side * 3.5, 2.5, 12.0), (0.08, 5.0, 0.08), 0.0, (80, 80, 84), tag="antenna")
    ring(b, rng(2), 160.0, 20.0, 80.0, (62, 66, 80), windows=0.3)
    ring(b, rng(5), 70.0, 2.0, 24.0, (80, 84, 96), windows=0.35)
    b.tag("skyline")
    return ground


def _beach(b: SetBuilder, plan: SetPlan, rng) -> GroundSpec:
    r = rng(4)
    shore = float(r.uniform(10, 14))
    ground = GroundSpec((196, 182, 150), -45.0, 45.0, -45.0, shore, tile=1.3, contrast=0.08, jitter=0.05,
                        marks=[([[-45, shore - 2.5], [45, shore - 2.5], [45, shore], [-45, shore]], (150, 140, 118))])
    water(b, rng(7), shore, (60, 88, 104), foam=True)
    for _ in range(5):
        spot = free_spot(r, (-20, 20), (-15, shore - 4), STAGE)
        if spot is not None:
            b.box((spot[0], 1.1, spot[1]), (0.06, 2.2, 0.06), 0.0, (200, 200, 196), tag="umbrella")
            b.box((spot[0], 2.2, spot[1]), (2.0, 0.12, 2.0), 45.0,
                  tuple(int(v) for v in r.choice([(176, 150, 120), (130, 150, 160), (190, 186, 170)])))
    hx = float(r.choice([-12.0, 12.0]))
    for dx in (-1, 1):
        for dz in (-1, 1):
            b.box((hx + dx, 1.0, 3.0 + dz), (0.15, 2.0, 0.15), 0.0, (140, 120, 96))
    b.box((hx, 2.8, 3.0), (2.6, 1.6, 2.6), 0.0, (184, 176, 160), tag="lifeguard_hut")
    for _ in range(4):
        spot = free_spot(r, (-25, 25), (-10, shore - 2), STAGE)
        if spot is not None:
            a = math.radians(float(r.uniform(0, 180)))
            b.beam((spot[0] - math.cos(a), 0.12, spot[1] - math.sin(a)), (spot[0] + math.cos(a), 0.15,
                   spot[1] + math.sin(a)), 0.22, (150, 136, 116), tag="driftwood")
    campfire(b, r, float(r.choice([-3.5, 3.5])), 5.5)
    ring(b, rng(2), 180.0, 8.0, 30.0, (120, 122, 112), n=36, smooth=True, arc=(1.9, 2 * math.pi - 1.9))
    b.tag("sea_line")
    return ground


def _desert(b: SetBuilder, plan: SetPlan, rng) -> GroundSpec:
    r = rng(4)
    marks = []
    for k in range(60):  # wind ripples: long thin darker streaks
        z, x = r.uniform(-40, 40), r.uniform(-40, 30)
        marks.append(([[x, z], [x + r.uniform(3, 9), z + 0.4], [x + r.uniform(3, 9), z + 0.7], [x, z + 0.3]],
                      (186, 164, 128)))
    ground = GroundSpec((206, 184, 146), -40.0, 40.0, -40.0, 40.0, tile=1.4, contrast=0.08, jitter=0.05,
                        marks=marks)
    for _ in range(12):
        spot = free_spot(r, (-28, 28), (-25, 35), STAGE)
        if spot is not None:
            s = float(r.uniform(0.4, 2.0))
            b.box((spot[0], s * 0.3, spot[1]), (s * 1.4, s * 0.6, s), float(r.uniform(0, 90)), (150, 122, 100),
                  tag="rock")
    for _ in range(8):
        spot = free_spot(r, (-20, 20), (-15, 30), STAGE)
        if spot is not None:
            b.box((spot[0], 0.25, spot[1]), (0.7, 0.5, 0.7), 45.0, (128, 124, 92), tag="scrub")
    campfire(b, r, float(r.choice([-3.5, 3.5])), 4.5)
    ring(b, rng(2), 260.0, 10.0, 45.0, (196, 160, 120), n=48, smooth=True)
    ring(b, rng(5), 70.0, 2.0, 9.0, (210, 180, 140), n=48, smooth=True)
    b.tag("dunes")
    return ground


def _field(b: SetBuilder, plan: SetPlan, rng) -> GroundSpec:
    r = rng(4)
    marks = []
    z = -40.0
    while z < 40:  # furrows across the view
        marks.append(([[-40, z], [40, z], [40, z + 0.35], [-40, z + 0.35]], (112, 112, 76)))
        z += 1.1
    ground = GroundSpec((140, 138, 92), -40.0, 40.0, -40.0, 40.0, tile=1.0, contrast=0.1, jitter=0.08, marks=marks)
    fz = float(r.uniform(9, 12))
    x = -38.0
    while x < 38:
        b.box((x, 0.6, fz), (0.14, 1.2, 0.14), 0.0, (118, 100, 80), tag="fence")
        b.beam((x, 0.95, fz), (x + 4.0, 0.95, fz), 0.08, (130, 110, 88))
        b.beam((x, 0.55, fz), (x + 4.0, 0.55, fz), 0.08, (130, 110, 88))
        x += 4.0
    for _ in range(6):
        spot = free_spot(r, (-25, 25), (-20, fz - 2), STAGE)
        if spot is not None:
            b.box((spot[0], 0.6, spot[1]), (1.5, 1.2, 1.2), float(r.uniform(0, 90)), (190, 170, 110),
                  tag="hay_bale")
    _tree(b, r, float(r.choice([-12.0, 12.0])), fz + 8)
    fx = float(r.choice([-1.0, 1.0])) * 22
    b.box((fx, 3.0, fz + 25), (10, 6, 8), 0.0, (186, 178, 164), tag="farmhouse")
    b.glow((fx, 2.4, fz + 20.97), (0.3, 0.3, 0.1), WARM)
    b.rect(2, fz + 20.98, fx - 3.5, fx - 2.2, 2.2, 3.6, -1, WINDOW_LIT if b.lamps_on else WINDOW_DARK, b.lamps_on)
    lamp_post(b, float(r.choice([-3.6, 3.6])), 4.0, (0.0, -0.8), height=3.2, colour=WARM, radius=6.0)
    ring(b, rng(2), 160.0, 6.0, 18.0, (70, 86, 64))
    return ground


def _generic(b: SetBuilder, plan: SetPlan, rng) -> GroundSpec:
    """Today's plain set: tiled ground, poles and crates."""
    r = rng(4)
    for _ in range(20):
        spot = free_spot(r, (-25, 25), (-30, 35), STAGE)
        if spot is None:
            continue
        if r.integers(0, 2):
            h = r.uniform(2.5, 6)
            b.box((spot[0], h / 2, spot[1]), (0.6, h, 0.6), 0.0, (170, 165, 155), tag="pole")
        else:
            s = r.uniform(0.6, 1.6)
            b.box((spot[0], s / 2, spot[1]), (s, s, s), r.uniform(0, 90), (160, 120, 80), tag="crate")
    lamp_post(b, 6.0, 6.0, (-1.0, 0.0), radius=9.0)
    ring(b, rng(2), 160.0, 5.0, 22.0, (96, 100, 108))
    return GroundSpec((132, 126, 118), -40.0, 40.0, -40.0, 40.0)


# -- interiors -------------------------------------------------------------------------------------

def _interior(b: SetBuilder, plan: SetPlan, rng) -> GroundSpec:
    room = rng(5)
    hx, z0, z1, h = 7.0 + room.uniform(0, 2), -14.0, 6.0 + room.uniform(0, 2), 3.2
    r = rng(4)
    marks = []
    if plan.room in ("apartment", "room"):  # a rug under the table
        marks.append(([[-3.0, 3.4], [3.0, 3.4], [3.0, 5.6], [-3.0, 5.6]], (120, 92, 84)))
    boards = (160, 124, 92) if plan.room != "office" else (128, 128, 124)
    ground = GroundSpec(boards, -hx, hx, z0, z1, tile=0.22, tile_z=1.8, stagger=True, contrast=0.1, jitter=0.1,
                        fade_from=None, marks=marks)
    _room_walls(b, rng(6), hx, z0, z1, h)
    b.tag("floor_boards")
    # Table and chairs under a ceiling lamp, behind the mark and to one side.
    side = 1.0 if r.uniform() < 0.5 else -1.0
    tx, tz = side * 4.6, float(r.uniform(3.4, min(4.4, z1 - 2)))
    table(b, tx, tz, 1.6, 0.9)
    chair(b, tx - 1.1, tz, 90.0)
    chair(b, tx + 1.1, tz, -90.0)
    chair(b, tx, tz + 0.75, 180.0)
    b.beam((tx, h, tz), (tx, 2.35, tz), 0.02, (40, 40, 40))
    b.box((tx, 2.25, tz), (0.5, 0.22, 0.5), 45.0, (190, 176, 150), tag="ceiling_lamp")
    b.glow((tx, 2.1, tz), (0.26, 0.08, 0.26), WARM)
    b.pool(tx, tz, 4.5, WARM)
    b.pool(0.0, 0.5, 6.0, WARM)   # the room's main light over the mark
    b.glow((0.0, h - 0.04, 0.5), (0.6, 0.04, 0.6), WARM)
    kind = plan.room
    if kind == "kitchen":
        for k in range(int((2 * hx - 2) / 0.8)):
            x = -hx + 1 + k * 0.8
            b.box((x + 0.4, 0.45, z1 - 0.32), (0.78, 0.9, 0.6), 0.0, (176, 172, 160), tag="counter")
            b.box((x + 0.4, 1.85, z1 - 0.2), (0.76, 0.7, 0.36), 0.0, (168, 164, 152))
        b.box((0.0, 0.92, z1 - 0.3), (2 * hx - 2, 0.05, 0.64), 0.0, (96, 94, 92))
        b.box((-hx + 0.5, 0.95, z1 - 2.0), (0.8, 1.9, 0.8), 0.0, (200, 200, 196), tag="fridge")
        b.box((hx - 2.0, 0.96, z1 - 0.32), (0.7, 0.04, 0.55), 0.0, (50, 50, 52), tag="stove")
    elif kind == "bar":
        b.box((0.0, 0.55, z1 - 2.2), (2 * hx - 4, 1.1, 0.7), 0.0, (110, 84, 66), tag="bar_counter")
        b.box((0.0, 1.12, z1 - 2.2), (2 * hx - 3.8, 0.05, 0.8), 0.0, (84, 64, 52))
        for k in range(int(2 * hx - 5)):
            x = -hx + 2.5 + k
            b.box((x, 0.38, z1 - 3.0), (0.36, 0.76, 0.36), 0.0, (70, 62, 56), tag="stool")
            for j in range(3):  # a back bar of bottles on shelves
                b.box((x, 1.2 + j * 0.55, z1 - 0.2), (0.8, 0.03, 0.3), 0.0, (90, 70, 56))
                b.box((x + r.uniform(-0.2, 0.2), 1.35 + j * 0.55, z1 - 0.2), (0.09, 0.28, 0.09), 0.0,
                      tuple(int(v) for v in r.choice([(90, 110, 90), (130, 100, 70), (150, 150, 140)])),
                      tag="bottle")
        for x in (-hx / 2, 0.0, hx / 2):
            b.beam((x, h, z1 - 2.2), (x, 2.3, z1 - 2.2), 0.02, (40, 40, 40))
            b.glow((x, 2.2, z1 - 2.2), (0.2, 0.15, 0.2), WARM, tag="pendant")
            b.pool(x, z1 - 2.6, 2.5, WARM)
    elif kind == "office":
        for k, x in enumerate((-hx + 2.0, hx - 2.0)):
            for z in (-2.0, 1.5):
                b.box((x, 0.72, z), (1.6, 0.05, 0.8), 0.0, (150, 146, 138), tag="desk")
                b.box((x, 0.36, z + 0.3), (1.5, 0.7, 0.1), 0.0, (110, 108, 104))
                b.box((x, 1.0, z + 0.2), (0.6, 0.4, 0.04), 0.0, (40, 40, 44))
                b.rect(2, z + 0.17, x - 0.27, x + 0.27, 0.83, 1.17, -1, (150, 170, 190), emissive=b.lamps_on)
                chair(b, x, z - 0.55, 0.0, (60, 62, 66))
        for k in range(3):
            b.box((-hx + 0.35, 0.65, z1 - 1.5 - k * 0.6), (0.6, 1.3, 0.5), 0.0, (128, 130, 128), tag="cabinet")
    else:
        b.box((-side * 4.6, 0.42, z1 - 1.0), (2.4, 0.84, 0.9), 0.0, (96, 104, 126), tag="sofa")
        b.box((-side * 4.6, 0.85, z1 - 0.6), (2.4, 0.8, 0.2), 0.0, (88, 96, 118))
        for i in range(int(r.integers(1, 3))):
            x = float(r.uniform(-hx + 1.2, hx - 1.2))
            if abs(x) < 3.2:
                x = math.copysign(3.2 + 0.8, x if x else 1.0)
            b.box((x, 1.0, z1 - 0.25), (1.4, 2.0, 0.45), 0.0, (110, 84, 62), tag="bookshelf")
    b.room_box = (hx, z0, z1, h)
    return ground


def _room_walls(b: SetBuilder, rng, hx: float, z0: float, z1: float, h: float) -> None:
    """Four panelled walls (wainscot, wall, windows, a door) and a ceiling, normals facing inward."""
    light = b.light
    wall = rgb(tuple(int(v) for v in rng.choice([(186, 176, 160), (160, 168, 172), (190, 172, 154)])))
    wains = wall * 0.62
    window = (light.sky_horizon * 0.6 + light.sky_top * 0.4) if not light.windows_lit else rgb((34, 42, 70))
    door = rgb((98, 76, 58))
    rows = [(0.0, 1.0), (1.0, 2.2), (2.2, h)]

    def wall_panels(p_start, p_end, inward, door_at=None):
        length = float(np.linalg.norm(p_end - p_start))
        n = max(1, int(round(length / 1.0)))
        dirv = (p_end - p_start) / length
        quads, cols, lit = [], [], []
        for i in range(n):
            a, c = p_start + dirv * (length * i / n), p_start + dirv * (length * (i + 1) / n)
            for r, (y0, y1) in enumerate(rows):
                quads.append([a + [0, y0, 0], c + [0, y0, 0], c + [0, y1, 0], a + [0, y1, 0]])
                base = wains if r == 0 else wall
                glass = r == 1 and i % 3 == 1 and n > 2 and door_at is None
                if glass:
                    base = window
                if door_at is not None and i in (door_at, door_at + 1) and r < 2:
                    base = door
                cols.append(base * (1.0 + rng.choice([-0.05, 0.0, 0.05])) * (0.93 if i % 2 else 1.0))
                lit.append(not glass)
        quads, cols = np.array(quads), np.array(cols)
        normals = np.repeat(inward[None, :], len(quads), axis=0)
        shaded = light.shade(cols, normals)
        shaded[~np.array(lit)] = np.clip(cols[~np.array(lit)], 0, 255)  # the windows show the sky as it is
        b.add(quads, shaded, normals, grouped=True)

    door_panel = int(rng.integers(2, max(3, int(z1 - z0) - 4)))
    wall_panels(np.array([-hx, 0, z1]), np.array([hx, 0, z1]), np.array([0.0, 0, -1]))
    wall_panels(np.array([-hx, 0, z0]), np.array([-hx, 0, z1]), np.array([1.0, 0, 0]), door_at=door_panel)
    wall_panels(np.array([hx, 0, z1]), np.array([hx, 0, z0]), np.array([-1.0, 0, 0]))
    wall_panels(np.array([hx, 0, z0]), np.array([-hx, 0, z0]), np.array([0.0, 0, 1]))
    b.tag("wall", 4)
    b.tag("door")
    b.tag("window")
    q, ix, iz = grid_quads(-hx, hx, z0, z1, 2.0, y=h)
    down = np.array([0.0, -1.0, 0.0])
    b.add(q, np.clip(tile_colours(rgb((205, 200, 190)), ix, iz, rng, 0.1, 0.03) * light.tint * 0.72, 0, 255),
          np.repeat(down[None, :], len(q), axis=0), grouped=True)


def location_kind(spec: SceneSpec) -> str:
    """The set-dressing kind of a scene (see `dressing` for the keyword vocabulary)."""
    return classify(spec).kind


# The shot plan's place kinds (engine.plan.PLACE_KINDS) -> the kit's set kind, room kind and extra
# pieces. Sets are built per kind and seeded from the scene, so every shot of a scene shares one.
PLAN_SETS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "street": ("street", "", ()), "alley": ("street", "", ()), "car_park": ("street", "wide", ("cars",)),
    "square": ("street", "wide", ()), "station": ("street", "wide", ()), "mountain_road": ("field", "", ("rocks",)),
    "kitchen": ("interior", "kitchen", ()), "diner": ("interior", "kitchen", ()),
    "living_room": ("interior", "apartment", ()), "bedroom": ("interior", "apartment", ("bed",)),
    "bathroom": ("interior", "room", ()), "hospital_room": ("interior", "room", ("bed",)),
    "prison_cell": ("interior", "room", ("bed",)), "hall": ("interior", "room", ()),
    "office": ("interior", "office", ()), "classroom": ("interior", "office", ()),
    "bank_vault": ("interior", "office", ("vault_door",)), "bar": ("interior", "bar", ()),
    "shop": ("interior", "bar", ()), "corridor": ("interior", "room", ()), "stairwell": ("interior", "room", ("stairs",)),
    "spiral_stairs": ("interior", "room", ("spiral_stairs",)), "church": ("interior", "room", ()),
    "warehouse": ("interior", "room", ("crates",)), "train_carriage": ("interior", "room", ()),
    "car_interior": ("interior", "room", ()), "lighthouse": ("beach", "", ("lighthouse",)),
    "harbour": ("harbour", "", ()), "boat_deck": ("harbour", "", ()), "beach": ("beach", "", ()),
    "forest": ("forest", "", ()), "park": ("forest", "park", ()), "field": ("field", "", ()),
    "desert": ("desert", "", ()), "rooftop": ("rooftop", "", ()),
}


def world_weather(plan: SetPlan, shot_plan) -> str:
    """What the world's sky does: the shot plan's weather where it says one the renderer draws
    (rain or storm -> 'rain', 'snow', 'fog'), else rain from the scene's words, else '' (clear; wind
    changes nothing in a still set)."""
    said = getattr(shot_plan, "weather", "") or ""
    if said in ("rain", "storm"):
        return "rain"
    if said in ("snow", "fog"):
        return said
    return "rain" if plan.rain else ""


def plan_set(spec: SceneSpec, shot_plan) -> tuple[SetPlan, tuple[str, ...]]:
    """The kit's set for a scene: from the shot plan's place kind when there is one (the plan is
    resolved by the studio), else from the scene's words (classify)."""
    words = classify(spec)
    kind = getattr(getattr(shot_plan, "place", None), "kind", "") or ""
    if kind not in PLAN_SETS:
        return words, ()
    set_kind, room, extras = PLAN_SETS[kind]
    if kind == "lighthouse" and getattr(shot_plan.place, "interior", False):
        set_kind, room, extras = "interior", "room", ("spiral_stairs",)   # inside: the tower's stair
    rain = words.rain or getattr(shot_plan, "weather", "") in ("rain", "storm")
    if set_kind == "interior":
        return SetPlan("interior", room or "room", rain), extras
    return SetPlan(set_kind, "", rain, park=room == "park", wide=room == "wide"), extras


# The kit's flights as walking lines (rig.Stair): the treads are built from them and the rig plants
# a climber's feet on them, so the two cannot disagree.
SPIRAL_RADIUS = 1.3
SPIRAL = Stair(True, 2.2, 2.4, SPIRAL_RADIUS * 0.55, 0.19, 20.0, 200.0, 28)
STRAIGHT = Stair(False, 3.6, 0.72, 0.0, 0.18, 0.28, 0.0, 14)


TREAD_SPAN = 0.95   # a spiral tread's length, of the stair's radius (centred on the walking line)


def spiral_reach(st: Stair = SPIRAL, radius: float = SPIRAL_RADIUS) -> float:
    """How far from the column's axis a spiral's treads (spiral_stairs' boxes) reach."""
    return st.r + radius * TREAD_SPAN / 2


def stair_of(pieces: tuple[str, ...]) -> Stair | None:
    """The flight a set's pieces include (a figure that climbs or descends uses it), or None."""
    return SPIRAL if "spiral_stairs" in pieces else STRAIGHT if "stairs" in pieces else None


def spiral_stairs(b: SetBuilder, st: Stair = SPIRAL, radius: float = SPIRAL_RADIUS) -> None:
    """A spiral stair round a central column: wedge-ish treads (boxes) 20 degrees apart, and a rail."""
    x, z, rise = st.cx, st.cz, st.rise
    b.box((x, 2.8, z), (0.28, 5.6, 0.28), 0.0, (150, 146, 138), tag="spiral_stairs")
    for k in range(st.steps):
        (cx, _, cz), _ = st.point(k + 1)
        a = math.radians(st.start + st.step * k)
        y = st.height(k + 1)
        b.box((cx, y - 0.04, cz), (radius * TREAD_SPAN, 0.08, 0.42), math.degrees(a) + 90.0, (132, 118, 98))
        px, pz = x + math.sin(a) * radius, z + math.cos(a) * radius
        b.beam((px, y, pz), (px, y + 0.9, pz), 0.03, (60, 58, 56))


def lighthouse_tower(b: SetBuilder, x: float, z: float, height: float = 16.0) -> None:
    """A white tower with a red band, a gallery and a lantern room (lit at dusk and night)."""
    for k in range(12):
        y0 = k * height / 12
        r = 2.6 - 0.9 * k / 12
        colour = (186, 58, 50) if k in (4, 5, 9) else (232, 230, 222)
        for j in range(8):
            a = math.radians(j * 45.0)
            b.box((x + math.sin(a) * r, y0 + height / 24, z + math.cos(a) * r), (2 * r * 0.42, height / 12, 0.3),
                  j * 45.0, colour)
    b.box((x, height + 0.1, z), (4.0, 0.2, 4.0), 0.0, (50, 50, 52), tag="lighthouse")
    b.glow((x, height + 1.0, z), (1.4, 1.4, 1.4), (255, 236, 180))
    b.box((x, height + 2.0, z), (1.8, 0.6, 1.8), 45.0, (50, 50, 52))


def bed(b: SetBuilder, x: float, z: float, yaw: float = 0.0) -> None:
    b.box((x, 0.25, z), (1.5, 0.5, 2.1), yaw, (120, 98, 76), tag="bed")
    b.box((x, 0.56, z), (1.4, 0.14, 2.0), yaw, (214, 210, 200))
    b.box((x, 0.8, z + 1.0), (1.5, 1.1, 0.1), yaw, (110, 88, 66))


def extras(b: SetBuilder, pieces: tuple[str, ...], rng) -> None:
    """A plan kind's characteristic pieces beyond its set kind, off the stage."""
    r = rng(7)
    for piece in pieces:
        if piece == "spiral_stairs":
            spiral_stairs(b)
        elif piece == "stairs":
            st = STRAIGHT
            for k in range(st.steps):
                (cx, _, cz), _ = st.point(k + 1)
                b.box((cx, st.height(k + 1) - st.rise / 2, cz), (1.4, st.rise, st.step), 0.0, (132, 118, 98),
                      tag="stairs")
        elif piece == "lighthouse":
            lighthouse_tower(b, 7.5, 12.0)
        elif piece == "bed":
            bed(b, 4.4, 3.2)
        elif piece == "cars":
            for k in range(4):
                car(b, r, -7.5 + 5.0 * k, 7.5, 90.0)
        elif piece == "crates":
            for k in range(3):
                crate_stack(b, r, -5.0 + 5.0 * k, 5.0)
        elif piece == "rocks":
            for k in range(6):
                b.box((r.uniform(-14, 14), 0.3, r.uniform(6, 20)), (r.uniform(0.6, 1.6), 0.7, r.uniform(0.6, 1.4)),
                      r.uniform(0, 90), (118, 112, 104), tag="rock")
        elif piece == "vault_door":
            b.box((0.0, 1.4, 6.6), (2.6, 2.6, 0.4), 0.0, (150, 152, 156), tag="vault_door")


def build_world(spec: SceneSpec, shot_plan=None) -> World:
    """The dressed set of a scene: from the SceneSpec (and the shot plan's place kind when given),
    so every shot of a scene shares it."""
    plan, pieces = plan_set(spec, shot_plan)
    tod = time_of_day(spec)
    interior = plan.kind == "interior"
    weather = world_weather(plan, shot_plan)
    light = light_for(tod, interior, overcast=weather in OVERCAST)
    seed_key = zlib.crc32(f"{plan.kind}|{spec.location.strip().lower()}".encode())
    seed = int(spec.set_seed) & 0xFFFFFFFF

    def rng(stage: int) -> np.random.Generator:
        # One stream per stage: the set pieces do not change when the sky does (clouds by day,
        # none at night), so a sequence's world is the same at any time of day.
        return np.random.default_rng([seed, seed_key, stage])
    # Indoors the practicals are on at any hour (dimmer by day, when the windows light the room).
    practicals = PRACTICALS[tod] if not interior else max(0.35, PRACTICALS[tod] * 0.7)
    b = SetBuilder(light, practicals)
    if not interior:
        sky_objects(b, light, rng(1))
    ground = dress(b, plan, rng)
    extras(b, pieces, rng)
    b.ground = ground_texture(light, ground, rng(3), b.pools, practicals)
    info = {"kind": plan.kind, "time_of_day": tod, "interior": interior}
    if pieces:
        info["pieces"] = list(pieces)
    if plan.room:
        info["room_kind"] = plan.room
    if b.room_box:
        info["room"] = [float(v) for v in b.room_box]
    up = np.array([0.0, 1.0, 0.0])
    world = b.world(plan.kind, light.shade(rgb(ground.base) * 0.97, up[None, :])[0], info,
                    weather=weather)
    world.figure_light = key_light(light)
    world.stairs = stair_of(pieces)
    return world
