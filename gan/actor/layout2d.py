"""The actor's static layers: head height field, skin and hair albedo, neck, shoulders, backdrop.

Everything here is computed once per Actor (size, seed) and reused for every frame. Positions
are in face units: fractions of the image size, relative to the head centre (the eye line).
Proportions follow the classic facial thirds (hairline-brow, brow-nose base, nose base-chin)
and average adult ratios (Farkas 1994, "Anthropometry of the Head and Face").
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# Head centre in the image (fractions of size): x centre, y of the eye line.
CX, CY = 0.5, 0.455
FACE_HALF_WIDTH = 0.232  # at the eye line
TOP, BOTTOM = 0.31, 0.325  # head half-heights above / below the eye line (chin at CY + BOTTOM)
EYE_X, EYE_Y, EYE_HALF_WIDTH = 0.097, 0.0, 0.048
BROW_Y = -0.052  # brow centre line above the eye line
NOSE_TIP_Y, NOSE_BASE_Y = 0.108, 0.135
MOUTH_Y = 0.203  # closed-lip line
HAIRLINE_Y = -0.205

# Colours (linear-ish RGB 0..1): a warm medium skin tone, natural lip tone, dark brown hair.
SKIN = np.array([0.86, 0.67, 0.55], dtype=np.float32)
LIP = np.array([0.74, 0.41, 0.40], dtype=np.float32)
HAIR = np.array([0.23, 0.15, 0.11], dtype=np.float32)
SHIRT = np.array([0.26, 0.42, 0.55], dtype=np.float32)
BACKDROP_TOP = np.array([0.86, 0.89, 0.92], dtype=np.float32)
BACKDROP_BOTTOM = np.array([0.72, 0.77, 0.83], dtype=np.float32)


@dataclass
class StaticLayers:
    """Per-actor precomputed arrays (all (S, S[, C]) float32)."""

    size: int
    z: np.ndarray  # height field of the neutral head in face units (toward the camera)
    albedo: np.ndarray  # (S, S, 3) skin + hair colour before features
    alpha: np.ndarray  # head + hair coverage 0..1
    spec: np.ndarray  # specular strength per pixel
    face_mask: np.ndarray  # skin of the face (soft), where the jaw displacement applies
    jaw_ramp: np.ndarray  # 0 above the lip line .. 1 below: how much of the jaw drop a pixel takes
    body: np.ndarray  # (S, S, 3) backdrop + neck + shoulders, shaded, 0..1
    xs: np.ndarray  # (S, S) face-unit x of each pixel
    ys: np.ndarray  # (S, S) face-unit y of each pixel


def _smoothstep(e0: float, e1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _gauss(xs: np.ndarray, ys: np.ndarray, x0: float, y0: float, sx: float, sy: float) -> np.ndarray:
    return np.exp(-0.5 * (((xs - x0) / sx) ** 2 + ((ys - y0) / sy) ** 2))


def face_half_width(ys: np.ndarray) -> np.ndarray:
    """Half-width of the face outline at height y (face units); an egg with a rounded chin."""
    v_top = np.clip(-ys / TOP, 0.0, 1.0)
    v_bot = np.clip(ys / BOTTOM, 0.0, 1.0)
    upper = np.sqrt(np.clip(1.0 - v_top**2, 0.0, 1.0)) * (1.0 + 0.04 * v_top)
    lower = np.clip(1.0 - v_bot**2.8, 0.0, 1.0) ** 0.58 * (1.0 - 0.07 * v_bot)
    return FACE_HALF_WIDTH * np.where(ys < 0, upper, lower)


def _head_height(xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(z, coverage) of the bare head, with nose, brow ridge, eye sockets, cheekbones and chin."""
    w = np.maximum(face_half_width(ys), 1e-4)
    s = np.abs(xs) / w
    v = np.where(ys < 0, ys / TOP, ys / BOTTOM)
    inside = np.clip(1.0 - s**2, 0.0, 1.0) * np.clip(1.0 - v**2, 0.0, 1.0)
    z = 0.19 * np.sqrt(np.clip(1.0 - s**2, 0.0, 1.0)) * np.clip(1.0 - v**2, 0.0, 1.0) ** 0.3
    # Nose: a ridge growing toward the tip, the tip, the alae; slightly broad (soft look).
    ridge_t = _smoothstep(-0.04, NOSE_TIP_Y, ys) * (ys < NOSE_TIP_Y + 0.01)
    z += 0.034 * ridge_t * np.exp(-0.5 * (xs / (0.016 + 0.010 * ridge_t)) ** 2)
    z += 0.030 * _gauss(xs, ys, 0.0, NOSE_TIP_Y, 0.016, 0.015)
    for side in (-1.0, 1.0):
        z += 0.014 * _gauss(xs, ys, side * 0.026, NOSE_BASE_Y - 0.012, 0.011, 0.010)
        z += 0.010 * _gauss(xs, ys, side * 0.085, BROW_Y + 0.004, 0.055, 0.015)  # brow ridge
        z -= 0.016 * _gauss(xs, ys, side * EYE_X, EYE_Y - 0.004, 0.036, 0.024)  # socket
        z += 0.010 * _gauss(xs, ys, side * EYE_X, EYE_Y + 0.001, 0.026, 0.016)  # eyeball
        z += 0.010 * _gauss(xs, ys, side * 0.125, 0.075, 0.045, 0.035)  # cheekbone
    z += 0.012 * _gauss(xs, ys, 0.0, BOTTOM - 0.040, 0.045, 0.030)  # chin
    z -= 0.005 * _gauss(xs, ys, 0.0, MOUTH_Y + 0.045, 0.030, 0.008)  # mentolabial sulcus
    z -= 0.004 * _gauss(xs, ys, 0.0, NOSE_BASE_Y + 0.010, 0.050, 0.008)  # under the nose
    coverage = np.clip(inside * 60.0, 0.0, 1.0)
    return z * (coverage > 0), coverage


