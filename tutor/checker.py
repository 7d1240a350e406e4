"""Checking an answer attempt against a problem: exact sympy arithmetic, equivalent forms, misconceptions.

Equality is exact (sympy rationals), so 3/4 = 0.75 = 6/8 = 75% (where the question asks for a
number) and 0.74 is a near miss that is rejected. A non-terminating answer (2/3) also accepts a
correctly rounded decimal with at least two places (0.67, 0.667), never a truncated one (0.66).
Wrong answers are compared with the values that known faulty procedures produce, so the tutor
can name the faulty step (targeted feedback, as in Cognitive Tutor's buggy rules).

Intermediate steps are recognised as progress, as model-tracing tutors do (Anderson et al. 1995,
"Cognitive Tutors: lessons learned"): an equation equivalent to the problem's ("2x = 8" for
"2x + 3 = 11") or a fraction simplified part of the way (10/14 for 15/21 -> 5/7) is a correct
step on the solution path, not a wrong answer, and is not a BKT observation. An equation step
that does not balance ("2x = 14") is a wrong step, named as such.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from tokenize import TokenError

import sympy
from sympy.parsing.sympy_parser import implicit_multiplication, parse_expr, standard_transformations

from tutor.language.numbers import ParsedAnswer, fmt, parse_answer, rational, terminates, unify_symbols
from tutor.types import Misconception, Problem

_MIN_ROUNDED_PLACES = 2  # "0.67" for 2/3 is fine; "0.7" is too coarse to count as the answer
# The only text handed to sympy as an equation: digits, x, operators, brackets, one "=" (and a cap).
_RE_EQUATION = re.compile(r"^[0-9x+\-*/(). ]{1,40}=[0-9x+\-*/(). ]{1,40}$")
_RE_EQ_IN_TEXT = re.compile(
    r"[0-9x+\-*/(). ]*x[0-9x+\-*/(). ]*=[0-9x+\-*/(). ]+|[0-9+\-*/(). ]+=[0-9x+\-*/(). ]*x[0-9x+\-*/(). ]*"
)
_X = sympy.Symbol("x")


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one attempt."""

    parsed: bool  # False when the text holds no number at all (then it is not an attempt)
    correct: bool
    value: str = ""  # the student's value as an exact rational string ("" when not parsed)
    shown: str = ""  # the answer as the student wrote it, tidied ("0.45", "x = 4", "25%"), for replies
    misconception: Misconception | None = None  # the faulty procedure the answer matches, if any
    note: str = ""  # not_simplest | decimal_for_percent | percent_for_number | wrong_step | several_answers | ""
    step: bool = False  # a correct intermediate step: progress, neither right nor wrong (correct is False)


def check_answer(problem: Problem, text: str, parsed: ParsedAnswer | None = None) -> CheckResult:
    """Check an attempt at `problem`: `parsed` is the value read once from the message (when None,
    `text` is parsed here); `text` is also read for an intermediate equation step ("2x = 8")."""
    if parsed is None:
        parsed = parse_answer(text)
    if parsed is None:
        return check_step(problem, text)
    value, note = _student_value(problem, parsed)
    shown = parsed.shown or fmt(parsed.value)
    expected = [rational(problem.value), *(rational(v) for v in problem.alternatives)]
    if any(_equal(value, e, parsed) for e in expected):
        if problem.require_simplest and not _in_lowest_terms(parsed):
            step = _partly_simplified(problem, parsed)
            return CheckResult(parsed=True, correct=False, value=fmt(value), shown=shown,
                               note="" if step else "not_simplest", step=step)  # fmt: skip
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


def check_step(problem: Problem, text: str) -> CheckResult:
    """An equation written as a step of an equation problem: progress when it has the same solution."""
    if problem.kind != "equation":
        return CheckResult(parsed=False, correct=False)
    found = _RE_EQ_IN_TEXT.findall(unify_symbols(text[:200]).replace("×", "*"))
    candidates = [f.strip() for f in found if _RE_EQUATION.match(f.strip())]
    if len(candidates) != 1:
        return CheckResult(parsed=False, correct=False)
    eq = " ".join(candidates[0].split())
    solution = _solve_linear(eq)
    if solution is None:
        return CheckResult(parsed=False, correct=False)
    if _same_equation(eq, problem.values.get("eq", "")):
        return CheckResult(parsed=False, correct=False)  # the question copied back: not a step
    if solution == rational(problem.value):
        return CheckResult(parsed=True, correct=False, value=fmt(solution), shown=eq, step=True)
    return CheckResult(parsed=True, correct=False, value=fmt(solution), shown=eq, note="wrong_step")


def _solve_linear(eq: str) -> sympy.Rational | None:
    """The one solution of a linear equation in x, or None (not linear in x, no x, or not parseable)."""
    left, _, right = eq.partition("=")
    transformations = (*standard_transformations, implicit_multiplication)
    try:
        lhs = parse_expr(left, local_dict={"x": _X}, transformations=transformations, evaluate=True)
        rhs = parse_expr(right, local_dict={"x": _X}, transformations=transformations, evaluate=True)
        poly = sympy.Poly(sympy.expand(lhs - rhs), _X)
    except (SyntaxError, TypeError, ValueError, ZeroDivisionError, sympy.SympifyError, TokenError,
            sympy.PolynomialError):  # fmt: skip
        return None  # not an equation in x we can read: the message is not a step
    if poly.degree() != 1:
        return None
    a, b = poly.all_coeffs()
    value = -b / a
    return value if isinstance(value, sympy.Rational) else None


def _same_equation(a: str, b: str) -> bool:
    return a.replace(" ", "") == b.replace(" ", "")


def _partly_simplified(problem: Problem, parsed: ParsedAnswer) -> bool:
    """A fraction of the right value, not in lowest terms, smaller terms than the one to simplify."""
    if parsed.fraction is None:
        return False
    original_den = problem.values.get("big_d")  # simplify problems: the fraction in the question
    if original_den is None:
        return True  # e.g. 45% -> 45/100: writing it over 100 is the first step
    return abs(parsed.fraction[1]) < int(original_den)
