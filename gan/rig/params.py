"""The face-rig parameter space shared by the synthetic actor, audio-to-motion and the GAN.

One frame of face motion is a `RigParams`: visemes (jaw, lip width, lip rounding), blink, head
pose, gaze, plus an emotion blend over RIG_EMOTIONS and an intensity. The GAN is conditioned on
exactly these numbers (motion vector + emotion vector + intensity), so the actor (which makes the
training data), landmark-derived parameters from real video and the audio-to-motion model all
meet here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from affect.types import AVATAR_EMOTIONS

# The rig's own basic emotions; the GAN's emotion input is a blend over these.
RIG_EMOTIONS: tuple[str, ...] = ("neutral", "happy", "sad", "surprised", "angry")

# Order of the per-frame motion vector fed to the generator.
MOTION_FIELDS: tuple[str, ...] = (
    "jaw_open",  # 0 closed .. 1 fully open
    "lip_width",  # -1 pursed/narrow .. 0 rest .. 1 wide (as in "ee")
    "lip_round",  # 0 rest .. 1 rounded/protruded (as in "oo")
    "blink",  # 0 eyes open .. 1 closed
    "yaw",  # head turn, degrees, + = the avatar's left
    "pitch",  # head nod, degrees, + = looking down
    "roll",  # head tilt, degrees
    "gaze_x",  # -1 .. 1, + = the avatar's left
    "gaze_y",  # -1 .. 1, + = down
)
MOTION_DIM = len(MOTION_FIELDS)

# Bounds used to validate and to normalise the motion vector into roughly [-1, 1] for networks.
MOTION_BOUNDS: dict[str, tuple[float, float]] = {
    "jaw_open": (0.0, 1.0),
    "lip_width": (-1.0, 1.0),
    "lip_round": (0.0, 1.0),
    "blink": (0.0, 1.0),
    "yaw": (-25.0, 25.0),
    "pitch": (-20.0, 20.0),
    "roll": (-15.0, 15.0),
    "gaze_x": (-1.0, 1.0),
    "gaze_y": (-1.0, 1.0),
}

# How each tutor-facing avatar emotion is shown with the rig's basic emotions (weights sum to 1).
# "concerned" is the sad display with inner brows raised (empathic concern reads as sadness to
# expression classifiers); "encouraging" a softer smile; "thinking" a slight frown of effort.
AVATAR_TO_RIG: dict[str, dict[str, float]] = {
    "neutral": {"neutral": 1.0},
    "happy": {"happy": 1.0},
    "encouraging": {"happy": 0.6, "neutral": 0.4},
    "concerned": {"sad": 1.0},
    "surprised": {"surprised": 1.0},
    "thinking": {"neutral": 0.7, "angry": 0.3},
}
assert set(AVATAR_TO_RIG) == set(AVATAR_EMOTIONS)


def emotion_blend(emotion: str) -> dict[str, float]:
    """Blend over RIG_EMOTIONS for an avatar emotion or a rig emotion name; ValueError if unknown."""
    if emotion in AVATAR_TO_RIG:
        blend = AVATAR_TO_RIG[emotion]
    elif emotion in RIG_EMOTIONS:
        blend = {emotion: 1.0}
    else:
        known = sorted(set(AVATAR_EMOTIONS) | set(RIG_EMOTIONS))
        raise ValueError(f"Unknown emotion {emotion!r}; expected one of {known}.")
    return {e: float(blend.get(e, 0.0)) for e in RIG_EMOTIONS}


@dataclass(frozen=True)
class RigParams:
    """One frame of the rig: motion + emotion blend + intensity."""

    jaw_open: float = 0.0
    lip_width: float = 0.0
    lip_round: float = 0.0
    blink: float = 0.0
    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
    gaze_x: float = 0.0
    gaze_y: float = 0.0
    emotion: dict[str, float] = field(default_factory=lambda: {"neutral": 1.0})  # over RIG_EMOTIONS
    intensity: float = 1.0  # 0 = neutral face whatever the blend, 1 = full expression

    def __post_init__(self) -> None:
        for name in MOTION_FIELDS:
            lo, hi = MOTION_BOUNDS[name]
            value = float(getattr(self, name))
            if not lo <= value <= hi:
                raise ValueError(f"RigParams.{name} must be in [{lo}, {hi}], got {value}.")
        unknown = set(self.emotion) - set(RIG_EMOTIONS)
        if unknown:
            raise ValueError(f"RigParams.emotion has unknown keys {sorted(unknown)}; use {RIG_EMOTIONS}.")
        total = sum(self.emotion.values())
        if total <= 0 or any(v < 0 for v in self.emotion.values()):
            raise ValueError("RigParams.emotion weights must be non-negative and not all zero.")
        if not 0.0 <= self.intensity <= 1.0:
            raise ValueError(f"RigParams.intensity must be in [0, 1], got {self.intensity}.")

    def motion_vector(self) -> np.ndarray:
        """(MOTION_DIM,) float32 in MOTION_FIELDS order, raw units."""
        return np.array([getattr(self, n) for n in MOTION_FIELDS], dtype=np.float32)

    def emotion_vector(self) -> np.ndarray:
        """(len(RIG_EMOTIONS),) float32, normalised to sum to 1."""
        v = np.array([self.emotion.get(e, 0.0) for e in RIG_EMOTIONS], dtype=np.float32)
        return v / v.sum()

    @classmethod
    def from_vectors(cls, motion: np.ndarray, emotion: np.ndarray, intensity: float) -> RigParams:
        """Inverse of motion_vector/emotion_vector (values clipped to their bounds)."""
        kwargs = {}
        for i, name in enumerate(MOTION_FIELDS):
            lo, hi = MOTION_BOUNDS[name]
            kwargs[name] = float(np.clip(motion[i], lo, hi))
        emo = {e: float(max(0.0, emotion[i])) for i, e in enumerate(RIG_EMOTIONS)}
        return cls(**kwargs, emotion=emo, intensity=float(np.clip(intensity, 0.0, 1.0)))


def normalise_motion(motion: np.ndarray) -> np.ndarray:
    """Map raw motion (..., MOTION_DIM) to roughly [-1, 1] per field for network inputs."""
    lo = np.array([MOTION_BOUNDS[n][0] for n in MOTION_FIELDS], dtype=np.float32)
    hi = np.array([MOTION_BOUNDS[n][1] for n in MOTION_FIELDS], dtype=np.float32)
    return (2.0 * (motion - lo) / (hi - lo) - 1.0).astype(np.float32)


def denormalise_motion(norm: np.ndarray) -> np.ndarray:
    """Inverse of normalise_motion."""
    lo = np.array([MOTION_BOUNDS[n][0] for n in MOTION_FIELDS], dtype=np.float32)
    hi = np.array([MOTION_BOUNDS[n][1] for n in MOTION_FIELDS], dtype=np.float32)
    return ((norm + 1.0) * 0.5 * (hi - lo) + lo).astype(np.float32)
