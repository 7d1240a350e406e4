"""The student view end to end in a real browser: Debian's Chromium driven by Playwright.

Chromium's fake capture device plays a .y4m made at test time from a real face photo
(scikit-image's astronaut), so the whole path runs for real: one camera click -> webcam stream
-> FaceAffect -> mood in words; an answer typed with the keyboard only -> tutor -> reply text ->
the v2 avatar's performance drawn at 256 px and heard, chunk by chunk, with a caption below it
that nothing covers -> the idle loop moving between replies -> a replay with no gap between chunks;
a reload -> the same session; a class code -> the come-back code -> progress carried over.
axe-core checks every state for serious or critical accessibility violations. Screenshots go to
artifacts/ (with UI_SCREENSHOTS=1 also to docs/screenshots/, the README's images); the measured
latencies to artifacts/ui_latency.json.
The teacher view has its own browser test.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import time
import uuid
from pathlib import Path

import pytest
from ui_harness import astronaut_face, gradio_cache_dir, live_app, write_y4m

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
SCREENSHOTS = ROOT / "docs" / "screenshots"
STUDENT = "cool kid"  # a pseudonym with a space (refused before issue 13)

if not CHROMIUM.exists():
    pytest.skip(
        "Debian's chromium is not installed at /usr/bin/chromium (apt-get install -y chromium; .ci/run does it)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api")
axe_api = pytest.importorskip("axe_playwright_python.sync_playwright")


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
    the clip store, the data folder. Webcam frames must never be among them; the avatar's own
    frame sheets (JPEG, SHEET_COLUMNS frames of the avatar's size per row, each beside its
    chunk's WAV or an idle loop) are the only images the app may write."""
    import cv2

    from ui.clips import SHEET_COLUMNS

    size = app.services.avatar.size
    roots = [gradio_cache_dir(), app.services.clips.store.root, app.data_dir]
    found = [
        p
        for root in roots
        if root.exists()
        for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and p.stat().st_mtime >= since
    ]

    def avatar_sheet(p: Path) -> bool:
        img = cv2.imread(str(p))
        return (p.parent == app.services.clips.chunk_dir and p.with_suffix(".wav").is_file() and img is not None
                and img.shape[1] == SHEET_COLUMNS * size and img.shape[0] % size == 0)

    return [str(p) for p in found if not avatar_sheet(p)]


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


SHOTS = ("student-start", "student-mid", "student-reload", "student-join")
# Plain-word moods the student may see (ui/views.py MOOD_WORDS); never the teacher's numbers.
MOOD_JARGON = ("valence", "arousal", "fused", "confidence")


def _axe(page, where: str) -> None:
    """axe-core on the whole page, once Gradio's loading states have settled: no serious or critical violation.

    While an event is still running, Gradio flashes its outputs at reduced opacity (`.pending`); on a busy
    CI machine the opening clip can still be rendering, and axe then measured the dimmed "Say it again"
    button. The settled page is what is checked; a page that never settles is checked as it is.
    """
    # A webcam stream keeps its event running: after 30 s the page is checked as it stands.
    with contextlib.suppress(sync_api.TimeoutError):
        page.wait_for_function("() => document.querySelectorAll('.pending').length === 0", timeout=30_000)
    found = axe_api.Axe().run(page).response["violations"]
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]]) for v in found]
    bad = [b for b in bad if b[1] in ("serious", "critical")]
    assert bad == [], f"axe-core on the student view ({where}): {bad}"


def _no_error_badges(page) -> None:
    assert page.get_by_text("Error", exact=True).count() == 0, "a panel is marked as errored"


