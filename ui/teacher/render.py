"""HTML of the teacher view: class overview heatmap, live alerts, transcript. Pure functions.

Everything a student typed (and every pseudonym) is HTML-escaped here before it enters a page.
Colours carry no meaning alone: every heatmap cell also prints its percentage, every flag a ⚑
and a word, so the view works for colour-blind readers and screen readers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from affect.types import AffectEstimate
from ui.views import esc

# Heatmap: white -> blue (Okabe-Ito blue #0072B2), so P = 0 and "not started" stay distinct.
_LOW_RGB, _HIGH_RGB = (255, 255, 255), (0, 114, 178)


@dataclass(frozen=True)
class Alert:
    """A flag (distress) or wellbeing note for the live feed."""

    id: str
    at: datetime
    student_name: str
    kind: str  # e.g. "distress"
    reason: str
    session_id: str


def as_utc(at: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time in the log is UTC."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def ago(at: datetime | None, now: datetime) -> str:
    """'3 min ago', '2 h ago', '4 days ago'; 'never' for None."""
    if at is None:
        return "never"
    seconds = max(0.0, (now - as_utc(at)).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} days ago"


def _cell_colour(p: float) -> tuple[str, str]:
    """Background and text colour of a heatmap cell; the text colour is whichever of black or
    white contrasts more (WCAG relative luminance), so every cell reads at >= 4.5:1."""
    rgb = tuple(round(lo + (hi - lo) * max(0.0, min(1.0, p))) for lo, hi in zip(_LOW_RGB, _HIGH_RGB, strict=True))

    def lin(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    lum = 0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2])
    text = "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#ffffff"
    return "#{:02x}{:02x}{:02x}".format(*rgb), text


def overview_html(overview: Any, now: datetime) -> str:
    """A `tutor.accounts.ClassOverview` as a students x skills heatmap with status, frustration
    and last active; rows in the core's order (flagged first, then those who need help).

    Columns are the skills at least one student has practised (curriculum order); a student's
    cell says "–" until they have answered that skill once.
    """
    students = list(overview.students)
    caption = f"{esc(overview.name)} — chance each skill is mastered (– = not started); flagged students first"
    if not students:
        return (
            f'<div id="class-overview" class="tv-overview"><p>No students in {esc(overview.name)} yet. They join on '
            f"the Student tab with the code <strong><code>{esc(overview.code)}</code></strong>.</p></div>"
        )
    practised = {sid for s in students for sid in s.practised}
    skills = [(sid, overview.skill_names.get(sid, sid)) for sid in overview.skills if sid in practised]
    head = "".join(f'<th scope="col" class="tv-skill">{esc(name)}</th>' for _, name in skills)
    body = []
    for s in students:
        status = []
        if s.n_flags:
            status.append(f'<span class="tv-flag">⚑ {s.n_flags} flag{"s" if s.n_flags != 1 else ""}</span>')
        if s.needs_help:
            status.append('<span class="tv-help">needs help</span>')
        cells = []
        for sid, name in skills:
            if sid not in s.practised:
                cells.append(f'<td class="tv-heat tv-none" title="{esc(name)}: not started">–</td>')
                continue
            p = float(s.mastery.get(sid, 0.0))
            bg, fg = _cell_colour(p)
            cells.append(
                f'<td class="tv-heat" style="background:{bg};color:{fg}" title="{esc(name)}: {p:.0%}">{p:.0%}</td>'
            )
        body.append(
            f'<tr class="{"tv-flagged" if s.n_flags else ""}" data-student="{esc(s.student)}">'
            f'<th scope="row">{esc(s.pseudonym)}</th><td>{" ".join(status)}</td>'
            f"<td>{s.frustration:.0%}</td><td>{esc(ago(s.last_active, now))}</td><td>{s.n_sessions}</td>"
            f"{''.join(cells)}</tr>"
        )
    return (
        f'<div id="class-overview" class="tv-overview"><table><caption>{caption}</caption>'
        '<tr><th scope="col">student</th><th scope="col">status</th><th scope="col">frustration lately</th>'
        f'<th scope="col">last active</th><th scope="col">sessions</th>{head}</tr>{"".join(body)}</table></div>'
    )


# How each kind of alert is shown: distress is a flag (act now), wellbeing a note (a student said
# they are sad, lonely or bullied: care, a lower level), so they look different and say which.
ALERT_STYLE = {"distress": ("⚑", "flag: distress", "tv-distress"), "wellbeing": ("♡", "wellbeing note", "tv-wellbeing")}


def alerts_html(alerts: Sequence[Alert], now: datetime, *, new_ids: frozenset[str] = frozenset()) -> str:
    """The live feed: newest first; alerts that arrived since the last look are marked NEW."""
    if not alerts:
        items = '<li class="tv-none">No flags or wellbeing notes. New ones appear here within seconds.</li>'
    else:
        rows = []
        for a in alerts:
            icon, label, kind_class = ALERT_STYLE.get(a.kind, ("⚑", a.kind, "tv-distress"))
            new = a.id in new_ids
            rows.append(
                f'<li class="{kind_class}{" tv-new" if new else ""}">'
                + ('<strong class="tv-badge">NEW</strong> ' if new else "")
                + f"{icon} <strong>{esc(a.student_name)}</strong> · {esc(label)} · {esc(ago(a.at, now))}: "
                f"{esc(a.reason)}</li>"
            )
        items = "".join(rows)
    return (
        f'<section id="teacher-alerts" aria-live="polite" aria-label="Flags and wellbeing notes"><ul>{items}</ul>'
        "</section>"
    )


def _field(record: Any, name: str, default: Any = None) -> Any:
    """Read a field from a store record whether it is a dataclass or a dict."""
    if isinstance(record, dict):
        return record.get(name, default)
    return getattr(record, name, default)


def _affect(value: Any) -> AffectEstimate | None:
    if value is None or isinstance(value, AffectEstimate):
        return value
    return AffectEstimate.from_dict(value)


def _mood_cell(value: Any) -> str:
    est = _affect(value)
    if est is None:
        return '<span class="tv-muted">–</span>'
    return f"{esc(est.label)} <small>({est.valence:+.2f}, {est.confidence:.0%})</small>"


def transcript_html(transcript: Sequence[Any], answered: Sequence[Mapping[str, Any] | None] | None = None) -> str:
    """The transcript as an escaped HTML table; flagged turns highlighted and marked.

    `answered` (from `tutor.export.answered_problems`) adds the problem each message answered.
    """
    cols = ("#", "time", "problem", "student", "tutor", "move", "correct", "text mood", "face mood", "mood", "flag")
    head = "".join(f'<th scope="col">{h}</th>' for h in cols)
    rows = []
    for i, turn in enumerate(transcript):
        flagged = bool(_field(turn, "flagged", False))
        verdict = {True: "✔ right", False: "✘ not yet", None: ""}[_field(turn, "correct")]
        reason = esc(_field(turn, "flag_reason", "") or "")
        problem = (answered[i] if answered and i < len(answered) else None) or {}
        rows.append(
            f'<tr class="{"tv-flagged" if flagged else ""}">'
            f"<td>{esc(_field(turn, 'index', i))}</td>"
            f"<td>{esc(as_utc(_field(turn, 'at')).strftime('%H:%M:%S'))}</td>"
            f"<td>{esc(problem.get('prompt', ''))}</td>"
            f"<td>{esc(_field(turn, 'student_text', ''))}</td>"
            f"<td>{esc(_field(turn, 'tutor_text', ''))}</td>"
            f"<td>{esc(_field(turn, 'move', ''))}</td>"
            f"<td>{verdict}</td>"
            f"<td>{_mood_cell(_field(turn, 'text_affect'))}</td>"
            f"<td>{_mood_cell(_field(turn, 'face_affect'))}</td>"
            f"<td>{_mood_cell(_field(turn, 'fused_affect'))}</td>"
            f"<td>{'⚑ ' + reason if flagged else ''}</td></tr>"
        )
    return f'<div class="tv-transcript"><table><tr>{head}</tr>{"".join(rows)}</table></div>'
