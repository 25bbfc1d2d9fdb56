"""A user's own GLB in the previs: written by the test (a coloured box, a two-bone skinned figure, a
skinned humanoid with Mixamo or Blender bone names), loaded by panda3d-gltf, scaled to the
character's height, in its colour; a humanoid is posed by the motion library (its feet, hips and hands
follow the rig), anything else placed rigidly; broken or hostile files are refused with one line."""
from __future__ import annotations

import json
import math
import struct
from pathlib import Path

import numpy as np
import pytest

from engine.cues import CameraCue
from engine.errors import EngineError, ErrorKind
from engine.jobs import CharacterSpec
from engine.previs import make_renderer
from engine.previs.assets import check_glb
from previs_testkit import request, scene

W, H = 160, 90


def _glb(doc: dict, binary: bytes) -> bytes:
    js = json.dumps(doc).encode()
    js += b" " * (-len(js) % 4)
    binary += b"\0" * (-len(binary) % 4)
    body = struct.pack("<II", len(js), 0x4E4F534A) + js + struct.pack("<II", len(binary), 0x004E4942) + binary
    return b"glTF" + struct.pack("<II", 2, 12 + len(body)) + body


def _box_arrays(sx=0.5, sy=1.0, sz=0.3):
    """A box 2*sx wide, 2*sy tall (glTF Y up), 24 vertices with normals, 36 indices."""
    pos, nrm, idx = [], [], []
    for axis in range(3):
        for sign in (-1.0, 1.0):
            n = [0.0, 0.0, 0.0]
            n[axis] = sign
            u, v = [a for a in range(3) if a != axis]
            base = len(pos)
            for du, dv in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
                p = [0.0, 0.0, 0.0]
                p[axis], p[u], p[v] = sign, du, dv
                pos.append([p[0] * sx, p[1] * sy, p[2] * sz])
                nrm.append(n)
            a, b, c, d = base, base + 1, base + 2, base + 3
            # counter-clockwise seen from outside
            tri = [(a, b, c), (a, c, d)]
            e1, e2 = np.subtract(pos[b], pos[a]), np.subtract(pos[c], pos[a])
            if np.dot(np.cross(e1, e2), n) < 0:
                tri = [(a, c, b), (a, d, c)]
            idx += [i for t in tri for i in t]
    return np.array(pos, np.float32), np.array(nrm, np.float32), np.array(idx, np.uint16)


def _pack(blobs: list[bytes]) -> tuple[list[dict], bytes]:
    views, offset, binary = [], 0, b""
    for blob in blobs:
        views.append({"buffer": 0, "byteOffset": offset, "byteLength": len(blob)})
        pad = -len(blob) % 4
        binary += blob + b"\0" * pad
        offset += len(blob) + pad
    return views, binary


