"""Audio to motion: log-mel windows + emotion -> per-frame visemes (jaw_open, lip_width, lip_round).

Audio-driven (any voice can drive the avatar), supervised by `gan.visemes.viseme_track` of the
TTS phoneme alignments. Each video frame's mel window (0.16 s, the SyncNet window) is encoded
by a small 1D conv, then a non-causal temporal conv stack over frames (receptive field
~±0.3 s, about a syllable either side: coarticulation) adds context; emotion enters by FiLM.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gan.rig.params import RIG_EMOTIONS

VISEME_FIELDS: tuple[str, ...] = ("jaw_open", "lip_width", "lip_round")


class AudioToMotion(nn.Module):
    """(B, T, W, n_mels) mel windows + (B, E) emotion -> (B, T, 3) visemes in rig units."""

    def __init__(self, n_mels: int = 80, hidden: int = 128, n_temporal: int = 3) -> None:
        super().__init__()
        self.n_mels = n_mels
        self.frame_enc = nn.Sequential(
            nn.Conv1d(n_mels, hidden, 3, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv1d(hidden, hidden, 3, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.AdaptiveAvgPool1d(1),
        )
        self.emotion = nn.Linear(len(RIG_EMOTIONS), 2 * hidden)
        self.temporal = nn.ModuleList(nn.Conv1d(hidden, hidden, 5, padding=2) for _ in range(n_temporal))
        self.head = nn.Conv1d(hidden, len(VISEME_FIELDS), 1)

    def forward(self, mel_windows: torch.Tensor, emotion: torch.Tensor) -> torch.Tensor:
        if mel_windows.dim() != 4 or mel_windows.shape[-1] != self.n_mels:
            raise ValueError(f"mel_windows must be (B, T, W, {self.n_mels}), got {tuple(mel_windows.shape)}.")
        b, t, w, m = mel_windows.shape
        h = self.frame_enc(mel_windows.reshape(b * t, w, m).transpose(1, 2))  # (B*T, H, 1)
        h = h.reshape(b, t, -1).transpose(1, 2)  # (B, H, T)
        gamma, beta = self.emotion(emotion)[:, :, None].chunk(2, dim=1)  # (B, H, 1) each
        h = h * (1.0 + gamma) + beta
        for conv in self.temporal:
            h = h + F.leaky_relu(conv(h), 0.2)  # residual temporal context
        raw = self.head(h).transpose(1, 2)  # (B, T, 3)
        # Rig ranges: jaw_open [0, 1], lip_width [-1, 1], lip_round [0, 1].
        return torch.stack([torch.sigmoid(raw[..., 0]), torch.tanh(raw[..., 1]), torch.sigmoid(raw[..., 2])], -1)
