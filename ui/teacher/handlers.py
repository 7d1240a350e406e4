"""Teacher handlers: plain functions of (services, token, inputs) -> outputs; each checks the token first.

`ui.teacher.tab` wires them to components; tests call them directly. Nothing is read from the
database before `view_for(token)` has accepted the login, and the live feed (`poll`) runs only
from a timer that is switched on by a successful login and off by logout or an expired token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import gradio as gr

from affect.types import AffectEstimate
from tutor.export import EXPORT_FORMATS, answered_problems
from ui.plots import TurnPoint, charts_html, mastery_over_session, mood_timeline, time_in_states
from ui.services import Services
from ui.teacher.access import AccessDeniedError, TeacherInputError, log_in, teacher_errors, view_for
from ui.teacher.render import Alert, alerts_html, as_utc, overview_html, transcript_html
from ui.teacher.replay import turn_choices
from ui.views import esc

ALERTS_SHOWN = 10  # newest flags in the live feed
SESSION_HEADERS = ["flags", "topic", "started (UTC)", "turns", "last active", "session"]


@dataclass(frozen=True)
class FeedState:
    """Per tab: which alerts were there at login (not NEW) and at the last poll (unchanged = no redraw)."""

    baseline: frozenset[str] = frozenset()
    last: frozenset[str] = frozenset()
    open: bool = False  # this tab shows the dashboard (reopening the tab then changes nothing)


def _now() -> datetime:
    return datetime.now(UTC)


def _alerts(view: Any) -> list[Alert]:
    return [
        Alert(
            id=str(f["id"]),
            at=f["created_at"],
            student_name=str(f.get("pseudonym") or f["student"]),
            kind=str(f["kind"]),
            reason=str(f["reason"]),
            session_id=str(f["session_id"]),
        )
        for f in view.flags(limit=ALERTS_SHOWN)
    ]


def _class_choices(view: Any) -> list[tuple[str, str]]:
    return [(f"{c.name} · code {c.code} · {c.n_students} students", c.id) for c in view.classes()]


# 1. Login / logout ---------------------------------------------------------------------------


def _class_view(view: Any, class_id: str | None, *, keep_student: bool = False) -> tuple[str, Any, str]:
    """Overview heatmap, student picker and join-code line of one class (or a hint when none);
    `keep_student` leaves the picked student picked (a live refresh)."""
    if not class_id:
        return "", gr.Dropdown(choices=[], value=None), "Create a class to start: its join code appears here."
    overview = view.class_overview(class_id)
    students = [(s.pseudonym, s.student) for s in overview.students]
    note = f"Join code for **{esc(overview.name)}**: **`{esc(overview.code)}`** ({len(students)} students)."
    picker = gr.Dropdown(choices=students) if keep_student else gr.Dropdown(choices=students, value=None)
    return overview_html(overview, _now()), picker, note


def _dashboard(view: Any, token: str) -> tuple[Any, ...]:
    """Outputs of a successful login or restore, in `LOGIN_OUTPUTS` order, on the first class."""
    alerts = _alerts(view)
    ids = frozenset(a.id for a in alerts)
    choices = _class_choices(view)
    first = choices[0][1] if choices else None
    overview, students, class_note = _class_view(view, first)
    return (
        token,
        gr.Column(visible=False),
        gr.Column(visible=True),
        f"Signed in as **{esc(view.name)}**.",
        "",
        gr.Dropdown(choices=choices, value=first),
        class_note,
        overview,
        students,
        alerts_html(alerts, _now()),
        FeedState(ids, ids, open=True),
        gr.Timer(active=True),
    )


def _logged_out(note: str = "") -> tuple[Any, ...]:
    return (
        "",
        gr.Column(visible=True),
        gr.Column(visible=False),
        "",
        note,
        gr.Dropdown(choices=[], value=None),
        "",
        "",
        gr.Dropdown(choices=[], value=None),
        alerts_html([], _now()),
        FeedState(),
        gr.Timer(active=False),
    )


# The components login, restore and logout write, in order (ui.teacher.tab wires them).
LOGIN_OUTPUTS = ("token", "login_box", "dashboard", "who", "login_note", "class_pick", "class_note", "overview",
                 "student_pick", "alerts", "feed", "timer")  # fmt: skip


@teacher_errors
def login(services: Services, name: str, password: str) -> tuple[Any, ...]:
    """Name + password -> the dashboard; the token goes to the browser state (never the password)."""
    token, view = log_in(services, (name or "").strip(), password or "")
    return _dashboard(view, token)


def restore(services: Services, token: str, feed: FeedState | None = None) -> tuple[Any, ...]:
    """Opening the tab with a stored token: the dashboard if it is still valid, else the login box;
    nothing changes (and nothing is read) when this tab already shows the dashboard."""
    if feed is not None and feed.open and token:
        return tuple(gr.skip() for _ in LOGIN_OUTPUTS)
    if not token:
        return _logged_out()
    try:
        view = view_for(services, token)
    except AccessDeniedError as err:
        return _logged_out(str(err))
    return _dashboard(view, token)


def logout() -> tuple[Any, ...]:
    """Forget the token in this browser and stop the live feed (reads nothing)."""
    return _logged_out("Logged out.")


def ended() -> tuple[Any, ...]:
    """After the live feed was refused (the token expired or was revoked): back to the login box."""
    return _logged_out("Your teacher login has ended; please log in again.")


# 2. Classes and the overview -------------------------------------------------------------------


@teacher_errors
def create_class(services: Services, token: str, name: str) -> tuple[Any, str, str, Any]:
    """A new class of this teacher, opened: class picker, join-code line, overview, student picker."""
    view = view_for(services, token)
    info = view.create_class((name or "").strip())
    overview, students, _ = _class_view(view, info.id)
    note = f"Class **{esc(info.name)}** created. Students join on the Student tab with the code **`{esc(info.code)}`**."
    return gr.Dropdown(choices=_class_choices(view), value=info.id), note, overview, students


@teacher_errors
def open_class(services: Services, token: str, class_id: str | None) -> tuple[str, Any, str]:
    """The class overview heatmap, the student picker and the join-code line."""
    return _class_view(view_for(services, token), class_id)


@teacher_errors
def poll(services: Services, token: str, class_id: str | None, feed: FeedState) -> tuple[Any, ...]:
    """The timer's tick: alerts, overview, student picker, join-code line, feed state. New flags
    appear in the feed and the open class redraws (new students included); when nothing new
    arrived nothing on the page changes."""
    view = view_for(services, token)
    if class_id and class_id not in {c.id for c in view.classes()}:  # cheap: the overview is read only on news
        raise AccessDeniedError("That class is not in your classes.")
    alerts = _alerts(view)
    ids = frozenset(a.id for a in alerts)
    if ids == feed.last:
        return gr.skip(), gr.skip(), gr.skip(), gr.skip(), feed
    html = alerts_html(alerts, _now(), new_ids=ids - feed.baseline)
    if not class_id:
        return html, gr.skip(), gr.skip(), gr.skip(), FeedState(feed.baseline, ids, open=True)
    return html, *_class_view(view, class_id, keep_student=True), FeedState(feed.baseline, ids, open=True)


# 3. One student: sessions, transcript, charts, export, delete ----------------------------------


@teacher_errors
def student_sessions(services: Services, token: str, student: str | None) -> tuple[list[list[Any]], Any, str, Any]:
    """A student's sessions (flagged first, then newest), the session picker (on the first one),
    a one-line note, and the student's part of the page shown."""
    view = view_for(services, token)
    if not student:
        return [], gr.Dropdown(choices=[], value=None), "", gr.Column(visible=False)
    records = view.list_sessions(student=student)
    records = sorted(records, key=lambda r: (not r["n_flags"], -as_utc(r["started_at"]).timestamp()))
    rows = [
        [
            f"⚑ {r['n_flags']}" if r["n_flags"] else "",
            services.tutor.topic_title(r["topic"]),
            as_utc(r["started_at"]).strftime("%Y-%m-%d %H:%M"),
            r["n_turns"],
            as_utc(r["last_activity"]).strftime("%H:%M") if r.get("last_activity") else "",
            r["id"],
        ]
        for r in records
    ]
    choices = [(f"{r[1]} · {r[2]}" + (f" · {r[0]}" if r[0] else ""), r[5]) for r in rows]
    note = f"{len(rows)} session(s), flagged first." if rows else "No sessions yet."
    picker = gr.Dropdown(choices=choices, value=choices[0][1] if choices else None)
    return rows, picker, note, gr.Column(visible=True)


