"""Forgetting and spaced review: what a student still knows some days after practising a skill.

BKT (tutor/student_model.py) has no forgetting: P(L) only grows. Between sessions we let it
decay toward the skill's prior with an exponential forgetting curve (Ebbinghaus 1885) whose
half-life grows each time the skill is successfully practised again after a gap (the spacing
effect; half-life regression, Settles & Meeder 2016, and Leitner's boxes double the interval
the same way). Within `delay_days` of practice nothing is forgotten, so a student who comes
back the same day continues exactly where they stopped. All functions are pure.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime


@dataclass(frozen=True)
class ForgettingParams:
    """The forgetting curve and the review rule."""

    delay_days: float = 1.0  # no forgetting during this long after practice (same-day return continues exactly)
    half_life_days: float = 3.0  # half-life of a freshly learned skill (Settles & Meeder 2016: days for new items)
    growth: float = 2.0  # a successful spaced review multiplies the half-life (Leitner-style doubling)
    max_half_life_days: float = 180.0  # cap: some review at least twice a year
    review_below: float = 0.8  # a mastered skill whose recalled P(L) drops below this is due for review

    def __post_init__(self) -> None:
        if self.delay_days < 0 or self.half_life_days <= 0 or self.max_half_life_days < self.half_life_days:
            raise ValueError("ForgettingParams need delay_days >= 0 and 0 < half_life_days <= max_half_life_days.")
        if self.growth < 1.0:
            raise ValueError("ForgettingParams.growth must be at least 1 (reviews never shorten memory).")
        if not 0.0 < self.review_below < 1.0:
            raise ValueError("ForgettingParams.review_below must be a probability between 0 and 1.")


@dataclass(frozen=True)
class SkillMemory:
    """What is stored about one skill of one student."""

    skill: str
    p_mastered: float  # BKT P(L) right after the last practice
    practised_at: datetime
    half_life_days: float
    attempts: int = 0
    mastered_at: datetime | None = None  # last answer that left P(L) at or above the mastery threshold


def retention(elapsed_days: float, half_life_days: float, params: ForgettingParams) -> float:
    """Share of the learned-above-prior probability still there after `elapsed_days` (1 = all)."""
    gap = max(0.0, elapsed_days - params.delay_days)
    return float(0.5 ** (gap / half_life_days))


def recalled(memory: SkillMemory, p_prior: float, now: datetime, params: ForgettingParams) -> float:
    """P(L) now: the stored value decayed toward the prior (never below it)."""
    days = (now - memory.practised_at).total_seconds() / 86400.0
    p, kept = memory.p_mastered, retention(days, memory.half_life_days, params)
    return p if p <= p_prior or kept == 1.0 else p_prior + (p - p_prior) * kept  # exact within the delay


def due_for_review(memory: SkillMemory, p_prior: float, now: datetime, params: ForgettingParams) -> bool:
    """A once-mastered skill that has faded below the review line."""
    return memory.mastered_at is not None and recalled(memory, p_prior, now, params) < params.review_below


def after_practice(
    memory: SkillMemory, p_new: float, now: datetime, threshold: float, params: ForgettingParams
) -> SkillMemory:
    """The memory after one more BKT-counted answer. Being at mastery again at least `delay_days`
    after it was last confirmed is a successful spaced review: the half-life grows (capped). A
    wrong answer in a review (P(L) falls) is a lapse: the half-life shrinks back by the same factor
    (Leitner: the card goes down a box), so the next review comes sooner."""
    half_life, mastered_at = memory.half_life_days, memory.mastered_at
    gap_ok = mastered_at is not None and (now - mastered_at).total_seconds() / 86400.0 >= params.delay_days
    if p_new >= threshold:
        if gap_ok:
            half_life = min(params.max_half_life_days, half_life * params.growth)
        mastered_at = now
    elif gap_ok and p_new < memory.p_mastered:
        half_life = max(params.half_life_days, half_life / params.growth)
    return replace(memory, p_mastered=p_new, practised_at=now, half_life_days=half_life,
                   attempts=memory.attempts + 1, mastered_at=mastered_at)  # fmt: skip
