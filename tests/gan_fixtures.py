"""Test-only stand-ins for the actor's keypoint basis and the rig's v2 corpus, in their real formats.

A random basis (plausible face-like layout: lips, lids, brows, jaw lines and iris points) and
synthetic `seq_*` shards whose frames are drawn from that basis' own keypoints, so a generator
can learn them in a few steps. The real files replace these without any code change.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gan.networks.keypoints import KeypointBasis, SketchChannel, save_keypoint_basis
from gan.rig.arkit import KEPT
from gan.rig.expressions import EXPRESSIONS as EMOTIONS

__all__ = ["EMOTIONS", "KEPT", "random_basis", "write_basis", "write_shards"]


def _ring(cx: float, cy: float, rx: float, ry: float, n: int) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t), np.zeros(n)], 1)


def random_basis(seed: int = 0, image_size: int = 256) -> KeypointBasis:
    """A face-like keypoint basis with random rig deltas (head space ~ [-1, 1], camera at z = 5)."""
    rng = np.random.default_rng(seed)
    parts = {"lips": _ring(0, 0.45, 0.3, 0.1, 12), "lid_l": _ring(-0.35, -0.2, 0.15, 0.05, 8),
             "lid_r": _ring(0.35, -0.2, 0.15, 0.05, 8), "brows": np.array([[-0.5, -0.4, 0], [-0.2, -0.45, 0],
                                                                              [0.2, -0.45, 0], [0.5, -0.4, 0]]),
             "jaw": _ring(0, 0.0, 0.7, 0.85, 10)}
    iris = np.array([[-0.35, -0.2, 0.05], [0.35, -0.2, 0.05]])
    names: list[str] = []
    base: list[np.ndarray] = []
    channels: list[SketchChannel] = []
    for name, pts in parts.items():
        start = len(base)
        base += list(pts)
        names += [f"{name}{i}" for i in range(len(pts))]
        idx = list(range(start, start + len(pts)))
        closed = name != "brows"
        segs = list(zip(idx, idx[1:] + ([idx[0]] if closed else [])))
        channels.append(SketchChannel(name, tuple(segs), ()))
    channels.append(SketchChannel("iris", (), (len(base), len(base) + 1)))
    base += list(iris)
    names += ["iris_l", "iris_r"]
    m = len(base)
    delta = rng.normal(0, 0.05, (len(KEPT), m, 3)).astype(np.float32)
    f, c = 2.0 * image_size, image_size / 2
    camera = np.array([[f, 0, c, c * 5], [0, f, c, c * 5], [0, 0, 1, 5]], np.float32)
    return KeypointBasis(KEPT, tuple(names), np.array(base, np.float32), delta, np.zeros(3, np.float32),
                         camera, image_size, tuple(channels))


def write_basis(folder: Path, seed: int = 0, image_size: int = 256) -> Path:
    """Save a random basis as <folder>/keypoints_v2.{safetensors,json}; returns the stem path."""
    path = folder / "keypoints_v2"
    save_keypoint_basis(random_basis(seed, image_size), path)
    return path


def write_shards(folder: Path, basis: KeypointBasis, size: int = 64, n_seq: int = 3, length: int = 8,
                 prefix: str = "seq", seed: int = 0, start: int = 0) -> None:
    """Synthetic v2 shards: frames = keypoint dots drawn from the basis (so G can learn them)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for s in range(start, start + n_seq):
        t = length
        rig = rng.uniform(0, 1, (t, len(basis.kept))).astype(np.float32)
        pose = rng.uniform(-5, 5, (t, 3)).astype(np.float32)
        px = basis.project(rig, pose) * size / basis.image_size  # (T, M, 2)
        frames = np.full((t, size, size, 3), 40, np.uint8)
        for i in range(t):
            xy = np.clip(np.round(px[i]).astype(int), 0, size - 1)
            frames[i, xy[:, 1], xy[:, 0]] = (230, 180, 150)
        emotion = np.zeros((t, len(EMOTIONS)), np.float32)
        emotion[:, s % len(EMOTIONS)] = 1.0
        np.savez(folder / f"{prefix}_{s:04d}.npz", frames=frames, rig=rig, pose=pose, emotion=emotion,
                 intensity=np.full(t, 0.8, np.float32), mel=rng.normal(0, 1, (t, 16, 80)).astype(np.float16),
                 speaking=np.full(t, s % 2 == 0), seq=np.zeros(t, np.int32), kept=np.array(basis.kept),
                 emotions=np.array(EMOTIONS), reference=np.full((1, size, size, 3), 40, np.uint8))
