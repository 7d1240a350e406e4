"""Checking an answer attempt against a problem: exact sympy arithmetic, equivalent forms, misconceptions.

Equality is exact (sympy rationals), so 3/4 = 0.75 = 6/8 = 75% (where the question asks for a
number) and 0.74 is a near miss that is rejected. A non-terminating answer (2/3) also accepts a
correctly rounded decimal with at least two places (0.67, 0.667), never a truncated one (0.66).
Wrong answers are compared with the values that known faulty procedures produce, so the tutor
can name the faulty step (targeted feedback, as in Cognitive Tutor's buggy rules).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from tutor.language.numbers import ParsedAnswer, fmt, normalise, parse_answer, rational, terminates
from tutor.types import Misconception, Problem

_MIN_ROUNDED_PLACES = 2  # "0.67" for 2/3 is fine; "0.7" is too coarse to count as the answer


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one attempt."""

    parsed: bool  # False when the text holds no number at all (then it is not an attempt)
    correct: bool
    value: str = ""  # the student's value as an exact rational string ("" when not parsed)
    shown: str = ""  # the answer as the student wrote it, tidied ("0.45", "x = 4", "25%"), for replies
    misconception: Misconception | None = None  # the faulty procedure the answer matches, if any
    note: str = ""  # "not_simplest" | "decimal_for_percent" | "percent_for_number" | ""


def check_answer(problem: Problem, text: str) -> CheckResult:
    """Check `text` as an attempt at `problem`."""
    parsed = parse_answer(text)
    if parsed is None:
        return CheckResult(parsed=False, correct=False)
    value, note = _student_value(problem, parsed)
    shown = normalise(text)[:24]
    expected = [rational(problem.value), *(rational(v) for v in problem.alternatives)]
    if any(_equal(value, e, parsed) for e in expected):
        if problem.require_simplest and not _in_lowest_terms(parsed):
            return CheckResult(parsed=True, correct=False, value=fmt(value), shown=shown, note="not_simplest")
        return CheckResult(parsed=True, correct=True, value=fmt(value), shown=shown)
    for mis in problem.misconceptions:
        if value == rational(mis.value):
            return CheckResult(parsed=True, correct=False, value=fmt(value), shown=shown, misconception=mis, note=note)
    return CheckResult(parsed=True, correct=False, value=fmt(value), shown=shown, note=note)


def _student_value(problem: Problem, parsed: ParsedAnswer) -> tuple[sympy.Rational, str]:
    """The student's value on the problem's scale, and a note when the scale looks mixed up."""
    if problem.kind == "percent":
        # "25%", "25 percent" and "25" all mean twenty-five percent; "0.25" is the decimal form.
        note = ""
        if not parsed.percent and parsed.value != 0 and parsed.value * 100 == rational(problem.value):
            note = "decimal_for_percent"
        return parsed.value, note
    if parsed.percent:  # "75%" for a number question means 0.75
        return parsed.value / 100, "percent_for_number"
    return parsed.value, ""


def _equal(value: sympy.Rational, expected: sympy.Rational, parsed: ParsedAnswer) -> bool:
    """Exact equality, or a correctly rounded decimal of a non-terminating expected value."""
    if value == expected:
        return True
    if parsed.form != "decimal" or terminates(expected) or parsed.decimals < _MIN_ROUNDED_PLACES:
        return False
    step = sympy.Rational(1, 10**parsed.decimals)
    return bool(abs(value - expected) <= step / 2)


def _in_lowest_terms(parsed: ParsedAnswer) -> bool:
    """A typed fraction must not share a factor; integers, decimals and mixed numbers are fine."""
    if parsed.fraction is None:
        return parsed.form != "expression"
    num, den = parsed.fraction
    return sympy.gcd(abs(num), den) == 1 and den != 1
