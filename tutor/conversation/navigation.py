"""Acts that steer the session: skip, harder, easier, change_topic, scenario_request, progress_question, stop.

None of them is evidence about what the student knows (a skip is not a wrong answer), and all but
stop keep the session going with a problem on the table.
"""

from __future__ import annotations

from collections import Counter

from tutor.conversation.turn import Plan, Turn
from tutor.curriculum import DIFFICULTIES
from tutor.dialogue import next_problem, place_problem
from tutor.policy import Decision

UPSET = ("frustrated", "anxious")  # a student in these states who wants to stop is offered a break first


def on_skip(turn: Turn) -> Plan:
    new = next_problem(turn.state, turn.curriculum, turn.selector)
    return Plan(f"{turn.say.pick('skip')} {new.prompt}", Decision("pose_problem", "encouraging", 0.35), new)


def on_harder(turn: Turn) -> Plan:
    return _shift(turn, +1)


def on_easier(turn: Turn) -> Plan:
    return _shift(turn, -1)


def _shift(turn: Turn, step: int) -> Plan:
    """The next problem one level harder (easier) than this one, and the selector follows from now on."""
    st, problem = turn.state, turn.problem
    current = problem.difficulty if problem else DIFFICULTIES[len(DIFFICULTIES) // 2]
    target = max(DIFFICULTIES[0], min(DIFFICULTIES[-1], current + step))
    most = turn.cfg.max_difficulty_bias
    st.difficulty_bias = max(-most, min(most, st.difficulty_bias + step))
    skill = problem.skill if problem else None
    new = next_problem(st, turn.curriculum, turn.selector, skill=skill, difficulty=target)
    if step < 0 and st.pending == "offer_break":
        key = "break_declined"  # "no" to "shall we take a break?": carry on, gently
    elif target == current:
        key = "harder_max" if step > 0 else "easier_min"
    else:
        key = "harder" if step > 0 else "easier"
    emotion = "surprised" if step > 0 else "encouraging"
    return Plan(f"{turn.say.pick(key)} {new.prompt}", Decision("challenge" if step > 0 else "encourage", emotion,
                0.45, difficulty_shift=step), new, extras={"difficulty": new.difficulty})  # fmt: skip


def on_change_topic(turn: Turn) -> Plan:
    """Switch to the named topic of the curriculum; an unknown one gets the list of topics on offer."""
    st, cur, target = turn.state, turn.curriculum, turn.read.topic
    problem = turn.problem
    if target is None or target not in cur.topics:
        text = turn.say.pick("topic_unknown", topics=turn.topics_text())
        if problem is not None:
            text = f"{text} {turn.say.pick('back_to_task')} {problem.prompt}"
        return Plan(text, Decision("redirect", "neutral", 0.35), problem, pending="which_topic",
                    extras={"topic_named": target or ""})  # fmt: skip
    title = cur.topics[target].title.lower()
    if target == st.topic and problem is not None:
        text = f"{turn.say.pick('topic_same', topic=title)} {turn.say.pick('back_to_task')} {problem.prompt}"
        return Plan(text, Decision("check_in", "neutral", 0.35), problem)
    st.topic = target
    fresh = [s for s in cur.topics[target].skills if s not in st.mastery]
    if fresh:
        start = turn.mastery_for(fresh) if turn.mastery_for else {s: cur.skills[s].bkt.p_init for s in fresh}
        st.mastery.update(start)
    st.difficulty_bias = 0
    new = next_problem(st, cur, turn.selector)
    text = f"{turn.say.pick('topic_switch', topic=title)} {new.prompt}"
    return Plan(text, Decision("pose_problem", "happy", 0.4), new, extras={"topic": target})


def on_scenario_request(turn: Turn) -> Plan:
    """A new problem of the same skill and level, told as an everyday word problem."""
    st, cur, problem = turn.state, turn.curriculum, turn.problem
    plain = next_problem(st, cur, turn.selector, skill=problem.skill if problem else None,
                         difficulty=problem.difficulty if problem else None)  # fmt: skip
    story = place_problem(st, cur.as_scenario(plain, st.stories))
    st.stories += 1
    return Plan(f"{turn.say.pick('scenario')} {story.prompt}", Decision("pose_problem", "happy", 0.4), story,
                extras={"scenario": story.id})  # fmt: skip


def on_progress_question(turn: Turn) -> Plan:
    """Mastered, growing, right and wrong so far; then the session goes on."""
    st, cur, say = turn.state, turn.curriculum, turn.say
    right = sum(1 for _, ok in st.history if ok)
    wrong = len(st.history) - right
    lines = [say.pick("progress_counts", right=right, wrong=wrong) if st.history else say.pick("progress_none")]
    skills = [cur.skills[s] for s in cur.topics[st.topic].skills]
    mastered = [s.name.lower() for s in skills if st.mastery[s.id] >= turn.threshold]
    growing = [f"{s.name.lower()} (about {round(100 * st.mastery[s.id])}%)" for s in skills
               if st.mastery[s.id] < turn.threshold]  # fmt: skip
    if mastered:
        lines.append(say.pick("progress_mastered", skills=", ".join(mastered)))
    if growing:
        lines.append(say.pick("progress_growing", skills="; ".join(growing)))
    problem = turn.problem or next_problem(st, cur, turn.selector)
    lines.append(f"{say.pick('progress_go_on')} {problem.prompt}")
    return Plan(" ".join(lines), Decision("check_in", "encouraging", 0.4), problem,
                extras={"right": right, "wrong": wrong})  # fmt: skip


def on_stop(turn: Turn, states: tuple[str, ...]) -> Plan:
    """Goodbye with a summary of what was practised; an upset student is offered a break first.

    states: other readings of the student (this message alone, the track before it): upset in any counts.
    """
    st, say = turn.state, turn.say
    took_break = st.pending == "offer_break"  # "yes" to the break we offered an upset student
    upset = took_break or st.upset_turns > 0 or any(s in UPSET for s in (turn.mood, *states))
    if upset and not took_break:
        return Plan(say.pick("stop_upset"), Decision("reassure", "concerned", 0.5, tone=turn.mood), turn.problem,
                    pending="offer_break")  # fmt: skip
    counts = Counter(skill for skill, _ in st.history)
    right = sum(1 for _, ok in st.history if ok)
    names = [turn.curriculum.skills[s].name.lower() for s in counts]
    lines = [say.pick("summary_intro")]
    if names:
        skills = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]
        lines.append(say.pick("summary_practised", skills=skills, right=right, wrong=len(st.history) - right))
    else:
        lines.append(say.pick("summary_nothing"))
    lines.append(say.pick("summary_bye"))
    st.summarized = True
    st.problem_id = None  # the next message starts a fresh problem
    emotion = "encouraging" if upset else "happy"  # never cheer at a student who is fed up
    return Plan(" ".join(lines), Decision("summarize", emotion, 0.4 if upset else 0.5, tone=turn.mood), None,
                extras={"practised": sorted(counts)})  # fmt: skip
