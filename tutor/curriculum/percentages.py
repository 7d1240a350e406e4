"""Problem generators for percentages: conversions, percent of a quantity, percent change.

Misconception values follow common percent errors (Parker & Leinhardt 1995, "Percent: a
privileged proportion"): moving the decimal point the wrong way or by one place, forgetting to
divide by 100, giving the absolute change instead of the percent, dividing by the new value.
"""

from __future__ import annotations

import math
import random

import sympy

from tutor.language.numbers import fmt, fmt_decimal, terminates
from tutor.types import Misconception, Problem, problem_params

_CONTEXTS = (  # (what, unit, rise verb, fall verb)
    ("A bike costs", "euros", "goes up to", "is reduced to"),
    ("A town has", "people", "grows to", "shrinks to"),
    ("A plant is", "centimetres tall", "grows to", "is cut back to"),
    ("A school sold", "tickets", "sells", "sells only"),
    ("A game has", "players", "climbs to", "drops to"),
)


def _mis(value: sympy.Rational, correct: sympy.Rational, name: str, feedback: str) -> list[Misconception]:
    return [] if value == correct else [Misconception(fmt(value), name, feedback)]


def convert(rng: random.Random, difficulty: int) -> Problem:
    """Percent <-> decimal <-> fraction, in one of four directions."""
    direction = rng.choice(["p2d", "d2p", "f2p", "p2f"])
    if difficulty == 1:
        pct = sympy.Rational(rng.choice(range(5, 100, 5)))
    elif difficulty == 2:
        pct = sympy.Rational(rng.randint(1, 99))
    else:
        pct = sympy.Rational(rng.choice([*range(101, 300, 5), *[sympy.Rational(k, 2) for k in range(3, 60, 2)]]))
    frac = pct / 100
    p, f, dec = fmt_decimal(pct), fmt(frac), fmt_decimal(frac)
    if direction in ("f2p", "p2f") and difficulty == 3 and frac.q not in (8, 40, 200):
        den = rng.choice([8, 40, 16])
        frac = sympy.Rational(rng.choice([n for n in range(1, 2 * den) if math.gcd(n, den) == 1]), den)
        pct, f = frac * 100, fmt(frac)
        p, dec = fmt_decimal(pct), fmt_decimal(frac)
    if direction == "p2d":
        prompt, kind, value, answer = f"Write {p}% as a decimal.", "number", frac, dec
        mis = _mis(pct / 10, frac, "moved_one_place", "Dividing by 100 moves the decimal point TWO places left.")
        mis += _mis(pct / 1000, frac, "moved_three_places", "Only two places: percent means out of 100.")
        hints = (
            "Percent means 'out of 100'.",
            f"So {p}% = {p} ÷ 100.",
            f"Move the decimal point two places left in {p}.",
        )
        simplest = False
    elif direction == "d2p":
        prompt, kind, value, answer = f"Write {dec} as a percent.", "percent", pct, f"{p}%"
        mis = _mis(frac * 10, pct, "moved_one_place", "Multiplying by 100 moves the decimal point TWO places right.")
        mis += _mis(
            frac / 100, pct, "divided_by_100", "To turn a decimal into a percent, multiply by 100 (not divide)."
        )
        hints = (
            "A percent is a number out of 100.",
            f"Multiply {dec} by 100.",
            f"{dec} × 100 = ? Then add the % sign.",
        )
        simplest = False
    elif direction == "f2p":
        prompt, kind, value, answer = f"Write {f} as a percent.", "percent", pct, f"{p}%"
        mis = _mis(
            sympy.Rational(f"{frac.p}{frac.q}"),
            pct,
            "digits_joined",
            f"{f} is {frac.p} divided by {frac.q}, not the digits written together.",
        )
        mis += _mis(
            sympy.Rational(frac.q, frac.p) * 100,
            pct,
            "flipped",
            f"Divide {frac.p} by {frac.q}, not the other way round.",
        )
        hints = (
            "Turn the fraction into a decimal first, then into a percent.",
            f"{f} = {frac.p} ÷ {frac.q} = {dec}.",
            f"Now multiply {dec} by 100.",
        )
        simplest = False
    else:
        prompt, kind, value, answer = f"Write {p}% as a fraction in lowest terms.", "number", frac, f
        mis = _mis(pct, frac, "forgot_100", f"{p}% means {p} out of 100, so start from {p}/100.")
        mis += _mis(100 / pct, frac, "flipped", f"The fraction is {p}/100, with 100 on the bottom.")
        hints = (
            f"{p}% means {p} out of 100.",
            f"Write it as {p}/100 (clear any decimal first).",
            "Now simplify: divide top and bottom by their greatest common factor.",
        )
        simplest = True
    return Problem(
        id="", skill="", prompt=prompt, answer=answer, difficulty=difficulty, kind=kind, value=fmt(value),
        require_simplest=simplest, misconceptions=tuple(mis), hints=hints,
        params=problem_params(variant=direction, p=p, f=f, dec=dec, num=frac.p, den=frac.q),
    )  # fmt: skip


