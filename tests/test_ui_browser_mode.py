"""The page's path switch in a real browser (Debian's Chromium, Playwright): `#avatar-mode` is in
the DOM but hidden, and once the page writes "browser" into it (as ui/avatar_render.js does after
its warm-up: value + an `input` event) the next reply arrives as motion + speech, no frame sheet.
The page's own rendering of those rows is tested on the web side."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ui_harness import live_app

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed at /usr/bin/chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

MODE_BOX = "#avatar-mode textarea, #avatar-mode input"
# The page's own switch (ui/avatar_render.js setMode: the box's value + an `input` event), once its
# warm-up has decided (it would otherwise write its own decision over the test's).
SET_MODE = """async (mode) => { await window.__avatar.render.ready;
  window.__avatar.setMode(mode, 'set by the test'); }"""
# The newest feed the player got (from the page or, on the browser path, from the reply's stream).
LAST_FEED = """() => { const s = window.__avatar && window.__avatar.stages.avatar;
  return s && s.feed ? JSON.stringify(s.feed) : null; }"""


def _wait_done_feed(page) -> dict:
    page.wait_for_function(f"() => {{ const f = ({LAST_FEED})(); return f && JSON.parse(f).done; }}", timeout=90_000)
    return json.loads(page.evaluate(LAST_FEED))


def test_the_page_switches_replies_to_the_browser_path_through_the_hidden_input() -> None:
    app = live_app()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.goto(app.url)
        page.wait_for_selector("#join-btn", timeout=60_000)
        box = page.locator(MODE_BOX)
        assert box.count() == 1 and not box.is_visible() and box.input_value() == "server"
        page.wait_for_function(f"() => ({LAST_FEED})() !== null", timeout=60_000)  # the first visit's idle loop
        page.wait_for_timeout(1000)  # ... and its sheet fetched, before the page switches
        page.evaluate(SET_MODE, "browser")
        sheets: list[str] = []
        page.on("request", lambda r: sheets.append(r.url) if r.url.endswith(".jpg") and "file=" in r.url else None)
        page.get_by_role("tab", name="Practise without a class").click()
        page.fill("#name-box input", "mode fox")
        page.click("#start-btn")
        feed = _wait_done_feed(page)
        assert feed["mode"] == "browser" and feed["chunks"] and all("motion" in c for c in feed["chunks"])
        assert feed["idle"]["motion"].split("?")[0].endswith(".rig")
        assert feed["sentences"] == len(feed["chunks"]) and not sheets, sheets  # no frame sheet, idle loop included
        page.evaluate(SET_MODE, "server")  # the fallback: the next reply is drawn on the server, as before
        page.fill("#answer-box textarea", "is it 1/2?")
        page.click("#send-btn")
        page.wait_for_function(
            f"() => {{ const f = ({LAST_FEED})(); return f && JSON.parse(f).done && !JSON.parse(f).mode; }}",
            timeout=120_000,
        )
        browser.close()
