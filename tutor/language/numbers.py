"""Reading the numbers students type, and writing exact numbers back, with sympy rationals.

Students write the same value many ways: "3/4", "0.75", "6/8", " 3 / 4 ", "−3/4" with a unicode
minus, "1 1/2", "1½", "25%", "x = 3", "3 = x", "I think it's 0.75", "three quarters", "twenty
five" (words: `tutor.language.numwords`). `parse_answer` turns a whole message that is an answer
into an exact `sympy.Rational` plus how it was written (so the checker can tell "6/8" from "3/4"
when a skill asks for lowest terms); `find_answer` finds the one answer inside a longer sentence
("hmm i think it's 6/7 but not sure"). Both run once per message; the checker grades the
`ParsedAnswer` they return and never parses the text again. Nothing here calls `eval` on raw input: arithmetic
is only handed to sympy after a strict character whitelist and a length cap.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from tokenize import TokenError

import sympy
from sympy.parsing.sympy_parser import parse_expr, standard_transformations

from tutor.language.numwords import to_digits

_VULGAR = {
    "½": "1/2", "⅓": "1/3", "⅔": "2/3", "¼": "1/4", "¾": "3/4", "⅕": "1/5", "⅖": "2/5",
    "⅗": "3/5", "⅘": "4/5", "⅙": "1/6", "⅚": "5/6", "⅛": "1/8", "⅜": "3/8", "⅝": "5/8", "⅞": "7/8",
}  # fmt: skip
_MINUS = "\u2212\u2013\u2014\u2011\u2010\ufe63\uff0d"  # minus sign, en/em dash, hyphens, small/full-width
# Filler around an answer: "I think it's", "is it", "the answer is", "maybe", "so", "um".
_FILLER = re.compile(
    r"^(?:(?:um+|uh+|er+|hmm+|ok(?:ay)?|so|well|maybe|perhaps|i\s+think|i\s+guess|i\s+got|"
    r"i\s+get|is\s+it|it'?s|it\s+is|its|the\s+answer\s+is|answer\s*(?:is|:)?|my\s+answer\s+is|"
    r"that'?s|that\s+is|equals|=)[\s,:]*)+"
)
_TRAILING = re.compile(r"[\s.!?,;]+$")
_INT = r"\d+"
_NUM = r"(?:\d+(?:\.\d*)?|\.\d+)"
_RE_MIXED = re.compile(rf"^(-?)\s*({_INT})\s+({_INT})\s*/\s*({_INT})$")
_RE_FRAC = re.compile(rf"^(-?)\s*({_INT})\s*/\s*(-?)\s*({_INT})$")
_RE_DEC = re.compile(rf"^(-?)\s*({_NUM})$")
_RE_COMMA_DEC = re.compile(r"^(-?\d+),(\d{1,2})$")  # "0,75" (decimal comma), not "1,000"
_RE_THOUSANDS = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_RE_EXPR = re.compile(r"^[0-9x+\-*/(). ]{1,40}$")  # the only input handed to sympy's parser
_RE_VAR_LEFT = re.compile(r"^x\s*(?:=|is|equals)\s*(.+)$")
_RE_VAR_RIGHT = re.compile(r"^(.+?)\s*=\s*x$")
MAX_ANSWER_CHARS = 60  # longer text is a sentence, not an answer
# Finding the answer inside a sentence (on text whose number words are already digits).
_SPAN = r"(?<![\w.])-?\s?(?:\d+\s+\d+\s*/\s*\d+|\d+\s*/\s*-?\d+|\d+(?:\.\d+)?|\.\d+)(?:\s?%)?(?![\w/])"
_RE_SPAN = re.compile(_SPAN)
_RE_X_SPAN = re.compile(rf"(?<![\w.])x\s*(?:=|is|equals|would be|should be|must be)\s*({_SPAN})")
_RE_EITHER = re.compile(rf"{_SPAN}\s*(?:or|and)\s*{_SPAN}")  # "3/4 or 6/8": no single answer
_RE_CUE_SPAN = re.compile(
    r"(?:answer(?:'s| is| =|:| would be)?|ans(?: is)?|i got|i get|i think it'?s|i think|it'?s|its|is it|it is|"
    r"equals|would be|should be|i put|i wrote|i say|going with|gonna say|reckon(?: it'?s)?|=)\s*"
    rf"({_SPAN})"
)
# An equation still holding a term in x ("2x = 8", "x + 3 = 11") is a step, not a value of x.
_RE_X_TERM = re.compile(r"\d\s*x(?![a-z])|(?<![a-z])x\s*[+\-*/]|[+\-*/(]\s*x(?![a-z])")
_RE_REASON = re.compile(r"\b(?:because|cos|coz|cuz|since|after)\b")  # what follows explains, not answers
_RE_CONCLUDE = re.compile(r"\b(?:so|which is|which makes|that'?s|makes|gives|then)\b")
MAX_SENTENCE_CHARS = 500  # only the start of a long message is searched for an answer


@dataclass(frozen=True)
class ParsedAnswer:
    """An exact value and how the student wrote it."""

    value: sympy.Rational  # the number as written; a percent keeps its percent number (25 for "25%")
    percent: bool = False  # written with %, "percent" or "per cent"
    variable: bool = False  # written as "x = ..." / "... = x"
    form: str = "integer"  # integer | decimal | fraction | mixed | expression
    fraction: tuple[int, int] | None = None  # (numerator, denominator) as typed, for plain fractions
    decimals: int = 0  # digits after the decimal point, for decimal forms
    shown: str = ""  # the answer as the student wrote it, tidied ("0.45", "x = 4", "25%"), for replies


def unify_symbols(text: str) -> str:
    """Lower-case with one minus sign, ASCII operators and vulgar fractions spelt out ("1½" -> "1 1/2")."""
    s = text
    for ch, rep in _VULGAR.items():
        s = s.replace(ch, f" {rep}")
    s = unicodedata.normalize("NFKC", s)
    for ch in _MINUS:
        s = s.replace(ch, "-")
    s = s.replace("\u2044", "/").replace("×", "*").replace("·", "*").replace("÷", "/")
    return s.replace("’", "'").lower().strip()


def normalise(text: str) -> str:
    """unify_symbols, then drop filler words ("I think it's") and end punctuation."""
    s = unify_symbols(text)
    s = re.sub(r"\s*(?:per\s*cent|percent|pct)\b", "%", s)
    s = re.sub(r"\bminus\s+", "-", s)
    s = re.sub(r"\s+", " ", s)
    for _ in range(3):  # filler and punctuation can interleave: "so, it's 3/4!"
        s = _TRAILING.sub("", _FILLER.sub("", s)).strip()
    return s


def parse_answer(text: str) -> ParsedAnswer | None:
    """Parse a message that is one answer attempt ("3/4", "x = 5", "three quarters"); else None."""
    if not isinstance(text, str) or len(text) > MAX_ANSWER_CHARS * 4:
        return None
    text = "".join(ch for ch in text if unicodedata.category(ch) != "So")  # "14 😅": emoji are not the answer
    return _parse_whole(text) or _parse_whole(to_digits(unify_symbols(text)))


def find_answer(text: str) -> ParsedAnswer | None:
    """The one answer in a message: the whole message, or the value a sentence gives as its answer.

    "hmm i think it's 6/7 but not sure" -> 6/7; "i did 3 times 4 so 12" -> 12; "x = 12 because you
    divide by 2" -> x = 12; "is it 3/4 or 6/8" -> None (two candidates and no cue: ask again).
    """
    if not isinstance(text, str):
        return None
    whole = parse_answer(text)
    if whole is not None:
        return whole
    s = re.sub(r"\s*(?:per\s*cent|percent|pct)\b", "%", to_digits(unify_symbols(text[:MAX_SENTENCE_CHARS])))
    reason = _RE_REASON.search(s)
    if reason and _RE_SPAN.search(s[: reason.start()]):
        s = s[: reason.start()]
    conclusions = list(_RE_CONCLUDE.finditer(s))
    if conclusions and _RE_X_SPAN.search(s, conclusions[-1].end()):  # "x + 3 = 11 so x = 8": the conclusion
        s = s[conclusions[-1].end() :]
    if _RE_EITHER.search(s) or _RE_X_TERM.search(s):
        return None
    m = _RE_X_SPAN.search(s)
    if m:
        return parse_answer(f"x = {m.group(1)}")
    conclusions = list(_RE_CONCLUDE.finditer(s))
    after = _RE_SPAN.search(s, conclusions[-1].end()) if conclusions else None
    if after:
        return parse_answer(after.group(0))
    m = _RE_CUE_SPAN.search(s)
    if m:
        return parse_answer(m.group(1))
    spans = _distinct_spans(s)
    return parse_answer(spans.pop()) if len(spans) == 1 else None


def _distinct_spans(s: str) -> set[str]:
    """The different number spans of a normalised sentence, spaces removed ("1 / 5" and "1/5" are one)."""
    return {re.sub(r"\s+", "", sp) for sp in _RE_SPAN.findall(s)}


def several_answers(text: str) -> bool:
    """The message offers two or more different numbers and no single answer ("is it 1/5 or 2/10"),
    so the student is asked which one they mean (not told their message held no number)."""
    if not isinstance(text, str) or find_answer(text) is not None:
        return False
    s = to_digits(unify_symbols(text[:MAX_SENTENCE_CHARS]))
    return len(_distinct_spans(s)) >= 2


def _parse_whole(text: str) -> ParsedAnswer | None:
    s = normalise(text)
    if not s or len(s) > MAX_ANSWER_CHARS:
        return None
    variable = False
    m = _RE_VAR_LEFT.match(s) or _RE_VAR_RIGHT.match(s)
    if m:
        variable, s = True, normalise(m.group(1))
    percent = s.endswith("%")
    if percent:
        s = s[:-1].strip()
    parsed = _parse_plain(s)
    if parsed is None:
        return None
    return ParsedAnswer(
        value=parsed.value,
        percent=percent,
        variable=variable,
        form=parsed.form,
        fraction=parsed.fraction,
        decimals=parsed.decimals,
        shown=_shown(s, percent, variable),
    )


def _shown(value: str, percent: bool, variable: bool) -> str:
    """The tidy display form of a parsed answer: "x = 4", "25%", "3/4"."""
    return f"{'x = ' if variable else ''}{value}{'%' if percent else ''}"[:24]


def _parse_plain(s: str) -> ParsedAnswer | None:
    """A bare number: integer, decimal, fraction, mixed number or a short arithmetic expression."""
    if _RE_THOUSANDS.match(s):
        s = s.replace(",", "")
    m = _RE_COMMA_DEC.match(s)
    if m:
        s = f"{m.group(1)}.{m.group(2)}"
    m = _RE_DEC.match(s)
    if m:
        body = m.group(2)
        decimals = len(body.split(".")[1]) if "." in body else 0
        value = sympy.Rational(body.rstrip(".") or "0")
        return ParsedAnswer(
            value=-value if m.group(1) else value,
            form="decimal" if decimals else "integer",
            decimals=decimals,
        )
    m = _RE_MIXED.match(s)
    if m:
        whole, num, den = int(m.group(2)), int(m.group(3)), int(m.group(4))
        if den == 0:
            return None
        value = whole + sympy.Rational(num, den)
        return ParsedAnswer(value=-value if m.group(1) else value, form="mixed")
    m = _RE_FRAC.match(s)
    if m:
        num, den = int(m.group(2)), int(m.group(4))
        if den == 0:
            return None
        negative = bool(m.group(1)) != bool(m.group(3))
        value = sympy.Rational(num, den)
        return ParsedAnswer(
            value=-value if negative else value,
            form="fraction",
            fraction=(-num if negative else num, den),
        )
    return _parse_expression(s)


def _parse_expression(s: str) -> ParsedAnswer | None:
    """A short arithmetic expression ("12/16", "(3+1)/8"), only from whitelisted characters."""
    if not _RE_EXPR.match(s) or "**" in s or "x" in s or not any(c.isdigit() for c in s):
        return None
    try:
        expr = parse_expr(s, transformations=standard_transformations, evaluate=True)
    except (SyntaxError, TypeError, ValueError, ZeroDivisionError, sympy.SympifyError, TokenError):
        return None
    if not isinstance(expr, sympy.Rational):  # zoo, nan, or something symbolic
        return None
    return ParsedAnswer(value=expr, form="expression")


def rational(value: str | int | sympy.Rational) -> sympy.Rational:
    """An exact rational from a string like "3/4", "-2" or "0.75"."""
    return sympy.Rational(str(value))


def fmt(value: sympy.Rational | int) -> str:
    """Display form of an exact number: "3/4", "-2", "7/2" (improper fractions, lowest terms)."""
    q = sympy.Rational(value)
    return str(q.p) if q.q == 1 else f"{q.p}/{q.q}"


def fmt_decimal(value: sympy.Rational | int) -> str:
    """A terminating rational as a decimal without trailing zeros ("0.35", "12", "2.5")."""
    q = sympy.Rational(value)
    text = f"{float(q):.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def terminates(value: sympy.Rational) -> bool:
    """True when the decimal expansion of value ends (denominator has only factors 2 and 5)."""
    den = int(sympy.Rational(value).q)
    for p in (2, 5):
        while den % p == 0:
            den //= p
    return den == 1