def _hair(xs: np.ndarray, ys: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(coverage, z) of a chin-length bob with a side part and a fringe swept to image right."""
    px = 1.0 / size
    hy0 = -0.02
    # Outline: rounded crown with a little more volume on the swept side, straight sides that
    # turn in slightly at the ends.
    sweep = 0.012 * np.clip(xs / 0.2, -1.0, 1.0)
    hw = np.where(ys < hy0, 0.282 + sweep, 0.282 + sweep - 0.05 * np.clip((ys - 0.10) / 0.10, 0.0, 1.0) ** 2)
    hh = np.where(ys < hy0, 0.372, 0.40)
    r = np.sqrt((xs / hw) ** 2 + ((ys - hy0) / hh) ** 2)
    outer = np.clip((1.0 - r) * 0.25 / (1.2 * px), 0.0, 1.0)
    outer *= 1.0 - _smoothstep(0.165, 0.185, ys - 0.012 * (np.abs(xs) / 0.28) ** 2)
    # Hairline: parted at x = -0.06; the fringe falls lower toward the image right.
    u = (xs + 0.06) / FACE_HALF_WIDTH
    hairline = HAIRLINE_Y + 0.020 * u**2 + 0.030 * np.clip(u, 0.0, 1.2) - 0.01 * np.clip(-u, 0.0, 1.0)
    w = face_half_width(ys)
    in_face = np.clip((w - 0.004 - np.abs(xs)) / (1.2 * px), 0.0, 1.0) * np.clip((ys - hairline) / (1.2 * px), 0.0, 1.0)
    cover = np.clip(outer - in_face, 0.0, 1.0)
    zh = 0.22 * np.sqrt(np.clip(1.0 - r**2, 0.0, 1.0)) * (1.0 - 0.25 * np.clip(ys / 0.2, 0.0, 1.0))
    return cover, zh.astype(np.float32)


def _skin_albedo(xs: np.ndarray, ys: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    size = xs.shape[0]
    alb = np.empty((*xs.shape, 3), dtype=np.float32)
    alb[...] = SKIN
    blush = np.zeros_like(xs)
    for side in (-1.0, 1.0):
        blush += _gauss(xs, ys, side * 0.12, 0.10, 0.05, 0.035)
        # slightly darker, cooler lids and under-eye area
        lid = _gauss(xs, ys, side * EYE_X, EYE_Y - 0.020, 0.045, 0.012)
        alb *= (1.0 - 0.06 * lid)[..., None]
    blush += 0.6 * _gauss(xs, ys, 0.0, NOSE_TIP_Y, 0.02, 0.02)
    alb += blush[..., None] * np.array([0.01, -0.035, -0.03], dtype=np.float32)
    # low-frequency mottling, +-2 %
    coarse = rng.standard_normal((size // 8 + 1, size // 8 + 1)).astype(np.float32)
    noise = np.asarray(cv2.resize(coarse, (size, size), interpolation=cv2.INTER_CUBIC))[:size, :size]
    alb *= (1.0 + 0.012 * noise)[..., None]
    return alb


def _hair_albedo(xs: np.ndarray, ys: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Strands radiating from the parting (a 1-D noise over the angle around it), plus clumps."""
    size = xs.shape[0]
    n = 4096
    fine = rng.standard_normal(n).astype(np.float32)
    fine = np.convolve(fine, np.ones(3, dtype=np.float32) / 3.0, mode="same")
    coarse = np.convolve(rng.standard_normal(n).astype(np.float32), np.hanning(41).astype(np.float32), "same")
    ang = np.arctan2(ys + 0.34, xs + 0.06)  # parting point on the crown
    idx = ((ang / np.pi) * 0.5 + 0.5) * (n - 1) * 0.999
    k = idx.astype(np.int32)
    strands = fine[k] / (fine.std() + 1e-6) * 0.6 + coarse[k] / (coarse.std() + 1e-6) * 0.4
    strands = np.asarray(cv2.GaussianBlur(strands, (0, 0), 0.5 * size / 256.0))
    return HAIR[None, None, :] * (1.0 + 0.13 * strands[..., None])


def _body(xs: np.ndarray, ys: np.ndarray, size: int) -> np.ndarray:
    """Backdrop with a soft light spot, neck and shoulders, shaded from the front."""
    px = 1.0 / size
    gy = (ys + CY)[..., None]
    img = BACKDROP_TOP * (1.0 - gy) + BACKDROP_BOTTOM * gy
    img = img * (1.0 + 0.06 * _gauss(xs, ys, 0.0, -0.05, 0.35, 0.35))[..., None]
    # Neck: a cylinder from under the chin to the shoulders.
    neck_w = 0.094 + 0.03 * np.clip((ys - 0.33) / 0.10, 0.0, 1.0) ** 2
    neck = np.clip((neck_w - np.abs(xs)) / (1.2 * px), 0.0, 1.0) * (ys > 0.15)
    s = np.clip(np.abs(xs) / neck_w, 0.0, 1.0)
    neck_shade = 0.55 + 0.4 * np.sqrt(1.0 - s**2)
    neck_shade *= 1.0 - 0.45 * (1.0 - _smoothstep(0.26, 0.36, ys))  # shadow under the chin
    neck_rgb = SKIN[None, None, :] * neck_shade[..., None]
    img = img * (1.0 - neck[..., None]) + neck_rgb * neck[..., None]
    # Shoulders / shirt: a wide rounded shape with a round neckline.
    sh_top = 0.38 + 0.22 * (np.clip(np.abs(xs) / 0.46, 0.0, 1.0) ** 2) - 0.03 * np.clip(np.abs(xs) / 0.2, 0, 1)
    neckline = 0.40 + 0.05 * (1.0 - (np.clip(np.abs(xs) / 0.13, 0.0, 1.0)) ** 2)
    below_top = np.clip((ys - sh_top) / (1.2 * px), 0.0, 1.0)
    shirt = below_top * np.clip((np.abs(xs) - 0.125) / px + (ys - neckline) / px, 0.0, 1.0)
    shirt_shade = 0.70 + 0.30 * np.clip(1.0 - np.abs(xs) / 0.5, 0.0, 1.0) ** 0.5
    shirt_rgb = SHIRT[None, None, :] * shirt_shade[..., None]
    img = img * (1.0 - shirt[..., None]) + shirt_rgb * shirt[..., None]
    return img.astype(np.float32)


def build_static_layers(size: int, seed: int) -> StaticLayers:
    """Compute every per-actor layer once; deterministic in (size, seed)."""
    rng = np.random.default_rng(seed)
    grid = (np.arange(size, dtype=np.float32) + 0.5) / size
    xs, ys = np.meshgrid(grid - CX, grid - CY)
    z_head, head_cov = _head_height(xs, ys)
    hair_cov, z_hair = _hair(xs, ys, size)
    skin = _skin_albedo(xs, ys, rng)
    hair_rgb = _hair_albedo(xs, ys, rng)
    # Hair shades the skin just beside it (temples, forehead under the fringe).
    near_hair = np.asarray(cv2.GaussianBlur(hair_cov, (0, 0), 4.0 * size / 256.0))
    skin = skin * (1.0 - 0.35 * np.clip(near_hair - hair_cov, 0.0, 1.0))[..., None]
    a = hair_cov[..., None]
    albedo = skin * (1.0 - a) + hair_rgb * a
    # Hair volume blends smoothly into the head so its edge is not a cliff in the height field.
    soft = np.asarray(cv2.GaussianBlur(hair_cov, (0, 0), 2.0 * size / 256.0))
    z_raw = z_head * (1.0 - soft) + np.maximum(z_hair, z_head + 0.012) * soft
    z = np.asarray(cv2.GaussianBlur(z_raw.astype(np.float32), (0, 0), 0.8 * size / 256.0))
    alpha = np.clip(np.maximum(head_cov, hair_cov), 0.0, 1.0)
    spec = (0.06 * (1.0 - hair_cov) + 0.16 * hair_cov).astype(np.float32)
    face_mask = (head_cov * (1.0 - hair_cov)).astype(np.float32)
    # The jaw drop is taken fully below the lip line near the mouth and fades in over a taller
    # band toward the cheeks, so the cheek skin stretches instead of tearing.
    band = 0.006 + 0.065 * _smoothstep(0.035, 0.11, np.abs(xs))
    w_mouth = float(face_half_width(np.array(MOUTH_Y + 0.05)))
    across = _smoothstep(w_mouth + 0.02, w_mouth - 0.01, np.abs(xs))  # the jaw, not the hair beside it
    jaw_ramp = _smoothstep(0.0, 1.0, (ys - (MOUTH_Y - band)) / (band + 0.010)) * across
    body = _body(xs, ys, size)
    return StaticLayers(
        size=size,
        z=z,
        albedo=albedo.astype(np.float32),
        alpha=alpha.astype(np.float32),
        spec=spec,
        face_mask=face_mask,
        jaw_ramp=jaw_ramp.astype(np.float32),
        body=body,
        xs=xs.astype(np.float32),
        ys=ys.astype(np.float32),
    )
