"""Choosing the next problem: which skill, and how hard.

Mastery learning (Corbett & Anderson 1995; Bloom 1968): practise the least-mastered skill whose
prerequisites are mastered, and stop a skill once BKT says P(L) >= the threshold. Difficulty
follows recent outcomes (a wrong answer steps down, two right in a row step up), the
"zone of proximal development" heuristic used by ASSISTments-style adaptive sequencing.
Selectors are small objects behind a Protocol so the benchmark can compare them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from tutor.curriculum import DIFFICULTIES, Skill

# P(L) bands for the starting difficulty of a skill: below 0.4 start easy, below 0.75 medium.
_EASY_BELOW, _MEDIUM_BELOW = 0.4, 0.75


@dataclass(frozen=True)
class Choice:
    """The next problem to pose: a skill and a difficulty (None skill = topic finished)."""

    skill: str | None
    difficulty: int


class Selector(Protocol):
    """Picks the next (skill, difficulty) from mastery and the answer history of this session."""

    @property
    def name(self) -> str: ...

    def choose(
        self,
        skills: Sequence[Skill],
        mastery: Mapping[str, float],
        history: Sequence[tuple[str, bool]],
        *,
        current: str | None = None,
        shift: int = 0,
        prefer_other_skill: bool = False,
    ) -> Choice: ...


def unlocked(skills: Sequence[Skill], mastery: Mapping[str, float], threshold: float) -> list[Skill]:
    """Skills whose prerequisites (inside this list) are all mastered."""
    ids = {s.id for s in skills}
    return [s for s in skills if all(mastery.get(p, 0.0) >= threshold for p in s.prerequisites if p in ids)]


def adapt_difficulty(p_learned: float, outcomes: Sequence[bool], shift: int = 0) -> int:
    """Start from the mastery band, step down after a miss, up after two hits, plus the policy's shift."""
    level = 1 if p_learned < _EASY_BELOW else 2 if p_learned < _MEDIUM_BELOW else 3
    if outcomes and not outcomes[-1]:
        level -= 1
    elif len(outcomes) >= 2 and outcomes[-1] and outcomes[-2]:
        level += 1
    return max(DIFFICULTIES[0], min(DIFFICULTIES[-1], level + shift))


@dataclass(frozen=True)
class AdaptiveSelector:
    """Least-mastered unlocked skill; difficulty adapted to recent outcomes and the policy's shift."""

    threshold: float = 0.95  # P(L) counted as mastered (Corbett & Anderson 1995)
    name: str = "adaptive"

    def choose(
        self,
        skills: Sequence[Skill],
        mastery: Mapping[str, float],
        history: Sequence[tuple[str, bool]],
        *,
        current: str | None = None,
        shift: int = 0,
        prefer_other_skill: bool = False,
    ) -> Choice:
        open_skills = [s for s in unlocked(skills, mastery, self.threshold) if mastery[s.id] < self.threshold]
        if not open_skills:
            return Choice(None, DIFFICULTIES[-1])
        if prefer_other_skill and len(open_skills) > 1:
            open_skills = [s for s in open_skills if s.id != current]
        order = {s.id: i for i, s in enumerate(skills)}
        best = min(open_skills, key=lambda s: (round(mastery[s.id], 3), order[s.id]))
        outcomes = [ok for sid, ok in history if sid == best.id]
        return Choice(best.id, adapt_difficulty(mastery[best.id], outcomes, shift))


@dataclass(frozen=True)
class FixedSequenceSelector:
    """Baseline: every skill in curriculum order, a fixed number of problems each, easy to hard."""

    per_skill: int = 6  # problems per skill, as a worksheet would give
    name: str = "fixed"

    def choose(
        self,
        skills: Sequence[Skill],
        mastery: Mapping[str, float],
        history: Sequence[tuple[str, bool]],
        *,
        current: str | None = None,
        shift: int = 0,
        prefer_other_skill: bool = False,
    ) -> Choice:
        done = len(history)
        index = done // self.per_skill
        if index >= len(skills):
            return Choice(None, DIFFICULTIES[-1])
        within = done % self.per_skill
        difficulty = DIFFICULTIES[min(len(DIFFICULTIES) - 1, within * len(DIFFICULTIES) // self.per_skill)]
        return Choice(skills[index].id, difficulty)
