"""UI building blocks without a server: escaping, subtitles, the clip store (teacher parts: test_ui_teacher_parts)."""

from __future__ import annotations

import os
import re
import time

import numpy as np
import pytest
from cryptography.fernet import Fernet

from affect.types import AffectEstimate
from ui.avatar import as_html, feed_data, read_feed
from ui.clips import ClipStore, RenderedClip, frame_sheet
from ui.resume import ResumeTicket, ResumeTokens
from ui.views import mastery_html, mood_html, note_html, status_html, typeset

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_frame_sheet_lays_frames_out_row_by_row() -> None:
    frames = np.stack([np.full((4, 4, 3), i, np.uint8) for i in range(7)])  # frame i is all i
    sheet = frame_sheet(frames, columns=3)
    assert sheet.shape == (3 * 4, 3 * 4, 3)  # 7 frames -> 3 rows of 3
    for i in range(7):
        r, c = divmod(i, 3)
        assert (sheet[r * 4 : (r + 1) * 4, c * 4 : (c + 1) * 4] == i).all()
    assert (sheet[8:, 4:] == 0).all()  # empty cells stay black


def test_feed_round_trips_and_escapes_what_it_carries(tmp_path) -> None:
    evil = 'a "quote" <b> & ' + EVIL
    chunk = RenderedClip(tmp_path / "c.jpg", tmp_path / "c.wav", 25, 25.0, 256, evil, 0.1, "happy")
    idle = RenderedClip(tmp_path / "i.jpg", None, 75, 25.0, 256, "", 0.1, "happy")
    html = as_html(feed_data("avatar", idle, "r1", [chunk], done=True, speed=0.5))
    assert "<b>" not in html and "<script>" not in html and html.count('"') == 4  # two attributes; the data escaped
    data = read_feed(html)
    assert data["chunks"][0]["caption"] == evil and data["chunks"][0]["sheet"].endswith(str(tmp_path / "c.jpg"))
    assert data["idle"]["n"] == 75 and data["done"] and data["speed"] == 0.5 and data["size"] == 256
    assert read_feed(as_html(feed_data("avatar", idle)))["reply"] is None and read_feed("<p>hi</p>") is None


def test_clip_store_sweeps_old_files_but_keeps_kept_ones_and_closes(tmp_path) -> None:
    store = ClipStore(tmp_path, max_age_s=60)
    old, kept, fresh = store.new_path(".mp4"), store.new_path(".mp4", keep=True), store.new_path(".vtt")
    named = store.new_path(".csv", name="session-abc")
    for p in (old, kept, fresh, named):
        p.write_text("x")
    past = time.time() - 3600
    for p in (old, kept, named):
        os.utime(p, (past, past))
    assert named.name == "session-abc.csv" and named.parent != store.root
    assert store.sweep() == 2
    assert not old.exists() and not named.exists() and kept.exists() and fresh.exists()
    folder = store.root / "avatar"
    folder.mkdir()
    os.utime(folder, (past, past))
    store.keep(folder)
    store.sweep()
    assert folder.is_dir()  # an empty kept folder stays
    store.close()


def test_clip_store_tidies_in_the_background_at_most_once_per_interval(tmp_path) -> None:
    store = ClipStore(tmp_path, max_age_s=60, sweep_every_s=30)
    past = time.time() - 3600
    first, second = store.new_path(".wav"), store.new_path(".wav")
    first.write_text("x")
    os.utime(first, (past, past))
    store.tidy()
    for _ in range(100):  # the sweep runs on its own thread
        if not first.exists():
            break
        time.sleep(0.05)
    assert not first.exists()
    second.write_text("x")
    os.utime(second, (past, past))
    store.tidy()  # within 30 s of the last sweep: nothing happens
    time.sleep(0.3)
    assert second.exists()
    with pytest.raises(ValueError, match="sweep_every_s"):
        ClipStore(tmp_path, max_age_s=60, sweep_every_s=60)
    store.close()
    assert not store.root.exists()


