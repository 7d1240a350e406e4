"""Sample sheets of a v2 run: rows of actor | GAN (EMA) | |difference| x 3 | in-graph sketch, and the
sheet's fidelity numbers (the sheet is held-out frames when the corpus has a test split)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from gan.data.rig_corpus import RigBatch
from gan.images import tensor_to_frames
from gan.networks.rig_generator import RigGenerator


def sample_sheet(g: RigGenerator, batch: RigBatch) -> tuple[np.ndarray, dict[str, float]]:
    """(rows * S, 4 * S, 3) uint8 for the middle frame of each triplet in `batch`, and its L1 / PSNR."""
    with torch.no_grad():
        rig, pose = batch.rig[:, 1], batch.pose[:, 1]
        fake = g(rig, pose, batch.emotion, batch.intensity)
        sketch, _ = g.sketch(rig, pose)  # (B, C, S/4, S/4)
        sketch = F.interpolate(sketch.amax(dim=1, keepdim=True), size=fake.shape[-2:], mode="bilinear")
    real_u8, fake_u8 = tensor_to_frames(batch.frames[:, 1]), tensor_to_frames(fake)
    diff = np.clip(np.abs(real_u8.astype(np.int16) - fake_u8.astype(np.int16)) * 3, 0, 255).astype(np.uint8)
    # the sketch drawn over a dimmed actor frame, so a human sees whether it sits on the features
    overlay = (0.4 * real_u8 + 255 * sketch[:, 0, :, :, None].numpy() * np.array([0.0, 1.0, 0.6])).clip(0, 255)
    rows = [np.concatenate(r, axis=1) for r in zip(real_u8, fake_u8, diff, overlay.astype(np.uint8))]
    err = real_u8.astype(np.float64) - fake_u8.astype(np.float64)
    mse = max(float(np.mean(err**2)), 1e-12)
    scores = {"sheet_l1": float(np.abs(err).mean() / 127.5), "sheet_psnr": float(10 * np.log10(255**2 / mse))}
    return np.concatenate(rows, axis=0), scores


def write_png(path: Path, image: np.ndarray) -> None:
    """Write an RGB uint8 image (folders created)."""
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
