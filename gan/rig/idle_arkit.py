"""v2 idle motion on the KEPT channels: head sway and breathing, blinks, gaze saccades.

Rates and sizes from the literature on conversational behaviour (the first avatar's idle motion used them too):
spontaneous blinks 17/min at rest and 26/min in conversation (Bentivoglio et al. 1997), 100-150
ms long with the lids fully shut at the peak; a few degrees of slow head sway, larger while
speaking (Hadar et al. 1983); gaze fixations of 1-3 s with fast saccades, mostly at the listener
while speaking, plus micro-saccades of a fraction of a degree within a fixation (Martinez-Conde et
al. 2004); breathing at ~15 breaths/min shows as a slight nod.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gan.rig.arkit import KEPT_INDEX, K


@dataclass(frozen=True)
class IdleConfig:
    """Sizes and rates of the idle motion."""

    sway_deg: tuple[float, float, float] = (1.6, 1.0, 0.7)  # yaw, pitch, roll sway amplitude at rest (deg)
    speaking_gain: float = 1.6  # sway grows while speaking
    breath_hz: float = 0.25  # 15 breaths per minute
    breath_deg: float = 0.35  # pitch swing of one breath (deg)
    blink_interval_s: tuple[float, float] = (3.5, 2.3)  # mean gap between blinks, at rest / speaking
    gaze_reach: float = 0.35  # eyeLook value of the widest look aside (1 = the eye's extreme)
    at_listener: tuple[float, float] = (0.5, 0.75)  # share of fixations at the listener, at rest / speaking

    def __post_init__(self) -> None:
        if min(self.sway_deg) < 0 or self.speaking_gain < 0 or self.breath_deg < 0:
            raise ValueError("IdleConfig amplitudes must be non-negative.")
        if not 0.0 < self.breath_hz < 2.0:
            raise ValueError(f"IdleConfig.breath_hz must be in (0, 2), got {self.breath_hz}.")
        if min(self.blink_interval_s) < 0.5:
            raise ValueError(f"IdleConfig.blink_interval_s must be >= 0.5 s, got {self.blink_interval_s}.")
        if not 0.0 <= self.gaze_reach <= 1.0 or not all(0.0 <= p <= 1.0 for p in self.at_listener):
            raise ValueError("IdleConfig.gaze_reach and at_listener must be in [0, 1].")


def _sway(t: np.ndarray, rng: np.random.Generator, amplitude: float, f_lo: float, f_hi: float) -> np.ndarray:
    """Smooth quasi-random motion: 4 sinusoids of random frequency and phase, peak ~amplitude."""
    out = np.zeros_like(t)
    for _ in range(4):
        out += np.sin(2 * np.pi * rng.uniform(f_lo, f_hi) * t + rng.uniform(0, 2 * np.pi)) * rng.uniform(0.5, 1.0)
    return amplitude * out / 2.0


def blinks(n_frames: int, fps: float, rng: np.random.Generator, mean_interval: float) -> np.ndarray:
    """(T,) eyelid closure 0..1: fast close (40 % of the blink), slower reopening, 1.0 on the peak frame."""
    out = np.zeros(n_frames)
    t_frames = (np.arange(n_frames) + 0.5) / fps
    t = rng.uniform(0.3, 0.9) * mean_interval  # first blink soon, so short clips blink too
    while t < n_frames / fps:
        peak = (int(t * fps) + 0.5) / fps  # the peak lands on a frame centre: the lids really shut
        dur = rng.uniform(0.10, 0.15)
        before = np.clip(1.0 - (peak - t_frames) / (0.4 * dur), 0.0, 1.0)
        after = np.clip(1.0 - (t_frames - peak) / (0.6 * dur), 0.0, 1.0)
        out = np.maximum(out, np.where(t_frames <= peak, before, after))
        t += float(np.clip(rng.gamma(4.0, mean_interval / 4.0), 1.0, 2.5 * mean_interval))
    return out


def gaze(n_frames: int, fps: float, rng: np.random.Generator, reach: float, at_listener: float) -> np.ndarray:
    """(T, 2) gaze (x + = the avatar's left, y + = down) in eyeLook units: fixations + saccades."""
    out = np.zeros((n_frames, 2))
    k = 0
    while k < n_frames:
        hold = max(1, int(rng.uniform(0.8, 2.5) * fps))
        if rng.uniform() < at_listener:
            target = rng.normal(0.0, 0.04, size=2)
        else:
            target = np.array([rng.uniform(-reach, reach), rng.uniform(-0.6 * reach, 0.5 * reach)])
        # micro-saccades: a tiny jump every ~0.6 s inside the fixation
        jumps = np.cumsum(rng.normal(0.0, 0.012, size=(hold, 2)) * (rng.uniform(size=(hold, 1)) < 1.5 / fps), axis=0)
        out[k : k + hold] = (target + jumps)[: n_frames - k]
        k += hold
    return np.clip(out, -1.0, 1.0)


def idle_track(n_frames: int, fps: float, seed: int, speaking: bool = False,
               config: IdleConfig | None = None) -> tuple[np.ndarray, np.ndarray]:
    """-> (kept (T, K) with eyeBlink and eyeLook* set, pose (T, 3) degrees). Deterministic in seed.

    Each component has its own random stream drawn in time order, so a longer clip starts exactly
    like a shorter one (idle_track(n)[..., :m] == idle_track(m)): streamed parts stay seamless.
    """
    if n_frames < 0:
        raise ValueError(f"n_frames must be >= 0, got {n_frames}.")
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}.")
    cfg = config or IdleConfig()
    sway_rng, blink_rng, gaze_rng, breath_rng = (np.random.default_rng(s)
                                                 for s in np.random.SeedSequence(seed).spawn(4))
    kept = np.zeros((n_frames, K), np.float32)
    pose = np.zeros((n_frames, 3), np.float32)
    if n_frames == 0:
        return kept, pose
    t = np.arange(n_frames) / fps
    gain = cfg.speaking_gain if speaking else 1.0
    for axis, (amp, f_hi) in enumerate(zip(cfg.sway_deg, (0.35, 0.5, 0.3))):
        pose[:, axis] = _sway(t, sway_rng, amp * gain, 0.05, f_hi)
    pose[:, 1] += cfg.breath_deg * 0.5 * np.sin(2 * np.pi * cfg.breath_hz * t + breath_rng.uniform(0, 2 * np.pi))
    kept[:, KEPT_INDEX["eyeBlink"]] = blinks(n_frames, fps, blink_rng, cfg.blink_interval_s[int(speaking)])
    g = gaze(n_frames, fps, gaze_rng, cfg.gaze_reach, cfg.at_listener[int(speaking)])
    kept[:, KEPT_INDEX["eyeLookLeft"]] = np.maximum(g[:, 0], 0.0)
    kept[:, KEPT_INDEX["eyeLookRight"]] = np.maximum(-g[:, 0], 0.0)
    kept[:, KEPT_INDEX["eyeLookDown"]] = np.maximum(g[:, 1], 0.0)
    kept[:, KEPT_INDEX["eyeLookUp"]] = np.maximum(-g[:, 1], 0.0)
    return kept, pose
