"""UI building blocks without a server: escaping, subtitles, the clip store, plots, passwords."""

from __future__ import annotations

import itertools
import os
import re
import time
from datetime import UTC, datetime, timedelta

import pytest

from affect.types import AffectEstimate
from ui.clips import ClipStore, split_cues, to_webvtt
from ui.config import ServerConfig
from ui.plots import TurnPoint, mastery_over_session, mood_timeline, time_in_states
from ui.teacher import AccessDeniedError, require_teacher, transcript_html
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


def test_teacher_password_is_required_and_compared_exactly() -> None:
    with pytest.raises(AccessDeniedError, match="disabled"):
        require_teacher(ServerConfig(teacher_password=""), "anything")
    server = ServerConfig(teacher_password="s3cret")
    for wrong in ("", None, "s3cre", "s3cret ", "S3CRET"):
        with pytest.raises(AccessDeniedError, match="Wrong"):
            require_teacher(server, wrong)
    require_teacher(server, "s3cret")
    assert isinstance(AccessDeniedError("x"), PermissionError)


def _turns(n: int) -> list[TurnPoint]:
    t0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    states = ["engaged", "confused", "frustrated", "engaged", "delighted"]
    return [
        TurnPoint(
            index=i,
            at=t0 + timedelta(seconds=20 * i),
            fused_label=states[i % 5],
            fused_valence=[0.3, -0.2, -0.6, 0.2, 0.8][i % 5],
            text_valence=0.1 if i % 2 else None,
            face_valence=-0.1,
            flagged=i == 2,
            mastery={"fractions.add_sub": 0.1 + 0.15 * i, "percent.of": 0.3},
        )
        for i in range(n)
    ]


def test_plots_draw_the_session_and_handle_empty_ones() -> None:
    turns = _turns(5)
    mood = mood_timeline(turns)
    assert len(mood.axes[0].lines) >= 3  # text, face, fused
    mastery = mastery_over_session(turns)
    assert sorted(t.get_text() for t in mastery.axes[0].get_legend().get_texts()) == [
        "fractions.add_sub",
        "percent.of",
    ]
    states = time_in_states(turns)
    widths = {p.get_y(): p.get_width() for p in states.axes[0].patches}
    assert sum(widths.values()) == pytest.approx(80.0)  # 4 gaps of 20 s
    for fig in (mood_timeline([]), mastery_over_session([]), time_in_states(turns[:1])):
        assert fig.axes[0].texts  # says why it is empty instead of drawing nothing


def test_transcript_html_escapes_student_text_and_marks_flagged_turns() -> None:
    fused = AffectEstimate.from_scores({"anxious": 1.0}, valence=-0.7, arousal=0.8, confidence=0.9, source="fused")
    turns = [
        {
            "index": 1,
            "at": datetime(2026, 11, 24, 9, 0),
            "student_text": EVIL,
            "tutor_text": "Let's slow down.",
            "move": "reassure",
            "correct": None,
            "flagged": True,
            "flag_reason": EVIL,
            "fused_affect": fused.to_dict(),
            "text_affect": None,
            "face_affect": None,
        },
        {
            "index": 2,
            "at": datetime(2026, 11, 24, 9, 1),
            "student_text": "3/4",
            "tutor_text": "Right!",
            "move": "praise",
            "correct": True,
            "flagged": False,
            "fused_affect": fused,
        },
    ]
    html = transcript_html(turns)
    assert "<script>" not in html and "<img" not in html
    assert html.count("&lt;script&gt;") == 2
    assert len(re.findall(r'<tr class="flagged">', html)) == 1
    assert "✔" in html and "anxious" in html
