"""The actor's keypoint basis: which head-space points the rig moves, and how to project them.

Written by the actor's asset script (GAN_V2.md, "Keypoint basis") as two files side by side:

- `keypoints_v2.safetensors`: float32 `kp_base` (M, 3) and `kp_delta` (K, M, 3) in head space,
  `pivot` (3,) the head-pose rotation centre, `camera` (3, 4) mapping homogeneous head-space
  points to pixels of the rendered image (u = x/z, v = y/z, origin top-left);
- `keypoints_v2.json`: `kept` (K rig names), `names` (M keypoint names), `image_size`,
  `polylines` {name: [keypoint indices]}, `points` {name: index} and `channels`
  {sketch channel: [polyline or point names]}.

The generator copies these numbers into its own buffers and config, so an inference checkpoint
is self-contained and the browser needs only per-frame rig numbers.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load_file, save_file

TENSOR_KEYS = ("kp_base", "kp_delta", "pivot", "camera")


@dataclass(frozen=True)
class SketchChannel:
    """One sketch map: soft lines along keypoint segments and/or Gaussian splats at keypoints."""

    name: str  # e.g. "lips", "lids", "iris"
    segments: tuple[tuple[int, int], ...]  # keypoint index pairs drawn as soft lines
    points: tuple[int, ...]  # keypoint indices drawn as Gaussian splats

    def __post_init__(self) -> None:
        if not self.segments and not self.points:
            raise ValueError(f"Sketch channel {self.name!r} has neither segments nor points.")


@dataclass(frozen=True)
class KeypointBasis:
    """Keypoints = project(R(pose) @ (kp_base + rig . kp_delta - pivot) + pivot) (see module doc)."""

    kept: tuple[str, ...]  # the K rig coefficient names, in the order of the rig vector
    names: tuple[str, ...]  # the M keypoint names
    kp_base: np.ndarray  # (M, 3) rest positions, head space
    kp_delta: np.ndarray  # (K, M, 3) displacement per unit of each rig coefficient
    pivot: np.ndarray  # (3,) head-pose rotation centre, head space
    camera: np.ndarray  # (3, 4) head space (homogeneous) -> pixels of the image
    image_size: int  # side of the rendered image the camera maps to (pixels)
    channels: tuple[SketchChannel, ...]  # the sketch maps, in channel order

    def __post_init__(self) -> None:
        m, k = len(self.names), len(self.kept)
        if self.kp_base.shape != (m, 3):
            raise ValueError(f"kp_base must be (M={m}, 3), got {self.kp_base.shape}.")
        if self.kp_delta.shape != (k, m, 3):
            raise ValueError(f"kp_delta must be (K={k}, M={m}, 3), got {self.kp_delta.shape}.")
        if self.pivot.shape != (3,) or self.camera.shape != (3, 4):
            raise ValueError(f"pivot must be (3,) and camera (3, 4), got {self.pivot.shape}, {self.camera.shape}.")
        if self.image_size < 8:
            raise ValueError(f"image_size must be at least 8 pixels, got {self.image_size}.")
        if not self.channels:
            raise ValueError("A keypoint basis needs at least one sketch channel.")
        for ch in self.channels:
            used = [i for seg in ch.segments for i in seg] + list(ch.points)
            if any(not 0 <= i < m for i in used):
                raise ValueError(f"Sketch channel {ch.name!r} refers to a keypoint outside 0..{m - 1}.")

    def project(self, rig: np.ndarray, pose: np.ndarray) -> np.ndarray:
        """Reference numpy projection: rig (T, K), pose (T, 3) degrees -> pixels (T, M, 2)."""
        pts = self.kp_base[None] + np.einsum("tk,kmc->tmc", rig, self.kp_delta)
        rot = rotation_matrices(np.deg2rad(pose))  # (T, 3, 3)
        pts = np.einsum("tij,tmj->tmi", rot, pts - self.pivot) + self.pivot
        uvw = pts @ self.camera[:, :3].T + self.camera[:, 3]
        return uvw[..., :2] / uvw[..., 2:3]


def rotation_matrices(angles: np.ndarray) -> np.ndarray:
    """(T, 3) yaw, pitch, roll in radians -> (T, 3, 3) R = Ry(yaw) @ Rx(pitch) @ Rz(roll).

    The actor's convention (gan/actor/camera.py: +y up, +z to the camera, angles about the pivot).
    """
    yaw, pitch, roll = angles[:, 0], angles[:, 1], angles[:, 2]
    cy, sy, cp, sp, cr, sr = np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch), np.cos(roll), np.sin(roll)
    one, zero = np.ones_like(yaw), np.zeros_like(yaw)
    ry = np.stack([cy, zero, sy, zero, one, zero, -sy, zero, cy], -1).reshape(-1, 3, 3)
    rx = np.stack([one, zero, zero, zero, cp, -sp, zero, sp, cp], -1).reshape(-1, 3, 3)
    rz = np.stack([cr, -sr, zero, sr, cr, zero, zero, zero, one], -1).reshape(-1, 3, 3)
    return ry @ rx @ rz


_SIDE_WORDS = {"upper", "lower", "left", "right"}


def _grouped_channels(polylines: dict[str, list[int]]) -> dict[str, list[str]]:
    """Sketch channels from polyline names alone: one channel per feature, its sides and upper/lower
    parts together ("lid_upper_left" and "lid_lower_right" -> "lid", "iris_left" -> "iris")."""
    channels: dict[str, list[str]] = {}
    for name in polylines:
        feature = "_".join(w for w in name.split("_") if w not in _SIDE_WORDS) or name
        channels.setdefault(feature, []).append(name)
    return channels


def _channels(meta: dict[str, Any]) -> tuple[SketchChannel, ...]:
    """Sketch channels from `channels` (named polylines and points) or, when absent, grouped from the
    polylines (`polylines`, or the actor's `segments`); a one-keypoint polyline is a splat."""
    polylines: dict[str, list[int]] = meta.get("polylines", meta.get("segments", {}))
    points: dict[str, int] = dict(meta.get("points", {}))
    channels: dict[str, list[str]] = meta.get("channels") or _grouped_channels(polylines)
    out = []
    for name, members in channels.items():
        segments: list[tuple[int, int]] = []
        splats: list[int] = []
        for member in members:
            if member in polylines and len(polylines[member]) > 1:
                segments += list(itertools.pairwise(int(i) for i in polylines[member]))
            elif member in polylines:
                splats.append(int(polylines[member][0]))
            elif member in points:
                splats.append(int(points[member]))
            else:
                raise ValueError(f"Sketch channel {name!r} names {member!r}, which is no polyline or point.")
        out.append(SketchChannel(name, tuple(segments), tuple(splats)))
    return tuple(out)


def _rig_channels(meta: dict[str, Any], delta: np.ndarray) -> tuple[tuple[str, ...], np.ndarray]:
    """(kept names, (K, M, 3) deltas): as written, or, for a basis per ARKit blendshape (the actor's
    `blendshapes`, 52 rows), mapped onto the rig's KEPT channels (gan.rig.arkit.KEPT_BASIS)."""
    if "kept" in meta:
        return tuple(meta["kept"]), delta
    from gan.rig.arkit import ARKIT_NAMES, KEPT, KEPT_BASIS

    if tuple(meta["blendshapes"]) != ARKIT_NAMES:
        raise ValueError("its blendshapes are not the 52 ARKit names in gan.rig.arkit's order")
    return KEPT, np.einsum("kj,jmc->kmc", KEPT_BASIS, delta).astype(np.float32)


def load_keypoint_basis(path: str | Path) -> KeypointBasis:
    """Read `<stem>.safetensors` + `<stem>.json` (path may name either, or the stem).

    Also reads the actor's own variant (gan/actor/keypoints.py): deltas per ARKit blendshape,
    `pixel_matrix` for `camera`, the pivot at the head-space origin, polylines as `segments`.
    """
    stem = Path(path).with_suffix("")
    tensors_path, meta_path = stem.with_suffix(".safetensors"), stem.with_suffix(".json")
    for p in (tensors_path, meta_path):
        if not p.is_file():
            raise FileNotFoundError(f"Keypoint basis file {p} is missing; the actor's asset script writes it.")
    try:
        tensors = load_file(str(tensors_path))
        meta = json.loads(meta_path.read_text())
        kept, delta = _rig_channels(meta, np.asarray(tensors["kp_delta"], np.float32))
        camera = tensors["camera"] if "camera" in tensors else tensors["pixel_matrix"]
        pivot = tensors["pivot"] if "pivot" in tensors else np.zeros(3, np.float32)
        return KeypointBasis(
            kept=kept, names=tuple(meta["names"]), image_size=int(meta["image_size"]), channels=_channels(meta),
            kp_base=np.asarray(tensors["kp_base"], np.float32), kp_delta=delta,
            pivot=np.asarray(pivot, np.float32), camera=np.asarray(camera, np.float32),
        )
    except (KeyError, TypeError, ValueError, json.JSONDecodeError) as err:
        raise ValueError(f"Keypoint basis {stem} is malformed ({err!s}).") from err


def save_keypoint_basis(basis: KeypointBasis, path: str | Path) -> None:
    """Write the two files in the format `load_keypoint_basis` reads (one polyline per segment)."""
    stem = Path(path).with_suffix("")
    stem.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: np.ascontiguousarray(getattr(basis, k), np.float32) for k in TENSOR_KEYS},
              str(stem.with_suffix(".safetensors")))
    polylines: dict[str, list[int]] = {}
    points: dict[str, int] = {}
    channels: dict[str, list[str]] = {}
    for ch in basis.channels:
        members = []
        for j, (a, b) in enumerate(ch.segments):
            polylines[f"{ch.name}_seg{j}"] = [a, b]
            members.append(f"{ch.name}_seg{j}")
        for j, i in enumerate(ch.points):
            points[f"{ch.name}_pt{j}"] = i
            members.append(f"{ch.name}_pt{j}")
        channels[ch.name] = members
    meta = {"kept": list(basis.kept), "names": list(basis.names), "image_size": basis.image_size,
            "polylines": polylines, "points": points, "channels": channels}
    stem.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")
