"""Identity encoder: a reference image of the avatar -> a multi-scale identity code.

Run ONCE per avatar (the code is stored in the inference checkpoint), so its cost never shows
at render time. The code is a feature pyramid rather than one vector because the generator
warps it to the requested pose and copies appearance from it (skip connections as in U-Net /
the appearance-feature volume of LivePortrait), which lets a small decoder render sharp frames
after a short CPU training run.
"""

from __future__ import annotations

import torch
from torch import nn

# The identity code: feature maps from finest to coarsest, each (1, C_i, H_i, W_i).
IdentityCode = tuple[torch.Tensor, ...]


class IdentityEncoder(nn.Module):
    """Strided conv pyramid. Level 0 is the reference image itself (a copy path for detail)."""

    def __init__(self, size: int = 128, channels: tuple[int, ...] = (16, 32, 48, 96)) -> None:
        super().__init__()
        if size % (2 ** len(channels)) != 0:
            raise ValueError(f"IdentityEncoder size {size} must be divisible by {2 ** len(channels)}.")
        self.size = size
        self.channels = channels
        layers = []
        c_in = 3
        for c in channels:
            layers.append(
                nn.Sequential(
                    nn.Conv2d(c_in, c, 3, stride=2, padding=1),
                    nn.LeakyReLU(0.2),
                    nn.Conv2d(c, c, 3, padding=1),
                    nn.LeakyReLU(0.2),
                )
            )
            c_in = c
        self.levels = nn.ModuleList(layers)

    def code_channels(self) -> tuple[int, ...]:
        """Channels of each level of the code, finest (the image, 3) first."""
        return (3, *self.channels)

    def forward(self, reference: torch.Tensor) -> IdentityCode:
        """reference (B, 3, S, S) in [-1, 1] -> (image (B,3,S,S), f_{S/2}, ..., f_{S/16})."""
        if reference.dim() != 4 or reference.shape[1] != 3 or reference.shape[-1] != self.size:
            raise ValueError(f"reference must be (B, 3, {self.size}, {self.size}), got {tuple(reference.shape)}.")
        feats = [reference]
        x = reference
        for level in self.levels:
            x = level(x)  # (B, C_i, S / 2^i, S / 2^i)
            feats.append(x)
        return tuple(feats)
