"""Reading messages (safety rules) and writing replies (spoken text, variety); acts: test_tutor_acts.py."""

from __future__ import annotations

import random

import pytest

from tutor.curriculum import Curriculum
from tutor.language.replies import ReplyParts, ReplyWriter
from tutor.language.safety import distress_rule
from tutor.language.spoken import to_spoken

DISTRESS = [
    "I want to kill myself", "i want to kil myself", "I wanna k1ll my self!!!", "im gonna kill myslef",
    "i want to die", "i wanna dieee", "I want 2 die", "iwant to die", "i wnt to die", "I just want to die lol",
    "thinking about suicide", "i feel suicidal", "sucide", "suicidle thoughts", "i want to unalive myself",
    "I want to end my life", "i'm going to end it all", "i dont want to live anymore", "i don't want to be alive",
    "I dnt want to live", "no reason to live", "life is not worth living", "I wish I was dead",
    "everyone would be better off without me", "nobody would miss me", "I hurt myself", "i cut myself yesterday",
    "I have been self harming", "self-harm", "selfharm", "I HATE MYSELF", "i hate my life", "kms",
    "my dad hits me", "my stepdad hurts me", "someone at home touches me", "i'm not safe at home",
    "I'm scared to go home", "i cant go on", "I want someone to kill me",
    "thinking of ending my life", "I want to disappear forever",
    "sometimes I think everyone would be happier if I wasn't around", "I don't see the point in anything anymore",
    "I feel like giving up on life", "I want it all to stop forever", "I've been thinking about not being here",
    "I just want to go to sleep and never wake up", "nobody cares about me",
]  # fmt: skip
NOT_DISTRESS = [
    "this problem is killing me", "I could die of boredom", "I killed it!", "kill the x term",
    "I'm dying to know", "I hate fractions", "I give up", "I'm so frustrated", "x = -2", "3/4",
    "it hit me that I should divide", "I hit the wrong key", "I give up on this one", "i want to stop",
    "kill me now this is so hard", "I'm so done with fractions", "I need to leave", "my brain hurts",
]  # fmt: skip


@pytest.mark.parametrize("text", DISTRESS)
def test_distress_is_never_missed(text: str) -> None:
    assert distress_rule(text), text


@pytest.mark.parametrize("text", NOT_DISTRESS)
def test_maths_chatter_is_not_distress(text: str) -> None:
    assert distress_rule(text) is None, text


@pytest.mark.parametrize(
    ("display", "spoken"),
    [
        ("3/4", "three quarters"), ("x = -2", "x equals minus 2"), ("25%", "25 percent"),
        ("1 1/2", "1 and a half"), ("Work out 2/3 + 1/6.", "Work out two thirds plus one sixth."),
        ("Solve for x: 3x - 4 = 5x + 2", "Solve for x: 3 x minus 4 equals 5 x plus 2"),
        ("$\\frac{5}{12}$ is **right**", "five twelfths is right"), ("7/2 ÷ 2", "seven halves divided by 2"),
        ("x/6 = 1", "x over 6 equals 1"), ("-3/4", "minus three quarters"), ("17/23", "seventeen twenty-thirds"),
        ("7/123", "seven over 123"),
    ],
)  # fmt: skip
def test_spoken_text_has_no_symbols_a_voice_mangles(display: str, spoken: str) -> None:
    assert to_spoken(display) == spoken


def test_replies_vary_and_name_the_problem() -> None:
    cur = Curriculum.load()
    problem = cur.generate("fractions.add_sub", 2, 3)
    writer = ReplyWriter(random.Random(0))
    texts = [writer.write("praise", "delighted", ReplyParts(value=problem.value, problem=problem,
                                                            new_problem=True)) for _ in range(6)]  # fmt: skip
    assert len(set(texts)) >= 3
    assert all(problem.prompt in t for t in texts)
    for move in ("hint", "worked_example", "clarify", "explain", "reassure", "encourage", "redirect", "check_in"):
        parts = ReplyParts(value="1/2", problem=problem, hint=problem.hints[0], hint_level=1,
                           worked=cur.sibling(problem), concept=cur.skills[problem.skill].concept)  # fmt: skip
        text = writer.write(move, "neutral", parts)
        assert 10 < len(text) < 700, (move, text)
        for symbol in ("/", "%", "=", "×", "÷"):
            assert symbol not in to_spoken(text).replace(" / ", ""), (move, to_spoken(text))


@pytest.mark.parametrize(
    ("display", "spoken"),
    [("It costs £12.", "It costs 12 pounds."), ("£3.50 each", "3 pounds 50 each"), ("£2.5", "2 pounds 50"),
     ("£0.75", "75 pence"), ("£1", "1 pound"), ("$20", "20 dollars"), ("£1,200 in total", "1200 pounds in total")],
)  # fmt: skip
def test_money_is_spoken_in_words(display: str, spoken: str) -> None:
    assert to_spoken(display) == spoken


def test_praise_for_a_first_time_right_answer_never_claims_a_struggle() -> None:
    """A confident student's "easy. 7/12" got "Good persistence on that one." (tutor8's conversation):
    praise names what happened, and nothing was persisted through."""
    w = ReplyWriter(random.Random(0))
    for _ in range(12):
        text = w.write("praise", "neutral", ReplyParts(topic="fractions", intent="answer", value="7/12"))
        claims = ("persist", "stuck", "patience", "got there", "step by step", "working", "method")
        assert not any(word in text.lower() for word in claims), text
