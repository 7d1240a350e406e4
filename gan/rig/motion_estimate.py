"""MediaPipe face-mesh landmarks -> rig motion (jaw, lip width/rounding, blink, pose, gaze).

Real video and the synthetic actor must live in one parameter space, so the estimator is
calibrated on the actor itself (`scripts/fit_motion_estimator.py` renders random rig settings,
runs MediaPipe, and fits the maps below; the fit and its R^2 per field are stored in
`gan/weights/motion_estimator.json`):

- head pose: Kabsch/Umeyama rotation (Umeyama 1991) of rigid landmarks (eye corners, nose
  bridge, forehead) against the actor's neutral frontal mesh, decomposed into the rig's
  yaw/pitch/roll, then a per-axis linear calibration;
- mouth, blink and gaze: ridge regression on pose-normalised shape features (inner-lip gap,
  mouth width and height, eye aspect ratio as in Soukupova & Cech 2016, iris offset in the eye).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gan.rig.params import MOTION_BOUNDS, MOTION_DIM, MOTION_FIELDS

DEFAULT_PATH = Path(__file__).parents[1] / "weights" / "motion_estimator.json"
# Rigid points of the 468-point mesh: eye corners, nose bridge and tip, forehead (no brows, lips or
# cheeks: they move with expressions and would leak into the pose).
RIGID = (33, 133, 362, 263, 168, 6, 197, 195, 5, 4, 1, 10, 151, 9, 8, 122, 351, 245, 465)
REGRESSED = ("jaw_open", "lip_width", "lip_round", "blink", "gaze_x", "gaze_y")
POSE = ("yaw", "pitch", "roll")


def _eye_centres(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return 0.5 * (pts[33] + pts[133]), 0.5 * (pts[362] + pts[263])


def normalise_landmarks(landmarks: np.ndarray) -> tuple[np.ndarray, float]:
    """Centre on the rigid points and scale by the inter-ocular distance; z flipped to face the viewer."""
    pts = np.asarray(landmarks, dtype=np.float64)[:, :3].copy()
    pts[:, 2] *= -1.0  # MediaPipe z grows away from the camera; the rig's toward it
    left, right = _eye_centres(pts)
    iod = float(np.linalg.norm((right - left)[:2]))
    if not iod > 1e-6:
        raise ValueError("Degenerate landmarks: the eyes coincide.")
    return (pts - pts[list(RIGID)].mean(axis=0)) / iod, iod


def kabsch(ref: np.ndarray, cur: np.ndarray) -> np.ndarray:
    """Rotation R (3x3) minimising ||R ref_i - cur_i|| for centred point sets (N, 3)."""
    h = ref.T @ cur
    u, _, vt = np.linalg.svd(h)
    d = np.sign(np.linalg.det(vt.T @ u.T))
    return vt.T @ np.diag([1.0, 1.0, d]) @ u.T


def euler_from_rotation(r: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) degrees for R = Rz(roll) Rx(pitch) Ry(yaw), the convention of gan.actor.rotation."""
    pitch = np.arcsin(np.clip(-r[2, 1], -1.0, 1.0))
    yaw = np.arctan2(-r[2, 0], r[2, 2])
    roll = np.arctan2(-r[0, 1], r[1, 1])
    return float(np.degrees(yaw)), float(np.degrees(pitch)), float(np.degrees(roll))


def face_measures(frontal: np.ndarray) -> dict[str, float]:
    """Named shape measures of frontalised, IOD-scaled landmarks (478 or 468, 3), y down.

    Shared by the v1 estimator (shape_features) and the v2 rig from video (gan.data.video_rig).
    """
    p = frontal
    ear_l = np.linalg.norm(p[159, :2] - p[145, :2]) / (np.linalg.norm(p[33, :2] - p[133, :2]) + 1e-9)
    ear_r = np.linalg.norm(p[386, :2] - p[374, :2]) / (np.linalg.norm(p[362, :2] - p[263, :2]) + 1e-9)
    if p.shape[0] >= 478:
        left, right = _eye_centres(p)
        ew_l = np.linalg.norm(p[33, :2] - p[133, :2]) + 1e-9
        ew_r = np.linalg.norm(p[362, :2] - p[263, :2]) + 1e-9
        gx = 0.5 * ((p[468, 0] - left[0]) / ew_l + (p[473, 0] - right[0]) / ew_r)
        gy = 0.5 * ((p[468, 1] - left[1]) / ew_l + (p[473, 1] - right[1]) / ew_r)
    else:
        gx = gy = 0.0
    eye_y = 0.25 * (p[33, 1] + p[133, 1] + p[362, 1] + p[263, 1])
    return {
        "gap": float(p[14, 1] - p[13, 1]),  # inner lips apart
        "width": float(p[291, 0] - p[61, 0]),  # mouth corner to corner
        "height": float(p[17, 1] - p[0, 1]),  # outer lips top to bottom
        "corners": float(0.5 * (p[61, 1] + p[291, 1]) - 0.5 * (p[13, 1] + p[14, 1])),  # corners below the lip centre
        "corner_lift": float(0.5 * (p[61, 1] + p[291, 1]) - p[1, 1]),  # corners below the nose tip (smiles lift them)
        "upper_lip": float(p[13, 1] - p[0, 1]),  # lip thickness grows when the lips protrude (rounding)
        "lower_lip": float(p[17, 1] - p[14, 1]),
        "ear": float(0.5 * (ear_l + ear_r)),  # eye aspect ratio (Soukupova & Cech 2016)
        "gaze_x": float(gx),  # iris offset in the eye, in eye widths
        "gaze_y": float(gy),
        "brow_inner": float(eye_y - 0.5 * (p[107, 1] + p[336, 1])),  # inner brow ends above the eye corners
        "brow_outer_left": float(eye_y - p[70, 1]),  # image-left brow's outer end
        "brow_outer_right": float(eye_y - p[300, 1]),
    }


