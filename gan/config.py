"""Config of the avatar at inference time (training configs live in gan/train.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AvatarConfig:
    """How reply clips are rendered."""

    checkpoint_dir: str = ""  # inference checkpoint (config.json + model.safetensors); "" = shipped avatar
    num_threads: int = 2  # torch threads for rendering
    max_text_chars: int = 600  # longer replies are cut at a sentence boundary before speaking

    def __post_init__(self) -> None:
        if self.num_threads < 1:
            raise ValueError("AvatarConfig.num_threads must be at least 1.")
        if self.max_text_chars < 1:
            raise ValueError("AvatarConfig.max_text_chars must be at least 1.")
