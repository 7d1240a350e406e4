"""Shared label sets and the one affect type every package speaks.

Kept free of heavy imports (no torch, no mediapipe) so that `tutor`, `gan` and `ui` can import
the labels without loading any model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

# Learning-centred states (D'Mello & Graesser 2012, "Dynamics of affective states during complex
# learning"; Baker et al. 2010) plus test anxiety and a neutral state for plain answers/logistics.
LEARNER_STATES: tuple[str, ...] = (
    "engaged",
    "confused",
    "frustrated",
    "bored",
    "anxious",
    "delighted",
    "neutral",
)

# The seven classes of the FER-2013 expression classifier we port (order matters nowhere else).
BASIC_EMOTIONS: tuple[str, ...] = (
    "neutral",
    "happy",
    "sad",
    "angry",
    "fearful",
    "disgusted",
    "surprised",
)

# What the tutor asks the avatar to show; `gan` maps each onto its rig's basic emotions.
AVATAR_EMOTIONS: tuple[str, ...] = (
    "neutral",
    "happy",
    "encouraging",
    "concerned",
    "surprised",
    "thinking",
)

AffectSource = Literal["text", "face", "fused"]
AFFECT_SOURCES: tuple[str, ...] = ("text", "face", "fused")

# Tolerance for "scores sum to one" after float rounding and JSON round trips.
_SUM_TOL = 1e-3


@dataclass(frozen=True)
class AffectEstimate:
    """One reading of the student's mood from one source (or the fused track).

    label is always the argmax of scores, so the two can never disagree.
    """

    scores: dict[str, float]  # over LEARNER_STATES, sums to 1
    valence: float  # [-1, 1], unpleasant .. pleasant
    arousal: float  # [0, 1], calm .. activated
    confidence: float  # [0, 1], how much a consumer should trust this reading
    source: AffectSource
    emotions: dict[str, float] = field(default_factory=dict)  # over BASIC_EMOTIONS, or empty
    label: str = ""  # filled from scores; passing a different one is an error

    def __post_init__(self) -> None:
        if set(self.scores) != set(LEARNER_STATES):
            raise ValueError(
                f"AffectEstimate.scores must have exactly the keys {LEARNER_STATES}, got {sorted(self.scores)}."
            )
        values = [float(v) for v in self.scores.values()]
        if any(not math.isfinite(v) or v < 0 for v in values):
            raise ValueError("AffectEstimate.scores must be finite and non-negative.")
        if abs(sum(values) - 1.0) > _SUM_TOL:
            raise ValueError(f"AffectEstimate.scores must sum to 1, got {sum(values):.4f}.")
        if self.emotions and set(self.emotions) != set(BASIC_EMOTIONS):
            raise ValueError(f"AffectEstimate.emotions must be empty or have exactly the keys {BASIC_EMOTIONS}.")
        if not -1.0 <= self.valence <= 1.0:
            raise ValueError(f"AffectEstimate.valence must be in [-1, 1], got {self.valence}.")
        if not 0.0 <= self.arousal <= 1.0:
            raise ValueError(f"AffectEstimate.arousal must be in [0, 1], got {self.arousal}.")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"AffectEstimate.confidence must be in [0, 1], got {self.confidence}.")
        if self.source not in AFFECT_SOURCES:
            raise ValueError(f"AffectEstimate.source must be one of {AFFECT_SOURCES}, got {self.source!r}.")
        best = max(LEARNER_STATES, key=lambda s: self.scores[s])
        if self.label and self.label != best:
            raise ValueError(f"AffectEstimate.label {self.label!r} is not the argmax of scores ({best!r}).")
        object.__setattr__(self, "label", best)

    @classmethod
    def from_scores(
        cls,
        scores: dict[str, float],
        *,
        valence: float,
        arousal: float,
        confidence: float,
        source: AffectSource,
        emotions: dict[str, float] | None = None,
    ) -> AffectEstimate:
        """Build an estimate from unnormalised non-negative scores (normalised here, values clipped)."""
        raw = {s: max(0.0, float(scores.get(s, 0.0))) for s in LEARNER_STATES}
        total = sum(raw.values())
        norm = {s: v / total for s, v in raw.items()} if total > 0 else neutral_scores()
        return cls(
            scores=norm,
            valence=min(1.0, max(-1.0, float(valence))),
            arousal=min(1.0, max(0.0, float(arousal))),
            confidence=min(1.0, max(0.0, float(confidence))),
            source=source,
            emotions=dict(emotions) if emotions else {},
        )

    @classmethod
    def neutral(cls, source: AffectSource, confidence: float = 0.0) -> AffectEstimate:
        """The 'no information' reading: neutral, mid valence, calm, zero confidence by default."""
        return cls(scores=neutral_scores(), valence=0.0, arousal=0.0, confidence=confidence, source=source)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "scores": dict(self.scores),
            "valence": self.valence,
            "arousal": self.arousal,
            "confidence": self.confidence,
            "emotions": dict(self.emotions),
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AffectEstimate:
        return cls(
            scores={k: float(v) for k, v in data["scores"].items()},
            valence=float(data["valence"]),
            arousal=float(data["arousal"]),
            confidence=float(data["confidence"]),
            source=data["source"],
            emotions={k: float(v) for k, v in (data.get("emotions") or {}).items()},
            label=data.get("label", ""),
        )


def neutral_scores() -> dict[str, float]:
    """All mass on 'neutral'."""
    return {s: (1.0 if s == "neutral" else 0.0) for s in LEARNER_STATES}
