"""The app over its HTTP/queue API (gradio_client and raw HTTP) on 127.0.0.1, real models.

Checks what a scripted client can and cannot do: the student endpoints work and never take a
session id (so one client cannot reach another's session), and every teacher endpoint refuses
without the password, through gradio_client and through the raw queue API alike.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError
from ui_harness import TEACHER_PASSWORD, live_app

pytestmark = pytest.mark.slow  # starts the real app (models loaded once per test process)

TEACHER_ENDPOINTS = {
    "/teacher_sessions": ["", "", "", "", ""],
    "/teacher_session": ["", None],
    "/teacher_export": ["", None, "CSV"],
    "/teacher_delete": ["", "someone", True],
}
EVIL = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


@pytest.fixture(scope="module")
def app():
    return live_app()


@pytest.fixture(scope="module")
def student(app):
    """A student who has started a session and sent one message (the clip is awaited)."""
    client = Client(app.url, verbose=False, download_files=False)
    client.predict("ui-api-1", "fractions", api_name="/start")
    job = client.submit(EVIL, api_name="/send")
    outputs = list(job)
    return client, outputs


def _text(message: dict) -> str:
    content = message["content"]
    return content if isinstance(content, str) else " ".join(c.get("text", "") for c in content)


def _named_endpoints(client: Client) -> dict[str, dict]:
    return client.view_api(return_format="dict", print_info=False)["named_endpoints"]


def test_every_event_has_an_api_name_and_student_endpoints_take_no_session_id(app) -> None:
    client = Client(app.url, verbose=False, download_files=False)
    named = _named_endpoints(client)
    for name in (
        "/start",
        "/join",
        "/come_back",
        "/send",
        "/hint",
        "/confused",
        "/next",
        "/replay",
        "/camera",
        "/frame",
    ):
        assert name in named, f"{name} missing from the API"
    for name in ("/start", "/send", "/hint", "/confused", "/next", "/replay", "/camera", "/frame"):
        params = [p["parameter_name"] for p in named[name]["parameters"]]
        assert not any("session" in p or "student_id" in p or "code" in p for p in params), (name, params)
    assert "/resume" not in named and "/restore" not in named  # no student endpoint names a session
    assert set(TEACHER_ENDPOINTS) <= set(named)
    assert "/teacher_pick" not in named  # a click helper (needs the browser's SelectData), not an API


def test_reply_text_arrives_before_the_clip_over_the_api(student) -> None:
    _client, outputs = student
    chat = outputs[0][0]
    assert chat[-2]["role"] == "user" and chat[-1]["role"] == "assistant"
    assert 'data-busy="true"' in outputs[0][4]  # progress is announced with the text
    videos = [o[5] for o in outputs if isinstance(o[5], dict) and o[5].get("loop") is False]
    assert videos, "no avatar clip was sent"
    for video in videos:
        assert video["autoplay"] is True
        assert video["value"]["path"].endswith(".mp4") and video["subtitles"]["path"].endswith(".vtt")


@pytest.mark.parametrize("password", ["", "wrong", TEACHER_PASSWORD + " "])
def test_teacher_endpoints_refuse_without_the_password(app, password) -> None:
    client = Client(app.url, verbose=False, download_files=False)
    for name, args in TEACHER_ENDPOINTS.items():
        with pytest.raises(AppError, match="password"):
            client.predict(password, *args[1:], api_name=name)


def test_raw_queue_api_refuses_teacher_calls_without_the_password(app) -> None:
    with httpx.Client(base_url=app.url, timeout=30) as http:
        for name, args in TEACHER_ENDPOINTS.items():
            r = http.post(f"gradio_api/call{name}", json={"data": ["nope", *args[1:]]})
            assert r.status_code == 200, r.text
            event_id = r.json()["event_id"]
            body = http.get(f"gradio_api/call{name}/{event_id}").text
            assert "event: error" in body and "password" in body, (name, body[:300])
            assert "ui-api" not in body


def test_teacher_sees_escaped_transcript_exports_and_deletes(app, student) -> None:
    client = Client(app.url, verbose=False, download_files=False)
    table, _picker, note = client.predict(TEACHER_PASSWORD, "ui-api-1", "", "", "", api_name="/teacher_sessions")
    rows = table["data"]
    assert rows and all(r[1] == "ui-api-1" for r in rows), rows
    session_id = rows[0][-1]
    assert "session" in note
    today = datetime.now(UTC).date()
    for student, topic, since, until, expect in (
        ("", "fractions", str(today), str(today), True),
        ("", "percentages", "", "", False),
        ("", "", str(today + timedelta(days=1)), "", False),
        ("", "", "", str(today - timedelta(days=1)), False),
    ):
        found, *_ = client.predict(TEACHER_PASSWORD, student, topic, since, until, api_name="/teacher_sessions")
        assert any(r[-1] == session_id for r in found["data"]) is expect, (topic, since, until)
    with pytest.raises(AppError, match="date"):
        client.predict(TEACHER_PASSWORD, "", "", "yesterday", "", api_name="/teacher_sessions")
    transcript, *plots = client.predict(TEACHER_PASSWORD, session_id, api_name="/teacher_session")
    assert "&lt;script&gt;" in transcript and "<script>" not in transcript and "<img" not in transcript
    assert all(p is not None for p in plots)
    exported = client.predict(TEACHER_PASSWORD, session_id, "JSON", api_name="/teacher_export")
    with httpx.Client(timeout=30) as http:
        doc = json.loads(http.get(exported["url"]).text)
    assert doc["session"]["student"] == "ui-api-1" and any(t["student_text"] == EVIL for t in doc["turns"])


def test_deleting_needs_confirmation_then_removes_every_row(app, student) -> None:
    client = Client(app.url, verbose=False, download_files=False)
    with pytest.raises(AppError, match="sure"):
        client.predict(TEACHER_PASSWORD, "ui-api-1", False, api_name="/teacher_delete")
    note = client.predict(TEACHER_PASSWORD, "ui-api-1", True, api_name="/teacher_delete")
    assert "ui-api-1" in note
    assert app.services.tutor.store.count_rows("ui-api-1") == 0
    table, _picker, _note = client.predict(TEACHER_PASSWORD, "ui-api-1", "", "", "", api_name="/teacher_sessions")
    assert table["data"] == [] or all(r[1] != "ui-api-1" for r in table["data"] if any(r))


def test_without_a_password_the_teacher_view_is_off_and_has_no_endpoints(app) -> None:
    off = live_app(password="")
    client = Client(off.url, verbose=False, download_files=False)
    assert not [n for n in _named_endpoints(client) if n.startswith("/teacher")]
    html = httpx.get(off.url + "config", timeout=30).text
    assert "Teacher view disabled" in html and "TUTOR_TEACHER_PASSWORD" in html


def test_two_clients_never_share_a_conversation(app) -> None:
    a = Client(app.url, verbose=False, download_files=False)
    b = Client(app.url, verbose=False, download_files=False)
    chat_a = a.predict("ui-api-a", "fractions", api_name="/start")[0]
    chat_b = b.predict("ui-api-b", "percentages", api_name="/start")[0]
    assert chat_a != chat_b
    t0 = time.perf_counter()
    job = b.submit("I have no idea", api_name="/send")
    first = next(iter(job))
    assert time.perf_counter() - t0 < 60
    texts = [_text(m) for m in first[0]]
    assert "I have no idea" in texts and all("ui-api-a" not in t for t in texts)
    job.cancel()
