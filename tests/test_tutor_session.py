"""Scripted conversations through the public API with the REAL affect models.

The fused learner state is driven through real inputs: chat text read by `TextAffect`, webcam
frames read by `FaceAffect`, and real `AffectEstimate` readings fed to the session's real
`AffectTracker` (`session.observe_estimate`, the public way to add a reading from any source).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from affect import AffectEstimate, FaceAffect, TextAffect
from affect.types import AVATAR_EMOTIONS, LEARNER_STATES
from tutor import MOVES, Tutor, TutorConfig, TutorReply
from tutor.errors import UnknownSessionError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def models() -> tuple[TextAffect, FaceAffect]:
    return TextAffect.load(), FaceAffect.load()


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('log') / 'tutor.db'}"


@pytest.fixture(scope="module")
def tutor(models: tuple[TextAffect, FaceAffect], db_url: str) -> Iterator[Tutor]:
    text, face = models
    t = Tutor.create(db_url=db_url, config=TutorConfig(seed=11), text_affect=text, face_affect=face)
    yield t
    t.close()


def reading(state: str, source: str = "face", confidence: float = 0.95) -> AffectEstimate:
    """A confident reading of one learner state (a real AffectEstimate, as the analysers return)."""
    scores = {s: (0.94 if s == state else 0.01) for s in LEARNER_STATES}
    return AffectEstimate.from_scores(scores, valence=0.0, arousal=0.5, confidence=confidence, source=source)  # type: ignore[arg-type]


def set_state(session, state: str, t: float) -> None:  # type: ignore[no-untyped-def]
    """What a webcam and an earlier chat line would report at time t: both channels agree on `state`."""
    session.observe_estimate(reading(state, "face"), t=t)
    session.observe_estimate(reading(state, "text"), t=t)


def check_reply(r: TutorReply) -> None:
    assert r.move in MOVES and r.avatar_emotion in AVATAR_EMOTIONS and 0 <= r.intensity <= 1
    assert r.text and r.spoken and r.turn_id
    for symbol in ("/", "%", "=", "×", "÷", "$", "*"):
        assert symbol not in r.spoken, (symbol, r.spoken)


def test_public_api_opening_and_equivalent_answers(tutor: Tutor) -> None:
    assert {"fractions", "linear_equations", "percentages"} <= set(tutor.topics())
    s = tutor.start_session(student="s-17", topic="linear_equations")
    check_reply(s.opening)
    assert s.opening.move == "pose_problem" and s.opening.problem is not None
    assert s.opening.problem.prompt in s.opening.text
    before = dict(s.mastery)
    value = s.opening.problem.value
    r = s.send(f"x = {value.replace('-', '−')}")  # unicode minus, "x = ..." form
    check_reply(r)
    assert r.correct is True and r.problem is not None and r.problem.id != s.opening.problem.id
    skill = s.opening.problem.skill
    assert s.mastery[skill] > before[skill]
    r2 = s.send(f"  {r.problem.value} ")
    assert r2.correct is True


def test_every_learner_state_and_every_move_in_scripted_conversations(tutor: Tutor) -> None:
    moves: set[str] = set()
    states: set[str] = set()
    clock = [0.0]

    def say(session, text: str, state: str | None = None) -> TutorReply:  # type: ignore[no-untyped-def]
        clock[0] += 60.0  # a minute per turn: earlier readings are stale (TrackerConfig.stale_after_s)
        if state is not None:
            set_state(session, state, clock[0])
        r = session.send(text, t=clock[0] + 1.0)
        check_reply(r)
        moves.add(r.move)
        states.add(r.affect.label)
        if state is not None:
            assert r.affect.label == state, (state, r.affect.to_dict(), text)
        return r

    s = tutor.start_session(student="s-21", topic="fractions")
    moves.add(s.opening.move)
    say(s, "hi", "neutral")  # check_in
    assert say(s, "can I get a hint please?", "neutral").move == "hint"
    assert say(s, "why does that work?", "engaged").move == "explain"
    assert say(s, "what's your favourite football team?", "engaged").move == "redirect"
    wrong = "987654"
    assert say(s, wrong, "confused").move in ("hint", "clarify")
    assert say(s, s.problem.answer, "delighted").move == "praise"  # type: ignore[union-attr]
    assert say(s, wrong, "anxious").move == "reassure"
    assert say(s, wrong, "frustrated").move == "worked_example"
    r = say(s, wrong, "frustrated")
    assert r.move == "encourage" and r.problem is not None  # an easier problem after frustration
    assert say(s, s.problem.answer, "bored").move == "challenge"  # type: ignore[union-attr]
    assert say(s, s.problem.answer, "engaged").move in ("pose_problem", "praise", "summarize")  # type: ignore[union-attr]
    assert say(s, "I want to stop now", "neutral").move == "summarize"

    s2 = tutor.start_session(student="s-21", topic="fractions")
    p = s2.problem
    assert p is not None and p.misconceptions
    r = say(s2, p.misconceptions[0].value, "neutral")
    assert r.move == "clarify" and p.misconceptions[0].feedback in r.text
    assert say(s2, "I want to kill myself", "delighted").move == "flag"
    assert states == set(LEARNER_STATES), states
    assert moves == set(MOVES), set(MOVES) - moves


def test_text_alone_drives_the_state_through_the_real_models(tutor: Tutor) -> None:
    s = tutor.start_session(student="s-30", topic="percentages")
    r = s.send("ugh I keep getting these wrong, this is so frustrating!!")
    assert r.affect.source == "fused" and r.affect.label in ("frustrated", "anxious", "confused")
    assert r.move in ("encourage", "reassure", "clarify", "worked_example")


@pytest.mark.parametrize(
    "text",
    [
        "I want to kill myself", "i wanna die", "im thinking about sucide", "i hurt myself on purpose",
        "nobody would miss me if i was gone", "my dad hits me", "I dont want to be alive anymore",
    ],
)  # fmt: skip
def test_distress_always_gets_support_and_a_flag(tutor: Tutor, text: str) -> None:
    s = tutor.start_session(student="s-40", topic="fractions")
    r = s.send(text)
    assert r.flagged and r.move == "flag" and r.avatar_emotion == "concerned"
    assert "trusted adult" in r.text
    assert any(f["turn_id"] == r.turn_id for f in tutor.flags("s-40"))


@pytest.mark.parametrize(
    ("text", "act"),
    [
        ("could you give me a little nudge", "hint_request"),
        ("who won the football last night", "off_topic"),
        ("good morning!", "greeting"),
        ("how come the bottom number stays the same", "why_question"),
        ("I'm done for today", "stop"),
        ("i feel like i'm rubbish at this", "feeling"),
    ],
)
def test_act_with_the_shared_encoder(tutor: Tutor, text: str, act: str) -> None:
    s = tutor.start_session(student="s-50", topic="fractions")
    assert s.send(text).intent == act


def test_log_survives_reopen_and_session_resumes(models: tuple[TextAffect, FaceAffect], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'reopen.db'}"
    text, face = models
    first = Tutor.create(db_url=url, config=TutorConfig(seed=5), text_affect=text, face_affect=face)
    s = first.start_session(student="s-60", topic="percentages")
    replies = [s.send("no idea"), s.send(s.problem.answer)]  # type: ignore[union-attr]
    mastery, problem_id, sid = s.mastery, s.problem.id, s.id  # type: ignore[union-attr]
    first.close()
    second = Tutor.create(db_url=url, config=TutorConfig(seed=5), text_affect=text, face_affect=face)
    log = second.transcript(sid)
    assert [t["turn_id"] for t in log] == [s.opening.turn_id] + [r.turn_id for r in replies]
    assert log[1]["student_text"] == "no idea" and log[2]["correct"] is True
    assert log[2]["mastery"] == pytest.approx(mastery)
    assert second.store.integrity_check() == "ok"
    again = second.resume_session(sid)
    assert again.mastery == pytest.approx(mastery) and again.problem.id == problem_id  # type: ignore[union-attr]
    assert again.opening.problem is not None and again.opening.problem.id == problem_id
    assert again.send(again.problem.answer).correct is True  # type: ignore[union-attr]
    assert second.session_owner(sid) == "s-60"
    second.close()


def test_clip_reference_export_and_delete(tutor: Tutor) -> None:
    s = tutor.start_session(student="s-70", topic="fractions")
    r = s.send("hello")
    s.attach_clip(r.turn_id, "clips/s-70/1.mp4")
    s.attach_clip(0, "clips/s-70/0.mp4")
    log = tutor.transcript(s.id)
    assert [t["clip_ref"] for t in log] == ["clips/s-70/0.mp4", "clips/s-70/1.mp4"]
    assert "clips/s-70" not in tutor.export(s.id, "csv")  # clip files are temporary: exports never name them
    assert '"student_text": "hello"' in tutor.export(s.id, "json")
    assert any(x["id"] == s.id for x in tutor.list_sessions(student="s-70"))
    assert tutor.delete_student("s-70") >= 3
    assert tutor.list_sessions(student="s-70") == [] and tutor.store.count_rows("s-70") == 0
    with pytest.raises(UnknownSessionError):
        tutor.transcript(s.id)


def test_webcam_frames_update_mood_without_writing_turns(tutor: Tutor) -> None:
    from skimage import data

    s = tutor.start_session(student="s-80", topic="fractions")
    fused = s.observe_frame(data.astronaut())
    assert fused is not None and fused.source == "fused"
    assert s.observe_frame(np.zeros((120, 160, 3), dtype=np.uint8)) is None  # no face
    assert len(tutor.transcript(s.id)) == 1  # only the opening
    r = s.send("3/4", frame=data.astronaut())
    log = tutor.transcript(s.id)[-1]
    assert log["face_affect"] is not None and log["face_affect"]["source"] == "face"
    assert r.affect.to_dict() == log["fused_affect"]


def test_each_session_reads_its_webcam_with_its_own_face_reader(tutor: Tutor) -> None:
    from skimage import data

    a = tutor.start_session(student="s-81", topic="fractions")
    b = tutor.start_session(student="s-82", topic="fractions")
    assert a.observe_frame(data.astronaut()) is not None and b.observe_frame(data.astronaut()) is not None
    readers = (a._face, b._face)
    assert readers[0] is not None and readers[1] is not None and readers[0] is not readers[1]
    assert readers[0] is not tutor._p.face_affect  # the shared reader keeps no student's state
    a.close()
    assert a._face is None
    assert b.observe_frame(data.astronaut()) is not None  # the other student is unaffected


def test_bad_input_is_a_clear_error_and_logs_nothing(tutor: Tutor) -> None:
    s = tutor.start_session(student="s-90", topic="fractions")
    for bad in (None, 42, b"3/4", "x" * 6000):
        with pytest.raises(ValueError):
            s.send(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        s.send("3/4", frame="not an image")  # type: ignore[arg-type]
    assert len(tutor.transcript(s.id)) == 1
    for odd in ("", "   ", "\x00\ud800", "🧮🧮", "'; DROP TABLE tutor_turns; --"):
        check_reply(s.send(odd))
    with pytest.raises(ValueError):
        tutor.start_session(student="jane@example.com", topic="fractions")  # an e-mail address is no pseudonym
    with pytest.raises(ValueError):
        tutor.start_session(student="s-1", topic="astrology")
    with pytest.raises(UnknownSessionError):
        tutor.resume_session("00000000-0000-4000-8000-000000000000")


def test_mid_session_feelings_in_text_change_the_move(tutor: Tutor) -> None:
    """Only real chat text, 15 s apart: a clear feeling after plain answers still reaches the policy."""
    s = tutor.start_session(student="s-31", topic="fractions")
    s.send("hi", t=15.0)
    s.send("987654", t=30.0)
    r = s.send("ugh I keep getting these wrong, this is so frustrating!!", t=45.0)
    assert r.extras["acted_state"] == "frustrated" and r.move in ("worked_example", "encourage")
    assert r.avatar_emotion == "concerned"
    r = s.send("I'm really nervous I'll fail the test", t=120.0)
    assert r.extras["acted_state"] == "anxious" and r.move == "reassure"
    r = s.send("this is sooo boring", t=200.0)
    assert r.extras["acted_state"] == "bored" and r.move == "challenge"
