"""The two checkpoint formats (STYLE.md #5).

- training: one dict saved with torch.save (format version, step, config, G, G_ema, D's,
  optimisers), loaded with `weights_only=True` (plain tensors, numbers and strings only);
- inference: a folder with `config.json` (network hyper-parameters, kept rig channels, emotions, fps,
  provenance) and `model.safetensors` (the EMA `RigGenerator`: identity canvases and the keypoint basis
  are inside its weights), a few MB. `config.json` says `generator_version: 2`; a folder without it is a
  checkpoint of the first (128 px) avatar, whose code is gone: `generator_version` reports 1 and the
  loader refuses it with a clear error.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from gan.networks import RigGenerator

TRAIN_FORMAT_VERSION = 1
INFERENCE_FORMAT_VERSION = 1


def save_training(path: str | Path, state: dict[str, Any]) -> None:
    """Atomically write a training checkpoint dict (tmp file + rename: never half-written)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save({"format_version": TRAIN_FORMAT_VERSION, **state}, tmp)
    os.replace(tmp, path)


def load_training(path: str | Path) -> dict[str, Any]:
    """Read a training checkpoint (weights_only: no pickled classes) and check its version."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    if state.get("format_version") != TRAIN_FORMAT_VERSION:
        raise ValueError(f"{path}: training checkpoint format {state.get('format_version')} is not "
                         f"{TRAIN_FORMAT_VERSION}.")
    return state


def _jsonable_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}


@dataclass(frozen=True)
class RigInferenceModel:
    """An avatar v2 checkpoint: the EMA RigGenerator and its config (kept rig names, emotions, fps)."""

    generator: RigGenerator
    config: dict[str, Any]

    @property
    def kept(self) -> tuple[str, ...]:
        """The rig coefficient names, in the order of the generator's rig input."""
        return tuple(self.config["kept"])

    @property
    def emotions(self) -> tuple[str, ...]:
        """The emotion names, in the order of the generator's emotion input."""
        return tuple(self.config["emotions"])


def generator_version(folder: str | Path) -> int:
    """1 or 2: which generator an inference checkpoint folder holds (config.json's generator_version)."""
    from affect.modelfiles import ModelFileError, read_json

    cfg_path = Path(folder) / "config.json"
    version = read_json(cfg_path).get("generator_version", 1)
    if version not in (1, 2):
        raise ModelFileError(cfg_path, f"has generator_version {version!r}, which is not 1 or 2", "")
    return int(version)


def export_rig_generator(folder: str | Path, generator: RigGenerator, generator_kwargs: dict[str, Any],
                         kept: tuple[str, ...], emotions: tuple[str, ...], extra: dict[str, Any] | None = None) -> None:
    """Write an avatar v2 inference checkpoint: config.json + model.safetensors (generator only)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {f"generator.{k}": v.detach().float().contiguous().clone() for k, v in generator.state_dict().items()}
    config = {"format_version": INFERENCE_FORMAT_VERSION, "generator_version": 2, "generator": generator_kwargs,
              "kept": list(kept), "emotions": list(emotions), **(extra or {})}
    save_file(tensors, str(folder / "model.safetensors.tmp"))
    os.replace(folder / "model.safetensors.tmp", folder / "model.safetensors")
    (folder / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


def load_rig_generator(folder: str | Path) -> RigInferenceModel:
    """Rebuild an avatar v2 RigGenerator from config.json and load model.safetensors (strict)."""
    from affect.modelfiles import ModelFileError, build_config, load_state, read_json, read_safetensors

    folder = Path(folder)
    cfg_path, weights_path = folder / "config.json", folder / "model.safetensors"
    fix = "Export the avatar again from its training run (gan-train writes inference checkpoints)."
    config = read_json(cfg_path, fix)
    if config.get("format_version") != INFERENCE_FORMAT_VERSION or config.get("generator_version") != 2:
        raise ModelFileError(cfg_path, "is not an avatar v2 checkpoint (format_version 1, generator_version 2)", fix)
    try:
        kwargs = _jsonable_kwargs(config["generator"])
        n_kept, n_emotions = len(config["kept"]), len(config["emotions"])
    except (KeyError, TypeError, AttributeError) as err:
        raise ModelFileError(cfg_path, f"lacks a valid field ({err!r})", fix) from err
    generator = build_config(RigGenerator, kwargs, cfg_path, fix)
    if (generator.rig_dim, generator.n_emotions) != (n_kept, n_emotions):
        raise ModelFileError(cfg_path, "names a different number of rig coefficients or emotions than its generator",
                             fix)
    tensors = read_safetensors(weights_path, fix)
    state = {k[len("generator.") :]: v for k, v in tensors.items() if k.startswith("generator.")}
    load_state(generator, state, weights_path, fix)
    generator.eval()
    return RigInferenceModel(generator, config)
