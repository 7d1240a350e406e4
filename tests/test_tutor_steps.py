"""Intermediate steps are progress, not wrong answers (model tracing); the parsed value is graded as given."""

from __future__ import annotations

import pytest

from tutor.checker import check_answer
from tutor.curriculum import Curriculum
from tutor.language.numbers import parse_answer
from tutor.types import Problem


@pytest.fixture(scope="module")
def cur() -> Curriculum:
    return Curriculum.load()


def _find(cur: Curriculum, skill: str, prompt_end: str) -> Problem:
    for seed in range(4000):
        for d in (1, 2, 3):
            p = cur.generate(skill, d, seed)
            if p.prompt.endswith(prompt_end):
                return p
    raise AssertionError(f"no {skill} problem ending {prompt_end!r}")


def test_equivalent_equations_are_steps(cur: Curriculum) -> None:
    p = _find(cur, "linear_equations.two_step", " 2x + 3 = 11")
    for text in ("2x = 8", "2x=8", "so 2x = 8 right?", "8 = 2x", "2x + 3 - 3 = 11 - 3", "x*2 = 8"):
        v = check_answer(p, text)
        assert v.step and not v.correct and v.parsed and v.note == "", text
    wrong = check_answer(p, "2x = 14")
    assert not wrong.step and not wrong.correct and wrong.note == "wrong_step"
    assert not check_answer(p, "2x + 3 = 11").parsed  # the question copied back is not a step
    assert check_answer(p, "x = 4").correct and check_answer(p, "4").correct
    both = _find(cur, "linear_equations.both_sides", " 5x + 3 = 4x + 5")
    assert check_answer(both, "x + 3 = 5").step


def test_partly_simplified_fraction_is_a_step(cur: Curriculum) -> None:
    p = _find(cur, "fractions.simplify", "Simplify 60/84 to lowest terms.")
    for text in ("30/42", "10/14"):
        v = check_answer(p, text)
        assert v.step and not v.correct and v.note == "", text
    copied = check_answer(p, "60/84")
    assert not copied.step and copied.note == "not_simplest"
    assert check_answer(p, "5/7").correct


def test_grading_uses_the_value_parsed_once(cur: Curriculum) -> None:
    p = _find(cur, "fractions.simplify", "Simplify 42/49 to lowest terms.")
    text = "hmm i think it's 6/7 but not sure"
    parsed = parse_answer("6/7")  # what the act reader read out of the sentence
    v = check_answer(p, text, parsed)
    assert v.correct and v.shown == "6/7"
    assert not check_answer(p, text, parse_answer("6/8")).correct