def shape_features(frontal: np.ndarray) -> np.ndarray:
    """Pose-normalised features (F,) from frontalised, IOD-scaled landmarks (478 or 468, 3)."""
    m = face_measures(frontal)
    gap, width, ear = m["gap"], m["width"], m["ear"]
    g = max(gap, 0.0)
    return np.array([gap, np.sqrt(g), g * g, width, width * width, m["height"], m["corners"], m["corner_lift"],
                     m["upper_lip"], m["lower_lip"], width * gap, ear, ear * ear, m["gaze_x"], m["gaze_y"]],
                    dtype=np.float64)


def frontalise(landmarks: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(R (3, 3) with R ref ~ current rigid points, frontalised IOD-scaled landmarks); y down, z to the viewer."""
    pts, _ = normalise_landmarks(landmarks)
    rot = kabsch(reference, pts[list(RIGID)])
    return rot, pts @ rot  # rows: R^T p, undoes the head rotation


@dataclass(frozen=True)
class MotionEstimator:
    """The calibrated maps (see module docstring); load with `MotionEstimator.load()`."""

    reference: np.ndarray  # (len(RIGID), 3) normalised rigid points of the neutral frontal actor
    pose_gain: np.ndarray  # (3,) per-axis linear calibration: rig = gain * kabsch + offset
    pose_offset: np.ndarray  # (3,)
    feat_mean: np.ndarray  # (F,)
    feat_std: np.ndarray  # (F,)
    weights: np.ndarray  # (F + 1, len(REGRESSED)) ridge weights incl. bias row

    @classmethod
    def load(cls, path: str | Path = DEFAULT_PATH) -> MotionEstimator:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(**{k: np.asarray(data[k], dtype=np.float64) for k in
                      ("reference", "pose_gain", "pose_offset", "feat_mean", "feat_std", "weights")})

    def to_json(self, path: str | Path, extra: dict[str, object] | None = None) -> None:
        data: dict[str, object] = {k: np.asarray(getattr(self, k)).round(6).tolist() for k in
                                   ("reference", "pose_gain", "pose_offset", "feat_mean", "feat_std", "weights")}
        data.update(extra or {})
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(data, indent=1), encoding="utf-8")

    def raw_pose(self, landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(uncalibrated yaw/pitch/roll degrees (3,), frontalised normalised landmarks)."""
        rot, frontal = frontalise(landmarks, self.reference)
        return np.array(euler_from_rotation(rot)), frontal

    def __call__(self, landmarks: np.ndarray) -> np.ndarray:
        """(MOTION_DIM,) float32 rig-unit motion for one face's landmarks (478 or 468, 2-3)."""
        arr = np.asarray(landmarks, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[0] < 468 or arr.shape[1] < 3:
            raise ValueError(f"landmarks must be (478 or 468, 3), got {arr.shape}.")
        angles, frontal = self.raw_pose(arr)
        pose = self.pose_gain * angles + self.pose_offset
        feats = (shape_features(frontal) - self.feat_mean) / self.feat_std
        reg = np.append(feats, 1.0) @ self.weights
        out = np.zeros(MOTION_DIM, dtype=np.float32)
        for i, name in enumerate(MOTION_FIELDS):
            value = pose[POSE.index(name)] if name in POSE else reg[REGRESSED.index(name)]
            lo, hi = MOTION_BOUNDS[name]
            out[i] = np.clip(value, lo, hi)
        return out


@functools.lru_cache(maxsize=2)
def default_estimator(path: str = str(DEFAULT_PATH)) -> MotionEstimator:
    """The shipped estimator, loaded once per process."""
    return MotionEstimator.load(path)


def estimate_motion(landmarks: np.ndarray) -> np.ndarray:
    """(MOTION_DIM,) rig motion estimated from one face's MediaPipe landmarks (shipped calibration)."""
    return default_estimator()(landmarks)
