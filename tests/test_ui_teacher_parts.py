"""Teacher-view building blocks without a server: charts (readable text, real alt text),
the class overview heatmap, the live alerts feed, the transcript's escaping."""

from __future__ import annotations

import base64
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from matplotlib.text import Text
from PIL import Image

from affect.types import AffectEstimate
from tutor.accounts.types import ClassOverview, StudentSummary
from ui.plots import DISPLAY_DPI, RENDER_DPI, TurnPoint, chart_html, mastery_over_session, mood_timeline, time_in_states
from ui.teacher.render import Alert, alerts_html, overview_html, transcript_html

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


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


def test_charts_draw_the_session_and_say_what_they_show() -> None:
    turns = _turns(5)
    mood = mood_timeline(turns)
    assert len(mood.figure.axes[0].lines) >= 3  # text, face, combined
    assert "Frustrated at turn 2" in mood.alt and "Flagged at turn 2" in mood.alt and "5 turns" in mood.alt
    names = {"fractions.add_sub": "Adding fractions", "percent.of": "Percent of a number"}
    mastery = mastery_over_session(turns, names)
    legend = sorted(t.get_text() for t in mastery.figure.axes[0].get_legend().get_texts())
    assert legend == ["Adding fractions", "Percent of a number"]  # names a teacher reads, not skill ids
    assert "Adding fractions 10% to 70%" in mastery.alt
    states = time_in_states(turns)
    widths = {p.get_y(): p.get_width() for p in states.figure.axes[0].patches}
    assert sum(widths.values()) == pytest.approx(80.0)  # 4 gaps of 20 s
    assert "over 1 min 20 s" in states.alt and "engaged 40 s" in states.alt
    for chart in (mood_timeline([]), mastery_over_session([]), time_in_states(turns[:1])):
        assert chart.figure.axes[0].texts and chart.alt.endswith(".")  # says why it is empty
    for chart in (mood, mastery, states):
        assert "undefined" not in chart.alt and "plot visualising" not in chart.alt


def test_chart_text_is_at_least_12_px_at_the_shown_size() -> None:
    for chart in (mood_timeline(_turns(5)), mastery_over_session(_turns(5)), time_in_states(_turns(5))):
        fig = chart.figure
        fig.canvas.draw()
        texts = [t for t in fig.findobj(Text) if t.get_text().strip() and t.get_visible()]
        assert len(texts) > 8
        smallest_px = min(t.get_fontsize() * DISPLAY_DPI / 72 for t in texts)
        assert smallest_px >= 12, smallest_px
        html = chart_html(chart, "plot-x")
        width, height = (int(v) for v in re.search(r'width="(\d+)" height="(\d+)"', html).groups())
        assert (width, height) == tuple(round(v * DISPLAY_DPI) for v in fig.get_size_inches())
        png = base64.b64decode(re.search(r"base64,([^\"]+)", html).group(1))
        assert Image.open(io.BytesIO(png)).size == (
            width * RENDER_DPI // DISPLAY_DPI,
            height * RENDER_DPI // DISPLAY_DPI,
        )
        assert f'alt="{chart.alt}"' in html.replace("&#x27;", "'")


def _student(student: str, name: str, ago_s: float | None, flags: int, mastery: dict, **kw: object) -> StudentSummary:
    return StudentSummary(
        student=student, pseudonym=name, mastery={"s1": 0.3, "s2": 0.3, "s3": 0.3, **mastery},
        practised=tuple(mastery), last_active=None if ago_s is None else NOW - timedelta(seconds=ago_s),
        n_sessions=1 if mastery else 0, n_flags=flags, frustration=float(kw.get("frustration", 0.0)),
        needs_help=bool(kw.get("needs_help", False)),
    )  # fmt: skip


