"""The rig's motion on a user's own humanoid skeleton (pure numpy, no renderer).

Bone names: `normalise(name)` reduces a bone name of the common schemes to one key (namespace and
rig prefixes dropped, camel case and separators split, the side pulled out): Mixamo
("mixamorig:LeftForeArm" -> "l:forearm"), Blender metarig / Rigify ("DEF-upper_arm.L" -> "l:upperarm",
"spine.003"), VRM / VRoid ("LeftUpperArm", "J_Bip_L_UpperArm"), Unreal ("upperarm_l", "calf_r",
"spine_02"). `STEMS` is the one table from such keys to the rig's roles. `match(doc)` maps a glTF's
skin onto the roles; it is `compatible` when the core (hips, a spine, head, both upper arms,
forearms, thighs and shins) is there, else the note says what is missing.

Posing (`Retarget.solve`): per frame, from rig.skeleton's joints, each driven bone gets the rotation
that takes its bind-pose direction (toward the next mapped bone) onto the rig's bone direction,
composed down the chain in its parent's space; the hips take the body's frame and position (raised
or lowered by how much longer the model's legs are than the rig's, and lowered further in a stride
its legs could not reach); each leg reaches the rig's ankle by two-bone IK with the model's own
thigh and shin lengths (rig._ik), so planted feet stay planted.
Unmapped bones (fingers, twist bones, clavicles) keep their bind pose relative to their parent.
Matrices are 4x4 column-vector convention here; the Panda side (mannequin.PosedModel) transposes.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from .geom import swap
from .rig import _ik

# normalised stem -> role ("" sided stems get the side: l_upper_arm)
STEMS = {
    "hips": "hips", "pelvis": "hips", "hip": "hips",
    "neck": "neck", "neck01": "neck", "neck1": "neck",
    "head": "head",
}
SIDED = {
    "shoulder": "shoulder", "clavicle": "shoulder", "collar": "shoulder", "collarbone": "shoulder",
    "arm": "upper_arm", "upperarm": "upper_arm", "uparm": "upper_arm", "shldr": "upper_arm",
    "forearm": "forearm", "lowerarm": "forearm",
    "hand": "hand", "wrist": "hand",
    "upleg": "thigh", "upperleg": "thigh", "thigh": "thigh", "hip": "thigh",
    "leg": "shin", "lowerleg": "shin", "shin": "shin", "calf": "shin",
    "foot": "foot", "ankle": "foot",
    "toebase": "toe", "toe": "toe", "toes": "toe", "ball": "toe",
}
SPINE = re.compile(r"^(spine|abdomen|chest|upperchest|torso)(\d*)$")
# rig prefixes (dropped) and helper bones that do not deform (ignored)
PREFIXES = {"def", "j", "bip", "bip01", "bip001", "cc", "base", "armature", "skeleton", "rig", "bone", "b"}
HELPERS = {"org", "mch", "ctrl", "ik", "fk", "pole", "target", "wgt", "end", "tip", "nub", "twist", "roll"}
CORE = ("hips", "spine", "head", "l_upper_arm", "r_upper_arm", "l_forearm", "r_forearm",
        "l_thigh", "r_thigh", "l_shin", "r_shin")
ORDER = ("hips", "spine", "chest", "neck", "head") + tuple(
    f"{s}_{r}" for s in ("l", "r")
    for r in ("shoulder", "upper_arm", "forearm", "hand", "thigh", "shin", "foot", "toe"))


def normalise(name: str) -> str:
    """'side:stem' of a bone name (side 'l', 'r' or '' for the middle); '' for a helper bone."""
    s = str(name).strip().split("|")[-1].split(":")[-1]           # Armature|Hips, mixamorig:Hips
    s = re.sub(r"^mixamorig\d*_", "", s, flags=re.I)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", s)                # LeftUpLeg -> Left Up Leg
    tokens = [t for t in re.split(r"[\s_.\-]+", s.lower()) if t]
    while tokens and tokens[0] in PREFIXES:
        tokens.pop(0)
    if not tokens or any(t in HELPERS for t in tokens):
        return ""
    side = ""
    for k in (0, -1):   # the side is the first or the last word (Left Arm, upper_arm.L, J_Bip_L_...)
        if tokens[k] in ("l", "left", "r", "right"):
            side = tokens.pop(k)[0]
            break
        if tokens[k] in ("c", "m", "mid", "center", "centre"):
            tokens.pop(k)
            break
    return f"{side}:{''.join(tokens)}" if tokens else ""


def roles(names) -> dict[str, str]:
    """Role -> bone name for the bones `names` (in hierarchy order, parents first): the first bone
    of a role wins; of the spine bones the lowest is the spine, the highest the chest."""
    out: dict[str, str] = {}
    spines: list[tuple[str, int, str]] = []
    for name in names:
        key = normalise(name)
        if not key:
            continue
        side, stem = key.split(":", 1)
        if side and stem in SIDED:
            out.setdefault(f"{side}_{SIDED[stem]}", name)
        elif not side and stem in STEMS:
            out.setdefault(STEMS[stem], name)
        elif not side and SPINE.match(stem):
            m = SPINE.match(stem)
            spines.append((m.group(1), int(m.group(2) or 0), name))
    spine_n = {n: name for stem, n, name in spines if stem == "spine"}
    if "hips" not in out and 0 in spine_n and len(spine_n) > 1:
        # Blender's metarig / Rigify: spine is the hips bone, spine.004-.005 the neck, .006 the head
        out["hips"] = spine_n[0]
        for role, n in (("neck", 4), ("head", 6)):
            if role not in out and n in spine_n:
                out[role] = spine_n[n]
        spines = [s for s in spines if not (s[0] == "spine" and (s[1] == 0 or s[1] >= 4))]
    if spines:
        out["spine"] = spines[0][2]
        if len(spines) > 1:
            out["chest"] = spines[-1][2]
    return out


@dataclass(frozen=True)
class Match:
    """How a skeleton maps onto the rig's roles."""
    bones: dict = field(default_factory=dict)   # role -> bone name
    has_skin: bool = False

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(r for r in CORE if r not in self.bones)

    @property
    def compatible(self) -> bool:
        return self.has_skin and not self.missing

    def mapped(self) -> list[str]:
        """The model's bone names that are driven, in the rig's order."""
        return [self.bones[r] for r in ORDER if r in self.bones and not r.endswith(("shoulder", "toe"))]


