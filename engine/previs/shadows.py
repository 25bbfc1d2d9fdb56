"""Shadows on the ground for the renderer that has no shadow maps (p3tinydisplay), alike on pandagl.

Cast shadows are planar projected shadows: each caster (a mannequin's body parts, a stool, a prop, a
user's model) is instanced (Panda instancing: the same nodes, so every pose update rides along) under
a matrix that flattens it onto the ground plane along the key light's direction, the very vector that
aims the DirectionalLight (world.light.sun). The flattened geometry is drawn unlit with the ground's
own texture (texgen from the world position: the same texel the floor shows there) times one fixed
darkness, opaque. That is the stencil-free trick against double darkening: tinydisplay does blend
(measured: ColorBlendAttrib multiply and TransparencyAttrib alpha both work, on both paths), but a
multiplied shadow darkens twice where limbs overlap; an opaque "floor, darker" writes the same colour
however many layers cover a pixel. The shadow is a ground decal: drawn right after the ground layers,
before anything that stands on the ground, with no depth test or write, so it cannot z-fight and
whatever stands in front of it simply covers it (nothing above the ground can be behind it).

A soft contact shadow (a disc fading to nothing, alpha-blended over the floor and the cast shadow:
the occlusion right under the body) keeps the feet planted, also where there is no cast shadow.

Which light casts (what a DP expects):
  day, dawn, dusk outside  the sun: long at dawn and dusk, short at noon (length = height / tan(elevation)).
  night outside            none, the contact shadow only: the moon is too weak for a hard shadow and the
                           practicals (lamp pools) would throw theirs in other directions.
  rain, snow, fog outside  none, the contact shadow only: an overcast sky casts no hard shadow
                           (World.weather, the one source the renderer's overlays read too).
  interiors                the overhead practical that keys the figures (the set's light indoors): a
                           short shadow pooled under and just behind the figure, lighter than the sun's
                           (the room's bounce fills it).
Darkness: what the set's own Lambert light (scene.Light.shade) gives the floor without the direct
light: ambient / (ambient + diffuse * sin(elevation)) (0.57 at noon), at most LIGHTEST outside so a
low sun's long shadow still reads, lifted by the bounce indoors.

The kit's small free-standing pieces (FREE_STANDING: crates, lamp posts, benches, bollards, trees, rocks,
cars, furniture...) cast too: their boxes, built once per world into one mesh under the same flattening
node (the same projection, texture and darkness as the figures'), so a frame pays one more draw of a
static mesh. Buildings, walls, hulls and the like do not: a shadow of theirs would have to darken the
figures standing in it too (a planar shadow darkens the ground only).

Limits: shadows fall on the ground plane (the interior floor) only, not up walls or onto set
pieces; the big kit pieces and a user's location model cast none (their light is baked). The control passes
never show shadows (render.py hides them). Only called on the Panda thread, except the pure maths.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import geom
from .scene import OVERCAST, World

SQUASH = 0.01   # the flattened caster keeps 1/100 of its height: at 1/1000 Panda drew nothing (measured)
MIN_ELEVATION = math.radians(8.0)   # a sun lower than this would throw a shadow across the whole set
INTERIOR_FILL = 0.45     # indoors the bounce fills this share of the shadow back up
LIGHTEST = 0.65          # outdoors a shadow takes at least this much off the floor's light (a low sun's reads)
CONTACT_ALPHA = 0.5      # the contact shadow's darkening at its centre
CONTACT_RADIUS = (0.36, 0.28)   # metres across and along the body, for a 1.75 m figure
# The kit's pieces (dressing.py's box tags) that stand free on the ground, small enough that their
# shadow never needs to fall on a figure standing inside it.
FREE_STANDING = frozenset({
    "crate", "lamp", "pole", "bench", "bollard", "bin", "trunk", "canopy", "bush", "rock", "log", "car", "fence",
    "hay_bale", "scrub", "driftwood", "umbrella", "vent", "ac_unit", "chair", "table", "desk", "stool", "sofa",
    "bed"})
MIN_PROP_SIZE = 0.12     # props smaller than this (a key, a letter in the hand) cast nothing visible


@dataclass(frozen=True)
class CastLight:
    direction: np.ndarray    # engine world, unit, toward the light (the DirectionalLight's aim reversed)
    darkness: float          # shadowed floor / lit floor (0 black .. 1 no shadow)

    @property
    def elevation(self) -> float:
        return math.asin(max(-1.0, min(1.0, float(self.direction[1]))))

    def length(self, height: float) -> float:
        """How far along the ground the shadow of the top of something `height` metres tall falls."""
        return height / math.tan(self.elevation)

    def away(self) -> np.ndarray:
        """The unit ground direction (x, 0, z) the shadows fall toward (away from the light)."""
        d = np.array([-self.direction[0], 0.0, -self.direction[2]])
        return d / max(1e-9, float(np.linalg.norm(d)))


def cast_light(world: World) -> CastLight | None:
    """The light that casts the set's shadows, or None (outside at night or under an overcast sky:
    rain, snow, fog; contact shadows only)."""
    light = world.figure_light or world.light
    interior = bool(world.info.get("interior", False))
    if not interior and (light.name == "night" or world.weather in OVERCAST):
        return None
    d = np.asarray(light.sun, float)
    d = d / np.linalg.norm(d)
    if d[1] < math.sin(MIN_ELEVATION):
        flat = np.array([d[0], 0.0, d[2]]) / max(1e-9, math.hypot(d[0], d[2]))
        d = flat * math.cos(MIN_ELEVATION) + np.array([0.0, math.sin(MIN_ELEVATION), 0.0])
    # the floor in the set's light with (up) and without (a normal the light cannot reach) the direct light
    lit = float(world.light.shade(np.ones(3), np.array([[0.0, 1.0, 0.0]]))[0, 0])
    unlit = float(world.light.shade(np.ones(3), -d[None, :])[0, 0])
    k = unlit / max(1e-9, lit)
    if interior:
        k += (1.0 - k) * INTERIOR_FILL
    else:
        # by the set's Lambert a low sun's shadow is faint (0.73 at dawn, 0.78 at dusk), but the sky
        # fill is dim then too: a DP sees long, clear shadows at golden hour
        k = min(k, LIGHTEST)
    return CastLight(d, float(np.clip(k, 0.0, 1.0)))


def flatten_matrix(direction) -> np.ndarray:
    """The 4x4 (Panda row-vector convention, Panda axes: z up) that moves every point along the
    light's direction down to the ground plane z = 0 (keeping SQUASH of its height)."""
    lx, ly, lz = float(direction[0]), float(direction[2]), float(direction[1])   # engine -> Panda axes
    return np.array([[1.0, 0.0, 0.0, 0.0],
                     [0.0, 1.0, 0.0, 0.0],
                     [-lx / lz, -ly / lz, SQUASH, 0.0],
                     [0.0, 0.0, 0.0, 1.0]])


