"""RigSketch: per-frame rig numbers -> the face's feature lines rasterised at low resolution, in-graph.

Spatial conditioning of talking-head generators is usually rasterised landmarks (Zakharov et
al. 2019; vid2vid, Wang et al. 2018); v1 drew them in Python/OpenCV, which a browser cannot run.
Here the keypoints come from the actor's linear basis (gan/networks/keypoints.py):

    kp = project(R(pose) @ (kp_base + rig . kp_delta - pivot) + pivot)          # (B, M, 2)

and each sketch channel is the max over its segments of a Gaussian of the distance to the
segment (soft lines) and over its points of a Gaussian splat, on a res x res grid. Everything
is matmul, gather and elementwise ops, so the ONNX graph (opset 17) carries it and
onnxruntime-web needs only the rig numbers. No parameters are learned here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from gan.networks.keypoints import KeypointBasis, SketchChannel


def rotation(pose_deg: torch.Tensor) -> torch.Tensor:
    """(B, 3) yaw, pitch, roll in degrees -> (B, 3, 3) R = Ry(yaw) @ Rx(pitch) @ Rz(roll).

    The actor's convention (gan/actor/camera.py: +y up, +z to the camera, angles about the pivot).
    """
    a = pose_deg * (np.pi / 180.0)
    cy, cp, cr = torch.cos(a[:, 0]), torch.cos(a[:, 1]), torch.cos(a[:, 2])
    sy, sp, sr = torch.sin(a[:, 0]), torch.sin(a[:, 1]), torch.sin(a[:, 2])
    one, zero = torch.ones_like(cy), torch.zeros_like(cy)
    ry = torch.stack([cy, zero, sy, zero, one, zero, -sy, zero, cy], -1).view(-1, 3, 3)
    rx = torch.stack([one, zero, zero, zero, cp, -sp, zero, sp, cp], -1).view(-1, 3, 3)
    rz = torch.stack([cr, -sr, zero, sr, cr, zero, zero, zero, one], -1).view(-1, 3, 3)
    return ry @ rx @ rz


def layout_of(channels: tuple[SketchChannel, ...]) -> list[dict[str, Any]]:
    """Sketch channels as JSON-able dicts (stored in the generator's config)."""
    return [{"name": c.name, "segments": [list(s) for s in c.segments], "points": list(c.points)} for c in channels]


class RigSketch(nn.Module):
    """(rig (B, K), pose (B, 3) degrees) -> sketch (B, C, res, res) in [0, 1] and keypoints (B, M, 2)."""

    kp_base: torch.Tensor  # (M, 3)
    kp_delta: torch.Tensor  # (K, M * 3)
    pivot: torch.Tensor  # (3,)
    camera: torch.Tensor  # (3, 4)
    seg_a: torch.Tensor  # (N,) first keypoint of each segment
    seg_b: torch.Tensor  # (N,) second keypoint of each segment
    point_idx: torch.Tensor  # (P,) splatted keypoints
    grid_x: torch.Tensor  # (1, 1, res * res) pixel centre x, image fractions
    grid_y: torch.Tensor  # (1, 1, res * res) pixel centre y

    def __init__(self, rig_dim: int, n_keypoints: int, layout: list[dict[str, Any]], res: int = 64,
                 image_size: int = 256, sigma: float = 0.7) -> None:
        super().__init__()
        if res < 4 or sigma <= 0:
            raise ValueError(f"RigSketch needs res >= 4 and sigma > 0, got res={res}, sigma={sigma}.")
        self.res, self.image_size, self.n_keypoints = res, image_size, n_keypoints
        segments = [s for ch in layout for s in ch["segments"]]
        points = [p for ch in layout for p in ch["points"]]
        # Per channel: [start, end) into the segment list and into the point list (static slices).
        self.ranges: list[tuple[int, int, int, int]] = []
        s0 = p0 = 0
        for ch in layout:
            s1, p1 = s0 + len(ch["segments"]), p0 + len(ch["points"])
            if s1 == s0 and p1 == p0:
                raise ValueError(f"Sketch channel {ch['name']!r} has neither segments nor points.")
            self.ranges.append((s0, s1, p0, p1))
            s0, p0 = s1, p1
        self.n_channels, self.n_segments, self.n_points = len(layout), len(segments), len(points)
        self.register_buffer("kp_base", torch.zeros(n_keypoints, 3))
        self.register_buffer("kp_delta", torch.zeros(rig_dim, n_keypoints * 3))
        self.register_buffer("pivot", torch.zeros(3))
        self.register_buffer("camera", torch.eye(3, 4))
        seg = torch.tensor(segments, dtype=torch.long).view(-1, 2)
        self.register_buffer("seg_a", seg[:, 0].contiguous(), persistent=False)
        self.register_buffer("seg_b", seg[:, 1].contiguous(), persistent=False)
        self.register_buffer("point_idx", torch.tensor(points, dtype=torch.long), persistent=False)
        centres = (torch.arange(res, dtype=torch.float32) + 0.5) / res  # pixel centres, image fractions
        self.register_buffer("grid_x", centres.repeat(res).view(1, 1, res * res), persistent=False)
        self.register_buffer("grid_y", centres.repeat_interleave(res).view(1, 1, res * res), persistent=False)
        # exp(-d^2 / (2 sigma^2)) with sigma given in sketch pixels, d in image fractions
        self.inv_two_sigma2 = 1.0 / (2.0 * (sigma / res) ** 2)

    def load_basis(self, basis: KeypointBasis) -> None:
        """Copy the actor's numbers into the buffers (then they travel in the checkpoint)."""
        with torch.no_grad():
            self.kp_base.copy_(torch.from_numpy(basis.kp_base))
            self.kp_delta.copy_(torch.from_numpy(basis.kp_delta.reshape(len(basis.kept), -1)))
            self.pivot.copy_(torch.from_numpy(basis.pivot))
            self.camera.copy_(torch.from_numpy(basis.camera))

    def keypoints(self, rig: torch.Tensor, pose: torch.Tensor) -> torch.Tensor:
        """(B, K), (B, 3) -> keypoints (B, M, 2) in image fractions (0..1, origin top-left)."""
        b = rig.shape[0]
        pts = self.kp_base + (rig @ self.kp_delta).view(b, self.n_keypoints, 3)  # (B, M, 3) head space
        pts = (pts - self.pivot) @ rotation(pose).transpose(1, 2) + self.pivot  # posed
        uvw = pts @ self.camera[:, :3].T + self.camera[:, 3]  # (B, M, 3) homogeneous pixels
        return uvw[..., :2] / (uvw[..., 2:3] * self.image_size)

    def forward(self, rig: torch.Tensor, pose: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        kp = self.keypoints(rig, pose)  # (B, M, 2)
        b = kp.shape[0]
        lines = points = None  # (B, N, res*res) / (B, P, res*res): Gaussian of the squared distance
        maps: list[torch.Tensor] = []  # per channel: (B, res*res), max over its segments and points
        if self.n_segments:
            a, e = kp[:, self.seg_a], kp[:, self.seg_b]  # (B, N, 2) segment ends
            ax, ay = a[..., 0:1], a[..., 1:2]  # (B, N, 1)
            dx, dy = e[..., 0:1] - ax, e[..., 1:2] - ay
            inv_len2 = 1.0 / (dx * dx + dy * dy + 1e-8)
            px, py = self.grid_x - ax, self.grid_y - ay  # (B, N, HW)
            t = torch.clamp((px * dx + py * dy) * inv_len2, 0.0, 1.0)  # closest point on the segment
            qx, qy = px - t * dx, py - t * dy
            lines = torch.exp(-(qx * qx + qy * qy) * self.inv_two_sigma2)
        if self.n_points:
            p = kp[:, self.point_idx]  # (B, P, 2)
            qx, qy = self.grid_x - p[..., 0:1], self.grid_y - p[..., 1:2]
            points = torch.exp(-(qx * qx + qy * qy) * (0.5 * self.inv_two_sigma2))  # splats sqrt(2) x wider
        for s0, s1, p0, p1 in self.ranges:
            parts = []
            if s1 > s0 and lines is not None:
                parts.append(lines[:, s0:s1].amax(dim=1))
            if p1 > p0 and points is not None:
                parts.append(points[:, p0:p1].amax(dim=1))
            maps.append(parts[0] if len(parts) == 1 else torch.maximum(parts[0], parts[1]))
        return torch.stack(maps, dim=1).view(b, self.n_channels, self.res, self.res), kp