def test_mood_is_plain_words_and_an_emoji_and_only_shown_with_a_reading() -> None:
    est = AffectEstimate.from_scores({"confused": 1.0}, valence=-0.5, arousal=0.9, confidence=0.7, source="face")
    html = mood_html(est, camera_on=True)
    assert 'data-state="confused"' in html and "puzzled" in html and "🤔" in html and "from your camera" in html
    words = re.sub(r"<[^>]+>", " ", html)
    for jargon in ("valence", "arousal", "fused", "%", "0."):
        assert jargon not in words
    text = AffectEstimate.from_scores({"engaged": 1.0}, valence=0.2, arousal=0.5, confidence=0.6, source="fused")
    assert "from your messages" in mood_html(text, camera_on=False)
    assert mood_html(None, camera_on=False) == "" and mood_html(None, camera_on=True) == ""  # nothing to show yet
    assert "can't see your face" in mood_html(None, camera_on=True, face_found=False)


def test_mastery_names_skills_says_not_started_until_tried_and_escapes() -> None:
    names = {"fractions.add_sub": "Adding and subtracting", "fractions.simplify": "Simplifying"}
    mastery = {"fractions.add_sub": 0.15, "fractions.simplify": 0.97}
    html = mastery_html(mastery, 0.95, names, practised={"fractions.simplify"})
    assert "Adding and subtracting" in html and "fractions.add_sub</span>" not in html
    row = html.split('data-skill="fractions.add_sub"')[1].split("</div>")[0]
    assert "not started" in row and "15%" not in row
    assert "mastered ✓" in html.split('data-skill="fractions.simplify"')[1]
    bars = mastery_html({EVIL: 1.7, "fractions.add": 0.2}, threshold=0.95, practised={EVIL, "fractions.add"})
    assert "<script>" not in bars and "&lt;script&gt;" in bars
    assert "width:100.0%" in bars  # clipped to the track
    assert "<script>" not in status_html(EVIL, busy=True)
    assert "<script>" not in note_html(EVIL, where="answer") and note_html("", where="answer") == ""


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Work out 5/6 + 7/12.", "Work out $\\frac{5}{6} + \\frac{7}{12}$."),
        ("Work out 1/7 × 3/8.", "Work out $\\frac{1}{7} \\times  \\frac{3}{8}$."),
        ("Solve for x: 13x - 12 = 8x + 3", "Solve for x: $13x - 12 = 8x + 3$"),
        ("Solve for x: x/10 = -2", "Solve for x: $\\frac{x}{10} = -2$"),
        ("What is 75% of 120?", "What is 75% of 120?"),  # lone numbers stay text
        ("I paid $5 for blue-fox", "I paid \\$5 for blue-fox"),  # a $ never opens a formula
    ],
)
def test_maths_is_typeset_for_katex(text: str, shown: str) -> None:
    assert typeset(text) == shown


def test_resume_tokens_hide_the_session_and_refuse_forgery_and_age(tmp_path) -> None:
    tokens = ResumeTokens.in_folder(tmp_path)
    assert (tmp_path / "browser-token.key").stat().st_mode & 0o077 == 0  # the key is private to the server
    sid = "1b4e28ba-2fa1-41d2-883f-0016d3cca427"
    token = tokens.issue(sid)
    assert sid not in token and sid.replace("-", "") not in token
    assert tokens.read(token) == ResumeTicket(sid)
    assert ResumeTokens.in_folder(tmp_path).read(token) == ResumeTicket(sid)  # survives a restart
    assert ResumeTokens.in_folder(tmp_path / "other").read(token) is None  # another server's key
    forged = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
    for bad in (forged, "", None, 17, "x" * 5000, "ünïcode"):
        assert tokens.read(bad) is None
    key = (tmp_path / "browser-token.key").read_bytes()
    stale = Fernet(key).encrypt_at_time(b'{"sid": "x"}', int(time.time()) - 120).decode()
    assert ResumeTokens(key, max_age_s=60).read(stale) is None and tokens.read(stale) == ResumeTicket("x")
