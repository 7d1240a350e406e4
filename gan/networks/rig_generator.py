"""RigGenerator (avatar v2): G(rig, pose, emotion, intensity) -> one 256x256 RGB frame.

Built to run in the student's browser (onnxruntime-web, wasm, one thread) at >= 25 frames/s,
which FINDINGS.md puts at ~0.35-0.45 GFLOP/frame; this design costs ~0.33 GFLOP at 256x256
(bench/bench_gan.py prints it, tests/test_gan_rig_generator.py checks <= 0.4):

1. a mapping MLP turns the conditioning (rig, pose, emotion, emotion x intensity, intensity)
   into a style vector w that modulates every conv (FiLM, Perez et al. 2018);
2. `RigSketch` rasterises the actor's keypoints for this rig and pose at S/4 inside the graph
   (soft lines and splats: lips, lids, irises, brows...), so every pixel knows which feature it
   belongs to and where the posed head is;
3. the identity is learned constants, not an encoder: feature canvases at S/16, S/8, S/4 and an
   RGB canvas at S (initialised from the actor's reference frame). The camera is fixed and head
   pose is small, so a decoder from canvases + sketch + FiLM needs no flow warps (GridSample):
   FINDINGS.md measured them at half of the ONNX run time, and WebGL has none;
4. a decoder S/16 -> S/2 (nearest upsampling, 3x3 convs, few channels at high resolution) with
   StyleGAN2-style skip toRGB outputs summed across scales; the last step to S is a sub-pixel
   conv (Shi et al. 2016) predicting RGB and a mask that blends in the RGB canvas (background,
   shirt and hair stay sharp and still for free).

Ops: Conv, Resize, MatMul, Gather, elementwise, ReduceMax: all in ONNX opset 17 and the wasm EP.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from gan.networks.keypoints import KeypointBasis
from gan.networks.rig_sketch import RigSketch, layout_of

POSE_SCALE = 20.0  # degrees -> mapping input units (poses stay within ~ +-20 degrees)


def conditioning(rig: torch.Tensor, pose: torch.Tensor, emotion: torch.Tensor, intensity: torch.Tensor) -> torch.Tensor:
    """(B, K), (B, 3), (B, E), (B, 1) -> (B, K + 3 + 2E + 1), the mapping and critics' input."""
    return torch.cat([rig, pose / POSE_SCALE, emotion, emotion * intensity, intensity], dim=1)


class FiLM(nn.Module):
    """Per-channel scale and shift from the style vector: x * (1 + gamma(w)) + beta(w)."""

    def __init__(self, w_dim: int, channels: int) -> None:
        super().__init__()
        self.affine = nn.Linear(w_dim, 2 * channels)
        nn.init.zeros_(self.affine.weight)
        nn.init.zeros_(self.affine.bias)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        gamma, beta = self.affine(w)[:, :, None, None].chunk(2, dim=1)  # (B, C, 1, 1) each
        return x * (1.0 + gamma) + beta


