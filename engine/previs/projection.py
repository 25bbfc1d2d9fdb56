"""Project world points with the engine's pinhole camera (camera.CameraPose): labels, the pose
pass, the board's layer planes and the tests all use this one projection; the Panda3D lens is set
from the same intrinsics (stage.set_lens)."""
from __future__ import annotations

import numpy as np

from .camera import CameraPose


class Pinhole:
    def __init__(self, pose: CameraPose, width: int, height: int):
        self.width, self.height = width, height
        self.cx, self.cy = width / 2.0, height / 2.0
        self.pose = pose
        self.R, self.C = pose.world_to_camera()
        self.f = pose.focal_px(width)

    def to_camera(self, pts: np.ndarray) -> np.ndarray:
        return (np.asarray(pts, dtype=np.float64) - self.C) @ self.R.T

    def project(self, cam: np.ndarray) -> np.ndarray:
        """Camera-space points (..., 3) with z > 0 -> pixel coordinates (..., 2)."""
        z = cam[..., 2:3]
        return np.concatenate([self.cx + self.f * cam[..., 0:1] / z, self.cy + self.f * cam[..., 1:2] / z], axis=-1)

    def pixels(self, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """World points -> (pixels (..., 2), depth along the optical axis (...))."""
        cam = self.to_camera(pts)
        z = np.where(cam[..., 2] > 1e-6, cam[..., 2], 1e-6)
        return self.project(np.concatenate([cam[..., :2], z[..., None]], axis=-1)), cam[..., 2]
