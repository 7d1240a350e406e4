"""Discriminators: a conditioned patch critic on frames and a temporal critic on frame stacks.

Both return (logits, features); the features of every layer feed the feature-matching and the
"perceptual-style" losses (pix2pixHD, Wang et al. 2018), which replace a downloadable VGG.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import spectral_norm


def _down(c_in: int, c_out: int) -> nn.Sequential:
    """Spectral-normalised stride-2 conv + LeakyReLU (Miyato et al. 2018 stabilises D)."""
    return nn.Sequential(spectral_norm(nn.Conv2d(c_in, c_out, 4, stride=2, padding=1)), nn.LeakyReLU(0.2))


class PatchDiscriminator(nn.Module):
    """D(frame, cond) -> per-patch logits (B, 1, S/2^L, S/2^L) for L = len(channels) levels, and features.

    Conditioning by projection (Miyato & Koyama 2018): logit(x, y) = psi(h) + <embed(c), h> at
    every patch, so D judges "is this a real frame FOR this motion/emotion", not just realism.
    """

    def __init__(self, size: int, channels: tuple[int, ...], cond_dim: int) -> None:
        super().__init__()
        self.size = size
        blocks = []
        c_in = 3
        for c in channels:
            blocks.append(_down(c_in, c))
            c_in = c
        self.blocks = nn.ModuleList(blocks)
        self.psi = spectral_norm(nn.Conv2d(c_in, 1, 3, padding=1))
        self.embed = spectral_norm(nn.Linear(cond_dim, c_in))

    def forward(self, frame: torch.Tensor, cond: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """frame (B, 3, S, S) in [-1, 1], cond (B, cond_dim) -> logits (B, 1, h, w), features."""
        feats = []
        h = frame
        for block in self.blocks:
            h = block(h)
            feats.append(h)
        proj = (self.embed(cond)[:, :, None, None] * h).sum(dim=1, keepdim=True)  # (B, 1, h, w)
        return self.psi(h) + proj, feats


class TemporalDiscriminator(nn.Module):
    """D_t(stack of K consecutive frames) -> logits and features; judges motion smoothness.

    Frames are stacked on channels at half resolution (temporal artefacts such as flicker and
    jumps are visible there; Vougioukas et al. 2019 use a sequence critic for the same reason).
    """

    def __init__(self, n_frames: int = 3, channels: tuple[int, ...] = (32, 64, 128)) -> None:
        super().__init__()
        self.n_frames = n_frames
        blocks = []
        c_in = 3 * n_frames
        for c in channels:
            blocks.append(_down(c_in, c))
            c_in = c
        self.blocks = nn.ModuleList(blocks)
        self.psi = spectral_norm(nn.Conv2d(c_in, 1, 3, padding=1))

    def forward(self, frames: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """frames (B, K, 3, S, S) in [-1, 1] -> logits (B, 1, h, w), features."""
        k = frames.shape[1]
        if k != self.n_frames:
            raise ValueError(f"TemporalDiscriminator expects {self.n_frames} frames, got {k}.")
        x = frames.flatten(1, 2)  # (B, 3K, S, S)
        h = nn.functional.avg_pool2d(x, 2)  # (B, 3K, S/2, S/2)
        feats = []
        for block in self.blocks:
            h = block(h)
            feats.append(h)
        return self.psi(h), feats
