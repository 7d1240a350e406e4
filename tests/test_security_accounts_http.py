"""Accounts over the real HTTP API (issue 12): login tokens (none, forged, expired, another
class's teacher), brute-forcing a teacher password (growing delay, then a lock), guessing class
and resume codes (limited per client), and an app started on a database written by the
previous release.

Everything goes through Gradio's raw REST protocol as an attacker would send it. Clients are
told apart by their network address: the attacker connects from another loopback address
(127.0.0.2, 127.0.0.3), so the limits it trips are its own and the classroom on 127.0.0.1 is
still served.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from reliability_http import App, RawResult, app_with_limits, outputs_text, raw_call

from tutor.accounts import codes
from tutor.accounts.tokens import password_fingerprint

pytestmark = pytest.mark.slow
PW = "a long enough teacher password"


def call_from(address: str, url: str, api: str, data: list[Any], timeout: float = 120.0) -> RawResult:
    """raw_call, but from a chosen local (loopback) address: another client as far as the server knows."""
    with httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=timeout) as http:
        r = http.post(f"{url}gradio_api/call/{api}", json={"data": data})
        if r.status_code != 200:
            return RawResult(r.status_code, "", r.text, [])
        events: list[tuple[str, Any]] = []
        name = ""
        with http.stream("GET", f"{url}gradio_api/call/{api}/{r.json()['event_id']}") as stream:
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    name = line.split(":", 1)[1].strip()
                elif line.startswith("data:"):
                    payload = line.split(":", 1)[1].strip()
                    events.append((name, json.loads(payload) if payload else None))
                    if name in ("complete", "error"):
                        break
    last = events[-1] if events else ("", None)
    return RawResult(200, last[0], last[1], events)


@pytest.fixture(scope="module")
def app() -> App:
    return app_with_limits()


def _teacher_with_class(app: App) -> dict[str, Any]:
    tutor = app.services.tutor
    name = f"t-{uuid.uuid4().hex[:8]}"
    tutor.create_teacher(name, PW)
    info = tutor.create_class(name, PW, name="8A")
    login = tutor.join_class(info.code, pseudonym="heron")
    session = tutor.start_session(student=login.student, topic="fractions")
    session.send("my secret word is okapi77")
    token = raw_call(app.url, "teacher_login", [name, PW]).data[0]
    return {"name": name, "class_id": info.id, "code": info.code, "student": login.student, "sid": session.id,
            "token": token}  # fmt: skip


def _token_issued_hours_ago(app: App, teacher: str, hours: float) -> str:
    """A token signed by the server's own key, as if a browser had kept it since `hours` ago."""
    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    from tutor.accounts.service import TOKEN_KEY_SETTING
    from tutor.tables import SettingRow

    with app.services.tutor.store.read() as db:
        key = db.get(SettingRow, TOKEN_KEY_SETTING).value
    found = app.services.tutor.accounts.find_teacher(teacher)

    class Earlier(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - hours * 3600)

    serializer = URLSafeTimedSerializer(key, salt="tutor.teacher-login", signer=Earlier)
    return str(serializer.dumps({"t": found.id, "f": password_fingerprint(found.password_hash)}))


def test_teacher_endpoints_refuse_missing_forged_expired_and_other_class_tokens(app: App) -> None:
    mine, other = _teacher_with_class(app), _teacher_with_class(app)
    calls = {
        "teacher_class": [mine["class_id"]],
        "teacher_student": [mine["student"]],
        "teacher_session": [mine["sid"]],
        "teacher_export": [mine["sid"], "CSV"],
        "teacher_delete": [mine["student"], True],
    }
    fresh = _token_issued_hours_ago(app, mine["name"], 0.0)  # the same construction, not old: accepted
    assert raw_call(app.url, "teacher_class", [fresh, mine["class_id"]]).event == "complete"
    refused = {
        "no token": "",
        "forged": mine["token"][:-6] + ("AAAAAA" if not mine["token"].endswith("AAAAAA") else "BBBBBB"),
        "expired (9 h old)": _token_issued_hours_ago(app, mine["name"], 9.0),
        "teacher of another class": other["token"],
    }
    for who, token in refused.items():
        for api, rest in calls.items():
            res = raw_call(app.url, api, [token, *rest])
            assert res.event == "error", (who, api, outputs_text(res.events)[:300])
            assert "okapi77" not in outputs_text(res.events) and "heron" not in outputs_text(res.events), (who, api)
            if who.startswith("expired"):
                assert "expired" in res.error, res.error
    assert app.services.tutor.transcript(mine["sid"]), "a refused delete deleted nothing"
    ok = raw_call(app.url, "teacher_session", [mine["token"], mine["sid"]])
    assert ok.event == "complete" and "okapi77" in outputs_text(ok.data)  # the refusals above are real


def _retry_after(message: str) -> float:
    found = re.search(r"in (\d+) s", message)
    return float(found.group(1)) if found else 0.0


