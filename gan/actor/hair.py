"""Short hair: where it grows on the scalp (build time) and the strand pattern its shells cut out.

The renderer draws the scalp triangles again as `layers` shells pushed out along the normals; each
shell keeps only the texels whose strand height (aux texture, blue channel) reaches it, which reads
as short, slightly tousled hair instead of a shiny skull-cap.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from gan.actor.crop import SKIN, Bust


@dataclass(frozen=True)
class HairConfig:
    """Hairline shape in head space (metres; origin at the head pivot, +z towards the camera)."""

    front_height: float = 0.112  # hairline height at the forehead (eyes sit at ~0.03)
    back_height: float = -0.045  # hairline height at the nape
    side_height: float = 0.035  # hairline height above the ears (sideburns come lower via `burn_drop`)
    burn_drop: float = 0.04  # how far the sideburns reach below the side hairline
    temple_recess: float = 0.012  # temples recede a little (an adult man's hairline)
    softness: float = 0.012  # width of the density ramp at the hairline

    def __post_init__(self) -> None:
        if not self.back_height < self.side_height < self.front_height:
            raise ValueError("HairConfig needs back_height < side_height < front_height.")
        if self.softness <= 0:
            raise ValueError("HairConfig.softness must be positive.")


def sample_mask(path: Path, uv: np.ndarray) -> np.ndarray:
    """Nearest-texel lookup of an MPFB2 greyscale atlas mask at atlas UVs (v up), in [0, 1]."""
    mask = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if mask is None:
        raise FileNotFoundError(f"{path} is missing or unreadable.")
    h, w = mask.shape
    col = np.clip((uv[:, 0] * w).astype(int), 0, w - 1)
    row = np.clip(((1.0 - uv[:, 1]) * h).astype(int), 0, h - 1)
    return mask[row, col].astype(np.float64) / 255.0


def hairline_height(p: np.ndarray, cfg: HairConfig) -> np.ndarray:
    """Height of the hairline above each head-space point's (x, z) position around the head."""
    front = np.clip((p[:, 2] - 0.02) / 0.08, 0.0, 1.0)  # 0 at the ears' plane, 1 at the forehead
    back = np.clip(-(p[:, 2] + 0.01) / 0.07, 0.0, 1.0)  # 0 at the ears' plane, 1 at the back of the head
    side = cfg.side_height + (cfg.front_height - cfg.side_height) * front**0.7
    side = side + cfg.temple_recess * np.exp(-(((np.abs(p[:, 0]) - 0.045) / 0.015) ** 2)) * front
    height = side - (cfg.side_height - cfg.back_height) * back
    # Sideburns: a strip in front of each ear grows lower.
    burn = np.exp(-(((p[:, 2] - 0.035) / 0.012) ** 2)) * (np.abs(p[:, 0]) > 0.06)
    return height - cfg.burn_drop * burn


def hair_density(bust: Bust, textures_dir: Path, cfg: HairConfig) -> np.ndarray:
    """(R,) hair density per render vertex: 1 on the scalp, ramping to 0 at the hairline, 0 off the skin."""
    p = bust.positions[bust.render_vertex]
    rise = (p[:, 1] - hairline_height(p, cfg)) / cfg.softness
    density = np.clip(rise, 0.0, 1.0)
    density *= 1.0 - sample_mask(textures_dir / "mpfb_ears.jpg", bust.render_uv)
    density *= bust.render_material == SKIN
    return density
