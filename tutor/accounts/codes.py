"""Class join codes and student resume codes: random, readable, and checked for strength at import.

Join code: 9 characters from 30 that cannot be mistaken for one another (no 0/O, 1/I/L, no U/V),
shown as ABC-DEF-GHJ: 30^9 = 2^44.2 possibilities, above the 40 bits asked for, and guessing is
rate-limited per client on top. Resume code: six words from a list of simple English words
(tutor/accounts/data/words.txt, from the EFF short list; THIRD_PARTY.md): 1182^6 = 2^61.2, so a
child can write it down and nobody can guess it. Both come from `secrets` (the OS source).
Only a SHA-256 digest of a resume code is stored: with 61 random bits a slow KDF adds nothing,
and the digest can be looked up directly.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from functools import cache
from pathlib import Path

JOIN_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford-style: no 0 O 1 I L, and no U (U/V)
JOIN_LENGTH = 9
RESUME_WORDS = 6
MIN_JOIN_BITS = 40.0
MIN_RESUME_BITS = 60.0
WORDS_FILE = Path(__file__).parent / "data" / "words.txt"


@cache
def words() -> tuple[str, ...]:
    """The resume-code word list (read once)."""
    found = tuple(w.strip() for w in WORDS_FILE.read_text(encoding="utf-8").split() if w.strip())
    if len(set(found)) != len(found):
        raise ValueError(f"{WORDS_FILE} repeats a word.")
    return found


def join_bits() -> float:
    return JOIN_LENGTH * math.log2(len(JOIN_ALPHABET))


def resume_bits() -> float:
    return RESUME_WORDS * math.log2(len(words()))


def new_join_code() -> str:
    """A fresh join code in canonical form (no dashes), e.g. "K7MX3PQ9R"."""
    return "".join(secrets.choice(JOIN_ALPHABET) for _ in range(JOIN_LENGTH))


def show_join_code(code: str) -> str:
    """The canonical code in groups of three for people: "K7M-X3P-Q9R"."""
    return "-".join(code[i : i + 3] for i in range(0, len(code), 3))


def normalise_join_code(text: object) -> str:
    """The canonical form of what someone typed (case, spaces and dashes ignored), or ValueError."""
    if not isinstance(text, str):
        raise ValueError("A class code must be text.")
    code = re.sub(r"[\s\-_.]", "", text.upper())
    if len(code) != JOIN_LENGTH or any(c not in JOIN_ALPHABET for c in code):
        raise ValueError(f"A class code has {JOIN_LENGTH} letters and digits, like {show_join_code('K7MX3PQ9R')}.")
    return code


def new_resume_code() -> str:
    """A fresh resume code: six words joined by dashes, e.g. "acorn-tiger-lemon-boat-cloud-seven"."""
    pool = words()
    return "-".join(secrets.choice(pool) for _ in range(RESUME_WORDS))


def normalise_resume_code(text: object) -> str:
    """The canonical form of a typed resume code (any case, any separators), or ValueError."""
    if not isinstance(text, str) or len(text) > 200:
        raise ValueError("A come-back code is six words, like acorn-tiger-lemon-boat-cloud-seven.")
    parts = re.findall(r"[a-z]+", text.lower())
    if len(parts) != RESUME_WORDS:
        raise ValueError(f"A come-back code is {RESUME_WORDS} words, like acorn-tiger-lemon-boat-cloud-seven.")
    return "-".join(parts)


def resume_digest(code: str) -> str:
    """What the database keeps of a resume code (hex SHA-256 of its canonical form)."""
    return hashlib.sha256(normalise_resume_code(code).encode("ascii")).hexdigest()


def _check_strength() -> None:
    if set(JOIN_ALPHABET) & set("0O1IL"):
        raise ValueError("The join-code alphabet must not hold look-alike characters.")
    if join_bits() < MIN_JOIN_BITS or resume_bits() < MIN_RESUME_BITS:
        raise ValueError(f"Codes too weak: join {join_bits():.1f} bits, resume {resume_bits():.1f} bits.")


_check_strength()
