"""Panda3D geometry from numpy arrays: triangle meshes, boxes, quads, spheres, capsules, textures.

All inputs are in engine world coordinates (metres, Y up, Z forward) and converted to Panda's
Z-up frame here (`stage.to_panda`). Colours are RGB 0..255 unless named otherwise. Only called on
the Panda thread (engine/previs/stage.py).
"""
from __future__ import annotations

import math

import numpy as np

_FORMAT = None


def _format():
    global _FORMAT
    if _FORMAT is None:
        from panda3d.core import GeomVertexArrayFormat, GeomVertexFormat, InternalName, Geom
        arr = GeomVertexArrayFormat()
        arr.addColumn(InternalName.getVertex(), 3, Geom.NT_float32, Geom.C_point)
        arr.addColumn(InternalName.getNormal(), 3, Geom.NT_float32, Geom.C_normal)
        arr.addColumn(InternalName.getColor(), 4, Geom.NT_float32, Geom.C_color)
        arr.addColumn(InternalName.getTexcoord(), 2, Geom.NT_float32, Geom.C_texcoord)
        _FORMAT = GeomVertexFormat.registerFormat(GeomVertexFormat(arr))
    return _FORMAT


def swap(p: np.ndarray) -> np.ndarray:
    """(..., 3) engine -> Panda axes."""
    p = np.asarray(p, dtype=np.float64)
    return p[..., [0, 2, 1]]


def mesh(name: str, points, normals, colours, tris, uv=None, panda_axes: bool = False):
    """A GeomNode of triangles. points/normals (N, 3), colours (N, 3) RGB 0..255 or (N, 4) 0..1
    RGBA when 4 wide, tris (M, 3) vertex indices (front = counter-clockwise seen from outside in
    Panda's right-handed frame; `oriented` fixes windings from normals)."""
    from panda3d.core import Geom, GeomNode, GeomTriangles, GeomVertexData
    pts = np.asarray(points, np.float64)
    nrm = np.asarray(normals, np.float64)
    if not panda_axes:
        pts, nrm = swap(pts), swap(nrm)
    n = len(pts)
    data = np.zeros((n, 12), np.float32)
    data[:, 0:3], data[:, 3:6] = pts, nrm
    col = np.asarray(colours, np.float64)
    if col.shape[1] == 3:
        data[:, 6:9], data[:, 9] = col / 255.0, 1.0
    else:
        data[:, 6:10] = col
    if uv is not None:
        data[:, 10:12] = uv
    vdata = GeomVertexData(name, _format(), Geom.UH_static)
    vdata.uncleanSetNumRows(n)
    memoryview(vdata.modifyArray(0)).cast("B")[:] = data.tobytes()
    prim = GeomTriangles(Geom.UH_static)
    prim.setIndexType(Geom.NT_uint32)
    idx = np.ascontiguousarray(np.asarray(tris, np.uint32).reshape(-1))
    handle = prim.modifyVertices()
    handle.uncleanSetNumRows(len(idx))
    memoryview(handle).cast("B")[:] = idx.tobytes()
    geom = Geom(vdata)
    geom.addPrimitive(prim)
    node = GeomNode(name)
    node.addGeom(geom)
    return node


def oriented(points: np.ndarray, tris: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """Flip triangles whose winding (in Panda axes) disagrees with their outward engine normal."""
    p = swap(points)
    a, b, c = p[tris[:, 0]], p[tris[:, 1]], p[tris[:, 2]]
    face = np.cross(b - a, c - a)
    want = swap(normals)
    flip = np.einsum("ij,ij->i", face, want) < 0
    out = tris.copy()
    out[flip] = out[flip][:, [0, 2, 1]]
    return out


def quads_mesh(name: str, quads, colours, normals):
    """One-sided quads (Q, 4, 3) with one colour (Q, 3) RGB and outward normal (Q, 3) each."""
    quads = np.asarray(quads, np.float64)
    q = len(quads)
    pts = quads.reshape(-1, 3)
    nrm = np.repeat(np.asarray(normals, np.float64), 4, axis=0)
    col = np.repeat(np.asarray(colours, np.float64), 4, axis=0)
    base = (np.arange(q) * 4)[:, None]
    tris = np.concatenate([base + [0, 1, 2], base + [0, 2, 3]])
    face_n = np.concatenate([normals, normals])
    return mesh(name, pts, nrm, col, oriented(pts, tris, np.asarray(face_n)))


_SIGNS = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], dtype=np.float64)
_FACES = [((0, 1, 3, 2), 0, -1), ((4, 6, 7, 5), 0, 1), ((0, 4, 5, 1), 1, -1), ((2, 3, 7, 6), 1, 1),
          ((0, 2, 6, 4), 2, -1), ((1, 5, 7, 3), 2, 1)]


def box_quads(centres, axes, half):
    """Oriented boxes -> their 6 faces as quads (M*6, 4, 3) and outward normals (M*6, 3)."""
    centres, axes, half = (np.asarray(v, np.float64) for v in (centres, axes, half))
    scaled = axes * half[:, :, None]
    corners = centres[:, None, :] + _SIGNS @ scaled                     # (M, 8, 3)
    idx = np.array([f[0] for f in _FACES])
    fa = np.array([f[1] for f in _FACES])
    fs = np.array([f[2] for f in _FACES], dtype=np.float64)
    quads = corners[:, idx]                                             # (M, 6, 4, 3)
    normals = axes[:, fa, :] * fs[None, :, None]                        # (M, 6, 3)
    return quads.reshape(-1, 4, 3), normals.reshape(-1, 3)


