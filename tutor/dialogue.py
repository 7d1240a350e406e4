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
    summarized: bool = False

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
) -> Problem:
    """Choose, generate and put on the table the next problem (never one posed recently)."""
    skills = curriculum.topic_skills(state.topic)
    current = curriculum.problem_from_id(state.problem_id).skill if state.problem_id else None
    choice = selector.choose(
        skills, state.mastery, state.history, current=current, shift=shift, prefer_other_skill=prefer_other_skill
    )
    skill, difficulty = choice.skill, choice.difficulty
    if skill is None:  # topic mastered: keep going with the hardest problems, least practised first
        counts = {s.id: sum(1 for sid, _ in state.history if sid == s.id) for s in skills}
        skill = min(counts, key=lambda sid: counts[sid])
    problem = None
    for _ in range(_SEED_TRIES):
        state.counter += 1
        problem = curriculum.generate(skill, difficulty, (state.seed * 7919 + state.counter) % (2**31))
        if problem.prompt not in state.recent_prompts:
            break
    assert problem is not None
    state.problem_id = problem.id
    state.recent_prompts = [*state.recent_prompts, problem.prompt][-_RECENT_PROMPTS:]
    state.attempted = False
    state.hints_given = 0
    state.wrong_streak = 0
    state.worked_shown = False
    return problem


def topic_done(state: DialogueState, threshold: float) -> bool:
    return all(p >= threshold for p in state.mastery.values())
