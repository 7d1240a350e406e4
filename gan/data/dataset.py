"""Training data for the GAN and its helper networks, read from npz shards under data/.

Shards are written by `scripts/build_gan_dataset.py` (see gan/data/build.py):

- `seq_*.npz` / `test_seq_*.npz`: rendered frame sequences (speaking sentences and short
  3-frame "still" moves), concatenated: frames (N, S, S, 3) uint8, motion (N, MOTION_DIM) raw
  rig units, emotion (N, E), intensity (N,), mel (N, W, 80) float16 (the mel window centred on
  each frame; silence for still moves), seq (N,) int32 sequence id, speaking (N,) bool.
- `speech_*.npz`: TTS sentences without frames, for audio-to-motion: mel (M, W, 80) float16,
  visemes (M, 3), emotion (M, E), seq (M,) int32.

`TripletDataset` yields three consecutive frames of one sequence (the temporal discriminator
and the sync expert look at short stacks; Wav2Lip uses 5, we use 3 to keep CPU training cheap).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from gan.images import frames_to_tensor
from gan.rig.params import normalise_motion

SEQ_KEYS = ("frames", "motion", "emotion", "intensity", "mel", "seq", "speaking")


def load_shards(folder: str | Path, prefix: str, keys: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
    """Concatenate every `<prefix>_*.npz` in folder (sequence ids are made unique across shards)."""
    paths = sorted(Path(folder).glob(f"{prefix}_*.npz"))
    if not paths:
        raise FileNotFoundError(f"No {prefix}_*.npz shards in {folder}; run scripts/build_gan_dataset.py.")
    parts: dict[str, list[np.ndarray]] = {}
    seq_offset = 0
    for path in paths:
        with np.load(path) as shard:
            for key in shard.files:
                if keys is not None and key not in keys and key != "seq":
                    continue
                value = shard[key]
                if key == "seq":
                    value = value.astype(np.int64) + seq_offset
                parts.setdefault(key, []).append(value)
        seq_offset = int(parts["seq"][-1].max()) + 1
    return {k: np.concatenate(v) for k, v in parts.items()}


def triplet_centres(seq: np.ndarray) -> np.ndarray:
    """Indices i whose neighbours i-1 and i+1 belong to the same sequence."""
    i = np.arange(1, len(seq) - 1)
    return i[(seq[i - 1] == seq[i]) & (seq[i + 1] == seq[i])]


@dataclass(frozen=True)
class TripletBatch:
    """A batch of frame triplets; tensors ready for the networks."""

    frames: torch.Tensor  # (B, 3, 3, S, S) in [-1, 1]: triplet x RGB x H x W
    motion: torch.Tensor  # (B, 3, MOTION_DIM) normalised
    emotion: torch.Tensor  # (B, E) blend summing to 1
    intensity: torch.Tensor  # (B, 1)
    mel: torch.Tensor  # (B, W, 80) mel window centred on the middle frame
    speaking: torch.Tensor  # (B,) bool: the mel is real speech (sync loss applies)


class TripletDataset(Dataset):
    """Consecutive-frame triplets from `seq_*` (or `test_seq_*`) shards, held in memory."""

    def __init__(self, folder: str | Path, prefix: str = "seq", max_items: int | None = None) -> None:
        self.arrays = load_shards(folder, prefix)
        missing = set(SEQ_KEYS) - set(self.arrays)
        if missing:
            raise ValueError(f"Shards in {folder} lack keys {sorted(missing)}.")
        self.centres = triplet_centres(self.arrays["seq"])
        if max_items is not None:
            self.centres = self.centres[:max_items]
        self.motion_norm = normalise_motion(self.arrays["motion"])  # (N, MOTION_DIM)
        self.size = int(self.arrays["frames"].shape[1])

    def __len__(self) -> int:
        return len(self.centres)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        i = int(self.centres[index])
        a = self.arrays
        return {
            "frames": frames_to_tensor(a["frames"][i - 1 : i + 2]),  # (3, 3, S, S)
            "motion": torch.from_numpy(self.motion_norm[i - 1 : i + 2]),  # (3, MOTION_DIM)
            "emotion": torch.from_numpy(a["emotion"][i].astype(np.float32)),
            "intensity": torch.tensor([float(a["intensity"][i])]),
            "mel": torch.from_numpy(a["mel"][i].astype(np.float32)),
            "speaking": torch.tensor(bool(a["speaking"][i])),
        }

    def reference_frame(self) -> np.ndarray:
        """The avatar's reference image: the stored neutral, rest-pose frame (S, S, 3) uint8."""
        if "reference" in self.arrays:
            return self.arrays["reference"][0]
        raise ValueError("Shards carry no reference frame; rebuild the dataset.")


def collate(items: list[dict[str, torch.Tensor]]) -> TripletBatch:
    """Stack dataset items into a TripletBatch."""
    return TripletBatch(**{k: torch.stack([it[k] for it in items]) for k in items[0]})


def speech_arrays(folder: str | Path) -> dict[str, np.ndarray]:
    """mel, visemes, emotion, seq of every TTS sentence: the `speech_*` shards plus the speaking
    sequences of the `seq_*` shards (their viseme targets are motion[:, :3])."""
    parts = []
    seq_offset = 0
    for prefix in ("speech", "seq"):
        try:
            a = load_shards(folder, prefix, keys=("mel", "visemes", "motion", "emotion", "speaking"))
        except FileNotFoundError:
            continue
        if prefix == "seq":
            keep = a["speaking"]
            a = {"mel": a["mel"][keep], "visemes": a["motion"][keep, :3], "emotion": a["emotion"][keep],
                 "seq": a["seq"][keep]}
        a["seq"] = a["seq"] + seq_offset
        seq_offset = int(a["seq"].max()) + 1 if len(a["seq"]) else seq_offset
        parts.append({k: a[k] for k in ("mel", "visemes", "emotion", "seq")})
    if not parts:
        raise FileNotFoundError(f"No speech_*.npz or seq_*.npz shards in {folder}.")
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


class SpeechMotionDataset(Dataset):
    """Fixed-length chunks of TTS sentences: (mel windows (L, W, 80), visemes (L, 3), emotion (E,))."""

    def __init__(self, folder: str | Path, length: int = 50) -> None:
        self.arrays = speech_arrays(folder)
        self.length = length
        seq = self.arrays["seq"]
        starts = np.flatnonzero(np.r_[True, seq[1:] != seq[:-1]])
        ends = np.r_[starts[1:], len(seq)]
        # Chunk starts every length/2 frames inside each sentence (sentences shorter than `length`
        # are padded with their own last frame at read time).
        hop = length // 2
        self.chunks = [(s, e) for s0, e in zip(starts, ends) for s in range(s0, max(s0 + 1, e - hop), hop)]

    def __len__(self) -> int:
        return len(self.chunks)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        s, e = self.chunks[index]
        idx = np.minimum(np.arange(s, s + self.length), e - 1)
        a = self.arrays
        return {
            "mel": torch.from_numpy(a["mel"][idx].astype(np.float32)),  # (L, W, 80)
            "visemes": torch.from_numpy(a["visemes"][idx].astype(np.float32)),  # (L, 3)
            "emotion": torch.from_numpy(a["emotion"][s].astype(np.float32)),  # (E,)
        }