def of_quantity(rng: random.Random, difficulty: int) -> Problem:
    """p% of q."""
    while True:
        if difficulty == 1:
            pct, q = rng.choice([10, 20, 25, 50, 75]), rng.randint(2, 40) * 4
        elif difficulty == 2:
            pct, q = rng.choice(range(5, 100, 5)), rng.randint(2, 60) * 5
        else:
            pct, q = rng.choice([*range(1, 99), 110, 120, 125, 150, 175, 12.5, 37.5]), rng.randint(8, 400)
        pr = sympy.Rational(str(pct))
        correct = pr * q / 100
        if difficulty < 3 and correct.q != 1:
            continue
        if terminates(correct):
            break
    p, c = fmt_decimal(pr), fmt_decimal(correct)
    one_pct = fmt_decimal(sympy.Rational(q, 100))
    mis = _mis(pr * q, correct, "forgot_100", f"{p}% of {q} is {p}/100 of {q}: divide by 100 too.")
    mis += _mis(pr * q / 10, correct, "moved_one_place", "Check the decimal point: percent means divide by 100.")
    mis += _mis(
        q + correct, correct, "added_on", f"That is {q} plus {p}% of it; the question asks for {p}% of {q} only."
    )
    return Problem(
        id="", skill="", prompt=f"What is {p}% of {q}?", answer=c, difficulty=difficulty, kind="number",
        value=fmt(correct), misconceptions=tuple(mis),
        hints=(f"{p}% means {p} out of every 100.", f"Find 1% of {q} first: {q} ÷ 100 = {one_pct}.",
               f"Now multiply by {p}: {one_pct} × {p}."),
        params=problem_params(variant="of", p=p, q=q, one_pct=one_pct, answer=c),
    )  # fmt: skip


def change(rng: random.Random, difficulty: int) -> Problem:
    """Percent increase or decrease from an old to a new value (whole-number percents)."""
    what, unit, rise, fall = rng.choice(_CONTEXTS)
    pct = rng.choice({1: [10, 20, 25, 50], 2: list(range(5, 100, 5)), 3: [*range(1, 100), 120, 150, 200]}[difficulty])
    increase = difficulty == 1 or rng.random() < 0.5
    step = 100 // math.gcd(100, pct)
    old = step * rng.randint(1, max(1, 400 // step))
    new = old + old * pct // 100 if increase else old - old * pct // 100
    if not increase and new <= 0:
        increase, new = True, old + old * pct // 100
    diff = abs(new - old)
    word = "increase" if increase else "decrease"
    correct = sympy.Rational(pct)
    mis = _mis(
        sympy.Rational(diff),
        correct,
        "absolute_change",
        f"{diff} is how much it changed; now divide the change by the original {old} and multiply by 100.",
    )
    mis += _mis(
        sympy.Rational(diff * 100, new),
        correct,
        "divided_by_new",
        f"Divide the change by the ORIGINAL amount ({old}), not the new one ({new}).",
    )
    mis += _mis(
        sympy.Rational(new * 100, old),
        correct,
        "ratio_not_change",
        f"{fmt_decimal(sympy.Rational(new * 100, old))}% is the new amount as a percent of the old; "
        "the change is the difference from 100%.",
    )
    prompt = f"{what} {old} {unit}. It {rise if increase else fall} {new}. What is the percent {word}?"
    return Problem(
        id="", skill="", prompt=prompt, answer=f"{pct}%", difficulty=difficulty, kind="percent", value=str(pct),
        alternatives=() if increase else (str(-pct),), misconceptions=tuple(mis),
        hints=("Percent change = change ÷ original × 100.", f"The change is {new} - {old} = {new - old}.",
               f"Now divide {diff} by the original {old} and multiply by 100."),
        params=problem_params(variant=word, old=old, new=new, diff=diff, change=new - old, pct=pct, word=word,
                              ratio=fmt_decimal(sympy.Rational(diff, old)), unit=unit),
    )  # fmt: skip
