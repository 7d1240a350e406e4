"""Worked examples, why-questions and rephrasings: this problem's own steps and numbers.

- A worked example solves *this* problem step by step (curriculum/data/solutions), ends in its
  answer, then poses a similar problem with its first step done (a faded example: Renkl &
  Atkinson 2003, "Structuring the transition from example study to problem solving").
- A why-question gets the reason for the step the student is at (or the step the question names).
- A rephrase gets the next explanation of the skill in another representation, never the last one.
"""

from __future__ import annotations

import re

from tutor.conversation.turn import Plan, Turn
from tutor.dialogue import place_problem, record_first_attempt
from tutor.policy import Decision
from tutor.types import Problem

_WORD = re.compile(r"[a-z]+|\d+")
# Words too common to say which step a why-question is about.
_STOP = {"why", "do", "does", "did", "we", "you", "i", "the", "a", "an", "it", "is", "that", "this", "to",
         "of", "and", "so", "how", "come", "what", "in", "on", "by", "be", "are", "there", "then", "first", "x",
         "have"}  # fmt: skip


def on_worked_example_request(turn: Turn) -> Plan:
    problem = turn.problem
    assert problem is not None
    record_first_attempt(turn.state, turn.curriculum, problem.skill, False)  # asked for the solution: not known yet
    return worked_example(turn, problem, empathy=False)


def worked_example(turn: Turn, problem: Problem, *, empathy: bool) -> Plan:
    """This problem solved step by step, its answer, then a similar problem with its first step done."""
    say, st = turn.say, turn.state
    lines = [turn.writer.pick("empathy_frustrated", topic=problem.skill.split(".")[0].replace("_", " ").capitalize())]
    lines = lines if empathy else []
    lines += [say.pick("worked_intro"), *problem.worked_steps, say.pick("worked_answer", answer=problem.answer)]
    similar = place_problem(st, turn.curriculum.sibling(problem))
    given = 0 if len(similar.worked_steps) <= 2 else 1  # step 0 of longer solutions only restates the question
    lines.append(say.pick("faded", prompt=similar.prompt, first=similar.worked_steps[given]))
    st.step = given + 1
    st.worked_shown = True  # the policy eases off (an easier problem) if the similar one goes wrong too
    st.hints_given = 1  # its first step was given
    emotion = "concerned" if empathy else "thinking"
    return Plan(" ".join(lines), Decision("worked_example", emotion, 0.45, tone=turn.mood), similar,
                extras={"worked_for": problem.id, "faded_step": given})  # fmt: skip


def on_why_question(turn: Turn) -> Plan:
    problem = turn.problem
    assert problem is not None
    k = _step_asked_about(turn.text, problem) if problem.step_reasons else -1
    if k < 0:
        k = min(turn.state.step, len(problem.step_reasons) - 1)
    text = f"{turn.say.pick('why', why=problem.step_reasons[k])} {turn.say.pick('back_to_task')} {problem.prompt}"
    return Plan(text, Decision("explain", "thinking", 0.5, tone=turn.mood), problem, extras={"why_step": k})


def _step_asked_about(question: str, problem: Problem) -> int:
    """The step whose wording shares the most content words with the question (-1: none shares any)."""
    asked = set(_WORD.findall(question.lower())) - _STOP
    best, best_k = 0, -1
    for k, step in enumerate(problem.worked_steps):
        shared = len(asked & set(_WORD.findall(step.lower())))
        if shared > best:
            best, best_k = shared, k
    return best_k


def on_rephrase_request(turn: Turn) -> Plan:
    problem = turn.problem
    assert problem is not None
    options = turn.curriculum.content.explanations[problem.skill]
    texts = [e.text for e in options]
    last = texts.index(turn.state.explained) if turn.state.explained in texts else -1
    chosen = options[(last + 1) % len(options)]
    turn.state.explained = chosen.text
    text = f"{turn.say.pick('rephrase', rep=chosen.representation)} {chosen.text}"
    return Plan(text, Decision("explain", "thinking", 0.5, tone=turn.mood), problem,
                extras={"representation": chosen.representation})  # fmt: skip
