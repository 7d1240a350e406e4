"""Generator: identity code + rig motion + emotion + intensity -> one RGB frame.

A light decoder built for CPU speed (renderer bar: >= 25 frames/s, and ~70 frames/s so that a
whole clip renders in well under half its duration on 2 cores):

1. a mapping MLP turns the conditioning (motion, emotion, intensity) into a style vector w;
2. w predicts a coarse flow field (16x16) that warps every level of the identity code to the
   requested head pose / gaze (zero-initialised: training starts from "copy the reference");
3. a decoder goes 8x8 -> S with few channels at high resolution; each block upsamples, concats
   the warped identity features of its scale, convolves and is modulated by w (FiLM, Perez et
   al. 2018, a cheap stand-in for StyleGAN2's weight demodulation);
4. StyleGAN2-style skip toRGB outputs are summed across scales (fast early training);
5. optionally (sketch_channels > 0) the rig sketch (`gan.rig.sketch`: lips, mouth opening, eye
   openings, irises, brows rasterised at S/2) is warped by the same flow and concatenated with
   the identity features at every scale: spatial conditioning, so expression and visemes are
   drawn where they belong instead of being inferred from a global style vector alone.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gan.networks.identity_encoder import IdentityCode
from gan.networks.rig_generator import FiLM
from gan.rig.params import MOTION_DIM, RIG_EMOTIONS, denormalise_motion

COND_DIM = MOTION_DIM + 2 * len(RIG_EMOTIONS) + 1  # motion, emotion, emotion*intensity, intensity


def conditioning(motion: torch.Tensor, emotion: torch.Tensor, intensity: torch.Tensor) -> torch.Tensor:
    """(B, MOTION_DIM), (B, E), (B, 1) -> (B, COND_DIM); checks shapes with a clear error."""
    b = motion.shape[0]
    if motion.shape != (b, MOTION_DIM):
        raise ValueError(f"motion must be (B, {MOTION_DIM}), got {tuple(motion.shape)}.")
    if emotion.shape != (b, len(RIG_EMOTIONS)):
        raise ValueError(f"emotion must be (B, {len(RIG_EMOTIONS)}), got {tuple(emotion.shape)}.")
    if intensity.shape != (b, 1):
        raise ValueError(f"intensity must be (B, 1), got {tuple(intensity.shape)}.")
    return torch.cat([motion, emotion, emotion * intensity, intensity], dim=1)


class UpBlock(nn.Module):
    """x2 upsample, concat identity features, conv-FiLM-lrelu (x n_convs), skip toRGB."""

    def __init__(self, c_in: int, c_id: int, c_out: int, w_dim: int, n_convs: int) -> None:
        super().__init__()
        self.convs = nn.ModuleList()
        self.films = nn.ModuleList()
        c = c_in + c_id
        for _ in range(n_convs):
            self.convs.append(nn.Conv2d(c, c_out, 3, padding=1))
            self.films.append(FiLM(w_dim, c_out))
            c = c_out
        self.to_rgb = nn.Conv2d(c_out, 3, 1)

    def forward(self, x: torch.Tensor, ident: torch.Tensor, w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        x = torch.cat([x, ident], dim=1)
        for conv, film in zip(self.convs, self.films):
            x = F.leaky_relu(film(conv(x), w), 0.2)
        return x, self.to_rgb(x)


class Generator(nn.Module):
    """G(identity, motion, emotion, intensity) -> (B, 3, S, S) in [-1, 1]."""

    def __init__(
        self,
        size: int = 128,
        id_channels: tuple[int, ...] = (3, 16, 32, 48, 96),
        channels: tuple[int, ...] = (96, 64, 32, 16),
        n_convs: tuple[int, ...] = (1, 1, 1),
        w_dim: int = 256,
        flow_res: int = 16,
        sketch_channels: int = 0,
    ) -> None:
        super().__init__()
        # channels[i] is the decoder width at S/16, S/8, S/4, S/2 (8..64 for S = 128); the last
        # step to S is a sub-pixel conv (Shi et al. 2016, ESPCN) that predicts RGB plus a mask
        # blending in the warped reference image, so no conv ever runs at full resolution.
        if len(channels) != len(id_channels) - 1 or len(n_convs) != len(channels) - 1:
            raise ValueError("Generator needs len(channels) == len(id_channels) - 1 == len(n_convs) + 1.")
        self.size = size
        self.flow_res = flow_res
        self.sketch_channels = sketch_channels
        k = sketch_channels
        self.mapping = nn.Sequential(
            nn.Linear(COND_DIM, w_dim), nn.LeakyReLU(0.2), nn.Linear(w_dim, w_dim), nn.LeakyReLU(0.2)
        )
        self.flow = nn.Linear(w_dim, 2 * flow_res * flow_res)
        nn.init.zeros_(self.flow.weight)
        nn.init.zeros_(self.flow.bias)
        coarsest = len(id_channels) - 1
        self.stem = nn.Conv2d(id_channels[coarsest] + k, channels[0], 3, padding=1)
        self.stem_film = FiLM(w_dim, channels[0])
        self.stem_rgb = nn.Conv2d(channels[0], 3, 1)
        self.blocks = nn.ModuleList(
            UpBlock(channels[i - 1], id_channels[coarsest - i] + k, channels[i], w_dim, n_convs[i - 1])
            for i in range(1, len(channels))
        )
        self.head = nn.Conv2d(channels[-1], 4 * 4, 3, padding=1)  # (rgb + mask) x 2x2 sub-pixels

    def warp_fields(self, w: torch.Tensor) -> torch.Tensor:
        """(B, w_dim) -> flow (B, 2, flow_res, flow_res) in normalised image units."""
        b = w.shape[0]
        return 0.25 * torch.tanh(self.flow(w).view(b, 2, self.flow_res, self.flow_res))

    @staticmethod
    def _warp(feat: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
        """Sample feat (1 or B, C, H, W) at identity grid + flow (B, 2, h, w) resized to H x W."""
        b = flow.shape[0]
        h, w = feat.shape[-2:]
        flow = F.interpolate(flow, size=(h, w), mode="bilinear", align_corners=False)
        ys = torch.linspace(-1 + 1 / h, 1 - 1 / h, h, device=feat.device, dtype=feat.dtype)
        xs = torch.linspace(-1 + 1 / w, 1 - 1 / w, w, device=feat.device, dtype=feat.dtype)
        gy, gx = torch.meshgrid(ys, xs, indexing="ij")
        grid = torch.stack([gx, gy], dim=-1)[None] + flow.permute(0, 2, 3, 1)  # (B, H, W, 2)
        if feat.shape[0] != b:
            feat = feat.expand(b, -1, -1, -1)
        return F.grid_sample(feat, grid, mode="bilinear", padding_mode="border", align_corners=False)

    def draw_sketch(self, motion: torch.Tensor, emotion: torch.Tensor, intensity: torch.Tensor) -> torch.Tensor:
        """The rig sketch (B, K, S/2, S/2) for normalised motion, emotion, intensity (no gradient)."""
        from gan.rig.sketch import sketch_batch  # numpy/OpenCV geometry; imported here to keep nets light

        raw = denormalise_motion(motion.detach().cpu().numpy())
        maps = sketch_batch(raw, emotion.detach().cpu().numpy(), intensity.detach().cpu().numpy()[:, 0],
                            self.size // 2)
        return torch.from_numpy(maps).to(motion.device, motion.dtype)

    def _sketch_pyramid(self, motion: torch.Tensor, emotion: torch.Tensor, intensity: torch.Tensor,
                        sketch: torch.Tensor | None, flow: torch.Tensor, coarsest: int) -> list[torch.Tensor]:
        """Posed sketch at S/16 .. S/2 (coarse first); [] when the generator has no sketch input."""
        if not self.sketch_channels:
            return []
        if sketch is None:
            sketch = self.draw_sketch(motion, emotion, intensity)
        expected = (motion.shape[0], self.sketch_channels, self.size // 2, self.size // 2)
        if tuple(sketch.shape) != expected:
            raise ValueError(f"sketch must be {expected}, got {tuple(sketch.shape)}.")
        posed = self._warp(sketch, flow)
        return [F.avg_pool2d(posed, 2 ** (coarsest - 1 - i)) if i < coarsest - 1 else posed for i in range(coarsest)]

    @staticmethod
    def _with_sketch(ident: torch.Tensor, sketches: list[torch.Tensor], level: int) -> torch.Tensor:
        return torch.cat([ident, sketches[level]], dim=1) if sketches else ident

    def forward(
        self,
        identity: IdentityCode,  # levels finest -> coarsest, batch 1 (one avatar) or B
        motion: torch.Tensor,  # (B, MOTION_DIM) normalised with gan.rig.normalise_motion
        emotion: torch.Tensor,  # (B, len(RIG_EMOTIONS)) blend, sums to 1
        intensity: torch.Tensor,  # (B, 1) in [0, 1]
        sketch: torch.Tensor | None = None,  # (B, K, S/2, S/2); None = drawn from the rig numbers
    ) -> torch.Tensor:
        w = self.mapping(conditioning(motion, emotion, intensity))  # (B, w_dim)
        flow = self.warp_fields(w)  # (B, 2, fr, fr)
        coarsest = len(identity) - 1
        sketches = self._sketch_pyramid(motion, emotion, intensity, sketch, flow, coarsest)
        x = self._with_sketch(self._warp(identity[coarsest], flow), sketches, 0)  # (B, C, S/16, S/16)
        x = F.leaky_relu(self.stem_film(self.stem(x), w), 0.2)
        rgb = self.stem_rgb(x)
        for i, block in enumerate(self.blocks, start=1):
            x, rgb_i = block(x, self._with_sketch(self._warp(identity[coarsest - i], flow), sketches, i), w)
            rgb = F.interpolate(rgb, scale_factor=2.0, mode="bilinear", align_corners=False) + rgb_i
        # x, rgb: (B, C, S/2, S/2), (B, 3, S/2, S/2)
        fine = F.pixel_shuffle(self.head(x), 2)  # (B, 4, S, S)
        rgb = F.interpolate(rgb, scale_factor=2.0, mode="bilinear", align_corners=False) + fine[:, :3]
        mask = torch.sigmoid(fine[:, 3:4] - 2.0)  # starts mostly generated, learns where to copy
        ref = self._warp(identity[0], flow)  # (B, 3, S, S) the reference image, warped
        return mask * ref + (1.0 - mask) * torch.tanh(rgb)  # (B, 3, S, S) in [-1, 1]
