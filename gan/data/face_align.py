"""Face landmarks (MediaPipe face mesh, 478 points) and similarity-warped face crops.

The corpus builder (gan.data.corpus) fits, per frame, the similarity that puts a person's anchor
landmarks where the base generator draws the same points (gan.data.video_rig), and warps the
frame with it, so real video is cropped in the actor's framing whatever its resolution or the
head's position.
"""

from __future__ import annotations

import os
from types import TracebackType
from typing import Any

import cv2
import numpy as np

NUM_LANDMARKS = 478
_MAX_SIDE = 640  # frames are downscaled to this before the mesh (speed; the mesh runs at 192 px)


def similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """2x3 similarity (rotation, uniform scale, shift) mapping points src (N, 2) onto dst (N, 2)."""
    matrix, _ = cv2.estimateAffinePartial2D(src.astype(np.float32), dst.astype(np.float32), method=cv2.LMEDS)
    if matrix is None:
        raise ValueError("Could not fit a similarity transform to the face landmarks.")
    return matrix.astype(np.float64)


def warp_face(frame: np.ndarray, m: np.ndarray, size: int) -> np.ndarray:
    """The (size, size, 3) uint8 crop of frame under the 2x3 similarity m (area filter when shrinking)."""
    scale = float(np.hypot(m[0, 0], m[0, 1]))
    interp = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
    return cv2.warpAffine(frame, m, (size, size), flags=interp, borderMode=cv2.BORDER_REPLICATE)


def _downscale(frame: np.ndarray) -> tuple[np.ndarray, float]:
    """(contiguous frame with its longer side at most _MAX_SIDE, the scale applied)."""
    h, w = frame.shape[:2]
    scale = min(1.0, _MAX_SIDE / max(h, w))
    img = frame if scale == 1.0 else cv2.resize(frame, (round(w * scale), round(h * scale)),
                                                 interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(img), scale


class FaceMesher:
    """MediaPipe face mesh (refined: 478 points incl. irises) with a full-range detector fallback.

    `video=True` tracks across consecutive frames (faster, steadier); call `reset()` between clips.
    """

    def __init__(self, video: bool = True, min_confidence: float = 0.5) -> None:
        os.environ.setdefault("GLOG_minloglevel", "2")
        import mediapipe as mp

        self._mp = mp
        self._video = video
        self._conf = min_confidence
        self._mesh: Any = None
        self._crop_mesh = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=True, max_num_faces=1, refine_landmarks=True, min_detection_confidence=min_confidence)
        self._detector = mp.solutions.face_detection.FaceDetection(model_selection=1,
                                                                   min_detection_confidence=min_confidence)
        self.reset()

    def reset(self) -> None:
        if self._mesh is not None:
            self._mesh.close()
        self._mesh = self._mp.solutions.face_mesh.FaceMesh(
            static_image_mode=not self._video, max_num_faces=1, refine_landmarks=True,
            min_detection_confidence=self._conf, min_tracking_confidence=self._conf)

    def close(self) -> None:
        for obj in (self._mesh, self._crop_mesh, self._detector):
            if obj is not None:
                obj.close()
        self._mesh = None

    def __enter__(self) -> FaceMesher:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @staticmethod
    def _points(result: Any, w: int, h: int) -> np.ndarray | None:
        if not result.multi_face_landmarks:
            return None
        lm = result.multi_face_landmarks[0].landmark
        if len(lm) != NUM_LANDMARKS:
            return None
        return np.array([(p.x * w, p.y * h, p.z * w) for p in lm], dtype=np.float32)

    def __call__(self, frame: np.ndarray) -> np.ndarray | None:
        """(478, 3) landmarks in the frame's pixels (z in x's scale), or None if no face."""
        img, scale = _downscale(frame)
        ih, iw = img.shape[:2]
        pts = self._points(self._mesh.process(img), iw, ih)
        if pts is None:
            pts = self._via_detector(img)
        if pts is None:
            return None
        return pts / scale

    def count_faces(self, frame: np.ndarray, min_score: float = 0.7) -> int:
        """How many faces the full-range detector finds with at least min_score (several people in frame)."""
        res = self._detector.process(_downscale(frame)[0])
        return sum(1 for d in res.detections or [] if d.score and d.score[0] >= min_score)

    def _via_detector(self, img: np.ndarray) -> np.ndarray | None:
        """Small or distant faces: full-range detection, then the mesh on a square crop around it."""
        res = self._detector.process(img)
        if not res.detections:
            return None
        ih, iw = img.shape[:2]
        b = res.detections[0].location_data.relative_bounding_box
        cx, cy = (b.xmin + b.width / 2) * iw, (b.ymin + b.height / 2) * ih
        side = int(max(b.width * iw, b.height * ih) * 1.8)
        if side < 8:
            return None
        x0, y0 = int(cx - side / 2), int(cy - side / 2)
        m = np.array([[1.0, 0.0, -x0], [0.0, 1.0, -y0]])
        crop = cv2.warpAffine(img, m, (side, side), borderMode=cv2.BORDER_REPLICATE)
        pts = self._points(self._crop_mesh.process(np.ascontiguousarray(crop)), side, side)
        if pts is None:
            return None
        pts[:, 0] += x0
        pts[:, 1] += y0
        return pts
