"""Polygon rasterizing for the previs renderer: project, clip, fill with OpenCV.

Polygons are filled anti-aliased with 4 bits of sub-pixel precision (`shift=4`), so slow camera
moves glide instead of stepping a pixel at a time (optical flow and eyes both need that). Hidden
surfaces are handled by the painter's algorithm: callers draw far to near.

Clipping: polygons fully in front of the camera and inside a guard band around the frame go
straight to `cv2.fillPoly` in one batch; the few that cross the near plane or the guard band are
clipped in camera space (Sutherland-Hodgman) one by one.
"""
from __future__ import annotations

import cv2
import numpy as np

from .camera import NEAR_M, CameraPose

SHIFT = 4
_ONE = 1 << SHIFT
GUARD = 64.0  # guard band (half-frames): within it OpenCV clips; beyond, we clip in camera space


class Raster:
    def __init__(self, width: int, height: int):
        self.width, self.height = width, height
        self.cx, self.cy = width / 2.0, height / 2.0

    def set_camera(self, pose: CameraPose) -> None:
        self.pose = pose
        self.R, self.C = pose.world_to_camera()
        self.f = pose.focal_px(self.width)
        gx = GUARD * self.cx / self.f
        gy = GUARD * self.cy / self.f
        # inside when a.x >= 0 for each plane (x, y, z, 1)
        self._planes = np.array([[0, 0, 1, -NEAR_M], [1, 0, gx, 0], [-1, 0, gx, 0], [0, 1, gy, 0], [0, -1, gy, 0]],
                                dtype=np.float64)

    # -- transforms ------------------------------------------------------------------------------
    def to_camera(self, pts: np.ndarray) -> np.ndarray:
        return (pts - self.C) @ self.R.T

    def project(self, cam: np.ndarray) -> np.ndarray:
        """Camera-space points (..., 3) with z > 0 -> pixel coordinates (..., 2)."""
        z = cam[..., 2:3]
        return np.concatenate([self.cx + self.f * cam[..., 0:1] / z, self.cy + self.f * cam[..., 1:2] / z], axis=-1)

    # -- filling ---------------------------------------------------------------------------------
    def fill_batch(self, img: np.ndarray, cam_polys: np.ndarray, colours: np.ndarray,
                   classes: np.ndarray | None = None, aa: bool = True) -> None:
        """Fill polygons (N, K, 3) in camera space. Colours (N, 3) BGR.

        Without `classes` they are drawn in the given order (painter's), one fillPoly per run of
        equal colour. With `classes` (polygons that never overlap on screen, e.g. a tiled plane)
        each colour class is one fillPoly call, whatever the order. `aa=False` skips anti-aliasing
        (far silhouettes, where it costs time and shows nothing)."""
        if len(cam_polys) == 0:
            return
        x, y, z = cam_polys[..., 0], cam_polys[..., 1], cam_polys[..., 2]
        hx, hy = self.cx / self.f, self.cy / self.f
        # Quick reject: every vertex outside the same frustum half-space (valid behind the camera too).
        off = ((z <= NEAR_M).all(axis=1) | (x > hx * z).all(axis=1) | (x < -hx * z).all(axis=1) |
               (y > hy * z).all(axis=1) | (y < -hy * z).all(axis=1))
        idx = np.nonzero(~off)[0]
        if len(idx) == 0:
            return
        polys = cam_polys[idx]
        zs = polys[..., 2]
        fast = (zs > NEAR_M).all(axis=1)
        safe_z = np.where(fast[:, None], zs, 1.0)
        pix = self.cx + self.f * polys[..., 0] / safe_z
        piy = self.cy + self.f * polys[..., 1] / safe_z
        fast &= ((np.abs(pix - self.cx) < GUARD * self.cx) & (np.abs(piy - self.cy) < GUARD * self.cy)).all(axis=1)
        ints = np.rint(np.stack([pix, piy], -1) * _ONE).astype(np.int32)
        line = cv2.LINE_AA if aa else cv2.LINE_8
        if classes is not None:
            cls = classes[idx]
            cols = np.rint(colours[idx]).astype(np.int32)
            for c in np.unique(cls):
                members = np.nonzero(cls == c)[0]
                self._fill_run(img, members, fast, ints, polys, tuple(int(v) for v in cols[members[0]]), line)
            return
        cols = np.rint(colours[idx]).astype(np.int32)
        # Runs of equal colour go to one fillPoly call each (draw order is kept).
        change = np.ones(len(idx), dtype=bool)
        change[1:] = (cols[1:] != cols[:-1]).any(axis=1)
        starts = np.nonzero(change)[0].tolist() + [len(idx)]
        for a, b in zip(starts[:-1], starts[1:]):
            self._fill_run(img, np.arange(a, b), fast, ints, polys, tuple(int(v) for v in cols[a]), line)

    def _fill_run(self, img, members, fast, ints, polys, colour, line) -> None:
        if fast[members].all():
            cv2.fillPoly(img, ints[members], colour, lineType=line, shift=SHIFT)
            return
        run = [ints[j] for j in members if fast[j]]
        for j in members:
            if not fast[j]:
                clipped = self.clip(polys[j])
                if clipped is not None:
                    run.append(np.rint(self.project(clipped) * _ONE).astype(np.int32))
        if run:
            cv2.fillPoly(img, run, colour, lineType=line, shift=SHIFT)

    def clip(self, poly: np.ndarray) -> np.ndarray | None:
        """Sutherland-Hodgman against the near plane and the guard band, in camera space."""
        pts = poly
        for plane in self._planes:
            if len(pts) == 0:
                return None
            d = pts @ plane[:3] + plane[3]
            if (d >= 0).all():
                continue
            out = []
            n = len(pts)
            for i in range(n):
                a, b = pts[i], pts[(i + 1) % n]
                da, db = d[i], d[(i + 1) % n]
                if da >= 0:
                    out.append(a)
                if (da >= 0) != (db >= 0):
                    out.append(a + (b - a) * (da / (da - db)))
            pts = np.array(out) if out else np.zeros((0, 3))
        return pts if len(pts) >= 3 else None