def _panda_mat(m: np.ndarray):
    from panda3d.core import LMatrix4f
    return LMatrix4f(*(float(v) for v in m.reshape(-1)))


class GroundShadows:
    """The shadow nodes of one scene under `parent`: cast shadows (instances) and contact discs."""

    def __init__(self, parent, world: World, set_node, light: CastLight | None):
        from panda3d.core import NodePath, TexGenAttrib, TextureStage, TransformState, TransparencyAttrib
        self.root = parent.attachNewNode("shadows")
        self.light = light
        self.cast = None
        self.pieces = None       # the kit's free-standing pieces' shadow (one static mesh)
        self.casters: list = []
        if light is not None:
            self.cast = self.root.attachNewNode("cast")
            self.cast.setMat(_panda_mat(flatten_matrix(light.direction)))
            top = 1000  # over anything a caster's own nodes set (materials, textures, bins, model states)
            self.cast.setLightOff(top)
            self.cast.setMaterialOff(top)
            self.cast.setShaderOff(top)
            self.cast.setColorScaleOff(top)
            self.cast.setTransparency(TransparencyAttrib.MNone, top)
            self.cast.setBin("background", 100000, top)   # after every ground layer (sets.set_node), before the rest
            self.cast.setDepthTest(False, top)
            self.cast.setDepthWrite(False, top)
            k = light.darkness
            gt = world.ground_texture
            tex = set_node.findTexture("ground") if gt is not None else None
            if tex is not None:
                h, w = gt.image.shape[:2]
                sx, sz = gt.ppm / w, gt.ppm / h      # texture u, v per metre (sets.set_node's quad: 0..1)
                ts = TextureStage.getDefault()
                self.cast.setTextureOff(top)
                self.cast.setTexture(ts, tex, top + 1)
                self.cast.setTexGen(ts, TexGenAttrib.MWorldPosition, top + 1)
                self.cast.setTexTransform(ts, TransformState.makeMat(_panda_mat(np.array(
                    [[sx, 0, 0, 0], [0, sz, 0, 0], [0, 0, 0, 0], [-gt.x0 * sx, -gt.z0 * sz, 0, 1]], float))))
                self.cast.setColor(k, k, k, 1, top)
            else:   # a plain ground: its one colour, darkened
                g = np.clip(np.asarray(world.ground_colour, float)[::-1] / 255.0 * k, 0, 1)
                self.cast.setTextureOff(top)
                self.cast.setColor(float(g[0]), float(g[1]), float(g[2]), 1, top)
            pieces = set_piece_caster(world)
            if pieces is not None:   # static: built once, never part of rebuild()
                self.pieces = self.cast.attachNewNode(pieces)
                self.pieces.setTwoSided(True, top)
        disc, disc_texture = _contact_disc()
        self.contact_proto = NodePath(disc)
        self.contacts = self.root.attachNewNode("contact")
        self.contacts.setLightOff(1)
        self.contacts.setTexture(disc_texture, 1)
        self.contacts.setTwoSided(True)
        self.contacts.setTransparency(TransparencyAttrib.MAlpha)
        self.contacts.setDepthWrite(False)
        self.contacts.setDepthOffset(1)
        # Drawn in scene-graph order after the set and the actors (render._Scene attaches this last):
        # depth-tested, so a foot covers it and it lies on a stair tread too.
        self.contacts.setBin("unsorted", 0)
        self.contact_nodes: list = []

    def rebuild(self, figures: list, stools: list, props: list) -> None:
        """Instance the casters (again, for a new cast); one contact disc per figure."""
        for node in self.casters:
            node.removeNode()
        for node in self.contact_nodes:
            node.removeNode()
        self.casters = []
        self.contact_nodes = [self.contact_proto.copyTo(self.contacts) for _ in figures]
        if self.cast is None:
            return
        for m in figures:
            holder = self.cast.attachNewNode("figure")
            for node in _body_parts(m):
                node.instanceTo(holder)
            if not hasattr(m, "parts"):
                holder.setTwoSided(True, 1001)   # a user's model may be one-sided: either face makes the shadow
            self.casters.append(holder)
        for stool in stools:
            if stool is not None:
                self.casters.append(stool.instanceTo(self.cast))
        for node, p in props:
            if max(float(v) for v in p["dims"]) < MIN_PROP_SIZE:
                continue
            inst = node.instanceTo(self.cast)
            if p.get("model"):
                inst.setTwoSided(True, 1001)
            self.casters.append(inst)

    def place_contact(self, k: int, f) -> None:
        """Figure k's contact disc under its feet (and on the tread it stands on)."""
        s = f.height / 1.75
        disc = self.contact_nodes[k]
        disc.setPos(f.x, f.z, f.y + 0.004)
        disc.setScale(CONTACT_RADIUS[0] * s, CONTACT_RADIUS[1] * s, 1.0)
        disc.setH(-f.heading)

    def hide(self) -> None:
        self.root.hide()

    def show(self) -> None:
        self.root.show()