def turn_points(transcript: list[dict[str, Any]]) -> list[TurnPoint]:
    """The per-turn values the charts use."""
    points = []
    for turn in transcript:
        fused = AffectEstimate.from_dict(turn["fused_affect"]) if turn.get("fused_affect") else None
        text_a, face_a = turn.get("text_affect"), turn.get("face_affect")
        points.append(
            TurnPoint(
                index=int(turn["index"]),
                at=as_utc(turn["at"]),
                fused_label=fused.label if fused else "neutral",
                fused_valence=fused.valence if fused else 0.0,
                text_valence=float(text_a["valence"]) if text_a else None,
                face_valence=float(face_a["valence"]) if face_a else None,
                flagged=bool(turn.get("flagged")),
                mastery=dict(turn.get("mastery") or {}),
            )
        )
    return points


@teacher_errors
def open_session(services: Services, token: str, session_id: str | None) -> tuple[str, str, Any]:
    """Transcript, charts (mood, mastery, time per state) and the replay's turn picker of one
    session (empty when none is picked)."""
    view = view_for(services, token)
    if not session_id:
        return "", "", gr.Dropdown(choices=[], value=None)
    transcript = view.transcript(session_id)
    points = turn_points(transcript)
    names = {sid: skill.name for sid, skill in services.tutor.curriculum.skills.items()}
    charts = [
        (mood_timeline(points), "plot-mood"),
        (mastery_over_session(points, names), "plot-mastery"),
        (time_in_states(points), "plot-states"),
    ]
    turns = turn_choices(transcript)
    return (
        transcript_html(transcript, answered_problems(transcript)),
        charts_html(charts),
        gr.Dropdown(choices=turns, value=turns[-1][1] if turns else None),
    )


@teacher_errors
def export_session(services: Services, token: str, session_id: str | None, fmt: str) -> str:
    """The session as CSV or JSON in the app's temporary store; returns the file path."""
    view = view_for(services, token)
    fmt = (fmt or "").lower()
    if fmt not in EXPORT_FORMATS:
        raise TeacherInputError("Export format must be CSV or JSON.")
    if not session_id:
        raise TeacherInputError("Pick a session first.")
    data = view.export(session_id, fmt=fmt)
    path = services.clips.store.new_path(f".{fmt}", name=f"session-{session_id[:8]}")
    path.write_text(data, encoding="utf-8")
    return str(path)


@teacher_errors
def delete_student(services: Services, token: str, student: str | None, confirm: bool) -> str:
    """Remove every row about one student of this teacher; needs the confirm box ticked."""
    view = view_for(services, token)
    if not student:
        raise TeacherInputError("Pick the student whose data should be deleted.")
    if not confirm:
        raise TeacherInputError("Tick 'I am sure' to delete.")
    removed = view.delete_student(student)
    return f"Deleted all data of this student ({removed} rows)."
