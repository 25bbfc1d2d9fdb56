"""A user's own GLB in the previs: written by the test (a coloured box, a two-bone skinned figure),
loaded by panda3d-gltf, scaled to the character's height, in its colour; broken or hostile files are
refused with one line."""
from __future__ import annotations

import json
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
    views, offset, binary = [], 0, b""
    for blob in blobs:
        views.append({"buffer": 0, "byteOffset": offset, "byteLength": len(blob)})
        pad = -len(blob) % 4
        binary += blob + b"\0" * pad
        offset += len(blob) + pad
    doc = {"asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": [0] + ([1] if skinned else [])}],
           "nodes": nodes, "buffers": [{"byteLength": len(binary)}], "bufferViews": views, "accessors": accessors,
           "meshes": [{"primitives": [{"attributes": attributes, "indices": 2, "material": 0}]}],
           "materials": [{"pbrMetallicRoughness": {"baseColorFactor": [*colour, 1.0], "metallicFactor": 0.0}}],
           **doc_extra}
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
    r, _ = _render(tmp_path, str(box_glb(tmp_path / "rig.glb", skinned=True)))
    assert any(n.startswith("BOX:") and "skeleton is not posed" in n for n in r.notes)


def test_the_notes_reach_the_take_metadata(tmp_path):
    from previs_testkit import render
    chars = (CharacterSpec("BOX", color="#20c040", model=str(box_glb(tmp_path / "box.glb"))),)
    result = render(request(tmp_path, "meta", CameraCue(shot_size="WS"), frames=2, width=W, height=H,
                            scene=scene(characters=chars), options={"control_passes": False}))
    meta = json.loads(Path(result.metadata_file).read_text())
    assert any(n.startswith("BOX:") and "rigidly" in n for n in meta["notes"])
