"""Pretraining of the two small helper networks, before (and independent of) the GAN.

- `train_sync_expert`: the sync expert learns (mouth triplet, mel window) in sync vs out of
  sync on the actor's speaking sequences: negatives are the same clip's audio shifted by 3-12
  frames (Wav2Lip's "off-sync" pairs, which force it to read the mouth, not the identity) or
  audio of another sentence. BCE on the logit. Then frozen and used as a loss for G.
- `train_audio2motion`: mel windows + emotion -> visemes, L1 to the viseme_track targets plus
  an L1 on frame-to-frame differences (smooth, well-timed mouth motion).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from tqdm import tqdm

from gan.data.dataset import SpeechMotionDataset, TripletDataset
from gan.images import frames_to_tensor
from gan.networks import AudioToMotion, SyncExpert


class PairSource(Protocol):
    """What SyncPairs reads: v1's TripletDataset and v2's RigCorpus both have it."""

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


def train_sync_expert(data_dir: str, out_path: str, steps: int = 1500, batch_size: int = 32,
                      lr: float = 1e-3, max_minutes: float = 0.0, seed: int = 0) -> dict[str, float]:
    """Train and save the sync expert's state dict; returns train/test accuracy."""
    torch.manual_seed(seed)
    pairs = SyncPairs(TripletDataset(data_dir, "seq"), seed)
    try:
        test_pairs = SyncPairs(TripletDataset(data_dir, "test_seq"), seed + 1)
    except (FileNotFoundError, ValueError):
        test_pairs = pairs
    return fit_sync_expert(SyncExpert(), pairs, test_pairs, out_path, steps, batch_size, lr, max_minutes)


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


def train_audio2motion(data_dir: str, out_path: str, steps: int = 3000, batch_size: int = 16,
                       lr: float = 1e-3, max_minutes: float = 0.0, seed: int = 0) -> dict[str, float]:
    """Train and save AudioToMotion's state dict; returns train/held-out L1 per viseme."""
    torch.manual_seed(seed)
    data = SpeechMotionDataset(data_dir)
    n_test = max(1, len(data) // 20)
    perm = np.random.default_rng(seed).permutation(len(data))
    train_set = torch.utils.data.Subset(data, perm[n_test:].tolist())
    test_set = torch.utils.data.Subset(data, perm[:n_test].tolist())
    loader = DataLoader(train_set, batch_size, shuffle=True, drop_last=True)
    model = AudioToMotion()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    t0, step = time.monotonic(), 0
    bar = tqdm(total=steps, desc="audio2motion", mininterval=10)
    while step < steps:
        for item in loader:
            pred = model(item["mel"], item["emotion"])  # (B, L, 3)
            target = item["visemes"]
            loss = F.l1_loss(pred, target) + F.l1_loss(pred.diff(dim=1), target.diff(dim=1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            bar.update(1)
            if step >= steps or (max_minutes and time.monotonic() - t0 > 60 * max_minutes):
                steps = step
                break
    bar.close()
    model.eval()
    with torch.no_grad():
        items = [test_set[i] for i in range(len(test_set))]
        pred = model(torch.stack([it["mel"] for it in items]), torch.stack([it["emotion"] for it in items]))
        target = torch.stack([it["visemes"] for it in items])
        l1 = (pred - target).abs().mean(dim=(0, 1)).tolist()
        r_jaw = float(np.corrcoef(pred[..., 0].flatten(), target[..., 0].flatten())[0, 1])
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), out_path)
    result = {"steps": step, "test_l1_jaw": l1[0], "test_l1_width": l1[1], "test_l1_round": l1[2],
              "test_pearson_jaw": r_jaw}
    Path(out_path).with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    return result
