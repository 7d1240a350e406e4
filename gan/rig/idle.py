"""Idle motion: blinks, slight head sway and gaze saccades, so the avatar is never a still photo.

Rates and sizes from the literature on conversational behaviour: spontaneous blinks every
~3-5 s lasting 100-150 ms, more frequent while talking (Bentivoglio et al. 1997, "Analysis of
blink rate patterns in normal subjects": 17/min at rest, 26/min in conversation); small,
slow head sway of a few degrees, larger with speech (Hadar et al. 1983, "Head movement
during listening turns in conversation"); gaze holds 1-3 s between fast saccades of
30-50 ms, mostly toward the listener while speaking.
"""

from __future__ import annotations

import numpy as np

from gan.rig.params import MOTION_DIM, MOTION_FIELDS

_IDX = {name: i for i, name in enumerate(MOTION_FIELDS)}


def _sway(t: np.ndarray, rng: np.random.Generator, amplitude: float, f_lo: float, f_hi: float) -> np.ndarray:
    """Smooth quasi-random motion: a sum of 4 sinusoids with random frequency and phase."""
    out = np.zeros_like(t)
    for _ in range(4):
        f = rng.uniform(f_lo, f_hi)
        out += np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi)) * rng.uniform(0.5, 1.0)
    return amplitude * out / 2.0


def _blinks(n_frames: int, fps: float, rng: np.random.Generator, mean_interval: float) -> np.ndarray:
    """Blink track 0..1: fast close (40 % of the blink), slower reopening; peaks land on a frame."""
    out = np.zeros(n_frames, dtype=np.float64)
    t_frames = (np.arange(n_frames) + 0.5) / fps
    t = rng.uniform(0.4, 0.9) * mean_interval  # first blink soon, so short clips blink too
    duration_s = n_frames / fps
    while t < duration_s:
        k = int(t * fps)
        peak = (k + 0.5) / fps
        dur = rng.uniform(0.10, 0.15)
        close, reopen = 0.4 * dur, 0.6 * dur
        before = np.clip(1.0 - (peak - t_frames) / close, 0.0, 1.0)
        after = np.clip(1.0 - (t_frames - peak) / reopen, 0.0, 1.0)
        out = np.maximum(out, np.where(t_frames <= peak, before, after))
        t += float(np.clip(rng.gamma(4.0, mean_interval / 4.0), 1.2, 2.5 * mean_interval))
    return out


def _gaze(n_frames: int, fps: float, rng: np.random.Generator, speaking: bool) -> np.ndarray:
    """(T, 2) gaze: fixations held 1-3 s, 1-frame saccades between them."""
    out = np.zeros((n_frames, 2))
    k = 0
    while k < n_frames:
        hold = int(rng.uniform(1.0, 3.0) * fps)
        if speaking and rng.uniform() < 0.7:
            target = rng.normal(0.0, 0.06, size=2)  # at the listener
        else:
            target = np.array([rng.uniform(-0.45, 0.45), rng.uniform(-0.25, 0.2)])
        out[k : k + hold] = target
        k += max(hold, 1)
    return np.clip(out, -1.0, 1.0)


def idle_motion(n_frames: int, fps: float, seed: int, speaking: bool = False) -> np.ndarray:
    """(n_frames, MOTION_DIM) float32 in rig units; viseme columns (jaw, width, round) are 0."""
    if n_frames < 0:
        raise ValueError(f"n_frames must be >= 0, got {n_frames}.")
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}.")
    # One independent random stream per component, each drawn in time order, so a longer clip
    # starts exactly like a shorter one: idle_motion(n)[:m] == idle_motion(m) (streaming relies on it).
    sway_rng, blink_rng, gaze_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))
    motion = np.zeros((n_frames, MOTION_DIM), dtype=np.float32)
    if n_frames == 0:
        return motion
    t = np.arange(n_frames) / fps
    gain = 1.8 if speaking else 1.0
    motion[:, _IDX["yaw"]] = _sway(t, sway_rng, 2.0 * gain, 0.05, 0.35)
    motion[:, _IDX["pitch"]] = _sway(t, sway_rng, 1.2 * gain, 0.08, 0.5)
    motion[:, _IDX["roll"]] = _sway(t, sway_rng, 0.8 * gain, 0.05, 0.3)
    motion[:, _IDX["blink"]] = _blinks(n_frames, fps, blink_rng, 3.2 if speaking else 4.0)
    motion[:, [_IDX["gaze_x"], _IDX["gaze_y"]]] = _gaze(n_frames, fps, gaze_rng, speaking)
    return motion
