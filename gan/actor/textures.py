"""Bake the actor's UV textures once (build time): skin albedo, an aux map and the iris.

- `skin` (RGB, sRGB): skin tone with low-frequency blotches, redder cheeks/nose/ears/lips, darker
  eyelids, a stubble shadow, hair-stroke brows, the scalp under the hair and the shirt.
- `aux` (RGB): R = cloth mask (shirt), G = specular strength (oily T-zone, lips), B = hair strand
  height for the hair shells (gan/actor/hair.py).
- `iris` (RGB, sRGB): polar iris map, x = angle around the gaze axis, y = radius (0 pupil .. 1 limbus).
Painting uses the head-space position map, so every region is placed in 3D, not by hand in UV.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import moderngl
import numpy as np

from gan.actor.collar import CollarConfig, collar_line
from gan.actor.crop import SKIN, Bust
from gan.actor.hair import HairConfig, hairline_height
from gan.actor.uvbake import bake_attribute


@dataclass(frozen=True)
class TextureConfig:
    """Colours (sRGB 0-255) and sizes of the baked textures."""

    size: int = 1024  # skin/aux texture side (texels)
    seed: int = 14  # noise seed (the asset is deterministic)
    skin: tuple[int, int, int] = (160, 124, 108)  # base skin tone: neutral medium beige
    blush: tuple[int, int, int] = (178, 98, 96)  # cheeks, nose, ears: rosy
    lips: tuple[int, int, int] = (142, 79, 75)  # lip colour
    mouth: tuple[int, int, int] = (70, 26, 28)  # mouth interior
    hair: tuple[int, int, int] = (26, 19, 15)  # dark brown hair and brows
    shirt: tuple[int, int, int] = (60, 74, 92)  # calm slate-navy shirt
    stubble: float = 0.36  # how much the beard shadow darkens the skin

    def __post_init__(self) -> None:
        if self.size not in (256, 512, 1024, 2048):
            raise ValueError("TextureConfig.size must be 256, 512, 1024 or 2048.")
        if not 0.0 <= self.stubble <= 0.6:
            raise ValueError("TextureConfig.stubble must lie in [0, 0.6].")


def _lin(rgb: tuple[int, int, int]) -> np.ndarray:
    return (np.asarray(rgb, dtype=np.float32) / 255.0) ** 2.2


def _noise(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """Smooth value noise in [-1, 1] with `cells` features across the texture."""
    grid = rng.uniform(-1.0, 1.0, (cells, cells)).astype(np.float32)
    return cv2.resize(grid, (size, size), interpolation=cv2.INTER_CUBIC)


def _blob(p: np.ndarray, centre: tuple[float, float, float], radius: tuple[float, float, float]) -> np.ndarray:
    d = (p - np.asarray(centre)) / np.asarray(radius)
    return np.exp(-0.5 * (d**2).sum(-1))


def _atlas_mask(path: Path, uv_box: tuple[np.ndarray, np.ndarray], size: int) -> np.ndarray:
    """An MPFB2 2048² greyscale atlas mask resampled onto our texture (which covers `uv_box`)."""
    mask = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if mask is None:
        raise FileNotFoundError(f"{path} is missing or unreadable.")
    lo, hi = uv_box
    u = lo[0] + (np.arange(size) + 0.5) / size * (hi[0] - lo[0])
    v = lo[1] + (1.0 - (np.arange(size) + 0.5) / size) * (hi[1] - lo[1])
    mu, mv = np.meshgrid(u * mask.shape[1], (1.0 - v) * mask.shape[0])
    out = cv2.remap(mask.astype(np.float32) / 255.0, mu.astype(np.float32), mv.astype(np.float32), cv2.INTER_LINEAR)
    return cv2.GaussianBlur(out, (0, 0), size / 1024.0)


def _brows(p: np.ndarray, rng: np.random.Generator, lines: list[np.ndarray]) -> np.ndarray:
    """Hair-stroke brows painted on a frontal canvas (x, y in head space), then looked up per texel.

    `lines` holds each brow's centre line (inner to outer, (n, 2) head-space x, y), taken from the
    vertices browDown moves most, so the painted brows sit where the rig moves them.
    """
    canvas_px, half = 1024, 0.1  # the canvas covers x, y in [-0.1, 0.1] m (0.2 mm per canvas pixel)
    canvas = np.zeros((canvas_px, canvas_px), np.float32)

    def to_px(x: float, y: float) -> tuple[int, int]:  # 4 fractional bits (cv2 shift=4)
        return int((x / half * 0.5 + 0.5) * canvas_px * 16), int((0.5 - y / half * 0.5) * canvas_px * 16)

    for line in lines:
        side = np.sign(line[-1, 0] - line[0, 0])
        seg = np.linalg.norm(np.diff(line, axis=0), axis=1)
        arc = np.concatenate([[0.0], np.cumsum(seg)]) / seg.sum()
        for _ in range(1300):
            t = rng.uniform(-0.04, 1.0)  # 0 = inner end, 1 = outer tail
            x = float(np.interp(t, arc, line[:, 0])) + (0.0 if t >= 0 else float(side) * t * 0.01)
            # A gentle arch peaking two thirds out (the browDown line itself runs almost straight).
            arch = 0.0025 * np.sin(np.pi * min(max(t, 0.0) * 1.3, 1.0))
            centre_y = float(np.interp(t, arc, line[:, 1])) + 0.0015 + arch
            thickness = 0.0085 * (1.0 - 0.65 * max(t, 0.0) ** 1.3)
            y = centre_y + rng.uniform(-0.5, 0.5) * thickness
            # Hairs grow up and outwards at the inner end, outwards and slightly down along the tail.
            angle = np.radians(80.0 - 95.0 * min(1.0, max(t, 0.0) * 1.5) + rng.normal(0, 12))
            length = rng.uniform(0.003, 0.006)
            dx, dy = float(side * np.cos(angle) * length), float(np.sin(angle) * length)
            # Sparser, fainter hairs at the brow's edges so it fades into the skin instead of ending in a block.
            edge = abs(y - centre_y) / (0.5 * thickness)
            shade = float(rng.uniform(0.75, 1.0) * (1.0 - 0.5 * edge**2))
            cv2.line(canvas, to_px(x, y), to_px(x + dx, y + dy), (shade,), 2, cv2.LINE_AA, 4)
    canvas = np.asarray(cv2.GaussianBlur(canvas, (0, 0), 0.5), dtype=np.float32)
    col = np.clip((p[..., 0] / half * 0.5 + 0.5) * canvas_px, 0, canvas_px - 1).astype(np.float32)
    row = np.clip((0.5 - p[..., 1] / half * 0.5) * canvas_px, 0, canvas_px - 1).astype(np.float32)
    brows = cv2.remap(canvas, col, row, cv2.INTER_LINEAR)
    return np.clip(brows, 0.0, 1.0) * (p[..., 2] > 0.05)


def _stubble_mask(p: np.ndarray) -> np.ndarray:
    """Where a short beard shadow grows: jaw, chin, upper lip and under the jaw, not the cheeks' tops."""
    x, y, z = p[..., 0], p[..., 1], p[..., 2]
    below_cheek = np.clip((-0.012 - y + 0.25 * np.abs(x)) / 0.012, 0.0, 1.0)
    upper_lip = _blob(p, (0.0, -0.017, 0.11), (0.022, 0.006, 0.03))
    neck_stop = np.clip((y + 0.115) / 0.02, 0.0, 1.0)
    front = np.clip((z + 0.02) / 0.03, 0.0, 1.0)
    return np.clip(np.maximum(below_cheek, upper_lip) * neck_stop * front, 0.0, 1.0)


