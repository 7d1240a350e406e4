"""Emotions as FACS-style blends of the KEPT ARKit channels (the table is data: expressions.json).

An emotion is a blend over the prototypes in EXPRESSIONS (the generator's emotion input, E = 6)
at an intensity 0..1. `ExpressionTable.face(blend, intensity)` gives the KEPT channel values of
the expression, `pose` its head offset and `articulation` how it changes speech; `release` says
how much of each channel survives while the mouth articulates (gan/rig/performance.py composes).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gan.rig.arkit import KEPT, KEPT_INDEX, K

TABLE_PATH = Path(__file__).with_name("expressions.json")
# The prototypes in the table's order: the generator's emotion input (T, E) follows this order.
EXPRESSIONS: tuple[str, ...] = ("neutral", "happy", "sad", "surprised", "angry", "thinking")


@dataclass(frozen=True)
class Prototype:
    """One emotion prototype at intensity 1."""

    name: str  # e.g. "sad"
    aus: str  # the FACS action units it is made of, in words
    face: np.ndarray  # (K,) KEPT channel values in [0, 1]
    pose: np.ndarray  # (3,) head offset yaw, pitch, roll in degrees
    jaw_gain: float  # speech jawOpen multiplier (sad speech is smaller, surprised larger)
    spread_gain: float  # speech mouthStretch multiplier (low for sad: stretched lips read as fear)


@dataclass(frozen=True)
class ExpressionTable:
    """The prototypes, the tutor-facing blends over them and the while-speaking release."""

    prototypes: tuple[Prototype, ...]  # in EXPRESSIONS order
    avatar: dict[str, dict[str, float]]  # tutor emotion -> blend over prototype names
    release: np.ndarray  # (K,) fraction of each emotion channel kept while speaking

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.prototypes)

    @classmethod
    def load(cls, path: Path = TABLE_PATH) -> ExpressionTable:
        """Parse and validate the JSON table; ValueError names the bad entry."""
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
            protos = [_prototype(name, spec) for name, spec in raw["prototypes"].items()]
            avatar = {k: {e: float(w) for e, w in v.items()} for k, v in raw["avatar"].items() if k != "about"}
            release = np.ones(K, np.float32)
            for name, value in raw["while_speaking"].items():
                if name != "about":
                    release[_channel(name, "while_speaking")] = _unit(value, f"while_speaking.{name}")
        except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as err:
            raise ValueError(f"Expression table {path} is malformed: {err!r}.") from err
        if tuple(p.name for p in protos) != EXPRESSIONS:
            raise ValueError(f"Expression table {path} must list the prototypes {EXPRESSIONS} in this order.")
        names = set(EXPRESSIONS)
        for emotion, blend in avatar.items():
            if set(blend) - names or abs(sum(blend.values()) - 1.0) > 1e-6 or min(blend.values()) < 0:
                raise ValueError(f"Avatar emotion {emotion!r} must blend prototypes {sorted(names)} with weights "
                                 f"summing to 1, got {blend}.")
        release.setflags(write=False)
        return cls(prototypes=tuple(protos), avatar=avatar, release=release)

    def blend(self, emotion: str | Mapping[str, float]) -> np.ndarray:
        """(E,) weights summing to 1 for a tutor emotion, a prototype name or a {prototype: weight} dict."""
        if isinstance(emotion, str):
            if emotion in self.avatar:
                emotion = self.avatar[emotion]
            elif emotion in self.names:
                emotion = {emotion: 1.0}
            else:
                raise ValueError(f"Unknown emotion {emotion!r}; expected one of "
                                 f"{sorted(set(self.avatar) | set(self.names))}.")
        unknown = set(emotion) - set(self.names)
        if unknown:
            raise ValueError(f"Emotion blend has unknown prototypes {sorted(unknown)}; use {self.names}.")
        w = np.array([float(emotion.get(n, 0.0)) for n in self.names], np.float32)
        if not np.all(np.isfinite(w)) or w.min() < 0 or w.sum() <= 0:
            raise ValueError(f"Emotion blend weights must be non-negative, finite and not all zero, got {emotion}.")
        return w / w.sum()

    def face(self, blend: np.ndarray, intensity: float) -> np.ndarray:
        """(K,) channel values of the blended expression at an intensity in [0, 1]."""
        _check_intensity(intensity)
        faces = np.stack([p.face for p in self.prototypes])  # (E, K)
        return np.clip(intensity * (np.asarray(blend, np.float32) @ faces), 0.0, 1.0).astype(np.float32)

    def pose(self, blend: np.ndarray, intensity: float) -> np.ndarray:
        """(3,) head offset in degrees of the blended expression."""
        _check_intensity(intensity)
        return (intensity * (np.asarray(blend, np.float32) @ np.stack([p.pose for p in self.prototypes]))).astype(
            np.float32)

    def articulation(self, blend: np.ndarray, intensity: float) -> tuple[float, float]:
        """(jaw gain, spread gain) for speech under the blend: 1 at intensity 0, the blend's mean at 1."""
        _check_intensity(intensity)
        b = np.asarray(blend, np.float64)
        jaw = float(b @ [p.jaw_gain for p in self.prototypes])
        spread = float(b @ [p.spread_gain for p in self.prototypes])
        return 1.0 + intensity * (jaw - 1.0), 1.0 + intensity * (spread - 1.0)


def _check_intensity(intensity: float) -> None:
    if not 0.0 <= float(intensity) <= 1.0:
        raise ValueError(f"Emotion intensity must be in [0, 1], got {intensity}.")


def _channel(name: str, where: str) -> int:
    if name not in KEPT_INDEX:
        raise ValueError(f"{where}: {name!r} is not a KEPT channel ({', '.join(KEPT)}).")
    return KEPT_INDEX[name]


def _unit(value: object, where: str) -> float:
    v = float(value)  # type: ignore[arg-type]
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"{where} must be in [0, 1], got {v}.")
    return v


def _prototype(name: str, spec: dict) -> Prototype:
    face = np.zeros(K, np.float32)
    for channel, value in spec["face"].items():
        face[_channel(channel, f"prototype {name!r}")] = _unit(value, f"{name}.face.{channel}")
    pose = np.asarray(spec["pose"], np.float32)
    if pose.shape != (3,):
        raise ValueError(f"Prototype {name!r} pose must be [yaw, pitch, roll], got {spec['pose']}.")
    art = spec["articulation"]
    face.setflags(write=False)
    return Prototype(name=name, aus=str(spec["aus"]), face=face, pose=pose,
                     jaw_gain=float(art["jaw"]), spread_gain=float(art["spread"]))
