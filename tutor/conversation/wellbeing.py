"""Spotting sadness, loneliness and bullying: care first, and a *wellbeing* note for the teacher.

A lower level than distress (`tutor.language.safety`, which always wins): a student who says
"nobody likes me at school" or "they laugh at me" is not in danger, but a hint would be the
wrong reply and a teacher should know. Rules catch the clear phrasings (and crying emoji sent on
their own); MiniLM similarity to exemplar sentences (phrases.json) catches paraphrases.
"""

from __future__ import annotations

import re

import numpy as np

from tutor.conversation.similarity import SimilarityIndex
from tutor.language.safety import normalise_words

# Cosine similarity to the nearest wellbeing exemplar above which a message counts. Measured with the
# shipped MiniLM (2026-11-30): 6 unseen sad/lonely/bullied paraphrases 0.63-0.95; 10 lines of maths
# frustration, boredom, test nerves, insults and questions <= 0.51.
WELLBEING_SIMILARITY = 0.58

_SAD_EMOJI = "😭😢😞😔💔🥺☹🙁😿😥😓"
_RULE = re.compile(
    r"\b(?:nobody|no one|noone) (?:likes|wants|talks to|plays with|sits with) me\b|\bi have no friends\b|"
    r"\b(?:lonely|so alone|all alone|feel alone)\b|\b(?:laugh|laughing|laughed) at me\b|"
    r"\bmake (?:fun of|fun at) me\b|\bmaking fun of me\b|\bpick(?:s|ed|ing)? on me\b|\bmean to me\b|"
    r"\bleft out\b|\bwant to cry\b|\b(?:crying|cried)\b|\bi (?:am|feel) (?:so |really |very )?sad\b|"
    r"\b(?:bully|bullies|bullying)\b|\b(?:hate|ignore|ignores) me\b"
)


def wellbeing_reason(text: str, vector: np.ndarray | None, index: SimilarityIndex | None) -> str | None:
    """Why the message is a wellbeing concern (the matched words or exemplar), or None."""
    stripped = "".join(ch for ch in text if not ch.isspace() and ch != "\ufe0f")
    if stripped and all(ch in _SAD_EMOJI for ch in stripped):
        return "sad emoji"
    m = _RULE.search(normalise_words(text[:2000]))
    if m:
        return m.group(0)
    match = index.best(vector) if index is not None else None
    if match is not None and match.similarity >= WELLBEING_SIMILARITY:
        return f"similar to wellbeing exemplars ({match.similarity:.2f})"
    return None
