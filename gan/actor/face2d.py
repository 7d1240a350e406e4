"""The synthetic tutor: a shaded procedural face rendered from rig parameters (numpy + OpenCV).

The actor makes the GAN's training data and is the fidelity reference; it is a made-up face,
not the likeness of any real person. A frame is rendered in four steps:

1. static layers (head height field, skin, hair, backdrop; `gan.actor.layout2d`) are built once;
2. the jaw drop moves the lower face down (a remap), the moving features are drawn into the
   albedo (`gan.actor.draw2d`) and smile bumps are added to the height field;
3. normals from the height field are lit by a soft key light from the front and slightly above
   plus a fill (side light made neutral faces read sad to a classifier; FINDINGS.md), with
   cavity darkening for the eye sockets and mouth corners;
4. head pose: a height-field parallax warp (inverse mapping solved by fixed-point iteration),
   then compositing over the body layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

from gan.actor.draw2d import draw_brow, draw_eye, draw_mouth
from gan.actor.layout2d import CX, CY, MOUTH_Y, NOSE_BASE_Y, build_static_layers
from gan.actor.shape2d import FaceShape, face_shape
from gan.rig.params import RigParams

_KEY_LIGHT = np.array([0.10, -0.38, 1.0], dtype=np.float32)  # camera frame: x right, y down, z to viewer
_KEY_LIGHT /= np.linalg.norm(_KEY_LIGHT)
_KEY_RGB = np.array([1.0, 0.97, 0.93], dtype=np.float32)
_FILL_RGB = np.array([0.95, 0.86, 0.86], dtype=np.float32)  # warm, like light scattered in skin
_PIVOT = np.array([0.0, 0.06, -0.10], dtype=np.float32)  # head rotates about the top of the neck
_POSE_ITERS = 4
_DAMPING = 0.4  # weight of the previous depth estimate in the pose-warp iteration
_ZERO4 = (0.0, 0.0, 0.0, 0.0)  # transparent border for the pose warp


def rotation(yaw_deg: float, pitch_deg: float, roll_deg: float) -> np.ndarray:
    """3x3 rotation (yaw about y, then pitch about x, then roll about z) in image axes.

    yaw + turns the nose toward image right (the avatar's left), pitch + tips the nose down,
    roll + tilts the top of the head toward image right.
    """
    y, p, r = np.deg2rad([yaw_deg, pitch_deg, roll_deg])
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rx = np.array([[1, 0, 0], [0, np.cos(p), np.sin(p)], [0, -np.sin(p), np.cos(p)]])
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return (rz @ rx @ ry).astype(np.float32)


class Actor:
    """Renders RigParams to RGB frames of the default synthetic tutor.

    Deterministic: the same (size, seed, params) always gives the same pixels. `seed` only
    changes micro-texture (skin mottling, hair strands, iris streaks), not the identity.
    """

    def __init__(self, size: int = 256, seed: int = 0) -> None:
        if not isinstance(size, int) or not 64 <= size <= 1024:
            raise ValueError(f"Actor size must be an int in [64, 1024], got {size!r}.")
        self.size = size
        self.seed = int(seed)
        self._layers = build_static_layers(size, self.seed)
        rng = np.random.default_rng(self.seed + 1)
        self._iris_noise = cv2.GaussianBlur(rng.standard_normal((256, 1)).astype(np.float32), (1, 3), 0)[:, 0]
        white = rng.standard_normal((size, size)).astype(np.float32)
        brow = np.asarray(cv2.GaussianBlur(white, (0, 0), sigmaX=1.5 * size / 256, sigmaY=0.4))
        self._brow_noise = np.clip(brow / (brow.std() + 1e-6), -2.0, 2.0) * 0.5
        xs, ys = self._layers.xs, self._layers.ys
        self._cheeks = sum(
            np.exp(-0.5 * (((xs - s * 0.102) / 0.038) ** 2 + ((ys - 0.118) / 0.030) ** 2)) for s in (-1.0, 1.0)
        ).astype(np.float32)
        self._folds = self._fold_map(xs, ys)
        self._furrow = sum(
            np.exp(-0.5 * (((xs - s * 0.011) / 0.0035) ** 2 + ((ys + 0.045) / 0.014) ** 2)) for s in (-1.0, 1.0)
        ).astype(np.float32)
        self._wrinkle = np.exp(-0.5 * ((xs / 0.03) ** 2 + ((ys - 0.03) / 0.012) ** 2)).astype(np.float32)
        lay = self._layers
        self._albedo_alpha = np.ascontiguousarray(np.dstack([lay.albedo, lay.alpha]))  # remapped together
        self._z_spec = np.ascontiguousarray(np.dstack([lay.z, lay.spec]))
        self._pix = np.meshgrid(np.arange(size, dtype=np.float32), np.arange(size, dtype=np.float32))

    @staticmethod
    def _fold_map(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """Nasolabial creases: soft lines from beside the nose wings to beyond the mouth corners."""
        out = np.zeros_like(xs)
        for side in (-1.0, 1.0):
            a = np.array([side * 0.042, NOSE_BASE_Y - 0.012])
            b = np.array([side * 0.088, MOUTH_Y + 0.022])
            ab = b - a
            t = np.clip(((xs - a[0]) * ab[0] + (ys - a[1]) * ab[1]) / float(ab @ ab), 0.0, 1.0)
            d2 = (xs - a[0] - t * ab[0]) ** 2 + (ys - a[1] - t * ab[1]) ** 2
            out += np.exp(-0.5 * d2 / 0.006**2) * np.clip(np.sin(np.pi * t), 0.0, 1.0) ** 0.7
        return out.astype(np.float32)

    # ---------------------------------------------------------------- one frame
    def render(self, params: RigParams) -> np.ndarray:
        """(size, size, 3) uint8 RGB frame for one set of rig parameters."""
        if not isinstance(params, RigParams):
            raise TypeError(f"Actor.render expects RigParams, got {type(params).__name__}.")
        shape = face_shape(params)
        albedo, z, alpha, spec = self._deform(shape)
        # Features are drawn in face space before the pose warp, so they move with the head.
        for side in (-1.0, 1.0):
            draw_brow(albedo, shape, side, self._brow_noise)
            draw_eye(albedo, shape, side, self._iris_noise)
        draw_mouth(albedo, z, shape)
        rot = rotation(params.yaw, params.pitch, params.roll)
        head = self._shade(albedo, z, spec, rot)
        rgba = np.empty((self.size, self.size, 4), dtype=np.float32)
        np.multiply(head, alpha[..., None], out=rgba[..., :3])
        rgba[..., 3] = alpha
        rgba = self._pose_warp(rgba, z, rot)
        out = self._layers.body * (1.0 - rgba[..., 3:4])
        out += rgba[..., :3]
        return np.asarray(cv2.convertScaleAbs(out, alpha=255.0))  # rounds and saturates to uint8

    def render_batch(self, params: Sequence[RigParams], workers: int = 1) -> np.ndarray:
        """(T, size, size, 3) uint8; `workers` > 1 renders frames in threads (OpenCV/numpy release the GIL)."""
        items = list(params)
        if not items:
            return np.zeros((0, self.size, self.size, 3), dtype=np.uint8)
        if workers <= 1:
            frames = [self.render(p) for p in items]
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                frames = list(pool.map(self.render, items))
        return np.stack(frames)

    # ---------------------------------------------------------------- steps
    def _deform(self, shape: FaceShape) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Jaw drop (lower face moves down with the lower lip) and expression bumps."""
        lay = self._layers
        lower_shift = 0.75 * shape.gap  # the jaw carries the lower lip; see actor_draw.mouth_contours
        if lower_shift * self.size > 0.05:
            map_x, map_y = self._pix
            map_y = map_y - lower_shift * self.size * lay.jaw_ramp
            four = cv2.remap(self._albedo_alpha, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            two = cv2.remap(self._z_spec, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            albedo, alpha = np.ascontiguousarray(four[..., :3]), np.ascontiguousarray(four[..., 3])
            z, spec = np.ascontiguousarray(two[..., 0]), np.ascontiguousarray(two[..., 1])
        else:
            albedo, alpha, z, spec = lay.albedo.copy(), lay.alpha, lay.z.copy(), lay.spec
        if shape.cheek > 0:
            z += 0.016 * shape.cheek * self._cheeks * lay.face_mask
        if shape.fold > 0:
            z -= 0.0045 * shape.fold * self._folds
        if shape.furrow > 0:
            z -= 0.005 * shape.furrow * self._furrow
        if shape.nose_wrinkle > 0:
            z -= 0.004 * shape.nose_wrinkle * self._wrinkle
        return albedo, z, alpha, spec

    def _shade(self, albedo: np.ndarray, z: np.ndarray, spec: np.ndarray, rot: np.ndarray) -> np.ndarray:
        """Soft front key + fill + specular + cavity occlusion, in the head's own frame."""
        s = float(self.size)
        zx = cv2.Sobel(z, cv2.CV_32F, 1, 0, ksize=3) * (s / 8.0)
        zy = cv2.Sobel(z, cv2.CV_32F, 0, 1, ksize=3) * (s / 8.0)
        # Limit the slope at silhouettes (normals at most ~70 deg from the viewer): a rim that turns
        # fully away reads as a dark cartoon outline.
        g = np.sqrt(zx * zx + zy * zy)
        scale = np.minimum(1.0, 2.7 / (g + 1e-6))
        zx, zy = zx * scale, zy * scale
        inv = 1.0 / np.sqrt(zx * zx + zy * zy + 1.0)
        nx, ny, nz = -zx * inv, -zy * inv, inv
        light = rot.T @ _KEY_LIGHT  # light direction in head coordinates
        half = light + rot.T @ np.array([0.0, 0.0, 1.0], dtype=np.float32)
        half /= np.linalg.norm(half)
        ndl = nx * light[0] + ny * light[1] + nz * light[2]
        diffuse = np.clip((ndl + 0.30) / 1.30, 0.0, 1.0)
        fill = 0.26 + 0.14 * nz
        ndh = np.clip(nx * half[0] + ny * half[1] + nz * half[2], 0.0, 1.0)
        ndh2 = ndh * ndh
        ndh4 = ndh2 * ndh2
        ndh8 = ndh4 * ndh4
        highlight = spec * (ndh8 * ndh8 * ndh8 * ndh4)  # ndh**28 (Blinn-Phong), by repeated squaring
        blur = cv2.GaussianBlur(z, (0, 0), 3.0 * s / 256.0)
        cavity = 1.0 - np.clip((blur - z) * 28.0, 0.0, 0.45)
        light_rgb = fill[..., None] * _FILL_RGB + (0.80 * diffuse)[..., None] * _KEY_RGB
        return albedo * light_rgb * cavity[..., None] + highlight[..., None]

    def _pose_warp(self, rgba: np.ndarray, z: np.ndarray, rot: np.ndarray) -> np.ndarray:
        """Resample the head so each output pixel shows the surface point that projects onto it."""
        if np.allclose(rot, np.eye(3), atol=1e-6):
            return rgba
        s = float(self.size)
        a, b, c, d = (float(v) for v in rot[:2, :2].ravel())
        det = a * d - b * c
        i00, i01, i10, i11 = d / det, -b / det, -c / det, a / det  # inverse of the 2x2 in-plane part
        r30, r31 = float(rot[0, 2]), float(rot[1, 2])
        px, py = self._pix
        # Screen position relative to the pivot (face units). Solving p_xy = R2^-1 (screen - r3 (z - pivot_z))
        # for the surface point gives map = base - gain * z(map): iterate from z = z(screen).
        sx = (px + 0.5) / s - CX - float(_PIVOT[0])
        sy = (py + 0.5) / s - CY - float(_PIVOT[1])
        gain_x, gain_y = (i00 * r30 + i01 * r31) * s, (i10 * r30 + i11 * r31) * s
        pz = float(_PIVOT[2])
        base_x = ((i00 * sx + i01 * sy) + CX + float(_PIVOT[0])) * s - 0.5 + gain_x * pz
        base_y = ((i10 * sx + i11 * sy) + CY + float(_PIVOT[1])) * s - 0.5 + gain_y * pz
        zs = z
        for _ in range(_POSE_ITERS):
            map_x = cv2.addWeighted(base_x, 1.0, zs, -gain_x, 0.0)
            map_y = cv2.addWeighted(base_y, 1.0, zs, -gain_y, 0.0)
            sampled = cv2.remap(z, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=_ZERO4)
            # Damped update: near silhouettes the plain iteration oscillates between two solutions.
            zs = cv2.addWeighted(zs, _DAMPING, sampled, 1.0 - _DAMPING, 0.0)
        return cv2.remap(rgba, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=_ZERO4)


__all__ = ["Actor", "rotation"]