def box_glb(path: Path, colour=(0.9, 0.1, 0.1), skinned: bool = False, half=(0.5, 1.0, 0.3)) -> Path:
    pos, nrm, idx = _box_arrays(*half)
    blobs = [pos.tobytes(), nrm.tobytes(), idx.tobytes()]
    attributes = {"POSITION": 0, "NORMAL": 1}
    accessors = [
        {"bufferView": 0, "componentType": 5126, "count": len(pos), "type": "VEC3",
         "min": pos.min(axis=0).tolist(), "max": pos.max(axis=0).tolist()},
        {"bufferView": 1, "componentType": 5126, "count": len(nrm), "type": "VEC3"},
        {"bufferView": 2, "componentType": 5123, "count": len(idx), "type": "SCALAR"}]
    nodes = [{"mesh": 0}]
    doc_extra = {}
    if skinned:  # two bones: hip at y=-1 and a child at y=0; the upper half follows the child
        joints = np.array([[0, 0, 0, 0] if p[1] < 0 else [1, 0, 0, 0] for p in pos], np.uint8)
        weights = np.array([[1, 0, 0, 0]] * len(pos), np.float32)
        ibm = np.array([np.eye(4), np.eye(4)], np.float32)
        ibm[0][3, 1] = 1.0   # column-major: translation (0, +1, 0) undoes the hip at y=-1
        blobs += [joints.tobytes(), weights.tobytes(), np.ascontiguousarray(ibm).tobytes()]
        attributes.update({"JOINTS_0": 3, "WEIGHTS_0": 4})
        accessors += [{"bufferView": 3, "componentType": 5121, "count": len(pos), "type": "VEC4"},
                      {"bufferView": 4, "componentType": 5126, "count": len(pos), "type": "VEC4"},
                      {"bufferView": 5, "componentType": 5126, "count": 2, "type": "MAT4"}]
        nodes = [{"mesh": 0, "skin": 0}, {"name": "hip", "translation": [0, -1, 0], "children": [2]},
                 {"name": "spine", "translation": [0, 1, 0]}]
        doc_extra["skins"] = [{"joints": [1, 2], "inverseBindMatrices": 5, "skeleton": 1}]
    views, binary = _pack(blobs)
    doc = {"asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": [0] + ([1] if skinned else [])}],
           "nodes": nodes, "buffers": [{"byteLength": len(binary)}], "bufferViews": views, "accessors": accessors,
           "meshes": [{"primitives": [{"attributes": attributes, "indices": 2, "material": 0}]}],
           "materials": [{"pbrMetallicRoughness": {"baseColorFactor": [*colour, 1.0], "metallicFactor": 0.0}}],
           **doc_extra}
    path.write_bytes(_glb(doc, binary))
    return path


# A T-posed humanoid of the rig's proportions (1.75 m; glTF Y up, facing +Z, its left at +X), one box
# per bone: (role, parent, joint position, where its box ends (None: no box), box half width, colour).
SKIN, SHIRT, TROUSERS, SHOES = (0.85, 0.7, 0.6), (0.8, 0.15, 0.15), (0.2, 0.2, 0.7), (0.15, 0.12, 0.1)
_BODY = (("hips", None, (0, 0.93, 0), (0, 1.0, 0), 0.15, TROUSERS),
         ("spine", "hips", (0, 0.99, 0), (0, 1.24, 0), 0.14, SHIRT),
         ("spine1", "spine", (0, 1.12, 0), None, 0, None),
         ("chest", "spine1", (0, 1.24, 0), (0, 1.47, 0), 0.16, SHIRT),
         ("neck", "chest", (0, 1.49, 0), (0, 1.58, 0), 0.045, SKIN),
         ("head", "neck", (0, 1.62, 0), (0, 1.75, 0), 0.095, SKIN)) + tuple(
    b for s, x in (("l", 1.0), ("r", -1.0)) for b in (
        (f"{s}_upper_arm", "chest", (0.2 * x, 1.43, 0), (0.49 * x, 1.43, 0), 0.05, SHIRT),
        (f"{s}_forearm", f"{s}_upper_arm", (0.49 * x, 1.43, 0), (0.75 * x, 1.43, 0), 0.042, SHIRT),
        (f"{s}_hand", f"{s}_forearm", (0.75 * x, 1.43, 0), (0.84 * x, 1.43, 0), 0.035, SKIN),
        (f"{s}_thigh", "hips", (0.1 * x, 0.93, 0), (0.1 * x, 0.5, 0), 0.07, TROUSERS),
        (f"{s}_shin", f"{s}_thigh", (0.1 * x, 0.5, 0), (0.1 * x, 0.07, 0), 0.055, TROUSERS),
        (f"{s}_foot", f"{s}_shin", (0.1 * x, 0.07, 0), (0.1 * x, 0.03, 0.14), 0.05, SHOES),
        (f"{s}_toe", f"{s}_foot", (0.1 * x, 0.03, 0.14), None, 0, None)))
_LIMBS = (("upper_arm", "Arm", "upper_arm"), ("forearm", "ForeArm", "forearm"), ("hand", "Hand", "hand"),
          ("thigh", "UpLeg", "thigh"), ("shin", "Leg", "shin"), ("foot", "Foot", "foot"), ("toe", "ToeBase", "toe"))
MIXAMO = {"hips": "Hips", "spine": "Spine", "spine1": "Spine1", "chest": "Spine2", "neck": "Neck", "head": "Head",
          **{f"{s}_{role}": f"{side}{name}" for s, side in (("l", "Left"), ("r", "Right")) for role, name, _ in _LIMBS}}
