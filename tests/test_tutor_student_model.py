"""BKT: the pure update, parameter recovery from simulated students, and problem selection."""

from __future__ import annotations

import numpy as np
import pytest

from tutor.curriculum import Curriculum
from tutor.selection import AdaptiveSelector, FixedSequenceSelector, adapt_difficulty
from tutor.student_model import BKTParams, bkt_update, fit_bkt, log_likelihood, p_correct, simulate, trace

P = BKTParams(p_init=0.2, p_transit=0.15, p_guess=0.2, p_slip=0.1)


def test_update_matches_hand_computation() -> None:
    # Correct: posterior = .2*.9 / (.2*.9 + .8*.2) = .18/.34; then learning: post + (1-post)*.15
    post = 0.18 / 0.34
    assert bkt_update(0.2, True, P) == pytest.approx(post + (1 - post) * 0.15)
    post = 0.02 / (0.02 + 0.8 * 0.8)
    assert bkt_update(0.2, False, P) == pytest.approx(post + (1 - post) * 0.15)
    assert p_correct(0.2, P) == pytest.approx(0.2 * 0.9 + 0.8 * 0.2)


def test_update_is_monotone_and_reaches_mastery() -> None:
    assert bkt_update(0.5, True, P) > 0.5 > bkt_update(0.5, False, P) - P.p_transit
    assert trace([True] * 4, P) >= 0.95 > trace([True, False, True, False], P)


@pytest.mark.parametrize("bad", [dict(p_guess=0.6), dict(p_slip=0.0), dict(p_init=1.0), dict(p_transit=float("nan"))])
def test_bad_parameters_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="BKTParams"):
        BKTParams(**{**dict(p_init=0.2, p_transit=0.1, p_guess=0.2, p_slip=0.1), **bad})


@pytest.mark.parametrize(
    "true",
    [
        BKTParams(p_init=0.3, p_transit=0.15, p_guess=0.2, p_slip=0.1),
        BKTParams(p_init=0.1, p_transit=0.25, p_guess=0.1, p_slip=0.15),
        BKTParams(p_init=0.5, p_transit=0.1, p_guess=0.25, p_slip=0.05),
    ],
)
def test_em_recovers_parameters_of_simulated_students(true: BKTParams) -> None:
    obs = simulate(true, n_students=1500, n_steps=15, rng=np.random.default_rng(7))
    fitted = fit_bkt(obs)
    for got, want in zip(fitted.as_tuple(), true.as_tuple()):
        assert got == pytest.approx(want, abs=0.04), (fitted, true)
    assert log_likelihood(obs, fitted) >= log_likelihood(obs, true) - 1e-6  # EM found at least the truth


def test_selection_least_mastered_unlocked_skill() -> None:
    cur = Curriculum.load()
    skills = cur.topic_skills("fractions")
    sel = AdaptiveSelector(threshold=0.95)
    mastery = {"fractions.simplify": 0.5, "fractions.add_sub": 0.1, "fractions.mul_div": 0.3}
    assert sel.choose(skills, mastery, []).skill == "fractions.simplify"  # the others are locked
    mastery["fractions.simplify"] = 0.96
    assert sel.choose(skills, mastery, []).skill == "fractions.add_sub"
    assert sel.choose(skills, mastery, [], current="fractions.add_sub", prefer_other_skill=True).skill == (
        "fractions.mul_div"
    )
    done = dict.fromkeys(mastery, 0.99)
    assert sel.choose(skills, done, []).skill is None


def test_difficulty_follows_outcomes_and_policy_shift() -> None:
    assert adapt_difficulty(0.2, []) == 1
    assert adapt_difficulty(0.6, [True, True]) == 3
    assert adapt_difficulty(0.6, [True, False]) == 1
    assert adapt_difficulty(0.9, [], shift=-1) == 2
    assert adapt_difficulty(0.9, [True, True], shift=+1) == 3  # capped


def test_fixed_sequence_baseline_ignores_mastery() -> None:
    skills = Curriculum.load().topic_skills("percentages")
    sel = FixedSequenceSelector(per_skill=3)
    history = [("x", True)] * 4
    assert sel.choose(skills, dict.fromkeys([s.id for s in skills], 0.0), history).skill == skills[1].id
    assert sel.choose(skills, {}, [("x", True)] * 9).skill is None
