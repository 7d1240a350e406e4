"""The app over its HTTP/queue API (gradio_client and raw HTTP) on 127.0.0.1, real models.

Checks what a scripted client can and cannot do: the student endpoints work and never take a
session id (so one client cannot reach another's session). The teacher endpoints have their own
module: tests/test_ui_teacher_api.py.
"""

from __future__ import annotations

import time

import pytest
from gradio_client import Client
from ui_harness import live_app

from ui.avatar import read_feed

pytestmark = pytest.mark.slow  # starts the real app (models loaded once per test process)

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
        "/sign_out",
    ):
        assert name in named, f"{name} missing from the API"
    assert "/frame" not in named  # webcam frames have their own route (ui/camera.py), not a Gradio event
    for name in ("/start", "/send", "/hint", "/confused", "/next", "/replay", "/camera", "/sign_out"):
        params = [p["parameter_name"] for p in named[name]["parameters"]]
        assert not any("session" in p or "student_id" in p or "code" in p for p in params), (name, params)
    assert "/resume" not in named and "/restore" not in named  # no student endpoint names a session


def test_reply_text_arrives_before_the_clip_over_the_api(student) -> None:
    _client, outputs = student
    chat = outputs[0][0]
    assert chat[-2]["role"] == "user" and chat[-1]["role"] == "assistant"
    assert 'data-busy="true"' in outputs[0][4]  # progress is announced with the text
    feeds = [f for o in outputs if (f := read_feed(o[5])) and f["reply"]]
    assert feeds, "no avatar performance was sent"
    assert feeds[-1]["done"] and len({f["reply"] for f in feeds}) == 1  # one reply, its chunks growing
    assert [len(f["chunks"]) for f in feeds] == sorted(len(f["chunks"]) for f in feeds)
    for chunk in feeds[-1]["chunks"]:
        assert chunk["sheet"].endswith(".jpg") and chunk["audio"].endswith(".wav") and chunk["n"] >= 1


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
