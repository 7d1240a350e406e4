"""The dialogue policy as a pure function: every learner state, every move, literature constraints."""

from __future__ import annotations

import itertools

import pytest

from affect.types import AVATAR_EMOTIONS, LEARNER_STATES
from tutor.policy import AffectBlindPolicy, AffectSensitivePolicy, PolicyContext
from tutor.types import MOVES

POLICY = AffectSensitivePolicy()


def ctx(intent: str, state: str = "neutral", conf: float = 0.8, **kw: object) -> PolicyContext:
    return PolicyContext(intent=intent, state=state, state_confidence=conf, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("context", "move"),
    [
        (ctx("answer", "engaged", correct=True), "pose_problem"),  # stay out of the way
        (ctx("answer", "delighted", correct=True), "praise"),
        (ctx("answer", "bored", correct=True, mastery=0.8), "challenge"),
        (ctx("answer", "frustrated", correct=False), "worked_example"),
        (ctx("answer", "frustrated", correct=False, worked_example_shown=True), "encourage"),
        (ctx("answer", "anxious", correct=False), "reassure"),
        (ctx("answer", "confused", correct=False, wrong_streak=1), "hint"),
        (ctx("answer", "neutral", correct=False, wrong_streak=1), "encourage"),  # productive failure first
        (ctx("answer", "neutral", correct=False, wrong_streak=2), "hint"),
        (ctx("answer", "neutral", correct=False, misconception=True, wrong_streak=1), "clarify"),
        (ctx("answer", "neutral", correct=False, wrong_streak=3, hints_given=3), "worked_example"),
        (ctx("answer", "neutral", parsed=False), "clarify"),
        (ctx("answer", "neutral", correct=True, topic_done=True), "summarize"),
        (ctx("hint_request", "neutral"), "hint"),
        (ctx("hint_request", "frustrated"), "worked_example"),
        (ctx("why_question", "engaged"), "explain"),
        (ctx("greeting"), "check_in"),
        (ctx("off_topic", "bored"), "redirect"),
        (ctx("stop", "bored"), "summarize"),
        (ctx("stop", "frustrated", 0.9), "reassure"),  # a break offered, never a cheerful goodbye
        (ctx("distress", "delighted"), "flag"),
        (ctx("feeling", "bored"), "challenge"),
        (ctx("feeling", "anxious"), "reassure"),
        (ctx("feeling", "confused"), "clarify"),
        (ctx("feeling", "frustrated"), "encourage"),
    ],
)
def test_expected_moves(context: PolicyContext, move: str) -> None:
    d = POLICY.decide(context)
    assert d.move == move
    assert d.avatar_emotion in AVATAR_EMOTIONS and 0.0 <= d.intensity <= 1.0


def test_every_move_is_reachable_and_every_state_is_handled() -> None:
    seen: set[str] = set()
    intents = ("answer", "hint_request", "why_question", "greeting", "off_topic", "stop", "feeling", "distress")
    for state, intent, correct, streak, hints, mis in itertools.product(
        LEARNER_STATES, intents, (True, False), (1, 2, 4), (0, 3), (False, True)
    ):
        d = POLICY.decide(ctx(intent, state, correct=correct, wrong_streak=streak, hints_given=hints,
                              misconception=mis, mastery=0.8))  # fmt: skip
        seen.add(d.move)
        if state == "frustrated":
            assert d.difficulty_shift <= 0, "never a harder problem right after frustration"
    assert seen == set(MOVES)


def test_frustration_is_met_with_empathy_and_an_easier_problem() -> None:
    d = POLICY.decide(ctx("answer", "frustrated", correct=True))
    assert d.difficulty_shift == -1 and d.next_problem
    d = POLICY.decide(ctx("feeling", "frustrated"))
    assert d.avatar_emotion == "concerned" and d.difficulty_shift == -1


def test_weak_affect_readings_are_ignored() -> None:
    assert POLICY.decide(ctx("answer", "bored", conf=0.1, correct=True)).move == "pose_problem"


def test_affect_blind_baseline_differs_only_through_affect() -> None:
    blind = AffectBlindPolicy()
    assert blind.decide(ctx("answer", "frustrated", correct=False, wrong_streak=1)).move == "encourage"
    assert blind.decide(ctx("answer", "bored", correct=True)).move == "pose_problem"
    assert blind.decide(ctx("distress")).move == "flag"
    assert blind.name != POLICY.name


def test_a_substantial_learner_state_is_acted_on_even_when_neutral_leads() -> None:
    from tutor.policy import acted_state

    mostly_neutral = {s: 0.0 for s in LEARNER_STATES} | {"neutral": 0.53, "frustrated": 0.37, "confused": 0.1}
    assert acted_state(mostly_neutral, "neutral") == "frustrated"
    faint = {s: 0.0 for s in LEARNER_STATES} | {"neutral": 0.8, "bored": 0.2}
    assert acted_state(faint, "neutral") == "neutral"
    assert acted_state(faint, "bored") == "bored"
