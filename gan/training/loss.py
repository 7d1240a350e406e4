"""The GAN's losses: small pure functions, so a training step can swap any of them.

- adversarial: hinge (Lim & Ye 2017; SAGAN/BigGAN) for D and G, or non-saturating (Goodfellow 2014);
- reconstruction: L1 against the actor frame, weighted in boxes around the mouth and eye keypoints
  (lip-sync and expression are judged there);
- feature matching on D features (pix2pixHD, Wang et al. 2018), which doubles as our
  "perceptual" loss (no downloadable VGG): D's features are computed from our own data;
- sync: the frozen sync expert's BCE on (generated mouth, audio) pairs, as in Wav2Lip.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F

AdvKind = Literal["hinge", "nonsat"]


def d_adversarial(real_logits: torch.Tensor, fake_logits: torch.Tensor, kind: AdvKind = "hinge") -> torch.Tensor:
    """Discriminator loss on real and (detached) fake logits."""
    if kind == "hinge":
        return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def g_adversarial(fake_logits: torch.Tensor, kind: AdvKind = "hinge") -> torch.Tensor:
    """Generator loss: make D call the fakes real."""
    if kind == "hinge":
        return -fake_logits.mean()
    return F.softplus(-fake_logits).mean()


def reconstruction(fake: torch.Tensor, real: torch.Tensor, weight_map: torch.Tensor | None = None) -> torch.Tensor:
    """Weighted L1 between (B, 3, S, S) images (mean over pixels, normalised by the weights)."""
    diff = (fake - real).abs()
    if weight_map is None:
        return diff.mean()
    return (diff * weight_map).mean() / weight_map.mean()


def feature_matching(fake_feats: list[torch.Tensor], real_feats: list[torch.Tensor]) -> torch.Tensor:
    """Mean L1 between D's features of fakes and (detached) features of the paired real frames."""
    losses = [(f - r.detach()).abs().mean() for f, r in zip(fake_feats, real_feats)]
    return torch.stack(losses).mean()


def sync_loss(sync_logits: torch.Tensor) -> torch.Tensor:
    """BCE pushing the frozen expert to call (generated mouth, true audio) in sync."""
    return F.binary_cross_entropy_with_logits(sync_logits, torch.ones_like(sync_logits))


def keypoint_weight_map(kp: torch.Tensor, regions: list[tuple[torch.Tensor, float]], size: int,
                        margin: float = 0.03) -> torch.Tensor:
    """(B, 1, S, S) L1 weights: 1 everywhere, each region's weight inside the box around its keypoints.

    kp (B, M, 2) keypoints in image fractions (the generator's own projection of the rig, so the
    boxes follow the mouth and eyes as the head moves); regions = [(keypoint indices, weight)], later
    regions win where boxes overlap; margin widens each box (image fractions).
    """
    b = kp.shape[0]
    centres = (torch.arange(size, device=kp.device, dtype=kp.dtype) + 0.5) / size
    w = torch.ones(b, 1, size, size, device=kp.device, dtype=kp.dtype)
    for idx, weight in regions:
        pts = kp[:, idx].detach()  # (B, n, 2)
        lo, hi = pts.amin(dim=1) - margin, pts.amax(dim=1) + margin  # (B, 2)
        in_x = (centres[None] >= lo[:, :1]) & (centres[None] <= hi[:, :1])  # (B, S)
        in_y = (centres[None] >= lo[:, 1:]) & (centres[None] <= hi[:, 1:])
        inside = (in_y[:, :, None] & in_x[:, None, :])[:, None]  # (B, 1, S, S)
        w = torch.where(inside, torch.full_like(w, weight), w)
    return w


def multiscale_l1(fake: torch.Tensor, real: torch.Tensor, levels: int = 2) -> torch.Tensor:
    """Mean L1 at 1/2 .. 1/2^levels resolution: shape and colour before pixel detail, cheap (no VGG here)."""
    losses = []
    for _ in range(levels):
        fake, real = F.avg_pool2d(fake, 2), F.avg_pool2d(real, 2)
        losses.append((fake - real).abs().mean())
    return torch.stack(losses).mean()
