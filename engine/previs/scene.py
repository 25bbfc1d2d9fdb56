"""The procedural set's primitives: light by time of day, the ground texture, static layers, boxes
and decals, and the sky objects; `dressing.build_world` dresses them for the place the scene names.

The world depends only on the SceneSpec (location text, interior, time of day, set_seed), never on
the shot's camera or characters, so every shot of a sequence sees the same set. Geometry is kept
as flat arrays the rasterizer can cull and project in one numpy pass:

  quads: (N, 4, 3) static polygons (ground tiles, walls, backdrop, clouds) drawn in list order,
         each with a colour and an outward normal (back faces are culled: a camera outside an
         interior room looks through the wall, as on a film set with a wild wall);
  boxes: oriented boxes (set pieces) drawn with the figures, far to near;
  decals: one-sided quads sorted with the boxes (windows, lamp bulbs that glow when practicals
         are on).

Practical lights (lamps) light the ground as baked pools in the ground texture: free at render
time, and they are where the figures read against a night set.

Texture matters: the ground and walls are tiled with seeded shade jitter so that dense optical
flow (and an editor's eye) can read camera motion everywhere in the frame.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..jobs import SceneSpec
from ..plan import TIMES, heading_time

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
    """The four-step light of a scene. The studio resolves it (from the shot plan, engine.plan);
    a spec that leaves the default reads its heading's time part by whole words, through the same
    vocabulary: 'MORNING' is day light, 'KNIGHT'S HALL - DAY' is day."""
    named = TIMES.get(str(spec.time_of_day or "day").lower())
    if named is not None and spec.time_of_day != "day":
        return named[1]
    said = heading_time(spec.heading)
    return TIMES[said][1] if said else "day"


OVERCAST = ("rain", "snow", "fog")   # World.weather values under a grey sky: no sun, no hard shadow


def light_for(name: str, interior: bool, overcast: bool = False) -> Light:
    """The set's light at a time of day, indoors or out; `overcast` (rain, snow, fog outdoors): the sky
    greys over and the sun goes behind it, so the light is soft and comes from the whole sky."""
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
    elif overcast:
        grey = rgb((150, 156, 164)) if name == "day" else (rgb((120, 116, 122)) if name in ("dawn", "dusk")
                                                           else rgb((26, 30, 40)))
        light = Light(light.name, light.sky_top * 0.3 + grey * 0.6, light.sky_horizon * 0.25 + grey * 0.8,
                      light.sun, light.ambient + 0.2 * light.diffuse, light.diffuse * 0.4,
                      light.tint * 0.94 + 0.06, clouds=False, moon=False, windows_lit=light.windows_lit)
    return light


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
    decals: np.ndarray | None = None   # (Q, 4, 3) one-sided quads on box faces (windows, lamp bulbs)
    decal_colours: np.ndarray | None = None  # (Q, 3) BGR, final (lit windows glow at night)
    decal_normals: np.ndarray | None = None  # (Q, 3)
    pieces: dict = field(default_factory=dict)  # characteristic set pieces by name -> count
    box_tags: tuple = ()               # (M,) each box's piece name ('' untagged): which cast a shadow
    weather: str = ""                  # '', 'rain', 'snow' or 'fog' (dressing.world_weather): overlays, shadows
    figure_light: Light | None = None  # the subjects' key light (None: the set's light)


def key_light(light: Light) -> Light:
    """The light on the figures: the set's direction, but a near-neutral tint and at least a
    moderate level, as if keyed. Under a night set's blue cast a magenta shirt would turn purple
    and a dark one vanish: the figures are the subject, so they keep their colours."""
    tint = light.tint * 0.3 + 0.7
    return Light(light.name, light.sky_top, light.sky_horizon, light.sun, max(light.ambient, 0.5),
                 max(light.diffuse, 0.4), tint, light.clouds, light.moon, light.windows_lit)


def yaw_axes(yaw_deg: float) -> np.ndarray:
    a = math.radians(yaw_deg)
    return np.array([[math.cos(a), 0.0, -math.sin(a)], [0.0, 1.0, 0.0], [math.sin(a), 0.0, math.cos(a)]])


