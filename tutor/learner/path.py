"""The learning path across topics: which skill a student should do next, and why.

Order of preference: (1) a mastered skill that has faded below the review line (spaced review,
tutor/learner/forgetting.py), the most faded first; (2) the next skill to learn: not yet
mastered, every prerequisite mastered (prerequisites may lie in other topics, e.g. percentage
conversion after simplifying fractions: tutor/curriculum/data/*.json), in the chosen topic if
it has one, else the shallowest in the prerequisite graph; (3) nothing left: all mastered.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

from tutor.curriculum import Curriculum, Skill
from tutor.selection import Choice, adapt_difficulty


@dataclass(frozen=True)
class PathStep:
    """The proposed next step."""

    skill: str | None  # None = everything mastered
    kind: Literal["review", "learn", "done"]


def depth(curriculum: Curriculum, skill: str) -> int:
    """Length of the longest prerequisite chain below a skill (0 = needs nothing)."""

    @cache
    def d(sid: str) -> int:
        pre = curriculum.skills[sid].prerequisites
        return 1 + max(d(p) for p in pre) if pre else 0

    return d(skill)


def ready(curriculum: Curriculum, mastery: Mapping[str, float], threshold: float) -> list[str]:
    """Skills not yet mastered whose prerequisites (in any topic) all are."""
    return [
        sid
        for sid, skill in curriculum.skills.items()
        if mastery.get(sid, 0.0) < threshold and all(mastery.get(p, 0.0) >= threshold for p in skill.prerequisites)
    ]


def next_step(
    curriculum: Curriculum,
    mastery: Mapping[str, float],
    due: Collection[str],
    threshold: float,
    topic: str | None = None,
) -> PathStep:
    """The best next skill for a student with `mastery` now (forgetting applied) and `due` reviews."""
    in_topic = set(curriculum.topics[topic].skills) if topic else set()
    if due:
        best = min(due, key=lambda s: (s not in in_topic, mastery.get(s, 0.0), s))
        return PathStep(best, "review")
    candidates = ready(curriculum, mastery, threshold)
    order = {sid: i for t in sorted(curriculum.topics) for i, sid in enumerate(curriculum.topics[t].skills)}
    if candidates:
        best = min(candidates, key=lambda s: (s not in in_topic, depth(curriculum, s), order[s], s))
        return PathStep(best, "learn")
    return PathStep(None, "done")


def missing_prerequisites(
    curriculum: Curriculum, topic: str, mastery: Mapping[str, float], threshold: float
) -> tuple[str, ...]:
    """Prerequisites from other topics that the topic's first skills need and the student lacks."""
    inside = set(curriculum.topics[topic].skills)
    needed = {p for s in inside for p in curriculum.skills[s].prerequisites if p not in inside}
    return tuple(sorted(p for p in needed if mastery.get(p, 0.0) < threshold))


@dataclass(frozen=True)
class FirstSkillSelector:
    """Poses one chosen skill (a due review) for the opening problem; the session's own selector
    takes over from the next problem on."""

    skill: str
    name: str = "review-first"

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
        return Choice(self.skill, adapt_difficulty(mastery[self.skill], [], shift))
