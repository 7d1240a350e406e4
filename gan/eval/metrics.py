"""Measurements for the avatar eval, independent of the generator (MediaPipe, an expression
classifier, signal statistics). Pure functions on arrays, so they are easy to test."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# MediaPipe FaceMesh indices: inner lip midpoints (upper 13, lower 14), face width from the
# cheek contour (234 right, 454 left), the standard pairs used for mouth aspect ratios.
UPPER_LIP, LOWER_LIP, CHEEK_R, CHEEK_L = 13, 14, 234, 454
CLOSED = 0.02  # lips count as closed below 2 % of face width (issue 14)
SILENCE_RMS = 0.05  # a frame is silent when its RMS is below 5 % of the clip's loudest frame
# A pause frame counts as "away from sound" 2 frames (80 ms at 25 fps) or more from any sounding frame: the
# lips part in anticipation of a sound and close after it (coarticulation), lead 18:13 on the actor.
PAUSE_MARGIN = 2


def face_width(landmarks: np.ndarray) -> float:
    """Cheek-to-cheek distance in pixels of a (478, 3) landmark array."""
    return float(np.linalg.norm(landmarks[CHEEK_L, :2] - landmarks[CHEEK_R, :2]))


def mouth_opening(landmarks: np.ndarray) -> float:
    """Inner-lip gap over face width (0 = closed)."""
    return float(np.linalg.norm(landmarks[LOWER_LIP, :2] - landmarks[UPPER_LIP, :2])) / max(face_width(landmarks), 1e-6)


def pearson_best_lag(x: np.ndarray, y: np.ndarray, max_lag: int = 2) -> tuple[float, int]:
    """Highest Pearson r between x[t] and y[t + lag] over |lag| <= max_lag; returns (r, lag)."""
    best = (-1.0, 0)
    for lag in range(-max_lag, max_lag + 1):
        a = x[max(0, -lag) : len(x) - max(0, lag)]
        b = y[max(0, lag) : len(y) - max(0, -lag)]
        if len(a) < 3 or a.std() < 1e-9 or b.std() < 1e-9:
            continue
        r = float(np.corrcoef(a, b)[0, 1])
        if r > best[0]:
            best = (r, lag)
    return best


def landmark_jitter(landmarks: np.ndarray) -> tuple[float, float]:
    """(T, 478, 2+) landmarks -> (jitter, motion) as fractions of face width per frame.

    jitter: mean distance of each landmark from the midpoint of its neighbours in time (second
    difference: smooth head sway cancels, frame-to-frame flicker does not); motion: mean raw
    frame-to-frame displacement, for context.
    """
    pts = landmarks[..., :2].astype(np.float64)
    width = np.median([face_width(lm) for lm in landmarks])
    second = np.linalg.norm(pts[1:-1] - 0.5 * (pts[:-2] + pts[2:]), axis=-1).mean()
    first = np.linalg.norm(pts[1:] - pts[:-1], axis=-1).mean()
    return float(second / width), float(first / width)


def procrustes_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Shape distance of two (N, 2) landmark sets after removing translation, scale, rotation."""
    a = a[:, :2] - a[:, :2].mean(0)
    b = b[:, :2] - b[:, :2].mean(0)
    a = a / np.linalg.norm(a)
    b = b / np.linalg.norm(b)
    u, _, vt = np.linalg.svd(a.T @ b)
    r = u @ vt
    return float(np.sqrt(((a @ r - b) ** 2).sum(1)).mean() * np.sqrt(len(a)))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB of two uint8 images."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 99.0 if mse == 0 else float(10 * np.log10(255.0**2 / mse))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Structural similarity of two uint8 RGB images (skimage, per channel, averaged)."""
    from skimage.metrics import structural_similarity

    return float(structural_similarity(a, b, channel_axis=2, data_range=255))


def bilabial_frames(phonemes: Sequence[tuple[str, float, float]], n: int, fps: float) -> np.ndarray:
    """Frames whose centre lies in a p/b/m, or the one nearest a shorter p/b/m."""
    frames: set[int] = set()
    centres = (np.arange(n) + 0.5) / fps
    for name, start, end in phonemes:
        if name in ("p", "b", "m"):
            inside = np.flatnonzero((centres >= start) & (centres < end))
            frames.update(inside.tolist() or [min(n - 1, int(0.5 * (start + end) * fps))])
    return np.array(sorted(frames), np.int64)


def lipsync_stats(opening: np.ndarray, env: np.ndarray, pbm: np.ndarray) -> dict[str, float]:
    """One spoken clip: mouth opening (T,) (NaN = no face) vs loudness env (T,) and the p/b/m frames.

    r / lag: Pearson r at the best lag within +-2 frames; pbm_closed / silence_closed / pause_closed:
    share of p/b/m / silent (RMS < SILENCE_RMS of the loudest) / silent and >= PAUSE_MARGIN frames
    from sound frames with the lips closed (< CLOSED); n_*: how many frames each share is over (to
    pool clips fairly).
    """
    ok = np.isfinite(opening)
    r, lag = pearson_best_lag(opening[ok], env[ok])
    pbm = pbm[ok[pbm]]
    quiet = env < SILENCE_RMS * env.max()
    near_sound = np.convolve((~quiet).astype(float), np.ones(2 * PAUSE_MARGIN + 1), mode="same") > 0
    silent, pause = ok & quiet, ok & quiet & ~near_sound

    def closed(frames: np.ndarray) -> float:
        return float(np.mean(opening[frames] < CLOSED)) if len(opening[frames]) else float("nan")

    return {"r": r, "lag": float(lag), "pbm_closed": closed(pbm), "silence_closed": closed(silent),
            "pause_closed": closed(pause), "n_pbm": float(len(pbm)), "n_silence": float(silent.sum()),
            "n_pause": float(pause.sum())}