BLENDER = {"hips": "spine", "spine": "spine.001", "spine1": "spine.002", "chest": "spine.003", "neck": "spine.004",
           "head": "spine.006", **{f"{s}_{role}": f"{name}.{s.upper()}" for s in ("l", "r") for role, _, name in _LIMBS}}


def _limb_box(a, b, half):
    """A box around the segment a-b (24 vertices with normals, 36 indices, outward winding)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    ax = (b - a) / 2
    u = np.cross(ax, [0, 0, 1.0] if abs(ax[2]) < 0.9 * np.linalg.norm(ax) else [1.0, 0, 0])
    u *= half / np.linalg.norm(u)
    v = np.cross(ax, u)
    v *= half / np.linalg.norm(v)
    axes, centre, pos, nrm, idx = (ax, u, v), (a + b) / 2, [], [], []
    for i in range(3):
        for sign in (-1.0, 1.0):
            n = axes[i] * sign / np.linalg.norm(axes[i])
            j, k = [q for q in range(3) if q != i]
            base = len(pos)
            pos += [centre + axes[i] * sign + axes[j] * du + axes[k] * dv for du, dv in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
            nrm += [n] * 4
            flip = np.dot(np.cross(pos[base + 1] - pos[base], pos[base + 2] - pos[base]), n) < 0
            idx += [base, base + 2, base + 1, base, base + 3, base + 2] if flip else \
                [base, base + 1, base + 2, base, base + 2, base + 3]
    return pos, nrm, idx


def humanoid_glb(path: Path, names: dict = MIXAMO, prefix: str = "mixamorig:", drop=(), unit: float = 1.0) -> Path:
    """A skinned T-posed humanoid under an Armature node: one box per bone, each vertex bound to its
    bone, the bones named by `names` (with `prefix`); roles in `drop` are left out (their children
    hang on the parent). `unit`: metres per bone unit (0.01: a centimetre rig, the Armature scaled)."""
    body = [b for b in _BODY if b[0] not in drop]
    parent_of = {b[0]: b[1] for b in _BODY}

    def parent(role):
        p = parent_of[role]
        while p in drop:
            p = parent_of[p]
        return p
    roles = [b[0] for b in body]
    at = {b[0]: np.array(b[2], float) for b in body}
    pos, nrm, col, jnt, idx = [], [], [], [], []
    for k, (_, _, a, b, half, colour) in enumerate(body):
        if b is not None:
            p, n, i = _limb_box(a, b, half)
            idx += [len(pos) + t for t in i]
            pos, nrm, col, jnt = pos + p, nrm + n, col + [[*colour, 1.0]] * len(p), jnt + [[k, 0, 0, 0]] * len(p)
    pos, nrm, col = (np.array(x, np.float32) for x in (pos, nrm, col))
    weights = np.array([[1, 0, 0, 0]] * len(pos), np.float32)
    ibm = []
    for role in roles:   # the inverse of each joint's bind (world) matrix, column-major
        m = np.eye(4)
        m[:3, 3] = -at[role]
        m[:3] /= unit
        ibm.append(m.T)
    blobs = [pos.tobytes(), nrm.tobytes(), col.tobytes(), np.array(jnt, np.uint8).tobytes(), weights.tobytes(),
             np.array(idx, np.uint16).tobytes(), np.array(ibm, np.float32).tobytes()]
    counts = (("VEC3", 5126, len(pos)), ("VEC3", 5126, len(pos)), ("VEC4", 5126, len(pos)), ("VEC4", 5121, len(pos)),
              ("VEC4", 5126, len(pos)), ("SCALAR", 5123, len(idx)), ("MAT4", 5126, len(roles)))
    accessors = [{"bufferView": k, "componentType": c, "count": n, "type": t} for k, (t, c, n) in enumerate(counts)]
    accessors[0].update({"min": pos.min(axis=0).tolist(), "max": pos.max(axis=0).tolist()})
    node_of = {role: 2 + k for k, role in enumerate(roles)}
    nodes = [{"name": "Armature", "children": [1, 2], **({"scale": [unit] * 3} if unit != 1.0 else {})},
             {"name": "Body", "mesh": 0, "skin": 0}]
    for role in roles:
        p = parent(role)
        nodes.append({"name": prefix + names[role], "translation": ((at[role] - (at[p] if p else 0)) / unit).tolist(),
                      "children": [node_of[c] for c in roles if parent(c) == role]})
    views, binary = _pack(blobs)
    attributes = {"POSITION": 0, "NORMAL": 1, "COLOR_0": 2, "JOINTS_0": 3, "WEIGHTS_0": 4}
    doc = {"asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": [0]}], "nodes": nodes,
           "skins": [{"joints": [node_of[r] for r in roles], "inverseBindMatrices": 6}],
           "buffers": [{"byteLength": len(binary)}], "bufferViews": views, "accessors": accessors,
           "meshes": [{"primitives": [{"attributes": attributes, "indices": 5, "material": 0}]}],
           "materials": [{"pbrMetallicRoughness": {"baseColorFactor": [1, 1, 1, 1], "metallicFactor": 0.0}}]}
    path.write_bytes(_glb(doc, binary))
    return path


def _render(tmp_path, model: str, height=1.75, size="WS"):
    chars = (CharacterSpec("BOX", color="#20c040", height_m=height, model=model),)
    r = make_renderer(request(tmp_path, "glb", CameraCue(shot_size=size), frames=1, width=W, height=H,
                              scene=scene(characters=chars)))
    return r, r.frame(0)


@pytest.mark.parametrize("skinned", [False, True], ids=["box", "two-bone"])
def test_a_glb_renders_at_the_characters_height_in_its_colour(tmp_path, skinned):
    path = box_glb(tmp_path / "box.glb", skinned=skinned)
    check_glb(path)
    r, img = _render(tmp_path, str(path))
    hsv_red = (img[..., 2].astype(int) > 120) & (img[..., 1] < 80) & (img[..., 0] < 80)
    rows = np.nonzero(hsv_red.any(axis=1))[0]
    assert hsv_red.sum() > 100
    # WS frames 3.2 m in the frame height (framing of camera.py): a 1.75 m model is ~49 px of 90
    assert abs((rows.max() - rows.min() + 1) - 1.75 * H / 3.2) <= 4, (rows.min(), rows.max())
    assert rows.max() > H * 0.6                                   # standing on the ground, not floating
    # the mask pass gives the model its figure id
    mask = r.control_passes(0)["mask"][..., ::-1]
    assert (np.all(mask == np.array(r.pass_ids()["BOX"]), axis=2) & hsv_red).sum() > 0.8 * hsv_red.sum()
    # taller character, taller model
    _, tall = _render(tmp_path, str(path), height=2.4)
    tall_rows = np.nonzero(((tall[..., 2].astype(int) > 120) & (tall[..., 1] < 80)).any(axis=1))[0]
    assert tall_rows.max() - tall_rows.min() > rows.max() - rows.min() + 10


def test_broken_and_hostile_glbs_are_refused_with_one_line(tmp_path):
    good = box_glb(tmp_path / "ok.glb").read_bytes()
    cases = {
        "truncated.glb": good[: len(good) // 2],
        "notglb.glb": b"PK\x03\x04 definitely a zip",
        "badjson.glb": _glb({"asset": {"version": "2.0"}}, b"")[:20] + b"{not json" + b" " * 7,
        "outside.glb": _glb({"asset": {"version": "2.0"}, "buffers": [{"uri": "../../../etc/passwd", "byteLength": 4}],
                             "meshes": [{"primitives": []}]}, b""),
        "v1.glb": b"glTF" + struct.pack("<II", 1, 20) + struct.pack("<II", 0, 0x4E4F534A),
    }
    for name, data in cases.items():
        p = tmp_path / name
        p.write_bytes(data)
        with pytest.raises(EngineError) as err:
            check_glb(p)
        assert err.value.kind is ErrorKind.BAD_INPUT and "\n" not in err.value.message and name in err.value.message
    # and the renderer refuses it the same way (no traceback from the loader reaches the user)
    with pytest.raises(EngineError) as err:
        _render(tmp_path, str(tmp_path / "outside.glb"))
    assert "outside file" in err.value.message


# -- prop and location entries with their own model ------------------------------------------------
def _red(img):
    return (img[..., 2].astype(int) > 120) & (img[..., 1] < 80) & (img[..., 0] < 80)


def test_a_prop_entrys_glb_replaces_the_kit_prop_of_its_kind(tmp_path):
    from engine.jobs import AssetSpec, SceneSpec
    from studio.shotplan import build_plan
    glb = box_glb(tmp_path / "lantern.glb")                      # a red box (0.5 x 1 x 0.3 of its units x2)
    cam = CameraCue(shot_size="ECU")
    plan = build_plan("INT. KITCHEN - DAY", "A green lantern on a table.", camera=cam, bible=())

    def frame(assets):
        req = request(tmp_path / f"p{len(assets)}", f"p{len(assets)}", cam, frames=1, width=W, height=H,
                      scene=SceneSpec(heading="INT. KITCHEN - DAY", set_seed=3, assets=assets), plan=plan)
        r = make_renderer(req)
        return r, r.frame(0)
    _, kit = frame(())
    r, own = frame((AssetSpec("prop", "The old lantern", str(glb)),))
    assert _red(kit).mean() < 0.01 and _red(own).mean() > 0.05, (_red(kit).mean(), _red(own).mean())
    assert any("lantern" in n and "own model" in n for n in r.notes)
    # fitted to the prop's box (the ECU frames that box): the model stays inside the frame's middle
    rows, cols = np.nonzero(_red(own))
    assert rows.min() > 0 and rows.max() < H - 1
    # and it carries the prop's mask id
    ids = r.pass_ids()
    lantern = np.array(next(v for k, v in ids.items() if "lantern" in k))
    mask = r.control_passes(0)["mask"][..., ::-1]
    assert (np.all(mask == lantern, axis=2) & _red(own)).sum() > 0.8 * _red(own).sum()


def test_a_location_entrys_glb_is_placed_in_the_set_at_its_authored_size(tmp_path):
    from engine.jobs import AssetSpec
    wall = box_glb(tmp_path / "wall.glb", half=(4.0, 0.5, 0.05))   # an 8 m long, 1 m high wall (glTF metres)
    r = make_renderer(request(tmp_path, "loc", CameraCue(shot_size="WS"), frames=1, width=W, height=H,
                              scene=scene(characters=(), assets=(AssetSpec("location", "Harbour wall", str(wall)),))))
    img = r.frame(0)
    red = _red(img)
    rows, cols = np.nonzero(red)
    assert red.mean() > 0.05
    # at the stage (the subject's distance) a WS frames 3.2 m of height: a 1 m wall is ~28 px, on the ground
    assert abs((rows.max() - rows.min() + 1) - 1.0 * H / 3.2) <= 5, (rows.min(), rows.max())
    assert cols.max() - cols.min() > W * 0.5                        # 8 m long: across most of the frame
    assert any("Harbour wall" in n for n in r.notes)


def test_a_characters_model_is_said_to_be_placed_rigidly(tmp_path):
    r, _ = _render(tmp_path, str(box_glb(tmp_path / "box.glb")))
    assert any(n.startswith("BOX:") and "rigidly" in n and "no skeleton" in n for n in r.notes)
    r, _ = _render(tmp_path, str(box_glb(tmp_path / "rig.glb", skinned=True)))   # two bones: no humanoid
    note = next(n for n in r.notes if n.startswith("BOX:"))
    assert "rigidly" in note and "skeleton not compatible: missing head, left upper arm" in note, note


def test_the_notes_reach_the_take_metadata(tmp_path):
    from previs_testkit import render
    chars = (CharacterSpec("BOX", color="#20c040", model=str(box_glb(tmp_path / "box.glb"))),)
    result = render(request(tmp_path, "meta", CameraCue(shot_size="WS"), frames=2, width=W, height=H,
                            scene=scene(characters=chars), options={"control_passes": False}))
    meta = json.loads(Path(result.metadata_file).read_text())
    assert any(n.startswith("BOX:") and "rigidly" in n for n in meta["notes"])


# -- a humanoid's own model, posed by the motion library ------------------------------------------------
def test_bone_names_of_the_common_schemes_normalise_to_one_table():
    from engine.previs.retarget import normalise, roles
    same = {"l:upperarm": ["upper_arm.L", "upper_arm_L", "upper_arm-L", "DEF-upper_arm.L", "LeftUpperArm",
                           "upperarm_l", "J_Bip_L_UpperArm", "Left Upper Arm"],
            "l:arm": ["mixamorig:LeftArm", "mixamorig_LeftArm", "mixamorig1:LeftArm", "LeftArm", "Armature|LeftArm"],
            "r:upleg": ["mixamorig:RightUpLeg", "RightUpLeg"], "r:thigh": ["thigh.R", "thigh_r", "Bip01 R Thigh"],
            ":hips": ["mixamorig:Hips", "Hips", "J_Bip_C_Hips", "hips"], ":spine2": ["mixamorig:Spine2", "Spine2"],
            ":spine001": ["spine.001", "DEF-spine.001"], ":spine02": ["spine_02"], "r:calf": ["calf_r"]}
    for key, names in same.items():
        assert {normalise(n) for n in names} == {key}, (key, [normalise(n) for n in names])
    for helper in ("mixamorig:HeadTop_End", "ORG-upper_arm.L", "MCH-thigh_ik.L", "thigh_twist_01_l"):
        assert normalise(helper) == "", helper
    assert normalise("DEF-upper_arm.L.001") != "l:upperarm"   # a Rigify twist segment is not the upper arm
    from engine.previs.retarget import match
    broken = match({"nodes": [{"name": "Hips", "children": ["x", 99, True]}, 7], "skins": [{"joints": [0, "a", 9]}, 3]})
    assert not broken.compatible and broken.bones == {"hips": "Hips"} and "head" in broken.missing

    def mapped(names):
        return roles(names)
    mixamo = mapped([f"mixamorig:{n}" for n in ("Hips", "Spine", "Spine1", "Spine2", "Neck", "Head", "LeftShoulder",
                                                "LeftArm", "LeftForeArm", "LeftHand", "LeftHandIndex1", "LeftUpLeg",
                                                "LeftLeg", "LeftFoot", "LeftToeBase")])
    assert mixamo == {"hips": "mixamorig:Hips", "spine": "mixamorig:Spine", "chest": "mixamorig:Spine2",
                      "neck": "mixamorig:Neck", "head": "mixamorig:Head", "l_shoulder": "mixamorig:LeftShoulder",
                      "l_upper_arm": "mixamorig:LeftArm", "l_forearm": "mixamorig:LeftForeArm",
                      "l_hand": "mixamorig:LeftHand", "l_thigh": "mixamorig:LeftUpLeg", "l_shin": "mixamorig:LeftLeg",
                      "l_foot": "mixamorig:LeftFoot", "l_toe": "mixamorig:LeftToeBase"}
    blender = mapped(["spine", "spine.001", "spine.002", "spine.003", "spine.004", "spine.005", "spine.006",
                      "shoulder.R", "upper_arm.R", "forearm.R", "hand.R", "thigh.R", "shin.R", "foot.R", "toe.R"])
    assert blender == {"hips": "spine", "spine": "spine.001", "chest": "spine.003", "neck": "spine.004",
                       "head": "spine.006", "r_shoulder": "shoulder.R", "r_upper_arm": "upper_arm.R",
                       "r_forearm": "forearm.R", "r_hand": "hand.R", "r_thigh": "thigh.R", "r_shin": "shin.R",
                       "r_foot": "foot.R", "r_toe": "toe.R"}
    vrm = mapped(["Hips", "Spine", "Chest", "UpperChest", "Neck", "Head", "LeftUpperArm", "LeftLowerArm", "LeftHand",
                  "LeftUpperLeg", "LeftLowerLeg", "LeftFoot", "LeftToes"])
    unreal = mapped(["pelvis", "spine_01", "spine_02", "spine_03", "neck_01", "head", "clavicle_l", "upperarm_l",
                     "lowerarm_l", "hand_l", "thigh_l", "calf_l", "foot_l", "ball_l"])
    assert (vrm["spine"], vrm["chest"], vrm["l_forearm"], vrm["l_shin"], vrm["l_toe"]) == \
        ("Spine", "UpperChest", "LeftLowerArm", "LeftLowerLeg", "LeftToes")
    assert (unreal["hips"], unreal["chest"], unreal["neck"], unreal["l_shoulder"], unreal["l_shin"], unreal["l_toe"]) == \
        ("pelvis", "spine_03", "neck_01", "clavicle_l", "calf_l", "ball_l")


def _posed_take(tmp_path, model: Path, cue, frames=24, size="WS", width=W, height=H, tag="posed"):
    from engine.cues import MotionCue
    chars = (CharacterSpec("MARA", color="#20c040", height_m=1.75, model=str(model)),)
    return make_renderer(request(tmp_path, tag, CameraCue(shot_size=size), [MotionCue(**cue)], frames=frames,
                                 width=width, height=height, scene=scene(characters=chars)))


def _bones(r, i: int) -> tuple[dict, dict]:
    """The model's joints after frame i is drawn (read back from Panda on its thread), by role, and
    the rig's joints of that frame."""
    from engine.previs import stage
    from engine.previs.rig import skeleton
    from engine.previs.assets import check_glb
    from engine.previs.retarget import match
    r.frame(i)
    figure = r._scene.figures[0]
    at = stage.call(figure.bone_positions)
    bones = match(check_glb(figure.look.model)).bones
    return {role: at[name] for role, name in bones.items()}, skeleton(r.figure_states(i)[0])


