"""Problem generators for fractions: simplifying, adding/subtracting, multiplying/dividing.

Each generator takes a seeded `random.Random` and a stated difficulty (1..3) and returns a
`Problem` whose hints name the problem's own numbers and whose params fill the worked-step and
scenario templates in data/. Misconception values are
the answers common faulty procedures give (e.g. adding denominators, Hart 1981 / CSMS; not
flipping the divisor), so the checker can give feedback aimed at the faulty step.
"""

from __future__ import annotations

import math
import random

import sympy

from tutor.language.numbers import fmt
from tutor.types import Misconception, Problem, problem_params


def _proper(rng: random.Random, den_lo: int, den_hi: int) -> tuple[int, int]:
    """A proper fraction in lowest terms with a denominator in [den_lo, den_hi]."""
    while True:
        den = rng.randint(den_lo, den_hi)
        num = rng.randint(1, den - 1)
        if math.gcd(num, den) == 1:
            return num, den


def _mis(value: sympy.Rational, correct: sympy.Rational, name: str, feedback: str) -> list[Misconception]:
    """A misconception entry, dropped when its value happens to equal the right answer."""
    return [] if value == correct else [Misconception(fmt(value), name, feedback)]


def simplify(rng: random.Random, difficulty: int) -> Problem:
    """Write a fraction in lowest terms, e.g. 6/8 -> 3/4."""
    # Harder = bigger numbers and a bigger common factor, with no overlap between levels, so "harder
    # please" never brings a 2/4 after a 6/9 (issue 11): level 1 is a 2-3 times table away from a
    # small fraction (2/4, 10/15), level 3 needs a factor of 6-12 found in two-digit numbers (84/120).
    den_lo, den_hi, k_lo, k_hi = {1: (2, 6, 2, 3), 2: (5, 9, 4, 6), 3: (7, 12, 7, 12)}[difficulty]
    num, den = _proper(rng, den_lo, den_hi)
    k = rng.randint(k_lo, k_hi)
    big_n, big_d = num * k, den * k
    correct = sympy.Rational(num, den)
    shown = f"{big_n}/{big_d}"
    mis = [
        *_mis(sympy.Rational(num, big_d), correct, "divided_numerator_only",
              f"It looks like only the top was divided. Divide {big_n} and {big_d} by the same number."),
        *_mis(sympy.Rational(den, num), correct, "flipped",
              "That fraction is upside down: the numerator stays on top."),
    ]  # fmt: skip
    return Problem(
        id="", skill="", prompt=f"Simplify {shown} to lowest terms.", answer=fmt(correct),
        difficulty=difficulty, kind="number", value=fmt(correct), require_simplest=True,
        misconceptions=tuple(mis),
        hints=(
            f"Look for a number that divides both {big_n} and {big_d} exactly.",
            f"The greatest common factor of {big_n} and {big_d} is {k}.",
            f"Divide top and bottom by {k}: {big_n} ÷ {k} on top and {big_d} ÷ {k} on the bottom.",
        ),
        params=problem_params(variant="simplify", fraction=shown, big_n=big_n, big_d=big_d, k=k, num=num, den=den,
                       answer=fmt(correct)),
    )  # fmt: skip


