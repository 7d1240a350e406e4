"""Drawing the actor's moving features into the albedo: eyes, brows, lips, teeth, mouth interior.

Each feature is drawn inside a small region of interest with anti-aliased coverage (signed
distances for eyes, sub-pixel `cv2.fillPoly(..., LINE_AA, shift=4)` for polygons), so a frame
costs a few milliseconds at 256x256. Geometry comes from `gan.actor_shape.FaceShape`.
"""

from __future__ import annotations

import cv2
import numpy as np

from gan.actor.layout2d import BROW_Y, CX, CY, EYE_HALF_WIDTH, EYE_X, EYE_Y, LIP, MOUTH_Y
from gan.actor.shape2d import FaceShape

SCLERA = np.array([0.93, 0.91, 0.89], dtype=np.float32)
IRIS_IN = np.array([0.45, 0.32, 0.18], dtype=np.float32)  # warm hazel near the pupil
IRIS_OUT = np.array([0.26, 0.20, 0.13], dtype=np.float32)
LASH = np.array([0.10, 0.07, 0.06], dtype=np.float32)
BROW = np.array([0.22, 0.15, 0.11], dtype=np.float32)
MOUTH_DARK = np.array([0.16, 0.05, 0.06], dtype=np.float32)
TEETH = np.array([0.93, 0.91, 0.86], dtype=np.float32)
TONGUE = np.array([0.62, 0.30, 0.32], dtype=np.float32)
IRIS_R = 0.0235  # face units; iris diameter ~ 45 % of the eye width
_SHIFT = 4  # sub-pixel bits for cv2 polygons
_N_MOUTH = 29  # samples along each lip contour


def _blend(dst: np.ndarray, colour: np.ndarray, alpha: np.ndarray) -> None:
    dst *= 1.0 - alpha[..., None]
    dst += alpha[..., None] * colour


def _roi(cx: float, cy: float, hw: float, hh: float, size: int) -> tuple[int, int, int, int]:
    x0 = max(0, int(np.floor((cx - hw) * size)))
    x1 = min(size, int(np.ceil((cx + hw) * size)) + 1)
    y0 = max(0, int(np.floor((cy - hh) * size)))
    y1 = min(size, int(np.ceil((cy + hh) * size)) + 1)
    return x0, x1, y0, y1


