"""A student's session as the page shows it, in a real browser (Debian's Chromium, Playwright):
the way in is put away while a session runs and comes back on "Sign out"; "Say it again" still
works after a reload; the chat's title never covers a message when the chat scrolls.

Screenshots go to artifacts/ (session-*.png), to be looked at full size.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ui_harness import live_app

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed at /usr/bin/chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

# The newest feed the player got (from the page or, on the browser path, from the reply's stream).
LAST_FEED = """() => { const s = window.__avatar && window.__avatar.stages.avatar;
  return s && s.feed ? JSON.stringify(s.feed) : null; }"""
# Anything drawn over the chat's messages: an element inside #chat, not part of the message log, whose
# box overlaps the log's visible box (Gradio's floating label did, once the chat scrolled).
COVERS_CHAT = """() => { const log = document.querySelector('#chat [role="log"]');
  const box = log.closest('.bubble-wrap') || log; const a = box.getBoundingClientRect();
  return [...document.querySelectorAll('#chat label, #chat [data-testid="block-label"]')].filter((el) => {
    const b = el.getBoundingClientRect(); const style = getComputedStyle(el);
    return b.width > 0 && b.height > 0 && style.visibility !== 'hidden' && style.display !== 'none'
      && b.bottom > a.top && b.top < a.bottom && b.right > a.left && b.left < a.right; })
    .map((el) => el.textContent.trim()); }"""


# Gradio leaves a hidden column out of the page: shown = there and visible.
LOGIN_SHOWN = "() => { const l = document.querySelector('#login'); return !!l && l.checkVisibility(); }"


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"session-{name}.png"), full_page=True)


def _feed(page) -> dict | None:
    raw = page.evaluate(LAST_FEED)
    return json.loads(raw) if raw else None


def _wait_reply_done(page, not_reply: str | None = None, timeout: int = 180_000) -> dict:
    """The newest reply's feed once all of it has arrived (a different reply than `not_reply`)."""
    page.wait_for_function(
        f"""() => {{ const f = ({LAST_FEED})(); if (!f) return false; const d = JSON.parse(f);
        return d.reply && d.done && d.chunks.length > 0 && d.reply !== {json.dumps(not_reply)}; }}""",
        timeout=timeout,
    )
    feed = _feed(page)
    assert feed is not None
    return feed


def _visible(page, selector: str) -> bool:
    return page.locator(selector).first.is_visible()


def test_the_way_in_goes_away_say_it_again_survives_a_reload_and_the_chat_title_covers_nothing() -> None:
    app = live_app()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.goto(app.url)
        page.wait_for_selector("#join-btn", timeout=60_000)
        assert _visible(page, "#login") and not _visible(page, "#sign-out-btn")

        # 1. Signed in: the way in is put away, "Sign out" takes its place.
        page.get_by_role("tab", name="Practise without a class").click()
        page.fill("#name-box input", "session fox")
        page.click("#start-btn")
        opening = _wait_reply_done(page)
        page.wait_for_function(
            "() => !document.querySelector('#login') || !document.querySelector('#login').checkVisibility()"
        )
        assert not _visible(page, "#login") and _visible(page, "#sign-out-btn")
        _shot(page, "signed-in")

        # 2. Enough messages for the chat to scroll: its title stays above the messages, never on them.
        for i in range(5):
            page.wait_for_timeout(2500)  # typed at a child's pace (faster messages meet the chat's rate limit)
            rows = page.locator("#chat .message-row").count()
            page.fill("#answer-box textarea", f"is it {i + 2}?")
            page.keyboard.press("Enter")
            page.wait_for_function(
                f"() => document.querySelectorAll('#chat .message-row').length >= {rows + 2}", timeout=60_000
            )
        page.wait_for_timeout(500)
        scrolled = page.evaluate("""() => { const log = document.querySelector('#chat [role="log"]');
          const box = log.closest('.bubble-wrap') || log; return box.scrollHeight > box.clientHeight + 20; }""")
        assert scrolled, "the chat did not fill up enough to scroll"
        page.evaluate("""() => { const log = document.querySelector('#chat [role="log"]');
          (log.closest('.bubble-wrap') || log).scrollTop = 40; }""")  # mid-scroll: a message under the top edge
        page.wait_for_timeout(300)
        _shot(page, "chat-scrolled")
        assert page.evaluate(COVERS_CHAT) == []
        assert page.locator("#chat-title").inner_text().strip() == "Chat with your tutor"
        last = _wait_reply_done(page, not_reply=opening["reply"])

        # 3. A reload comes back to the session: still signed in, and "Say it again" works (clips are gone).
        page.reload()
        page.wait_for_function("() => document.querySelectorAll('#chat .message-row').length >= 11", timeout=60_000)
        page.wait_for_function(
            "() => { const b = document.querySelector('#replay-btn'); return b && !b.disabled; }", timeout=30_000
        )
        assert not _visible(page, "#login") and _visible(page, "#sign-out-btn")
        _shot(page, "reloaded")
        before = _feed(page)
        page.click("#replay-btn")
        again = _wait_reply_done(page, not_reply=(before or {}).get("reply"))
        # the same sentences (a server-path chunk that goes on with a sentence has no caption of its own)
        assert [c["caption"] for c in again["chunks"] if c["caption"]] == [
            c["caption"] for c in last["chunks"] if c["caption"]
        ]
        _shot(page, "said-again")

        # 4. Sign out: the way in is back, the chat is empty, and a reload does not bring the session back.
        page.click("#sign-out-btn")
        page.wait_for_function(LOGIN_SHOWN, timeout=30_000)
        assert not _visible(page, "#sign-out-btn") and page.locator("#chat .message-row").count() == 0
        assert page.input_value("#name-box input") == ""
        _shot(page, "signed-out")
        page.reload()
        page.wait_for_selector("#join-btn", timeout=60_000)
        page.wait_for_timeout(2000)  # the page's restore ran
        assert _visible(page, "#login") and page.locator("#chat .message-row").count() == 0
        browser.close()
