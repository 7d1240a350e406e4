"""Display text -> text a speech synthesiser reads correctly ("3/4" -> "three quarters").

Voices mangle symbols: "3/4" is read "three slash four", "-2" is dropped or read "dash two",
"25%" and "×" vary by voice. Everything the tutor says goes through `to_spoken` first.
"""

from __future__ import annotations

import re

_ONES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
)  # fmt: skip
_TENS = {20: "twenty", 30: "thirty", 40: "forty", 50: "fifty", 60: "sixty", 70: "seventy", 80: "eighty", 90: "ninety"}
_ORD_ONES = {
    1: "first", 2: "second", 3: "third", 4: "quarter", 5: "fifth", 6: "sixth", 7: "seventh", 8: "eighth",
    9: "ninth", 10: "tenth", 11: "eleventh", 12: "twelfth", 13: "thirteenth", 14: "fourteenth", 15: "fifteenth",
    16: "sixteenth", 17: "seventeenth", 18: "eighteenth", 19: "nineteenth",
}  # fmt: skip
_UNITS = {"cm": "centimetres", "km": "kilometres", "kg": "kilograms", "m": "metres"}


def number_word(n: int) -> str:
    """Numbers below 100 as words (a voice says them more naturally in fractions); others as digits."""
    if 0 <= n <= 20:
        return _ONES[n]
    if 20 < n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens * 10] + (f"-{_ONES[ones]}" if ones else "")
    return str(n)


def ordinal_word(n: int) -> str | None:
    """Denominator words: 4 -> "quarter", 28 -> "twenty-eighth", 100 -> "hundredth"; None above 100."""
    if n == 100:
        return "hundredth"
    if n in _ORD_ONES and n > 2:
        return _ORD_ONES[n]
    if 20 <= n < 100:
        tens, ones = divmod(n, 10)
        if ones == 0:
            return _TENS[n][:-1] + "ieth"
        return f"{_TENS[tens * 10]}-{'fourth' if ones == 4 else _ORD_ONES[ones]}"
    return None


def fraction_words(num: int, den: int) -> str:
    """ "three quarters", "one half", "five twenty-eighths"; "7 over 123" when no ordinal fits."""
    if den == 1:
        return str(num)
    if den == 2:
        return f"{number_word(num)} {'half' if num == 1 else 'halves'}"
    ordinal = ordinal_word(den)
    if ordinal is None or num >= 100:
        return f"{number_word(num)} over {number_word(den)}"
    return f"{number_word(num)} {ordinal if num == 1 else ordinal + 's'}"


def _mixed(m: re.Match[str]) -> str:
    whole, num, den = int(m.group(2)), int(m.group(3)), int(m.group(4))
    sign = "minus " if m.group(1) else ""
    part = fraction_words(num, den)
    part = "a half" if part == "one half" else part
    return f"{sign}{whole} and {part}"


def _fraction(m: re.Match[str]) -> str:
    sign = "minus " if m.group(1) else ""
    return sign + fraction_words(int(m.group(2)), int(m.group(3)))


def _money(m: re.Match[str]) -> str:
    """ "£12" -> "12 pounds", "£3.50" and "£3.5" -> "3 pounds 50", "£0.75" -> "75 pence", "$1" -> "1 dollar"."""
    pound = m.group(1) == "£"
    whole, cents = int(m.group(2).replace(",", "")), int((m.group(3) or "0").ljust(2, "0"))
    if whole == 0 and cents:
        return f"{cents} {'pence' if pound else 'cents'}"
    unit = ("pound" if pound else "dollar") + ("" if whole == 1 else "s")
    return f"{whole} {unit}" + (f" {cents}" if cents else "")


def _latex_frac(text: str) -> str:
    return re.sub(r"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}", r"\1/\2", text)


def to_spoken(text: str) -> str:
    """Rewrite display text for speech: fractions, signs, operators, percent, markdown."""
    s = re.sub(r"([£$])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?(?!\d|\.\d)", _money, text)  # before "$" is dropped
    s = _latex_frac(s)
    s = s.replace("\\times", "×").replace("\\div", "÷").replace("\\cdot", "×").replace("$", "")
    s = re.sub(r"[*_`#>]+", "", s)  # markdown emphasis, code, headings, quotes
    s = re.sub(r"\s*\(([A-Za-z][^()]*)\)", r", \1,", s)  # a remark in brackets is read as a clause
    s = re.sub(r"[\u2212\u2013\u2014]", "-", s)  # unicode minus and dashes
    s = re.sub(r"(?<![\w/.])(-?)(\d+) (\d+)/(\d+)(?![\w/]|\.\d)", _mixed, s)
    s = re.sub(r"(?<![\w/.])(-?)(\d+)/(\d+)(?![\w/]|\.\d)", _fraction, s)
    s = re.sub(r"\b([a-z])/(\d+)", r"\1 over \2", s)
    s = re.sub(r"\)/\(", " all over ", s)
    s = re.sub(r"\)/(\w+)", r" all over \1", s)
    s = s.replace("(", "").replace(")", "")
    s = re.sub(r"(\d)\s*%", r"\1 percent", s)
    s = re.sub(r"(?<![\w)])-\s?(?=\d|x\b)", "minus ", s)  # unary minus: "x = -2", "-x"
    s = re.sub(r"\s-\s", " minus ", s)
    s = s.replace("+", " plus ").replace("×", " times ").replace("÷", " divided by ")
    s = re.sub(r"\s*=\s*", " equals ", s)
    s = re.sub(r"\b(\d+)([a-z])\b", r"\1 \2", s)  # "3x" -> "3 x"
    s = re.sub(r"\b(\d+) (cm|km|kg|m)\b", lambda m: f"{m.group(1)} {_UNITS[m.group(2)]}", s)
    s = re.sub(r"\s*\n+\s*", ". ", s)
    s = re.sub(r",\s*([.!?;:])", r"\1", s)  # "clause,." left by a bracket before a full stop
    s = re.sub(r"\.(\s*\.)+", ".", s)
    s = re.sub(r"\s+", " ", s).strip()
    return s
