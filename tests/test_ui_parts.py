"""UI building blocks without a server: escaping, subtitles, the clip store (teacher parts: test_ui_teacher_parts)."""

from __future__ import annotations

import itertools
import os
import time

import pytest

from affect.types import AffectEstimate
from ui.clips import ClipStore, split_cues, to_webvtt
from ui.views import mastery_html, mood_html, status_html

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_split_cues_cover_the_clip_in_order_and_keep_every_word() -> None:
    text = "Well done! Three quarters is right. Now let's try a harder one, with two fractions to add."
    cues = split_cues(text, 6.0, max_chars=40)
    assert cues[0][0] == 0.0 and abs(cues[-1][1] - 6.0) < 1e-9
    assert all(a[1] <= b[0] + 1e-9 for a, b in itertools.pairwise(cues))
    assert all(len(c[2]) <= 40 for c in cues)
    assert " ".join(c[2] for c in cues).split() == text.split()
    with pytest.raises(ValueError, match="positive"):
        split_cues(text, 0.0)


def test_webvtt_is_well_formed_and_escapes_markup() -> None:
    vtt = to_webvtt([(0.0, 1.5, "a <b> & c --> d"), (1.5, 3661.25, "end")])
    assert vtt.startswith("WEBVTT\n\n")
    assert "00:00:00.000 --> 00:00:01.500" in vtt and "01:01:01.250" in vtt
    assert "<b>" not in vtt and "&lt;b&gt; &amp; c --&gt; d" in vtt


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
    store.close()
    assert not store.root.exists()


def test_mood_and_mastery_html_escape_and_bound_the_bars() -> None:
    est = AffectEstimate.from_scores({"confused": 1.0}, valence=-0.5, arousal=0.9, confidence=0.7, source="face")
    html = mood_html(est, camera_on=True)
    assert 'data-state="confused"' in html and "70% sure" in html
    assert 'data-state="off"' in mood_html(est, camera_on=False)
    bars = mastery_html({EVIL: 1.7, "fractions.add": 0.2}, threshold=0.95)
    assert "<script>" not in bars and "&lt;script&gt;" in bars
    assert "width:100.0%" in bars  # clipped to the track
    assert "<script>" not in status_html(EVIL, busy=True)
