"""The two checkpoint formats (STYLE.md #5).

- training: one dict saved with torch.save (format version, step, config, G, G_ema, D's,
  optimisers), loaded with `weights_only=True` (plain tensors, numbers and strings only);
- inference: a folder with `config.json` (network hyper-parameters, fps, provenance) and
  `model.safetensors` (EMA generator, the avatar's identity code, audio-to-motion), a few MB.
  `config.json`'s `generator_version` says which generator: 1 (absent) = v1 `Generator` with an
  identity code; 2 = `RigGenerator` (avatar v2: identity and keypoint basis inside its weights).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from gan.networks import AudioToMotion, Generator, RigGenerator
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
    """Rebuild the networks from config.json and load model.safetensors (strict).

    A missing, truncated or mismatched file raises affect.modelfiles.ModelFileError (a
    ValueError) naming the file, so the app can stop with one clear sentence.
    """
    from affect.modelfiles import ModelFileError, build_config, load_state, read_json, read_safetensors

    folder = Path(folder)
    cfg_path, weights_path = folder / "config.json", folder / "model.safetensors"
    fix = "Restore the shipped avatar (git checkout -- gan/weights) or export a trained run (gan/training/export.py)."
    config = read_json(cfg_path, fix)
    tensors = read_safetensors(weights_path, fix)
    if config.get("format_version") != INFERENCE_FORMAT_VERSION:
        version = config.get("format_version")
        raise ModelFileError(cfg_path, f"has format_version {version}, which is not supported", fix)
    try:
        g_kwargs, a_kwargs = _jsonable_kwargs(config["generator"]), _jsonable_kwargs(config["audio2motion"])
        n_levels = int(config["identity_levels"])
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise ModelFileError(cfg_path, f"lacks a valid field ({err!r})", fix) from err
    generator = build_config(Generator, g_kwargs, cfg_path, fix)
    audio2motion = build_config(AudioToMotion, a_kwargs, cfg_path, fix)
    g_state = {k[len("generator.") :]: v for k, v in tensors.items() if k.startswith("generator.")}
    a_state = {k[len("audio2motion.") :]: v for k, v in tensors.items() if k.startswith("audio2motion.")}
    load_state(generator, g_state, weights_path, fix)
    load_state(audio2motion, a_state, weights_path, fix)
    missing = [f"identity.{i}" for i in range(n_levels) if f"identity.{i}" not in tensors]
    if missing:
        raise ModelFileError(weights_path, f"lacks the identity code tensors {missing}", fix)
    identity = tuple(tensors[f"identity.{i}"] for i in range(int(config["identity_levels"])))
    generator.eval()
    audio2motion.eval()
    return InferenceModel(generator, identity, audio2motion, config)


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
    fix = "Export the avatar again from its training run (gan-train-v2 writes inference checkpoints)."
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
