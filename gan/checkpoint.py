"""The two checkpoint formats (STYLE.md #5).

- training: one dict saved with torch.save (format version, step, config, G, G_ema, D's,
  optimisers), loaded with `weights_only=True` (plain tensors, numbers and strings only);
- inference: a folder with `config.json` (network hyper-parameters, fps, provenance) and
  `model.safetensors` (EMA generator, the avatar's identity code, audio-to-motion), a few MB.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from gan.networks import AudioToMotion, Generator
from gan.networks.identity_encoder import IdentityCode

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


@dataclass(frozen=True)
class InferenceModel:
    """What the pipeline needs: generator + identity code + audio-to-motion + their config."""

    generator: Generator
    identity: IdentityCode
    audio2motion: AudioToMotion
    config: dict[str, Any]


def export_inference(
    folder: str | Path,
    generator: Generator,
    identity: IdentityCode,
    audio2motion: AudioToMotion,
    generator_kwargs: dict[str, Any],
    audio2motion_kwargs: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> None:
    """Write config.json + model.safetensors (tensors made contiguous, float32)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tensors: dict[str, torch.Tensor] = {}
    for k, v in generator.state_dict().items():
        tensors[f"generator.{k}"] = v.detach().float().contiguous().clone()
    for i, level in enumerate(identity):
        tensors[f"identity.{i}"] = level.detach().float().contiguous().clone()
    for k, v in audio2motion.state_dict().items():
        tensors[f"audio2motion.{k}"] = v.detach().float().contiguous().clone()
    config = {
        "format_version": INFERENCE_FORMAT_VERSION,
        "generator": generator_kwargs,
        "audio2motion": audio2motion_kwargs,
        "identity_levels": len(identity),
        **(extra or {}),
    }
    save_file(tensors, str(folder / "model.safetensors.tmp"))
    os.replace(folder / "model.safetensors.tmp", folder / "model.safetensors")
    (folder / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


def _jsonable_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}


def load_inference(folder: str | Path) -> InferenceModel:
    """Rebuild the networks from config.json and load model.safetensors (strict)."""
    folder = Path(folder)
    cfg_path, weights_path = folder / "config.json", folder / "model.safetensors"
    for p in (cfg_path, weights_path):
        if not p.is_file():
            raise FileNotFoundError(f"Avatar checkpoint file missing: {p}")
    try:
        config = json.loads(cfg_path.read_text())
        tensors = load_file(str(weights_path))
    except (json.JSONDecodeError, OSError, RuntimeError) as err:
        raise ValueError(f"Avatar checkpoint in {folder} is corrupt: {err}") from err
    if config.get("format_version") != INFERENCE_FORMAT_VERSION:
        raise ValueError(f"{cfg_path}: format_version {config.get('format_version')} is not supported.")
    generator = Generator(**_jsonable_kwargs(config["generator"]))
    audio2motion = AudioToMotion(**_jsonable_kwargs(config["audio2motion"]))
    g_state = {k[len("generator.") :]: v for k, v in tensors.items() if k.startswith("generator.")}
    a_state = {k[len("audio2motion.") :]: v for k, v in tensors.items() if k.startswith("audio2motion.")}
    try:
        generator.load_state_dict(g_state, strict=True)
        audio2motion.load_state_dict(a_state, strict=True)
    except RuntimeError as err:
        raise ValueError(f"Avatar checkpoint in {folder} does not match its config: {err}") from err
    identity = tuple(tensors[f"identity.{i}"] for i in range(int(config["identity_levels"])))
    generator.eval()
    audio2motion.eval()
    return InferenceModel(generator, identity, audio2motion, config)
