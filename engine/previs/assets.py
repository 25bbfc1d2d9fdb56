"""The user's own 3D assets (glTF 2.0 binary, .glb) in the previs, through a kept loader (panda3d-gltf).

`check_glb(path)` refuses a broken or hostile file with one line (EngineError BAD_INPUT) before any
loader sees it: the GLB container must be well formed (magic, version 2, chunk lengths inside the
file), its JSON a glTF 2.0 document, and every buffer and image embedded (no `uri` other than a
data: URI): a model can never make the renderer read another file. Size and counts are capped.

`load_model(path, height)` loads a checked file (glTF Y-up is converted to Panda's Z-up by the loader),
scales it so its height is `height` metres (a character's height, a prop's size), stands it on the
ground centred on its mark, and returns the NodePath: a prop or a character placed rigidly (it turns
and travels with the figure's state). `load_posable` places a skinned character the same way but
leaves its joints free for mannequin.PosedModel, which poses a humanoid skeleton from the rig every
frame (retarget.py decides which skeletons are humanoid). Only called on the Panda thread.
"""
from __future__ import annotations

import json
import struct
from functools import lru_cache
from pathlib import Path

from ..errors import EngineError, ErrorKind

MAX_BYTES = 64 * 2 ** 20
MAX_ITEMS = 20000


def _bad(path: Path, why: str) -> EngineError:
    return EngineError(ErrorKind.BAD_INPUT, f"{path.name} is not a usable 3D model: {why}",
                       "Export it from Blender as glTF Binary (.glb) with everything embedded.")


def check_glb(path: str | Path) -> dict:
    """The glTF JSON of a valid, self-contained GLB (shared: read it, don't change it); EngineError
    otherwise. A take asks about each model several times (its note, posed or rigid, the loader): the
    file is read and checked once while it stays the same (path, size and modification time)."""
    path = Path(path)
    try:
        st = path.stat()
    except OSError as exc:
        raise _bad(path, f"it cannot be read ({exc.strerror or exc})") from None
    return _checked(str(path), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=32)