def test_overview_heatmap_shows_status_values_and_escapes_names() -> None:
    rows = (  # in the core's order: flagged, needs help, the rest
        _student("c", EVIL, 3 * 3600, 2, {"s1": 0.6, "s2": 0.1}, frustration=0.7, needs_help=True),
        _student("b", "busy-bee", 2 * 86400, 0, {"s1": 0.2}, frustration=0.5, needs_help=True),
        _student("a", "calm-cat", 60, 0, {"s1": 0.9}),
        _student("d", "new-newt", None, 0, {}),
    )
    overview = ClassOverview("k", "7B maths", "K7M-X3P-Q9R", ("s1", "s2", "s3"),
                             {"s1": "Adding fractions", "s2": "Percent of", "s3": "Never practised"}, rows)  # fmt: skip
    html = overview_html(overview, NOW)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.index("&lt;script&gt;") < html.index("busy-bee") < html.index("calm-cat") < html.index("new-newt")
    assert "⚑ 2 flags" in html and html.count("needs help") == 2 and "2 days ago" in html and "never" in html
    assert ">90%<" in html and ">10%<" in html and "70%" in html  # printed values, not colour only
    assert "Adding fractions" in html and "Never practised" not in html  # columns: skills someone practised
    assert html.count(">–<") == 4  # s2: busy-bee, calm-cat, new-newt; s1: new-newt
    empty = overview_html(ClassOverview("k", "8A", "ABC-DEF-GHJ", ("s1",), {}, ()), NOW)
    assert "No students" in empty and "ABC-DEF-GHJ" in empty


def test_heatmap_cells_keep_readable_contrast() -> None:
    from ui.teacher.render import _cell_colour

    def lum(hex_colour: str) -> float:
        rgb = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    for k in range(101):
        bg, fg = _cell_colour(k / 100)
        hi, lo = sorted((lum(bg), lum(fg)), reverse=True)
        assert (hi + 0.05) / (lo + 0.05) >= 4.5, (k, bg, fg)


def test_alerts_feed_marks_new_ones_and_escapes() -> None:
    alerts = [
        Alert("f2", NOW - timedelta(seconds=5), EVIL, "distress", EVIL, "s1"),
        Alert("f1", NOW - timedelta(minutes=7), "busy-bee", "distress", "I want to give up", "s2"),
    ]
    alerts.append(Alert("f0", NOW - timedelta(hours=2), "owl", "wellbeing", "people at school are mean to me", "s3"))
    html = alerts_html(alerts, NOW, new_ids=frozenset({"f2"}))
    assert 'aria-live="polite"' in html and "<script>" not in html
    assert html.count("NEW") == 1 and "just now" in html and "7 min ago" in html and "I want to give up" in html
    assert html.count("· flag: distress ·") == 2 and html.count("· wellbeing note ·") == 1  # told apart in words
    assert html.count('class="tv-distress') == 2 and html.count('class="tv-wellbeing') == 1  # and in colour
    assert "No flags" in alerts_html([], NOW)


def test_transcript_escapes_student_text_marks_flags_and_shows_the_answered_problem() -> None:
    fused = AffectEstimate.from_scores({"anxious": 1.0}, valence=-0.7, arousal=0.8, confidence=0.9, source="fused")
    turns = [
        {"index": 1, "at": datetime(2026, 11, 24, 9, 0), "student_text": EVIL, "tutor_text": "Let's slow down.",
         "move": "reassure", "correct": None, "flagged": True, "flag_reason": EVIL,
         "fused_affect": fused.to_dict(), "text_affect": None, "face_affect": None},
        {"index": 2, "at": datetime(2026, 11, 24, 9, 1), "student_text": "3/4", "tutor_text": "Right!",
         "move": "praise", "correct": True, "flagged": False, "fused_affect": fused},
    ]  # fmt: skip
    html = transcript_html(turns, [None, {"prompt": "1/2 + 1/4 = ?"}])
    assert "<script>" not in html and "<img" not in html
    assert html.count("&lt;script&gt;") == 2
    assert len(re.findall(r'<tr class="tv-flagged">', html)) == 1
    assert "✔ right" in html and "anxious" in html and "1/2 + 1/4 = ?" in html
