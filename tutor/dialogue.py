"""The dialogue state of one session and the pure steps that move it along.

Kept apart from `tutor.session` (which owns models, locking and logging) so the whole state is
one JSON-able dataclass: it is written with every turn and a resumed session starts from it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from tutor.curriculum import Curriculum
from tutor.selection import Selector
from tutor.student_model import bkt_update
from tutor.types import Problem

_RECENT_PROMPTS = 40  # prompts remembered to avoid posing the same problem twice in a session
_SEED_TRIES = 12


@dataclass
class DialogueState:
    """Everything needed to continue a session."""

    topic: str
    seed: int
    mastery: dict[str, float]  # P(L) per skill of the topic
    problem_id: str | None = None  # the problem on the table
    attempted: bool = False  # the current problem already had its first (BKT-counted) attempt
    hints_given: int = 0
    wrong_streak: int = 0
    worked_shown: bool = False
    counter: int = 0  # problems posed so far (feeds the per-problem seed)
    history: list[tuple[str, bool]] = field(default_factory=list)  # (skill, first-attempt correct)
    recent_prompts: list[str] = field(default_factory=list)
    summarized: bool = False  # the session was summed up (a goodbye); the next message simply goes on
    step: int = 0  # index of the worked step the student is at on this problem (moved on by recognised steps)
    explained: str = ""  # the explanation text shown last (a rephrase never repeats it)
    difficulty_bias: int = 0  # -2..2: the student asked for harder / easier problems; selection follows
    right_streak: int = 0  # first-attempt right answers in a row
    abuse: int = 0  # abusive messages so far (repeated abuse is noted for the teacher)
    stories: int = 0  # word problems posed (cycles through the contexts)
    pending: str = ""  # name of the question the tutor's last reply asked ("" = none)
    done_topics: list[str] = field(default_factory=list)  # topics whose mastery was celebrated (asked once)
    upset_turns: int = 0  # turns left during which a recent upset (care given, a concerned reply) still counts

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["history"] = [[s, bool(ok)] for s, ok in self.history]
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DialogueState:
        fields = {f.name for f in dataclasses.fields(cls)}
        d = {k: v for k, v in data.items() if k in fields}
        d["history"] = [(str(s), bool(ok)) for s, ok in d.get("history", [])]
        d["mastery"] = {str(k): float(v) for k, v in d["mastery"].items()}
        return cls(**d)


def record_first_attempt(state: DialogueState, curriculum: Curriculum, skill: str, correct: bool) -> None:
    """BKT counts the first attempt at each problem only (Corbett & Anderson 1995: a help request
    before any attempt counts as an error; later attempts follow feedback and are not evidence)."""
    if state.attempted:
        return
    state.attempted = True
    state.history.append((skill, correct))
    state.mastery[skill] = bkt_update(state.mastery[skill], correct, curriculum.skills[skill].bkt)


def next_problem(
    state: DialogueState,
    curriculum: Curriculum,
    selector: Selector,
    *,
    shift: int = 0,
    prefer_other_skill: bool = False,
    skill: str | None = None,
    difficulty: int | None = None,
) -> Problem:
    """Choose, generate and put on the table the next problem (never one posed recently).

    The selector chooses skill and difficulty (shifted by the policy's `shift` and by the student's
    own harder/easier requests, `state.difficulty_bias`); `skill` / `difficulty` override its choice.
    """
    skills = curriculum.topic_skills(state.topic)
    current = curriculum.problem_from_id(state.problem_id).skill if state.problem_id else None
    choice = selector.choose(
        skills, state.mastery, state.history, current=current, shift=shift + state.difficulty_bias,
        prefer_other_skill=prefer_other_skill,
    )  # fmt: skip
    if skill is None:
        skill = choice.skill
    if skill is None:  # topic mastered: keep going with the hardest problems, least practised first
        counts = {s.id: sum(1 for sid, _ in state.history if sid == s.id) for s in skills}
        skill = min(counts, key=lambda sid: counts[sid])
    level = choice.difficulty if difficulty is None else difficulty
    problem = None
    for _ in range(_SEED_TRIES):
        state.counter += 1
        problem = curriculum.generate(skill, level, (state.seed * 7919 + state.counter) % (2**31))
        if problem.prompt not in state.recent_prompts:
            break
    assert problem is not None
    return place_problem(state, problem)


def place_problem(state: DialogueState, problem: Problem) -> Problem:
    """Put a problem on the table (a new one, a similar one after a worked example, a word problem)."""
    state.problem_id = problem.id
    state.recent_prompts = [*state.recent_prompts, problem.prompt][-_RECENT_PROMPTS:]
    state.attempted = False
    state.hints_given = 0
    state.wrong_streak = 0
    state.worked_shown = False
    state.step = 0
    return problem


def topic_done(state: DialogueState, threshold: float) -> bool:
    """Every skill of the session's current topic is mastered."""
    own = [p for sid, p in state.mastery.items() if sid.startswith(f"{state.topic}.")]
    return bool(own) and all(p >= threshold for p in own)