def lid_lines(shape: FaceShape, side: float, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Eyelid margins of one eye at positions t (-1..1 across the eye, any array shape).

    Returns (peak, upper-lid y, lower-lid y) in image fractions; peak is the upper lid's profile
    (0..1, highest a little toward the nose). Shared by the renderer and `gan.rig.sketch`.
    """
    ey = CY + EYE_Y
    tc = np.clip(t, -1.0, 1.0)
    tilt = -0.004 * t * side  # outer corner slightly higher (positive canthal tilt)
    peak = np.clip(1.0 - (tc + 0.18 * side * (1 - tc**2)) ** 2, 0.0, 1.0)  # upper lid peaks medially
    up_y = ey + tilt - shape.upper_lid * peak**0.65
    lo_y = ey + tilt + shape.lower_lid * np.clip(1.0 - tc**2, 0.0, 1.0) ** 0.8
    return peak, up_y, lo_y


def draw_eye(albedo: np.ndarray, shape: FaceShape, side: float, iris_noise: np.ndarray) -> None:
    """One eye: sclera, iris with limbal ring and radial texture, pupil, highlight, lids, lashes.

    side = -1 for the eye on the image left, +1 for the image right.
    """
    size = albedo.shape[0]
    ex, ey = CX + side * EYE_X, CY + EYE_Y
    ew = EYE_HALF_WIDTH
    x0, x1, y0, y1 = _roi(ex, ey, ew * 1.25, 0.045, size)
    gx = (np.arange(x0, x1, dtype=np.float32) + 0.5) / size
    gy = (np.arange(y0, y1, dtype=np.float32) + 0.5) / size
    xx, yy = np.meshgrid(gx, gy)
    px = 1.0 / size
    line = px * max(1.0, size / 256.0)  # line widths: pixels up to 256, then scale with the face
    t = (xx - ex) / ew  # -1..1 across the eye
    t_out = t * side  # + toward the outer corner
    tc = np.clip(t, -1.0, 1.0)
    tilt = -0.004 * t_out  # outer corner slightly higher (positive canthal tilt)
    peak, up_y, lo_y = lid_lines(shape, side, t)
    inside_t = np.clip((1.0 - np.abs(t)) * ew / px, 0.0, 1.0)
    open_a = np.clip(np.minimum(yy - up_y, lo_y - yy) / px + 0.5, 0.0, 1.0) * inside_t
    roi = albedo[y0:y1, x0:x1]
    # Lid skin: faint crease line above the open lid.
    crease_y = ey + tilt - (0.026 + 0.3 * max(shape.upper_lid, 0.0)) * peak**0.5
    crease = np.clip(1.0 - np.abs(yy - crease_y) / (1.2 * line), 0.0, 1.0) * np.clip(1.0 - np.abs(t), 0.0, 1.0)
    roi *= (1.0 - 0.10 * crease)[..., None]
    if float(open_a.max()) > 0.0:
        eye = np.empty_like(roi)
        shade = (1.0 - 0.28 * np.abs(tc) ** 3)[..., None]
        eye[...] = SCLERA * shade
        # Iris and pupil (slightly below centre, moved by gaze).
        ix, iy = ex + shape.gaze_x, ey + 0.0015 + shape.gaze_y
        dx, dy = xx - ix, yy - iy
        r = np.sqrt(dx * dx + dy * dy)
        rr = np.clip(r / IRIS_R, 0.0, 1.0)
        ang = (np.arctan2(dy, dx) / (2 * np.pi) + 0.5) * (iris_noise.shape[0] - 1)
        streak = iris_noise[ang.astype(np.int32)]
        iris_rgb = (IRIS_IN * (1.0 - rr[..., None]) + IRIS_OUT * rr[..., None]) * (1.0 + 0.18 * streak[..., None])
        limbal = _smooth01((rr - 0.78) / 0.22)
        iris_rgb *= (1.0 - 0.55 * limbal)[..., None]
        iris_a = np.clip((IRIS_R - r) / px + 0.5, 0.0, 1.0)
        eye = eye * (1.0 - iris_a[..., None]) + iris_rgb * iris_a[..., None]
        pupil_a = np.clip((0.38 * IRIS_R - r) / px + 0.5, 0.0, 1.0)
        _blend(eye, np.array([0.03, 0.02, 0.02], dtype=np.float32), pupil_a)
        # Catch-light toward the key light (front, above): small, soft.
        hx, hy = ix + 0.30 * IRIS_R, iy - 0.38 * IRIS_R
        hl = np.exp(-(((xx - hx) ** 2 + (yy - hy) ** 2) / (2 * (0.16 * IRIS_R + 0.5 * px) ** 2)))
        _blend(eye, np.array([1.0, 1.0, 1.0], dtype=np.float32), 0.85 * hl)
        # Shadow of the upper lid and lashes on the eyeball.
        lid_sh = np.exp(-np.clip(yy - up_y, 0.0, None) / (0.006 + 0.5 * px))
        eye *= (1.0 - 0.50 * lid_sh)[..., None]
        roi[...] = roi * (1.0 - open_a[..., None]) + eye * open_a[..., None]
    # Lash line along the upper lid (thicker toward the outer corner), faint lower lid margin.
    th = (1.5 + 1.0 * np.clip(t_out, 0.0, 1.0)) * line
    lash = np.clip(1.0 - np.abs(yy - (up_y - 0.3 * th)) / th, 0.0, 1.0) * np.clip(1.08 - np.abs(t), 0.0, 1.0) / 1.08
    lash = np.clip(lash * 1.6, 0.0, 1.0) * _smooth01((1.05 - np.abs(t)) / 0.15)
    _blend(roi, LASH, 0.9 * lash)
    low = np.clip(1.0 - np.abs(yy - lo_y - 0.4 * line) / (0.9 * line), 0.0, 1.0) * np.clip(1.0 - np.abs(t), 0.0, 1.0)
    _blend(roi, np.array([0.55, 0.36, 0.33], dtype=np.float32), 0.35 * low)


def _smooth01(x: np.ndarray) -> np.ndarray:
    t = np.clip(x, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _poly_mask(points: np.ndarray, x0: int, y0: int, shape: tuple[int, int], size: int) -> np.ndarray:
    """Anti-aliased coverage (float32 0..1) of a polygon given in image fractions, in an ROI."""
    mask = np.zeros(shape, dtype=np.uint8)
    pts = np.round((points * size - np.array([x0, y0]) - 0.5) * (1 << _SHIFT)).astype(np.int32)
    cv2.fillPoly(mask, [pts], (255,), lineType=cv2.LINE_AA, shift=_SHIFT)
    return mask.astype(np.float32) / 255.0


def draw_brow(albedo: np.ndarray, shape: FaceShape, side: float, brow_noise: np.ndarray) -> None:
    """A tapered brow: thick at the inner end, arched, thin at the tail."""
    size = albedo.shape[0]
    poly = brow_polygon(shape, side)
    x0, x1, y0, y1 = _roi(CX + side * 0.096, CY + BROW_Y, 0.08, 0.05, size)
    cov = _poly_mask(poly, x0, y0, (y1 - y0, x1 - x0), size)
    cov = cv2.GaussianBlur(cov, (0, 0), 0.6 * size / 256.0)
    hair = 0.80 + 0.20 * brow_noise[y0:y1, x0:x1]
    _blend(albedo[y0:y1, x0:x1], BROW, np.clip(cov * hair, 0.0, 0.95))


def brow_polygon(shape: FaceShape, side: float) -> np.ndarray:
    """Outline (N, 2) of one brow in image fractions; shared by the renderer and `gan.rig.sketch`."""
    inner = np.array([max(0.022, 0.040 - shape.brow_inner_dx), BROW_Y + 0.010 + shape.brow_inner_dy])
    peak = np.array([0.108, BROW_Y - shape.brow_arch + 0.5 * (shape.brow_inner_dy + shape.brow_outer_dy)])
    outer = np.array([0.152, BROW_Y + 0.010 + shape.brow_outer_dy])
    ts = np.linspace(0.0, 1.0, 16)
    # quadratic Bezier through inner -> peak -> outer (peak used as control at 2x pull)
    ctrl = 2.0 * peak - 0.5 * (inner + outer)
    curve = ((1 - ts) ** 2)[:, None] * inner + (2 * (1 - ts) * ts)[:, None] * ctrl + (ts**2)[:, None] * outer
    thick = 0.0125 * (1.0 - 0.62 * ts**1.3)
    tang = np.gradient(curve, axis=0)
    normal = np.stack([-tang[:, 1], tang[:, 0]], axis=1)
    normal /= np.linalg.norm(normal, axis=1, keepdims=True) + 1e-9
    top = curve - normal * (0.55 * thick)[:, None]
    bot = curve + normal * (0.45 * thick)[:, None]
    poly = np.concatenate([top, bot[::-1]], axis=0)
    poly[:, 0] = CX + side * poly[:, 0]
    poly[:, 1] = CY + poly[:, 1]
    return poly


def mouth_contours(shape: FaceShape) -> dict[str, np.ndarray]:
    """Lip contours (N, 2) in image fractions: outer/inner upper, inner/outer lower."""
    t = np.linspace(-1.0, 1.0, _N_MOUTH)
    hw = shape.mouth_half_width
    my = CY + MOUTH_Y + shape.lower_lip_dy * 0.3
    xs = CX + t * hw
    line = my + shape.corner_dy * t**2 - 0.002 * (1 - t**2)
    q = 0.9 - 0.45 * shape.roundness
    prof = np.clip(1.0 - np.abs(t) ** 2.2, 0.0, 1.0) ** q
    # In a smile the upper lip stays on the teeth while the lower lip curves: a crescent opening.
    line_up = line + 0.6 * shape.smile * shape.corner_dy * (t**4 - t**2)  # same corners, flatter middle
    inner_up = line_up - (0.25 * shape.gap + shape.upper_lip_raise * min(1.0, shape.gap / 0.004)) * prof
    inner_lo = line + 0.75 * shape.gap * prof + shape.lower_lip_dy * 0.5 * prof
    bow = 1.0 + 0.22 * np.exp(-(((np.abs(t) - 0.30) / 0.16) ** 2)) - 0.16 * np.exp(-((t / 0.09) ** 2))
    outer_up = inner_up - shape.upper_lip_thick * np.clip(1.0 - np.abs(t) ** 1.7, 0.0, 1.0) ** 0.55 * bow
    outer_lo = inner_lo + shape.lower_lip_thick * np.clip(1.0 - np.abs(t) ** 1.8, 0.0, 1.0) ** 0.6
    return {
        "outer_up": np.stack([xs, outer_up], axis=1),
        "inner_up": np.stack([xs, inner_up], axis=1),
        "inner_lo": np.stack([xs, inner_lo], axis=1),
        "outer_lo": np.stack([xs, outer_lo], axis=1),
    }


def draw_mouth(albedo: np.ndarray, z: np.ndarray, shape: FaceShape) -> None:
    """Lips, the lip line, and (when parted) the dark interior, upper/lower teeth and tongue.

    Also adds the lips' volume and the opening's depth to the height field z.
    """
    size = albedo.shape[0]
    c = mouth_contours(shape)
    hw = shape.mouth_half_width
    x0, x1, y0, y1 = _roi(CX, CY + MOUTH_Y + 0.5 * shape.gap, hw + 0.03, 0.5 * shape.gap + 0.05, size)
    roi_shape = (y1 - y0, x1 - x0)
    upper = _poly_mask(np.concatenate([c["outer_up"], c["inner_up"][::-1]]), x0, y0, roi_shape, size)
    lower = _poly_mask(np.concatenate([c["inner_lo"], c["outer_lo"][::-1]]), x0, y0, roi_shape, size)
    roi = albedo[y0:y1, x0:x1]
    zr = z[y0:y1, x0:x1]
    gx = (np.arange(x0, x1, dtype=np.float32) + 0.5) / size
    gy = (np.arange(y0, y1, dtype=np.float32) + 0.5) / size
    xx, yy = np.meshgrid(gx, gy)
    if shape.gap > 0.6 / size:
        hole = _poly_mask(np.concatenate([c["inner_up"], c["inner_lo"][::-1]]), x0, y0, roi_shape, size)
        inner = np.empty_like(roi)
        top_y = np.interp(xx, c["inner_up"][:, 0], c["inner_up"][:, 1])
        bot_y = np.interp(xx, c["inner_lo"][:, 0], c["inner_lo"][:, 1])
        depth = np.clip((yy - top_y) / max(shape.gap, 1e-4), 0.0, 1.0)
        inner[...] = MOUTH_DARK * (0.55 + 0.45 * depth[..., None])
        # Tongue: low in the mouth, seen only when the jaw is well open.
        tongue = _smooth01((yy - (bot_y - 0.45 * shape.gap)) / (0.2 * shape.gap + 1e-4))
        tongue *= _smooth01((0.75 * hw - np.abs(xx - CX)) / (0.3 * hw))
        inner = inner * (1.0 - 0.8 * tongue[..., None]) + TONGUE * 0.55 * (0.8 * tongue[..., None])
        # Upper teeth hang from under the upper lip; lower teeth rise behind the lower lip.
        across = _smooth01((0.78 * hw - np.abs(xx - CX)) / (0.12 * hw))
        tooth_h = 0.017 * (1.0 - 0.3 * shape.roundness)
        up_t = np.clip((top_y + tooth_h - yy) * size + 0.5, 0.0, 1.0) * across
        lo_t = np.clip((yy - (bot_y - 0.010)) * size + 0.5, 0.0, 1.0) * across * 0.85
        gaps = 1.0 - 0.25 * np.exp(-(((xx - CX) / (0.7 / size)) ** 2))  # central incisor gap
        shade = (0.80 + 0.20 * (1.0 - np.abs(xx - CX) / hw))[..., None]
        teeth = TEETH * shade * gaps[..., None]
        inner = inner * (1.0 - up_t[..., None]) + teeth * up_t[..., None]
        inner = inner * (1.0 - lo_t[..., None]) + teeth * 0.88 * lo_t[..., None]
        _blend(roi, inner, hole)
        zr -= 0.020 * hole * np.clip(shape.gap / 0.01, 0.0, 1.0)
    else:
        # Closed lips: a soft dark line where they meet.
        line_y = np.interp(xx, c["inner_up"][:, 0], c["inner_up"][:, 1])
        t = np.clip(np.abs(xx - CX) / hw, 0.0, 1.0)
        line = np.clip(1.0 - np.abs(yy - line_y) * size / 0.9, 0.0, 1.0) * (1.0 - t**4)
        _blend(roi, np.array([0.35, 0.16, 0.16], dtype=np.float32), 0.75 * line)
    lips = np.clip(upper + lower, 0.0, 1.0)
    lips_soft = cv2.GaussianBlur(lips, (0, 0), 0.5 * size / 256.0)
    # Upper lip a touch darker (it faces down); the lower lip catches the light.
    lip_rgb = np.where((yy < np.interp(xx, c["inner_up"][:, 0], c["inner_up"][:, 1]) + 0.002)[..., None],
                       LIP * 0.9, LIP)
    _blend(roi, lip_rgb, 0.92 * lips_soft)
    # Lip volume, pushed out further when rounded (protrusion in "oo", "w").
    zr += (0.007 + 0.008 * shape.roundness) * cv2.GaussianBlur(lips, (0, 0), 1.2 * size / 256.0)
