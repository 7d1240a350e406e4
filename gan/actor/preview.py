"""A labelled contact sheet of actor v2 frames: the look at a glance (docs and reviews)."""

from __future__ import annotations

import cv2
import numpy as np

from gan.actor.render import HeadRenderer

SMILE = {"mouthSmileLeft": 1.0, "mouthSmileRight": 1.0, "cheekSquintLeft": 0.6, "cheekSquintRight": 0.6,
         "jawOpen": 0.2, "mouthUpperUpLeft": 0.4, "mouthUpperUpRight": 0.4, "eyeSquintLeft": 0.3,
         "eyeSquintRight": 0.3}  # fmt: skip
SHOTS: tuple[tuple[str, dict[str, float], tuple[float, float, float]], ...] = (
    ("neutral", {}, (0.0, 0.0, 0.0)),
    ("smile", SMILE, (0.0, 0.0, 0.0)),
    ("jawOpen 0.5", {"jawOpen": 0.5}, (0.0, 0.0, 0.0)),
    ("blink", {"eyeBlinkLeft": 1.0, "eyeBlinkRight": 1.0}, (0.0, 0.0, 0.0)),
    ("browInnerUp", {"browInnerUp": 1.0}, (0.0, 0.0, 0.0)),
    ("mouthFunnel", {"mouthFunnel": 0.8, "jawOpen": 0.15}, (0.0, 0.0, 0.0)),
    ("yaw 25", {}, (25.0, 0.0, 0.0)),
    ("yaw -20 pitch 10, gaze", {"eyeLookInLeft": 0.5, "eyeLookOutRight": 0.5}, (-20.0, 10.0, 4.0)),
)


def contact_sheet(renderer: HeadRenderer, columns: int = 4) -> np.ndarray:
    """(rows * S, columns * S, 3) uint8 RGB: every shot of SHOTS at the renderer's size, labelled."""
    frames = []
    for label, coeffs, pose in SHOTS:
        frame = renderer.render(coeffs, pose).copy()
        cv2.putText(frame, label, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1, cv2.LINE_AA)
        frames.append(frame)
    rows = [np.concatenate(frames[i : i + columns], 1) for i in range(0, len(frames), columns)]
    return np.concatenate(rows, 0)
