"""Problem generators for linear equations in one variable: one-step, two-step, x on both sides.

Solutions are integers (negative ones from difficulty 3). Misconception values follow the
errors catalogued for early algebra (Kieran 1992; Booth 1988): doing the same operation instead
of the inverse, sign errors when moving a term, dividing only one side or only one term.
"""

from __future__ import annotations

import random

import sympy

from tutor.language.numbers import fmt
from tutor.types import Misconception, Problem, problem_params


def _mis(value: sympy.Rational | int, correct: int, name: str, feedback: str) -> list[Misconception]:
    """A misconception entry, dropped when its value happens to equal the right answer."""
    v = sympy.Rational(value)
    return [] if v == correct else [Misconception(fmt(v), name, feedback)]


def _term(coef: int, var: str = "x") -> str:
    """'3x', 'x', '-x', '-4x'."""
    if coef == 1:
        return var
    if coef == -1:
        return f"-{var}"
    return f"{coef}{var}"


def _plus(n: int) -> str:
    """' + 5' or ' - 5' for appending a constant."""
    return f" + {n}" if n >= 0 else f" - {-n}"


def _sign_error(x: int) -> list[Misconception]:
    """The right size with the wrong sign: a term moved without changing its sign, or -(-a) slips."""
    return _mis(-x, x, "sign_error", "Close: the size is right, but check the sign of your answer.")


def _problem(prompt_eq: str, x: int, difficulty: int, mis: list[Misconception],
             hints: tuple[str, str, str], **params: object) -> Problem:  # fmt: skip
    return Problem(
        id="", skill="", prompt=f"Solve for x: {prompt_eq}", answer=f"x = {x}", difficulty=difficulty,
        kind="equation", value=str(x), misconceptions=tuple(mis), hints=hints,
        params=problem_params(eq=prompt_eq, x=x, sign="positive" if x > 0 else "negative", **params),
    )  # fmt: skip


def one_step(rng: random.Random, difficulty: int) -> Problem:
    """x + a = b, x - a = b, ax = b or x/a = b."""
    lo = -12 if difficulty == 3 else 1
    x = rng.choice([v for v in range(lo, 16) if v != 0])
    form = rng.choice(["add", "sub"] if difficulty == 1 else ["add", "sub", "mul", "div"])
    a = rng.randint(2, 9 if difficulty < 3 else 15)
    if form == "add":
        b = x + a
        eq, inverse = f"x + {a} = {b}", f"subtract {a} from both sides"
        mis = _mis(b + a, x, "same_operation", f"To undo + {a}, subtract {a} from both sides.")
        step = f"x = {b} - {a} = {x}"
    elif form == "sub":
        b = x - a
        eq, inverse = f"x - {a} = {b}", f"add {a} to both sides"
        mis = _mis(b - a, x, "same_operation", f"To undo - {a}, add {a} to both sides.")
        step = f"x = {b} + {a} = {x}"
    elif form == "mul":
        b = a * x
        eq, inverse = f"{a}x = {b}", f"divide both sides by {a}"
        mis = _mis(b * a, x, "same_operation", f"{a}x means {a} times x, so divide both sides by {a}.")
        mis += _mis(b - a, x, "subtracted_coefficient", f"{a}x is {a} times x: divide by {a}, don't subtract.")
        step = f"x = {b} ÷ {a} = {x}"
    else:
        b = x
        x = a * b
        eq, inverse = f"x/{a} = {b}", f"multiply both sides by {a}"
        mis = _mis(
            sympy.Rational(b, a), x, "same_operation", f"x/{a} means x divided by {a}: multiply both sides by {a}."
        )
        step = f"x = {b} × {a} = {x}"
    mis += _sign_error(x)
    return _problem(eq, x, difficulty, mis, (
        "What is being done to x? Undo it with the inverse operation.",
        f"Here you can {inverse}.",
        f"After that, {step.rsplit(' = ', 1)[0]} = ?",
    ), variant=form, a=a, b=b, b_sign="positive" if b > 0 else "not_positive", inverse=inverse,
       step=step)  # fmt: skip