def _cloth_mask(p: np.ndarray) -> np.ndarray:
    """The shirt: everything below the collar line (gan/actor/collar.py), which dips at the open front."""
    line = collar_line(p[..., 0], p[..., 2], CollarConfig())
    return np.clip((line - p[..., 1]) / 0.002, 0.0, 1.0)


def bake_skin(
    p: np.ndarray, masks: dict[str, np.ndarray], brow_lines: list[np.ndarray], cfg: TextureConfig
) -> tuple[np.ndarray, np.ndarray]:
    """(skin sRGB uint8, aux uint8) textures from the position map `p` (S, S, 3) and atlas masks."""
    rng = np.random.default_rng(cfg.seed)
    s = cfg.size
    albedo = np.broadcast_to(_lin(cfg.skin), (s, s, 3)).copy()
    blotch = 0.06 * _noise(rng, s, 24) + 0.04 * _noise(rng, s, 96) + 0.03 * _noise(rng, s, 300)
    pores = 0.035 * rng.normal(0.0, 1.0, (s, s)).astype(np.float32)
    albedo *= (1.0 + blotch + pores)[..., None] * np.array([1.0, 0.97, 0.95])
    # Slightly darker, cooler skin under the eyes and in the eye sockets (an adult's face, not a doll's).
    under_eyes = sum(_blob(p, (side * 0.03, 0.022, 0.088), (0.014, 0.007, 0.02)) for side in (1.0, -1.0))
    albedo *= 1.0 - 0.12 * np.clip(under_eyes, 0, 1)[..., None] * np.array([1.0, 1.05, 0.9])
    red = (
        0.55 * _blob(p, (0.045, 0.0, 0.085), (0.02, 0.016, 0.03))
        + 0.55 * _blob(p, (-0.045, 0.0, 0.085), (0.02, 0.016, 0.03))
        + 0.5 * _blob(p, (0.0, 0.0, 0.125), (0.012, 0.012, 0.02))
        + 0.6 * masks["ears"]
    )
    albedo = albedo * (1 - 0.5 * red[..., None]) + _lin(cfg.blush) * 0.5 * red[..., None]
    albedo *= 1.0 - 0.12 * masks["eyelids"][..., None] * np.array([1.0, 1.1, 1.0])
    stubble = _stubble_mask(p) * (1.0 - masks["lips"])
    speckle = np.clip(rng.normal(0.6, 0.35, (s, s)), 0.0, 1.0).astype(np.float32)
    albedo *= 1.0 - cfg.stubble * (stubble * (0.55 + 0.45 * speckle))[..., None] * np.array([1.0, 0.96, 0.88])
    lip_grain = 1.0 + 0.06 * _noise(rng, s, 200)
    lips = masks["lips"][..., None]
    albedo = albedo * (1 - lips) + (_lin(cfg.lips) * lip_grain[..., None]) * lips
    albedo = albedo * (1 - masks["mouth"][..., None]) + _lin(cfg.mouth) * masks["mouth"][..., None]
    brows = _brows(p, rng, brow_lines)
    brow_col = _lin(cfg.hair) * 0.8
    albedo = albedo * (1 - brows[..., None]) + brow_col * brows[..., None]
    # Under the hair shells the scalp is hair-coloured; at the hairline it breaks up into single hairs
    # (a speckled ramp a centimetre wide) instead of ending in a painted edge.
    rise = (p[..., 1] - hairline_height(p.reshape(-1, 3), HairConfig()).reshape(s, s)) / 0.012
    roots = np.clip(rng.uniform(0.0, 1.0, (s, s)).astype(np.float32), 0, 1)
    scalp = np.clip(rise * 1.6 - roots * np.clip(1.5 - rise, 0.0, 1.0), 0, 1)
    scalp *= 1.0 - masks["ears"]
    albedo = albedo * (1 - scalp[..., None]) + _lin(cfg.hair) * scalp[..., None]
    cloth = _cloth_mask(p)
    weave = 1.0 + 0.05 * _noise(rng, s, 400) + 0.04 * _noise(rng, s, 40)
    albedo = albedo * (1 - cloth[..., None]) + (_lin(cfg.shirt) * weave[..., None]) * cloth[..., None]
    skin = (np.clip(albedo, 0, 1) ** (1 / 2.2) * 255.0 + 0.5).astype(np.uint8)

    tzone = _blob(p, (0.0, 0.05, 0.11), (0.035, 0.03, 0.05)) + _blob(p, (0.0, 0.0, 0.12), (0.012, 0.02, 0.03))
    spec = np.clip(0.35 + 0.4 * tzone + 0.3 * masks["lips"] - 0.25 * stubble - 0.35 * cloth - 0.3 * scalp, 0, 1)
    # Pores break the sheen up: highlights on real skin are speckled, a uniform one reads as wax.
    spec *= np.clip(0.55 + 0.45 * rng.uniform(0.0, 1.0, (s, s)) + 0.3 * _noise(rng, s, 200), 0.0, 1.0)
    strands = np.clip(rng.uniform(0.0, 1.0, (s, s)).astype(np.float32), 0, 1)
    strands = np.asarray(cv2.GaussianBlur(strands, (0, 0), 0.7), dtype=np.float32)
    strands = (strands - strands.min()) / (strands.max() - strands.min())
    # Strands only where the shells can reach (keeps the PNG small: noise elsewhere would cost ~1 MB).
    strands *= np.clip((p[..., 1] - hairline_height(p.reshape(-1, 3), HairConfig()).reshape(s, s) + 0.03) / 0.01, 0, 1)
    aux = np.stack([cloth, spec, strands], -1)
    return skin, (aux * 255.0 + 0.5).astype(np.uint8)


