"""The parametric mannequin as Panda3D geometry, posed every frame from rig.skeleton.

Built once per figure from its Look (height, build, age, garments, colours): round limbs (unit
cylinders with spheres at the joints, so they stay round when stretched), hands, shoes, a torso and
pelvis of ellipsoids, and a head with eyes (white and pupil), brows, nose, mouth and hair that read
at CU and ECU. Garments: coat (a skirt to the knee), dress (a skirt from the waist), suit (jacket and
trousers of one colour), hat (crown and brim). Per frame `pose(state)` only sets matrices.

A character's own model (Look.model) stands in for the mannequin (`figure_model`): a skinned humanoid
whose bones map onto the rig (retarget.match) is a PosedModel, its joints posed from the same
rig.skeleton every frame (walk, sit, kneel, gestures, head turns; not the face: no mouth or brows);
anything else a RigidModel, travelling and turning with the figure unposed.

Only called on the Panda thread.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import geom
from .rig import TOE, skeleton

SKIN = (214, 184, 152)
HAIR = (62, 46, 36)
SHOE = (44, 38, 34)
EYE_WHITE = (232, 222, 206)
PUPIL = (26, 22, 20)
LIP = (204, 150, 132)
MOUTH_IN = (60, 20, 22)


def hex_rgb(text: str, default=(192, 80, 77)) -> tuple[int, int, int]:
    t = (text or "").strip().lstrip("#")
    if len(t) == 3:
        t = "".join(c * 2 for c in t)
    try:
        return int(t[0:2], 16), int(t[2:4], 16), int(t[4:6], 16)
    except (ValueError, IndexError):
        return default


@dataclass(frozen=True)
class Look:
    """How a figure is dressed and built (from the bible or the shot plan)."""
    colour: tuple[int, int, int] = (192, 80, 77)     # the main garment (shirt, coat, dress)
    lower: tuple[int, int, int] | None = None        # trousers (None: from the main colour)
    build: str = "average"                           # slim, average, heavy
    age: str = "adult"                               # child, young, adult, old
    garments: tuple[str, ...] = ()                   # coat, dress, suit, hat, ...
    hat_colour: tuple[int, int, int] | None = None
    hair: tuple[int, int, int] = HAIR
    model: str = ""                                  # a user's .glb instead of the mannequin (assets.py)

    def trousers(self) -> tuple[int, int, int]:
        if self.lower is not None:
            return self.lower
        if "suit" in self.garments:
            return self.colour
        r, g, b = self.colour
        return int(r * 0.45 + 25), int(g * 0.45 + 25), int(b * 0.45 + 25)


@dataclass
class _Part:
    node: object
    kind: str          # 'limb' (a, b, radius) or 'blob' (centre + axes scale)
    spec: tuple = field(default_factory=tuple)


class Mannequin:
    """One figure's node tree under `parent`; `pose(state)` moves it."""

    def __init__(self, parent, look: Look, name: str = ""):
        from panda3d.core import NodePath
        self.root = parent.attachNewNode(f"figure-{name}")
        self.look = look
        self.parts: list[tuple[object, str, tuple]] = []
        girth = {"slim": 0.86, "heavy": 1.22}.get(look.build, 1.0)
        self.girth = girth
        shirt, trousers = look.colour, look.trousers()
        grey = look.age == "old"
        hair = (178, 176, 172) if grey else look.hair
        cyl, sph = geom.cylinder("cyl", (255, 255, 255), 12), geom.sphere("sph", (255, 255, 255), 8, 14)
        self._cyl, self._sph = NodePath(cyl), NodePath(sph)
        self._taper = NodePath(geom.cylinder("trunk", (255, 255, 255), 16, taper=1.35))
        self._flare = NodePath(geom.cylinder("skirt", (255, 255, 255), 16, taper=1.45, lined=True))
        small = NodePath(geom.sphere("sph-small", (255, 255, 255), 5, 8))  # eyes, brows, lips: a few pixels

        def add(kind, proto, colour, spec):
            np_ = proto.copyTo(self.root)
            np_.setMaterial(_material(colour, glow=colour in (SKIN, LIP)), 1)
            self.parts.append((np_, kind, spec))

        r = 0.052 * girth
        for s in ("r", "l"):
            add("limb", self._cyl, trousers, (f"{s}_hip", f"{s}_knee", 0.068 * girth, 0.056 * girth))
            add("limb", self._cyl, trousers, (f"{s}_knee", f"{s}_ankle", 0.054 * girth, 0.042 * girth))
            add("ball", self._sph, trousers, (f"{s}_knee", 0.055 * girth))
            add("foot", self._sph, SHOE, (f"{s}_ankle", f"{s}_toe"))
            add("limb", self._cyl, shirt, (f"{s}_shoulder", f"{s}_elbow", r, r * 0.85))
            add("ball", self._sph, shirt, (f"{s}_shoulder", r * 1.12))
            add("ball", self._sph, shirt, (f"{s}_elbow", r * 0.86))
            add("limb", self._cyl, shirt, (f"{s}_elbow", f"{s}_wrist", r * 0.84, r * 0.7))
            add("hand", self._sph, SKIN, (f"{s}_wrist", f"{s}_hand"))
        # the trunk: a tapered cylinder from the waist (narrow) to the chest (wide), capped by a
        # flattened ball that rounds the shoulders into the arms
        add("trunk", self._taper, shirt, (0.145 * girth, 0.1 * girth))
        add("torso", self._sph, shirt, ("shoulders", 0.205 * girth, 0.115 * girth, 0.075))
        add("torso", self._sph, trousers, ("pelvis", 0.165 * girth, 0.11 * girth, 0.13))
        add("limb", self._cyl, SKIN, ("neck", "head", 0.045, 0.045))
        if "coat" in look.garments:
            add("skirt", self._flare, shirt, ("pelvis", 0.13 * girth, 0.175 * girth, 0.55))
        if "dress" in look.garments:
            add("skirt", self._flare, shirt, ("pelvis", 0.12 * girth, 0.165 * girth, 0.5))
        # the head and face, in the head's own frame (right, forward, up)
        add("head", self._sph, SKIN, ((0, 0, 0), (0.083, 0.098, 0.113)))
        add("head", self._sph, hair, ((0, -0.022, 0.046), (0.087, 0.095, 0.083)))
        for side in (1, -1):
            add("head", small, EYE_WHITE, ((side * 0.034, 0.072, 0.022), (0.016, 0.012, 0.011)))
            add("head", small, PUPIL, ((side * 0.034, 0.083, 0.022), (0.0075, 0.006, 0.0075)))
            add("brow", small, tuple(int(0.7 * h + 0.3 * k) for h, k in zip(hair, SKIN)), (side, 0.052))
            add("head", self._sph, SKIN, ((side * 0.085, -0.004, 0.0), (0.012, 0.022, 0.03)))   # ears
        add("head", self._sph, SKIN, ((0, 0.098, -0.004), (0.014, 0.024, 0.026)))   # nose
        add("mouth", small, MOUTH_IN, ())
        add("head", small, LIP, ((0, 0.083, -0.05), (0.026, 0.012, 0.005)))
        if "hat" in look.garments:
            hat = look.hat_colour or tuple(int(c * 0.5) for c in shirt)
            add("head", self._sph, hat, ((0, -0.005, 0.075), (0.16, 0.16, 0.012)))
            add("head", self._sph, hat, ((0, -0.005, 0.1), (0.09, 0.1, 0.06)))
        self._last: tuple = (None, None)

    def pose(self, state) -> dict:
        if state == self._last[0]:  # a figure holding still costs nothing (states are frozen values)
            return self._last[1]
        j = self._pose(state)
        self._last = (state, j)
        return j

    def _pose(self, state) -> dict:
        from panda3d.core import LMatrix4f
        j = skeleton(state)
        k = state.height / 1.75
        fwd_p = geom.swap(j["head_fwd"])
        right_p = geom.swap(j["head_right"])
        up_p = geom.swap(j["head_up"])
        head_p = geom.swap(j["head"])
        h = math.radians(state.heading)
        body_f = geom.swap(np.array([math.sin(h), 0.0, math.cos(h)]))
        body_r = geom.swap(np.array([math.cos(h), 0.0, -math.sin(h)]))
        body_u = np.array([0.0, 0.0, 1.0])
        if getattr(state, "fall", 0.0) > 0:   # a falling body's frame tips with it (rig._fall)
            body_f, body_u = geom.swap(j["body_fwd"]), geom.swap(j["body_up"])
        mouth = float(getattr(state, "mouth", 0.0))
        expression = getattr(state, "expression", "neutral") or "neutral"

        def mat(xa, ya, za, origin):
            return LMatrix4f(xa[0], xa[1], xa[2], 0, ya[0], ya[1], ya[2], 0, za[0], za[1], za[2], 0,
                             origin[0], origin[1], origin[2], 1)

        def in_head(offset, scale):
            o = head_p + (right_p * offset[0] + fwd_p * offset[1] + up_p * offset[2]) * k
            return mat(right_p * scale[0] * k, fwd_p * scale[1] * k, up_p * scale[2] * k, o)

        for node, kind, spec in self.parts:
            if kind == "limb":
                a, b = geom.swap(j[spec[0]]), geom.swap(j[spec[1]])
                axis = b - a
                ref = body_r if abs(float(np.dot(_unit(axis), body_r))) < 0.9 else body_f
                x = _unit(_cross(axis, ref))
                z = _unit(_cross(x, axis))
                node.setMat(mat(x * spec[2] * k, axis, z * spec[2] * k, a))
                # taper: the unit cylinder's top radius is 1; approximate with the mean radius
            elif kind == "ball":
                c = geom.swap(j[spec[0]])
                s = spec[1] * k
                node.setMat(mat(body_r * s, body_f * s, body_u * s, c))
            elif kind == "foot":
                a, b = geom.swap(j[spec[0]]), geom.swap(j[spec[1]])
                f = _unit(np.array([b[0] - a[0], b[1] - a[1], 0.0]))
                u = body_u
                if getattr(state, "fall", 0.0) <= 0:
                    # the shoe pitches with the foot (rig.heel_off: up on the ball), level when flat
                    d = b - a
                    p = math.atan2(float(d[2]), float(np.hypot(d[0], d[1]))) - math.atan2(TOE[1], TOE[0])
                    f, u = f * math.cos(p) + body_u * math.sin(p), body_u * math.cos(p) - f * math.sin(p)
                c = a * 0.45 + b * 0.55 - u * 0.015 * k
                rr = _unit(_cross(f, u))
                node.setMat(mat(rr * 0.05 * k, f * 0.13 * k, u * 0.045 * k, c))
            elif kind == "hand":
                a, b = geom.swap(j[spec[0]]), geom.swap(j[spec[1]])
                d = _unit(b - a)
                x = _unit(_cross(d, body_u if abs(d[2]) < 0.9 else body_f))
                z = _unit(_cross(x, d))
                node.setMat(mat(x * 0.028 * k, d * 0.06 * k, z * 0.045 * k, (a + b) / 2))
            elif kind == "trunk":
                waist = geom.swap(j["pelvis"]) + np.array([0, 0, 0.05 * k])
                top = geom.swap(j["neck"]) - np.array([0, 0, 0.05 * k])
                axis = top - waist
                side = _unit(body_r - axis * float(np.dot(body_r, axis)) / max(1e-9, float(np.dot(axis, axis))))
                depth = _unit(_cross(side, axis))
                node.setMat(mat(side * spec[0] * k, axis, depth * spec[1] * k, waist))
            elif kind == "torso" and spec[0] == "shoulders":
                top = geom.swap(j["neck"]) - np.array([0, 0, 0.07 * k])
                node.setMat(mat(body_r * spec[1] * k, body_f * spec[2] * k, body_u * spec[3] * k, top))
            elif kind == "torso":
                c = geom.swap(j[spec[0]])
                if spec[0] == "chest":
                    top = geom.swap(j["neck"])
                    pel = geom.swap(j["pelvis"])
                    axis = _unit(top - pel)
                    c = (top + pel) / 2 + axis * 0.03 * k
                    node.setMat(mat(body_r * spec[1] * k, _unit(_cross(axis, body_r)) * spec[2] * k,
                                    axis * spec[3] * k, c))
                else:
                    node.setMat(mat(body_r * spec[1] * k, body_f * spec[2] * k, body_u * spec[3] * k,
                                    c + np.array([0, 0, 0.02 * k])))
            elif kind == "skirt":
                top = geom.swap(j["pelvis"]) + np.array([0, 0, 0.12 * k])
                length = spec[3] * k
                node.setMat(mat(body_r * spec[2] * k, body_u * -length, body_f * spec[1] * 1.0 * k, top))
            elif kind == "head":
                node.setMat(in_head(spec[0], spec[1]))
            elif kind == "brow":
                side, height = spec
                tilt = {"frown": -0.012, "fear": 0.012, "surprise": 0.016}.get(expression, 0.0)
                node.setMat(in_head((side * 0.035, 0.078, height + tilt), (0.02, 0.008, 0.005)))
            elif kind == "mouth":
                wide = 0.024 + (0.006 if expression == "smile" else 0.0)
                node.setMat(in_head((0, 0.081, -0.052 - 0.006 * mouth), (wide, 0.012, 0.003 + 0.014 * mouth)))
        return j


