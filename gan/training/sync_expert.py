"""The sync expert's pretraining, before (and independent of) the GAN (gan/training/train.py calls it).

The sync expert learns (mouth triplet, mel window) in sync vs out of sync on the corpus' speaking
sequences: negatives are the same clip's audio shifted by 3-12 frames (Wav2Lip's "off-sync" pairs,
which force it to read the mouth, not the identity) or audio of another sentence. BCE on the logit.
Then it is frozen and used as a loss for G.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from gan.images import frames_to_tensor
from gan.networks import SyncExpert


class PairSource(Protocol):
    """What SyncPairs reads (gan.data.rig_corpus.RigCorpus has it)."""

    arrays: dict[str, np.ndarray]  # frames (N, S, S, 3) uint8, mel (N, W, 80), seq (N,), speaking (N,)
    centres: np.ndarray  # frame indices whose neighbours are in the same sequence


class SyncPairs:
    """Speaking triplets with aligned (label 1) or shifted/foreign (label 0) mel windows."""

    def __init__(self, data: PairSource, seed: int = 0) -> None:
        a = data.arrays
        self.arrays = a
        self.centres = np.array([c for c in data.centres if a["speaking"][c]])
        if len(self.centres) == 0:
            raise ValueError("No speaking sequences in the dataset: cannot train the sync expert.")
        self.rng = np.random.default_rng(seed)

    def batch(self, n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(frames (n, 3, 3, S, S), mel (n, W, 80), labels (n,)): half in sync, half not."""
        a, rng = self.arrays, self.rng
        centres = rng.choice(self.centres, size=n)
        labels = (np.arange(n) % 2 == 0).astype(np.float32)
        mel_idx = centres.copy()
        for j in np.flatnonzero(labels == 0):
            c = centres[j]
            shifted = c + int(rng.choice([-1, 1])) * int(rng.integers(3, 13))
            ok = 0 <= shifted < len(a["seq"]) and a["seq"][shifted] == a["seq"][c] and rng.random() < 0.7
            mel_idx[j] = shifted if ok else rng.choice(self.centres)
        frames = np.stack([a["frames"][c - 1 : c + 2] for c in centres])
        return (
            frames_to_tensor(frames),
            torch.from_numpy(a["mel"][mel_idx].astype(np.float32)),
            torch.from_numpy(labels),
        )


def fit_sync_expert(model: SyncExpert, pairs: SyncPairs, test_pairs: SyncPairs, out_path: str | Path, steps: int,
                    batch_size: int, lr: float, max_minutes: float = 0.0) -> dict[str, float]:
    """BCE on in-sync vs off-sync pairs; saves the state dict (+ a .json of accuracies) to out_path."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    t0 = time.monotonic()
    acc, done = 0.0, 0
    for _ in tqdm(range(steps), desc="sync expert", mininterval=10):
        done += 1
        frames, mel, labels = pairs.batch(batch_size)
        logits = model(frames, mel)
        loss = F.binary_cross_entropy_with_logits(logits, labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        acc = 0.95 * acc + 0.05 * float(((logits > 0).float() == labels).float().mean())
        if max_minutes and time.monotonic() - t0 > 60 * max_minutes:
            break
    model.eval()
    with torch.no_grad():
        frames, mel, labels = test_pairs.batch(256)
        test_acc = float(((model(frames, mel) > 0).float() == labels).float().mean())
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), out_path)
    result = {"steps": done, "train_acc_ema": acc, "test_acc": test_acc}
    Path(out_path).with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    return result