# How bright the practicals (lamps) are by time of day: off by day outdoors, full at night.
PRACTICALS = {"day": 0.0, "dawn": 0.3, "dusk": 0.65, "night": 1.0}
LAMP_OFF = (200, 200, 192)   # an unlit bulb's glass


@dataclass
class GroundSpec:
    """What the floor looks like: a tile pattern (square tiles, or boards with `tile_z` and
    `stagger`), painted marks (road, kerbs, coping, rugs) that keep the pattern's texture, and the
    plain colour beyond. Colours are RGB, unlit."""
    base: tuple
    x0: float
    x1: float
    z0: float
    z1: float
    tile: float = 1.25
    tile_z: float | None = None
    stagger: bool = False
    contrast: float = 0.16
    jitter: float = 0.07
    fade_from: float | None = 22.0
    border: tuple | None = None
    marks: list = field(default_factory=list)   # (polygon (K, 2) in x, z metres, RGB)


class SetBuilder:
    """Collects a set's layers, boxes, decals and lamps; `dressing` drives it."""

    def __init__(self, light: Light, practicals: float):
        self.light = light
        self.practicals = practicals           # 0 = lamps off .. 1 = night
        self.layers: list[QuadLayer] = []
        self.ground: GroundTexture | None = None
        self.decals: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.boxes: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self.box_tags: list[str] = []
        self.pools: list[tuple[float, float, float, np.ndarray]] = []  # x, z, radius, RGB
        self.pieces: dict[str, int] = {}
        self.room_box: tuple = ()          # interior: half width, back z0, front z1, height

    @property
    def lamps_on(self) -> bool:
        return self.practicals >= 0.3

    def tag(self, name: str | None, count: int = 1) -> None:
        if name:
            self.pieces[name] = self.pieces.get(name, 0) + count

    # -- static layers ---------------------------------------------------------------------------
    def add(self, quads, colours, normals, grouped: bool, aa: bool = True) -> None:
        quads = np.asarray(quads, float)
        if len(quads):
            self.layers.append(QuadLayer(quads, np.asarray(colours, float), np.asarray(normals, float), grouped,
                                         aa=aa))

    def add_lit(self, quads, colours_rgb, normal, grouped: bool = True, aa: bool = True) -> None:
        """Quads sharing one facing, colours RGB unlit (N, 3) or one colour."""
        quads = np.asarray(quads, float)
        if not len(quads):
            return
        normals = np.repeat(np.asarray(normal, float)[None, :], len(quads), axis=0)
        cols = np.asarray(colours_rgb, float)
        cols = np.repeat(rgb(tuple(cols))[None, :], len(quads), axis=0) if cols.ndim == 1 else cols[:, ::-1]
        self.add(quads, self.light.shade(cols, normals), normals, grouped, aa)

    # -- boxes -----------------------------------------------------------------------------------
    def box(self, centre, size, yaw, colour, tag: str | None = None) -> None:
        self.boxes.append((np.asarray(centre, float), yaw_axes(yaw), np.asarray(size, float) / 2, rgb(colour)))
        self.box_tags.append(tag or "")
        self.tag(tag)

    def beam(self, p0, p1, thick: float, colour, tag: str | None = None, width: float | None = None) -> None:
        """A box from p0 to p1 (ropes, arms, ramps): `thick` across vertically, `width` sideways."""
        p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
        d = p1 - p0
        length = float(np.linalg.norm(d))
        ax = d / length
        side = np.cross(ax, [0.0, 1.0, 0.0] if abs(ax[1]) < 0.95 else [1.0, 0.0, 0.0])
        side /= np.linalg.norm(side)
        up = np.cross(side, ax)
        half = np.array([length / 2, thick / 2, (width or thick) / 2])
        self.boxes.append(((p0 + p1) / 2, np.stack([ax, up, side]), half, rgb(colour)))
        self.box_tags.append(tag or "")
        self.tag(tag)

    # -- decals ----------------------------------------------------------------------------------
    def decal(self, quad, colour, normal, emissive: bool = False) -> None:
        normal = np.asarray(normal, float)
        c = rgb(colour) if emissive else self.light.shade(rgb(colour), normal[None, :])[0]
        self.decals.append((np.asarray(quad, float), c, normal))

    def rect(self, axis: int, at: float, a0: float, a1: float, y0: float, y1: float, facing: float, colour,
             emissive: bool = False) -> None:
        """A vertical rectangle on the plane x = at (axis 0, spanning z a0..a1) or z = at (axis 2,
        spanning x), seen from the `facing` (+1/-1) side."""
        if axis == 0:
            quad = [[at, y0, a0], [at, y0, a1], [at, y1, a1], [at, y1, a0]]
            normal = [facing, 0.0, 0.0]
        else:
            quad = [[a0, y0, at], [a1, y0, at], [a1, y1, at], [a0, y1, at]]
            normal = [0.0, 0.0, facing]
        self.decal(quad, colour, normal, emissive)

    def glow(self, centre, size, colour, tag: str | None = None) -> None:
        """A lamp bulb: six outward decals, bright when the practicals are on, plain glass when off."""
        c = np.asarray(centre, float)
        h = np.asarray(size, float) / 2
        on = self.lamps_on
        col = colour if on else LAMP_OFF
        for axis in range(3):
            for s in (-1.0, 1.0):
                n = np.zeros(3)
                n[axis] = s
                u, v = [k for k in range(3) if k != axis]
                quad = []
                for du, dv in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
                    p = c.copy()
                    p[axis] += s * (h[axis] + 0.01)
                    p[u] += du * h[u]
                    p[v] += dv * h[v]
                    quad.append(p)
                self.decal(quad, col, n, emissive=on)
        self.tag(tag)

    def pool(self, x: float, z: float, radius: float, colour=(255, 196, 120)) -> None:
        """A practical's pool of light on the ground (baked into the ground texture)."""
        self.pools.append((float(x), float(z), float(radius), rgb(colour)))

    def world(self, kind: str, ground: np.ndarray, info: dict, weather: str = "") -> World:
        if self.boxes:
            c, a, h, col = (np.array(v) for v in zip(*self.boxes))
        else:
            c, a, h, col = np.zeros((0, 3)), np.zeros((0, 3, 3)), np.zeros((0, 3)), np.zeros((0, 3))
        world = World(kind, self.light, self.layers, self.ground, c, a, h, col, ground, info,
                      pieces=dict(self.pieces), weather=weather, box_tags=tuple(self.box_tags))
        if self.decals:
            world.decals = np.array([d[0] for d in self.decals])
            world.decal_colours = np.array([d[1] for d in self.decals])
            world.decal_normals = np.array([d[2] for d in self.decals])
        return world