_MATERIALS: dict = {}


def _material(colour, glow: bool = False):
    """A Material per colour (the lit colour comes from it; a plain vertex colour would be
    multiplied in a second time by the fixed-function pipeline). `glow`: skin keeps half its
    colour as emission, so a face is lit softly (as a key light and bounce would) and its features
    read against one even tone instead of a shaded ball."""
    hit = _MATERIALS.get((colour, glow))
    if hit is None:
        from panda3d.core import Material
        hit = Material(f"c{colour}{'g' if glow else ''}")
        c = (colour[0] / 255, colour[1] / 255, colour[2] / 255, 1.0)
        k = 0.55 if glow else 1.0
        hit.setAmbient((c[0] * k, c[1] * k, c[2] * k, 1.0))
        hit.setDiffuse((c[0] * k, c[1] * k, c[2] * k, 1.0))
        if glow:
            hit.setEmission((c[0] * 0.5, c[1] * 0.5, c[2] * 0.5, 1.0))
        if len(_MATERIALS) > 512:
            _MATERIALS.clear()
        _MATERIALS[(colour, glow)] = hit
    return hit


def figure_model(parent, look: Look, name: str, height: float):
    """A user's model for a figure: posed by the motion library when its skeleton maps onto the rig
    (retarget.match), else placed rigidly."""
    from .assets import check_glb
    from .retarget import match
    hit = match(check_glb(look.model))
    if hit.compatible:
        return PosedModel(parent, look, name, height, hit.bones)
    return RigidModel(parent, look, name, height)


