"""Writing the tutor's reply: short, varied, about the actual problem, warm without gushing.

Each move has several phrasings; the writer never repeats the phrasing it used last time for
the same slot. Praise is for effort and strategy (Mueller & Dweck 1998), empathy comes before
help when the student is frustrated or anxious (Affective AutoTutor, D'Mello et al. 2010), and
feedback names the student's own numbers. `spoken` is derived from the display text by
`tutor.language.spoken.to_spoken` so the two never drift apart.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from tutor.types import Misconception, Problem

_T: dict[str, tuple[str, ...]] = {
    "opening": (
        "Hi! Let's work on {topic} together. Here's a first one:",
        "Hello! Today we're practising {topic}. Let's start with this:",
        "Hi there, ready for some {topic}? Try this one:",
    ),
    "right_quick": ("Right.", "Yes, {value} is correct.", "That's it.", "Correct: {value}."),
    # Only what the tutor saw: a right answer typed at once shows no working, steps or persistence.
    "praise_effort": (
        "Yes, {value} is right. Nicely done.",
        "Correct! Careful thinking pays off.",
        "That's right: {value}. Clear thinking.",
        "Nicely done, {value} is correct.",
    ),
    "praise_after_struggle": (
        "Yes, {value}! You stuck with it and got there.",
        "Correct, {value}. That took patience, and it worked.",
        "That's right. See, working through it step by step pays off.",
    ),
    "praise_feeling": (
        "I love that you're enjoying this. Your effort is showing.",
        "Great energy! Keep that going.",
        "That's the spirit. You're putting in real effort.",
    ),
    "mastered": (
        "That's {skill} mastered. Well earned!",
        "You've now mastered {skill}. Great practice.",
    ),
    "challenge": (
        "Correct, {value}. You seem ready for something tougher:",
        "Yes! Let's make it more interesting:",
        "Right again. Here's a harder one to sink your teeth into:",
    ),
    "challenge_feeling": (
        "Let's shake things up with something a bit harder:",
        "Sounds like you need a bigger challenge. Try this:",
    ),
    "try_again": (
        "Not quite, {value} isn't it. Have another go.",
        "Hmm, {value} isn't right yet. Take another look.",
        "Not {value}, but keep going. Try once more.",
    ),
    "encourage_bored": (
        "Not {value}. A quick re-check will get you there.",
        "Almost. Slow down for a second and check your working.",
    ),
    "move_on": (
        "That one was tough. The answer was {previous}; let's come at it from an easier angle.",
        "Let's set that one aside: the answer was {previous}. Here's a gentler one.",
    ),
    "empathy_frustrated": (
        "This one is frustrating, and that's okay.",
        "I can tell this is getting annoying. Let's slow down together.",
        "{topic} can be frustrating. You're not alone in that.",
    ),
    "reassure": (
        "Mistakes are how we learn, so no pressure here.",
        "It's okay to get it wrong; we'll take it slowly.",
        "No rush at all. Everyone finds this tricky at first.",
    ),
    "hint": ("Here's a hint: {hint}", "Hint: {hint}", "Try this: {hint}"),
    "last_hint": ("Last hint: {hint}", "One more step: {hint}"),
    "worked_intro": (
        "Let's look at a similar example together.",
        "Here's how a problem like this works.",
        "Let me show you one worked out.",
    ),
    "back_to_yours": ("Now try yours:", "Your turn again:", "Now have a go at yours:"),
    "explain": ("Good question.", "Let me explain.", "Here's the idea."),
    "clarify_unparsed": (
        "I couldn't read a number there. Type your answer like 3/4, 0.75 or x = 2.",
        "Could you write just the answer as a number, for example 3/4 or x = 2?",
    ),
    "clarify_confused": (
        "Let's slow down and look at what the question asks.",
        "Let me put it another way.",
    ),
    "not_simplest": (
        "{value} has the right value, but it can be simplified further.",
        "Right value! Now write {value} in lowest terms.",
    ),
    "decimal_for_percent": (
        "{value} is the decimal; as a percent, multiply by 100.",
        "Close: {value} is the decimal form. The question wants a percent.",
    ),
    "percent_for_number": ("That's a percent; the question wants a plain number here.",),
    "several_answers": (
        "I can see more than one answer there. Which one is yours? Type just that one.",
        "That's more than one answer. Which one do you think is right? Type just that one.",
    ),
    "redirect": (
        "Ha, good question, but let's keep our focus on maths for now.",
        "Let's save that for later and get back to the problem.",
        "Interesting! But let's stick with our maths for now.",
    ),
    "greeting": (
        "Hi! How is it going so far?",
        "Hello! Nice to have you here. How are you finding it?",
        "Hey! Glad you're here.",
    ),
    "check_in": (
        "Thanks for telling me. How are you finding it so far?",
        "Got it. Tell me if you'd like a hint at any point.",
        "Okay! Shall we keep going?",
    ),
    "summary": (
        "Good work today.",
        "That's a good session.",
        "Thanks for working with me today.",
    ),
    "support": (
        "I'm really sorry you're feeling this way, and I'm glad you told me. Please talk to a "
        "trusted adult right now, like a parent, a teacher or the school counsellor. If you are in "
        "danger, call your local emergency number. I've let your teacher know so someone can help.",
        "Thank you for telling me; what you're going through matters. Please reach out to a "
        "trusted adult, such as a parent, a teacher or a school counsellor, today. If you might be "
        "in danger, call your local emergency number now. I've flagged this for your teacher.",
    ),
    "new_problem": ("Next:", "Here's the next one:", "Try this:", "Another one:"),
    "easier_problem": ("Let's try one that's a bit easier:", "Here's a gentler one:"),
    "same_problem": ("Here it is again:", "The problem was:", "Remember, we're on:"),
}


@dataclass
class ReplyParts:
    """The facts a reply may mention, gathered by the session."""

    topic: str = ""
    intent: str = ""  # how the student's message was read
    value: str = ""  # the student's answer as typed-and-normalised ("3/4")
    problem: Problem | None = None  # the problem on the table after this turn
    new_problem: bool = False  # `problem` is new this turn
    easier: bool = False  # the new problem was made easier on purpose
    hint: str = ""
    hint_level: int = 0  # 1..3 for the hint shown this turn
    misconception: Misconception | None = None
    note: str = ""
    worked: Problem | None = None  # the sibling problem solved as a worked example
    concept: str = ""
    skill_name: str = ""
    mastered_skill: str = ""  # name of a skill mastered by this answer
    struggled: bool = False  # a right answer that came after wrong attempts or hints
    previous_answer: str = ""  # answer of an unsolved problem the tutor moves away from
    offer: str = ""  # a question for the student, said before the problem line (it is not about the problem)
    summary: list[tuple[str, float]] = field(default_factory=list)  # (skill name, P(L))


class ReplyWriter:
    """Picks varied phrasings; one per session (seeded) so replies are reproducible in tests."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._last: dict[str, int] = {}

    def pick(self, key: str, **values: str) -> str:
        """One phrasing for `key`, never the same as last time when there is a choice."""
        options = _T[key]
        choices = [i for i in range(len(options)) if i != self._last.get(key)] or [0]
        i = self._rng.choice(choices)
        self._last[key] = i
        return options[i].format(**values)

    def write(self, move: str, tone: str, parts: ReplyParts) -> str:
        """The display text for one move."""
        topic = parts.topic.replace("_", " ")
        v = {"value": parts.value, "topic": topic.capitalize(), "skill": parts.skill_name}
        lines: list[str] = []
        if move == "flag":
            return self.pick("support")
        if move == "summarize":
            return self._summary(parts)
        if move == "pose_problem":
            lines.append(self.pick("right_quick", **v) if parts.value else "")
        elif move == "praise":
            after_struggle = parts.struggled or tone in ("frustrated", "anxious")
            key = "praise_after_struggle" if after_struggle and parts.value else ""
            key = key or ("praise_effort" if parts.value else "praise_feeling")
            lines.append(self.pick(key, **v))
            if parts.mastered_skill:
                lines.append(self.pick("mastered", skill=parts.mastered_skill))
        elif move == "challenge":
            lines.append(self.pick("challenge" if parts.value else "challenge_feeling", **v))
        elif move == "encourage":
            if parts.previous_answer and parts.new_problem:
                if tone == "frustrated":
                    lines.append(self.pick("empathy_frustrated", **v))
                lines.append(self.pick("move_on", previous=parts.previous_answer))
            elif tone == "frustrated":
                lines.append(self.pick("empathy_frustrated", **v))
            elif tone == "bored":
                lines.append(self.pick("encourage_bored", **v))
            else:
                lines.append(self.pick("try_again", **v) if parts.value else self.pick("check_in"))
        elif move == "reassure":
            lines.append(self.pick("reassure"))
            if parts.hint:
                lines.append(self.pick("hint", hint=parts.hint))
        elif move == "hint":
            lines += self._feedback(parts, v)
            key = "last_hint" if parts.hint_level >= 3 else "hint"
            lines.append(self.pick(key, hint=parts.hint))
        elif move == "clarify":
            lines += self._clarify(parts, v, tone)
        elif move == "worked_example":
            lines += self._worked(parts, tone)
        elif move == "explain":
            lines += [self.pick("explain"), parts.concept]
        elif move == "redirect":
            lines.append(self.pick("redirect"))
        elif move == "check_in":
            lines.append(self.pick("greeting" if parts.intent == "greeting" else "check_in"))
        lines += [parts.offer, self._problem_line(parts, move)]
        return " ".join(line for line in lines if line).strip()

    def opening(self, topic: str, problem: Problem) -> str:
        return f"{self.pick('opening', topic=topic.replace('_', ' '))} {problem.prompt}"

    def _feedback(self, parts: ReplyParts, v: dict[str, str]) -> list[str]:
        if parts.misconception is not None:
            return [parts.misconception.feedback]
        if parts.note in ("not_simplest", "decimal_for_percent", "percent_for_number", "several_answers"):
            return [self.pick(parts.note, **v)]
        if parts.value:
            return [self.pick("try_again", **v).split(".")[0] + "."]
        return []

    def _clarify(self, parts: ReplyParts, v: dict[str, str], tone: str) -> list[str]:
        if parts.misconception is not None or parts.note:
            return self._feedback(parts, v)
        if not parts.value and tone != "confused":
            return [self.pick("clarify_unparsed")]
        first_sentence = parts.concept.split(". ")[0].rstrip(".") + "."
        return [self.pick("clarify_confused"), first_sentence, parts.hint]

    def _worked(self, parts: ReplyParts, tone: str) -> list[str]:
        topic = parts.topic.replace("_", " ").capitalize()
        lines = [self.pick("empathy_frustrated", topic=topic)] if tone == "frustrated" else []
        if parts.worked is not None:
            lines.append(self.pick("worked_intro"))
            prompt = parts.worked.prompt
            lines.append(f"Example: {prompt}" + ("" if prompt.endswith((".", "?", "!")) else "."))
            lines.extend(parts.worked.worked_steps)
        return lines

    def _problem_line(self, parts: ReplyParts, move: str) -> str:
        if parts.problem is None:
            return ""
        if parts.new_problem:
            key = "easier_problem" if parts.easier else "new_problem"
            if move == "challenge" or parts.previous_answer:
                return parts.problem.prompt
            return f"{self.pick(key)} {parts.problem.prompt}"
        if move == "worked_example":
            return f"{self.pick('back_to_yours')} {parts.problem.prompt}"
        if move in ("redirect", "check_in", "explain", "reassure", "praise", "clarify"):
            return f"{self.pick('same_problem')} {parts.problem.prompt}"
        return ""

    def _summary(self, parts: ReplyParts) -> str:
        mastered = [name for name, p in parts.summary if p >= 0.95]
        growing = [name for name, p in parts.summary if p < 0.95]
        lines = [self.pick("summary")]
        if mastered:
            lines.append(f"Mastered: {', '.join(mastered)}.")
        if growing:
            lines.append(f"Still growing: {', '.join(growing)}.")
        lines.append("See you next time!")
        return " ".join(lines)
