"""Is this message a wellbeing concern (sadness, loneliness, bullying)? Care first, and a note for the teacher.

A lower level than distress (which always wins): a student who says "nobody likes me at school"
or "they laugh at me" is not in danger, but a hint would be the wrong reply and a teacher should
know. Evidence, in order: the act reader's wellbeing rules (`tutor.language.safety.wellbeing_rule`,
carried in `ActResult.wellbeing`); crying or sad emoji sent on their own; MiniLM similarity to the
exemplar sentences in phrases.json, which catches paraphrases the rules do not know.
"""

from __future__ import annotations

from tutor.conversation.similarity import SimilarityIndex
from tutor.conversation.turn import ActReading

_SAD_EMOJI = frozenset("😭😢😞😔💔🥺☹🙁😿😥😓")


def wellbeing_reason(text: str, read: ActReading, index: SimilarityIndex, threshold: float) -> str:
    """Why the message is a wellbeing concern (the matched phrase, emoji or exemplar), or ""."""
    if read.act == "distress":
        return ""
    if read.wellbeing:
        return read.wellbeing
    stripped = [ch for ch in text if not ch.isspace() and ch != "\ufe0f"]
    if stripped and all(ch in _SAD_EMOJI for ch in stripped):
        return "crying or sad emoji"
    match = index.best(read.vector)
    if match is not None and match.similarity >= threshold:  # DialogueConfig.wellbeing_similarity
        return f"similar to a wellbeing example ({match.similarity:.2f})"
    return ""
