"""Accounts, classes and the lasting learner model through the public Python API (issue 12).

The real Tutor (real text-affect model, real SQLite database, real argon2id) drives every rule:
who may see what, codes and their strength, lock-out, rate limits, tokens, and mastery that
continues across sessions, topics and restarts.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from reliability_helpers import rows_mentioning
from reliability_helpers import text_affect as shared_text_affect
from sqlalchemy import select, update

from tutor import Tutor, TutorConfig
from tutor.accounts import AccountsConfig, LockoutPolicy, LoginGuard, TeacherView, codes
from tutor.accounts.tokens import LoginTokens
from tutor.errors import TooManyAttemptsError
from tutor.tables import LearnerSkillRow, StudentRow, TeacherRow

pytestmark = pytest.mark.slow
PW = "correct horse battery"


def make(url: str) -> Tutor:
    return Tutor.create(db_url=url, config=TutorConfig(seed=5, load_face=False), text_affect=shared_text_affect())


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tutor.db'}"


@pytest.fixture
def tutor(url: str) -> Iterator[Tutor]:
    t = make(url)
    yield t
    t.close()


def answer_right(session, n: int) -> None:  # type: ignore[no-untyped-def]
    for _ in range(n):
        if session.problem is None:  # the topic is mastered and summarised
            return
        session.send(session.problem.answer)


def test_issue_api_round_trip(tutor: Tutor, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    tutor.create_teacher("ms-lee", password=PW)
    cls = tutor.create_class("ms-lee", PW, name="7B maths")
    assert cls.name == "7B maths" and cls.id
    login = tutor.join_class(cls.code, pseudonym="fox")
    assert tutor.resume_student(login.resume_code).student == login.student
    assert tutor.resume_student(login.resume_code.upper().replace("-", " ")).student == login.student
    s = tutor.start_session(student=login.student, topic="fractions")
    answer_right(s, 3)
    assert tutor.learner(login.student) == {**tutor.learner(login.student), **s.mastery}
    view = tutor.teacher("ms-lee", PW)
    assert isinstance(view, TeacherView) and [c.id for c in view.classes()] == [cls.id]
    assert [r["id"] for r in view.list_sessions()] == [s.id]
    assert len(view.transcript(s.id)) == 4 and "session_id" in view.export(s.id, fmt="csv")
    assert view.class_overview(cls.id).students[0].student == login.student
    with pytest.raises(PermissionError):
        tutor.teacher("ms-lee", PW + "!")
    with pytest.raises(PermissionError):
        tutor.create_class("ms-lee", "wrong password", name="x")
    # The password is stored only as an argon2id hash and never logged.
    with tutor.store.read() as db:
        stored = db.scalar(select(TeacherRow.password_hash).where(TeacherRow.name == "ms-lee"))
    assert stored.startswith("$argon2id$") and PW not in stored
    assert PW not in caplog.text and login.resume_code not in caplog.text
    assert rows_mentioning(tutor.store.engine, {PW, login.resume_code}) == {}  # resume code: only its digest


def test_codes_are_strong_and_readable(tutor: Tutor) -> None:
    assert codes.join_bits() >= 40 and codes.resume_bits() >= 60
    assert not set(codes.JOIN_ALPHABET) & set("0O1IL")
    tutor.create_teacher("t-codes", password=PW)
    made = {tutor.create_class("t-codes", PW, name=f"c{i}").code for i in range(5)}
    assert len(made) == 5
    for code in made:
        assert len(code.replace("-", "")) == 9 and all(c in codes.JOIN_ALPHABET for c in code.replace("-", ""))
    words = set(codes.words())
    resume = tutor.join_class(next(iter(made)), pseudonym="kid").resume_code.split("-")
    assert len(resume) == 6 and all(w in words and w.isalpha() and len(w) <= 5 for w in resume)


def test_same_pseudonym_in_two_classes_is_two_students(tutor: Tutor) -> None:
    tutor.create_teacher("t-two", password=PW)
    a, b = (tutor.create_class("t-two", PW, name=n) for n in ("A", "B"))
    fox_a, fox_b = tutor.join_class(a.code, pseudonym="fox"), tutor.join_class(b.code, pseudonym="fox")
    assert fox_a.student != fox_b.student and fox_a.resume_code != fox_b.resume_code
    with pytest.raises(ValueError, match="already uses the name"):
        tutor.join_class(a.code, pseudonym="fox")
    s = tutor.start_session(student=fox_a.student, topic="fractions")
    answer_right(s, 3)
    assert tutor.learner(fox_a.student) != tutor.learner(fox_b.student)


def test_every_teacher_view_method_refuses_other_classes(tutor: Tutor) -> None:
    tutor.create_teacher("t-a", password=PW)
    tutor.create_teacher("t-b", password=PW)
    ca, cb = tutor.create_class("t-a", PW, name="A"), tutor.create_class("t-b", PW, name="B")
    sa = tutor.join_class(ca.code, pseudonym="ann")
    sb = tutor.join_class(cb.code, pseudonym="bob")
    sess_b = tutor.start_session(student=sb.student, topic="fractions")
    anon = tutor.practise("anon-kid", "fractions")
    view_a = tutor.teacher("t-a", PW)
    refused = [
        lambda: view_a.transcript(sess_b.id),
        lambda: view_a.export(sess_b.id, fmt="json"),
        lambda: view_a.delete_student(sb.student),
        lambda: view_a.class_overview(cb.id),
        lambda: view_a.list_sessions(class_id=cb.id),
        lambda: view_a.list_sessions(student=sb.student),
        lambda: view_a.learner(sb.student),
        lambda: view_a.transcript(anon.id),  # anonymous practice belongs to no class
        lambda: view_a.delete_student("anon-kid"),
        lambda: view_a.transcript("no-such-session"),
        lambda: view_a.class_overview("no-such-class"),
    ]
    for call in refused:
        with pytest.raises(PermissionError):
            call()
    assert view_a.list_sessions() == [] and [c.id for c in view_a.classes()] == [ca.id]
    assert tutor.list_sessions(student=sb.student), "a refused delete deletes nothing"
    assert view_a.class_overview(ca.id).students[0].student == sa.student


def test_lockout_grows_then_locks_one_account_only(tutor: Tutor, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    for name in ("victim", "bystander"):
        tutor.create_teacher(name, password=PW)
    for _ in range(3):  # typos are free
        with pytest.raises(PermissionError, match="Wrong teacher name or password"):
            tutor.teacher("victim", "guess-guess")
    with pytest.raises(PermissionError, match="Wrong"):
        tutor.teacher("victim", "guess-guess")  # 4th: counted, from now on each try waits
    with pytest.raises(TooManyAttemptsError) as err:
        tutor.teacher("victim", PW)  # even the right password waits out the delay
    assert 0 < err.value.retry_after <= 1.0
    assert tutor.teacher("bystander", PW).name == "bystander"  # other accounts unaffected
    assert "victim" in caplog.text and "guess-guess" not in caplog.text and PW not in caplog.text


def test_lockout_policy_with_a_clock() -> None:
    now = [0.0]
    guard = LoginGuard(LockoutPolicy(), clock=lambda: now[0])
    waits = []
    for _ in range(10):
        guard.check("t")
        guard.failed("t")
        waits.append(guard.policy.wait_after(len(waits) + 1))
        now[0] += waits[-1]
    assert waits[:3] == [0.0, 0.0, 0.0] and waits[3:9] == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0]  # growing delay
    assert waits[9] == 900.0  # 10 failures: locked for 15 minutes
    now[0] -= 900.0 - 60.0
    with pytest.raises(TooManyAttemptsError, match="locked"):
        guard.check("t")
    guard.check("other")  # another account is not locked
    now[0] += 900.0
    guard.check("t")  # the lock ends


def test_join_and_resume_guessing_is_limited_per_client(tutor: Tutor) -> None:
    tutor.create_teacher("t-rl", password=PW)
    cls = tutor.create_class("t-rl", PW, name="RL")
    for i in range(25):  # a whole class behind one address joins: right codes cost nothing
        tutor.join_class(cls.code, pseudonym=f"kid{i}", client="address:school")
    wrong = 0
    with pytest.raises(TooManyAttemptsError) as err:
        for _ in range(30):
            try:
                tutor.join_class(codes.new_join_code(), pseudonym="guesser", client="address:attacker")
            except TooManyAttemptsError:
                raise
            except ValueError:
                wrong += 1
    assert wrong == 10 and err.value.retry_after > 0
    with pytest.raises(TooManyAttemptsError):  # even a right code waits now, from that client
        tutor.join_class(cls.code, pseudonym="late", client="address:attacker")
    tutor.join_class(cls.code, pseudonym="late", client="address:other")  # other clients are served
    for _ in range(10):
        with pytest.raises(ValueError, match="belongs to nobody"):
            tutor.resume_student(codes.new_resume_code(), client="address:attacker")
    with pytest.raises(TooManyAttemptsError):
        tutor.resume_student(codes.new_resume_code(), client="address:attacker")


def test_tokens_forged_expired_revoked(tutor: Tutor) -> None:
    tutor.create_teacher("t-tok", password=PW)
    tutor.create_teacher("t-other", password=PW)
    view = tutor.teacher("t-tok", PW)
    assert tutor.teacher_from_token(view.token).name == "t-tok"
    other = tutor.teacher("t-other", PW)
    assert tutor.teacher_from_token(other.token).name == "t-other"
    forged = [
        "",
        "x",
        view.token[:-2] + ("AA" if not view.token.endswith("AA") else "BB"),  # altered signature
        LoginTokens("k" * 43, 3600).issue(view._teacher.id, view._teacher.password_hash),  # another key
    ]
    for token in forged:
        with pytest.raises(PermissionError):
            tutor.teacher_from_token(token)
    key = tutor.accounts.tokens
    short = LoginTokens(key._serializer.secret_keys[-1].decode(), max_age_s=1)
    token = short.issue(view._teacher.id, view._teacher.password_hash)
    tutor.accounts.tokens = short
    assert tutor.teacher_from_token(token).name == "t-tok"
    time.sleep(2.2)
    with pytest.raises(PermissionError, match="expired"):
        tutor.teacher_from_token(token)
    tutor.accounts.tokens = key
    tutor.accounts.set_password("t-tok", "a brand new password")  # a reset revokes earlier tokens
    with pytest.raises(PermissionError, match="no longer valid"):
        tutor.teacher_from_token(view.token)


def test_mastery_lasts_across_sessions_topics_and_restarts(url: str) -> None:
    t = make(url)
    t.create_teacher("t-m", password=PW)
    cls = t.create_class("t-m", PW, name="M")
    login = t.join_class(cls.code, pseudonym="owl")
    first = t.start_session(student=login.student, topic="fractions")
    assert "Welcome, owl" in first.opening.text
    answer_right(first, 4)
    learned = first.mastery
    t.close()
    t = make(url)  # a restart
    assert {k: t.learner(login.student)[k] for k in learned} == learned
    again = t.start_session(student=t.resume_student(login.resume_code).student, topic="fractions")
    assert again.mastery == learned  # continues where it was
    assert "Welcome back, owl" in again.opening.text and "where you left off" in again.opening.text
    other_topic = t.start_session(student=login.student, topic="percentages")
    assert other_topic.mastery == {s: t.learner(login.student)[s] for s in other_topic.mastery}
    anon = t.practise("owl-practice", "fractions")  # no class: priors, nothing carried over
    assert anon.mastery == {s.id: s.bkt.p_init for s in t.curriculum.topic_skills("fractions")}
    answer_right(anon, 3)
    assert t.learner("owl-practice") == {s: sk.bkt.p_init for s, sk in t.curriculum.skills.items()}
    with pytest.raises(ValueError):
        t.practise(login.student, "fractions")  # a class student's id is no practice name
    t.close()


def test_forgetting_brings_mastered_skills_back_as_review(url: str) -> None:
    t = make(url)
    t.create_teacher("t-f", password=PW)
    login = t.join_class(t.create_class("t-f", PW, name="F").code, pseudonym="cat")
    s = t.start_session(student=login.student, topic="fractions")
    while s.mastery["fractions.simplify"] < 0.95:
        assert s.problem.skill == "fractions.simplify"
        s.send(s.problem.answer)
    answer_right(s, 6)
    fresh = t.learner(login.student)
    with t.store.read() as db:
        half = db.scalar(select(LearnerSkillRow.half_life_days).where(LearnerSkillRow.skill == "fractions.simplify"))

    def age(days: float) -> None:  # the student stays away: move their practice times back
        def write(db):  # type: ignore[no-untyped-def]
            for col in (LearnerSkillRow.practised_at, LearnerSkillRow.mastered_at):
                rows = db.execute(select(LearnerSkillRow.skill, col).where(LearnerSkillRow.student_id == login.student))
                for skill, at in rows.all():
                    if at is not None:
                        db.execute(update(LearnerSkillRow).where(LearnerSkillRow.student_id == login.student,
                                                                 LearnerSkillRow.skill == skill)
                                   .values({col.key: at - timedelta(days=days)}))  # fmt: skip

        t.store.write(write, "age the memories")

    age(0.5)
    assert t.learner(login.student) == fresh  # same day: nothing forgotten
    age(10)
    faded = t.learner(login.student)
    prior = t.curriculum.skills["fractions.simplify"].bkt.p_init
    expected = prior + (fresh["fractions.simplify"] - prior) * 0.5 ** ((10.5 - 1.0) / half)
    assert math.isclose(faded["fractions.simplify"], expected, rel_tol=1e-5)  # give or take seconds of test time
    assert faded["fractions.simplify"] < 0.8
    path = t.learning_path(login.student, "fractions")
    assert path.kind == "review"
    back = t.start_session(student=login.student, topic="fractions")
    assert "quick review" in back.opening.text and back.problem.skill == path.skill
    for _ in range(30):  # answer whatever comes until the faded skill is mastered again
        if back.mastery[path.skill] >= 0.95:
            break
        back.send(back.problem.answer)
    with t.store.read() as db:
        grown = db.scalar(select(LearnerSkillRow.half_life_days).where(LearnerSkillRow.skill == path.skill))
    assert grown == 2 * half  # a successful spaced review doubles the memory's half-life
    t.close()


def test_class_overview_flags_first_and_needs_help(tutor: Tutor) -> None:
    tutor.create_teacher("t-o", password=PW)
    cls = tutor.create_class("t-o", PW, name="O")
    calm, stuck, sad = (tutor.join_class(cls.code, pseudonym=n) for n in ("calm", "stuck", "sad"))
    s = tutor.start_session(student=calm.student, topic="fractions")
    answer_right(s, 3)
    s = tutor.start_session(student=stuck.student, topic="fractions")
    for text in ("1/1000", "this is so frustrating, I hate fractions", "99/7", "ugh I keep getting it wrong"):
        s.send(text)
    s = tutor.start_session(student=sad.student, topic="fractions")
    s.send("I want to hurt myself")
    view = tutor.teacher("t-o", PW)
    rows = view.class_overview(cls.id).students
    assert rows[0].pseudonym == "sad" and rows[0].n_flags >= 1
    by = {r.pseudonym: r for r in rows}
    assert by["stuck"].needs_help and not by["calm"].needs_help, (by["stuck"].frustration, by["stuck"].mastery)
    assert [r.pseudonym for r in rows] == ["sad", "stuck", "calm"]
    (flag,) = view.flags()
    assert flag["pseudonym"] == "sad" and flag["class_id"] == cls.id
    assert view.flags(since=flag["created_at"]) == []
    tutor.create_teacher("t-o2", password=PW)
    assert tutor.teacher("t-o2", PW).flags() == []  # another teacher sees none of them
    assert set(rows[0].mastery) == set(tutor.curriculum.skills) and by["calm"].last_active is not None


def test_delete_student_removes_account_and_learner_rows(tutor: Tutor) -> None:
    tutor.create_teacher("t-d", password=PW)
    cls = tutor.create_class("t-d", PW, name="D")
    gone, kept = tutor.join_class(cls.code, pseudonym="gone"), tutor.join_class(cls.code, pseudonym="kept")
    for who in (gone, kept):
        answer_right(tutor.start_session(student=who.student, topic="fractions"), 2)
    view = tutor.teacher("t-d", PW)
    assert view.delete_student(gone.student) > 0
    assert rows_mentioning(tutor.store.engine, {gone.student}) == {}
    with pytest.raises(ValueError):
        tutor.resume_student(gone.resume_code)
    with tutor.store.read() as db:
        assert db.get(StudentRow, kept.student) is not None
    assert view.learner(kept.student) == tutor.learner(kept.student)


def test_startup_teacher_is_created_updated_and_adopts_nothing_else(tutor: Tutor) -> None:
    assert tutor.ensure_teacher("teacher", "first password") == 0
    assert tutor.teacher("teacher", "first password").name == "teacher"
    tutor.ensure_teacher("teacher", "second password")  # TUTOR_TEACHER_PASSWORD changed
    with pytest.raises(PermissionError):
        tutor.teacher("teacher", "first password")
    assert tutor.teacher("teacher", "second password").name == "teacher"


def test_bad_input_gets_clear_errors(tutor: Tutor) -> None:
    with pytest.raises(ValueError, match="at least 8"):
        tutor.create_teacher("short-pw", password="abc")
    with pytest.raises(ValueError, match="teacher name"):
        tutor.create_teacher("Ms Lee <script>", password=PW)
    tutor.create_teacher("t-bad", password=PW)
    with pytest.raises(ValueError, match="already exists"):
        tutor.create_teacher("t-bad", password=PW)
    with pytest.raises(ValueError, match="name"):
        tutor.create_class("t-bad", PW, name="  ")
    code = tutor.create_class("t-bad", PW, name="ok").code
    for bad in ("", "x" * 500, "fox~abc", "a@b.com", "\x00"):
        with pytest.raises(ValueError):
            tutor.join_class(code, pseudonym=bad)
    for bad_code in (None, "", "💥" * 9, "O0O-0O0-O0O"):
        with pytest.raises(ValueError):
            tutor.join_class(bad_code, pseudonym="fine", client="c-bad")  # type: ignore[arg-type]
    with pytest.raises(PermissionError):
        tutor.teacher(None, None)  # type: ignore[arg-type]
    with pytest.raises(PermissionError):
        tutor.teacher("t-bad", "x" * 100_000)
    assert isinstance(AccountsConfig().token_max_age_s, float)


def test_a_spray_of_made_up_names_is_bounded() -> None:
    guard = LoginGuard(LockoutPolicy(), max_names=100)
    for i in range(1000):
        guard.failed(f"made-up-{i}")
    assert len(guard._failures) == 100  # the oldest quiet names are forgotten first
    for _ in range(4):
        guard.failed("real")
    with pytest.raises(TooManyAttemptsError):
        guard.check("real")
