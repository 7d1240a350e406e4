"""Text preparation shared by `TextAffect` and its training script: cleaning, emoji, surface cues.

Why this exists: MiniLM's tokenizer is uncased and maps almost every emoji to [UNK], yet ALL
CAPS, "!!!", "???" and emoji carry much of the affect in students' chat. So (1) each emoji is
replaced by its Unicode name in words ("😴" -> "sleeping face"), which the encoder understands,
and (2) a few surface cues the encoder cannot see are measured and given to the head beside the
sentence embedding. The same functions run at training and inference, so the two cannot drift.
"""

from __future__ import annotations

import math
import re
import unicodedata

import numpy as np

# Unicode names that mislead in a chat (the official name of 😤 is "face with look of triumph",
# but it is used for huffing anger); everything else uses unicodedata.name().
EMOJI_WORDS: dict[str, str] = {
    "😤": "huffing angry face",
    "❤": "red heart love",
    "♥": "heart love",
    "🤞": "fingers crossed hoping",
    "💀": "skull dead laughing",
    "🙃": "upside down face sarcastic",
    "👍": "thumbs up",
    "👎": "thumbs down",
    "🫠": "melting face",
    "🥲": "smiling face with tear",
}
SURFACE_FEATURES: tuple[str, ...] = (
    "caps_ratio",  # share of letters in upper case, only when >= 4 letters (shouting)
    "exclaims",  # log1p(number of '!')
    "questions",  # log1p(number of '?')
    "emoji",  # log1p(number of emoji / pictographs)
    "mathy",  # share of characters that are digits or math symbols ("x = 5", "3/4")
    "length",  # log1p(number of words) / 4
    "elongated",  # a letter repeated 3+ times ("sooo", "yesss", "ughhh")
    "no_letters",  # 1 when the message has no letters at all ("12", "???", "😴")
)
_MATH_CHARS = set("0123456789+-*/=^%.,()<>²³√π×÷£$")
_ELONGATED = re.compile(r"([a-z])\1\1", re.IGNORECASE)


def _is_emoji(ch: str) -> bool:
    return unicodedata.category(ch) == "So" or 0x1F000 <= ord(ch) <= 0x1FAFF


def clean(text: str, max_chars: int) -> str:
    """Truncate, drop control/format characters (keeping newlines as spaces), squeeze spaces."""
    text = text[:max_chars]
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch in "\n\r\t":
            out.append(" ")
        elif cat in ("Cc", "Cf", "Cs", "Co", "Cn") or (cat == "Mn" and 0xFE00 <= ord(ch) <= 0xFE0F):
            continue  # control, format (ZWJ, RTL marks), surrogates, variation selectors
        else:
            out.append(ch)
    return re.sub(r"\s+", " ", "".join(out)).strip()


def emoji_to_words(text: str) -> str:
    """Replace each emoji/pictograph by its name in words, so the encoder can read it."""
    parts = []
    for ch in text:
        if _is_emoji(ch):
            name = EMOJI_WORDS.get(ch)
            if name is None:
                try:
                    name = unicodedata.name(ch).lower()
                except ValueError:
                    name = ""
            parts.append(f" {name} ")
        else:
            parts.append(ch)
    return re.sub(r"\s+", " ", "".join(parts)).strip()


# Negation scope marking for the bag-of-n-grams view (Das & Chen 2001; Pang, Lee & Vaithyanathan
# 2002): the words after a negator, up to a clause break, are seen as "not_<word>". Without it
# "i'm not great at fractions" and "i'm great at fractions" share every n-gram but "not", and the
# linear heads read a student who struggles as delighted (tutor8: 0.38 delighted, then praised).
_NEGATORS = frozenset((
    "not", "no", "never", "nothing", "nobody", "none", "nor", "cannot", "hardly", "dont", "doesnt", "didnt", "isnt",
    "arent", "wasnt", "werent", "cant", "couldnt", "wont", "wouldnt", "shouldnt", "havent", "hasnt", "aint",
))  # fmt: skip
_CLAUSE_END = ".,!?;:…"


def _is_negator(word: str) -> bool:
    return word in _NEGATORS or word.endswith(("n't", "n’t"))