def bake_iris(cfg: TextureConfig, width: int = 256, height: int = 64) -> np.ndarray:
    """Polar iris (x = angle, y = radius from pupil to limbus): brown with amber collarette and fibres."""
    rng = np.random.default_rng(cfg.seed + 1)
    r = (np.arange(height) + 0.5)[:, None] / height
    seeds = rng.uniform(0, 1, (6, width)).astype(np.float32)
    fibres = cv2.resize(seeds, (width, height), interpolation=cv2.INTER_CUBIC)
    fibres = np.asarray(cv2.GaussianBlur(fibres, (0, 0), sigmaX=0.8, sigmaY=2.0), dtype=np.float32)
    inner, outer = _lin((104, 74, 44)), _lin((52, 35, 23))
    mix = np.clip((r - 0.15) / 0.6, 0, 1)[..., None]
    colour = inner * (1 - mix) + outer * mix
    colour = colour * (0.7 + 0.6 * fibres[..., None])
    colour *= 1.0 - 0.75 * np.clip((r - 0.85) / 0.15, 0, 1)[..., None]  # dark limbal ring
    return (np.clip(colour, 0, 1) ** (1 / 2.2) * 255.0 + 0.5).astype(np.uint8)


def bake_textures(
    ctx: moderngl.Context,
    bust: Bust,
    uv: np.ndarray,
    triangles: np.ndarray,
    data: Path,
    uv_box: tuple[np.ndarray, np.ndarray],
    brow_lines: list[np.ndarray],
    cfg: TextureConfig,
) -> dict[str, np.ndarray]:
    """All textures of the asset, keyed like gan/actor/assets.py TEXTURES."""
    p_render = bust.positions[bust.render_vertex]
    p_render = np.where((bust.render_material == SKIN)[:, None], p_render, 0.0)
    pos_map = bake_attribute(ctx, uv, triangles, p_render, cfg.size)
    tex = data / "mpfb2/textures"
    masks = {
        name: _atlas_mask(tex / f"mpfb_{file}.jpg", uv_box, cfg.size)
        for name, file in (("lips", "lips"), ("eyelids", "eyelids"), ("mouth", "inside-mouth"), ("ears", "ears"))
    }
    skin, aux = bake_skin(pos_map, masks, brow_lines, cfg)
    return {"skin": skin, "aux": aux, "iris": bake_iris(cfg)}