class PosedModel:
    """A user's skinned humanoid posed every frame from the rig's joints (retarget.Retarget): its
    mapped joints are frozen to the solved local transforms and Panda skins the mesh (on the CPU
    under p3tinydisplay). The rig's joints still drive the pose pass and props, as for the mannequin."""

    def __init__(self, parent, look: Look, name: str, height: float, bones: dict):
        from panda3d.core import CharacterJoint
        from ..errors import EngineError, ErrorKind
        from .assets import load_posable
        from .figures import FigureState
        from .retarget import CORE, Retarget, readable
        self.root, chars = load_posable(look.model, height, parent, f"model-{name}")
        self.look = look
        self.char = next((c for c in chars if c.node().findJoint(bones["hips"]) is not None), None)
        if self.char is None:
            raise EngineError(ErrorKind.BAD_INPUT, f"{look.model}: its skeleton's joints did not load")
        self.bundle = self.char.node().getBundle(0)
        self.joints: list = []
        table: list[tuple[str, int, np.ndarray]] = []

        def walk(part, parent_index):
            for child in part.getChildren():
                index = parent_index
                if isinstance(child, CharacterJoint):
                    index = len(table)
                    table.append((child.getName(), parent_index, _numpy(child.getDefaultValue())))
                    self.joints.append(child)
                walk(child, index)
        walk(self.bundle, -1)
        lost = [readable(r) for r in CORE if bones[r] not in {n for n, _, _ in table}]
        if lost:
            raise EngineError(ErrorKind.BAD_INPUT, f"{look.model}: the loader lost its {', '.join(lost)} bones")
        to_world = _numpy(self.char.getMat(parent))
        self._parent = parent
        self.retarget = Retarget(table, bones, to_world, 0.0, skeleton(FigureState(name, height=height)))
        self._to_char = np.linalg.inv(to_world)
        self._last: tuple = (None, None)

    def pose(self, state) -> dict:
        if state == self._last[0]:
            return self._last[1]
        from panda3d.core import LMatrix4f, TransformState
        j = skeleton(state)
        for i, m in self.retarget.solve(j, self._to_char).items():
            self.joints[i].applyFreeze(TransformState.makeMat(LMatrix4f(*m.T.ravel())))
        self.bundle.forceUpdate()
        self._last = (state, j)
        return j

    def bone_positions(self) -> dict[str, np.ndarray]:
        """Each joint's posed position in engine world metres (Y up), read back from Panda."""
        from panda3d.core import LMatrix4f
        char = _numpy(self.char.getMat(self._parent))
        out = {}
        for joint in self.joints:
            m = LMatrix4f()
            joint.getNetTransform(m)
            out[joint.getName()] = geom.swap((char @ _numpy(m))[:3, 3])
        return out


