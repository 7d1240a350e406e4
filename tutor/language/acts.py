"""What the student meant: one dialogue act per message (issue 11), read once and passed on.

Order of evidence, most certain first:
1. safety rules (`tutor.language.safety`): distress is never missed, whatever the model says;
2. numbers (`tutor.language.numbers`): a message that is a number or "x = ..." is an answer;
3. emoji only (no letters or digits): a feeling (abuse for a middle finger);
4. the trained head (`tutor.language.acthead`) on the MiniLM embedding that affect already
   computed for this message plus character n-grams; small talk that ends in a bare answer
   ("ok fine. 2/3") is that answer; an answer inside a sentence is then parsed once with
   `find_answer`;
5. context (`tutor.language.pending`): a plain yes/no to the tutor's own question;
6. wellbeing rules: sadness, loneliness or bullying is a feeling (care first), with a reason
   the dialogue side notes for the teacher.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tutor.language.acthead import ActHead
from tutor.language.numbers import ParsedAnswer, find_answer, parse_answer
from tutor.language.pending import PendingQuestion, resolve
from tutor.language.safety import distress_rule, wellbeing_rule
from tutor.types import DIALOGUE_ACTS

Embedder = Callable[[Sequence[str]], np.ndarray]  # texts -> (N, 384) L2-normalised rows
TOPIC_WORDS = Path(__file__).parent / "data" / "topic_words.json"
_RUDE_EMOJI = {"\U0001f595"}  # reversed hand with middle finger extended


@dataclass(frozen=True)
class ActResult:
    """How one message was read."""

    act: str  # one of DIALOGUE_ACTS, in context
    confidence: float  # 1.0 for rules; the head's probability of the act otherwise
    parsed: ParsedAnswer | None = None  # the answer's value, parsed once (only when act == "answer")
    reason: str = ""  # the rule, phrase or context that decided (for the teacher's log)
    topic: str | None = None  # change_topic: the curriculum topic id named, None if none or unknown
    vector: np.ndarray | None = None  # (384,) MiniLM sentence embedding of the message (None if empty)
    wellbeing: str | None = None  # sadness / loneliness / bullying phrase: care first, note for the teacher
    context_free: str = ""  # the act before context was applied (pending questions)


def load_topic_words(topics: Sequence[str], path: Path = TOPIC_WORDS) -> dict[str, tuple[str, ...]]:
    """{topic id: words naming it} for the curriculum's topics (from the shipped data file)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ValueError(f"{path}: cannot read the topic words ({err}).") from err
    return {t: (*raw.get(t, ()), t.replace("_", " ")) for t in topics}


def name_topic(text: str, topic_words: Mapping[str, Sequence[str]]) -> str | None:
    """The one curriculum topic a message names, or None (none named, or an unknown one)."""
    s = f" {re.sub(r'[^a-z%]+', ' ', text.lower())} "
    found = [t for t, words in topic_words.items() if any(f" {w} " in s or (w == "%" and "%" in s) for w in words)]
    return found[-1] if found else None  # "enough fractions, let's do percentages": the last named


def _emoji_only(text: str) -> bool:
    """Pictographs only (no letters or digits): 😭😭😭, 🎉, 👍."""
    s = text.strip()
    return bool(s) and not any(ch.isalnum() for ch in s) and any(unicodedata.category(ch) == "So" for ch in s)


# Acts that carry no content of their own: when such a message ends in a bare answer ("ok fine. 2/3"),
# the answer is what it says (the head read "ok fine. 2/3" as a greeting and the right answer was lost).
_SMALL_TALK = ("greeting", "feeling", "off_topic")
_CLAUSE_END = re.compile(r"[.!?,;:\n]")


def _answer_after_filler(text: str) -> ParsedAnswer | None:
    """The bare answer a message ends with after a clause break ("ok fine. 2/3", "lol ok, 5"), or None."""
    parts = _CLAUSE_END.split(text.strip().rstrip(".!"))
    return parse_answer(parts[-1]) if len(parts) > 1 and parts[-1].strip() else None


# The rules carry the never-miss guarantee for distress; the head adds recall for phrasings no rule knows,
# but only when it is more sure than not: as a bare argmax it flagged "i hate this, i want to stop" at
# p = 0.30 in a scripted conversation (branch `dialogue`, 14:15). Below this the next act is taken.
HEAD_DISTRESS_MIN = 0.5


class ActReader:
    """Rules + trained head + context. Load once per Tutor; `read` is thread-safe (no mutable state)."""

    def __init__(self, head: ActHead, embed: Embedder, topic_words: Mapping[str, Sequence[str]] | None = None) -> None:
        self.head = head
        self._embed = embed
        self.topic_words = dict(topic_words or {})

    def classify(self, text: str) -> str:
        """The context-free act of one message."""
        return self.read(text).act

    def read(self, text: str, pending: PendingQuestion | None = None, *, vector: np.ndarray | None = None) -> ActResult:
        """Read one message; `vector` is its embedding when affect already computed it this turn."""
        if not isinstance(text, str):
            raise ValueError(f"A message must be text (str), got {type(text).__name__}.")
        reason = distress_rule(text)
        if reason:  # 1. never missed, never re-read in context
            return ActResult("distress", 1.0, reason=reason, vector=vector, context_free="distress")
        if not text.strip():
            return ActResult("answer", 0.0, reason="empty message", context_free="answer")
        wellbeing = wellbeing_rule(text)
        parsed = parse_answer(text)
        if parsed is not None:  # 2. a bare number is an answer, whatever was asked
            return ActResult("answer", 1.0, parsed, "a number", vector=vector, context_free="answer")
        if vector is None:
            vector = np.asarray(self._embed([text]), dtype=np.float32)[0]
        if _emoji_only(text):  # 3. emoji are feelings (issue 11); a rude gesture is abuse
            rude = any(ch in _RUDE_EMOJI for ch in text)
            act, confidence, why = ("abuse" if rude else "feeling"), 1.0, "emoji only"
        else:  # 4. the trained head
            probs = self.head.probs(vector, text)
            order = np.argsort(-probs)
            best = int(order[0])
            if DIALOGUE_ACTS[best] == "distress" and probs[best] < HEAD_DISTRESS_MIN:
                best = int(order[1])
            act, confidence, why = DIALOGUE_ACTS[best], float(probs[best]), "act head"
            if act in _SMALL_TALK and _answer_after_filler(text) is not None:
                act, confidence, why = "answer", 1.0, "an answer after a filler"
        context_free = act
        act, ctx_reason = resolve(act, text, pending)  # 5. yes/no to the tutor's question
        if ctx_reason:
            confidence, why = 1.0, ctx_reason
        elif pending is not None and pending.name == "which_topic" and name_topic(text, self.topic_words):
            # "ok percentages then" right after the tutor listed its topics picks one of them
            act, confidence, why = "change_topic", 1.0, "names a topic the tutor just offered"
        if wellbeing and act not in ("stop", "abuse"):  # 6. care first, never a hint
            act, why = "feeling", f"wellbeing: {wellbeing}"
        return ActResult(
            act=act,
            confidence=confidence,
            parsed=find_answer(text) if act == "answer" else None,
            reason=why,
            topic=name_topic(text, self.topic_words) if act == "change_topic" else None,
            vector=vector,
            wellbeing=wellbeing,
            context_free=context_free,
        )
