"""The prop kit: the shot plan's props as lit Panda3D geometry, each inside its framing box.

`framing.prop_dims(kind, size)` is the box the framing solver frames (an ECU of 'the parcel' frames
that box), so every prop is built to fill it: a lantern is a base, a glowing glass and a handle; cups,
bottles, candles and lamps are round; tables and chairs have legs; the rest are shaped boxes. The
node's origin is the box centre (PropMark.y is the centre height) and every prop's lowest point is the
box's bottom: it stands on whatever the layout puts it on (the floor, the table's top). Only called on the Panda thread.
"""
from __future__ import annotations

import numpy as np

from . import geom
from .framing import LAMP_ARM, LAMP_POST

LAMP_POOL = 4.5   # a prop lamp post's pool of light on the ground (m): she stands in it, the set around stays dark

ROUND = {"cup", "mug", "glass", "bottle", "candle", "barrel", "bucket", "vase", "lamp", "torch", "clock", "ball",
         "coin", "ring", "flower"}
GLOWING = {"lantern", "lamp", "candle", "torch"}
DEFAULT_COLOURS = {"lantern": (70, 74, 60), "letter": (236, 230, 212), "envelope": (230, 220, 196),
                   "parcel": (176, 136, 92), "package": (176, 136, 92), "box": (176, 136, 92), "book": (120, 40, 36),
                   "table": (132, 104, 78), "desk": (120, 96, 72), "chair": (110, 86, 64), "car": (120, 124, 132),
                   "phone": (30, 30, 34), "cup": (226, 224, 216), "mug": (200, 196, 186), "bottle": (40, 96, 54),
                   "gun": (36, 36, 40), "knife": (170, 172, 176), "key": (190, 160, 70), "bag": (96, 70, 50),
                   "suitcase": (100, 62, 40), "crate": (150, 120, 80), "newspaper": (214, 212, 204)}


def _box(parent, centre, size, colour, material):
    node = parent.attachNewNode(geom.quads_mesh("box", *_box_arrays(centre, size, colour)))
    node.setMaterial(material(colour), 1)
    return node


def _box_arrays(centre, size, colour):
    # White vertices: the lit colour comes from the Material alone (vertex colour x material would
    # square it in the fixed-function pipeline).
    q, n = geom.box_quads([centre], [np.eye(3)], [np.asarray(size, float) / 2])
    return q, np.full((len(q), 3), 255.0), n


def _lamp_post(root, h: float, lamps_on: bool, material) -> None:
    """The set kit's lamp post (dressing.lamp_post, the one drawing of it), its arm along the node's
    +Z, lit like the other props; its bulb glows when lit and its light is `practical(root)`."""
    from .dressing import lamp_post
    from .scene import LAMP_OFF, SetBuilder, light_for
    b = SetBuilder(light_for("night", False), 1.0 if lamps_on else 0.0)
    lamp_post(b, 0.0, 0.0, (0.0, LAMP_ARM), height=h, radius=LAMP_POOL)
    lift = np.array([0.0, h / 2, 0.0])       # the post's foot at the box's bottom
    for k, (centre, axes, half, bgr) in enumerate(b.boxes):
        q, n = geom.box_quads([centre - lift], [axes], [half])
        part = root.attachNewNode(geom.quads_mesh(f"post{k}", q, np.full((len(q), 3), 255.0), n))
        part.setMaterial(material(tuple(int(v) for v in bgr[::-1])), 1)
    quads = np.array([d[0] for d in b.decals]) - lift
    colours = np.array([d[1][::-1] for d in b.decals]) if lamps_on else np.full((len(quads), 3), 255.0)
    bulb = root.attachNewNode(geom.quads_mesh("bulb", quads, colours, np.array([d[2] for d in b.decals])))
    if lamps_on:
        bulb.setLightOff(2)                                                   # it glows: unlit, bright
    else:
        bulb.setMaterial(material(LAMP_OFF), 1)
    (x, z, radius, bgr), = b.pools
    head = np.array([x, h - 0.3, z]) - lift
    root.setPythonTag("practical", (tuple(float(v) for v in head), float(radius), tuple(float(v) for v in bgr[::-1])))


def practical(node):
    """A lit prop's light: (head position in the node, engine axes; pool radius m; RGB), or None."""
    return node.getPythonTag("practical") if node.hasPythonTag("practical") else None


def pool_node(parent, centre, radius: float, colour, strength: float):
    """A practical's pool of light on the ground round `centre` (engine x, z): a disc blended over the
    floor with the set's own falloff (scene.pool_falloff), drawn after the floor and under all else."""
    from panda3d.core import TransparencyAttrib
    from .scene import pool_falloff
    rings, segs = 12, 32
    r = np.linspace(0.0, radius, rings + 1)
    a = np.linspace(0.0, 2 * np.pi, segs, endpoint=False)
    pts = np.array([[centre[0] + rr * np.cos(t), 0.004, centre[1] + rr * np.sin(t)] for rr in r for t in a])
    alpha = np.clip(pool_falloff((r / radius) ** 2) * 0.55 * strength, 0.0, 1.0)
    cols = np.array([[*(np.asarray(colour) / 255.0), alpha[i]] for i in range(rings + 1) for _ in a])
    tris = []
    for i in range(rings):
        for j in range(segs):
            p0, p1 = i * segs + j, i * segs + (j + 1) % segs
            tris += [(p0, p1, p1 + segs), (p0, p1 + segs, p0 + segs)]
    tris = np.array(tris)
    normals = np.tile([0.0, 1.0, 0.0], (len(pts), 1))
    tris = geom.oriented(pts, tris, np.tile([0.0, 1.0, 0.0], (len(tris), 1)))
    node = parent.attachNewNode(geom.mesh("pool", pts, normals, cols, tris))
    node.setTwoSided(True)
    node.setTransparency(TransparencyAttrib.M_alpha)
    node.setLightOff(1)
    node.setBin("background", 900)
    node.setDepthWrite(False)
    node.setDepthTest(False)
    return node