@pytest.mark.parametrize("scheme", ["mixamo", "blender"])
def test_a_humanoid_model_walks_with_the_rigs_feet(tmp_path, scheme):
    glb = humanoid_glb(tmp_path / f"{scheme}.glb", **({} if scheme == "mixamo" else {"names": BLENDER, "prefix": ""}))
    r = _posed_take(tmp_path, glb, {"kind": "cross", "screen_direction": "right", "intensity": 0.5})
    note = next(n for n in r.notes if n.startswith("MARA:"))
    assert "posed by the motion library (17" in note and "rigidly" not in note, note
    assert ("(17 mixamorig bones mapped: Hips, Spine, Spine2, Neck, Head, LeftArm" in note) if scheme == "mixamo" \
        else ("(17 bones mapped: spine, spine.001, spine.003, spine.004, spine.006, upper_arm.L" in note), note
    lead = []
    for i in range(0, 24, 2):
        model, rig = _bones(r, i)
        for s in ("l", "r"):   # the model's ankle (its foot bone) on the rig's, a few cm over its own sole
            d = model[f"{s}_foot"] - rig[f"{s}_ankle"]
            assert np.linalg.norm(d[[0, 2]]) < 0.02 and 0 <= d[1] < 0.04, (i, s, d)
        # the hips over the rig's pelvis, a few cm lower where the rig's (longer) legs take a long stride
        d = model["hips"] - rig["pelvis"]
        assert np.linalg.norm(d[[0, 2]]) < 0.01 and -0.08 < d[1] < 0.02, (i, d)
        fwd = rig["body_fwd"]
        lead.append(float(np.dot(model["l_foot"] - model["r_foot"], fwd)))
    # the feet alternate: each leads by more than a decimetre in turn
    assert max(lead) > 0.1 and min(lead) < -0.1, lead


