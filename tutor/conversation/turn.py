"""What a dialogue-act handler reads (`Turn`) and what it returns (`Plan`), and the shared banks.

One handler per act (tutor.conversation.respond.HANDLERS); each is a small function
`(Turn) -> Plan`. The session builds the Turn, calls the handler, and logs the Plan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from tutor.conversation.config import DialogueConfig
from tutor.conversation.phrases import Phrasebook
from tutor.conversation.similarity import Embedder, SimilarityIndex
from tutor.curriculum import Curriculum
from tutor.curriculum.content import Concept
from tutor.dialogue import DialogueState
from tutor.language.numbers import ParsedAnswer
from tutor.language.replies import ReplyWriter
from tutor.policy import Decision, Policy
from tutor.selection import Selector
from tutor.types import Problem

# The questions the tutor asks, and the act a "yes" / a "no" to each stands for (agreed with the act
# reader in NOTES.md; it resolves short answers against them).
PENDING: dict[str, tuple[str, str]] = {
    "offer_harder": ("harder", "skip"),
    "offer_easier": ("easier", "skip"),
    "offer_break": ("stop", "easier"),
    "confirm_stop": ("stop", "skip"),
    "offer_scenario": ("scenario_request", "skip"),
    "offer_worked": ("worked_example_request", "hint_request"),
    "which_topic": ("change_topic", "skip"),  # the tutor listed its topics; naming one switches to it
}


class ActReading(Protocol):
    """How the act reader read one message (tutor.language.acts.ActResult)."""

    @property
    def act(self) -> str: ...
    @property
    def confidence(self) -> float: ...
    @property
    def parsed(self) -> ParsedAnswer | None: ...
    @property
    def reason(self) -> str: ...
    @property
    def topic(self) -> str | None: ...
    @property
    def vector(self) -> np.ndarray | None: ...
    @property
    def wellbeing(self) -> str | None: ...


@dataclass(frozen=True)
class Banks:
    """Loaded once per Tutor: the wording, and the MiniLM indexes over concepts, meta questions, wellbeing."""

    phrases: Phrasebook
    concepts: SimilarityIndex  # concept id -> its name and question phrasings
    concept_by_id: dict[str, Concept]
    meta: SimilarityIndex  # meta topic -> question phrasings
    wellbeing: SimilarityIndex  # exemplars of sadness, loneliness, bullying

    @classmethod
    def build(cls, curriculum: Curriculum, embed: Embedder, phrases: Phrasebook | None = None) -> Banks:
        book = phrases or Phrasebook.load()
        concepts = curriculum.content.concepts
        return cls(
            phrases=book,
            concepts=SimilarityIndex([(c.id, p) for c in concepts for p in (c.name, *c.phrasings)], embed),
            concept_by_id={c.id: c for c in concepts},
            meta=SimilarityIndex([(m.topic, p) for m in book.meta.values() for p in m.phrasings], embed),
            wellbeing=SimilarityIndex([("wellbeing", e) for e in book.wellbeing_exemplars], embed),
        )


@dataclass
class Turn:
    """One student message and everything a handler may read or change to answer it."""

    text: str
    read: ActReading
    act: str  # the act being answered (the reading's act, or "feeling" for a wellbeing concern)
    state: DialogueState  # changed in place by the handler
    curriculum: Curriculum
    selector: Selector
    policy: Policy
    writer: ReplyWriter  # phrasing of the answer-checking moves (praise, hints, feedback)
    say: Phrasebook  # this session's phrasebook (no phrase repeated twice in a row)
    banks: Banks
    mood: str  # the learner state the policy acts on this turn (self-report outweighs the face)
    mood_confidence: float
    threshold: float  # P(L) counted as mastered
    cfg: DialogueConfig  # thresholds of the dialogue (TutorConfig.dialogue)
    wellbeing: str = ""  # why this message is a wellbeing concern ("" = it is not)
    mastery_for: Callable[[list[str]], dict[str, float]] | None = None  # starting P(L) of another topic's skills

    @property
    def problem(self) -> Problem | None:
        pid = self.state.problem_id
        return self.curriculum.problem_from_id(pid) if pid else None

    def topics_text(self) -> str:
        """'fractions, linear equations and percentages'."""
        names = [t.title.lower() for _, t in sorted(self.curriculum.topics.items())]
        return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]


@dataclass
class Plan:
    """What to say and show, and what to record, for one turn."""

    text: str
    decision: Decision
    problem: Problem | None  # the problem on the table after this turn
    correct: bool | None = None  # the verdict when the message was graded
    flag: tuple[str, str] | None = None  # (kind, reason) for the teacher: distress | wellbeing | note
    pending: str = ""  # the question this reply asks (a key of PENDING)
    extras: dict[str, Any] = field(default_factory=dict)