def _tab_to(page, is_target: str, limit: int = 150) -> None:
    """Press Tab until `is_target` (a JS predicate over document.activeElement) holds."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return !!el && ({is_target}); }}"):
            return
    raise AssertionError(f"the keyboard never reached {is_target}")


def _by_id(selector: str) -> str:
    return f"el.matches({json.dumps(selector)})"


def _by_text(text: str) -> str:
    return f"el.matches('button, [role=tab]') && el.textContent.trim() === {json.dumps(text)}"


# The avatar player's record of what it played (ui/avatar_player.js window.__avatar).
PLAYED = "() => (window.__avatar && window.__avatar.stages.avatar) ? window.__avatar.stages.avatar.replies : []"


def _wait_reply_playing(page, after: int, timeout: int = 180_000) -> dict:
    """The player's reply number `after` (0-based) draws its frames and speaks, with a caption
    under the canvas that nothing covers; returns what the player recorded about it."""
    page.wait_for_function(
        f"() => {{ const r = ({PLAYED})(); return r.length > {after} && r[{after}].first_frame_ms !== null; }}",
        timeout=timeout,
    )
    page.wait_for_function(  # a caption shows while the tutor speaks
        "() => document.querySelector('#avatar .avatar-caption').textContent.trim().length > 0", timeout=30_000
    )
    view = page.evaluate(
        """() => { const c = document.querySelector('#avatar canvas');
                   const cap = document.querySelector('#avatar .avatar-caption');
                   const a = c.getBoundingClientRect(), b = cap.getBoundingClientRect();
                   const top = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
                   return {w: c.width, h: c.height, css_w: a.width, css_h: a.height, caption: cap.textContent,
                           caption_visible: b.height > 0 && getComputedStyle(cap).visibility === 'visible',
                           caption_below: b.top >= a.bottom, caption_on_top: cap.contains(top)}; }"""
    )
    assert (view["w"], view["h"]) == (256, 256), view  # drawn at the size the avatar v2 generator renders
    assert view["css_w"] <= 256 and view["css_h"] <= 256, view  # never scaled up
    assert view["caption_visible"] and view["caption_below"] and view["caption_on_top"], view  # nothing covers it
    return dict(page.evaluate(PLAYED)[after], caption=view["caption"])


def _wait_idle(page, replies: int) -> dict:
    """Every chunk of reply number `replies - 1` played: the idle loop is back, nothing is being
    prepared. Returns what the player recorded about that reply."""
    page.wait_for_function(
        f"""() => {{ const r = ({PLAYED})(); return r.length >= {replies} && r[{replies} - 1].end_ms !== null
                 && window.__avatar.stages.avatar.state === 'idle'
                 && !document.querySelector('#avatar-status[data-busy="true"]'); }}""",
        timeout=180_000,
    )
    return dict(page.evaluate(PLAYED)[replies - 1])


# The newest feed the player got (from the page or, on the browser path, from the reply's stream).
FEED = "() => window.__avatar.stages.avatar.feed"


def _gaps(name: str, reply: dict) -> dict[str, float]:
    """What the player measured about one reply: waits for late chunks (count, seconds)."""
    return {f"{name}_stalls": reply["stalls"], f"{name}_stall_s": round(reply["stall_s"], 3),
            f"{name}_sentence_pauses": reply["sentence_pauses"], f"{name}_chunks": reply["chunks"]}


def _canvas_moves(page) -> bool:
    """The idle loop is alive: the canvas changes within a second (blinks, gaze, sway)."""
    grab = "() => document.querySelector('#avatar canvas').toDataURL('image/png')"
    first = page.evaluate(grab)
    page.wait_for_timeout(1000)
    return bool(page.evaluate(grab) != first)


def _played_through(reply: dict) -> None:
    """A reply played to its end as one performance: its frames were drawn, its sound was on,
    and it never waited for a chunk inside a sentence more than once (the first late chunk
    switches the player to whole sentences; ui/avatar_player.js)."""
    assert reply["frames"] > 0 and reply["chunks"] >= 1 and reply["end_ms"] is not None, reply
    assert reply["audio"], "the reply played without sound (the Web Audio clock did not start)"
    assert reply["stalls"] - reply["sentence_pauses"] <= 1, reply


def _chat_rows(page) -> int:
    return int(page.evaluate("() => document.querySelectorAll('#chat .message-row').length"))


def _last_problem_answer(app, student: str) -> str:
    sessions = app.services.tutor.list_sessions(student=student)
    return str(app.services.tutor.transcript(sessions[0]["id"])[-1]["problem"]["answer"])


def test_student_view_in_a_real_browser(tmp_path) -> None:
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
        page.wait_for_selector("#join-btn", timeout=60_000)  # the first login tab
        page.wait_for_selector("#avatar canvas", timeout=60_000)  # the tutor waits, idle, from the start
        _axe(page, "first visit")
        assert page.locator("#mood-indicator").count() == 0  # nothing to show before any reading
        _shot(page, "student-start")

        # 1. A mistake gets one friendly note beside the form, in a child's words; no error badges.
        page.get_by_role("tab", name="Practise without a class").click()
        page.click("#start-btn")
        page.wait_for_selector("#start-note", timeout=30_000)
        assert "made-up name" in page.inner_text("#start-note") and "pseudonym" not in page.inner_text("#start-note")
        assert page.locator("[role=alert]").count() == 1
        _no_error_badges(page)

        # 2. Keyboard only from here: a name with a space, Enter; the opening is spoken.
        _tab_to(page, _by_id("#name-box input"))
        page.keyboard.type(STUDENT)
        t0 = time.perf_counter()
        page.keyboard.press("Enter")
        page.wait_for_function("() => document.querySelectorAll('#chat .message-row').length >= 1", timeout=60_000)
        assert page.locator("#start-note").count() == 0  # the note goes once the mistake is fixed
        opening = _wait_reply_playing(page, 0)
        timings["opening_spoken_s"] = time.perf_counter() - t0
        assert opening["caption"].split()[0] in page.inner_text("#chat")  # the greeting is what it says
        assert page.locator("#problem .katex").count() >= 1  # maths typeset
        progress = page.inner_text("#mastery-bars")
        body = page.inner_text("body")
        assert progress.count("not started") == 3 and not [s for s in app.services.tutor.curriculum.skills if s in body]
        _axe(page, "after start")

        # 3. One click turns the camera on (no "Record" step); the mood appears in plain words.
        assert page.locator("#webcam").count() == 0 or not page.locator("#webcam").is_visible()
        _tab_to(page, _by_id("#camera-btn"))
        page.keyboard.press("Enter")
        t0 = time.perf_counter()
        page.wait_for_function(
            "() => { const m = document.querySelector('#mood-indicator'); return m && m.dataset.state !== 'no-face'; }",
            timeout=60_000,
        )
        timings["first_mood_s"] = time.perf_counter() - t0
        mood = page.inner_text("#mood-indicator")
        assert "from your camera" in mood and not any(w in mood.lower() for w in MOOD_JARGON)
        visible = [b.inner_text() for b in page.locator("#webcam button").all() if b.is_visible()]
        assert not any(re.search("record|stop|access", b, re.I) for b in visible), visible
        assert "off" in page.inner_text("#camera-btn")
        _axe(page, "camera on")

        # 4. Answer with the keyboard (once the tutor has finished speaking); text first, then
        # the clip; progress and mood follow.
        timings.update(_gaps("opening", _wait_idle(page, 1)))
        _played_through(page.evaluate(PLAYED)[0])
        assert _canvas_moves(page), "the idle loop between replies stands still"
        answer = _last_problem_answer(app, STUDENT)
        _tab_to(page, _by_id("#answer-box textarea"))
        assert page.get_by_role("textbox", name="Your answer or question").count() == 1
        page.keyboard.type(answer)
        n_before = _chat_rows(page)
        t0 = time.perf_counter()
        page.keyboard.press("Enter")
        page.wait_for_function(f"() => document.querySelectorAll('#chat .message-row').length >= {n_before + 2}")
        timings["reply_text_s"] = time.perf_counter() - t0
        _wait_reply_playing(page, 1)
        timings["clip_playing_s"] = time.perf_counter() - t0
        timings["first_chunk_after_text_s"] = timings["clip_playing_s"] - timings["reply_text_s"]
        assert answer in page.inner_text("#chat")
        # Sent, so no longer a draft: a reload must not put it back in the box (it used to come back).
        assert page.evaluate("() => localStorage.getItem('tutor-draft')") is None
        assert page.inner_text("#mastery-bars").count("not started") == 2  # the tried skill shows its level
        _shot(page, "student-mid")

        # 5. "Say it again" replays the last reply (keyboard), after it has ended.
        reply = _wait_idle(page, 2)
        _played_through(reply)
        timings.update(_gaps("reply", reply))
        fed = page.evaluate(FEED)
        _tab_to(page, _by_id("#replay-btn"))
        page.keyboard.press("Enter")
        again = _wait_reply_playing(page, 2)
        assert again["chunks"] >= 1
        replayed = page.evaluate(FEED)
        assert replayed["chunks"] == fed["chunks"] and replayed["reply"] != fed["reply"]  # the same chunks again
        sid = app.services.tutor.list_sessions(student=STUDENT)[0]["id"]
        ref = str(app.services.tutor.transcript(sid)[-1]["clip_ref"])
        first = fed["chunks"][0]
        if "motion" in first:  # the page draws the frames (issue 15): "rig:<stem>+<n>", files <stem>-<i>.rig
            stem = first["motion"].rsplit("/", 1)[-1].removesuffix(".rig").rsplit("-", 1)[0]
            assert ref == f"rig:{stem}+{len(fed['chunks'])}"
        else:  # the server drew them: "<first sheet>+<n>"
            assert ref == f"{first['sheet'].rsplit('/', 1)[-1][:-4]}+{len(fed['chunks'])}"
        # Every chunk is there now: the replay is one performance with no gap between its chunks
        # (speech scheduled back to back, frames drawn against it): it lasts as long as its frames.
        replayed_stat = _wait_idle(page, 3)
        expected_s = sum(c["n"] for c in fed["chunks"]) / fed["fps"]
        played_s = (replayed_stat["end_ms"] - replayed_stat["first_frame_ms"]) / 1000
        timings["replay_chunks"], timings["replay_extra_s"] = len(fed["chunks"]), round(played_s - expected_s, 3)
        if "motion" in first:  # the page renders the replay again: as tests/test_ui_browser_render.py, one
            # wait inside a sentence is allowed while it shares 2 cores with the app (seen: 1 of 0.18 s)
            stalls_ok = replayed_stat["stalls"] - replayed_stat["sentence_pauses"] <= 1
            assert stalls_ok and abs(played_s - expected_s) < 0.5, (played_s, expected_s, replayed_stat)
        else:
            assert replayed_stat["stalls"] == 0 and abs(played_s - expected_s) < 0.25, (played_s, expected_s)
        _axe(page, "mid-conversation")

        # 6. One click turns the camera off: the stream stops, the webcam goes.
        page.click("#camera-btn")
        page.wait_for_function("() => !document.querySelector('#webcam')", timeout=30_000)
        assert "on" in page.inner_text("#camera-btn")
        assert page.evaluate("() => [...document.querySelectorAll('video')].every(v => !v.srcObject)")

        # 7. A reload comes back to the same session: chat, problem and progress.
        chat_before = page.inner_text("#chat")
        problem_before = page.inner_text("#problem")
        rows = _chat_rows(page)
        page.fill("#answer-box textarea", "")
        page.locator("#answer-box textarea").press_sequentially("half an ans")  # typed, not sent yet
        page.wait_for_function("() => localStorage.getItem('tutor-draft') === 'half an ans'")
        page.reload()
        page.wait_for_function(
            f"() => document.querySelectorAll('#chat .message-row').length >= {rows}",
            timeout=60_000,
        )
        page.wait_for_timeout(500)
        assert chat_before.split("\n")[0] in page.inner_text("#chat") and answer in page.inner_text("#chat")
        assert page.inner_text("#problem") == problem_before
        assert "Welcome back" in page.inner_text("#chat")
        assert not page.locator("#login").is_visible() and page.locator("#sign-out-btn").is_visible()  # signed in
        assert page.input_value("#answer-box textarea") == "half an ans"  # nothing typed is lost
        _axe(page, "after a reload")
        _shot(page, "student-reload")
        _no_error_badges(page)
        assert not errors, errors
        assert _images_written_since(app, started) == []  # the camera streamed, nothing was stored

        # 8. A class: join with the teacher's code, note the come-back code, come back later.
        teacher = f"ms-{uuid.uuid4().hex[:6]}"
        app.services.tutor.create_teacher(teacher, "a long teacher password")
        cls = app.services.tutor.create_class(teacher, "a long teacher password", "7B maths")
        joined = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        joined.goto(app.url)
        joined.wait_for_selector("#join-btn", timeout=60_000)
        joined.fill("#class-code input", cls.code.lower())
        joined.fill("#join-name input", "river otter")
        joined.click("#join-btn")
        joined.wait_for_selector("#resume-code", timeout=60_000)
        code = joined.input_value("#resume-code input, #resume-code textarea")
        assert len(code.split("-")) == 6
        assert joined.locator("#resume-code button").count() >= 1  # the copy button
        _axe(joined, "joined a class")
        _shot(joined, "student-join")
        student = app.services.tutor.list_sessions()[0]["student"]
        joined.fill("#answer-box textarea", _last_problem_answer(app, student))
        joined.keyboard.press("Enter")
        joined.wait_for_function("() => document.querySelectorAll('#chat .message-row').length >= 3", timeout=60_000)
        tried = joined.inner_text("#mastery-bars")
        back = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        back.goto(app.url)
        back.wait_for_selector("#join-btn", timeout=60_000)
        back.get_by_role("tab", name="I have a come-back code").click()
        back.fill("#resume-code-box input", code.upper().replace("-", " "))
        back.keyboard.press("Enter")
        back.wait_for_function("() => document.querySelector('#chat').innerText.includes('river otter')")
        assert "river otter" in back.inner_text("#chat") and "~" not in back.inner_text("#chat")
        assert back.inner_text("#mastery-bars").count("not started") == tried.count("not started") < 3
        browser.close()

    if os.environ.get("UI_SCREENSHOTS") == "1":  # refresh the README's images on request only,
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # so a test run leaves the checkout clean
        for name in SHOTS:
            shutil.copyfile(ARTIFACTS / f"{name}.png", SCREENSHOTS / f"{name}.png")
    (ARTIFACTS / "ui_latency.json").write_text(json.dumps(timings, indent=2))
    print("browser latencies:", json.dumps(timings))
    assert timings["reply_text_s"] < 30