def prop_node(parent, kind: str, colour, dims, lamps_on: bool, material):
    """The prop's node under `parent` (origin at its box centre; engine axes inside geom)."""
    from panda3d.core import NodePath
    root = parent.attachNewNode(f"prop-{kind}")
    w, h, d = (float(v) for v in dims)
    c = tuple(int(v) for v in colour)
    if kind == "lantern":
        # A frame of the lantern's colour (base, cap, four posts) round a glass that glows when lit.
        _box(root, (0, -h * 0.4, 0), (w, h * 0.2, d), c, material)
        _box(root, (0, h * 0.33, 0), (w * 0.92, h * 0.18, d * 0.92), c, material)
        for sx in (-1, 1):
            for sz in (-1, 1):
                _box(root, (sx * w * 0.36, -h * 0.04, sz * d * 0.36), (w * 0.16, h * 0.56, d * 0.16), c, material)
        glow = tuple(int(0.6 * g + 0.4 * v) for g, v in zip((255, 214, 130), c)) if lamps_on else (200, 204, 196)
        glass = root.attachNewNode(geom.sphere("glass", glow if lamps_on else (255, 255, 255), 6, 10))
        glass.setScale(w * 0.33, d * 0.33, h * 0.27)
        glass.setPos(0, 0, -h * 0.04)
        if lamps_on:
            glass.setLightOff(2)                                              # it glows: unlit, bright
        else:
            glass.setMaterial(material(glow), 1)
        handle = root.attachNewNode(geom.cylinder("handle", (255, 255, 255), 6))
        handle.setScale(w * 0.06, h * 0.1, w * 0.06)
        handle.setPos(0, 0, h * 0.42)
        handle.setP(90)
        handle.setMaterial(material(c), 1)
    elif kind == "lamp" and h >= LAMP_POST - 0.01:
        _lamp_post(root, h, lamps_on, material)
    elif kind == "lamp" and h > 1.0:
        # a standing lamp (framing.FLOOR_LAMP): a foot, a thin pole, a shade glowing when lit
        _box(root, (0, -h / 2 + 0.015, 0), (w * 0.8, 0.03, d * 0.8), c, material)
        pole = root.attachNewNode(geom.cylinder("pole", (255, 255, 255), 8))
        pole.setScale(0.02, h * 0.8, 0.02)
        pole.setP(90)
        pole.setPos(0, 0, -h / 2)
        pole.setMaterial(material(c), 1)
        glow = (255, 226, 170) if lamps_on else (226, 220, 200)
        shade = root.attachNewNode(geom.cylinder("shade", (255, 255, 255), 14, taper=0.6, lined=True))
        shade.setScale(w / 2, h * 0.22, d / 2)
        shade.setP(90)
        shade.setPos(0, 0, h / 2 - h * 0.22)
        if lamps_on:
            shade.setLightOff(2)                                              # it glows: unlit, bright
            shade.setColor(*(v / 255.0 for v in glow), 1.0, 1)
        else:
            shade.setMaterial(material(glow), 1)
    elif kind in ("table", "desk"):
        _box(root, (0, h / 2 - 0.03, 0), (w, 0.06, d), c, material)
        for sx in (-1, 1):
            for sz in (-1, 1):
                _box(root, (sx * (w / 2 - 0.06), -0.03, sz * (d / 2 - 0.06)), (0.06, h - 0.06, 0.06), c, material)
    elif kind in ("chair", "bench"):
        _box(root, (0, -h / 2 + 0.45, 0), (w, 0.06, d), c, material)
        _box(root, (0, -h / 2 + 0.75, d / 2 - 0.03), (w, 0.6, 0.05), c, material)
        for sx in (-1, 1):
            for sz in (-1, 1):
                _box(root, (sx * (w / 2 - 0.04), -h / 2 + 0.21, sz * (d / 2 - 0.04)), (0.05, 0.42, 0.05), c, material)
    elif kind in ROUND:
        body = root.attachNewNode(geom.cylinder("body", (255, 255, 255), 14, lined=True))   # open-topped: seen into, not through
        body.setScale(w / 2, h, d / 2)                 # unit cylinder: +Y (Panda) along its length
        body.setP(90)
        body.setPos(0, 0, -h / 2)
        body.setMaterial(material(c), 1)
        if kind in GLOWING:
            flame = root.attachNewNode(geom.sphere("flame", (255, 214, 130), 5, 8))
            flame.setScale(w * 0.3, d * 0.3, h * 0.12)
            flame.setPos(0, 0, h / 2 + h * 0.1)
            flame.setLightOff(2)
    elif kind == "car":
        _box(root, (0, -h * 0.21, 0), (w, h * 0.58, d), c, material)   # on its wheels' line: the box's bottom
        _box(root, (w * 0.05, h * 0.28, 0), (w * 0.55, h * 0.4, d * 0.9), tuple(int(v * 0.8) for v in c), material)
    else:
        _box(root, (0, 0, 0), (w, h, d), c, material)
        if kind in ("parcel", "package", "box"):                   # string round the parcel
            _box(root, (0, 0, 0), (w * 1.01, h * 1.01, d * 0.08), (220, 206, 170), material)
            _box(root, (0, 0, 0), (w * 0.08, h * 1.01, d * 1.01), (220, 206, 170), material)
        elif kind in ("letter", "envelope"):
            _box(root, (0, h * 0.5, -d * 0.18), (w * 0.9, h * 0.1, d * 0.05), (150, 40, 40), material)  # a seal line
    _ = NodePath
    return root
