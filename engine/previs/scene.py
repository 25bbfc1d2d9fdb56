"""The procedural set: light by time of day, ground, walls, far backdrop and set pieces from a seed.

The world depends only on the SceneSpec (location text, interior, time of day, set_seed), never on
the shot's camera or characters, so every shot of a sequence sees the same set. Geometry is kept
as flat arrays the rasterizer can cull and project in one numpy pass:

  quads: (N, 4, 3) static polygons (ground tiles, walls, backdrop, clouds) drawn in list order,
         each with a colour and an outward normal (back faces are culled: a camera outside an
         interior room looks through the wall, as on a film set with a wild wall);
  boxes: oriented boxes (set pieces) drawn with the figures, far to near.

Texture matters: the ground and walls are tiled with seeded shade jitter so that dense optical
flow (and an editor's eye) can read camera motion everywhere in the frame.
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field

import numpy as np

from ..jobs import SceneSpec

Colour = tuple[float, float, float]  # BGR 0..255


def rgb(hex_or_tuple) -> np.ndarray:
    """'#rrggbb' or an (r, g, b) tuple -> BGR float array."""
    if isinstance(hex_or_tuple, str):
        text = hex_or_tuple.strip().lstrip("#")
        if len(text) == 3:
            text = "".join(c * 2 for c in text)
        try:
            r, g, b = (int(text[i:i + 2], 16) for i in (0, 2, 4))
        except (ValueError, IndexError):
            raise ValueError(f"colour {hex_or_tuple!r} is not #rrggbb") from None
    else:
        r, g, b = hex_or_tuple
    return np.array([b, g, r], dtype=np.float64)


@dataclass(frozen=True)
class Light:
    name: str
    sky_top: np.ndarray
    sky_horizon: np.ndarray
    sun: np.ndarray            # unit vector toward the light
    ambient: float
    diffuse: float
    tint: np.ndarray           # multiplies every surface colour (BGR)
    clouds: bool = True
    moon: bool = False
    windows_lit: bool = False

    def shade(self, colour: np.ndarray, normals: np.ndarray) -> np.ndarray:
        """Lambert shading of `colour` (3,) or (N, 3) for normals (N, 3) -> (N, 3) BGR floats."""
        lam = np.clip(normals @ self.sun, 0.0, 1.0)
        out = np.asarray(colour) * self.tint * (self.ambient + self.diffuse * lam)[:, None]
        return np.clip(out, 0, 255)


def time_of_day(spec: SceneSpec) -> str:
    text = f"{spec.time_of_day} {spec.heading}".lower()
    for word, name in (("night", "night"), ("midnight", "night"), ("dawn", "dawn"), ("sunrise", "dawn"),
                       ("morning", "dawn"), ("dusk", "dusk"), ("sunset", "dusk"), ("evening", "dusk"),
                       ("twilight", "dusk")):
        if word in text:
            return name
    return "day"


def light_for(name: str, interior: bool) -> Light:
    def unit(*v):
        a = np.array(v, dtype=np.float64)
        return a / np.linalg.norm(a)
    table = {
        "day": Light("day", rgb((70, 130, 215)), rgb((200, 220, 240)), unit(0.45, 0.8, 0.35), 0.55, 0.5,
                     np.array([1.0, 1.0, 1.0])),
        "dawn": Light("dawn", rgb((70, 90, 150)), rgb((250, 185, 140)), unit(-0.8, 0.3, 0.5), 0.45, 0.55,
                      np.array([0.85, 0.95, 1.06])),
        "dusk": Light("dusk", rgb((45, 55, 115)), rgb((240, 140, 90)), unit(0.8, 0.22, 0.45), 0.42, 0.55,
                      np.array([0.75, 0.85, 1.06])),
        "night": Light("night", rgb((8, 12, 32)), rgb((32, 42, 75)), unit(0.3, 0.75, -0.4), 0.32, 0.3,
                       np.array([0.9, 0.62, 0.55]), clouds=False, moon=True, windows_lit=True),
    }
    light = table[name]
    if interior:  # practical lights from the ceiling; the time of day shows through the windows only
        light = Light(light.name, light.sky_top, light.sky_horizon, unit(0.25, 1.0, 0.35),
                      0.55 if name != "night" else 0.45, 0.45, np.array([0.95, 0.98, 1.03]) if name != "night"
                      else np.array([0.8, 0.9, 1.05]), clouds=light.clouds, moon=light.moon,
                      windows_lit=light.windows_lit)
    return light


_KINDS = {
    "city": ("street", "city", "town", "alley", "harbour", "harbor", "dock", "market", "road", "square",
             "rooftop", "parking", "station", "downtown", "avenue"),
    "nature": ("forest", "wood", "park", "garden", "field", "jungle", "mountain", "meadow", "orchard", "trail"),
    "coast": ("beach", "sea", "shore", "coast", "pier", "lake", "river", "desert", "dune", "cliff"),
}
_GROUND = {"city": (92, 92, 98), "nature": (78, 112, 60), "coast": (196, 180, 140), "open": (132, 126, 118),
           "interior": (150, 112, 78)}


def location_kind(spec: SceneSpec) -> str:
    if is_interior(spec):
        return "interior"
    text = f"{spec.location} {spec.heading}".lower()
    for kind, words in _KINDS.items():
        if any(w in text for w in words):
            return kind
    return "open"


def is_interior(spec: SceneSpec) -> bool:
    head = spec.heading.strip().upper()
    return bool(spec.interior) or head.startswith(("INT.", "INT ", "INT/"))


@dataclass
class QuadLayer:
    """Static polygons drawn together. `grouped`: they never overlap on screen (a tiled plane, the
    inside of a convex room), so they may be filled one colour class at a time."""
    quads: np.ndarray                  # (N, 4, 3)
    colours: np.ndarray                # (N, 3) BGR, already lit
    normals: np.ndarray                # (N, 3) the visible side
    grouped: bool = False
    classes: np.ndarray | None = None  # (N,) colour class ids when grouped
    aa: bool = True                    # anti-aliased edges (off for far silhouettes: cost, no gain)

    def __post_init__(self) -> None:
        self.centres = self.quads.mean(axis=1)  # for back-face culling every frame
        if self.grouped and self.classes is None:
            _, self.classes = np.unique(np.round(self.colours).astype(np.int32), axis=0, return_inverse=True)
            self.classes = self.classes.reshape(-1)


@dataclass
class GroundTexture:
    """The tiled floor as one lit texture on the plane y = 0, drawn with a single perspective warp
    (a few ms at 720p whatever the tile count). Texture pixel (u, v) = ((x - x0), (z - z0)) * ppm."""
    image: np.ndarray     # BGR uint8
    x0: float
    z0: float
    ppm: float            # texture pixels per metre
    border: np.ndarray    # the plain ground beyond the texture (lit BGR)


@dataclass
class World:
    kind: str
    light: Light
    layers: list[QuadLayer]
    ground_texture: GroundTexture | None
    box_centres: np.ndarray            # (M, 3)
    box_axes: np.ndarray               # (M, 3, 3) rows: unit axes
    box_half: np.ndarray               # (M, 3)
    box_colours: np.ndarray            # (M, 3) unlit BGR
    ground_colour: np.ndarray          # the plain ground beyond the tiles (lit)
    info: dict = field(default_factory=dict)
    decals: np.ndarray | None = None   # (Q, 4, 3) one-sided quads on box faces (window bands)
    decal_colours: np.ndarray | None = None  # (Q, 3) BGR, final (lit windows glow at night)
    decal_normals: np.ndarray | None = None  # (Q, 3)


def yaw_axes(yaw_deg: float) -> np.ndarray:
    a = math.radians(yaw_deg)
    return np.array([[math.cos(a), 0.0, -math.sin(a)], [0.0, 1.0, 0.0], [math.sin(a), 0.0, math.cos(a)]])


class _Builder:
    def __init__(self, light: Light):
        self.light = light
        self.layers: list[QuadLayer] = []
        self.ground: GroundTexture | None = None
        self.decals: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.boxes: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def window_bands(self, centre, size, facing_x: float) -> None:
        """A glazed band per 3 m floor on the face of an axis-aligned box that looks toward
        x = facing_x (the street): reads as a building, lit at night."""
        cx, cy, cz = centre
        w, h, d = size
        side = 1.0 if facing_x > cx else -1.0
        x = cx + side * (w / 2 + 0.02)
        normal = np.array([side, 0.0, 0.0])
        glass = rgb((255, 214, 140)) if self.light.windows_lit else self.light.shade(rgb((70, 84, 100)),
                                                                                   normal[None, :])[0]
        z0, z1 = cz - d / 2 + 0.6, cz + d / 2 - 0.6
        floor = 0
        while floor * 3.0 + 2.4 < h:
            y0, y1 = floor * 3.0 + 1.1, floor * 3.0 + 2.3
            quad = np.array([[x, y0, z0], [x, y0, z1], [x, y1, z1], [x, y1, z0]])
            self.decals.append((quad, glass, normal))
            floor += 1

    def quad_batch(self, quads: np.ndarray, colours: np.ndarray, normal: np.ndarray, lit: bool = True,
                   grouped: bool = True) -> None:
        normals = np.repeat(normal[None, :], len(quads), axis=0)
        colours = self.light.shade(colours, normals) if lit else np.clip(colours, 0, 255)
        self.layers.append(QuadLayer(quads, colours, normals, grouped))

    def add(self, quads: np.ndarray, colours: np.ndarray, normals: np.ndarray, grouped: bool, aa: bool = True) -> None:
        self.layers.append(QuadLayer(np.asarray(quads, float), np.asarray(colours, float),
                                     np.asarray(normals, float), grouped, aa=aa))

    def box(self, centre, size, yaw, colour) -> None:
        self.boxes.append((np.asarray(centre, float), yaw_axes(yaw), np.asarray(size, float) / 2, rgb(colour)))

    def world(self, kind: str, ground: np.ndarray, info: dict) -> World:
        if self.boxes:
            c, a, h, col = (np.array(v) for v in zip(*self.boxes))
        else:
            c, a, h, col = np.zeros((0, 3)), np.zeros((0, 3, 3)), np.zeros((0, 3)), np.zeros((0, 3))
        world = World(kind, self.light, self.layers, self.ground, c, a, h, col, ground, info)
        if self.decals:
            world.decals = np.array([d[0] for d in self.decals])
            world.decal_colours = np.array([d[1] for d in self.decals])
            world.decal_normals = np.array([d[2] for d in self.decals])
        return world


def _grid_quads(x0, x1, z0, z1, step, y=0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # The last row/column is cut to the edge so the grid covers exactly [x0, x1] x [z0, z1].
    xs = np.minimum(x0 + step * np.arange(int(np.ceil((x1 - x0) / step - 1e-9)) + 1), x1)
    zs = np.minimum(z0 + step * np.arange(int(np.ceil((z1 - z0) / step - 1e-9)) + 1), z1)
    gx, gz = np.meshgrid(xs[:-1], zs[:-1])
    gx2, gz2 = np.meshgrid(xs[1:], zs[1:])
    gx, gz, gx2, gz2 = gx.ravel(), gz.ravel(), gx2.ravel(), gz2.ravel()
    yy = np.full_like(gx, y)
    q = np.stack([np.stack([gx, yy, gz], -1), np.stack([gx2, yy, gz], -1), np.stack([gx2, yy, gz2], -1),
                  np.stack([gx, yy, gz2], -1)], axis=1)
    ix = np.round((gx - x0) / step).astype(int)
    iz = np.round((gz - z0) / step).astype(int)
    return q, ix, iz


def _tile_colours(base: np.ndarray, ix, iz, rng, contrast=0.16, jitter=0.07) -> np.ndarray:
    checker = np.where((ix + iz) % 2 == 0, 1.0, 1.0 - contrast)
    # Quantized jitter: few distinct colours, so the rasterizer fills a whole class per call.
    noise = 1.0 + rng.choice(np.linspace(-jitter, jitter, 4), size=len(ix))
    return base[None, :] * (checker * noise)[:, None]


def _ground_texture(light: Light, base: np.ndarray, rng, x0, x1, z0, z1, tile, contrast, jitter,
                    fade_from: float | None, max_px: int = 1024) -> GroundTexture:
    """Built in uint8 at full size (a 2048^2 float image would cost ~100 MB at construction)."""
    import cv2
    ppm = max(1.0, round(max_px / max(x1 - x0, z1 - z0) * tile) / tile)  # whole pixels per tile
    nx, nz = int(np.ceil((x1 - x0) / tile)), int(np.ceil((z1 - z0) / tile))
    ix, iz = np.meshgrid(np.arange(nx), np.arange(nz))
    factor = light.shade(np.array([255.0, 255.0, 255.0]), np.array([[0.0, 1.0, 0.0]]))[0] / 255
    cols = _tile_colours(base, ix.ravel(), iz.ravel(), rng, contrast, jitter).reshape(nz, nx, 3) * factor
    tile_px = int(round(tile * ppm))
    grout = max(1, tile_px // 16)
    # One tile's grout pattern, as a multiplier, applied at tile level before expanding.
    pattern = np.ones((tile_px, tile_px), np.float32)
    pattern[:grout, :] *= 0.8
    pattern[:, :grout] *= 0.8
    img = np.empty((nz * tile_px, nx * tile_px, 3), np.uint8)
    for row in range(nz):
        strip = cols[row][None, :, None, :] * pattern[:, None, :, None]   # (tp, nx, tp, 3)
        img[row * tile_px:(row + 1) * tile_px] = np.clip(strip, 0, 255).reshape(tile_px, nx * tile_px, 3)
    border = np.clip(base * (1 - contrast / 2) * factor, 0, 255)
    if fade_from is not None:  # far tiles fade to the plain ground: no moire where texels get tiny
        lo = 256
        xs = x0 + (np.arange(lo) + 0.5) * (x1 - x0) / lo
        zs = z0 + (np.arange(lo) + 0.5) * (z1 - z0) / lo
        r = np.hypot(xs[None, :], zs[:, None])
        k = (np.clip((r - fade_from) / (max(x1 - x0, z1 - z0) / 2 - fade_from), 0, 1) ** 0.7).astype(np.float32)
        k = cv2.resize(k, (img.shape[1], img.shape[0]), interpolation=cv2.INTER_LINEAR)
        plain = np.empty_like(img)
        plain[:] = np.rint(border).astype(np.uint8)
        img = cv2.blendLinear(plain, img, k, 1.0 - k)
    return GroundTexture(np.ascontiguousarray(img), x0, z0, ppm, border)


def build_world(spec: SceneSpec) -> World:
    kind = location_kind(spec)
    tod = time_of_day(spec)
    interior = kind == "interior"
    light = light_for(tod, interior)
    seed_key = zlib.crc32(f"{kind}|{spec.location.strip().lower()}".encode())
    seed = int(spec.set_seed) & 0xFFFFFFFF

    def rng(stage: int) -> np.random.Generator:
        # One stream per stage: the set pieces do not change when the sky does (clouds by day,
        # none at night), so a sequence's world is the same at any time of day.
        return np.random.default_rng([seed, seed_key, stage])
    b = _Builder(light)
    up = np.array([0.0, 1.0, 0.0])
    ground = rgb(_GROUND[kind])
    info = {"kind": kind, "time_of_day": tod, "interior": interior}

    if not interior:
        _sky_objects(b, light, rng(1), kind)
        _backdrop(b, light, rng(2), kind)
        b.ground = _ground_texture(light, ground, rng(3), -40.0, 40.0, -40.0, 40.0, 1.25, 0.16, 0.07, fade_from=22.0)
        _exterior_pieces(b, rng(4), kind, light)
    else:
        room = rng(5)
        hx, z0, z1, h = 7.0 + room.uniform(0, 2), -14.0, 6.0 + room.uniform(0, 2), 3.2
        info["room"] = [hx, z0, z1, h]
        b.ground = _ground_texture(light, ground, rng(3), -hx, hx, z0, z1, 0.6, 0.12, 0.08, fade_from=None)
        _room(b, rng(6), light, hx, z0, z1, h)
        _interior_pieces(b, rng(4), hx, z0, z1)
    return b.world(kind, light.shade(ground * 0.97, up[None, :])[0], info)


def _sky_objects(b: _Builder, light: Light, rng, kind: str) -> None:
    """Clouds (or the moon) as flat polygons on a far shell: real 3D, so they pan like the rest."""
    polys, colours = [], []
    if light.clouds:
        for _ in range(14):
            az, el = rng.uniform(0, 2 * math.pi), math.radians(rng.uniform(6, 38))
            dist, w, hgt = 600.0, rng.uniform(40, 120), rng.uniform(10, 26)
            centre = dist * np.array([math.sin(az) * math.cos(el), math.sin(el), math.cos(az) * math.cos(el)])
            right = np.array([math.cos(az), 0.0, -math.sin(az)])
            upv = np.array([-math.sin(az) * math.sin(el), math.cos(el), -math.cos(az) * math.sin(el)])
            polys.append(np.array([centre - right * w - upv * hgt * 0.4, centre + right * w - upv * hgt * 0.4,
                                   centre + right * w * 0.6 + upv * hgt, centre - right * w * 0.7 + upv * hgt]))
            colours.append(light.sky_horizon * 0.35 + rgb((250, 250, 250)) * 0.65 * light.tint)
    if light.moon:
        az, el, r = math.radians(35), math.radians(24), 9.0
        centre = 600 * np.array([math.sin(az) * math.cos(el), math.sin(el), math.cos(az) * math.cos(el)])
        right = np.array([math.cos(az), 0.0, -math.sin(az)])
        upv = np.array([-math.sin(az) * math.sin(el), math.cos(el), -math.cos(az) * math.sin(el)])
        polys.append(np.array([centre - right * r, centre - upv * r, centre + right * r, centre + upv * r]))
        colours.append(rgb((235, 235, 215)))
    if polys:
        # Normals face the origin so they are never culled from inside the shell.
        quads = np.array(polys)
        centres = quads.mean(axis=1)
        b.add(quads, colours, -centres / np.linalg.norm(centres, axis=1, keepdims=True), grouped=False, aa=False)


def _backdrop(b: _Builder, light: Light, rng, kind: str) -> None:
    """A ring of far silhouettes (skyline, tree line, hills) so the horizon has detail in every direction."""
    n = 72
    rings = {"city": [(150.0, 12, 48, (70, 74, 86)), (95.0, 8, 30, (88, 90, 100))],
             "nature": [(150.0, 10, 30, (48, 72, 50)), (90.0, 6, 16, (58, 86, 56))],
             "coast": [(180.0, 3, 14, (110, 112, 120))],
             "open": [(160.0, 5, 22, (96, 100, 108))]}[kind]
    for radius, lo, hi, colour in rings:
        a0 = np.linspace(0, 2 * math.pi, n, endpoint=False) + rng.uniform(0, 0.05)
        a1 = a0 + 2 * math.pi / n
        heights = rng.uniform(lo, hi, size=n)
        p0 = np.stack([np.sin(a0) * radius, np.zeros(n), np.cos(a0) * radius], -1)
        p1 = np.stack([np.sin(a1) * radius, np.zeros(n), np.cos(a1) * radius], -1)
        quads = np.stack([p0, p1, p1 + heights[:, None] * [0, 1, 0], p0 + heights[:, None] * [0, 1, 0]], axis=1)
        shade = rng.uniform(0.85, 1.12, size=n)[:, None]
        shade = np.round(shade * 5) / 5  # a few colour classes: fewer fill calls
        col = np.clip(rgb(colour) * shade * light.tint * (light.ambient + 0.35), 0, 255)
        b.add(quads, col, -(p0 + p1) / (2 * radius), grouped=True, aa=False)


def _room(b: _Builder, rng, light: Light, hx: float, z0: float, z1: float, h: float) -> None:
    """Four panelled walls (wainscot, wall, windows) and a tiled ceiling, normals facing inward."""
    wall = rgb(tuple(int(v) for v in rng.choice([(186, 176, 160), (160, 172, 180), (190, 170, 150)])))
    wains = wall * 0.62
    window_day = (light.sky_horizon * 0.6 + light.sky_top * 0.4) if not light.windows_lit else rgb((40, 48, 80))
    rows = [(0.0, 1.0), (1.0, 2.3), (2.3, h)]

    def wall_panels(p_start, p_end, inward):
        length = float(np.linalg.norm(p_end - p_start))
        n = max(1, int(round(length / 1.0)))
        dirv = (p_end - p_start) / length
        quads, cols = [], []
        for i in range(n):
            a, c = p_start + dirv * (length * i / n), p_start + dirv * (length * (i + 1) / n)
            for r, (y0, y1) in enumerate(rows):
                quads.append([a + [0, y0, 0], c + [0, y0, 0], c + [0, y1, 0], a + [0, y1, 0]])
                base = wains if r == 0 else wall
                if r == 1 and i % 3 == 1 and n > 2:
                    base = window_day
                cols.append(base * (1.0 + rng.choice([-0.05, 0.0, 0.05])) * (0.93 if i % 2 else 1.0))
        quads, cols = np.array(quads), np.array(cols)
        normals = np.repeat(inward[None, :], len(quads), axis=0)
        b.add(quads, light.shade(cols, normals), normals, grouped=True)

    wall_panels(np.array([-hx, 0, z1]), np.array([hx, 0, z1]), np.array([0.0, 0, -1]))    # back wall
    wall_panels(np.array([-hx, 0, z0]), np.array([-hx, 0, z1]), np.array([1.0, 0, 0]))    # left
    wall_panels(np.array([hx, 0, z1]), np.array([hx, 0, z0]), np.array([-1.0, 0, 0]))     # right
    wall_panels(np.array([hx, 0, z0]), np.array([-hx, 0, z0]), np.array([0.0, 0, 1]))     # behind the camera
    q, ix, iz = _grid_quads(-hx, hx, z0, z1, 2.0, y=h)
    ceiling = rgb((205, 200, 190))
    down = np.array([0.0, -1.0, 0.0])
    b.add(q, np.clip(_tile_colours(ceiling, ix, iz, rng, 0.1, 0.03) * light.tint * 0.72, 0, 255),
          np.repeat(down[None, :], len(q), axis=0), grouped=True)


def _free_spot(rng, xr, zr, keep_out, tries=40):
    """A random (x, z) in the ranges outside every keep-out rectangle (x0, x1, z0, z1)."""
    for _ in range(tries):
        x, z = rng.uniform(*xr), rng.uniform(*zr)
        if not any(x0 <= x <= x1 and z0 <= z <= z1 for x0, x1, z0, z1 in keep_out):
            return x, z
    return None


# The subject's stage and the camera's corridor stay clear of set pieces.
_STAGE = [(-3.2, 3.2, -3.0, 3.0), (-3.0, 3.0, -40.0, 0.0)]


def _exterior_pieces(b: _Builder, rng, kind: str, light: Light) -> None:
    if kind == "city":
        for side in (-1, 1):
            z = -36.0
            while z < 36.0:
                w, d, h = rng.uniform(6, 11), rng.uniform(6, 10), rng.uniform(6, 22)
                x = side * (rng.uniform(9, 12) + w / 2)
                tone = rng.uniform(0.75, 1.15)
                b.box((x, h / 2, z + d / 2), (w, h, d), 0.0, tuple(int(v * tone) for v in (150, 140, 130)))
                b.window_bands((x, h / 2, z + d / 2), (w, h, d), facing_x=0.0)
                z += d + rng.uniform(1, 4)
        for _ in range(14):  # crates, bins, lamp posts, a parked car
            spot = _free_spot(rng, (-8, 8), (-25, 25), _STAGE)
            if spot is None:
                continue
            choice = rng.integers(0, 3)
            if choice == 0:
                b.box((spot[0], 0.4, spot[1]), (0.8, 0.8, 0.8), rng.uniform(0, 90), (150, 110, 70))
            elif choice == 1:
                b.box((spot[0], 2.2, spot[1]), (0.15, 4.4, 0.15), 0.0, (60, 62, 66))
            else:
                b.box((spot[0], 0.7, spot[1]), (1.8, 1.4, 4.2), rng.uniform(-10, 10),
                      tuple(int(v) for v in rng.choice([(120, 30, 35), (40, 60, 120), (200, 200, 190)])))
    elif kind == "nature":
        for _ in range(34):
            spot = _free_spot(rng, (-30, 30), (-30, 35), _STAGE)
            if spot is None:
                continue
            x, z = spot
            h = rng.uniform(3, 7)
            b.box((x, h * 0.3, z), (0.35, h * 0.6, 0.35), 0.0, (95, 70, 45))
            size = rng.uniform(1.8, 3.4)
            green = tuple(int(v * rng.uniform(0.8, 1.15)) for v in (60, 115, 55))
            b.box((x, h * 0.6 + size * 0.4, z), (size, size * 0.9, size), 45.0, green)
            b.box((x, h * 0.6 + size * 0.9, z), (size * 0.6, size * 0.6, size * 0.6), 20.0, green)
    else:
        count = 16 if kind == "coast" else 20
        for _ in range(count):
            spot = _free_spot(rng, (-25, 25), (-30, 35), _STAGE)
            if spot is None:
                continue
            if kind == "coast":
                s = rng.uniform(0.5, 2.2)
                b.box((spot[0], s * 0.3, spot[1]), (s * 1.4, s * 0.6, s), rng.uniform(0, 90), (120, 112, 100))
            elif rng.integers(0, 2):
                h = rng.uniform(2.5, 6)
                b.box((spot[0], h / 2, spot[1]), (0.6, h, 0.6), 0.0, (170, 165, 155))
            else:
                s = rng.uniform(0.6, 1.6)
                b.box((spot[0], s / 2, spot[1]), (s, s, s), rng.uniform(0, 90), (160, 120, 80))


def _interior_pieces(b: _Builder, rng, hx: float, z0: float, z1: float) -> None:
    # Shelves against the back and side walls, a table and chairs, a sofa: furniture reads as a room.
    for i in range(int(rng.integers(2, 5))):
        w = rng.uniform(1.0, 2.2)
        x = rng.uniform(-hx + 1.2, hx - 1.2)
        if abs(x) < 3.2:
            x = math.copysign(3.2 + w / 2, x if x else 1.0)
        b.box((x, 1.0, z1 - 0.25), (w, 2.0, 0.45), 0.0, (110, 80, 55))
    for side in (-1, 1):
        z = rng.uniform(z0 + 3, z1 - 2)
        b.box((side * (hx - 0.5), 0.45, z), (0.9, 0.9, 2.2), 0.0, (95, 105, 140) if side < 0 else (140, 95, 90))
    spot = _free_spot(rng, (-hx + 2, hx - 2), (z0 + 3, z1 - 2), _STAGE)
    if spot:
        x, z = spot
        b.box((x, 0.72, z), (1.6, 0.08, 0.9), rng.uniform(-15, 15), (150, 110, 70))
        for dx in (-0.5, 0.5):
            for dz in (-0.35, 0.35):
                b.box((x + dx * 1.4, 0.36, z + dz * 1.8), (0.07, 0.72, 0.07), 0.0, (120, 85, 55))
        for dz in (-0.8, 0.8):
            b.box((x, 0.45, z + dz), (0.45, 0.9, 0.45), 0.0, (90, 70, 50))
    for _ in range(2):
        spot = _free_spot(rng, (-hx + 1, hx - 1), (z0 + 2, z1 - 1), _STAGE)
        if spot:
            b.box((spot[0], 1.6, spot[1]), (0.4, 3.2, 0.4), 0.0, (200, 195, 185))