def readable(role: str) -> str:
    side, _, rest = role.partition("_")
    if side in ("l", "r") and rest:
        return f"{'left' if side == 'l' else 'right'} {rest.replace('_', ' ')}"
    return role.replace("_", " ")


def skin_names(doc: dict) -> list[str]:
    """Bone names of a glTF's largest skin in hierarchy order (parents first), named as the loader
    names its joints (panda3d-gltf: the node's name, else 'bone<index>'). Malformed parts are skipped."""
    nodes = [n if isinstance(n, dict) else {} for n in (doc.get("nodes") or [])]

    def valid(items):
        return [int(i) for i in (items if isinstance(items, list) else [])
                if isinstance(i, int) and not isinstance(i, bool) and 0 <= i < len(nodes)]
    skins = [valid(s.get("joints")) for s in (doc.get("skins") or []) if isinstance(s, dict)]
    joints = set(max(skins, key=len, default=[]))
    children = {i: [c for c in valid(n.get("children")) if "mesh" not in nodes[c]] for i, n in enumerate(nodes)}
    has_parent = {c for i in joints for c in children[i]}   # a joint under a joint is not a root
    order: list[int] = []
    seen: set[int] = set()
    stack = sorted((i for i in joints if i not in has_parent), reverse=True)
    while stack:
        i = stack.pop()
        if i in seen:
            continue
        seen.add(i)
        if i in joints:
            order.append(i)
        stack.extend(reversed(children[i]))
    return [str(nodes[i].get("name", f"bone{i}")) for i in order]


def match(doc: dict) -> Match:
    names = skin_names(doc)
    return Match(roles(names) if names else {}, bool(names))


# -- posing ----------------------------------------------------------------------------------------

def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(math.sqrt(float(v.dot(v))), 1e-12)


