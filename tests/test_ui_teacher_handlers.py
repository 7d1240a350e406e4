"""Teacher handlers as plain functions over the real services (real models, SQLite log).

A teacher logs in (the browser keeps a token, never the password), creates a class, a student
joins and practises, a distress message raises a flag that the live feed picks up on its next
tick, and the teacher opens the overview, the session, the charts, the export, then deletes the
student. Another teacher's token, a forged one and no token are refused by every handler.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ui_harness import services_for, shared_data_dir

from ui.avatar import read_feed
from ui.teacher import handlers as h
from ui.teacher.access import AccessDeniedError, TeacherInputError
from ui.teacher.replay import REPLAY_STAGE, replay

pytestmark = pytest.mark.slow
PASSWORD = "a long enough teacher password"
DISTRESS = "I want to hurt myself"


@pytest.fixture(scope="module")
def services() -> Any:
    return services_for(shared_data_dir())


def _teacher(services: Any) -> tuple[str, str]:
    """A fresh teacher account; returns (name, token)."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    services.tutor.create_teacher(name, PASSWORD)
    return name, h.login(services, name, PASSWORD)[0]


def _is_skip(update: Any) -> bool:
    return isinstance(update, dict) and update.get("__type__") == "update" and len(update) == 1


@pytest.fixture(scope="module")
def classroom(services: Any) -> dict[str, Any]:
    """A teacher with a class and one student who has practised once."""
    name, token = _teacher(services)
    picker, note, overview, _students = h.create_class(services, token, "7B maths")
    info = services.tutor.teacher(name, PASSWORD).classes()[0]
    assert info.code in note and picker.value == info.id and "No students" in overview
    login = services.tutor.join_class(info.code, "fox")
    session = services.tutor.start_session(student=login.student, topic="fractions")
    session.send(session.problem.answer)
    return {"name": name, "token": token, "class_id": info.id, "student": login.student, "session": session}


def test_login_keeps_a_token_not_the_password_and_starts_the_live_feed(services: Any) -> None:
    name = f"t-{uuid.uuid4().hex[:8]}"
    services.tutor.create_teacher(name, PASSWORD)
    with pytest.raises(AccessDeniedError):
        h.login(services, name, PASSWORD + "x")
    out = dict(zip(h.LOGIN_OUTPUTS, h.login(services, name, PASSWORD), strict=True))
    token, who, alerts, timer = out["token"], out["who"], out["alerts"], out["timer"]
    assert token and PASSWORD not in token and name in who and out["login_note"] == ""
    assert out["class_pick"].choices == [] and "Create a class" in out["class_note"] and out["overview"] == ""
    login_box, dashboard, feed = out["login_box"], out["dashboard"], out["feed"]
    assert login_box.visible is False and dashboard.visible is True and timer.active is True
    assert "No flags" in alerts and feed == h.FeedState(open=True)
    restored = h.restore(services, token)
    assert restored[0] == token and restored[-1].active is True
    again = h.restore(services, token, feed=restored[h.LOGIN_OUTPUTS.index("feed")])
    assert all(_is_skip(o) for o in again)  # back to an open dashboard: left as the teacher left it
    out = h.logout()
    assert out[0] == "" and out[-1].active is False and out[2].visible is False


def test_restore_without_a_valid_token_shows_the_login_box_and_reads_nothing(services: Any) -> None:
    for token in ("", "forged.token.value", "x" * 2000):
        out = h.restore(services, token)
        assert out[0] == "" and out[1].visible is True and out[-1].active is False


def test_a_new_flag_reaches_the_feed_and_the_overview_on_the_next_tick(services: Any, classroom: dict) -> None:
    token, class_id = classroom["token"], classroom["class_id"]
    first = dict(zip(h.LOGIN_OUTPUTS, h.restore(services, token), strict=True))
    feed, overview = first["feed"], first["overview"]
    assert first["class_pick"].value == class_id and "Join code" in first["class_note"]
    assert "fox" in overview and "⚑" not in overview
    assert h.open_class(services, token, class_id)[0] == overview
    quiet = h.poll(services, token, class_id, feed)
    assert _is_skip(quiet[0]) and _is_skip(quiet[1])  # nothing new: nothing redrawn
    classroom["session"].send(DISTRESS)
    alerts, overview, students, _note, feed2 = h.poll(services, token, class_id, feed)
    assert "NEW" in alerts and "fox" in alerts and "⚑ 1 flag" in overview
    assert ("fox", classroom["student"]) in [tuple(c) for c in students.choices]
    assert _is_skip(h.poll(services, token, class_id, feed2)[0])


