"""Face geometry of MediaPipe face-mesh landmarks: pose-free shape measures and the head rotation.

Used by the v2 corpus builder (gan.data.video_rig) to read a real person's rig from their video:

- head rotation: Kabsch/Umeyama (Umeyama 1991) fit of rigid landmarks (eye corners, nose bridge,
  forehead) against a reference face's, after centring and scaling by the inter-ocular distance;
- shape measures on the frontalised landmarks (the rotation undone): inner-lip gap, mouth width
  and height, lip thickness, eye aspect ratio (Soukupova & Cech 2016), iris offset in the eye,
  brow heights.
"""

from __future__ import annotations

import numpy as np

# Rigid points of the 468-point mesh: eye corners, nose bridge and tip, forehead (no brows, lips or
# cheeks: they move with expressions and would leak into the pose).
RIGID = (33, 133, 362, 263, 168, 6, 197, 195, 5, 4, 1, 10, 151, 9, 8, 122, 351, 245, 465)


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


def face_measures(frontal: np.ndarray) -> dict[str, float]:
    """Named shape measures of frontalised, IOD-scaled landmarks (478 or 468, 3), y down.

    Ratios are pose-free (frontalised) and scale-free (IOD units), so one person's frames compare.
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


def frontalise(landmarks: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(R (3, 3) with R ref ~ current rigid points, frontalised IOD-scaled landmarks); y down, z to the viewer."""
    pts, _ = normalise_landmarks(landmarks)
    rot = kabsch(reference, pts[list(RIGID)])
    return rot, pts @ rot  # rows: R^T p, undoes the head rotation
