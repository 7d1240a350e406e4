"""Sync expert: mouth crops vs a mel window -> in-sync logit, in the spirit of Wav2Lip's SyncNet.

Prajwal et al. 2020 ("A Lip Sync Expert Is All You Need") show that a lip-sync critic
pretrained on real pairs and then FROZEN is a much better lip-sync loss than one trained with
the GAN. Ours sees the lower half of K consecutive frames and the mel frames spanning them, is
pretrained on the actor's speaking sequences with BCE on aligned vs time-shifted pairs, then
frozen and used as a loss for the generator.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def mouth_crop(frames: torch.Tensor, box: tuple[int, int, int, int]) -> torch.Tensor:
    """(B, K, 3, S, S) in [-1, 1] -> the mouth at half resolution (B, 3K, h/2, w/2).

    box = (top, left, height, width) in pixels: the box around the generator's mouth keypoints at
    rest (gan.training.train.mouth_box), so at 256 px the expert sees the lips, not the chin and collar.
    """
    b, k, c, _, _ = frames.shape
    top, left, h, w = box
    crop = frames[:, :, :, top : top + h, left : left + w].reshape(b * k, c, h, w)
    small = F.avg_pool2d(crop, 2)  # (B*K, 3, h/2, w/2)
    return small.reshape(b, k * c, h // 2, w // 2)


class SyncExpert(nn.Module):
    """score(mouth frames, mel window) = scale * cos(video_emb, audio_emb) + bias."""

    def __init__(self, mouth_box: tuple[int, int, int, int], n_frames: int = 3, n_mels: int = 80,
                 mel_window: int = 16, emb_dim: int = 128) -> None:
        super().__init__()
        self.mouth_box = mouth_box  # (top, left, height, width) of the mouth crop in pixels
        self.n_frames = n_frames
        self.n_mels = n_mels
        self.mel_window = mel_window
        self.video = nn.Sequential(
            nn.Conv2d(3 * n_frames, 32, 3, stride=2, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.Conv2d(32, 64, 3, stride=2, padding=1),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.Conv2d(64, 128, 3, stride=2, padding=1),
            nn.BatchNorm2d(128),
            nn.ReLU(),
            nn.Conv2d(128, emb_dim, 3, stride=2, padding=1),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.audio = nn.Sequential(
            nn.Conv1d(n_mels, 128, 3, padding=1),
            nn.BatchNorm1d(128),
            nn.ReLU(),
            nn.Conv1d(128, 128, 3, stride=2, padding=1),
            nn.BatchNorm1d(128),
            nn.ReLU(),
            nn.Conv1d(128, emb_dim, 3, stride=2, padding=1),
            nn.AdaptiveAvgPool1d(1),
            nn.Flatten(),
        )
        self.scale = nn.Parameter(torch.tensor(5.0))
        self.bias = nn.Parameter(torch.tensor(-2.5))

    def embed_video(self, frames: torch.Tensor) -> torch.Tensor:
        """frames (B, K, 3, S, S) -> unit embeddings (B, emb_dim)."""
        return F.normalize(self.video(mouth_crop(frames, self.mouth_box)), dim=1)

    def embed_audio(self, mel: torch.Tensor) -> torch.Tensor:
        """mel (B, W, n_mels) log-mel frames spanning the K video frames -> (B, emb_dim)."""
        if mel.dim() != 3 or mel.shape[-1] != self.n_mels:
            raise ValueError(f"mel must be (B, W, {self.n_mels}), got {tuple(mel.shape)}.")
        return F.normalize(self.audio(mel.transpose(1, 2)), dim=1)

    def forward(self, frames: torch.Tensor, mel: torch.Tensor) -> torch.Tensor:
        """(B, K, 3, S, S), (B, W, n_mels) -> in-sync logits (B,)."""
        cos = (self.embed_video(frames) * self.embed_audio(mel)).sum(dim=1)
        return self.scale * cos + self.bias
