"""The opening line for a class student: where they left off and the next step on their path."""

from __future__ import annotations

from collections.abc import Mapping

from tutor.curriculum import Curriculum
from tutor.learner.forgetting import SkillMemory
from tutor.learner.path import PathStep, missing_prerequisites


def pseudonym_of(student: str) -> str:
    """The name a class student chose ("fox" for the id "fox~k3m9x2ab7q")."""
    return student.split("~", 1)[0]


def opening_note(
    curriculum: Curriculum,
    student: str,
    topic: str,
    stored: Mapping[str, SkillMemory],
    mastery: Mapping[str, float],
    step: PathStep,
    threshold: float,
    returning: bool,
) -> str:
    """One or two sentences before the first problem of a class student's session
    (`returning`: they had a session before)."""
    name = pseudonym_of(student)
    skills = curriculum.skills
    lines: list[str] = []
    if stored:
        last = max(stored.values(), key=lambda m: m.practised_at)
        lines.append(
            f"Welcome back, {name}! Last time you worked on {skills[last.skill].name.lower()} and got to "
            f"{round(100 * last.p_mastered)}% mastery; we carry on from where you left off."
        )
    elif returning:
        lines.append(f"Welcome back, {name}! Let's carry on.")
    else:
        lines.append(f"Welcome, {name}! I will remember how you do, so next time we carry on from here.")
    missing = missing_prerequisites(curriculum, topic, mastery, threshold)
    if step.kind == "review" and step.skill is not None:
        lines.append(f"It has been a while since {skills[step.skill].name.lower()}, so we start with a quick review.")
    elif missing:
        names = " and ".join(skills[p].name.lower() for p in missing)
        lines.append(f"This topic builds on {names}; your learning path suggests practising that too.")
    elif step.kind == "learn" and step.skill is not None and skills[step.skill].topic != topic:
        other = curriculum.topics[skills[step.skill].topic].title
        lines.append(f"Next on your learning path after this: {skills[step.skill].name.lower()} ({other}).")
    elif step.kind == "done":
        lines.append("You have mastered every skill I teach, so this is extra practice.")
    return " ".join(lines)