def test_a_students_session_transcript_charts_and_export(services: Any, classroom: dict) -> None:
    token, sid = classroom["token"], classroom["session"].id
    rows, picker, _note, box = h.student_sessions(services, token, classroom["student"])
    assert rows and rows[0][-1] == sid and picker.value == sid and box.visible is True
    transcript, charts, turns = h.open_session(services, token, sid)
    problem = services.tutor.transcript(sid)[0]["problem"]
    assert problem["prompt"] in transcript  # the answered problem is on the answer's row
    assert charts.count("<img") == 3 and charts.count('alt="') == 3 and "plot visualising" not in charts
    for elem_id in ("plot-mood", "plot-mastery", "plot-states"):
        assert f'id="{elem_id}"' in charts
    indices = [t["index"] for t in services.tutor.transcript(sid)]
    assert [c[1] for c in turns.choices] == indices and turns.value == indices[-1]
    path = Path(h.export_session(services, token, sid, "CSV"))
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert rows[1]["expected_answer"] == problem["answer"] and rows[1]["correct"] == "yes"
    with pytest.raises(TeacherInputError, match="CSV or JSON"):
        h.export_session(services, token, sid, "XLSX")


def test_a_logged_reply_is_re_rendered_and_played_again(services: Any, classroom: dict) -> None:
    """Clip files are temporary; the teacher hears a reply again from what the log keeps."""
    token, sid = classroom["token"], classroom["session"].id
    logged = services.tutor.transcript(sid)[1]
    feeds = [read_feed(f) for f in replay(services, token, sid, 1)]
    assert feeds and feeds[-1]["done"] and feeds[-1]["stage"] == REPLAY_STAGE
    chunks = feeds[-1]["chunks"]
    for chunk in chunks:
        for url in (chunk["sheet"], chunk["audio"]):
            assert Path(url.split("file=", 1)[1]).is_file()
    captions = " ".join(c["caption"] for c in chunks)
    assert " ".join(captions.split()) == " ".join(logged["spoken"].split())  # the logged words, spoken again
    with pytest.raises(TeacherInputError, match="not in this session"):
        list(replay(services, token, sid, 99))


HANDLERS: dict[str, Callable[..., Any]] = {
    "create_class": lambda s, t, c: h.create_class(s, t, "sneaky class"),
    "open_class": lambda s, t, c: h.open_class(s, t, c["class_id"]),
    "poll": lambda s, t, c: h.poll(s, t, c["class_id"], h.FeedState()),
    "student_sessions": lambda s, t, c: h.student_sessions(s, t, c["student"]),
    "open_session": lambda s, t, c: h.open_session(s, t, c["session"].id),
    "export_session": lambda s, t, c: h.export_session(s, t, c["session"].id, "CSV"),
    "delete_student": lambda s, t, c: h.delete_student(s, t, c["student"], True),
    "replay": lambda s, t, c: list(replay(s, t, c["session"].id, 1)),
}


REFUSALS = [  # another teacher may create a class of their own: that one call is not a refusal
    (handler, who)
    for handler in HANDLERS
    for who in ("no token", "forged", "other teacher")
    if (handler, who) != ("create_class", "other teacher")
]


@pytest.mark.parametrize(("handler", "who"), REFUSALS)
def test_every_handler_refuses_without_this_teachers_token(
    services: Any, classroom: dict, who: str, handler: str
) -> None:
    if who == "other teacher":
        token = _teacher(services)[1]
    else:
        token = {"no token": "", "forged": classroom["token"][:-4] + "AAAA"}[who]
    with pytest.raises(AccessDeniedError):
        HANDLERS[handler](services, token, classroom)
    assert services.tutor.transcript(classroom["session"].id)  # nothing was deleted


def test_delete_needs_confirmation_then_the_student_is_gone(services: Any) -> None:
    name, token = _teacher(services)
    h.create_class(services, token, "8A")
    info = services.tutor.teacher(name, PASSWORD).classes()[0]
    login = services.tutor.join_class(info.code, "owl")
    services.tutor.start_session(student=login.student, topic="percentages")
    with pytest.raises(TeacherInputError, match="sure"):
        h.delete_student(services, token, login.student, False)
    assert "Deleted" in h.delete_student(services, token, login.student, True)
    overview, students, _ = h.open_class(services, token, info.id)
    assert "owl" not in overview and students.choices == []
