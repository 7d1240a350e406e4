"""What each social act gets (issue 11), through `session.send` with the real text and face models.

Persona and honesty, abuse, off-topic, greeting, progress, stop and going on afterwards, a break
offered to an upset student, feelings named back, emoji, wellbeing and distress flags, the face
not outweighing the student's own words, replies read in the context of the tutor's question.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from skimage import data

from affect import FaceAffect, TextAffect
from tutor import Tutor, TutorConfig

pytestmark = pytest.mark.slow
CHEERFUL = ("happy", "surprised")


@pytest.fixture(scope="module")
def tutor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tutor]:
    db = tmp_path_factory.mktemp("care") / "tutor.db"
    t = Tutor.create(db_url=f"sqlite:///{db}", config=TutorConfig(seed=9), text_affect=TextAffect.load(),
                     face_affect=FaceAffect.load())  # fmt: skip
    yield t
    t.close()


def test_persona_is_honest_about_being_an_ai_the_camera_and_memory(tutor: Tutor) -> None:
    s = tutor.start_session(student="care-1", topic="fractions")
    name = s.send("what's your name?")
    assert name.intent == "meta" and "Max" in name.text and "AI" in name.text and "Hey!" not in name.text
    bot = s.send("r u a real person or a bot")
    assert bot.intent == "meta" and "not a real person" in bot.text
    cam = s.send("are you recording me with the camera")
    assert cam.extras["meta"] == "camera" and "never stored" in cam.text and "memory" in cam.text
    mem = s.send("what do you remember about me")
    assert mem.extras["meta"] == "memory" and "teacher" in mem.text
    assert s.problem is not None and s.problem.prompt in mem.text  # back to the task


def test_abuse_is_met_calmly_and_repeats_are_noted_not_flagged(tutor: Tutor) -> None:
    s = tutor.start_session(student="care-2", topic="percentages")
    first = s.send("you're useless")
    assert first.intent == "abuse" and first.avatar_emotion not in CHEERFUL and not first.flagged
    assert "Hey! Glad you're here" not in first.text and s.problem.prompt in first.text  # type: ignore[union-attr]
    second = s.send("this app is trash and so are you")
    assert second.intent == "abuse" and second.avatar_emotion not in CHEERFUL and not second.flagged
    kinds = [f["kind"] for f in tutor.flags("care-2")]
    assert kinds == ["note"]  # noted for the teacher, not a distress flag


def test_greeting_off_topic_and_progress_keep_the_session_going(tutor: Tutor) -> None:
    s = tutor.start_session(student="care-3", topic="fractions")
    p = s.problem
    g = s.send("hello!")
    assert g.intent == "greeting" and len(g.text.split(". ")) <= 3 and p.prompt in g.text  # type: ignore[union-attr]
    o = s.send("what's your favourite football team")
    assert o.intent == "off_topic" and o.move == "redirect" and p.prompt in o.text  # type: ignore[union-attr]
    s.send(p.answer)  # type: ignore[union-attr]
    s.send("999")
    r = s.send("how am i doing so far?")
    assert r.intent == "progress_question" and "1 right" in r.text and "growing" in r.text.lower()
    assert r.problem is not None and r.move != "summarize"


def test_stop_summarises_and_a_student_who_writes_again_goes_on(tutor: Tutor) -> None:
    s = tutor.start_session(student="care-4", topic="fractions")
    s.send(s.problem.answer)  # type: ignore[union-attr]
    bye = s.send("ok im done for today, bye")
    assert bye.intent == "stop" and bye.move == "summarize" and bye.problem is None
    assert "simplifying" in bye.text.lower() and "1 right" in bye.text
    again = s.send("no wait one more")  # the issue: this ended the session
    assert again.problem is not None and again.problem.prompt in again.text and again.move != "summarize"


def test_upset_student_who_wants_to_stop_gets_empathy_and_a_break_never_cheer(tutor: Tutor) -> None:
    s = tutor.start_session(student="care-5", topic="linear_equations")
    r = s.send("ugh I keep getting it wrong and I want to quit", t=10.0)
    assert r.avatar_emotion in ("concerned", "encouraging") and "good session" not in r.text.lower()
    r = s.send("i want to stop now", t=20.0)
    assert r.intent == "stop" and r.avatar_emotion in ("concerned", "encouraging")
    assert "break" in r.text and r.extras["pending"] == "offer_break"
    no = s.send("no", t=30.0)  # no break: carry on, gently
    assert no.intent == "easier" and no.problem is not None
    s.send("ugh I keep getting it wrong and I want to quit", t=40.0)
    assert s.send("i want to stop now", t=50.0).extras["pending"] == "offer_break"
    yes = s.send("yes", t=60.0)  # yes to the break: a goodbye, still not cheerful
    assert yes.intent == "stop" and yes.move == "summarize" and yes.avatar_emotion not in CHEERFUL


def test_yes_is_read_in_the_context_of_the_tutors_question(tutor: Tutor) -> None:
    s = tutor.start_session(student="care-6", topic="percentages")
    s.send("can i have easier ones please")
    s.send("even easier please")  # level 1 from now on, so a harder one can be offered
    r = None
    for _ in range(12):  # three right in a row: the tutor offers a harder one
        r = s.send(s.problem.answer)  # type: ignore[union-attr]
        if r.extras.get("pending") == "offer_harder":
            break
    assert r is not None and r.extras.get("pending") == "offer_harder", r.text if r else ""
    d = r.problem.difficulty  # type: ignore[union-attr]
    yes = s.send("yes please")
    assert yes.intent == "harder" and yes.problem is not None and yes.problem.difficulty == d + 1


def test_feelings_are_named_back_and_emoji_only_is_a_feeling(tutor: Tutor) -> None:
    s = tutor.start_session(student="care-7", topic="fractions")
    bored = s.send("this is sooo boring")
    assert bored.intent == "feeling" and ("bored" in bored.text.lower() or "slow" in bored.text.lower())
    yay = s.send("I got it!! yay")
    assert yay.intent == "feeling" and "Hey! Glad you're here" not in yay.text
    emoji = s.send("😭😭😭")
    assert emoji.intent == "feeling" and "number" not in emoji.text.lower() and emoji.avatar_emotion == "concerned"


def test_sadness_and_bullying_get_care_a_wellbeing_flag_and_never_a_hint(tutor: Tutor) -> None:
    s = tutor.start_session(student="care-8", topic="fractions")
    hints = s.problem.hints  # type: ignore[union-attr]
    for text in ("nobody likes me at school and i want to cry", "they laugh at me in class"):
        r = s.send(text)
        assert r.intent == "feeling" and r.flagged and r.avatar_emotion == "concerned"
        assert not any(h in r.text for h in hints) and "hint" not in r.text.lower() and "teacher" in r.text
    kinds = {f["kind"] for f in tutor.flags("care-8")}
    assert kinds == {"wellbeing"}  # a lower level than distress, kept apart
    d = s.send("i want to kill myself")
    assert d.intent == "distress" and d.flagged and d.avatar_emotion == "concerned"
    assert {f["kind"] for f in tutor.flags("care-8")} == {"wellbeing", "distress"}


def test_a_smiling_face_does_not_outweigh_this_is_too_hard(tutor: Tutor) -> None:
    s = tutor.start_session(student="care-9", topic="fractions")
    smile = data.astronaut()  # read as happy by the face model
    for k in range(3):
        s.observe_frame(smile, t=1.0 + k)
    r = s.send("this is too hard", frame=smile, t=4.0)
    assert r.extras["acted_state"] in ("frustrated", "confused", "anxious"), r.extras
    assert "Great energy" not in r.text and r.avatar_emotion not in CHEERFUL


def test_ok_then_scared_a_second_later_is_not_masked(tutor: Tutor) -> None:
    s = tutor.start_session(student="care-10", topic="percentages")
    s.send("ok", t=30.1)
    r = s.send("I'm scared I'll fail my test tomorrow", t=30.9)
    assert r.affect.label == "anxious" or r.extras["acted_state"] == "anxious", r.affect.to_dict()
    assert r.avatar_emotion not in CHEERFUL


def test_a_student_comforted_a_moment_ago_who_says_stop_is_offered_a_break_not_cheer(tutor: Tutor) -> None:
    # Heard as a user: a wellbeing flag, crying emoji, then "I want to stop" got a happy "Thanks for practising".
    s = tutor.start_session(student="care-11", topic="fractions")
    assert s.send("nobody likes me at school and i want to cry").flagged
    s.send("how am I doing?")
    r = s.send("I want to stop")
    assert r.intent == "stop" and r.avatar_emotion not in CHEERFUL and r.move != "summarize"
    assert "break" in r.text.lower()
