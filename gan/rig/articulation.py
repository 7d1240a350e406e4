"""Emotional articulation: how the same speech moves the mouth under each emotion.

The data builder articulates the TTS viseme targets with the clip's emotion and intensity
(`emotional_visemes`); audio-to-motion learns from those targets but sees no intensity, so the
pipeline swaps the mean articulation it learned for the requested one (`rearticulate`).
"""

from __future__ import annotations

import numpy as np

from gan.rig.params import RIG_EMOTIONS

# Emotional articulation (how the same speech looks under each emotion), applied to the viseme
# targets so that audio-to-motion's emotion input means something: low-arousal sadness shrinks
# articulation, high-arousal surprise/anger enlarge it, happy speech is spoken through a smile
# (Busso & Narayanan 2007 report larger lip/jaw displacement for angry and happy speech and
# smaller for sad). Values are ours: (jaw gain, lip-width offset).
ARTICULATION: dict[str, tuple[float, float]] = {
    "neutral": (1.0, 0.0),
    "happy": (1.05, 0.25),
    "sad": (0.75, -0.1),
    "surprised": (1.2, -0.1),
    "angry": (1.1, 0.05),
}

SPEECH_INTENSITY = (0.3, 1.0)  # expression intensity of spoken training sentences: uniform in this range


def emotional_visemes(visemes: np.ndarray, emotion: np.ndarray, intensity: float) -> np.ndarray:
    """(T, 3) neutral visemes -> visemes articulated with the blend (E,) at the given intensity."""
    gain, offset = _articulation(emotion, intensity)
    out = visemes.astype(np.float32).copy()
    out[:, 0] = np.clip(out[:, 0] * gain, 0.0, 1.0)
    out[:, 1] = np.clip(out[:, 1] + offset * (out[:, 0] > 0.02), -1.0, 1.0)  # only while speaking
    return out


def _articulation(emotion: np.ndarray, intensity: float) -> tuple[float, float]:
    """(jaw gain, lip-width offset) of the blend (E,) at an intensity, as emotional_visemes applies."""
    gain = sum(float(emotion[i]) * ARTICULATION[e][0] for i, e in enumerate(RIG_EMOTIONS))
    offset = sum(float(emotion[i]) * ARTICULATION[e][1] for i, e in enumerate(RIG_EMOTIONS))
    return 1.0 + intensity * (gain - 1.0), intensity * offset


def rearticulate(visemes: np.ndarray, emotion: np.ndarray, intensity: float) -> np.ndarray:
    """Audio-to-motion output (T, 3) -> the articulation of `intensity`.

    Audio-to-motion sees the emotion but not the intensity, and its targets were articulated at
    intensities uniform in SPEECH_INTENSITY, so it predicts the articulation of the mean intensity
    (measured: sad jaw 0.89 x neutral where intensity 1 means 0.75 x). This swaps that mean
    articulation for the requested one.
    """
    mean_gain, mean_offset = _articulation(emotion, float(np.mean(SPEECH_INTENSITY)))
    gain, offset = _articulation(emotion, intensity)
    out = visemes.astype(np.float32).copy()
    speaking = out[:, 0] > 0.02
    out[:, 0] = np.clip(out[:, 0] * (gain / mean_gain), 0.0, 1.0)
    out[:, 1] = np.clip(out[:, 1] + (offset - mean_offset) * speaking, -1.0, 1.0)
    return out
