"""Turn a training run into the shipped inference checkpoint (config.json + model.safetensors).

The EMA identity encoder is run once on the avatar's reference frame; its code is stored, the
encoder itself is not shipped (one avatar per checkpoint).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from gan.checkpoint import export_inference, load_training
from gan.data.dataset import load_shards
from gan.images import frames_to_tensor
from gan.networks import AudioToMotion
from gan.training.train import AvatarGenerator, TrainConfig

AUDIO2MOTION_KWARGS: dict[str, Any] = {"n_mels": 80, "hidden": 128, "n_temporal": 3}


def config_from_checkpoint(state: dict[str, Any]) -> TrainConfig:
    """Rebuild the TrainConfig stored (as JSON) in a training checkpoint."""
    raw: dict[str, Any] = json.loads(state["config"])
    kwargs: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
    return TrainConfig(**kwargs)


def export_run(run_dir: str | Path, audio2motion_path: str | Path, out_dir: str | Path,
               fps: int = 25, extra: dict[str, Any] | None = None) -> Path:
    """Export run_dir/checkpoint.pt's EMA generator + identity code + audio2motion to out_dir."""
    state = load_training(Path(run_dir) / "checkpoint.pt")
    cfg = config_from_checkpoint(state)
    g_ema = AvatarGenerator(cfg)
    g_ema.load_state_dict(state["G_ema"])
    g_ema.eval()
    reference = load_shards(cfg.data_dir, "seq")["reference"][0]
    a2m = AudioToMotion(**AUDIO2MOTION_KWARGS)
    a2m.load_state_dict(torch.load(audio2motion_path, map_location="cpu", weights_only=True))
    with torch.no_grad():
        identity = g_ema.encoder(frames_to_tensor(reference)[None])
    info = {"fps": fps, "size": cfg.size, "trained_steps": int(state["step"]),
            "training_config": json.loads(state["config"]), **(extra or {})}
    export_inference(out_dir, g_ema.generator, identity, a2m, cfg.generator_kwargs(), AUDIO2MOTION_KWARGS, info)
    return Path(out_dir)