class ConvFiLM(nn.Module):
    """3x3 conv -> FiLM(w) -> LeakyReLU(0.2)."""

    def __init__(self, c_in: int, c_out: int, w_dim: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.film = FiLM(w_dim, c_out)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(self.film(self.conv(x), w), 0.2)


class RigGenerator(nn.Module):
    """G(rig, pose, emotion, intensity) -> (B, 3, S, S) in [-1, 1]; identity lives in the weights."""

    def __init__(
        self,
        rig_dim: int,  # K: ARKit coefficients kept by the rig (gan/rig/arkit.py KEPT)
        n_emotions: int,  # E: emotion blend width
        n_keypoints: int,  # M: keypoints of the actor's basis
        sketch_layout: list[dict[str, Any]],  # sketch channels: name, segments, points (rig_sketch.layout_of)
        size: int = 256,  # output side S (multiple of 16)
        image_size: int = 256,  # side of the image the basis' camera maps to
        channels: tuple[int, ...] = (96, 48, 24, 8),  # decoder widths at S/16, S/8, S/4, S/2
        id_channels: tuple[int, ...] = (32, 16, 8),  # identity canvas widths at S/16, S/8, S/4
        convs_low: int = 2,  # 3x3 convs at S/16 (cheap: 256 pixels at S = 256)
        convs_quarter: int = 2,  # 3x3 convs at S/4 (the mouth's detail is shaped here)
        w_dim: int = 128,  # style vector width
        sketch_sigma: float = 0.7,  # line / splat width in sketch pixels (sketch at S/4)
    ) -> None:
        super().__init__()
        if size % 16 or len(channels) != 4 or len(id_channels) != 3 or convs_low < 1 or convs_quarter < 1:
            raise ValueError("RigGenerator needs size % 16 == 0, 4 channels, 3 id_channels, >= 1 conv per level.")
        self.size, self.rig_dim, self.n_emotions = size, rig_dim, n_emotions
        self.sketch = RigSketch(rig_dim, n_keypoints, sketch_layout, size // 4, image_size, sketch_sigma)
        c_sk = self.sketch.n_channels
        cond_dim = rig_dim + 3 + 2 * n_emotions + 1
        self.mapping = nn.Sequential(nn.Linear(cond_dim, w_dim), nn.LeakyReLU(0.2),
                                     nn.Linear(w_dim, w_dim), nn.LeakyReLU(0.2))
        self.identity = nn.ParameterList(
            nn.Parameter(0.1 * torch.randn(1, c, size // r, size // r)) for c, r in zip(id_channels, (16, 8, 4))
        )
        self.canvas = nn.Parameter(torch.zeros(1, 3, size, size))
        c16, c8, c4, c2 = channels
        self.low = nn.ModuleList(ConvFiLM(id_channels[0] + c_sk if i == 0 else c16, c16, w_dim)
                                 for i in range(convs_low))
        self.reduce16 = nn.Conv2d(c16, c8, 1)
        self.eighth = ConvFiLM(c8 + id_channels[1] + c_sk, c8, w_dim)
        self.reduce8 = nn.Conv2d(c8, c4, 1)
        self.quarter = nn.ModuleList(ConvFiLM(c4 + id_channels[2] + c_sk if i == 0 else c4, c4, w_dim)
                                     for i in range(convs_quarter))
        self.halfres = ConvFiLM(c4, c2, w_dim)
        self.to_rgb = nn.ModuleList(nn.Conv2d(c, 3, 1) for c in (c16, c8, c4, c2))
        self.head = nn.Conv2d(c2, 4 * 4, 3, padding=1)  # (rgb + mask) x 2x2 sub-pixels

    def load_basis(self, basis: KeypointBasis) -> None:
        """Copy the actor's keypoint basis into the sketch buffers."""
        if len(basis.kept) != self.rig_dim:
            raise ValueError(f"The keypoint basis has {len(basis.kept)} rig coefficients, "
                             f"the generator {self.rig_dim}.")
        self.sketch.load_basis(basis)

    def init_identity(self, reference: torch.Tensor) -> None:
        """Start the canvases from the reference frame (1, 3, S, S) in [-1, 1]: RGB canvas = the
        frame, first 3 channels of each feature canvas = the frame at that scale."""
        with torch.no_grad():
            self.canvas.copy_(reference)
            for level in self.identity:
                level[:, :3] = F.adaptive_avg_pool2d(reference, level.shape[-2:])

    def forward(
        self,
        rig: torch.Tensor,  # (B, K) ARKit coefficients, KEPT order
        pose: torch.Tensor,  # (B, 3) yaw, pitch, roll in degrees
        emotion: torch.Tensor,  # (B, E) blend summing to 1
        intensity: torch.Tensor,  # (B, 1) in [0, 1]
    ) -> torch.Tensor:
        b = rig.shape[0]
        w = self.mapping(conditioning(rig, pose, emotion, intensity))  # (B, w_dim)
        sk4, _ = self.sketch(rig, pose)  # (B, C, S/4, S/4)
        sk8 = F.avg_pool2d(sk4, 2)
        sk16 = F.avg_pool2d(sk8, 2)
        ident = [level.expand(b, -1, -1, -1) for level in self.identity]
        x = torch.cat([ident[0], sk16], dim=1)
        for block in self.low:
            x = block(x, w)  # (B, c16, S/16, S/16)
        rgb = self.to_rgb[0](x)
        x = F.interpolate(self.reduce16(x), scale_factor=2.0, mode="nearest")
        x = self.eighth(torch.cat([x, ident[1], sk8], dim=1), w)  # (B, c8, S/8, S/8)
        rgb = F.interpolate(rgb, scale_factor=2.0, mode="bilinear", align_corners=False) + self.to_rgb[1](x)
        x = torch.cat([F.interpolate(self.reduce8(x), scale_factor=2.0, mode="nearest"), ident[2], sk4], dim=1)
        for block in self.quarter:
            x = block(x, w)  # (B, c4, S/4, S/4)
        rgb = F.interpolate(rgb, scale_factor=2.0, mode="bilinear", align_corners=False) + self.to_rgb[2](x)
        x = self.halfres(F.interpolate(x, scale_factor=2.0, mode="nearest"), w)  # (B, c2, S/2, S/2)
        rgb = F.interpolate(rgb, scale_factor=2.0, mode="bilinear", align_corners=False) + self.to_rgb[3](x)
        fine = F.pixel_shuffle(self.head(x), 2)  # (B, 4, S, S)
        rgb = F.interpolate(rgb, scale_factor=2.0, mode="bilinear", align_corners=False) + fine[:, :3]
        mask = torch.sigmoid(fine[:, 3:4])  # where the still RGB canvas shows through
        return mask * self.canvas + (1.0 - mask) * torch.tanh(rgb)  # (B, 3, S, S)


def generator_kwargs_for(basis: KeypointBasis, n_emotions: int, **overrides: Any) -> dict[str, Any]:
    """RigGenerator kwargs (JSON-able, stored in config.json) for a keypoint basis."""
    return {"rig_dim": len(basis.kept), "n_emotions": n_emotions, "n_keypoints": len(basis.names),
            "sketch_layout": layout_of(basis.channels), "image_size": basis.image_size, **overrides}
