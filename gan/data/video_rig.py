"""A real person's MediaPipe landmarks -> rig v2 numbers (KEPT coefficients + head pose) and crop anchors.

No ARKit-blendshape model exists offline (FINDINGS.md), so the channels a tutor's face needs are
estimated from the 478 landmarks with the shared face geometry of gan.rig.motion_estimate
(IOD-scaled, frontalised by a Kabsch fit of the rigid points):

- head pose: the rotation of the person's rigid points against the same points of the base
  avatar's own rest frame (its generator at rig 0, pose 0, read by MediaPipe), decomposed in the
  actor's convention R = Ry(yaw) Rx(pitch) Rz(roll) (+y up, +z to the camera);
- each estimated channel comes from one shape measure, normalised to the person's own neutral:
  robust percentiles over all their video give the rest value and the extent, and the extent maps
  to the value the actor's corpus reaches for that channel (its 98th percentile, measured on
  /work/wt/rig/data/gan_v3b seq_0000-0039, 3,655 frames), so the rig numbers span the range the
  base generator was trained on. Channels with no reliable landmark cue stay 0.

Anchors (eye centres, nose base, mouth-corner midpoint) pair the person's landmarks with the base
generator's keypoints for the same rig and pose, so the crop puts the person's face where the
generator draws its sketch (gan.data.corpus).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gan.rig.arkit import KEPT_INDEX, POSE_LIMITS
from gan.rig.motion_estimate import RIGID, face_measures, frontalise, normalise_landmarks

# MediaPipe anchor points (image-left eye corners, image-right eye corners, nose base, mouth corners).
_MP_ANCHORS = ((33, 133), (362, 263), (98, 327, 2), (61, 291))
# The same anchors in the actor's keypoint names (gan/actor/assets/keypoints_v2.json).
ACTOR_ANCHORS = (("lid_upper_right_00", "lid_upper_right_06"), ("lid_upper_left_00", "lid_upper_left_06"),
                 ("nose_base_00", "nose_base_01", "nose_base_02"), ("lip_outer_upper_00", "lip_outer_upper_10"))


@dataclass(frozen=True)
class Cue:
    """How one KEPT channel follows one shape measure."""

    measure: str  # key of gan.rig.motion_estimate.face_measures
    sign: float  # +1: the channel grows with the measure, -1: as it shrinks
    rest: float  # percentile of the person's measure taken as their rest value
    extent: float  # percentile taken as their full movement (the actor's `reach`)
    min_span: float  # smallest extent accepted (IOD units): below it, noise is not blown up
    reach: float  # the actor corpus' 98th percentile of the channel


# jawOpen rests at the 5th percentile (the mouth is closed between words); the rest at the median.
CUES: dict[str, Cue] = {
    "jawOpen": Cue("gap", 1.0, 5, 98, 0.08, 0.71),
    "mouthSmile": Cue("corner_lift", -1.0, 50, 2, 0.04, 0.98),
    "mouthStretch": Cue("width", 1.0, 50, 98, 0.06, 0.16),
    "mouthPress": Cue("lips", -1.0, 50, 2, 0.03, 0.34),
    "mouthFunnel": Cue("width", -1.0, 50, 2, 0.06, 0.45),
    "mouthPucker": Cue("width", -1.0, 50, 2, 0.06, 0.37),
    "eyeWide": Cue("ear", 1.0, 50, 98, 0.05, 0.75),
    "browInnerUp": Cue("brow_inner", 1.0, 50, 98, 0.03, 0.66),
    "browDown": Cue("brow_inner", -1.0, 50, 2, 0.03, 0.44),
    "browOuterUpLeft": Cue("brow_outer_right", 1.0, 50, 98, 0.03, 0.75),  # the avatar's left = image right
    "browOuterUpRight": Cue("brow_outer_left", 1.0, 50, 98, 0.03, 0.75),
    "eyeLookLeft": Cue("gaze_x", 1.0, 50, 98, 0.05, 0.44),  # iris towards image right = the avatar's left
    "eyeLookRight": Cue("gaze_x", -1.0, 50, 2, 0.05, 0.32),
    "eyeLookUp": Cue("gaze_y", -1.0, 50, 2, 0.05, 0.49),  # y grows downwards
    "eyeLookDown": Cue("gaze_y", 1.0, 50, 98, 0.05, 0.16),
}
# Blinks by the eye aspect ratio relative to the person's median: fully shut at 30 % of it, open at 75 %
# (Soukupova & Cech 2016 threshold an EAR drop of about this size); squint in between 75 and 95 %.
BLINK_SHUT, BLINK_OPEN, SQUINT_FROM, SQUINT_REACH = 0.30, 0.75, 0.95, 0.34
# MediaPipe's depth makes the Kabsch yaw 1.21-1.30x and roll 0.87-0.91x the truth on actor v2 renders
# (bench/bench_video_rig.py on gan_v3b seq_006x and gan_v4 seq_0000-0019): divide by 1.25 and 0.89. Pitch
# (slope 0.36, r 0.79 at best) is left as measured: scaling it up would triple its noise.
POSE_GAIN = np.array([1 / 1.25, 1.0, 1 / 0.89])


def measures(landmarks: np.ndarray, reference: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """(T, 478, 3) landmarks -> (measures {name: (T,)}, pose (T, 3) degrees, clipped to POSE_LIMITS)."""
    rows: list[dict[str, float]] = []
    pose = np.zeros((len(landmarks), 3), np.float32)
    flip = np.diag([1.0, -1.0, 1.0])  # motion_estimate's frame has y down; the actor's y up
    for t, lm in enumerate(landmarks):
        rot, frontal = frontalise(lm, reference)
        m = face_measures(frontal)
        m["lips"] = m["upper_lip"] + m["lower_lip"]
        rows.append(m)
        pose[t] = euler_yxz(flip @ rot @ flip)
    out = {k: np.array([r[k] for r in rows], np.float64) for k in rows[0]} if rows else {}
    return out, np.clip(pose * POSE_GAIN, -POSE_LIMITS, POSE_LIMITS).astype(np.float32)


def euler_yxz(r: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) degrees of R = Ry(yaw) Rx(pitch) Rz(roll) (gan.networks.rig_sketch.rotation)."""
    pitch = np.arcsin(np.clip(-r[1, 2], -1.0, 1.0))
    yaw = np.arctan2(r[0, 2], r[2, 2])
    roll = np.arctan2(r[1, 0], r[1, 1])
    return float(np.degrees(yaw)), float(np.degrees(pitch)), float(np.degrees(roll))


