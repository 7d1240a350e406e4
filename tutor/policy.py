"""The dialogue policy: (learner state, correctness, mastery, intent) -> move, avatar emotion, intensity.

A small object behind a Protocol, so variants can be compared in the simulation benchmark and
in classroom studies. The affect-sensitive policy follows these findings:

- D'Mello & Graesser 2012 ("Dynamics of affective states during complex learning"): confusion
  that is resolved helps learning, so a confused but engaged student gets a hint or a
  clarification rather than the answer; unresolved confusion turns into frustration, and
  frustration into boredom, so frustration is met at once.
- Affective AutoTutor (D'Mello et al. 2010; D'Mello & Graesser 2012, ACM TiiS): on negative
  affect the tutor first empathises, then gives support (a worked example or an easier problem);
  it never raises the difficulty right after frustration.
- Baker et al. 2010 ("Better to be frustrated than bored"): boredom is the most persistent and
  harmful state, so a bored student is challenged (a harder problem or a new skill) or given
  variety.
- Woolf et al. 2009 ("Affect-aware tutors"): anxious students are reassured, mistakes are
  normalised, and the pace slows (no new material on top of a wrong answer).
- Dweck 2006 / Mueller & Dweck 1998: praise effort and strategy, not ability ("you worked that
  out carefully", never "you're so smart").
- Kapur 2008 ("Productive failure"): a first wrong attempt without a recognised misconception
  gets a short "try again" before any hint, so the student keeps ownership of the struggle.
- Corbett & Anderson 1995: mastery learning moves on once P(L) >= 0.95; Cognitive Tutor's hint
  ladder ends in a bottom-out hint, after which a worked example is the next step.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Protocol

# Below this confidence the fused reading is treated as "neutral": acting on a weak reading does
# more harm than ignoring it (Affective AutoTutor only responded to confident detections).
MIN_AFFECT_CONFIDENCE = 0.3
# Hints per problem before the worked example: the 3-step ladder of Cognitive Tutor.
HINT_LADDER = 3
# "neutral" in the fused track means "no evidence", and the tracker keeps earlier neutral readings for
# a while (affect persists), so one clearly frustrated message after several plain answers fuses to
# about 0.37 frustrated vs 0.53 neutral (measured with the shipped TextAffect and AffectTracker,
# messages 15 s apart). A learner state holding at least this share of the fused mass is acted on.
MIN_STATE_SHARE = 0.3


def acted_state(scores: dict[str, float], label: str) -> str:
    """The state the policy responds to: the strongest non-neutral state if it holds MIN_STATE_SHARE."""
    if label != "neutral":
        return label
    others = {s: p for s, p in scores.items() if s != "neutral"}
    if not others:
        return label
    best = max(others, key=lambda s: others[s])
    return best if others[best] >= MIN_STATE_SHARE else label


@dataclass(frozen=True)
class PolicyContext:
    """Everything the policy may look at for one turn."""

    intent: str  # the dialogue act (one of tutor.types.DIALOGUE_ACTS) the policy answers
    state: str  # fused learner state (one of LEARNER_STATES)
    state_confidence: float  # 0..1, confidence of the fused reading
    correct: bool | None = None  # verdict if the message was an answer, else None
    parsed: bool = True  # False: the student meant to answer but no number could be read
    misconception: bool = False  # the wrong answer matched a known faulty procedure
    note: str = ""  # checker note (not_simplest, decimal_for_percent, ...)
    wrong_streak: int = 0  # consecutive wrong attempts at the current problem
    hints_given: int = 0  # hints already shown for the current problem
    worked_example_shown: bool = False  # a worked example was already given for this problem
    mastery: float = 0.0  # P(L) of the current skill after this turn
    just_mastered: bool = False  # this answer took the skill over the mastery threshold
    struggled: bool = False  # the problem took wrong attempts or hints before this answer
    topic_done: bool = False  # every skill of the topic is mastered


@dataclass(frozen=True)
class Decision:
    """What to do now."""

    move: str  # one of tutor.types.MOVES
    avatar_emotion: str  # one of AVATAR_EMOTIONS
    intensity: float  # 0..1
    next_problem: bool = False  # pose a new problem after this move
    difficulty_shift: int = 0  # -1 easier, +1 harder than the selector would choose
    prefer_other_skill: bool = False  # variety: pick a different skill if one is open
    tone: str = "neutral"  # the learner state the wording should acknowledge


class Policy(Protocol):
    """Maps a turn's context to a pedagogical decision."""

    @property
    def name(self) -> str: ...

    def decide(self, ctx: PolicyContext) -> Decision: ...


def _scale(base: float, confidence: float, spread: float = 0.3) -> float:
    """Intensity grows with how sure we are of the student's state, bounded to [0.1, 1]."""
    return round(max(0.1, min(1.0, base + spread * (confidence - 0.5))), 3)