def test_password_brute_force_is_slowed_then_locked_one_account_only(app: App) -> None:
    tutor = app.services.tutor
    victim, bystander = f"v-{uuid.uuid4().hex[:8]}", f"b-{uuid.uuid4().hex[:8]}"
    for name in (victim, bystander):
        tutor.create_teacher(name, PW)
    t0, checked, delayed = time.monotonic(), 0, 0
    for i in range(50):  # as fast as the server answers (before accounts: 50 guesses in 6 s)
        res = raw_call(app.url, "teacher_login", [victim, f"guess-{i}"])
        assert res.event == "error"
        checked += "Wrong teacher name or password" in res.error
        delayed += "Try again in" in res.error
    elapsed = time.monotonic() - t0
    print(f"50 guesses in {elapsed:.1f} s: {checked} checked, {delayed} refused unchecked")
    assert checked <= 4 + int(elapsed).bit_length() + 1 and checked + delayed == 50, (checked, delayed, elapsed)
    right = raw_call(app.url, "teacher_login", [victim, PW])
    assert right.event == "error" and "Try again" in right.error  # the right password waits too
    assert raw_call(app.url, "teacher_login", [bystander, PW]).event == "complete"  # other accounts unaffected
    message = right.error
    for _ in range(12):  # wait out each growing delay and guess again, until the account locks
        if "locked" in message:
            break
        time.sleep(_retry_after(message) + 0.2)
        message = raw_call(app.url, "teacher_login", [victim, "another guess"]).error
        if "Wrong" in message:
            message = raw_call(app.url, "teacher_login", [victim, PW]).error  # what the next try gets
    assert "locked" in message and _retry_after(message) > 600, message  # locked for minutes
    assert raw_call(app.url, "teacher_login", [victim, PW]).event == "error"
    assert raw_call(app.url, "teacher_login", [bystander, PW]).event == "complete"


def test_class_and_resume_code_guessing_is_limited_per_client(app: App) -> None:
    room = _teacher_with_class(app)
    guesses = [call_from("127.0.0.2", app.url, "join", [codes.new_join_code(), "mallory", "fractions", "server"])
               for _ in range(10)]  # fmt: skip
    assert all("No class has this code" in outputs_text(g.data) for g in guesses)
    blocked = call_from("127.0.0.2", app.url, "join", [room["code"], "mallory", "fractions", "server"])
    assert "Too many wrong codes" in outputs_text(blocked.data)  # even the right code now waits, from there
    pupil = call_from("127.0.0.1", app.url, "join", [room["code"], "wren", "fractions", "server"])  # the classroom
    shown = re.findall(r"\b[a-z]+(?:-[a-z]+){5}\b", outputs_text(pupil.data))
    assert shown, outputs_text(pupil.data)[:500]
    pseudonyms = {
        r.pseudonym for r in app.services.tutor.teacher(room["name"], PW).class_overview(room["class_id"]).students
    }
    assert "wren" in pseudonyms and "mallory" not in pseudonyms
    wrong = [call_from("127.0.0.3", app.url, "come_back", [codes.new_resume_code(), "fractions", "server"])
             for _ in range(10)]  # fmt: skip
    assert all("belongs to nobody" in outputs_text(w.data) for w in wrong)
    assert "Too many wrong codes" in outputs_text(call_from("127.0.0.3", app.url, "come_back",
                                                             [shown[0], "fractions", "server"]).data)  # fmt: skip
    back = call_from("127.0.0.1", app.url, "come_back", [shown[0], "fractions", "server"])
    assert "Welcome back, wren" in outputs_text(back.data)  # the same student, recognised


def test_an_app_started_on_the_previous_releases_database(tmp_path: Path) -> None:
    """Migrations run at start, TUTOR_TEACHER_PASSWORD's account adopts the old sessions, and the
    teacher reads them over HTTP."""
    from fixtures.legacy_store_v0 import Store as OldStore
    from ui_harness import free_port, services_for, shared_data_dir

    from affect.types import AffectEstimate
    from tutor import Tutor
    from ui.app import build_app, launch
    from ui.config import load_config
    from ui.services import startup_teacher

    old = OldStore(f"sqlite:///{tmp_path / 'tutor.db'}")
    sid = old.create_session("blue-fox", "fractions", "affect_sensitive", 3)
    fused = AffectEstimate.neutral("fused").to_dict()  # what the old release logged: a real reading
    for i, text in enumerate([None, "I think 3/4 ✓", "I want to stop"]):
        old.add_turn(sid, {"idx": i, "student_text": text, "intent": "answer", "text_affect": None,
                           "face_affect": None, "fused_affect": fused, "move": "praise", "avatar_emotion": "happy",
                           "intensity": 0.5, "tutor_text": f"reply {i}", "tutor_spoken": f"reply {i}",
                           "problem": {"id": "fractions.simplify:1:1", "skill": "fractions.simplify"},
                           "correct": i == 1 if i else None, "mastery": {"fractions.simplify": 0.4 + 0.2 * i},
                           "state": {"dialogue": {}}}, flag_reason="wants to stop" if i == 2 else None)  # fmt: skip
    old.close()
    secret = "the one secret of this Space"
    argv = ["--tutor.data_dir", str(tmp_path), "--server.port", str(free_port()), "--server.teacher_password", secret]
    config = load_config(argv, env={})
    base = services_for(shared_data_dir())  # the loaded models, reused
    tutor = Tutor.create(config=config.tutor, text_affect=base.text, face_affect=base.face)  # runs the migrations
    services = dataclasses.replace(base, config=config, tutor=tutor)
    startup_teacher(tutor, config)
    demo = build_app(services, config)
    launch(demo, config, prevent_thread_lock=True, quiet=True)
    try:
        url = f"http://127.0.0.1:{config.server.port}/"
        login = raw_call(url, "teacher_login", ["teacher", secret])
        assert login.event == "complete", login.error
        token = login.data[0]
        (earlier,) = tutor.teacher("teacher", secret).classes()
        overview = raw_call(url, "teacher_class", [token, earlier.id])
        assert overview.event == "complete" and "blue-fox" in outputs_text(overview.data)
        transcript = raw_call(url, "teacher_session", [token, sid])
        assert "I think 3/4 ✓" in outputs_text(transcript.data) and "I want to stop" in outputs_text(transcript.data)
        assert tutor.learner("blue-fox")["fractions.simplify"] == pytest.approx(0.8)
    finally:
        demo.close()
        tutor.close()