def mark_negation(text: str, scope: int) -> str:
    """Prefix up to `scope` words after a negator with "not_", stopping at punctuation or "but";
    scope 0 returns the text as it is (a head trained without negation marking)."""
    if scope == 0:
        return text
    out: list[str] = []
    left = 0
    for word in text.split():
        core = word.strip(_CLAUSE_END + "\"'()").lower()
        if core == "but":
            left = 0
        if left and core:
            out.append(f"not_{word}")
            left -= 1
        else:
            out.append(word)
        if _is_negator(core):
            left = scope
        if word[-1] in _CLAUSE_END:
            left = 0
    return " ".join(out)


def surface_features(text: str) -> np.ndarray:
    """The SURFACE_FEATURES of a cleaned message, float32 (len(SURFACE_FEATURES),)."""
    letters = [c for c in text if c.isalpha()]
    upper = sum(c.isupper() for c in letters)
    non_space = [c for c in text if not c.isspace()]
    emoji = sum(_is_emoji(c) for c in text)
    mathy = sum(c in _MATH_CHARS for c in non_space) / max(1, len(non_space))
    words = len(text.split())
    return np.array(
        [
            upper / len(letters) if len(letters) >= 4 else 0.0,
            math.log1p(text.count("!")),
            math.log1p(text.count("?")),
            math.log1p(emoji),
            mathy,
            math.log1p(words) / 4.0,
            1.0 if _ELONGATED.search(text) else 0.0,
            0.0 if letters else 1.0,
        ],
        dtype=np.float32,
    )


def intensity(text: str) -> float:
    """Typographic intensity in [0, 1] from caps, '!' / '?' runs, emoji and elongation (for arousal)."""
    f = dict(zip(SURFACE_FEATURES, surface_features(text)))
    score = 0.45 * f["caps_ratio"] + 0.25 * min(1.0, f["exclaims"] / 1.4) + 0.1 * min(1.0, f["questions"] / 1.4)
    score += 0.1 * min(1.0, f["emoji"] / 1.1) + 0.1 * f["elongated"]
    return float(min(1.0, score))


class CharNgrams:
    """TF-IDF of character n-grams inside word boundaries (scikit-learn's `char_wb` analyser).

    Re-implemented here (vocabulary and idf come from training, stored as JSON) so inference
    needs no scikit-learn; the training script asserts equality with TfidfVectorizer. Character
    n-grams survive typos and slang that break word pieces ("confuzed", "boooring"), which is
    why they are ensembled with the sentence embedding.
    """

    def __init__(self, vocab: list[str], idf: list[float], ngram_range: tuple[int, int]) -> None:
        if len(vocab) != len(idf):
            raise ValueError("CharNgrams: vocab and idf must have the same length.")
        self.vocab = {g: i for i, g in enumerate(vocab)}
        self.idf = np.asarray(idf, dtype=np.float32)
        self.ngram_range = (int(ngram_range[0]), int(ngram_range[1]))

    @staticmethod
    def prepare(text: str) -> str:
        """What the analyser sees: the cleaned message, lower case."""
        return text.lower()

    def ngrams(self, text: str) -> list[str]:
        """sklearn's _char_wb_ngrams on whitespace-normalised text."""
        lo, hi = self.ngram_range
        out: list[str] = []
        for word in self.prepare(text).split():
            w = f" {word} "
            for n in range(lo, hi + 1):
                offset = 0
                out.append(w[offset : offset + n])
                while offset + n < len(w):
                    offset += 1
                    out.append(w[offset : offset + n])
                if offset == 0:  # a word shorter than n is counted once
                    break
        return out

    def transform_one(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(indices, values): sublinear tf x idf, L2-normalised, over the known n-grams."""
        counts: dict[int, int] = {}
        for g in self.ngrams(text):
            j = self.vocab.get(g)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        idx = np.fromiter(counts.keys(), dtype=np.int64)
        tf = np.fromiter(counts.values(), dtype=np.float32)
        val = (1.0 + np.log(tf)) * self.idf[idx]
        return idx, (val / np.linalg.norm(val)).astype(np.float32)
