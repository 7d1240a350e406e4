"""Conversations the tutor misread, replayed through `Tutor.practise` + `send` with the real text model.

The lead's transcript: "hi, I'm not great at fractions" got "Yay, that's great to hear! I love that
you're enjoying this." (the text model read the negated self-assessment as delight, and the fused
reading lent it the confidence the policy needed to praise it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from affect import TextAffect
from tutor import Tutor, TutorConfig

pytestmark = pytest.mark.slow
CHEERFUL = ("happy", "surprised")
GLAD = re.compile(r"pleased|great to hear|enjoying|love that|great energy|love the focus", re.IGNORECASE)


@pytest.fixture(scope="module")
def tutor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tutor]:
    db = tmp_path_factory.mktemp("misreads") / "tutor.db"
    t = Tutor.create(db_url=f"sqlite:///{db}", config=TutorConfig(seed=9, load_face=False),
                     text_affect=TextAffect.load())  # fmt: skip
    yield t
    t.close()


@pytest.mark.parametrize(
    "opening",
    [
        "hi, I'm not great at fractions",
        "I'm bad at fractions",
        "honestly im not good at this stuff",
        "not happy about this",
    ],
)
def test_a_student_who_says_they_struggle_is_never_praised_for_enjoying_it(tutor: Tutor, opening: str) -> None:
    s = tutor.practise("green-owl", "fractions")
    reply = s.send(opening)
    assert reply.move not in ("praise", "challenge") and reply.avatar_emotion not in CHEERFUL, (reply.move, reply.text)
    assert not GLAD.search(reply.text), reply.text
    assert reply.extras["acted_state"] in ("anxious", "frustrated", "confused"), reply.extras


def test_not_bad_actually_is_not_met_with_sympathy(tutor: Tutor) -> None:
    s = tutor.practise("blue-fox", "fractions")
    reply = s.send("not bad actually")
    assert reply.avatar_emotion not in ("concerned",) and reply.extras["acted_state"] in (
        "engaged",
        "delighted",
        "neutral",
    )
    assert not re.search(r"frustrat|worried|nervous|confus|annoying", reply.text, re.IGNORECASE), reply.text


def test_sarcasm_about_another_fraction_is_not_cheered(tutor: Tutor) -> None:
    s = tutor.practise("red-kite", "fractions")
    reply = s.send("great, another fraction")
    assert reply.move != "praise" and not GLAD.search(reply.text), reply.text
    assert reply.extras["acted_state"] in ("bored", "frustrated"), reply.extras


# From tutor8's scripted conversations (a shy student, a confident one, one who types anything).
def test_an_apology_is_met_kindly_not_with_great(tutor: Tutor) -> None:
    s = tutor.practise("shy-mouse", "fractions")
    for _ in range(3):
        reply = s.send("sorry")
        assert not reply.text.startswith(("Great", "Okay!")), reply.text
        assert re.match(r"(No need|That's okay|No worries)", reply.text), reply.text


def test_laughs_and_keyboard_mashing_are_not_called_good_questions(tutor: Tutor) -> None:
    s = tutor.practise("odd-cat", "fractions")
    for msg in ("lol", "asdfghjkl", "who won the football last night", "haha") * 3:
        reply = s.send(msg)
        assert reply.intent in ("off_topic", "greeting") and "good question" not in reply.text.lower(), reply.text


def test_a_thinking_emoji_is_not_thanked_twice(tutor: Tutor) -> None:
    s = tutor.practise("emoji-fan", "fractions")
    for _ in range(8):
        reply = s.send("🤔🤔🤔")
        assert reply.text.lower().count("thank") <= 1 and "know. Got it" not in reply.text, reply.text


def test_two_answers_at_once_are_asked_about_not_called_unreadable(tutor: Tutor) -> None:
    """"is it 1/5 or 2/10" got "I couldn't read a number there." (it holds two)."""
    s = tutor.practise("two-minds", "fractions")
    reply = s.send("is it 1/5 or 2/10")
    assert reply.correct is None and "couldn't read" not in reply.text and "more than one answer" in reply.text, (
        reply.text
    )
    assert "Which one" in s.send("maybe 3/4 or 6/8?").text


def test_idk_is_met_with_help_and_a_plain_ok_is_not(tutor: Tutor) -> None:
    """A shy student's "idk" was answered "Alright." (read as an acknowledgement) and left alone."""
    s = tutor.practise("quiet-vole", "fractions")
    stuck = s.send("idk")
    assert stuck.intent == "hint_request" and stuck.move in ("hint", "reassure", "worked_example"), stuck.text
    assert not stuck.text.startswith(("Alright", "Okay", "Great")), stuck.text
    ok = s.send("ok")
    assert ok.intent == "greeting" and ok.move == "check_in", ok.text


def test_the_offer_of_a_harder_one_comes_before_the_next_problem_not_after_it(tutor: Tutor) -> None:
    """"That's it. Here's the next one: Work out 6/7 ÷ 1/2. That's 3 right in a row! Want a harder one?"
    read as a question about the new problem (tutor8's confident student)."""
    s = tutor.practise("quick-hare", "fractions")
    offer = None
    for _ in range(12):
        reply = s.send(s.problem.answer)  # type: ignore[union-attr]
        if reply.extras.get("pending") == "offer_harder":
            offer = reply
            break
    assert offer is not None and offer.problem is not None
    assert offer.text.endswith(offer.problem.prompt) and "harder" in offer.text, offer.text