def grid_quads(x0, x1, z0, z1, step, y=0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


def tile_colours(base: np.ndarray, ix, iz, rng, contrast=0.16, jitter=0.07) -> np.ndarray:
    checker = np.where((ix + iz) % 2 == 0, 1.0, 1.0 - contrast)
    # Quantized jitter: few distinct colours, so the rasterizer fills a whole class per call.
    noise = 1.0 + rng.choice(np.linspace(-jitter, jitter, 4), size=len(ix))
    return base[None, :] * (checker * noise)[:, None]


def pool_falloff(r2) -> np.ndarray:
    """A lamp pool's light at (distance / radius)^2 `r2`: 1 under the lamp .. 0 at the pool's rim (the
    one falloff of every practical's pool, baked or drawn)."""
    return np.clip(1.0 - np.asarray(r2, float), 0.0, 1.0) ** 2


def ground_texture(light: Light, g: GroundSpec, rng, pools=(), practicals: float = 0.0,
                   max_px: int = 1024) -> GroundTexture:
    """The floor as one lit image: tile pattern x painted albedo, lit by the sky and by the lamp
    pools. Built in float32 at most 1024 px a side (~12 MB, once per set)."""
    import cv2
    tile_x, tile_z = g.tile, g.tile_z or g.tile
    ppm = max(1.0, round(max_px / max(g.x1 - g.x0, g.z1 - g.z0) * tile_x) / tile_x)  # whole pixels per tile
    tpx, tpz = max(2, int(round(tile_x * ppm))), max(2, int(round(tile_z * ppm)))
    nx, nz = int(np.ceil((g.x1 - g.x0) * ppm / tpx)) + 1, int(np.ceil((g.z1 - g.z0) * ppm / tpz))
    ix, iz = np.meshgrid(np.arange(nx), np.arange(nz))
    shade = tile_colours(np.ones(1), ix.ravel(), iz.ravel(), rng, g.contrast, g.jitter).reshape(nz, nx)
    grout = np.ones((tpz, tpx), np.float32)
    gp = max(1, min(tpx, tpz) // 16)
    grout[:gp, :] *= 0.8
    grout[:, :gp] *= 0.8
    pattern = np.repeat(np.repeat(shade.astype(np.float32), tpz, 0), tpx, 1) * np.tile(grout, (nz, nx))
    if g.stagger:  # boards and setts: every other row shifted by half a tile
        for row in range(1, nz, 2):
            pattern[row * tpz:(row + 1) * tpz] = np.roll(pattern[row * tpz:(row + 1) * tpz], tpx // 2, axis=1)
    width, height = int(round((g.x1 - g.x0) * ppm)), int(round((g.z1 - g.z0) * ppm))
    pattern = pattern[:height, :width]
    albedo = np.empty((height, width, 3), np.float32)
    albedo[:] = rgb(g.base)
    for poly, colour in g.marks:
        pts = np.rint((np.asarray(poly, float) - [g.x0, g.z0]) * ppm * 16).astype(np.int32)
        cv2.fillPoly(albedo, [pts], tuple(float(v) for v in rgb(colour)), lineType=cv2.LINE_AA, shift=4)
    albedo *= pattern[..., None]
    factor = (light.shade(np.array([255.0, 255.0, 255.0]), np.array([[0.0, 1.0, 0.0]]))[0] / 255).astype(np.float32)
    lit = albedo * factor
    if pools and practicals > 0:
        # Lamp light on a coarse grid, scaled up: a smooth falloff needs no full-resolution maths.
        lo = 256
        xs = g.x0 + (np.arange(lo) + 0.5) * (g.x1 - g.x0) / lo
        zs = g.z0 + (np.arange(lo) + 0.5) * (g.z1 - g.z0) / lo
        glow = np.zeros((lo, lo, 3), np.float32)
        for x, z, radius, colour in pools:
            k = pool_falloff(((xs[None, :] - x) ** 2 + (zs[:, None] - z) ** 2) / radius ** 2)
            glow += (k[..., None] * (colour / 255.0) * 1.3 * practicals).astype(np.float32)
        lit += albedo * cv2.resize(glow, (width, height), interpolation=cv2.INTER_LINEAR)
    border_rgb = np.asarray(g.border if g.border is not None else g.base, float)
    border = np.clip(rgb(tuple(border_rgb)) * (1 - g.contrast / 2) * factor, 0, 255)
    if g.fade_from is not None:  # far tiles fade to the plain ground: no moire where texels get tiny
        lo = 256
        xs = g.x0 + (np.arange(lo) + 0.5) * (g.x1 - g.x0) / lo
        zs = g.z0 + (np.arange(lo) + 0.5) * (g.z1 - g.z0) / lo
        r = np.hypot(xs[None, :], zs[:, None])
        far = max(abs(g.x0), abs(g.x1), abs(g.z0), abs(g.z1))
        k = (np.clip((r - g.fade_from) / max(1e-6, far - g.fade_from), 0, 1) ** 0.7).astype(np.float32)
        k = cv2.resize(k, (width, height), interpolation=cv2.INTER_LINEAR)[..., None]
        lit = lit * (1 - k) + border.astype(np.float32) * k
    img = np.clip(np.rint(lit), 0, 255).astype(np.uint8)
    return GroundTexture(np.ascontiguousarray(img), g.x0, g.z0, ppm, border)


def sky_objects(b: SetBuilder, light: Light, rng) -> None:
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
