"""Frames between uint8 images (..., S, S, 3) and the networks' tensors (..., 3, S, S) in [-1, 1]."""

from __future__ import annotations

import numpy as np
import torch


def frames_to_tensor(frames: np.ndarray) -> torch.Tensor:
    """(..., S, S, 3) uint8 -> (..., 3, S, S) float in [-1, 1]."""
    t = torch.from_numpy(np.ascontiguousarray(frames)).float().div_(127.5).sub_(1.0)
    return t.movedim(-1, -3)


def tensor_to_frames(images: torch.Tensor) -> np.ndarray:
    """(..., 3, S, S) in [-1, 1] -> (..., S, S, 3) uint8."""
    x = images.detach().movedim(-3, -1).add(1.0).mul(127.5).round().clamp(0, 255)
    return x.to(torch.uint8).cpu().numpy()
