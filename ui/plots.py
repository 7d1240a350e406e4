"""Teacher-view plots of one session: mood timeline, mastery, time per state, each with alt text.

Pure functions from plain per-turn values to a `Chart` (a matplotlib figure and a sentence that
says what it shows), so they are testable without a server. Figures use the object API
(`Figure()`, not pyplot): pyplot keeps global state and is not thread-safe, and teacher
requests run on worker threads.

The view embeds each chart as an <img> at a fixed display size with the chart's own alt text
(`chart_html`): Gradio's gr.Plot shows a matplotlib figure with the alt text "matplotlib plot
visualising provided data" and scales it to its box, so neither the text size nor the alt text
could be trusted.
"""

from __future__ import annotations

import base64
import io
import itertools
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html import escape

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from affect.types import LEARNER_STATES
from ui.views import STATE_COLOURS

# Text sizes in points. At DISPLAY_DPI a point is 100/72 px, so 10 pt shows as ~13.9 px: the
# issue asks for >= 12 px labels at the shown size. Charts are rendered at RENDER_DPI (2x) and
# shown at DISPLAY_DPI, so they stay sharp on high-density screens.
DISPLAY_DPI = 100
RENDER_DPI = 200
FONT_PT = {"title": 12.0, "label": 11.0, "tick": 10.0, "legend": 10.0, "note": 11.0}
_WIDE = (8.6, 3.4)  # inches at DISPLAY_DPI: 860 x 340 px, one chart per row
_HALF = (5.8, 3.4)  # 580 x 340 px: two side by side fit a 1280 px window


@dataclass(frozen=True)
class TurnPoint:
    """What the plots need from one logged turn."""

    index: int
    at: datetime
    fused_label: str
    fused_valence: float
    text_valence: float | None = None
    face_valence: float | None = None
    flagged: bool = False
    mastery: Mapping[str, float] = field(default_factory=dict)  # P(L) per skill after this turn


@dataclass(frozen=True)
class Chart:
    """A figure and the sentence a screen reader reads instead of it."""

    figure: Figure
    alt: str  # what the chart shows, in words (the data, not "a plot")
    title: str  # shown as the caption


def _figure(size: tuple[float, float]) -> Figure:
    return Figure(figsize=size, dpi=DISPLAY_DPI)


def _style(fig: Figure) -> None:
    for ax in fig.axes:
        ax.tick_params(labelsize=FONT_PT["tick"])
        ax.xaxis.label.set_fontsize(FONT_PT["label"])
        ax.yaxis.label.set_fontsize(FONT_PT["label"])
        ax.title.set_fontsize(FONT_PT["title"])
        legend = ax.get_legend()
        if legend is not None:
            for text in legend.get_texts():
                text.set_fontsize(FONT_PT["legend"])
    fig.tight_layout()


def _empty(title: str, note: str, size: tuple[float, float]) -> Chart:
    fig = _figure(size)
    ax = fig.add_subplot()
    ax.set_title(title)
    ax.text(0.5, 0.5, note, ha="center", va="center", color="#444", fontsize=FONT_PT["note"])
    ax.set_axis_off()
    _style(fig)
    return Chart(fig, f"{title}: {note}.", title)


def _turn_list(indices: Sequence[int]) -> str:
    shown = ", ".join(str(i) for i in indices[:8])
    return shown + (f" and {len(indices) - 8} more" if len(indices) > 8 else "")


def mood_timeline(turns: Sequence[TurnPoint]) -> Chart:
    """Valence per turn from text, face and the fused track; dots coloured by fused state."""
    title = "Mood over the session"
    if not turns:
        return _empty(title, "no turns yet", _WIDE)
    fig = _figure(_WIDE)
    ax = fig.add_subplot()
    x = [t.index for t in turns]
    for name, values, style in (
        ("from text", [t.text_valence for t in turns], ":"),
        ("from face", [t.face_valence for t in turns], "--"),
    ):
        pts = [(i, v) for i, v in zip(x, values, strict=True) if v is not None]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style, color="#666", lw=1.2, label=name)
    ax.plot(x, [t.fused_valence for t in turns], "-", color="#222", lw=1.8, label="combined")
    ax.scatter(
        x,
        [t.fused_valence for t in turns],
        c=[STATE_COLOURS.get(t.fused_label, "#333") for t in turns],
        s=[110 if t.flagged else 40 for t in turns],
        edgecolors=["#C00000" if t.flagged else "none" for t in turns],
        linewidths=2,
        zorder=3,
    )
    ax.axhline(0, color="#bbb", lw=0.8)
    ax.set_ylim(-1.05, 1.05)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("turn")
    ax.set_ylabel("mood (− unhappy … + happy)")
    ax.set_title("Mood over the session (dot colour = state, red ring = flagged)")
    ax.legend(loc="best")  # placed where it hides the fewest points
    _style(fig)
    return Chart(fig, _mood_alt(turns), title)


