"""The training corpus' shard format: the trainer's reader (`RigCorpus`) and the builders' writer (`write_shard`).

Shards (written by gan/data/build.py from the actor, gan/data/corpus.py from a person's videos):
`seq_NNNN.npz` (training) and `test_seq_NNNN.npz` (held out), one or more sequences each, keys
`frames` uint8 (T, S, S, 3), `rig` float32 (T, K) KEPT coefficients, `pose` float32 (T, 3) degrees,
`emotion` (T, E), `intensity` (T,), `mel` float16 (T, 16, 80), `speaking` bool (T,), optional `seq`
(T,) (absent = one sequence per file), `kept` (K,) and `emotions` (E,) names, `reference`
(1, S, S, 3). Other keys (audio, text, kind) are ignored.

Frames do not fit in memory for long (256x256x3 = 196 KB a frame: an hour at 25 fps is 18 GB, on
a 24 GB machine shared by the team), so on first sight of a shard its frames are appended to a
raw uint8 cache file that is memory-mapped (the OS pages in what the batches touch); the small
arrays stay in memory. A run that restarts re-reads only the shards added since.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from gan.images import frames_to_tensor

SMALL_KEYS = ("rig", "pose", "emotion", "intensity", "mel", "speaking")


def _names(shard: np.lib.npyio.NpzFile, key: str, path: Path) -> tuple[str, ...]:
    if key not in shard.files:
        raise ValueError(f"Shard {path} lacks `{key}` (the names of its columns).")
    return tuple(str(x) for x in shard[key])


class RigCorpus:
    """All shards of one prefix: memory-mapped frames + in-memory per-frame arrays."""

    def __init__(self, folder: str | Path, prefix: str, cache_dir: str | Path) -> None:
        self.folder = Path(folder)
        paths = sorted(self.folder.glob(f"{prefix}_*.npz"))
        if not paths:
            raise FileNotFoundError(f"No {prefix}_*.npz shards in {self.folder}; scripts/build_gan_dataset.py "
                                    "(the actor) or gan-build-corpus (videos) writes them.")
        cache = Path(cache_dir)
        cache.mkdir(parents=True, exist_ok=True)
        self._raw, index_path = cache / f"{prefix}_frames.u8", cache / f"{prefix}_index.json"
        index = json.loads(index_path.read_text()) if index_path.is_file() and self._raw.is_file() else {}
        if index.get("folder") != str(self.folder.resolve()):
            index = {"folder": str(self.folder.resolve()), "shards": []}
            self._raw.write_bytes(b"")
        cached = {s["name"]: s for s in index["shards"]}
        # A run killed between appending frames and writing the index leaves a tail: cut it off.
        indexed = sum(s["frames"] * s["size"] ** 2 * 3 for s in index["shards"])
        if self._raw.stat().st_size != indexed:
            os.truncate(self._raw, indexed)
        parts: dict[str, list[np.ndarray]] = {k: [] for k in (*SMALL_KEYS, "seq")}
        self.kept: tuple[str, ...] = ()
        self.emotions: tuple[str, ...] = ()
        self.reference = np.zeros(0, np.uint8)
        seq_offset = 0
        for path in paths:
            try:
                shard = np.load(path)
                kept, emotions = _names(shard, "kept", path), _names(shard, "emotions", path)
                arrays = {k: shard[k] for k in SMALL_KEYS}
                seq = shard["seq"].astype(np.int64) if "seq" in shard.files else np.zeros(len(arrays["rig"]), np.int64)
                stamp = [path.stat().st_size, path.stat().st_mtime_ns]
                if path.name in cached and cached[path.name].get("stamp") != stamp:
                    raise ValueError(f"it changed since its frames were cached in {self._raw}; delete the cache "
                                     "folder and start again")
                if path.name not in cached:
                    frames = shard["frames"]
                    if frames.dtype != np.uint8 or frames.ndim != 4 or len(frames) != len(seq):
                        raise ValueError(f"frames must be uint8 (T, S, S, 3) with T = {len(seq)}.")
                    with self._raw.open("ab") as f:
                        f.write(np.ascontiguousarray(frames).tobytes())
                    index["shards"].append({"name": path.name, "frames": len(frames), "size": frames.shape[1],
                                            "stamp": stamp})
                    index_path.write_text(json.dumps(index))
                if not self.reference.size and "reference" in shard.files:
                    self.reference = shard["reference"][0]
            except (KeyError, ValueError, OSError, zipfile.BadZipFile, EOFError) as err:
                raise ValueError(f"Corpus shard {path} is unreadable or incomplete ({err}).") from err
            if self.kept and (kept, emotions) != (self.kept, self.emotions):
                raise ValueError(f"Shard {path} names other rig or emotion columns than the first shard.")
            self.kept, self.emotions = kept, emotions
            for k in SMALL_KEYS:
                parts[k].append(arrays[k])
            parts["seq"].append(seq + seq_offset)
            seq_offset = int(parts["seq"][-1].max()) + 1
        self.shards = tuple(p.name for p in paths)
        order = [s["name"] for s in index["shards"]]
        if sorted(order) != sorted(p.name for p in paths) or len({s["size"] for s in index["shards"]}) != 1:
            raise ValueError(f"Frame cache {self._raw} is out of step with {self.folder} (a shard was removed "
                             "or has another size): delete the cache folder and start again.")
        # frames are in cache order; the small arrays in path order: reorder the latter to match
        by_name = {p.name: i for i, p in enumerate(paths)}
        perm = [by_name[name] for name in order]
        self.arrays = {k: np.concatenate([parts[k][i] for i in perm]) for k in parts}
        self.size = int(index["shards"][0]["size"])
        n = len(self.arrays["seq"])
        self.frames = np.memmap(self._raw, np.uint8, "r", shape=(n, self.size, self.size, 3))
        self.arrays["frames"] = self.frames  # the sync expert's pair sampler reads this key
        if not self.reference.size:
            raise ValueError(f"No shard in {self.folder} carries a `reference` frame.")
        i = np.arange(1, n - 1)
        seq = self.arrays["seq"]
        self.centres = i[(seq[i - 1] == seq[i]) & (seq[i + 1] == seq[i])]  # triplets inside one sequence

    def __len__(self) -> int:
        return len(self.arrays["seq"])


@dataclass(frozen=True)
class RigBatch:
    """A batch of frame triplets, tensors ready for the networks."""

    frames: torch.Tensor  # (B, 3, 3, S, S) in [-1, 1]: triplet x RGB x H x W
    rig: torch.Tensor  # (B, 3, K) KEPT coefficients
    pose: torch.Tensor  # (B, 3, 3) degrees, per frame
    emotion: torch.Tensor  # (B, E) blend of the middle frame
    intensity: torch.Tensor  # (B, 1)
    mel: torch.Tensor  # (B, 16, 80) mel window centred on the middle frame
    speaking: torch.Tensor  # (B,) bool: the sync loss applies

    def to(self, device: torch.device) -> RigBatch:
        return RigBatch(**{k: getattr(self, k).to(device) for k in self.__dataclass_fields__})


class RigTriplets(Dataset):
    """Consecutive-frame triplets of a RigCorpus."""

    def __init__(self, corpus: RigCorpus, max_items: int | None = None) -> None:
        self.corpus = corpus
        self.centres = corpus.centres[:max_items] if max_items else corpus.centres

    def __len__(self) -> int:
        return len(self.centres)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        i = int(self.centres[index])
        a = self.corpus.arrays
        return {
            "frames": frames_to_tensor(np.array(self.corpus.frames[i - 1 : i + 2])),  # (3, 3, S, S), a copy
            "rig": torch.from_numpy(a["rig"][i - 1 : i + 2].astype(np.float32)),
            "pose": torch.from_numpy(a["pose"][i - 1 : i + 2].astype(np.float32)),
            "emotion": torch.from_numpy(a["emotion"][i].astype(np.float32)),
            "intensity": torch.tensor([float(a["intensity"][i])]),
            "mel": torch.from_numpy(a["mel"][i].astype(np.float32)),
            "speaking": torch.tensor(bool(a["speaking"][i])),
        }


def collate_rig(items: list[dict[str, torch.Tensor]]) -> RigBatch:
    """Stack dataset items into a RigBatch."""
    return RigBatch(**{k: torch.stack([it[k] for it in items]) for k in items[0]})


def write_shard(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write a shard whole under a temporary name, then rename: a reader never sees a half-written file."""
    tmp = path.with_name(f".{path.stem}.tmp.npz")
    np.savez(tmp, **arrays)
    tmp.rename(path)
