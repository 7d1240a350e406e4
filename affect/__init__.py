"""Affect: the student's learning mood from chat text and webcam, fused over time.

The label sets and `AffectEstimate` import instantly; the analysers (which load torch,
transformers and mediapipe) are imported on first use so that `tutor`, `gan` and `ui` can use
the shared types without paying for the models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from affect.types import AVATAR_EMOTIONS, BASIC_EMOTIONS, LEARNER_STATES, AffectEstimate

if TYPE_CHECKING:
    from affect.face import FaceAffect
    from affect.fusion import AffectTracker
    from affect.text import TextAffect

__all__ = [
    "AVATAR_EMOTIONS",
    "BASIC_EMOTIONS",
    "LEARNER_STATES",
    "AffectEstimate",
    "AffectTracker",
    "FaceAffect",
    "TextAffect",
]

_LAZY = {"TextAffect": "affect.text", "FaceAffect": "affect.face", "AffectTracker": "affect.fusion"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'affect' has no attribute {name!r}")