def test_a_seated_humanoid_model_sits_on_the_seat_and_a_wave_lifts_its_hand(tmp_path):
    from engine.previs.rig import SEAT_HEIGHT
    glb = humanoid_glb(tmp_path / "mixamo.glb")
    r = _posed_take(tmp_path, glb, {"kind": "sit", "intensity": 0.5}, tag="sit")
    standing, _ = _bones(r, 0)
    seated, rig = _bones(r, 23)
    assert r.figure_states(23)[0].sit == 1.0
    assert standing["hips"][1] > 0.85
    assert SEAT_HEIGHT <= seated["hips"][1] <= SEAT_HEIGHT + 0.08, seated["hips"]
    for s in ("l", "r"):   # thighs along the seat, shins down to the floor
        assert abs(seated[f"{s}_shin"][1] - seated["hips"][1]) < 0.06 and seated[f"{s}_foot"][1] < 0.12
    r = _posed_take(tmp_path, glb, {"kind": "gesture", "action": "waves", "intensity": 0.8}, tag="wave")
    before, _ = _bones(r, 0)
    waving, rig = _bones(r, 12)
    assert r.figure_states(12)[0].gesture > 0.5
    assert before["r_hand"][1] < 1.0 and waving["r_hand"][1] > waving["head"][1], (before["r_hand"], waving["r_hand"])
    assert waving["l_hand"][1] < 1.0                                     # the other arm stays down