def _mood_alt(turns: Sequence[TurnPoint]) -> str:
    counts = Counter(t.fused_label for t in turns)
    common, n_common = counts.most_common(1)[0]
    parts = [f"Mood over {len(turns)} turns, mostly {common} ({n_common} of {len(turns)} turns)."]
    for state in ("frustrated", "anxious", "confused", "bored"):
        hits = [t.index for t in turns if t.fused_label == state]
        if hits and state != common:
            parts.append(f"{state.capitalize()} at turn {_turn_list(hits)}.")
    flagged = [t.index for t in turns if t.flagged]
    parts.append(f"Flagged at turn {_turn_list(flagged)}." if flagged else "No flagged turns.")
    vals = [t.fused_valence for t in turns]
    parts.append(f"Mood score from {min(vals):+.2f} to {max(vals):+.2f} (−1 unhappy, +1 happy).")
    return " ".join(parts)


def mastery_over_session(turns: Sequence[TurnPoint], names: Mapping[str, str] | None = None) -> Chart:
    """P(mastered) per skill after each turn (Bayesian knowledge tracing estimate); `names`
    maps skill ids to the names teachers read."""
    title = "Mastery per skill"
    names = names or {}
    skills = sorted({s for t in turns for s in t.mastery}, key=lambda s: names.get(s, s))
    if not skills:
        return _empty(title, "no skill practised yet", _HALF)
    fig = _figure(_HALF)
    ax = fig.add_subplot()
    summary = []
    for skill in skills:
        pts = [(t.index, t.mastery[skill]) for t in turns if skill in t.mastery]
        name = names.get(skill, skill)
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", ms=4, lw=1.6, label=name)
        summary.append(f"{name} {pts[0][1]:.0%} to {pts[-1][1]:.0%}")
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("turn")
    ax.set_ylabel("chance mastered")
    ax.set_title("Mastery per skill over the session")
    ax.legend(loc="best")  # placed where it hides the fewest points
    _style(fig)
    return Chart(fig, f"Chance each skill is mastered, from the first to the last turn: {'; '.join(summary)}.", title)


def time_in_states(turns: Sequence[TurnPoint]) -> Chart:
    """Seconds spent in each fused state: each turn's state holds until the next turn."""
    title = "Time in each state"
    if len(turns) < 2:
        return _empty(title, "needs at least two turns", _HALF)
    seconds = dict.fromkeys(LEARNER_STATES, 0.0)
    for cur, nxt in itertools.pairwise(turns):
        seconds[cur.fused_label] = seconds.get(cur.fused_label, 0.0) + max(0.0, (nxt.at - cur.at).total_seconds())
    fig = _figure(_HALF)
    ax = fig.add_subplot()
    labels = list(seconds)
    ax.barh(labels, [seconds[s] for s in labels], color=[STATE_COLOURS.get(s, "#333") for s in labels])
    ax.invert_yaxis()
    ax.set_xlabel("seconds")
    ax.set_title(title)
    _style(fig)
    total = sum(seconds.values())
    spent = [f"{s} {_duration(v)}" for s, v in sorted(seconds.items(), key=lambda kv: -kv[1]) if v > 0]
    alt = f"Time in each state over {_duration(total)}: " + (", ".join(spent) if spent else "none measured") + "."
    return Chart(fig, alt, title)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def chart_html(chart: Chart, elem_id: str) -> str:
    """The chart as an <img> at its display size (PNG at twice the pixels) with its alt text."""
    fig = chart.figure
    width, height = (round(v * DISPLAY_DPI) for v in fig.get_size_inches())
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=RENDER_DPI)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (
        f'<figure class="tv-chart" id="{escape(elem_id)}">'
        f'<img src="data:image/png;base64,{data}" width="{width}" height="{height}" alt="{escape(chart.alt)}">'
        f"<figcaption>{escape(chart.title)}</figcaption></figure>"
    )


def charts_html(charts: list[tuple[Chart, str]]) -> str:
    """Several charts (with their element ids) side by side, wrapping to the next line, each at
    its display size (never squeezed: the row scrolls instead)."""
    return '<div class="tv-charts">' + "".join(chart_html(chart, elem_id) for chart, elem_id in charts) + "</div>"
