"""Shapes and basic behaviour of the critics, the sync expert, the mel front end and the losses
(RigGenerator has its own file: tests/test_gan_rig_generator.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gan.audio.mel import N_MELS, SILENCE_LEVEL, WINDOW, log_mel, mel_windows
from gan.networks import PatchDiscriminator, SyncExpert, TemporalDiscriminator
from gan.training import loss as L


def test_discriminators_return_logits_and_features() -> None:
    d = PatchDiscriminator(128, (32, 64, 128, 192), cond_dim=10)
    logits, feats = d(torch.rand(3, 3, 128, 128), torch.rand(3, 10))
    assert logits.shape == (3, 1, 8, 8) and len(feats) == 4
    td = TemporalDiscriminator(3)
    logits, feats = td(torch.rand(2, 3, 3, 128, 128))
    assert logits.shape == (2, 1, 8, 8) and len(feats) == 3
    with pytest.raises(ValueError):
        td(torch.rand(2, 4, 3, 128, 128))


def test_sync_expert_shapes() -> None:
    s = SyncExpert(mouth_box=(64, 32, 64, 64)).eval()  # (top, left, h, w): the mouth crop at 128 px
    assert s(torch.rand(2, 3, 3, 128, 128), torch.randn(2, WINDOW, N_MELS)).shape == (2,)
    with pytest.raises(ValueError):
        s(torch.rand(2, 3, 3, 128, 128), torch.randn(2, WINDOW, N_MELS + 1))


def test_mel_front_end() -> None:
    sr = 22050
    t = np.arange(sr) / sr
    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    audio = np.concatenate([np.zeros(sr, np.float32), tone])  # 1 s silence, 1 s tone
    mel = log_mel(audio, sr)
    assert mel.shape == (200, N_MELS)
    assert mel[:90].max() < mel[110:].max()  # energy only where the tone is
    w = mel_windows(mel, 50, 25)
    assert w.shape == (50, WINDOW, N_MELS)
    assert np.allclose(w[0, :2], SILENCE_LEVEL)  # before the start: padded with silence
    with pytest.raises(ValueError):
        log_mel(audio.astype(np.int16), sr)
    with pytest.raises(ValueError):
        log_mel(np.stack([audio, audio]), sr)


def test_losses() -> None:
    real, fake = torch.ones(4, 1, 2, 2), -torch.ones(4, 1, 2, 2)
    assert L.d_adversarial(real, fake).item() == 0.0  # a perfect critic under hinge
    assert L.g_adversarial(fake).item() == 1.0
    x = torch.zeros(1, 3, 16, 16)
    y = torch.ones(1, 3, 16, 16)
    kp = torch.tensor([[[0.25, 0.25], [0.5, 0.5], [0.75, 0.75]]])  # (B, M, 2) image fractions
    w = L.keypoint_weight_map(kp, [(torch.tensor([0, 1]), 3.0)], 16, margin=0.0)
    assert w.shape == (1, 1, 16, 16) and w[0, 0, 6, 6] == 3.0 and w[0, 0, 12, 12] == 1.0 and w[0, 0, 0, 0] == 1.0
    assert L.reconstruction(x, y, w).item() == pytest.approx(1.0)
    assert L.multiscale_l1(x, y).item() == pytest.approx(1.0)
    assert L.feature_matching([x], [x]).item() == 0.0
    assert L.sync_loss(torch.full((3,), 10.0)).item() < 1e-4