def _unlike_pair(rng: random.Random, difficulty: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """Two fractions with different denominators, chosen to match the difficulty."""
    while True:
        if difficulty == 1:  # one denominator is a multiple of the other (2 and 4, 3 and 6)
            b = rng.randint(2, 6)
            e = b * rng.randint(2, 3)
        elif difficulty == 2:  # coprime denominators: the common denominator is the product
            b, e = rng.randint(2, 7), rng.randint(2, 9)
            if math.gcd(b, e) != 1:
                continue
        else:  # a shared factor: the least common denominator is smaller than the product
            b, e = rng.randint(4, 12), rng.randint(4, 12)
            if math.gcd(b, e) == 1 or b % e == 0 or e % b == 0:
                continue
        a, c = rng.randint(1, b - 1), rng.randint(1, e - 1)
        if b != e and math.gcd(a, b) == 1 and math.gcd(c, e) == 1:
            return (a, b), (c, e)


def add_sub(rng: random.Random, difficulty: int) -> Problem:
    """Add or subtract two fractions with unlike denominators."""
    (a, b), (c, e) = _unlike_pair(rng, difficulty)
    subtract = difficulty > 1 and rng.random() < 0.5
    x, y = sympy.Rational(a, b), sympy.Rational(c, e)
    if subtract and x < y:
        (a, b), (c, e), x, y = (c, e), (a, b), y, x
    sign = -1 if subtract else 1
    op, word = ("-", "subtract") if subtract else ("+", "add")
    correct = x + sign * y
    lcd = math.lcm(b, e)
    a2, c2 = a * (lcd // b), c * (lcd // e)
    mis: list[Misconception] = []
    if b + sign * e != 0:
        mis += _mis(sympy.Rational(a + sign * c, b + sign * e), correct, "added_denominators",
                    f"Careful: we don't {word} the denominators {b} and {e}. Rewrite both fractions "
                    f"over a common denominator first.")  # fmt: skip
    mis += _mis(sympy.Rational(a + sign * c, lcd), correct, "numerators_not_scaled",
                f"Good common denominator ({lcd}), but the numerators must be scaled too: "
                f"{a}/{b} = {a2}/{lcd} and {c}/{e} = {c2}/{lcd}.")  # fmt: skip
    mis += _mis(
        sympy.Rational(a + sign * c, b * e),
        correct,
        "denominator_only",
        f"When you change a denominator to {b * e}, multiply its numerator by the same number.",
    )
    prompt = f"Work out {a}/{b} {op} {c}/{e}."
    return Problem(
        id="", skill="", prompt=prompt, answer=fmt(correct), difficulty=difficulty, kind="number",
        value=fmt(correct), misconceptions=tuple(mis),
        hints=(
            f"The denominators {b} and {e} are different, so first rewrite both fractions "
            f"with a common denominator.",
            f"A common denominator is {lcd}: {a}/{b} = {a2}/{lcd} and {c}/{e} = {c2}/{lcd}.",
            f"Now {word} the numerators and keep the denominator: ({a2} {op} {c2})/{lcd}.",
        ),
        params=problem_params(variant="sub" if subtract else "add", a=a, b=b, c=c, e=e, op=op, word=word, lcd=lcd,
                       a2=a2, c2=c2, lcd_a=lcd // b, lcd_c=lcd // e, total=a2 + sign * c2, answer=fmt(correct)),
    )  # fmt: skip


def mul_div(rng: random.Random, difficulty: int) -> Problem:
    """Multiply or divide two fractions (difficulty 3 mixes in a whole number)."""
    (a, b), (c, d) = _proper(rng, 2, 9), _proper(rng, 2, 9)
    divide = difficulty >= 2 and (difficulty == 2 or rng.random() < 0.5)
    if difficulty == 3 and rng.random() < 0.5:
        c, d = rng.randint(2, 6), 1  # a whole number, written without a denominator
    x, y = sympy.Rational(a, b), sympy.Rational(c, d)
    second = f"{c}" if d == 1 else f"{c}/{d}"
    if divide:
        correct = x / y
        mis = [
            *_mis(sympy.Rational(a * c, b * d), correct, "did_not_flip",
                  f"To divide by {second}, multiply by its reciprocal {d}/{c}: flip the second fraction."),
            *_mis(sympy.Rational(b * c, a * d), correct, "flipped_first",
                  f"Flip the second fraction ({second}), not the first one."),
        ]  # fmt: skip
        op = "÷"
        hints = (
            "Dividing by a fraction is the same as multiplying by its reciprocal (flip the second one).",
            f"The reciprocal of {second} is {d}/{c}, so {a}/{b} ÷ {second} = {a}/{b} × {d}/{c}.",
            f"Multiply across: ({a} × {d})/({b} × {c}).",
        )
        top, bottom = a * d, b * c
    else:
        correct = x * y
        mis = [
            *_mis(sympy.Rational(a * d, b * c), correct, "cross_multiplied",
                  "For multiplication, multiply straight across: top times top, bottom times bottom."),
            *_mis(sympy.Rational(a * c, b), correct, "kept_denominator",
                  f"Multiply the denominators too: {b} × {d}."),
        ]  # fmt: skip
        op = "×"
        hints = (
            "Multiply the numerators together and the denominators together.",
            f"Numerators: {a} × {c}. Denominators: {b} × {d}.",
            f"That gives {a * c}/{b * d}; simplify it if you can.",
        )
        top, bottom = a * c, b * d
    return Problem(
        id="", skill="", prompt=f"Work out {a}/{b} {op} {second}.", answer=fmt(correct),
        difficulty=difficulty, kind="number", value=fmt(correct), misconceptions=tuple(mis),
        hints=hints,
        params=problem_params(variant="div" if divide else "mul", whole="yes" if d == 1 else "no", a=a, b=b,
                              c=c, d=d, second=second, op=op, top=top, bottom=bottom, answer=fmt(correct)),
    )  # fmt: skip
