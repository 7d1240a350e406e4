"""gan: the talking-head avatar (synthetic actor, speech, corpus, GAN renderer).

Heavy modules (OpenCV, onnxruntime, torch) are imported on first use of a name, so importing
`gan` for the rig types stays instant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gan.rig import MOTION_DIM, MOTION_FIELDS, RIG_EMOTIONS, RigParams, emotion_blend

if TYPE_CHECKING:
    from gan.actor import Actor
    from gan.clip import AvatarClip
    from gan.corpus import CorpusConfig, build_corpus
    from gan.idle import idle_motion
    from gan.motion_estimate import estimate_motion
    from gan.pipeline import TalkingHeadPipeline
    from gan.speech import Speech, Synthesizer
    from gan.video import read_mp4, write_mp4
    from gan.visemes import viseme_track

__all__ = [
    "MOTION_DIM",
    "MOTION_FIELDS",
    "RIG_EMOTIONS",
    "Actor",
    "AvatarClip",
    "CorpusConfig",
    "RigParams",
    "Speech",
    "Synthesizer",
    "TalkingHeadPipeline",
    "build_corpus",
    "emotion_blend",
    "estimate_motion",
    "idle_motion",
    "read_mp4",
    "viseme_track",
    "write_mp4",
]

# name -> module that defines it (data side: actor, speech, visemes, idle motion, video I/O)
_LAZY: dict[str, str] = {
    # the talking head (GAN-B): pipeline and its output clip
    "TalkingHeadPipeline": "gan.pipeline",
    "AvatarClip": "gan.clip",
    "Actor": "gan.actor",
    "Speech": "gan.speech",
    "Synthesizer": "gan.speech",
    "viseme_track": "gan.visemes",
    "idle_motion": "gan.idle",
    "write_mp4": "gan.video",
    "build_corpus": "gan.corpus",
    "CorpusConfig": "gan.corpus",
    "estimate_motion": "gan.motion_estimate",
    "read_mp4": "gan.video",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gan' has no attribute {name!r}")
