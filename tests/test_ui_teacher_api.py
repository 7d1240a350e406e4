"""Teacher endpoints over the real HTTP API: gradio_client, Gradio's raw REST calls and the
browser's queue protocol (fn_index). No endpoint answers without a valid login token: no token,
a forged one, and another teacher's token are refused, and nothing of the class leaks; with the
token, a scripted client can do what the page does (login, overview, transcript, export).
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError
from reliability_http import Tab, outputs_text, raw_call
from ui_harness import live_app

pytestmark = pytest.mark.slow
PASSWORD = "a long enough teacher password"
SECRET = "my secret word is zebra42"
EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)><svg onload=alert(2)>'


@pytest.fixture(scope="module")
def app() -> Any:
    return live_app()


def _teacher(app: Any) -> tuple[str, str]:
    name = f"t-{uuid.uuid4().hex[:8]}"
    app.services.tutor.create_teacher(name, PASSWORD)
    token = Client(app.url, verbose=False).predict(name, PASSWORD, api_name="/teacher_login")[0]
    return name, token


@pytest.fixture(scope="module")
def classroom(app: Any) -> dict[str, Any]:
    name, token = _teacher(app)
    tutor = app.services.tutor
    info = tutor.create_class(name, PASSWORD, name="9C")
    login = tutor.join_class(info.code, "lynx")
    session = tutor.start_session(student=login.student, topic="fractions")
    session.send(SECRET + " " + EVIL)
    return {"token": token, "class_id": info.id, "student": login.student, "sid": session.id, "code": info.code}


def _calls(c: dict[str, Any]) -> dict[str, list[Any]]:
    """Every data-reading or writing teacher endpoint with the arguments after the token."""
    return {
        "teacher_restore": [],
        "teacher_create_class": ["sneaky"],
        "teacher_class": [c["class_id"]],
        "teacher_poll": [c["class_id"]],
        "teacher_student": [c["student"]],
        "teacher_session": [c["sid"]],
        "teacher_export": [c["sid"], "CSV"],
        "teacher_replay": [c["sid"], 1],
        "teacher_delete": [c["student"], True],
    }


def _tokens(app: Any, c: dict[str, Any]) -> dict[str, str]:
    return {"none": "", "forged": c["token"][:-6] + "AAAAAA", "other teacher": _teacher(app)[1]}


def test_with_the_token_a_client_does_what_the_page_does(app: Any, classroom: dict) -> None:
    client = Client(app.url, verbose=False, download_files=False)
    token = classroom["token"]
    overview, _students, note = client.predict(token, classroom["class_id"], api_name="/teacher_class")
    assert "lynx" in overview and classroom["code"] in note
    transcript, charts, _turns = client.predict(token, classroom["sid"], api_name="/teacher_session")
    assert "zebra42" in transcript and charts.count("alt=") == 3
    low = transcript.lower()  # student text reaches the teacher's page only escaped
    assert "<script" not in low and "<img" not in low and "<svg" not in low
    assert "&lt;script&gt;" in transcript and not re.search(r"<[a-z]+[^>]*\son[a-z]+\s*=", low)
    exported = client.predict(token, classroom["sid"], "JSON", api_name="/teacher_export")
    doc = json.loads(httpx.get(exported["url"], timeout=30).text)
    assert doc["session"]["id"] == classroom["sid"]
    with pytest.raises(AppError):
        client.predict(classroom["student"], PASSWORD + "!", api_name="/teacher_login")


@pytest.mark.parametrize("who", ["none", "forged", "other teacher"])
def test_no_endpoint_answers_without_this_teachers_token_raw_http(app: Any, classroom: dict, who: str) -> None:
    token = _tokens(app, classroom)[who]
    for api, rest in _calls(classroom).items():
        if api == "teacher_create_class" and who == "other teacher":
            continue  # another teacher may create their own class
        res = raw_call(app.url, api, [token, *rest])
        text = outputs_text(res.events)
        if api == "teacher_restore":  # the login box (or the other teacher's own, empty dashboard)
            assert res.event == "complete" and "lynx" not in text and "zebra42" not in text, text[:300]
            assert (res.data[0] == "") is (who != "other teacher")
            continue
        assert res.event == "error", (api, who, text[:300])
        assert "zebra42" not in text and "lynx" not in text, (api, who)
    assert app.services.tutor.transcript(classroom["sid"]), "a refused delete deleted something"


def test_the_browser_protocol_with_fn_index_checks_the_token_too(app: Any, classroom: dict) -> None:
    """Every teacher dependency (named or private, e.g. the redraw after a delete) refuses a forged token."""
    config = httpx.get(f"{app.url}config", timeout=30).json()
    deps = [d for d in config["dependencies"] if str(d.get("api_name", "")).startswith("teacher_")]
    deps = [d for d in deps if d["api_name"] not in ("teacher_login", "teacher_logout", "teacher_restore")]
    assert len(deps) >= 8
    forged = classroom["token"][:-6] + "AAAAAA"
    for dep in deps:
        chained = {  # private follow-ups of a click: the same arguments as the endpoint they follow
            "teacher_class_after_delete": "teacher_class",
            "teacher_student_first_session": "teacher_session",
            "teacher_session_from_row": "teacher_session",
        }
        args = _calls(classroom)[chained.get(dep["api_name"], dep["api_name"])]
        data = [forged, *args][: len(dep["inputs"])]
        data += [None] * (len(dep["inputs"]) - len(data))
        tab = Tab(app.url)
        ev = tab.call(dep["api_name"], data)
        tab.close()
        text = outputs_text(ev.messages)
        assert not ev.success and "zebra42" not in text and "lynx" not in text, dep["api_name"]
    assert app.services.tutor.transcript(classroom["sid"])
