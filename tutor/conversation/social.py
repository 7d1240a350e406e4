"""Acts about the conversation rather than the problem: greeting, meta, concept_question, off_topic,
abuse, distress, and the wellbeing care reply. Each answers briefly and hands back to the task.
"""

from __future__ import annotations

import re

from tutor.conversation.turn import Plan, Turn
from tutor.policy import Decision

_NEGATIVE = ("frustrated", "anxious", "bored", "confused")
_THANKS = re.compile(r"^\W*(?:thanks|thank you|thx|ty|cheers|ta)\b", re.IGNORECASE)
_SORRY = re.compile(r"^\W*(?:sorry|soz|sry|oops|my bad|apologies)\b", re.IGNORECASE)
_HELLO = re.compile(r"^\W*(?:hi|hello|hey|hiya|yo|good (?:morning|afternoon|evening)|howdy|sup)\b", re.IGNORECASE)


def _back(turn: Turn, text: str) -> str:
    problem = turn.problem
    return f"{text} {turn.say.pick('back_to_task')} {problem.prompt}" if problem is not None else text


def greeting_key(text: str) -> str:
    """Which social formula a greeting-act message is: thanks, sorry, hello, or a plain acknowledgement."""
    # an apology answered "Great." sounded glad of the mistake (tutor8's shy student): reassure instead
    if _THANKS.search(text):
        return "greeting_thanks"
    if _SORRY.search(text):
        return "greeting_sorry"
    return "greeting_hello" if _HELLO.search(text) else "greeting_ok"


def on_greeting(turn: Turn) -> Plan:
    key = greeting_key(turn.text)
    emotion = "encouraging" if turn.mood in _NEGATIVE else "happy"
    return Plan(_back(turn, turn.say.pick(key)), Decision("check_in", emotion, 0.4, tone=turn.mood), turn.problem)


def on_meta(turn: Turn) -> Plan:
    """Who the tutor is, that it is an AI, what the camera does and what it remembers."""
    match = turn.banks.meta.best(turn.read.vector)
    topic = match.label if match is not None and match.similarity >= turn.cfg.meta_similarity else "name"
    answer = turn.say.meta[topic].answer.format(topics=turn.topics_text())
    return Plan(_back(turn, answer), Decision("check_in", "happy" if topic == "name" else "neutral", 0.4),
                turn.problem, extras={"meta": topic})  # fmt: skip


def on_concept_question(turn: Turn) -> Plan:
    """An answer from the concept bank chosen by embedding similarity, or an honest "I can't help"."""
    match = turn.banks.concepts.best(turn.read.vector)
    if match is None or match.similarity < turn.cfg.concept_similarity:
        text = turn.say.pick("concept_unknown", topics=turn.topics_text())
        return Plan(_back(turn, text), Decision("clarify", "neutral", 0.4), turn.problem,
                    extras={"concept": "", "similarity": round(match.similarity, 3) if match else 0.0})  # fmt: skip
    concept = turn.banks.concept_by_id[match.label]
    turn.state.explained = concept.answer()
    return Plan(_back(turn, concept.answer()), Decision("explain", "thinking", 0.5), turn.problem,
                extras={"concept": concept.id, "similarity": round(match.similarity, 3)})  # fmt: skip


def on_off_topic(turn: Turn) -> Plan:
    return Plan(_back(turn, turn.say.pick("off_topic")), Decision("redirect", "neutral", 0.35), turn.problem)


def on_abuse(turn: Turn) -> Plan:
    """Calm, not defensive, no cheerful face, back to the task; repeated abuse is noted for the teacher."""
    st = turn.state
    st.abuse += 1
    first = turn.cfg.abuse_note_at
    repeat = st.abuse == first or (st.abuse > first and st.abuse % 5 == 0)
    flag = ("note", f"abusive messages ({st.abuse} this session)") if repeat else None
    return Plan(_back(turn, turn.say.pick("abuse")), Decision("redirect", "neutral", 0.3), turn.problem, flag=flag,
                extras={"abuse_count": st.abuse})  # fmt: skip


def on_distress(turn: Turn) -> Plan:
    """Safeguarding: support, a trusted adult, and a flag for the teacher (as before issue 11)."""
    return Plan(turn.writer.pick("support"), Decision("flag", "concerned", 0.5, tone="distress"), turn.problem,
                flag=("distress", turn.read.reason or "distress"))  # fmt: skip


def on_wellbeing(turn: Turn) -> Plan:
    """Sadness, loneliness or bullying: care first, never a hint, and a wellbeing flag for the teacher."""
    return Plan(turn.say.pick("wellbeing"), Decision("reassure", "concerned", 0.5, tone=turn.mood), turn.problem,
                flag=("wellbeing", turn.wellbeing))  # fmt: skip