def two_step(rng: random.Random, difficulty: int) -> Problem:
    """ax + b = c (b may be negative from difficulty 2)."""
    lo = -10 if difficulty == 3 else 1
    x = rng.choice([v for v in range(lo, 13) if v != 0])
    a = rng.randint(2, 6 if difficulty == 1 else 9)
    b = rng.randint(1, 15) * (rng.choice([1, -1]) if difficulty > 1 else 1)
    c = a * x + b
    eq = f"{_term(a)}{_plus(b)} = {c}"
    undo_b = f"subtract {b}" if b > 0 else f"add {-b}"
    mis = _mis(
        sympy.Rational(c + b, a),
        x,
        "wrong_inverse",
        f"To remove the {fmt(b) if b > 0 else '- ' + str(-b)}, {undo_b} on both sides.",
    )
    mis += _mis(c - b, x, "divided_one_side", f"After {undo_b}, you have {a}x = {c - b}. Now divide BOTH sides by {a}.")
    mis += _mis(
        sympy.Rational(c, a) - b,
        x,
        "divided_one_term",
        f"Dividing by {a} must divide every term, including the {abs(b)}. Undo the {abs(b)} first.",
    )
    mis += _sign_error(x)
    return _problem(eq, x, difficulty, mis, (
        "Undo the operations in reverse order: first the number added or subtracted, then the multiplication.",
        f"First {undo_b} on both sides: {a}x = {c - b}.",
        f"Now divide both sides by {a}: x = {c - b} ÷ {a}.",
    ), variant="two_step", a=a, b=b, c=c, undo_b=undo_b, rhs=c - b, plus_b=_plus(b).strip(),
       b_abs=abs(b), then=f"add {b}" if b > 0 else f"subtract {-b}",
       money="yes" if b > 0 and c > 0 else "no")  # fmt: skip


def both_sides(rng: random.Random, difficulty: int) -> Problem:
    """ax + b = cx + d with a > c."""
    lo = -9 if difficulty == 3 else 1
    x = rng.choice([v for v in range(lo, 11) if v != 0])
    c = rng.randint(1, 5 if difficulty == 1 else 8)
    a = c + rng.randint(1, 3 if difficulty == 1 else 6)
    b = rng.randint(0 if difficulty == 1 else -12, 12)
    d = (a - c) * x + b
    eq = f"{_term(a)}{_plus(b) if b else ''} = {_term(c)}{_plus(d) if d else ''}"
    k = a - c
    mis = _mis(
        sympy.Rational(d - b, a + c),
        x,
        "added_x_terms",
        f"To move {_term(c)} to the left, subtract it from both sides: {_term(a)} - {_term(c)} = {_term(k)}.",
    )
    mis += _mis(
        sympy.Rational(d + b, k),
        x,
        "wrong_sign_constant",
        f"Moving {fmt(b)} to the other side changes its sign: subtract {fmt(b)} from both sides.",
    )
    mis += _mis(d - b, x, "divided_one_side", f"Once you reach {_term(k)} = {d - b}, divide both sides by {k}.")
    mis += _sign_error(x)
    return _problem(eq, x, difficulty, mis, (
        "Collect the x terms on one side and the plain numbers on the other.",
        f"Subtract {_term(c)} from both sides: {_term(k)}{_plus(b) if b else ''} = {d}.",
        f"Then {'subtract ' + str(b) if b >= 0 else 'add ' + str(-b)} and divide by {k}: x = ({d - b}) ÷ {k}.",
    ), variant="both_sides" if b else "both_sides_plain", money="yes" if x > 0 and b >= 0 else "no",
       lhs=f"{_term(a)}{_plus(b) if b else ''}", rhs_expr=f"{_term(c)}{_plus(d) if d else ''}",
       a=a, b=b, c=c, d=d, k=k, cx=_term(c), kx=_term(k), rhs=d - b,
       left=f"{_term(k)}{_plus(b) if b else ''}",
       move="subtract " + str(b) if b >= 0 else "add " + str(-b))  # fmt: skip
