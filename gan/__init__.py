"""gan: the talking-head avatar: a rig-conditioned GAN that renders the tutor's replies.

Inference (`TalkingHeadPipeline`) turns text into speech (piper), speech and emotion into a rig
performance (`Performer`: ARKit channels + head pose per frame) and the performance into frames
(the generator). The 3D actor (`gan.actor`), the corpus builders (`gan.data`) and the trainer
(`gan.training`) only make and use training data; inference never imports them.

Every name is imported on first use (torch, onnxruntime and OpenCV are heavy), so `import gan`
stays instant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gan.audio.speech import Speech, Synthesizer
    from gan.clip import AvatarClip
    from gan.config import AvatarConfig
    from gan.pipeline import TalkingHeadPipeline
    from gan.rig.performance import Performance, Performer
    from gan.video import read_mp4, write_mp4

__all__ = [
    "AvatarClip",
    "AvatarConfig",
    "Performance",
    "Performer",
    "Speech",
    "Synthesizer",
    "TalkingHeadPipeline",
    "read_mp4",
    "write_mp4",
]

# name -> module that defines it
_LAZY: dict[str, str] = {
    "TalkingHeadPipeline": "gan.pipeline",  # text / audio / emotion -> AvatarClip
    "AvatarClip": "gan.clip",
    "AvatarConfig": "gan.config",
    "Speech": "gan.audio.speech",  # piper TTS with phoneme timings
    "Synthesizer": "gan.audio.speech",
    "Performer": "gan.rig.performance",  # phonemes + emotion + idle -> per-frame rig and pose
    "Performance": "gan.rig.performance",
    "read_mp4": "gan.video",
    "write_mp4": "gan.video",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gan' has no attribute {name!r}")