def test_a_posed_model_is_deformed_where_its_legs_are(tmp_path):
    """The same figure on the same mark with its legs at two points of the stride: the frames differ
    below its hips, not about its head (the mesh is skinned by the joints, not moved)."""
    from dataclasses import replace
    from engine.previs import stage
    from engine.previs.projection import Pinhole
    from engine.previs.rig import skeleton
    glb = humanoid_glb(tmp_path / "mixamo.glb")
    r = _posed_take(tmp_path, glb, {"kind": "none"}, frames=1, size="MLS", width=192, height=192, tag="legs")
    s0 = replace(r.figure_states(0)[0], stride=1.0, walk_phase=0.0)
    s1 = replace(s0, walk_phase=math.pi)   # half a cycle on: the other foot ahead (the hips ride as low)
    pose = r.camera_pose(0)
    a, b = (stage.call(r._scene.render, pose, [s], "colour") for s in (s0, s1))
    px, _ = Pinhole(pose, 192, 192).pixels(np.array([skeleton(s0)[n] for n in ("neck", "pelvis")]))
    neck, pelvis = int(px[0][1]), int(px[1][1])
    changed = np.abs(a.astype(int) - b.astype(int)).max(axis=2) > 30
    assert changed[pelvis:].sum() > 150, changed[pelvis:].sum()        # the legs moved in the mesh
    assert changed[: neck - 3].sum() == 0, changed[: neck - 3].sum()     # the head did not


