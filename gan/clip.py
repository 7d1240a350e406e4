"""AvatarClip: what the pipeline returns (frames + audio + what was asked), and how it is saved."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


def fit_audio(audio: np.ndarray, n_frames: int, sample_rate: int, fps: float) -> np.ndarray:
    """float32 speech padded with silence (or cut) to exactly n_frames / fps seconds, i.e.
    round(n_frames * sample_rate / fps) samples: parts made this way join sample-exact."""
    n = round(n_frames * sample_rate / fps)
    samples = np.asarray(audio, np.float32)
    return np.pad(samples, (0, max(0, n - len(samples))))[:n]


@dataclass(frozen=True)
class AvatarClip:
    """A rendered reply: every frame comes from the GAN generator."""

    frames: np.ndarray  # (T, H, W, 3) uint8 RGB
    fps: float  # frames per second
    audio: np.ndarray  # (N,) float32 mono in [-1, 1], N = round(T * sample_rate / fps)
    sample_rate: int  # Hz
    emotion: str  # the emotion asked for (an AVATAR_EMOTIONS or rig emotion name)
    text: str  # what is said ("" for reactions and audio-driven clips)
    sentence_frames: int = 0  # stream(): frames of the whole sentence this chunk starts (0 = not a start)

    @property
    def duration(self) -> float:
        """Seconds of video."""
        return len(self.frames) / self.fps

    def save(self, path: str | Path) -> Path:
        """Write an H.264 (yuv420p) + AAC mp4 that plays in every browser."""
        from gan.video import write_mp4

        has_audio = self.audio.size > 0
        write_mp4(path, self.frames, self.fps, self.audio if has_audio else None,
                  self.sample_rate if has_audio else None)
        return Path(path)