def textured_quad(name: str, corners, image_bgr: np.ndarray, normal=(0.0, 1.0, 0.0), uv=None):
    """A quad (4, 3) carrying an image (rows: v = 0 at corners[0]/[1]); unlit, its colours final."""
    from panda3d.core import SamplerState, Texture
    h, w = image_bgr.shape[:2]
    # The software renderer takes power-of-two textures only (2048 at most): resample to one.
    pw, ph = (min(2048, 1 << max(1, int(v - 1).bit_length())) for v in (w, h))
    if (pw, ph) != (w, h):
        import cv2
        image_bgr = cv2.resize(image_bgr, (pw, ph), interpolation=cv2.INTER_AREA if pw < w else cv2.INTER_LINEAR)
        h, w = ph, pw
    tex = Texture(name)
    tex.setup2dTexture(w, h, Texture.T_unsigned_byte, Texture.F_rgb)
    tex.setRamImage(np.ascontiguousarray(image_bgr).tobytes())  # Panda's RAM order is BGR
    tex.setMinfilter(SamplerState.FT_linear_mipmap_linear)   # mipmaps: the far floor does not sparkle
    tex.setMagfilter(SamplerState.FT_linear)
    tex.setWrapU(SamplerState.WM_clamp)
    tex.setWrapV(SamplerState.WM_clamp)
    pts = np.asarray(corners, np.float64)
    uv = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float64) if uv is None else np.asarray(uv)
    tris = oriented(pts, np.array([[0, 1, 2], [0, 2, 3]]), np.repeat(np.asarray([normal], float), 2, axis=0))
    node = mesh(name, pts, np.repeat(np.asarray([normal], float), 4, axis=0), np.full((4, 3), 255.0), tris, uv)
    return node, tex


def sphere(name: str, colour, rings: int = 8, segments: int = 12, panda_axes: bool = True,
           vertex_colours=None, down_to: float = math.pi):
    """A unit sphere (radius 1, Panda axes: z up). `vertex_colours(z)` may colour by height.
    `down_to` (radians from the zenith) cuts it short: a dome."""
    pts, tris = [], []
    for i in range(rings + 1):
        th = down_to * i / rings
        for j in range(segments + 1):
            ph = 2 * math.pi * j / segments
            pts.append((math.sin(th) * math.cos(ph), math.sin(th) * math.sin(ph), math.cos(th)))
    for i in range(rings):
        for j in range(segments):
            a = i * (segments + 1) + j
            b = a + segments + 1
            tris += [(a, b, a + 1), (a + 1, b, b + 1)]
    pts = np.array(pts)
    tris = np.array(tris)
    # counter-clockwise seen from outside
    a, b, c = pts[tris[:, 0]], pts[tris[:, 1]], pts[tris[:, 2]]
    flip = np.einsum("ij,ij->i", np.cross(b - a, c - a), a + b + c) < 0
    tris[flip] = tris[flip][:, [0, 2, 1]]
    cols = vertex_colours(pts[:, 2]) if vertex_colours is not None else np.repeat([colour], len(pts), axis=0)
    return mesh(name, pts, pts, cols, tris, panda_axes=True)


def cylinder(name: str, colour, segments: int = 10, taper: float = 1.0, lined: bool = False):
    """A unit cylinder along +Y (Panda: from y=0 to y=1, radius 1 at y=0, `taper` at y=1), open at
    both ends (limbs have spheres at their joints, the trunk's ends lie inside the torso's balls).
    `lined`: with an inside too (inward normals, reversed windings), for an open garment (a coat's or
    a dress's skirt): seen into its hem, a single wall's far side is a culled back face and the ground
    behind would show through."""
    pts, nrm, tris = [], [], []
    for j in range(segments + 1):
        ph = 2 * math.pi * j / segments
        c, s = math.cos(ph), math.sin(ph)
        pts += [(c, 0.0, s), (c * taper, 1.0, s * taper)]
        nrm += [(c, 0.0, s), (c, 0.0, s)]
    for j in range(segments):
        a = 2 * j
        tris += [(a, a + 1, a + 2), (a + 1, a + 3, a + 2)]
    pts, nrm, tris = np.array(pts), np.array(nrm), np.array(tris)
    a, b, c = pts[tris[:, 0]], pts[tris[:, 1]], pts[tris[:, 2]]
    out = (a + b + c) / 3
    out[:, 1] = 0
    flip = np.einsum("ij,ij->i", np.cross(b - a, c - a), out) < 0
    tris[flip] = tris[flip][:, [0, 2, 1]]
    if lined:   # the same wall facing in: its own vertices (inward normals), the windings reversed
        tris = np.vstack([tris, tris[:, [0, 2, 1]] + len(pts)])
        pts, nrm = np.vstack([pts, pts]), np.vstack([nrm, -nrm])
    return mesh(name, pts, nrm, np.repeat([colour], len(pts), axis=0), tris, panda_axes=True)
