"""Geometric cues of learning-relevant facial actions from MediaPipe's 478 face-mesh landmarks.

All cues are measured in a face-aligned frame (x along the eye line, y towards the chin) and
normalised by the inter-ocular distance, so they do not depend on image size, distance to the
camera or head roll. Every cue is symmetric in the two sides of the face (averages of both eyes,
both brows, both mouth corners; |yaw|), so a mirrored webcam image gives the same cues: the mesh
labels the image-left eye "33" whether or not the image is mirrored, and averaging both sides
removes that dependence.

Cues (each in [0, 1]) and why they matter for learning:
- brow_lowering (AU4, corrugator): the facial action most associated with confusion
  (McDaniel et al. 2007; Grafsgaard et al. 2013, "Automatically recognizing facial indicators of
  frustration"), also with frustration/concentration.
- eye_closure (AU43) and yawn (AU26/27 wide open mouth): fatigue and boredom
  (D'Mello & Graesser 2010; Whitehill et al. 2014 on engagement).
- smile (AU12, lip-corner puller): delight / joy.
- head_away (large |yaw|): looking away from the screen, off-task behaviour (Whitehill et al. 2014).

Thresholds are geometric rules measured on MediaPipe meshes of real photos (see
`tests/test_affect_face.py`); `CueBaseline` adapts the brow and mouth-width neutral values to the
person over a stream, because resting brow height varies between people.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np


# MediaPipe face-mesh indices (canonical face model, refine_landmarks=True gives 478 points).
class Eye(NamedTuple):
    """Mesh indices of one eye: corners, two upper/lower lid pairs, upper-lid midpoint."""

    outer: int
    inner: int
    up: tuple[int, int]
    down: tuple[int, int]
    lid: int


RIGHT_EYE = Eye(outer=33, inner=133, up=(160, 158), down=(144, 153), lid=159)
LEFT_EYE = Eye(outer=263, inner=362, up=(385, 387), down=(380, 373), lid=386)
RIGHT_BROW = (70, 63, 105, 66, 107)  # outer -> inner
LEFT_BROW = (300, 293, 334, 296, 336)
INNER_BROWS = (107, 336)
MOUTH_CORNERS = (61, 291)
INNER_LIPS = (13, 14, 78, 308)  # upper mid, lower mid, inner corners
NOSE_TIP, RIGHT_CHEEK, LEFT_CHEEK, CHIN = 1, 234, 454, 152
NUM_LANDMARKS = 478

# Population resting values of the raw measures (inter-ocular units, eye-centre distance),
# measured on MediaPipe meshes of skimage's astronaut (brow-to-lid 0.22-0.25, mirrored or not).
# A frown lowers the brow by roughly a quarter of that distance; the cue ramps from 0.02 to
# BROW_FULL below the resting height. Mouth width ~0.80 at rest, ~1.0 in the astronaut's smile.
BROW_NEUTRAL, BROW_START, BROW_FULL = 0.24, 0.02, 0.08
MOUTH_WIDTH_NEUTRAL, MOUTH_WIDTH_SCALE = 0.80, 0.25
EAR_OPEN, EAR_CLOSED = 0.24, 0.10  # eye aspect ratio (Soukupova & Cech 2016): open ~0.3, shut < 0.1
MAR_YAWN_START, MAR_YAWN_FULL = 0.45, 0.85  # inner-lip opening / inner-lip width
YAW_START, YAW_FULL = 0.20, 0.55  # |nose offset| / half face width; 0.2 ~ 15 deg, 0.55 ~ 45 deg


@dataclass(frozen=True)
class FaceCues:
    """Raw measures (inter-ocular units) and the derived cues in [0, 1]."""

    brow_height: float  # mean brow-to-upper-lid distance along the face's vertical axis
    mouth_width: float  # mouth corner distance
    corner_lift: float  # how far the mouth corners sit above the lip centre (positive = up)
    ear: float  # mean eye aspect ratio of both eyes
    mar: float  # inner mouth opening ratio
    yaw: float  # |horizontal nose offset| relative to the half face width, 0 = frontal
    brow_lowering: float
    eye_closure: float
    yawn: float
    smile: float
    head_away: float

    def as_dict(self) -> dict[str, float]:
        return {
            "brow_lowering": self.brow_lowering,
            "eye_closure": self.eye_closure,
            "yawn": self.yawn,
            "smile": self.smile,
            "head_away": self.head_away,
        }


def _ramp(x: float, start: float, full: float) -> float:
    """0 at `start`, 1 at `full` (either direction), clipped."""
    return float(np.clip((x - start) / (full - start), 0.0, 1.0))


def measure(points: np.ndarray) -> dict[str, float]:
    """Raw, mirror-symmetric measures from (478, 2 or 3) landmark pixel coordinates."""
    p = np.asarray(points, dtype=np.float64)[:, :2]
    if p.shape != (NUM_LANDMARKS, 2):
        raise ValueError(f"expected ({NUM_LANDMARKS}, 2|3) landmarks, got {np.asarray(points).shape}.")
    r_eye = p[[RIGHT_EYE.outer, RIGHT_EYE.inner]].mean(axis=0)
    l_eye = p[[LEFT_EYE.outer, LEFT_EYE.inner]].mean(axis=0)
    iod = float(np.linalg.norm(l_eye - r_eye))
    if iod < 1e-6:
        raise ValueError("degenerate landmarks: the two eyes coincide.")
    ex = (l_eye - r_eye) / iod  # face x axis
    ey = np.array([-ex[1], ex[0]])
    if np.dot(p[CHIN] - (r_eye + l_eye) / 2, ey) < 0:  # make y point towards the chin
        ey = -ey

    def along_y(a: np.ndarray) -> np.ndarray:
        return np.asarray(a @ ey / iod)

    def dist(i: int, j: int) -> float:
        return float(np.linalg.norm(p[i] - p[j]))

    def ear(eye: Eye) -> float:
        vertical = dist(eye.up[0], eye.down[0]) + dist(eye.up[1], eye.down[1])
        return vertical / (2.0 * max(dist(eye.outer, eye.inner), 1e-6))

    brow_r = float(along_y(p[RIGHT_EYE.lid]) - along_y(p[list(RIGHT_BROW[2:])]).mean())
    brow_l = float(along_y(p[LEFT_EYE.lid]) - along_y(p[list(LEFT_BROW[2:])]).mean())
    lip_mid = (p[INNER_LIPS[0]] + p[INNER_LIPS[1]]) / 2
    corners = p[list(MOUTH_CORNERS)]
    half_width = dist(RIGHT_CHEEK, LEFT_CHEEK) / 2
    nose_offset = float((p[NOSE_TIP] - (p[RIGHT_CHEEK] + p[LEFT_CHEEK]) / 2) @ ex)
    return {
        "brow_height": (brow_r + brow_l) / 2,
        "mouth_width": dist(*MOUTH_CORNERS) / iod,
        "corner_lift": float(along_y(lip_mid) - along_y(corners).mean()),
        "ear": (ear(RIGHT_EYE) + ear(LEFT_EYE)) / 2,
        "mar": dist(INNER_LIPS[0], INNER_LIPS[1]) / max(dist(INNER_LIPS[2], INNER_LIPS[3]), 1e-6),
        "yaw": abs(nose_offset) / max(half_width, 1e-6),
    }


@dataclass
class CueBaseline:
    """The person's resting brow height and mouth width, learnt slowly over a stream.

    Starts at the population values; each frame moves it by `rate` towards the current measure
    unless the face is clearly expressive (a strong smile or yawn), so that a brief frown is
    still read against the person's resting face. Single images use the population values.
    """

    brow_height: float = BROW_NEUTRAL
    mouth_width: float = MOUTH_WIDTH_NEUTRAL
    rate: float = 0.02  # ~50 frames (2 s at 25 fps) to adapt

    def update(self, raw: dict[str, float]) -> None:
        if raw["mar"] > MAR_YAWN_START or raw["yaw"] > YAW_START:
            return
        self.brow_height += self.rate * (raw["brow_height"] - self.brow_height)
        self.mouth_width += self.rate * (raw["mouth_width"] - self.mouth_width)


def face_cues(points: np.ndarray, baseline: CueBaseline | None = None) -> FaceCues:
    """Landmarks (478, 2|3) in pixels -> FaceCues, read against `baseline` (population if None)."""
    raw = measure(points)
    base = baseline or CueBaseline()
    # Smile: lip corners pulled wider than the resting width and raised above the lip centre.
    widen = _ramp(raw["mouth_width"] - base.mouth_width, 0.0, MOUTH_WIDTH_SCALE)
    lift = _ramp(raw["corner_lift"], 0.0, 0.08)
    return FaceCues(
        **raw,
        brow_lowering=_ramp(base.brow_height - raw["brow_height"], BROW_START, BROW_FULL),
        eye_closure=_ramp(raw["ear"], EAR_OPEN, EAR_CLOSED),
        yawn=_ramp(raw["mar"], MAR_YAWN_START, MAR_YAWN_FULL),
        smile=float(np.sqrt(widen * lift)),
        head_away=_ramp(raw["yaw"], YAW_START, YAW_FULL),
    )
