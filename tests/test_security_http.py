"""Security over the real HTTP API: isolation between students, session ids, rate limits, the
session log not downloadable (teacher logins and tokens: tests/test_ui_teacher_api.py).

The app is the real one on 127.0.0.1 (reliability_http.app_with_limits); refusals are checked
through Gradio's raw REST/queue protocol as well as gradio_client, not only through the UI.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest
from reliability_http import (
    App,
    Camera,
    ManualClock,
    Tab,
    app_with_limits,
    client,
    jpeg_bytes,
    outputs_text,
)

pytestmark = pytest.mark.slow
EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)><svg onload=alert(2)>'


@pytest.fixture(scope="module")
def app() -> App:
    return app_with_limits()


def _session_of(app: App, student: str) -> str:
    rows = app.services.tutor.list_sessions(student=student)
    assert rows, f"no session for {student}"
    return str(rows[0]["id"])


def _start(app: App, student: str) -> Any:
    c = client(app)
    c.predict(student, "fractions", api_name="/start")
    return c


def _send_text_only(c: Any, text: str) -> Any:
    """Send a message and return the first update (the text reply), without waiting for the clip."""
    job = c.submit(text, api_name="/send")
    for first in job:
        return first
    return job.result()


@pytest.fixture(scope="module")
def alice(app: App) -> tuple[Any, str]:
    c = _start(app, f"alice-{uuid.uuid4().hex[:6]}")
    student = app.services.tutor.list_sessions()[0]["student"]
    _send_text_only(c, "my secret word is zebra42 " + EVIL)
    return c, student


def test_a_student_cannot_reach_another_students_transcript(app: App, alice: tuple[Any, str]) -> None:
    _, alice_id = alice
    alice_sid = _session_of(app, alice_id)
    bob = _start(app, f"bob-{uuid.uuid4().hex[:6]}")
    seen = [_send_text_only(bob, "what did the other student say? show me zebra")]
    for api in ("/hint", "/next"):
        job = bob.submit(api_name=api)
        seen.append(next(iter(job)))
    seen.append(bob.predict(api_name="/camera"))
    text = outputs_text(seen)
    assert "zebra42" not in text and alice_id not in text and alice_sid not in text
    # Student endpoints take no session id at all: a tab only reaches the session in its own gr.State.
    api = bob.view_api(return_format="dict", print_info=False)["named_endpoints"]
    for name, spec in api.items():
        if "teacher" not in name:
            assert not [p for p in spec["parameters"] if "session" in p["parameter_name"].lower()], name


def test_session_ids_are_unguessable_and_never_sent_to_the_student(app: App) -> None:
    c = client(app)
    student = f"ids-{uuid.uuid4().hex[:6]}"
    out = c.predict(student, "percentages", api_name="/start")
    sid = _session_of(app, student)
    parsed = uuid.UUID(sid)
    assert parsed.version == 4 and str(parsed) == sid  # 122 random bits from the OS
    assert sid not in outputs_text(out) and sid.replace("-", "") not in outputs_text(out)
    others = {str(r["id"]) for r in app.services.tutor.list_sessions()}
    assert len({s[:8] for s in others}) == len(others)  # no shared prefixes / counters


def test_the_session_log_cannot_be_downloaded(app: App) -> None:
    data_dir = app.config.tutor.resolved_data_dir()
    for path in (f"{data_dir}/tutor.db", f"{data_dir}/tutor.db-wal", "/etc/passwd"):
        r = httpx.get(f"{app.url}gradio_api/file={path}", timeout=30)
        assert r.status_code in (403, 404), (path, r.status_code)
        assert b"SQLite format" not in r.content and b"root:" not in r.content


def test_chat_is_rate_limited_per_client(app: App) -> None:
    """A burst of messages from one tab is refused with a friendly note beyond the budget, the
    refused messages are not logged, and another tab from the same machine is still served."""
    tab = Tab(app.url)
    student = f"flood-{tab.session_hash[:6]}"
    assert tab.call("start", [None, student, "fractions", "server"]).success
    sid = _session_of(app, student)
    before = len(app.services.tutor.transcript(sid))
    events = [tab.submit("send", [None, f"{i}/7", "server"]) for i in range(10)]  # all at once
    for ev in events:  # the text reply (no need to wait for the clips) or the refusal
        assert _wait_text_or_done(ev, 300)
    # A refusal is a note beside the answer box (a completed event, no error badge in the page).
    refused = [ev for ev in events if ev.done.is_set() and "very quickly" in outputs_text(ev.completed)]
    ok = [ev for ev in events if ev not in refused]
    limit = app.services.limits.limits.chat_session
    assert limit.burst <= len(ok) <= limit.burst + 1, (len(ok), len(refused))
    assert refused and all(ev.success for ev in refused)
    assert len(app.services.tutor.transcript(sid)) == before + len(ok)
    tab.close()
    other = Tab(app.url)  # same address, another tab: served
    assert other.call("start", [None, f"calm-{other.session_hash[:6]}", "fractions", "server"]).success
    assert _wait_text_or_done(other.submit("send", [None, "1/2", "server"]), 300)
    other.close()


def _wait_text_or_done(ev: Any, timeout: float) -> bool:
    """Until the event has shown the tutor's text (first generating update) or has completed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ev.done.is_set() or any(m.get("msg") == "process_generating" for _, m in list(ev.messages)):
            return True
        time.sleep(0.05)
    return False


def _stream_webcam(app: App, frames: int, every_s: float, clock: ManualClock | None = None) -> list[int]:
    """Post a face at the given pace as the page does; returns the HTTP status of each frame. With
    `clock` (the app's limiters' ManualClock) the pace is on that clock, however long each post takes."""
    from ui_harness import astronaut_face

    tab = Tab(app.url)
    assert tab.call("start", [None, f"cam-{tab.session_hash[:6]}", "fractions", "server"]).success
    cam, frame = Camera(tab), jpeg_bytes(astronaut_face())
    assert cam.toggle().success and cam.token
    statuses = []
    for _ in range(frames):
        answer = cam.send(frame)
        statuses.append(answer.status)
        assert answer.status != 200 or answer.analysed, answer  # one student alone: every frame is read
        if clock is None:
            time.sleep(max(0.0, every_s - answer.seconds))
        else:
            clock.advance(every_s)
    cam.toggle()
    cam.close()
    tab.close()
    return statuses


def test_webcam_frames_are_rate_limited_per_client() -> None:
    """Frames posted as the page does: a camera over its frame budget gets 429 (with Retry-After)
    for the extra frames, before the face analyser, while the same pace on an app without a
    practical limit is analysed frame by frame."""
    clock = ManualClock()  # the strict limiter's time: 0.5 s a frame, however slowly a busy machine answers
    strict = app_with_limits(limits="strict", clock=clock)  # 2 frames, then 1 per 2 s
    free = app_with_limits(limits="generous")
    limited = _stream_webcam(strict, 10, 0.5, clock)  # the page's 2 fps for 5 s
    unlimited = _stream_webcam(free, 10, 0.5)
    # Two at once, then the budget refills one frame per 2 s = every 4th frame at 2 fps.
    assert limited == [200, 200, 429, 429, 200, 429, 429, 429, 200, 429], limited
    assert unlimited == [200] * 10, unlimited  # not limited: every frame is analysed
