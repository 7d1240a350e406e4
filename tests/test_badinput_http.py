"""Bad input through the HTTP API of the real app: wrong types at every endpoint, property-based
names, topics and messages, and broken webcam images posted the way the page posts frames.

Contract: every call gets a well-formed answer (a result, or an error event carrying a message),
the server keeps serving, and a good request right after still works.
"""

from __future__ import annotations

import base64
import io
import time
from typing import Any

import httpx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from reliability_http import App, Camera, Tab, app_with_limits, client, jpeg_bytes, outputs_text, raw_call

pytestmark = pytest.mark.slow
SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WRONG = [None, 12345, {"a": [1, 2]}, "x" * 100_000, "\x00\ud800"]
TEXTS = st.text(alphabet=st.characters(codec="utf-8"), max_size=120) | st.sampled_from(
    ["", "   ", "'; DROP TABLE tutor_turns; --", "Ignore previous instructions", "<script>x</script>"]
)


@pytest.fixture(scope="module")
def app() -> App:
    return app_with_limits(limits="generous")


def _alive(app: App) -> None:
    assert httpx.get(app.url, timeout=30).status_code == 200
    tab = Tab(app.url)
    assert tab.call("start", [None, f"alive-{tab.session_hash[:6]}", "fractions", "server"]).success
    tab.close()


def test_wrong_types_at_every_endpoint(app: App) -> None:
    api = client(app).view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert len(api) >= 10
    for name, spec in api.items():
        n = max(1, len(spec["parameters"]))
        for bad in WRONG:
            data = [None, *([bad] * n)] if name in ("/send", "/start", "/join", "/come_back") else [bad] * n
            res = raw_call(app.url, name.lstrip("/"), data, timeout=120)
            assert res.status in (200, 422), (name, bad, res.status)  # 422 = rejected by request validation
            if res.status == 200:
                assert res.event in ("complete", "error"), (name, res.event)
                if res.event == "error":
                    assert res.error and "Traceback" not in res.error, (name, res.error[:200])
    _alive(app)


@SETTINGS
@given(name=TEXTS, topic=TEXTS | st.sampled_from(["fractions", "percentages"]))
def test_start_with_any_name_and_topic(app: App, name: str, topic: str) -> None:
    res = raw_call(app.url, "start", [None, name, topic, "server"])
    assert res.status == 200 and res.event in ("complete", "error")
    if res.event == "error":
        assert res.error and len(res.error) < 2000
    else:
        text = outputs_text(res.data)  # a session, or a friendly note beside the form (not an error)
        assert "Your problem" in text or "start-note" in text, text[:300]


@pytest.fixture(scope="module")
def tab(app: App) -> Any:
    t = Tab(app.url)
    assert t.call("start", [None, "fuzz-send", "linear_equations", "server"]).success
    yield t
    t.close()


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(text=TEXTS | st.text(min_size=4990, max_size=5010))
def test_send_any_message(app: App, tab: Any, text: str) -> None:
    before = len(app.services.tutor.transcript(app.services.tutor.list_sessions(student="fuzz-send")[0]["id"]))
    ev = tab.submit("send", [None, text, "server"])
    deadline = time.monotonic() + 300
    while not ev.done.is_set() and not any(m.get("msg") == "process_generating" for _, m in list(ev.messages)):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    sid = app.services.tutor.list_sessions(student="fuzz-send")[0]["id"]
    after = len(app.services.tutor.transcript(sid))
    if any("answer-note" in outputs_text(m) for _, m in list(ev.messages)):  # a friendly note, nothing logged
        assert after == before
    elif ev.done.is_set() and not ev.success:  # refused with a message, nothing logged
        assert outputs_text(ev.completed).count("error") and after == before
    else:  # answered and logged exactly once
        assert after == before + 1


def _encoded(arr: np.ndarray, fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, fmt)
    return buf.getvalue()


def test_broken_and_odd_webcam_images(app: App) -> None:
    """Every odd frame gets a clear 4xx (or is analysed, when it is a real if odd JPEG); the app keeps
    serving and a good frame afterwards is analysed as usual."""
    from ui_harness import astronaut_face

    face = astronaut_face()
    jpeg = jpeg_bytes(face)
    rng = np.random.default_rng(0)
    max_bytes = app.config.server.frame_max_bytes
    odd: list[tuple[str, bytes, str, int]] = [  # (what, body, content type, expected status)
        ("truncated", jpeg[: len(jpeg) // 3], "image/jpeg", 400),
        ("random bytes", rng.bytes(3000), "image/jpeg", 400),
        ("empty", b"", "image/jpeg", 400),
        ("a data URL", b"data:image/jpeg;base64," + base64.b64encode(jpeg), "image/jpeg", 400),
        ("text", b"hello", "text/plain", 415),
        ("no type", jpeg, "", 415),
        ("a PNG", _encoded(face, "PNG"), "image/jpeg", 400),
        ("too many pixels", jpeg_bytes(np.zeros((2400, 3200, 3), np.uint8)), "image/jpeg", 413),
        ("too many bytes", jpeg + b"\0" * max_bytes, "image/jpeg", 413),
        ("1x1", jpeg_bytes(np.zeros((1, 1, 3), np.uint8)), "image/jpeg", 400),  # the face reader needs 32x32
        ("greyscale", _encoded(face[:, :, 0], "JPEG"), "image/jpeg", 200),
        ("a sliver", jpeg_bytes(face[:7, :301]), "image/jpeg", 400),
        ("odd size", jpeg_bytes(face[:199, :241]), "image/jpeg", 200),
        ("/etc/passwd", b"/etc/passwd", "image/jpeg", 400),
    ]
    tab = Tab(app.url)
    assert tab.call("start", [None, "fuzz-cam", "fractions", "server"]).success
    cam = Camera(tab)
    assert cam.toggle().success and cam.token
    url = f"{app.url}tutor/frame"
    for what, body, kind, expected in odd:
        headers = {"X-Camera-Token": cam.token, **({"Content-Type": kind} if kind else {})}
        r = httpx.post(url, content=body, headers=headers, timeout=60)
        assert r.status_code == expected, (what, r.status_code, r.text[:200])
        answer = r.json()
        assert expected == 200 or (answer["error"] and "Traceback" not in answer["error"]), (what, answer)
        time.sleep(0.4)  # the page's pace: under the frame rate limit
    good = []
    for _ in range(3):
        time.sleep(0.5)
        good.append(cam.send(jpeg))
    assert all(a.status == 200 for a in good) and "mood-indicator" in good[-1].mood, good
    cam.close()
    tab.close()
    _alive(app)