def rigid_reference(landmarks: np.ndarray) -> np.ndarray:
    """The rigid points (len(RIGID), 3) of one frontal face, normalised as frontalise expects."""
    pts, _ = normalise_landmarks(landmarks)
    return pts[list(RIGID)]


def smooth(x: np.ndarray, breaks: np.ndarray) -> np.ndarray:
    """3-tap moving average over the first axis of x (T, ...) that never mixes frames across a break (T,) bool
    (the first frame of a clip)."""
    first = breaks.reshape(-1, *[1] * (x.ndim - 1))
    prev = np.where(first, x, np.roll(x, 1, axis=0))
    nxt = np.where(np.roll(first, -1, axis=0), x, np.roll(x, -1, axis=0))
    prev[0], nxt[-1] = x[0], x[-1]
    return (prev + x + nxt) / 3.0


def rig_from_measures(m: dict[str, np.ndarray], n_kept: int, breaks: np.ndarray | None = None) -> np.ndarray:
    """Measures of all of a person's frames -> (T, K) KEPT coefficients in [0, 1] (see module doc).

    `breaks` (T,) bool marks the first frame of each clip, so smoothing never crosses clips.
    """
    n = len(next(iter(m.values())))
    breaks = np.zeros(n, bool) if breaks is None else breaks
    # blinks last 3-5 frames at 25 fps (100-150 ms): the eye aspect ratio is not smoothed, or they would halve
    m = {k: v if k == "ear" else smooth(v, breaks) for k, v in m.items()}
    kept = np.zeros((n, n_kept), np.float32)
    unit: dict[str, np.ndarray] = {}
    for name, cue in CUES.items():
        x = m[cue.measure]
        rest, extent = np.percentile(x, cue.rest), np.percentile(x, cue.extent)
        span = max(cue.sign * (extent - rest), cue.min_span)
        unit[name] = np.clip(cue.sign * (x - rest) / span, 0.0, 1.0)
    jaw = unit["jawOpen"]
    unit["mouthFunnel"] = unit["mouthFunnel"] * jaw  # rounded and open
    unit["mouthPucker"] = unit["mouthPucker"] * (1.0 - jaw)  # rounded and closed
    unit["mouthPress"] = unit["mouthPress"] * (1.0 - jaw)  # pressed lips are closed lips
    unit["mouthStretch"] = unit["mouthStretch"] * (1.0 - unit["mouthSmile"])  # wide without a smile
    for name, cue in CUES.items():
        kept[:, KEPT_INDEX[name]] = unit[name] * cue.reach
    ratio = m["ear"] / max(float(np.median(m["ear"])), 1e-6)
    blink = np.clip((BLINK_OPEN - ratio) / (BLINK_OPEN - BLINK_SHUT), 0.0, 1.0)
    kept[:, KEPT_INDEX["eyeBlink"]] = blink
    squint = np.clip((SQUINT_FROM - ratio) / (SQUINT_FROM - BLINK_OPEN), 0.0, 1.0) * (1.0 - blink)
    kept[:, KEPT_INDEX["eyeSquint"]] = squint * SQUINT_REACH
    return kept


def anchors(landmarks: np.ndarray) -> np.ndarray:
    """(478, 2-3) landmarks in pixels -> (4, 2) anchor points (eyes, nose base, mouth corners)."""
    p = np.asarray(landmarks, np.float64)[:, :2]
    return np.stack([p[list(idx)].mean(axis=0) for idx in _MP_ANCHORS])


def anchor_indices(names: tuple[str, ...]) -> list[list[int]]:
    """Indices of ACTOR_ANCHORS in a keypoint basis' names (ValueError if the basis lacks one)."""
    where = {n: i for i, n in enumerate(names)}
    missing = [n for group in ACTOR_ANCHORS for n in group if n not in where]
    if missing:
        raise ValueError(f"The keypoint basis lacks the anchor keypoints {missing}.")
    return [[where[n] for n in group] for group in ACTOR_ANCHORS]