@dataclass(frozen=True)
class AffectSensitivePolicy:
    """The policy of issue 4: pedagogy first, tuned by the fused learner state."""

    min_confidence: float = MIN_AFFECT_CONFIDENCE
    name: str = "affect_sensitive"

    def decide(self, ctx: PolicyContext) -> Decision:
        state = ctx.state if ctx.state_confidence >= self.min_confidence else "neutral"
        conf = ctx.state_confidence if state != "neutral" else 0.5
        if ctx.intent == "distress":  # safeguarding overrides everything (see tutor.language.safety)
            return Decision("flag", "concerned", 0.5, tone="distress")
        if ctx.intent == "stop":  # never cheer at a student who wants to quit in frustration or worry
            if state in ("frustrated", "anxious"):
                return Decision("reassure", "concerned", 0.5, tone=state)
            return Decision("summarize", "happy", 0.5, tone=state)
        if ctx.intent == "answer":
            return self._answer(ctx, state, conf)
        if ctx.intent == "hint_request":
            return self._help(ctx, state, conf)
        if ctx.intent in ("why_question", "concept_question"):
            return Decision("explain", "thinking", 0.5, tone=state)
        if ctx.intent == "greeting":
            return Decision("check_in", "happy", 0.45, tone=state)
        if ctx.intent == "off_topic":
            return Decision("redirect", "neutral", 0.35, tone=state)
        return self._feeling(state, conf)

    def _answer(self, ctx: PolicyContext, state: str, conf: float) -> Decision:
        if not ctx.parsed:
            return Decision("clarify", "thinking", 0.4, tone=state)
        if ctx.correct:
            if ctx.topic_done:
                return Decision("summarize", "happy", 0.8, tone=state)
            if state == "frustrated":  # success after frustration: praise, and never harder next
                return Decision("praise", "encouraging", _scale(0.6, conf), True, -1, tone=state)
            if state == "bored":  # Baker et al. 2010: challenge the bored student
                return Decision("challenge", "surprised", _scale(0.5, conf), True, +1, ctx.mastery > 0.7, state)
            if ctx.just_mastered or ctx.struggled or state in ("delighted", "confused", "anxious"):
                base = 0.8 if state == "delighted" or ctx.just_mastered else 0.55
                return Decision("praise", "happy", _scale(base, conf), True, tone=state)
            # Engaged or neutral and right first time: stay out of the way, straight to the next problem.
            # (After a struggle the branch above praises the persistence, Mueller & Dweck 1998.)
            return Decision("pose_problem", "happy", 0.3, True, tone=state)
        if state == "frustrated":  # empathise, then a worked example; then an easier problem
            if ctx.worked_example_shown:
                return Decision("encourage", "concerned", _scale(0.45, conf), True, -1, tone=state)
            return Decision("worked_example", "concerned", _scale(0.4, conf), tone=state)
        if state == "anxious":  # Woolf et al. 2009: normalise mistakes, slow down
            return Decision("reassure", "encouraging", _scale(0.35, conf, 0.1), tone=state)
        stuck = ctx.wrong_streak >= 2 or ctx.hints_given >= HINT_LADDER
        if ctx.worked_example_shown and stuck:  # still stuck after the example: ease off
            return Decision("encourage", "encouraging", 0.45, True, -1, tone=state)
        if ctx.misconception or ctx.note:
            return Decision("clarify", "thinking", 0.5, tone=state)
        if state == "bored":
            return Decision("encourage", "encouraging", _scale(0.55, conf), tone=state)
        if ctx.hints_given >= HINT_LADDER or ctx.wrong_streak >= HINT_LADDER + 1:
            return Decision("worked_example", "thinking", 0.45, tone=state)
        if ctx.wrong_streak <= 1 and state != "confused":  # Kapur 2008: let them try again first
            return Decision("encourage", "encouraging", 0.45, tone=state)
        return Decision("hint", "thinking", 0.45, tone=state)

    def _help(self, ctx: PolicyContext, state: str, conf: float) -> Decision:
        if ctx.worked_example_shown:  # hints and the example did not do it: an easier problem
            return Decision("encourage", "encouraging", _scale(0.45, conf), True, -1, tone=state)
        if ctx.hints_given >= HINT_LADDER:
            return Decision("worked_example", "thinking", 0.5, tone=state)
        if state == "frustrated":
            return Decision("worked_example", "concerned", _scale(0.4, conf), tone=state)
        if state == "anxious":
            return Decision("reassure", "encouraging", _scale(0.35, conf, 0.1), tone=state)
        return Decision("hint", "thinking", 0.45, tone=state)

    def _feeling(self, state: str, conf: float) -> Decision:
        if state == "frustrated":  # empathise, then an easier problem
            return Decision("encourage", "concerned", _scale(0.5, conf), True, -1, tone=state)
        if state == "anxious":
            return Decision("reassure", "encouraging", _scale(0.35, conf, 0.1), tone=state)
        if state == "bored":
            return Decision("challenge", "surprised", _scale(0.5, conf), True, +1, True, tone=state)
        if state == "confused":
            return Decision("clarify", "thinking", 0.5, tone=state)
        if state == "delighted":
            return Decision("praise", "happy", _scale(0.75, conf), tone=state)
        return Decision("check_in", "neutral", 0.4, tone=state)


@dataclass(frozen=True)
class AffectBlindPolicy:
    """Baseline: the same pedagogy with the learner state ignored (a classic Cognitive Tutor)."""

    name: str = "affect_blind"

    def decide(self, ctx: PolicyContext) -> Decision:
        blind = dataclasses.replace(ctx, state="neutral", state_confidence=0.0)
        return AffectSensitivePolicy().decide(blind)


POLICIES: dict[str, type[AffectSensitivePolicy] | type[AffectBlindPolicy]] = {
    "affect_sensitive": AffectSensitivePolicy,
    "affect_blind": AffectBlindPolicy,
}
