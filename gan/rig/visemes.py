"""Phonemes with times -> per-frame mouth shapes (jaw_open, lip_width, lip_round) for the rig.

The table groups espeak-ng/piper IPA phonemes into visemes in the tradition of Fisher (1968,
"Confusions among visually perceived consonants": p/b/m, f/v, th, t/d/n/s/z/l, sh/ch/j, k/g/ng,
w/r), the MPEG-4 FBA viseme set (ISO/IEC 14496-2, 15 visemes) and the animator's Preston Blair
mouth chart (open vowels "A/I", "E", rounded "O", "U/W", closed "M/B/P", "F/V"). Targets are in
rig units (gan.rig.params): jaw 0..1 (speech rarely goes past 0.7), lip width -1..1, rounding 0..1.

Coarticulation follows Cohen & Massaro (1993, "Modeling coarticulation in synthetic visual
speech"): each segment has a dominance function D_i(t) = a_i exp(-|t - c_i| / tau_i) that
peaks at its centre c_i; the track at time t is the dominance-weighted mean of the targets.
Lip closures (p/b/m) dominate strongly so the lips really meet; long pauses dominate so the
mouth closes in silence, while short word gaps are nearly transparent.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# phoneme -> (jaw_open, lip_width, lip_round, dominance)
_CLOSED = (0.0, 0.0, 0.0, 3.0)  # bilabial stops / nasal: lips pressed together
VISEMES: dict[str, tuple[float, float, float, float]] = {
    # --- consonants (Fisher 1968 groups)
    "p": _CLOSED, "b": _CLOSED, "m": _CLOSED,
    "f": (0.06, 0.05, 0.0, 2.5), "v": (0.06, 0.05, 0.0, 2.5),  # lower lip to upper teeth
    "θ": (0.12, 0.1, 0.0, 1.2), "ð": (0.12, 0.1, 0.0, 1.2),  # tongue between the teeth
    "t": (0.14, 0.2, 0.0, 0.8), "d": (0.14, 0.2, 0.0, 0.8), "n": (0.14, 0.15, 0.0, 0.7),
    "l": (0.18, 0.15, 0.0, 0.6), "ɾ": (0.16, 0.15, 0.0, 0.5), "ɬ": (0.16, 0.15, 0.0, 0.6),
    "s": (0.07, 0.35, 0.0, 1.2), "z": (0.07, 0.35, 0.0, 1.2),  # teeth nearly closed, spread
    "ʃ": (0.12, -0.35, 0.55, 1.6), "ʒ": (0.12, -0.35, 0.55, 1.6),  # protruded
    "k": (0.18, 0.05, 0.0, 0.5), "ɡ": (0.18, 0.05, 0.0, 0.5), "g": (0.18, 0.05, 0.0, 0.5),
    "ŋ": (0.15, 0.05, 0.0, 0.5), "x": (0.18, 0.0, 0.0, 0.5), "h": (0.22, 0.0, 0.0, 0.2),
    "ɹ": (0.12, -0.3, 0.45, 1.0), "r": (0.12, -0.3, 0.45, 1.0),
    "w": (0.05, -0.7, 1.0, 2.2), "j": (0.10, 0.5, 0.0, 0.8), "ʔ": (0.05, 0.0, 0.0, 0.5),
    # --- vowels (jaw from vowel height, width from frontness, rounding from rounding)
    "i": (0.16, 0.85, 0.0, 1.0), "ɪ": (0.24, 0.55, 0.0, 1.0), "ᵻ": (0.22, 0.4, 0.0, 1.0),
    "e": (0.32, 0.6, 0.0, 1.0), "ɛ": (0.45, 0.45, 0.0, 1.0), "æ": (0.62, 0.5, 0.0, 1.0),
    "a": (0.68, 0.25, 0.0, 1.0), "ɑ": (0.72, 0.0, 0.05, 1.0), "ɒ": (0.65, -0.1, 0.3, 1.0),
    "ɔ": (0.52, -0.3, 0.6, 1.0), "o": (0.40, -0.5, 0.8, 1.0), "ʊ": (0.26, -0.4, 0.7, 1.0),
    "u": (0.16, -0.7, 1.0, 1.2), "ʌ": (0.50, 0.1, 0.0, 1.0), "ə": (0.34, 0.1, 0.0, 0.7),
    "ɐ": (0.44, 0.1, 0.0, 0.8), "ɚ": (0.30, -0.2, 0.35, 0.9), "ɜ": (0.34, -0.15, 0.3, 1.0),
    "ɝ": (0.30, -0.2, 0.35, 0.9), "y": (0.16, -0.5, 0.9, 1.0), "ø": (0.3, -0.4, 0.8, 1.0),
}
SILENCE_TARGET = (0.0, 0.0, 0.0)
_UNKNOWN = (0.25, 0.1, 0.0, 0.5)  # any other symbol: a relaxed half-open mouth, weakly dominant
_REST_DOMINANCE = 1e-3  # keeps the weights defined far from any segment (-> rest pose)
_TAU_MIN = 0.02  # s; fall-off of the shortest segments
_TAU_FRACTION = 0.3  # fall-off time constant as a fraction of the segment duration
_TAU_MAX = 0.05  # s; long pauses and vowels reach at most ~100 ms into their neighbours


def _segment_target(name: str, duration: float) -> tuple[float, float, float, float]:
    if name in ("_", " ", ""):
        # Pauses: long ones close the mouth firmly, short word gaps barely count.
        dom = float(np.interp(duration, [0.05, 0.25], [0.15, 4.0]))
        return (*SILENCE_TARGET, dom)
    return VISEMES.get(name, _UNKNOWN)


def viseme_track(
    phonemes: Sequence[tuple[str, float, float]], fps: float, n_frames: int
) -> np.ndarray:
    """(n_frames, 3) float32 [jaw_open, lip_width, lip_round] sampled at frame centres (k + 0.5) / fps."""
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}.")
    if n_frames < 0:
        raise ValueError(f"n_frames must be >= 0, got {n_frames}.")
    out = np.zeros((n_frames, 3), dtype=np.float32)
    if n_frames == 0 or not phonemes:
        return out
    t = (np.arange(n_frames, dtype=np.float64) + 0.5) / fps
    num = np.zeros((n_frames, 3))
    den = np.full(n_frames, _REST_DOMINANCE)
    for name, start, end in phonemes:
        if end < start:
            raise ValueError(f"Phoneme {name!r} ends ({end}) before it starts ({start}).")
        dur = end - start
        jaw, width, rnd, dom = _segment_target(name, dur)
        centre = 0.5 * (start + end)
        tau = min(_TAU_MAX, max(_TAU_MIN, _TAU_FRACTION * dur))
        # Flat top over the segment itself, exponential fall-off outside it (Cohen & Massaro 1993).
        dist = np.maximum(np.abs(t - centre) - 0.5 * dur, 0.0)
        d = dom * np.exp(-dist / tau)
        num += d[:, None] * np.array([jaw, width, rnd])
        den += d
    out[:] = num / den[:, None]
    # A 25 fps frame can fall beside a 30 ms closure: the frame nearest each bilabial's centre
    # shows the lips shut, so p/b/m always read as a closure (the cue lip-readers rely on).
    for name, start, end in phonemes:
        if VISEMES.get(name) is _CLOSED:
            k = int(np.clip(np.floor(0.5 * (start + end) * fps), 0, n_frames - 1))
            out[k, 0] = 0.0
    return out
