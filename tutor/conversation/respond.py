"""Dispatch: which handler answers which dialogue act, and the rules that come before any handler.

Order (most important first): distress is answered as distress; a wellbeing concern (sad, lonely,
bullied) gets care instead of whatever else the message was read as; "this is too hard" read as
a request for harder is answered as the feeling it is; a bare acknowledgement that reads as stuck
("idk") gets a hint; after a goodbye, a student who
writes again simply goes on with a fresh problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from tutor.conversation import answering, navigation, social, worked
from tutor.conversation.turn import Plan, Turn
from tutor.dialogue import next_problem
from tutor.policy import Decision

Handler = Callable[[Turn], Plan]
_STUCK = ("confused", "frustrated")  # learner states of a message that asks for help even when it says little
_TOO_HARD = re.compile(r"\b(?:too|so|way too|really) (?:hard|difficult|tricky|confusing)\b", re.IGNORECASE)

HANDLERS: dict[str, Handler] = {
    "answer": answering.on_answer,
    "hint_request": answering.on_hint_request,
    "feeling": answering.on_feeling,
    "worked_example_request": worked.on_worked_example_request,
    "why_question": worked.on_why_question,
    "rephrase_request": worked.on_rephrase_request,
    "skip": navigation.on_skip,
    "harder": navigation.on_harder,
    "easier": navigation.on_easier,
    "scenario_request": navigation.on_scenario_request,
    "progress_question": navigation.on_progress_question,
    "change_topic": navigation.on_change_topic,
    "concept_question": social.on_concept_question,
    "greeting": social.on_greeting,
    "meta": social.on_meta,
    "off_topic": social.on_off_topic,
    "abuse": social.on_abuse,
    "distress": social.on_distress,
}
# Acts about "the problem" that make no sense once the session was summed up: pose a fresh one instead.
_NEED_PROBLEM = ("answer", "hint_request", "worked_example_request", "why_question", "rephrase_request")


# A student who was just comforted (a wellbeing concern, distress, an upset feeling answered with a
# concerned face) and says goodbye a few messages later is still upset, even when the fused mood has
# moved on: their goodbye gets the break offer, never a cheerful summary.
UPSET_MEMORY_TURNS = 4


def respond(turn: Turn, *, text_state: str, track_state: str) -> Plan:
    """The plan for one message. text_state: the learner state the message itself expresses;
    track_state: the fused track's state before this message's self-report (what the student has been)."""
    plan = _respond(turn, text_state=text_state, track_state=track_state)
    st = turn.state
    if plan.decision.avatar_emotion == "concerned":
        st.upset_turns = UPSET_MEMORY_TURNS
    elif plan.correct or turn.mood in ("engaged", "delighted"):
        st.upset_turns = 0  # a right answer or a good mood since: the upset has passed
    else:
        st.upset_turns = max(0, st.upset_turns - 1)
    return plan


def _respond(turn: Turn, *, text_state: str, track_state: str) -> Plan:
    act = turn.act
    if act == "distress":
        return social.on_distress(turn)
    if turn.wellbeing:
        return social.on_wellbeing(turn)
    if act == "stop":
        return navigation.on_stop(turn, (text_state, track_state))
    if act == "harder" and _TOO_HARD.search(turn.text):  # "this is too hard" complains; it asks for nothing harder
        turn.act = act = "feeling"  # never a harder problem right after frustration (D'Mello & Graesser 2012)
    if act == "greeting" and text_state in _STUCK and social.greeting_key(turn.text) == "greeting_ok":
        # "idk" read as a bare "ok" was answered "Alright." and the shy student left stuck: a short
        # message whose own words say confused or frustrated asks for help
        turn.act = act = "hint_request"
    st = turn.state
    if st.problem_id is None:  # after a goodbye the student simply goes on
        st.summarized = False
        new = next_problem(st, turn.curriculum, turn.selector)
        if act in _NEED_PROBLEM:
            return Plan(f"{turn.say.pick('skip')} {new.prompt}", Decision("pose_problem", "encouraging", 0.4), new)
        if act == "skip":
            return Plan(f"{turn.say.pick('skip')} {new.prompt}", Decision("pose_problem", "encouraging", 0.35), new)
    return HANDLERS[act](turn)
