"""Noise that real students' typing adds, used to augment the text-affect training set.

Each variant keeps the message's meaning and label: case changes, typos (drop / swap / double a
letter, a neighbouring key), dropped apostrophes and chat spellings ("you" -> "u"), stripped or
repeated existing punctuation, dropped emoji. Nothing adds words that carry affect.
"""

from __future__ import annotations

import random
import re

_NEIGHBOURS = dict(zip("qwertyuiopasdfghjklzxcvbnm", "wqrtyuiopoasdfghjklkzxcvbnmn"))
_CHAT = [(r"\byou\b", "u"), (r"\bare\b", "r"), (r"\bbecause\b", "cos"), (r"\bgoing to\b", "gonna"),
         (r"\bwant to\b", "wanna"), (r"\bi'm\b", "im"), (r"\bdon't\b", "dont"), (r"\bokay\b", "ok"),
         (r"\bplease\b", "pls"), (r"\bthough\b", "tho"), (r"\bwhat\b", "wat"), (r"\bim\b", "i'm")]


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 3 or not word.isalpha():
        return word
    i = rng.randrange(len(word) - 1)
    kind = rng.choice(("drop", "swap", "double", "neighbour"))
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + _NEIGHBOURS.get(word[i].lower(), word[i]) + word[i + 1 :]


def augment(text: str, rng: random.Random) -> str:
    """One noisy variant of a message (may equal the input for very short messages)."""
    out = text
    if rng.random() < 0.5:
        pattern, repl = rng.choice(_CHAT)
        out = re.sub(pattern, repl, out, flags=re.IGNORECASE)
    if rng.random() < 0.3:
        out = out.replace("'", "")
    words = out.split(" ")
    for _ in range(rng.choice((0, 1, 1, 2))):
        j = rng.randrange(len(words))
        words[j] = _typo(words[j], rng)
    out = " ".join(words)
    r = rng.random()
    if r < 0.2:
        out = re.sub(r"[!?.]+$", "", out)
    elif r < 0.35:
        out = re.sub(r"([!?])$", lambda m: m.group(1) * rng.randint(2, 4), out)
    if rng.random() < 0.5:
        out = re.sub(r"[\U0001F000-\U0001FAFF\u2600-\u27BF]\ufe0f?", "", out).strip() or out
    c = rng.random()
    if c < 0.15:
        out = out.upper()
    elif c < 0.45:
        out = out.lower()
    elif c < 0.55:
        out = out[:1].upper() + out[1:]
    return out