def _numpy(m) -> np.ndarray:
    """A Panda matrix (row vectors) as a 4x4 for column vectors."""
    return np.array([[m.getCell(r, c) for c in range(4)] for r in range(4)], np.float64).T


class RigidModel:
    """A user's model standing in for a figure when it has no skeleton the rig maps onto: it travels
    and turns with the figure's state, unposed; the rig's joints still drive the pose pass and props."""

    def __init__(self, parent, look: Look, name: str, height: float):
        from .assets import load_model
        self.root = load_model(look.model, height, parent, f"model-{name}")
        self.look = look

    def pose(self, state) -> dict:
        self.root.setPos(state.x, state.z, getattr(state, "y", 0.0))
        # a glTF asset's front faces its +Z, which the loader turns to Panda's -Y; heading 0 faces +Y
        self.root.setH(180.0 - state.heading)
        return skeleton(state)


def _unit(v: np.ndarray) -> np.ndarray:
    # sqrt(v.v) is what np.linalg.norm computes for a vector (same bits), without its overhead.
    return v / max(math.sqrt(float(v.dot(v))), 1e-9)


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """np.cross of two 3-vectors by the same products and differences (same bits): np.cross costs
    ~15 us a call in axis bookkeeping, and a posed frame makes dozens of them."""
    return np.array((a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]))
