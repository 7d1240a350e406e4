"""The actor's fixed camera and the head-pose convention (shared by the renderer and the keypoint basis).

Head space: metres, origin at the head pivot (the atlanto-occipital joint), +y up, +z towards the
camera, +x the actor's left (image right). Pose angles are degrees and R = Ry(yaw) @ Rx(pitch) @ Rz(roll),
applied about the pivot: +yaw turns the face towards the actor's left (image right), +pitch nods the
face down, +roll tilts the head towards the actor's right shoulder (its left side goes up).
Pixel coordinates: x to the right, y down, origin at the top-left corner of the image, so pixel (i, j)
covers [j, j+1) x [i, i+1) and its centre is (j + 0.5, i + 0.5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Camera:
    """A pinhole camera looking along -z from `position`, square image."""

    position: tuple[float, float, float] = (0.0, 0.036, 1.05)  # head-space eye point (metres)
    fov_y_deg: float = 17.5  # vertical field of view: ~0.29 m at the face, which is ~60 % of the width
    # (lead 14:00: hair top ~8 % from the top edge, the collar at the bottom, a mouth ~45 px wide at 256)
    near: float = 0.3  # near clip plane distance (metres)
    far: float = 3.0  # far clip plane distance (metres)

    def __post_init__(self) -> None:
        if not 5.0 <= self.fov_y_deg <= 90.0:
            raise ValueError(f"fov_y_deg must lie in [5, 90]; got {self.fov_y_deg}.")
        if not 0.0 < self.near < self.far:
            raise ValueError("The camera needs 0 < near < far.")
        if self.position[2] <= self.near + 0.3:
            raise ValueError("The camera must stand in front of the head (position z > near + 0.3 m).")

    def view_projection(self) -> np.ndarray:
        """(4, 4) OpenGL clip-from-head-space matrix (column vectors: clip = M @ [p, 1])."""
        f = 1.0 / np.tan(np.radians(self.fov_y_deg) / 2.0)
        n, fa = self.near, self.far
        proj = np.array(
            [[f, 0, 0, 0], [0, f, 0, 0], [0, 0, (fa + n) / (n - fa), 2 * fa * n / (n - fa)], [0, 0, -1, 0]],
            dtype=np.float64,
        )
        view = np.eye(4)
        view[:3, 3] = -np.asarray(self.position)
        return proj @ view

    def pixel_matrix(self, size: int) -> np.ndarray:
        """(3, 4) matrix P with [u*w, v*w, w] = P @ [p, 1]: head-space point -> pixel coordinates (see module doc)."""
        f = 0.5 * size / np.tan(np.radians(self.fov_y_deg) / 2.0)
        c = 0.5 * size
        intrinsics = np.array([[f, 0, c], [0, -f, c], [0, 0, 1]], dtype=np.float64)
        # The camera looks along -z, so depth in front of it is -(p_z - cam_z); flip z and y accordingly.
        extrinsics = np.array([[1, 0, 0], [0, 1, 0], [0, 0, -1]], dtype=np.float64)
        rt = np.concatenate([extrinsics, -extrinsics @ np.asarray(self.position)[:, None]], 1)
        return intrinsics @ rt

    def project(self, points: np.ndarray, size: int) -> np.ndarray:
        """(..., 3) head-space points (already posed) -> (..., 2) pixel coordinates."""
        hom = np.concatenate([points, np.ones((*points.shape[:-1], 1))], -1) @ self.pixel_matrix(size).T
        return hom[..., :2] / hom[..., 2:3]


def pose_matrix(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """(3, 3) head rotation R = Ry(yaw) @ Rx(pitch) @ Rz(roll) for angles in degrees (see module doc)."""
    y, p, r = np.radians([yaw, pitch, roll])
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return ry @ rx @ rz
