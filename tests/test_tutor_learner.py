"""The learner model's pure parts: forgetting, spaced review, the learning path across topics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tutor.curriculum import Curriculum
from tutor.learner import ForgettingParams, SkillMemory, after_practice, due_for_review, next_step, recalled
from tutor.learner.path import missing_prerequisites

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
P = ForgettingParams()


@pytest.fixture(scope="module")
def cur() -> Curriculum:
    return Curriculum.load()


def test_nothing_is_forgotten_the_same_day_then_it_fades_to_the_prior() -> None:
    m = SkillMemory("s", 0.97, T0, half_life_days=3.0, attempts=5, mastered_at=T0)
    assert recalled(m, 0.2, T0 + timedelta(hours=20), P) == 0.97  # exactly, within the 1-day delay
    four = recalled(m, 0.2, T0 + timedelta(days=4), P)
    assert four == pytest.approx(0.2 + 0.77 * 0.5)  # one half-life after the delay
    assert recalled(m, 0.2, T0 + timedelta(days=400), P) == pytest.approx(0.2, abs=1e-9)
    assert not due_for_review(m, 0.2, T0 + timedelta(days=1), P) and due_for_review(m, 0.2, T0 + timedelta(days=4), P)
    never = SkillMemory("s", 0.6, T0, 3.0)  # never mastered: never "due for review"
    assert not due_for_review(never, 0.2, T0 + timedelta(days=30), P)


def test_spaced_review_grows_the_half_life_and_a_lapse_shrinks_it() -> None:
    m = SkillMemory("s", 0.97, T0, half_life_days=3.0, attempts=5, mastered_at=T0)
    same_day = after_practice(m, 0.98, T0 + timedelta(hours=2), 0.95, P)
    assert same_day.half_life_days == 3.0  # massed practice: no spacing benefit
    later = T0 + timedelta(days=5)
    reviewed = after_practice(m, 0.96, later, 0.95, P)
    assert reviewed.half_life_days == 6.0 and reviewed.mastered_at == later and reviewed.attempts == 6
    strong = SkillMemory("s", 0.7, T0, half_life_days=24.0, attempts=9, mastered_at=T0)
    lapsed = after_practice(strong, 0.4, later, 0.95, P)
    assert lapsed.half_life_days == 12.0 and lapsed.mastered_at == T0
    assert after_practice(m, 0.99, T0 + timedelta(days=3000), 0.95, P).half_life_days <= P.max_half_life_days


def test_forgetting_params_are_validated() -> None:
    with pytest.raises(ValueError, match="growth"):
        ForgettingParams(growth=0.5)
    with pytest.raises(ValueError, match="review_below"):
        ForgettingParams(review_below=1.5)


def test_the_path_reviews_first_then_follows_prerequisites_across_topics(cur: Curriculum) -> None:
    fresh = {s: sk.bkt.p_init for s, sk in cur.skills.items()}
    start = next_step(cur, fresh, set(), 0.95)
    assert start.kind == "learn" and not cur.skills[start.skill].prerequisites
    assert missing_prerequisites(cur, "percentages", fresh, 0.95) == ("fractions.mul_div", "fractions.simplify")
    ready = {**fresh, "fractions.simplify": 0.97}
    step = next_step(cur, ready, set(), 0.95, topic="percentages")
    assert step == next_step(cur, ready, set(), 0.95, topic="percentages") and step.skill == "percentages.convert"
    faded = {**ready, "fractions.simplify": 0.5}
    review = next_step(cur, faded, {"fractions.simplify"}, 0.95, topic="percentages")
    assert (review.kind, review.skill) == ("review", "fractions.simplify")
    done = dict.fromkeys(cur.skills, 0.99)
    assert next_step(cur, done, set(), 0.95).kind == "done"
