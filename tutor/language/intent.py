"""What a student's message is: an answer, a help request, a why-question, small talk, ...

Order of evidence (most reliable first): safety rules (`tutor.language.safety`), then parsing (a number
or "x = ..." is an answer attempt), then keyword rules, then similarity of the MiniLM sentence
embedding (shared with `affect.TextAffect.embed`, never loaded twice) to a few exemplars per
intent, the exemplar approach of AutoTutor's speech-act classifier (Graesser et al. 2005)
with an encoder in place of LSA. Without an embedder the rules alone decide.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tutor.language.numbers import ParsedAnswer, parse_answer, unify_symbols
from tutor.language.safety import distress_rule, normalise_words

Embedder = Callable[[Sequence[str]], np.ndarray]  # texts -> (N, D) L2-normalised rows

# Cosine similarity (to the nearest distress exemplar, which must also be the nearest intent) above
# which a message no rule caught counts as distress. Measured with the shipped TextAffect encoder on
# 13 unseen paraphrases and 8 lines of maths chatter (2026-11-24): paraphrases 0.51-0.95, chatter
# <= 0.50 except "i want to stop" (0.66, but its nearest intent is "stop"). The rules in
# tutor.language.safety carry the never-miss guarantee; this net can only add flags.
DISTRESS_SIMILARITY = 0.58
# Below this best similarity an unmatched message is treated as off-topic.
MIN_INTENT_SIMILARITY = 0.30

EXEMPLARS: dict[str, tuple[str, ...]] = {
    "answer": ("the answer is three quarters", "is it five", "I got seven", "my answer is x equals two",
               "it's negative four", "twenty five percent"),
    "help": ("can I have a hint", "I need help", "I'm stuck", "I don't know how to do this",
             "I don't get it", "what do I do first", "can you help me with this one", "no idea",
             "show me how", "give me a clue", "can you walk me through it", "what's the first step"),
    "why": ("why do we flip the fraction", "why does that work", "how come we divide by 100",
            "what does simplify mean", "what is a denominator", "can you explain the rule",
            "why is the answer negative", "how does this method work"),
    "greeting": ("hi", "hello there", "good morning", "hey, how are you", "thanks", "thank you so much",
                 "ok cool", "nice to meet you"),
    "off_topic": ("what's your favourite football team", "did you watch the game last night",
                  "what is the capital of france", "tell me a joke", "do you like pizza",
                  "what games do you play", "who is the best singer", "what's the weather like",
                  "can you do my history homework"),
    "stop": ("I want to stop", "can we finish now", "I'm done for today", "bye", "I have to go",
             "let's end the session", "I quit", "that's enough maths"),
    "feeling": ("I'm so bored", "this is frustrating", "I'm nervous about the test", "I love this",
                "I'm tired", "ugh this is annoying", "I feel stupid", "this is fun", "I'm worried I'll fail",
                "yay I'm getting it", "I hate fractions", "this is too easy"),
    "distress": ("I want to kill myself", "I don't want to be alive anymore", "I've been hurting myself",
                 "I think about ending my life", "nobody would care if I died", "I want to die",
                 "someone at home hurts me", "I'm scared to go home", "I feel like ending it all",
                 "I cut myself when I'm sad", "everyone would be happier if I wasn't around",
                 "I don't see the point in living", "I've been thinking about not being here"),
}  # fmt: skip

# An answer inside a sentence: "I think the answer is 3/4 but I'm not sure", "so x = -2 right?".
_ANSWER_CUE = re.compile(
    r"(?:answer is|answer's|i got|i get|i think it'?s|it'?s|is it|equals|x\s*=|x is)\s*"
    r"(-?\s*\d[\d\s./,]*%?|-?\s*\.\d+%?)"
)

_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (intent, re.compile(p))
    for intent, p in (
        (
            "stop",
            r"\b(?:stop|quit|bye|goodbye|i am done|done for (?:today|now)|that'?s enough|enough for "
            r"today|end (?:the |this )?session|i (?:have|need) to go|got ?ta go|log ?off|no more)\b",
        ),
        (
            "help",
            r"\b(?:hint|help|stuck|clue|(?:dont|do not|didn'?t) (?:get|understand|know|see)|no idea|idk|"
            r"what do i do|how do i (?:start|do|solve|begin|get|work)|show me|walk me through|first step|"
            r"give me the answer|lost)\b",
        ),
        ("unsure", r"\b(?:not sure|unsure|no clue)\b"),
        (
            "why",
            r"(?:^|\b)(?:why|how come|how does|how do we|what does|what is an? |what'?s an? |explain|"
            r"what do you mean|what is the (?:rule|difference)|what are)\b",
        ),
        (
            "feeling",
            r"\b(?:i (?:feel|am feeling)|i am (?:so |really |very |a bit |kind of |getting )?(?:tired|"
            r"bored|sad|happy|excited|nervous|scared|worried|anxious|stressed|frustrated|annoyed|"
            r"angry|mad|upset|confused|great|good|awesome|stupid|dumb)|this is (?:so |really )?(?:boring|"
            r"fun|hard|easy|annoying|stupid|great|frustrating|confusing)|i (?:hate|love|like|enjoy) "
            r"(?:this|math|maths|fractions|algebra|percentages|equations)|ugh|argh|yay|boring|"
            r"too (?:hard|easy)|i give up|i cant do (?:this|it))\b",
        ),
        (
            "greeting",
            r"^(?:hi|hello|hey|hiya|yo|good (?:morning|afternoon|evening)|howdy|sup|what'?s up|"
            r"how are you|how'?s it going|thanks|thank you|thx|cheers|ok|okay|cool|nice|lol)\b",
        ),
    )
)


@dataclass(frozen=True)
class IntentResult:
    """How a message was read."""

    intent: str  # one of tutor.types.INTENTS
    confidence: float  # 1.0 for rules and parses; the cosine similarity for exemplar matches
    parsed: ParsedAnswer | None = None  # the value when the message is an answer attempt
    reason: str = ""  # the matched rule or exemplar (for the teacher's log)


def _embedded_answer(text: str) -> ParsedAnswer | None:
    """The value after an answer cue in a longer sentence, if there is exactly one such cue."""
    found = _ANSWER_CUE.findall(unify_symbols(text[:500]))
    return parse_answer(found[0].strip()) if len(found) == 1 else None


_RULE = dict(_RULES)


class IntentClassifier:
    """Rules + exemplar similarity; embeds its exemplars once at construction."""

    def __init__(self, embed: Embedder | None = None) -> None:
        self._embed = embed
        self._labels: list[str] = []
        self._matrix: np.ndarray | None = None
        if embed is not None:
            texts = [t for ts in EXEMPLARS.values() for t in ts]
            self._labels = [k for k, ts in EXEMPLARS.items() for _ in ts]
            self._matrix = np.asarray(embed(texts), dtype=np.float32)  # (E, D)

    def similarities(self, text: str) -> dict[str, float]:
        """Best cosine similarity of text to each intent's exemplars ({} without an embedder)."""
        if self._embed is None or self._matrix is None:
            return {}
        rows = np.asarray(self._embed([text]), dtype=np.float32)
        if rows.shape[0] != 1:  # nothing the encoder could read (e.g. only whitespace)
            return {}
        vec = rows[0]  # (D,)
        sims = self._matrix @ vec  # (E,)
        best: dict[str, float] = {}
        for label, sim in zip(self._labels, sims.tolist()):
            best[label] = max(best.get(label, -1.0), float(sim))
        return best

    def classify(self, text: str) -> IntentResult:
        """Read one message (any length; only its start is inspected by the models)."""
        reason = distress_rule(text)
        if reason:
            return IntentResult("distress", 1.0, reason=reason)
        parsed = parse_answer(text)
        if parsed is not None:
            return IntentResult("answer", 1.0, parsed=parsed)
        words = normalise_words(text[:500])
        if not words:
            return IntentResult("answer", 0.0, reason="empty")  # nothing readable: ask for an answer
        for intent in ("why", "help"):  # "why is it 3/4?", "how do I get 3/4" hold numbers but ask
            m = _RULE[intent].search(words)
            if m:
                return IntentResult(intent, 1.0, reason=m.group(0))
        parsed = _embedded_answer(text)
        if parsed is not None:
            return IntentResult("answer", 1.0, parsed=parsed, reason="answer inside a sentence")
        sims = self.similarities(text[:500])
        if sims.get("distress", 0.0) >= DISTRESS_SIMILARITY and max(sims, key=lambda k: sims[k]) == "distress":
            return IntentResult("distress", sims["distress"], reason="similar to distress exemplars")
        for intent, pattern in _RULES:
            m = pattern.search(words)
            if m:
                return IntentResult("help" if intent == "unsure" else intent, 1.0, reason=m.group(0))
        if not sims:
            return IntentResult("off_topic", 0.0, reason="no rule matched")
        sims.pop("distress", None)
        best = max(sims, key=lambda k: sims[k])
        if sims[best] < MIN_INTENT_SIMILARITY:
            return IntentResult("off_topic", sims[best], reason="nothing similar")
        return IntentResult(best, sims[best], reason="similar to exemplars")
