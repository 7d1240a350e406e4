"""End to end in a real browser: Debian's Chromium driven by Playwright, with a fake webcam.

Chromium's fake capture device plays a .y4m made at test time from a real face photo
(scikit-image's astronaut), so the whole path runs for real: consent switch -> webcam stream
-> FaceAffect -> mood indicator; an answer -> tutor -> reply text -> avatar clip that plays
(the teacher view: tests/test_ui_browser_teacher.py). Screenshots go to artifacts/ (test artifacts; with
UI_SCREENSHOTS=1 also to docs/screenshots/, the README's images); the measured latencies to
artifacts/ui_latency.json.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from ui_harness import astronaut_face, gradio_cache_dir, live_app, write_y4m

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
SCREENSHOTS = ROOT / "docs" / "screenshots"
STUDENT = "ui-browser-1"

if not CHROMIUM.exists():
    pytest.skip(
        "Debian's chromium is not installed at /usr/bin/chromium (apt-get install -y chromium; .ci/run does it)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api")


def _launch_args(y4m: Path) -> list[str]:
    return [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={y4m}",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ]


IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"}


def _images_written_since(app, since: float) -> list[str]:
    """Image files created since `since` where the app writes: Gradio's cache/upload folder,
    the clip store, the data folder. Webcam frames must never be among them."""
    roots = [gradio_cache_dir(), app.services.clips.store.root, app.data_dir]
    return [
        str(p)
        for root in roots
        if root.exists()
        for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and p.stat().st_mtime >= since
    ]


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_student_and_teacher_views_in_a_real_browser(tmp_path) -> None:
    app = live_app()
    y4m = write_y4m(tmp_path / "astronaut.y4m", astronaut_face(640, 480))
    timings: dict[str, float] = {}
    started = time.time() - 1.0
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=_launch_args(y4m))
        context = browser.new_context(viewport={"width": 1280, "height": 900}, permissions=["camera"])
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.goto(app.url)
        page.wait_for_selector("#start-btn", timeout=60_000)

        # 1. Start a session: the opening problem appears.
        page.get_by_label("Your pseudonym").fill(STUDENT)
        page.click("#start-btn")
        page.wait_for_function("() => document.querySelectorAll('#chat .message-row').length >= 1", timeout=60_000)
        page.wait_for_function("() => !document.querySelector('#problem').innerText.includes('No problem')")

        # 2. Camera: off until consent; then the fake camera's face drives the mood indicator.
        assert page.locator("#webcam").count() == 0 or not page.locator("#webcam").is_visible()
        assert page.get_attribute("#mood-indicator", "data-state") == "off"
        page.click("#camera-consent input")
        page.click("#webcam button:has-text('Click to Access Webcam')", timeout=30_000)
        page.click("#webcam .capture-button", timeout=30_000)  # start streaming
        t0 = time.perf_counter()
        page.wait_for_function(
            "() => !['off', 'waiting'].includes(document.querySelector('#mood-indicator').dataset.state)",
            timeout=60_000,
        )
        timings["first_mood_s"] = time.perf_counter() - t0
        mood = page.inner_text("#mood-indicator")
        assert "Mood:" in mood and "valence" in mood

        # 3. Answer the problem on the table (read from the session log, so the answer is right).
        sessions = app.services.tutor.list_sessions(student=STUDENT)
        answer = app.services.tutor.transcript(sessions[0]["id"])[-1]["problem"]["answer"]
        page.fill("#answer-box textarea", answer)
        n_before = page.locator("#chat .message-row").count()
        first_src = page.evaluate("() => document.querySelector('#avatar video')?.src || ''")
        t0 = time.perf_counter()
        page.click("#send-btn")
        page.wait_for_function(
            f"() => document.querySelectorAll('#chat .message-row').length >= {n_before + 2}", timeout=60_000
        )
        timings["reply_text_s"] = time.perf_counter() - t0
        page.wait_for_function(
            """() => { const s = document.querySelector('#avatar-status');
                       return s && s.dataset.busy === 'true'; }""",
            timeout=10_000,
        )  # progress is visible while the clip renders
        page.wait_for_function(
            """(first) => { const v = document.querySelector('#avatar video');
                            return v && !v.loop && v.src !== first && v.currentTime > 0.2 && !v.paused; }""",
            arg=first_src,
            timeout=180_000,
        )
        timings["clip_playing_s"] = time.perf_counter() - t0
        playing = page.evaluate(
            """() => { const v = document.querySelector('#avatar video');
                       return {src: v.src, t: v.currentTime, tracks: v.textTracks.length, w: v.videoWidth}; }"""
        )
        assert playing["tracks"] >= 1 and playing["w"] > 0  # a subtitle track and real frames
        advanced = False
        for _ in range(10):  # the same reply clip, sampled twice: its time must move on
            page.wait_for_timeout(200)
            now = page.evaluate(
                "() => { const v = document.querySelector('#avatar video'); return {src: v.src, t: v.currentTime}; }"
            )
            if now["src"] == playing["src"] and now["t"] > playing["t"]:
                advanced = True
                break
            playing = {**playing, **now}
        assert advanced, "the reply clip does not advance"
        chat = page.inner_text("#chat")
        assert answer in chat
        _shot(page, "student")

        assert not errors, errors
        assert _images_written_since(app, started) == []  # the camera streamed, nothing was stored
        browser.close()

    if os.environ.get("UI_SCREENSHOTS") == "1":  # refresh the README's images on request only,
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # so a test run leaves the checkout clean
        for name in ("student",):  # the teacher view's: tests/test_ui_browser_teacher.py
            shutil.copyfile(ARTIFACTS / f"{name}.png", SCREENSHOTS / f"{name}.png")
    (ARTIFACTS / "ui_latency.json").write_text(json.dumps(timings, indent=2))
    print("browser latencies:", json.dumps(timings))
    assert timings["reply_text_s"] < 30
