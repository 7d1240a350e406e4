"""The teacher view in a real browser (Debian's Chromium via Playwright), on the real app.

A teacher logs in with name + password, the class overview opens, a student (driven through
the public Python API at the same time) writes a distress message, and the flag appears in the
live feed and the overview without a click. Logged-out tabs send no polls. The session's charts
are checked for readable text and real alt text, axe-core finds no serious or critical
accessibility violation, a logged reply plays again (re-rendered on demand: clip files are
temporary), and a reload comes back logged in (the token is in the browser state).
Screenshots go to artifacts/ (with UI_SCREENSHOTS=1 also to docs/screenshots/).
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from ui_harness import live_app

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
SCREENSHOTS = ROOT / "docs" / "screenshots"
PASSWORD = "a long enough teacher password"
DISTRESS = "I want to hurt myself"

if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)",
                allow_module_level=True)  # fmt: skip
sync_api = pytest.importorskip("playwright.sync_api")
axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")


def _poll_fn_index(url: str) -> int:
    config = httpx.get(f"{url}config", timeout=30).json()
    return next(i for i, d in enumerate(config["dependencies"]) if d.get("api_name") == "teacher_poll")


def _count_polls(page: Any, fn_index: int, seconds: float) -> int:
    """How many live-feed polls this tab sends in the next `seconds`."""
    sent: list[str] = []

    def on_request(request: Any) -> None:
        if request.method == "POST" and "queue/join" in request.url:
            body = request.post_data or ""
            if f'"fn_index":{fn_index},' in body.replace(" ", ""):
                sent.append(body)

    page.on("request", on_request)
    page.wait_for_timeout(int(seconds * 1000))
    page.remove_listener("request", on_request)
    return len(sent)


def _serious(results: Any) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_teacher_sees_a_live_flag_without_a_click(tmp_path: Path) -> None:
    app = live_app()
    tutor = app.services.tutor
    name = f"ms-{uuid.uuid4().hex[:6]}"
    tutor.create_teacher(name, PASSWORD)
    info = tutor.create_class(name, PASSWORD, name="7B maths")
    fox = tutor.join_class(info.code, "fox")
    session = tutor.start_session(student=fox.student, topic="fractions")
    session.send(session.problem.answer)
    owl = tutor.join_class(info.code, "owl")
    tutor.start_session(student=owl.student, topic="percentages").send("no idea")
    poll_fn = _poll_fn_index(app.url)
    timings: dict[str, float] = {}

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.goto(app.url)
        page.get_by_role("tab", name="Teacher").click()
        page.wait_for_selector("#teacher-name", timeout=60_000)
        assert _count_polls(page, poll_fn, 7) == 0  # a logged-out tab never polls

        # 1. A wrong password: a note beside the box (and a toast), the box stays usable. Then log in
        # with name + password: the class overview opens on the first class.
        page.get_by_label("Teacher name").fill(name)
        page.get_by_label("Password").fill("not the password")
        page.click("#teacher-login-btn")
        page.wait_for_function(
            "() => document.querySelector('#teacher-login-note').innerText.includes('Not logged in')", timeout=30_000
        )
        uncovered = page.evaluate(
            """() => ['#teacher-name input', '#teacher-pw input'].every((sel) => {
                 const el = document.querySelector(sel), r = el.getBoundingClientRect();
                 return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === el; })"""
        )
        assert uncovered  # no error overlay over the login box: the teacher can simply try again
        # Gradio's error toast itself nests a button in a button (axe: nested-interactive); it goes by
        # itself after a few seconds, before the accessibility check below.
        page.wait_for_selector(".toast-body", state="detached", timeout=30_000)
        page.get_by_label("Password").fill(PASSWORD)
        page.click("#teacher-login-btn")
        page.wait_for_selector("#class-overview table", timeout=60_000)
        left = page.evaluate("() => document.querySelector('#teacher-pw input')?.value ?? ''")
        assert left == ""  # the password does not stay in the page
        stored = page.evaluate("() => JSON.stringify(window.localStorage)")
        assert PASSWORD not in stored
        overview = page.inner_text("#class-overview")
        assert "fox" in overview and "owl" in overview and "⚑" not in overview
        assert info.code.replace("-", "") in page.inner_text("#teacher-class-note").replace("-", "")

        # 2. A student in distress: the flag appears without a click.
        t0 = time.perf_counter()
        session.send(DISTRESS)
        page.wait_for_function(
            "() => document.querySelector('#teacher-alerts').innerText.includes('NEW')", timeout=30_000
        )
        timings["flag_visible_s"] = time.perf_counter() - t0
        assert "fox" in page.inner_text("#teacher-alerts")
        page.wait_for_function(
            "() => document.querySelector('#class-overview').innerText.includes('⚑')", timeout=15_000
        )
        rows = page.locator("#class-overview tr[data-student]")
        assert "fox" in rows.first.inner_text()  # flagged students first
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "teacher.png"), full_page=True)

        # 3. The student's session: transcript, readable charts with real alt text.
        assert not page.locator("#teacher-sessions").is_visible()  # nothing empty on show before a pick
        page.locator("#teacher-student input").click()
        page.get_by_role("option", name="fox").click()
        page.wait_for_selector("#teacher-transcript table", timeout=60_000)
        assert DISTRESS in page.inner_text("#teacher-transcript")
        for chart in ("#plot-mood", "#plot-mastery", "#plot-states"):
            page.wait_for_selector(f"{chart} img", timeout=60_000)
            img = page.evaluate(
                f"""() => {{ const i = document.querySelector('{chart} img');
                    return {{alt: i.alt, shown: i.getBoundingClientRect().width, attr: i.width,
                             natural: i.naturalWidth}}; }}"""
            )
            assert len(img["alt"]) > 40 and "plot visualising" not in img["alt"], img["alt"]
            assert abs(img["shown"] - img["attr"]) < 1  # shown at its design size (10 pt text = 13.9 px)
        page.click("#teacher-replay")  # the flagged turn's reply, re-rendered from the log, plays
        page.wait_for_function(  # drawn and spoken by the avatar player, with its caption
            """() => { const s = window.__avatar && window.__avatar.stages['teacher-avatar'];
                       const cap = document.querySelector('#teacher-avatar .avatar-caption');
                       return s && s.replies.length && s.replies[0].first_frame_ms !== null
                              && cap && cap.textContent.trim().length > 0; }""",
            timeout=180_000,
        )
        page.screenshot(path=str(ARTIFACTS / "teacher_session.png"), full_page=True)

        # 4. Accessibility of the whole teacher view.
        toasts = page.locator(".toast-body").all_inner_texts()
        assert toasts == [], toasts  # no error on the way here
        serious = _serious(axe_sync.Axe().run(page))
        assert serious == [], serious

        # 5. Back from the Student tab, the open session is still there; a reload comes back logged in;
        # logging out stops the polling.
        page.get_by_role("tab", name="Student").click()
        page.get_by_role("tab", name="Teacher").click()
        page.wait_for_timeout(1500)
        assert DISTRESS in page.inner_text("#teacher-transcript")
        page.reload()
        page.get_by_role("tab", name="Teacher").click()
        page.wait_for_selector("#class-overview table", timeout=60_000)
        assert _count_polls(page, poll_fn, 7) >= 1
        page.get_by_label("New class name").fill("8A maths")  # a new class and its join code
        page.click("#teacher-create-class")
        page.wait_for_function(
            "() => document.querySelector('#teacher-class-note').innerText.includes('created')", timeout=30_000
        )
        new = next(c for c in tutor.teacher(name, PASSWORD).classes() if c.name == "8A maths")
        assert new.code in page.inner_text("#teacher-class-note")
        assert "No students" in page.inner_text("#class-overview")
        page.click("#teacher-logout")
        page.wait_for_selector("#teacher-name", state="visible", timeout=30_000)
        page.wait_for_timeout(1000)
        assert _count_polls(page, poll_fn, 7) == 0
        assert not errors, errors
        browser.close()

    if os.environ.get("UI_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for name in ("teacher", "teacher_session"):
            shutil.copyfile(ARTIFACTS / f"{name}.png", SCREENSHOTS / f"{name}.png")
    (ARTIFACTS / "teacher_latency.json").write_text(json.dumps(timings, indent=2))
    print("teacher browser timings:", json.dumps(timings))
