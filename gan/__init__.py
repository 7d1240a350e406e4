"""gan: the talking-head avatar (synthetic actor, speech, corpus, GAN renderer).

Heavy modules (OpenCV, onnxruntime, torch) are imported on first use of a name, so importing
`gan` for the rig types stays instant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gan.rig.params import MOTION_DIM, MOTION_FIELDS, RIG_EMOTIONS, RigParams, emotion_blend

if TYPE_CHECKING:
    from gan.actor.face2d import Actor
    from gan.audio.speech import Speech, Synthesizer
    from gan.clip import AvatarClip
    from gan.data.corpus import CorpusConfig, build_corpus
    from gan.pipeline import TalkingHeadPipeline
    from gan.rig.idle import idle_motion
    from gan.rig.motion_estimate import estimate_motion
    from gan.rig.visemes import viseme_track
    from gan.video import read_mp4, write_mp4

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
    "Actor": "gan.actor.face2d",
    "Speech": "gan.audio.speech",
    "Synthesizer": "gan.audio.speech",
    "viseme_track": "gan.rig.visemes",
    "idle_motion": "gan.rig.idle",
    "write_mp4": "gan.video",
    "build_corpus": "gan.data.corpus",
    "CorpusConfig": "gan.data.corpus",
    "estimate_motion": "gan.rig.motion_estimate",
    "read_mp4": "gan.video",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gan' has no attribute {name!r}")