def turn(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest rotation (3x3) taking unit direction a onto unit direction b."""
    c = float(np.clip(a.dot(b), -1.0, 1.0))
    axis = np.array((a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]))
    s = math.sqrt(float(axis.dot(axis)))
    if s < 1e-9:
        if c > 0:
            return np.eye(3)
        # opposite: half a turn about any axis square to a (the one nearest the x axis, fixed)
        axis = _unit(np.cross(a, np.eye(3)[int(np.argmin(np.abs(a)))]))
        return 2 * np.outer(axis, axis) - np.eye(3)
    k = axis / s
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + kx * s + kx @ kx * (1 - c)


def _frame(fwd: np.ndarray, up: np.ndarray) -> np.ndarray:
    """Orthonormal columns (right, forward, up) in Panda's right-handed Z-up sense; up is kept."""
    up = _unit(up)
    right = _unit(np.cross(fwd, up))
    return np.column_stack((right, np.cross(up, right), up))


# role -> (rig joint the bone starts at, rig joints it may point to, roles its bind direction may point
# to): the first of each that the model has (a model without a chest bone bends its spine to the neck)
SEGMENTS = {
    "spine": ("pelvis", ("chest", "neck"), ("chest", "neck", "head")),
    "chest": ("chest", ("neck",), ("neck", "head")),
    "neck": ("neck", ("head",), ("head",)),
    **{f"{s}_{r}": (f"{s}_{a}", (f"{s}_{b}",), tuple(f"{s}_{t}" for t in to)) for s in ("l", "r") for r, a, b, to in (
        ("upper_arm", "shoulder", "elbow", ("forearm", "hand")), ("forearm", "elbow", "wrist", ("hand",)),
        ("hand", "wrist", "hand", ()), ("thigh", "hip", "knee", ("shin",)), ("shin", "knee", "ankle", ("foot",)),
        ("foot", "ankle", "toe", ("toe",)))},
}


class Retarget:
    """Drives one skeleton from the rig.

    `joints`: (name, parent index or -1, bind local 4x4) in hierarchy order (parents first), in the
    model's character space; `bones`: Match.bones; `to_world`: character space -> Panda world with
    the model placed at rest (its lowest point at world height `ground`); `rest`: the rig's joints
    of the same figure standing on y = 0 (rig.skeleton), to measure how the model's legs differ."""

    def __init__(self, joints: list[tuple[str, int, np.ndarray]], bones: dict, to_world: np.ndarray,
                 ground: float, rest: dict):
        self.parents = [p for _, p, _ in joints]
        self.local0 = [np.asarray(m, np.float64) for _, _, m in joints]
        index = {n: i for i, (n, _, _) in enumerate(joints)}
        self.role_of = {index[b]: r for r, b in bones.items() if b in index}
        self.index = {r: i for i, r in self.role_of.items()}
        bind = []
        for i, m in enumerate(self.local0):
            bind.append(m if self.parents[i] < 0 else bind[self.parents[i]] @ m)
        self.bind_rot = {i: bind[i][:3, :3] for i in self.role_of}
        o = {r: bind[i][:3, 3] for r, i in self.index.items()}
        # each driven bone's bind direction in its own frame: toward the first mapped role it points
        # to, else onward along the line from its parent role (a hand continues its forearm)
        self.dirs: dict[str, np.ndarray] = {}
        self.aims: dict[str, str] = {}
        for role, (_, rig_to, to) in SEGMENTS.items():
            if role not in o:
                continue
            d = next((o[t] - o[role] for t in to if t in o), None)
            if d is None and role.endswith("_hand") and f"{role[0]}_forearm" in o:
                d = o[role] - o[f"{role[0]}_forearm"]
            if d is None or float(d.dot(d)) < 1e-12:
                continue
            self.dirs[role] = _unit(self.bind_rot[self.index[role]].T @ d)
            self.aims[role] = rig_to[0] if role != "spine" or "chest" in o else rig_to[1]
        # the model's body frame in bind pose: its right from its thighs, its up from hips to head
        self.body0 = _frame(np.cross(o["head"] - o["hips"], o["r_thigh"] - o["l_thigh"]), o["head"] - o["hips"])
        self.unit = float(np.cbrt(abs(np.linalg.det(to_world[:3, :3]))))   # metres per character unit

        def height(role):
            return float((to_world @ np.append(o[role], 1.0))[2]) - ground
        # how much higher the model's hips and ankles stand than the rig's (longer legs, thicker soles)
        self.lift = {"hips": height("hips") - float(rest["pelvis"][1])}
        self.legs: dict[str, tuple[float, float]] = {}
        self.hip_at: dict[str, np.ndarray] = {}   # each thigh's origin in the hips' frame (a rigid chain at rest)
        hips_inv = np.linalg.inv(bind[self.index["hips"]])
        for s in ("l", "r"):
            if f"{s}_foot" in o:
                self.lift[s] = height(f"{s}_foot") - float(rest[f"{s}_ankle"][1])
                self.legs[s] = (float(np.linalg.norm(o[f"{s}_shin"] - o[f"{s}_thigh"])),
                                float(np.linalg.norm(o[f"{s}_foot"] - o[f"{s}_shin"])))
                self.hip_at[s] = hips_inv @ np.append(o[f"{s}_thigh"], 1.0)

    def solve(self, j: dict, to_char: np.ndarray) -> dict[int, np.ndarray]:
        """Local 4x4 of each driven joint (by index) for the rig's joints `j` (rig.skeleton, engine
        world); `to_char`: Panda world -> the model's character space."""
        lin = to_char[:3, :3] * self.unit        # its rotation (the space is scaled uniformly)

        def point(v):
            return (to_char @ np.append(v, 1.0))[:3]
        up = swap(j["body_up"])
        targets = {r: _unit(lin @ swap(j[self.aims[r]] - j[SEGMENTS[r][0]])) for r in self.dirs}
        nets: list[np.ndarray] = []
        out: dict[int, np.ndarray] = {}
        for i, l0 in enumerate(self.local0):
            p = self.parents[i]
            parent = nets[p] if p >= 0 else np.eye(4)
            net = parent @ l0
            role = self.role_of.get(i)
            if role == "hips":
                net[:3, :3] = _frame(lin @ swap(j["body_fwd"]), lin @ up) @ self.body0.T @ self.bind_rot[i]
                net[:3, 3] = point(swap(j["pelvis"]) + up * self.lift["hips"])
                # legs shorter than the rig's stride needs: the hips come down until both feet reach
                v = lin @ up
                drop = 0.0
                for s, (a, b) in self.legs.items():
                    d = (net @ self.hip_at[s])[:3] - point(swap(j[f"{s}_ankle"]) + up * self.lift[s])
                    along = float(d.dot(v))
                    across = float(d.dot(d)) - along * along
                    reach = (a + b) * 0.999
                    if along * along + across > reach * reach and across < reach * reach:
                        drop = max(drop, along - math.sqrt(reach * reach - across))
                net[:3, 3] -= v * drop
            elif role == "head":
                head = _frame(lin @ swap(j["head_fwd"]), lin @ swap(j["head_up"]))
                net[:3, :3] = head @ self.body0.T @ self.bind_rot[i]
            elif role in ("l_thigh", "r_thigh") and role[0] in self.legs and role in self.dirs \
                    and f"{role[0]}_shin" in self.dirs:
                # the leg reaches the rig's ankle (lifted as the model's own ankle stands) by IK
                s = role[0]
                hip = net[:3, 3]
                ankle = point(swap(j[f"{s}_ankle"]) + up * self.lift[s])
                bend = lin @ swap(j[f"{s}_knee"] - (j[f"{s}_hip"] + j[f"{s}_ankle"]) / 2)
                knee, reach = _ik(hip, ankle, *self.legs[s], bend)
                targets[role], targets[f"{s}_shin"] = _unit(knee - hip), _unit(reach - knee)
                net = self._aim(net, role, targets[role])
            elif role in self.dirs:
                net = self._aim(net, role, targets[role])
            if role in ("hips", "head") or role in self.dirs:
                out[i] = np.linalg.solve(parent, net)
            nets.append(net)
        return out

    def _aim(self, net: np.ndarray, role: str, target: np.ndarray) -> np.ndarray:
        net[:3, :3] = turn(_unit(net[:3, :3] @ self.dirs[role]), target) @ net[:3, :3]
        return net