def set_piece_caster(world: World):
    """One GeomNode of the world's FREE_STANDING boxes (engine geometry: flattened by the cast node
    like every caster), or None when the set has none."""
    tags = world.box_tags
    keep = np.array([t in FREE_STANDING for t in tags], bool) if len(tags) == len(world.box_centres) else None
    if keep is None or not keep.any():
        return None
    quads, normals = geom.box_quads(world.box_centres[keep], world.box_axes[keep], world.box_half[keep])
    return geom.quads_mesh("set-piece-casters", quads, np.full((len(quads), 3), 255.0), normals)


def _body_parts(m) -> list:
    """The nodes a figure's shadow is made of: a mannequin's limbs, knees, hands, feet, trunk, head and
    garments (eyes, brows, nose, ears, mouth, hair and the shoulder and elbow balls fall inside that
    outline: about 20 of 35-40 parts, the same shadow); a user's model whole."""
    parts = getattr(m, "parts", None)
    if not parts:
        return [m.root]
    out = []
    for node, kind, spec in parts:
        if kind in ("brow", "mouth"):
            continue
        if kind == "ball" and not spec[0].endswith("knee"):   # shoulder and elbow balls: inside the limbs' outline
            continue
        if kind == "head" and max(spec[1]) < 0.1:   # face features and hair (half sizes, metres): inside the head's
            continue
        out.append(node)
    return out


def _contact_disc():
    """A unit disc on the ground (Panda axes): black, CONTACT_ALPHA at the centre fading to clear at the
    rim, as ONE textured triangle round it. tinydisplay rasterizes a shared edge into both triangles,
    so a blended mesh of many triangles shows its edges as dark dots (seen); one triangle has none."""
    from panda3d.core import SamplerState, Texture
    n = 128                                   # the texture spans -2..2: the disc fills its middle half
    c = (np.arange(n) + 0.5) / n * 4.0 - 2.0
    r = np.hypot(c[None, :], c[:, None])
    alpha = np.rint(255 * CONTACT_ALPHA * np.clip(1.0 - r, 0.0, 1.0) ** 1.5).astype(np.uint8)
    bgra = np.zeros((n, n, 4), np.uint8)
    bgra[..., 3] = alpha
    tex = Texture("contact-shadow")
    tex.setup2dTexture(n, n, Texture.T_unsigned_byte, Texture.F_rgba)
    tex.setRamImage(bgra.tobytes())
    tex.setMinfilter(SamplerState.FT_linear_mipmap_linear)
    tex.setMagfilter(SamplerState.FT_linear)
    tex.setWrapU(SamplerState.WM_clamp)
    tex.setWrapV(SamplerState.WM_clamp)
    pts = np.array([[0.0, 2.0, 0.0], [-math.sqrt(3.0), -1.0, 0.0], [math.sqrt(3.0), -1.0, 0.0]])  # incircle: r = 1
    uv = pts[:, :2] / 4.0 + 0.5
    node = geom.mesh("contact", pts, np.tile([0.0, 0.0, 1.0], (3, 1)), np.full((3, 3), 255.0), np.array([[0, 2, 1]]),
                     uv=uv, panda_axes=True)
    return node, tex
