"""Settings of the dialogue: how sure a MiniLM match must be, and when the tutor offers or notes things."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DialogueConfig:
    """Thresholds measured with the shipped MiniLM (2026-11-30); see each field."""

    # Cosine similarity to the nearest concept phrasing for a question to be about that concept: 15
    # in-bank questions written differently from the bank (typos, slang) scored 0.63-0.98, 12
    # questions about other subjects (hypotenuse, photosynthesis, prime numbers, pi) 0.11-0.48.
    concept_similarity: float = 0.55
    # Below this similarity a meta question gets the persona's introduction (meta questions 0.65-0.92).
    meta_similarity: float = 0.45
    # Similarity to the nearest wellbeing exemplar for a message to count as sad / lonely / bullied: 6
    # unseen paraphrases 0.63-0.95; 10 lines of maths frustration, boredom, test nerves, insults <= 0.51.
    wellbeing_similarity: float = 0.58
    abuse_note_at: int = 2  # the n-th abusive message of a session is noted for the teacher (then every 5th)
    offer_harder_after: int = 3  # right first time this many times in a row: "want a harder one?"
    max_difficulty_bias: int = 2  # harder/easier requests shift the selector by at most this many levels

    def __post_init__(self) -> None:
        for name in ("concept_similarity", "meta_similarity", "wellbeing_similarity"):
            if not -1.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"DialogueConfig.{name} is a cosine similarity and must be in [-1, 1].")
        if self.abuse_note_at < 1 or self.offer_harder_after < 1:
            raise ValueError("DialogueConfig.abuse_note_at and offer_harder_after must be at least 1.")
        if not 0 <= self.max_difficulty_bias <= 2:
            raise ValueError("DialogueConfig.max_difficulty_bias must be 0, 1 or 2 (difficulties are 1-3).")
