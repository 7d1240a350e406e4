"""Acts the affect-sensitive policy decides: answer (graded, with steps), hint_request, feeling.

The policy (tutor.policy) maps the turn's context to a move; this module applies the move to the
dialogue state (hint ladder, worked example, next problem) and has the reply written. A recognised
intermediate step is progress: it gets its own short reply and is not a BKT observation.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from tutor.checker import CheckResult, check_answer
from tutor.conversation.turn import Plan, Turn
from tutor.conversation.worked import worked_example
from tutor.dialogue import next_problem, record_first_attempt, topic_done
from tutor.language.numbers import several_answers
from tutor.language.replies import ReplyParts
from tutor.policy import Decision, PolicyContext
from tutor.types import Problem


def on_answer(turn: Turn) -> Plan:
    problem = turn.problem
    assert problem is not None
    check = check_answer(problem, turn.text, turn.read.parsed)
    if check.step:  # model tracing: a correct step on the solution path
        turn.state.step = min(turn.state.step + 1, len(problem.worked_steps) - 1)
        text = turn.say.pick("step_ok", shown=check.shown)
        return Plan(text, Decision("encourage", "encouraging", 0.45, tone=turn.mood), problem,
                    extras={"step": True, "step_index": turn.state.step})  # fmt: skip
    if check.note == "wrong_step":
        _count_attempt(turn, problem, correct=False)
        text = turn.say.pick("wrong_step", shown=check.shown)
        return Plan(text, Decision("clarify", "thinking", 0.45, tone=turn.mood), problem, correct=False,
                    extras={"note": "wrong_step"})  # fmt: skip
    if not check.parsed and several_answers(turn.text):  # "is it 1/5 or 2/10": ask which, never "no number"
        check = dataclasses.replace(check, note="several_answers")
    return _policy_turn(turn, "answer", check)


def on_hint_request(turn: Turn) -> Plan:
    return _policy_turn(turn, "hint_request", None)


def on_feeling(turn: Turn) -> Plan:
    """Name the feeling back, then act on it as the affect policy says."""
    plan = _policy_turn(turn, "feeling", None)
    # Name the state the policy acted on (a reading too weak to act on is not named back either);
    # the frustrated wording names it already ("This one is frustrating"), and for a neutral one the
    # check-in is the acknowledgement ("Okay, thanks for letting me know. Got it." said it twice).
    tone = plan.decision.tone
    if tone not in ("frustrated", "neutral"):
        plan.text = f"{turn.say.feeling(tone)} {plan.text}"
    return plan


def _count_attempt(turn: Turn, problem: Problem, correct: bool) -> None:
    st = turn.state
    first = not st.attempted
    record_first_attempt(st, turn.curriculum, problem.skill, correct)
    if first:
        st.right_streak = st.right_streak + 1 if correct else 0
    st.wrong_streak = 0 if correct else st.wrong_streak + 1


def _policy_turn(turn: Turn, intent: str, check: CheckResult | None) -> Plan:
    st, cur = turn.state, turn.curriculum
    problem = turn.problem
    assert problem is not None
    correct: bool | None = None
    before = st.mastery.get(problem.skill, 0.0)
    struggled = st.wrong_streak > 0 or st.hints_given > 0
    if intent == "answer" and check is not None and check.parsed:
        correct = check.correct
        _count_attempt(turn, problem, correct)
    elif intent == "hint_request":
        record_first_attempt(st, cur, problem.skill, False)  # help before trying counts as an error
    just_mastered = before < turn.threshold <= st.mastery[problem.skill]
    decision = turn.policy.decide(
        PolicyContext(
            intent=intent, state=turn.mood, state_confidence=turn.mood_confidence, correct=correct,
            parsed=check is not None and check.parsed, misconception=bool(check and check.misconception),
            note=check.note if check else "", wrong_streak=st.wrong_streak, hints_given=st.hints_given,
            worked_example_shown=st.worked_shown, mastery=st.mastery.get(problem.skill, 0.0),
            just_mastered=just_mastered, topic_done=topic_done(st, turn.threshold), struggled=struggled,
        )
    )  # fmt: skip
    extras: dict[str, Any] = {"misconception": check.misconception.name if check and check.misconception else "",
              "note": check.note if check else ""}  # fmt: skip
    if decision.move == "worked_example":
        plan = worked_example(turn, problem, empathy=decision.tone == "frustrated")
        plan.decision, plan.correct = decision, correct
        return plan
    if decision.move == "summarize":  # the whole topic is mastered: say so once and ask before stopping
        if st.topic not in st.done_topics:
            st.done_topics.append(st.topic)
            nxt = next_problem(st, cur, turn.selector)
            text = f"{turn.say.pick('topic_done', topic=cur.topics[st.topic].title.lower())} {nxt.prompt}"
            return Plan(text, Decision("praise", "happy", 0.8, tone=decision.tone), nxt, correct,
                        pending="confirm_stop", extras=extras)  # fmt: skip
        decision = Decision("praise", "happy", 0.6, next_problem=True, tone=decision.tone)  # keep practising
    parts = ReplyParts(topic=st.topic, intent=intent, value=check.shown if check else "", problem=problem)
    if check is not None:
        parts.misconception, parts.note = check.misconception, check.note
    parts.struggled = struggled and bool(correct)
    if just_mastered:
        parts.mastered_skill = cur.skills[problem.skill].name
    _carry_out(turn, decision, problem, bool(correct), parts)
    pending = ""
    every = turn.cfg.offer_harder_after
    streak = correct and st.right_streak >= every and st.right_streak % every == 0
    if streak and parts.problem is not None and parts.problem.difficulty < 3:
        # before the new problem: asked after it, the question read as one about that problem
        parts.offer = turn.say.pick("offer_harder", n=st.right_streak)
        pending = "offer_harder"
    text = turn.writer.write(decision.move, decision.tone, parts)
    extras["hint_level"] = parts.hint_level
    return Plan(text, decision, parts.problem, correct, pending=pending, extras=extras)


def _carry_out(turn: Turn, d: Decision, problem: Problem, correct: bool, parts: ReplyParts) -> None:
    """Apply the move to the dialogue state and gather what the reply must say."""
    st, cur = turn.state, turn.curriculum
    skill = cur.skills[problem.skill]
    parts.skill_name, parts.concept = skill.name, skill.concept
    wants_hint = d.move in ("hint", "reassure") or (d.move == "clarify" and d.tone == "confused")
    if wants_hint and not d.next_problem:
        level = min(st.hints_given, len(problem.hints) - 1)
        parts.hint, parts.hint_level = problem.hints[level], level + 1
        st.hints_given += 1
        st.step = max(st.step, min(level + 1, len(problem.worked_steps) - 1))
    if d.next_problem or correct:
        if not correct and st.attempted:  # moving away from a problem they tried: show its answer
            parts.previous_answer = problem.answer
        parts.problem = next_problem(
            st, cur, turn.selector, shift=d.difficulty_shift, prefer_other_skill=d.prefer_other_skill
        )
        parts.new_problem, parts.easier = True, d.difficulty_shift < 0
