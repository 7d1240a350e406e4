"""Numbers written in words, rewritten as digits: "twenty five" -> "25", "three quarters" -> "3/4".

Students say answers the way they would speak them: "twenty five", "negative two", "one and a
half", "two thirds", "zero point seven five", "three over four", "x equals five". `to_digits`
rewrites such phrases inside any text into the digit forms `tutor.language.numbers` parses, and
leaves every other word alone. Ordinals ("third", "quarter") only count as fractions after a
count ("two thirds", "a quarter"), so "the third one" stays words.
"""

from __future__ import annotations

import re

_UNITS = {
    "zero": 0, "nought": 0, "naught": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1000}
# Denominators said as ordinals (singular and plural); "half" and "quarter" are the irregular ones.
_DENOMS = {
    "half": 2, "halves": 2, "halfs": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4, "fourth": 4,
    "fourths": 4, "fifth": 5, "fifths": 5, "sixth": 6, "sixths": 6, "seventh": 7, "sevenths": 7, "eighth": 8,
    "eighths": 8, "ninth": 9, "ninths": 9, "tenth": 10, "tenths": 10, "twelfth": 12, "twelfths": 12,
    "twentieth": 20, "twentieths": 20, "hundredth": 100, "hundredths": 100,
}  # fmt: skip
_DIGIT_WORDS = {**{k: v for k, v in _UNITS.items() if v < 10}, "oh": 0, "o": 0}  # after "point"
_SIGN = {"negative", "minus"}
# "one" as a pronoun ("this one", "the next one", "one more", "one of them") is not the number 1.
_BEFORE_PRONOUN_ONE = {"this", "that", "the", "another", "next", "which", "a", "an", "new", "different", "other",
                       "last", "first", "second", "third", "each", "every", "no", "any", "some", "same", "easy",
                       "easier", "hard", "harder", "simpler", "tricky", "trickier", "good", "right", "wrong"}
_AFTER_PRONOUN_ONE = {"more", "of", "by", "at", "thing", "time", "day", "step", "question", "problem", "sec", "second"}
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z]+|\S")


def _cardinal(tokens: list[str], i: int) -> tuple[int, int] | None:
    """A whole number spelt out from tokens[i]: (value, index after it), or None."""
    total, current, j, seen = 0, 0, i, False
    while j < len(tokens):
        w = tokens[j]
        if w in _UNITS:
            if not seen or (not current and total):
                current = _UNITS[w]  # a first word, or the units after "thousand (and)"
            elif current % 100 == 0 and current:
                current += _UNITS[w]  # "a hundred (and) six"
            elif current % 10 == 0 and _UNITS[w] < 10:
                current += _UNITS[w]  # "twenty five"
            else:
                break  # "two three": two numbers
        elif w in _TENS:
            if seen and current % 100 != 0:
                break
            current += _TENS[w]
        elif w in _SCALES and seen:
            current = max(current, 1) * _SCALES[w]
            if _SCALES[w] == 1000:
                total, current = total + current, 0
        elif (
            w == "and"
            and seen
            and j + 1 < len(tokens)
            and (current or total)
            and current % 100 == 0
            and (tokens[j + 1] in _UNITS or tokens[j + 1] in _TENS)
        ):
            j += 1
            continue  # "one hundred and twenty"
        else:
            break
        seen = True
        j += 1
    return (total + current, j) if seen else None


def _count(tokens: list[str], i: int) -> tuple[str, int] | None:
    """A count before a fraction word: digits, a spelt-out number, or "a"/"an"/"one"."""
    if i < len(tokens) and tokens[i].isdigit():
        return tokens[i], i + 1
    if i < len(tokens) and tokens[i] in ("a", "an"):
        return "1", i + 1
    card = _cardinal(tokens, i)
    return (str(card[0]), card[1]) if card else None


def _fraction(tokens: list[str], i: int) -> tuple[str, int] | None:
    """ "three quarters", "a half", "3 over 4", "seven out of eight" -> "N/D"."""
    head = _count(tokens, i)
    if head is None:
        return None
    num, j = head
    if j < len(tokens) and tokens[j] in _DENOMS:
        return f"{num}/{_DENOMS[tokens[j]]}", j + 1
    if tokens[i] in ("a", "an"):
        return None
    for link in (("over",), ("out", "of")):
        k = j + len(link)
        if tuple(tokens[j:k]) == link:
            den = _count(tokens, k) if k < len(tokens) and tokens[k] not in ("a", "an") else None
            if den is not None:
                return f"{num}/{den[0]}", den[1]
    return None


def _number(tokens: list[str], i: int) -> tuple[str, int] | None:
    """The longest number phrase at tokens[i] as digits, or None."""
    if tokens[i] in _SIGN:
        if i + 1 < len(tokens) and re.fullmatch(r"\d+(?:\.\d+)?", tokens[i + 1]):
            return f"-{tokens[i + 1]}", i + 2  # "negative 3"
        rest = _number(tokens, i + 1) if i + 1 < len(tokens) else None
        return (f"-{rest[0]}", rest[1]) if rest else None
    if tokens[i] == "half" and (i + 1 == len(tokens) or tokens[i + 1] not in ("of", "way", "an", "a")):
        return "1/2", i + 1
    frac = _fraction(tokens, i)
    if frac:
        return frac
    whole = _count(tokens, i) if tokens[i] not in ("a", "an") else None
    if whole is None:
        return None
    text, j = whole
    if j + 1 < len(tokens) and tokens[j] == "and":  # "one and a half", "2 and three quarters"
        part = _fraction(tokens, j + 1)
        if part:
            return f"{text} {part[0]}", part[1]
    if j + 1 < len(tokens) and tokens[j] == "point" and tokens[j + 1] in _DIGIT_WORDS:
        k, digits = j + 1, ""
        while k < len(tokens) and tokens[k] in _DIGIT_WORDS:
            digits, k = digits + str(_DIGIT_WORDS[tokens[k]]), k + 1
        return f"{text}.{digits}", k
    if tokens[i].isdigit():
        return None  # a plain digit needs no rewriting
    if tokens[i] == "one" and j == i + 1 and (
        (i > 0 and tokens[i - 1] in _BEFORE_PRONOUN_ONE) or (j < len(tokens) and tokens[j] in _AFTER_PRONOUN_ONE)
    ):
        return None
    return text, j


def to_digits(text: str) -> str:
    """The text (lower case) with every spelt-out number rewritten in digits; everything else as typed."""
    s = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", text.lower())  # "twenty-five", "three-quarters"
    matches = list(_TOKEN.finditer(s))
    tokens = [m.group(0) for m in matches]
    out: list[str] = []
    pos = i = 0
    while i < len(tokens):
        found = _number(tokens, i)
        if found is None:
            i += 1
            continue
        out += [s[pos : matches[i].start()], found[0]]
        pos, i = matches[found[1] - 1].end(), found[1]
    return "".join([*out, s[pos:]])
