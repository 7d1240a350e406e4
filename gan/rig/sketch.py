"""The rig sketch: a frame's feature geometry rasterised into a few soft low-resolution maps.

The generator is conditioned on the rig numbers (motion, emotion, intensity) *and* on this
sketch of where the lips, mouth opening, eye openings, irises and brows are for those numbers.
Rasterised landmarks are the usual spatial conditioning of talking-head generators (Zakharov
et al. 2019, "Few-shot adversarial learning of realistic neural talking head models"; Wang et
al. 2018, vid2vid): with only a global style vector, our first generator (1,913 steps) drew
one averaged mouth for every emotion, and an expression classifier read its happy and surprised
faces as neutral and angry (gan/weights/default_avatar/report.md of that checkpoint). The sketch
tells each pixel which feature it belongs to, so the decoder's job becomes local.

The geometry is the rig's own (`gan.actor_shape.face_shape` + the contour functions of
`gan.actor.draw2d`), in the un-posed face frame; the generator moves it to the head pose with the
same learned flow that warps the identity features. The sketch holds no colour, shading, teeth
or skin: those are the generator's work.
"""

from __future__ import annotations

import cv2
import numpy as np

from gan.actor.draw2d import IRIS_R, brow_polygon, lid_lines, mouth_contours
from gan.actor.layout2d import CX, CY, EYE_HALF_WIDTH, EYE_X, EYE_Y
from gan.actor.shape2d import face_shape
from gan.rig.params import MOTION_DIM, RIG_EMOTIONS, RigParams

SKETCH_CHANNELS: tuple[str, ...] = ("lips", "mouth_opening", "eye_opening", "iris", "brows")
_SHIFT = 4  # sub-pixel bits for cv2 polygons
_T = np.linspace(-1.0, 1.0, 17)  # samples along each lid


def _fill(canvas: np.ndarray, points: np.ndarray) -> None:
    """Anti-aliased filled polygon; points (N, 2) in image fractions."""
    pts = np.round((points * canvas.shape[0] - 0.5) * (1 << _SHIFT)).astype(np.int32)
    cv2.fillPoly(canvas, [pts], (255,), lineType=cv2.LINE_AA, shift=_SHIFT)


def rig_sketch(params: RigParams, res: int) -> np.ndarray:
    """(len(SKETCH_CHANNELS), res, res) float32 in [0, 1] for one rig frame.

    Drawn at 2 x res and area-averaged, so thin features (a closed mouth's lip line, a nearly
    shut eye) keep a graded, sub-pixel presence instead of popping in and out.
    """
    if not isinstance(res, int) or res < 8:
        raise ValueError(f"sketch resolution must be an int >= 8, got {res!r}.")
    shape = face_shape(params)
    draw = 2 * res
    maps = np.zeros((len(SKETCH_CHANNELS), draw, draw), np.uint8)
    c = mouth_contours(shape)
    _fill(maps[0], np.concatenate([c["outer_up"], c["inner_up"][::-1]]))
    _fill(maps[0], np.concatenate([c["inner_lo"], c["outer_lo"][::-1]]))
    if shape.gap > 0:
        _fill(maps[1], np.concatenate([c["inner_up"], c["inner_lo"][::-1]]))
    for side in (-1.0, 1.0):
        ex = CX + side * EYE_X
        _, up_y, lo_y = lid_lines(shape, side, _T)
        lo_y = np.maximum(lo_y, up_y)  # a closed eye is an empty opening, not a flipped polygon
        xs = ex + _T * EYE_HALF_WIDTH
        _fill(maps[2], np.concatenate([np.stack([xs, up_y], 1), np.stack([xs, lo_y], 1)[::-1]]))
        centre = ((ex + shape.gaze_x) * draw - 0.5, (CY + EYE_Y + 0.0015 + shape.gaze_y) * draw - 0.5)
        cv2.circle(maps[3], tuple(round(v * (1 << _SHIFT)) for v in centre), round(IRIS_R * draw * (1 << _SHIFT)),
                   (255,), -1, lineType=cv2.LINE_AA, shift=_SHIFT)
        _fill(maps[4], brow_polygon(shape, side))
    maps[3] = np.minimum(maps[3], maps[2])  # only the visible part of the iris
    small = [cv2.resize(m, (res, res), interpolation=cv2.INTER_AREA) for m in maps]
    return np.stack(small).astype(np.float32) / 255.0


def sketch_batch(motion: np.ndarray, emotion: np.ndarray, intensity: np.ndarray, res: int) -> np.ndarray:
    """Raw rig motion (B, MOTION_DIM), emotion (B, E), intensity (B,) -> (B, C, res, res) float32."""
    if motion.ndim != 2 or motion.shape[1] != MOTION_DIM:
        raise ValueError(f"motion must be (B, {MOTION_DIM}), got {motion.shape}.")
    if emotion.shape != (len(motion), len(RIG_EMOTIONS)) or intensity.shape != (len(motion),):
        raise ValueError("emotion must be (B, E) and intensity (B,) for the same B as motion.")
    out = np.empty((len(motion), len(SKETCH_CHANNELS), res, res), np.float32)
    for i in range(len(motion)):
        out[i] = rig_sketch(RigParams.from_vectors(motion[i], emotion[i], float(intensity[i])), res)
    return out


__all__ = ["SKETCH_CHANNELS", "rig_sketch", "sketch_batch"]
