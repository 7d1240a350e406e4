"""Teacher-view plots of one session (matplotlib, Agg): mood timeline, mastery, time per state.

Pure functions from plain per-turn values to figures, so they are testable without a server.
Figures are built with the object API (`Figure()`, not pyplot): pyplot keeps global state and
is not thread-safe, and teacher requests run on worker threads.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from affect.types import LEARNER_STATES
from ui.views import STATE_COLOURS

_SIZE = (5.2, 2.8)


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


def _empty(title: str, note: str) -> Figure:
    fig = Figure(figsize=_SIZE)
    ax = fig.add_subplot()
    ax.set_title(title, fontsize=10)
    ax.text(0.5, 0.5, note, ha="center", va="center", color="#666")
    ax.set_axis_off()
    fig.tight_layout()
    return fig


def mood_timeline(turns: Sequence[TurnPoint]) -> Figure:
    """Valence per turn from text, face and the fused track; dots coloured by fused state."""
    if not turns:
        return _empty("Mood over the session", "no turns yet")
    fig = Figure(figsize=_SIZE)
    ax = fig.add_subplot()
    x = [t.index for t in turns]
    for name, values, style in (
        ("text", [t.text_valence for t in turns], ":"),
        ("face", [t.face_valence for t in turns], "--"),
    ):
        pts = [(i, v) for i, v in zip(x, values) if v is not None]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style, color="#888", lw=1, label=name)
    ax.plot(x, [t.fused_valence for t in turns], "-", color="#333", lw=1.5, label="fused")
    ax.scatter(
        x,
        [t.fused_valence for t in turns],
        c=[STATE_COLOURS.get(t.fused_label, "#333") for t in turns],
        s=[60 if t.flagged else 25 for t in turns],
        edgecolors=["red" if t.flagged else "none" for t in turns],
        zorder=3,
    )
    ax.axhline(0, color="#ccc", lw=0.8)
    ax.set_ylim(-1.05, 1.05)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("turn")
    ax.set_ylabel("valence")
    ax.set_title("Mood over the session (colour = fused state, red ring = flagged)", fontsize=9)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig


def mastery_over_session(turns: Sequence[TurnPoint]) -> Figure:
    """P(mastered) per skill after each turn (Bayesian knowledge tracing estimate)."""
    skills = sorted({s for t in turns for s in t.mastery})
    if not skills:
        return _empty("Mastery per skill", "no skill practised yet")
    fig = Figure(figsize=_SIZE)
    ax = fig.add_subplot()
    for skill in skills:
        pts = [(t.index, t.mastery[skill]) for t in turns if skill in t.mastery]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", ms=3, lw=1.2, label=skill)
    ax.set_ylim(0, 1.02)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("turn")
    ax.set_ylabel("P(mastered)")
    ax.set_title("Mastery per skill over the session", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


def time_in_states(turns: Sequence[TurnPoint]) -> Figure:
    """Seconds spent in each fused state: each turn's state holds until the next turn."""
    if len(turns) < 2:
        return _empty("Time in each state", "needs at least two turns")
    seconds = dict.fromkeys(LEARNER_STATES, 0.0)
    for cur, nxt in itertools.pairwise(turns):
        seconds[cur.fused_label] = seconds.get(cur.fused_label, 0.0) + max(
            0.0, (nxt.at - cur.at).total_seconds()
        )
    fig = Figure(figsize=_SIZE)
    ax = fig.add_subplot()
    labels = list(seconds)
    ax.barh(labels, [seconds[s] for s in labels], color=[STATE_COLOURS.get(s, "#333") for s in labels])
    ax.invert_yaxis()
    ax.set_xlabel("seconds")
    ax.set_title("Time in each state", fontsize=9)
    fig.tight_layout()
    return fig