def test_a_skeleton_missing_core_bones_is_placed_rigidly(tmp_path):
    from engine.previs.mannequin import RigidModel
    glb = humanoid_glb(tmp_path / "no-forearm.glb", drop=("l_forearm", "r_shin"))
    r = _posed_take(tmp_path, glb, {"kind": "cross", "screen_direction": "right", "intensity": 0.5})
    note = next(n for n in r.notes if n.startswith("MARA:"))
    assert "placed rigidly" in note and "skeleton not compatible: missing left forearm, right shin" in note, note
    r.frame(0)
    figure = r._scene.figures[0]
    assert isinstance(figure, RigidModel)
    # it faces where the figure goes: a glTF asset's front is its +Z (Panda's -Y after the loader)
    from engine.previs import stage
    from engine.previs.geom import swap
    from engine.previs.rig import skeleton
    front = stage.call(lambda: tuple(r._scene.actors.getRelativeVector(figure.root, (0, -1, 0))))
    assert np.allclose(front, swap(skeleton(r.figure_states(0)[0])["body_fwd"]), atol=1e-4), front


def test_a_posed_models_take_is_deterministic(tmp_path):
    from previs_testkit import frames_hash
    glb = humanoid_glb(tmp_path / "mixamo.glb", unit=0.01)   # a centimetre rig under a scaled Armature
    cue = {"kind": "cross", "screen_direction": "right", "intensity": 0.5}
    takes = [_posed_take(tmp_path, glb, cue, frames=8, tag=f"det{k}") for k in range(2)]
    hashes = [frames_hash([t.frame(i) for i in range(8)]) for t in takes]
    assert hashes[0] == hashes[1]
    model, rig = _bones(takes[0], 7)
    assert np.linalg.norm(model["r_foot"] - rig["r_ankle"]) < 0.04
