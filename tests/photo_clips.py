"""Test clips of a real face: skimage's astronaut photo (NASA portrait, public domain) moved, turned and zoomed,
with a sound track, written as mp4 by gan.video.write_mp4 (the repo's own muxer: H.264 + AAC)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from gan.video import write_mp4

FPS = 25.0
SAMPLE_RATE = 16000


def photo_frames(seconds: float, size: int = 240, faces: int = 1, blank: bool = False) -> np.ndarray:
    """(T, size, size * faces, 3): the astronaut's face drifting, turning in plane and zooming; `faces` side by side."""
    from skimage.data import astronaut

    img = astronaut()
    n = round(seconds * FPS)
    frames = np.empty((n, size, size, 3), np.uint8)
    for i in range(n):
        t = i / FPS
        zoom = (1.0 + 0.15 * np.sin(2 * np.pi * t / 7.0)) * size / 300
        cx, cy = 245 + 12 * np.sin(2 * np.pi * t / 6.0), 160 + 8 * np.cos(2 * np.pi * t / 4.0)
        m = cv2.getRotationMatrix2D((cx, cy), 4.0 * np.sin(2 * np.pi * t / 5.0), zoom)
        m[:, 2] = m[:, 2] + np.array([size / 2 - cx, size / 2 - cy])
        frames[i] = cv2.warpAffine(img, m, (size, size), borderMode=cv2.BORDER_REFLECT)
    if blank:
        frames[:] = 128
    return np.concatenate([frames] * faces, axis=2)


def voice(seconds: float) -> np.ndarray:
    """Syllable-like bursts of a 140 Hz buzz (an audio track that is loud and quiet in turn)."""
    t = np.arange(round(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    env = np.clip(np.sin(2 * np.pi * 3.0 * t), 0, None)
    noise = np.random.default_rng(0).standard_normal(t.size)
    return (0.2 * env * np.sin(2 * np.pi * 140 * t) + 0.02 * noise).astype(np.float32)


def write_photo_clip(path: Path, seconds: float, audio: bool = True, size: int = 240, faces: int = 1,
                     blank: bool = False) -> Path:
    """Write one clip (folders created); returns its path."""
    write_mp4(path, photo_frames(seconds, size, faces, blank), FPS, voice(seconds) if audio else None,
              SAMPLE_RATE if audio else None)
    return path