def _checked(name: str, size: int, mtime_ns: int) -> dict:
    path = Path(name)
    try:
        if size > MAX_BYTES:
            raise _bad(path, f"{size // 2 ** 20} MB is over the {MAX_BYTES // 2 ** 20} MB limit")
        data = path.read_bytes()
    except OSError as exc:
        raise _bad(path, f"it cannot be read ({exc.strerror or exc})") from None
    if len(data) < 20 or data[:4] != b"glTF":
        raise _bad(path, "it is not a GLB file (no glTF header)")
    version, length = struct.unpack_from("<II", data, 4)
    if version != 2:
        raise _bad(path, f"glTF version {version} (only 2 is read)")
    if length != len(data):
        raise _bad(path, f"the header says {length} bytes, the file has {len(data)}")
    offset, chunks = 12, []
    while offset < length:
        if offset + 8 > length:
            raise _bad(path, "a chunk header runs past the end")
        clen, ctype = struct.unpack_from("<II", data, offset)
        if offset + 8 + clen > length:
            raise _bad(path, "a chunk runs past the end of the file")
        chunks.append((ctype, data[offset + 8: offset + 8 + clen]))
        offset += 8 + clen + (-clen % 4 if offset + 8 + clen < length else 0)
    if not chunks or chunks[0][0] != 0x4E4F534A:  # 'JSON'
        raise _bad(path, "the first chunk is not the glTF JSON")
    try:
        doc = json.loads(chunks[0][1].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _bad(path, f"its JSON is unreadable ({exc})") from None
    if not isinstance(doc, dict) or str(doc.get("asset", {}).get("version", "")).split(".")[0] != "2":
        raise _bad(path, "it has no glTF 2.0 asset block")
    for key in ("buffers", "images"):
        for item in doc.get(key, []) or []:
            uri = item.get("uri") if isinstance(item, dict) else None
            if uri is not None and not str(uri).startswith("data:"):
                raise _bad(path, f"it refers to an outside file ({key}: {str(uri)[:60]!r}); embed everything")
    if sum(len(doc.get(k, []) or []) for k in ("meshes", "nodes", "accessors", "materials")) > MAX_ITEMS:
        raise _bad(path, "it has too many parts for a previs")
    binary = chunks[1][1] if len(chunks) > 1 and chunks[1][0] == 0x004E4942 else b""
    for view in doc.get("bufferViews", []) or []:
        end = int(view.get("byteOffset", 0)) + int(view.get("byteLength", 0))
        if view.get("buffer", 0) == 0 and end > len(binary) and not (doc.get("buffers") or [{}])[0].get("uri"):
            raise _bad(path, "a buffer view runs past the binary chunk")
    if not doc.get("meshes"):
        raise _bad(path, "it has no mesh")
    return doc


def _loaded(path: Path, parent, name: str):
    from panda3d.core import NodePath
    check_glb(path)
    try:
        import gltf
        node = gltf.load_model(str(path))
    except Exception as exc:  # the loader's own errors are many and untyped: one line for the user
        raise _bad(path, f"the glTF loader refused it ({type(exc).__name__}: {str(exc)[:120]})") from None
    inner = NodePath(node)
    holder = parent.attachNewNode(name)
    inner.reparentTo(holder)
    lo, hi = inner.getTightBounds() or (None, None)
    if lo is None:
        raise _bad(path, "it has no visible geometry")
    return holder, inner, lo, hi


def fit_model(path: str | Path, dims, parent, name: str = "prop-model"):
    """A checked GLB as a prop: scaled (uniformly) to fit the prop's box `dims` (width, height, depth,
    metres) and centred on it, origin at the box centre like the kit's props."""
    holder, inner, lo, hi = _loaded(Path(path), parent, name)
    w, h, d = (float(v) for v in dims)
    k = min(w / max(1e-6, hi.x - lo.x), d / max(1e-6, hi.y - lo.y), h / max(1e-6, hi.z - lo.z))
    inner.setScale(k)
    inner.setPos(-(lo.x + hi.x) / 2 * k, -(lo.y + hi.y) / 2 * k, -(lo.z + hi.z) / 2 * k)
    holder.flattenLight()
    return holder


def load_posable(path: str | Path, height: float, parent, name: str = "model"):
    """A checked, skinned GLB to be posed (mannequin.PosedModel): placed at rest as load_model places
    a model (`height` metres, base on the ground at the origin), its Characters' joints left free:
    nothing is flattened into them. (holder, the Character NodePaths)."""
    from panda3d.core import OmniBoundingVolume
    holder, inner, lo, hi = _loaded(Path(path), parent, name)
    k = height / max(1e-6, hi.z - lo.z)
    inner.setScale(k)
    inner.setPos(-(lo.x + hi.x) / 2 * k, -(lo.y + hi.y) / 2 * k, -lo.z * k)
    chars = list(inner.findAllMatches("**/+Character"))
    for c in chars:
        # its rest bounds say nothing of where the joints take it: never culled
        c.node().setBounds(OmniBoundingVolume())
        c.node().setFinal(True)
    return holder, chars


def place_model(path: str | Path, parent, name: str = "location-model"):
    """A checked GLB as (part of) the set: at its authored size (glTF units are metres), its lowest
    point on the set's ground and centred on the stage (the origin, where the marks are)."""
    holder, inner, lo, hi = _loaded(Path(path), parent, name)
    inner.setPos(-(lo.x + hi.x) / 2, -(lo.y + hi.y) / 2, -lo.z)
    holder.flattenLight()
    return holder


def load_model(path: str | Path, height: float, parent, name: str = "model"):
    """A checked GLB as a NodePath under `parent`: `height` metres tall, base on the ground,
    centred on its mark, facing +Y (Panda; the engine's heading 0)."""
    holder, inner, lo, hi = _loaded(Path(path), parent, name)
    size_z = max(1e-6, hi.z - lo.z)
    k = height / size_z
    inner.setScale(k)
    inner.setPos(-(lo.x + hi.x) / 2 * k, -(lo.y + hi.y) / 2 * k, -lo.z * k)
    holder.flattenLight()
    return holder
