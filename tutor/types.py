"""Small public types of the tutor: problems, intents, moves and the reply the UI renders.

Kept free of heavy imports so the UI and tests can use them without loading sympy or models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from affect.types import AffectEstimate

# What a student's message does in the dialogue (issue 11): the classifier in tutor/language/acts.py
# reads one of these per message, context-free; `resolve` reads replies to the tutor's own questions.
DIALOGUE_ACTS: tuple[str, ...] = (
    "answer",
    "hint_request",
    "worked_example_request",
    "concept_question",
    "why_question",
    "rephrase_request",
    "skip",
    "harder",
    "easier",
    "change_topic",
    "scenario_request",
    "progress_question",
    "feeling",
    "greeting",
    "meta",
    "off_topic",
    "abuse",
    "stop",
    "distress",
)

# The pedagogical moves of the dialogue policy (issue 4, "Affect-sensitive policy").
MOVES: tuple[str, ...] = (
    "pose_problem",
    "praise",
    "hint",
    "explain",
    "worked_example",
    "encourage",
    "reassure",
    "challenge",
    "clarify",
    "redirect",
    "check_in",
    "summarize",
    "flag",
)

# Answer kinds the checker understands: a number, a percentage, or a value of x.
ANSWER_KINDS: tuple[str, ...] = ("number", "percent", "equation")


@dataclass(frozen=True)
class Misconception:
    """A wrong answer that a known faulty procedure produces, with feedback aimed at that procedure."""

    value: str  # the wrong answer as an exact rational string, e.g. "2/7"
    name: str  # short id, e.g. "added_denominators"
    feedback: str  # one sentence naming the faulty step (display text)


@dataclass(frozen=True)
class Problem:
    """One generated problem instance. id encodes skill, difficulty and seed so it can be rebuilt."""

    id: str  # "<skill>:<difficulty>:<seed>"
    skill: str  # skill id, e.g. "fractions.add_sub"
    prompt: str  # display text of the question
    answer: str  # canonical answer as shown to a student, e.g. "3/4", "x = 3", "25%"
    difficulty: int  # 1 (easy) .. 3 (hard), as stated by the generator
    kind: str = "number"  # one of ANSWER_KINDS
    value: str = ""  # exact canonical value as a rational string ("3/4"); percent kinds hold the percent
    require_simplest: bool = False  # a fraction answer must be in lowest terms (simplifying skills)
    alternatives: tuple[str, ...] = ()  # other exact values also accepted (e.g. "-25" for a decrease)
    misconceptions: tuple[Misconception, ...] = ()
    hints: tuple[str, ...] = ()  # exactly three, from nudge to bottom-out
    params: tuple[tuple[str, str], ...] = ()  # the numbers of THIS problem by name, for the data templates
    worked_steps: tuple[str, ...] = ()  # solution steps of THIS problem (from data/solutions), for a worked example
    step_reasons: tuple[str, ...] = ()  # why each worked step is done, with this problem's numbers

    @property
    def values(self) -> dict[str, str]:
        """params as a dict (template fields: "a", "lcd", "variant", ...)."""
        return dict(self.params)

    def to_dict(self) -> dict[str, Any]:
        """The fields the session log keeps (enough to show and to rebuild the problem)."""
        return {
            "id": self.id,
            "skill": self.skill,
            "prompt": self.prompt,
            "answer": self.answer,
            "difficulty": self.difficulty,
            "kind": self.kind,
        }


def problem_params(**values: object) -> tuple[tuple[str, str], ...]:
    """A problem's numbers by name, as strings, for the templates in curriculum/data (solutions, scenarios)."""
    return tuple((k, str(v)) for k, v in values.items())


@dataclass(frozen=True)
class TutorReply:
    """What the tutor says after one student message (or at the opening of a session)."""

    text: str  # display text (may hold light markdown)
    spoken: str  # the same reply for speech synthesis: no symbols a voice would mangle
    move: str  # one of MOVES
    avatar_emotion: str  # one of affect.types.AVATAR_EMOTIONS
    intensity: float  # 0..1, how strongly the avatar shows avatar_emotion
    affect: AffectEstimate  # the fused learner state the policy acted on
    problem: Problem | None  # the problem now on the table (None once the session is summarised)
    correct: bool | None  # the verdict on the message if it was an answer attempt, else None
    flagged: bool  # True when this turn raised a flag for the teacher
    turn_id: str = ""  # id of the logged turn; pass it to `TutorSession.attach_clip`
    turn_index: int = 0  # 0 = opening, then 1, 2, ... per student message
    intent: str = ""  # the dialogue act of the student's message, in context (one of DIALOGUE_ACTS; "" opening)
    extras: dict[str, Any] = field(default_factory=dict)  # diagnostics: misconception, hint level
