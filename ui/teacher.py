"""Teacher view: session list, transcript, plots, export and deletion, behind a password.

Every handler checks the password itself, server-side, with a constant-time comparison
(`hmac.compare_digest`), so the HTTP/queue API refuses exactly like the UI does; nothing
remembers a successful login. With no password configured the tab only says why it is off and
registers no endpoints at all. Student-written text is HTML-escaped before it is shown.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import gradio as gr
from matplotlib.figure import Figure

from affect.types import AffectEstimate
from ui.config import ServerConfig
from ui.plots import TurnPoint, mastery_over_session, mood_timeline, time_in_states
from ui.services import Services
from ui.views import esc

SESSION_HEADERS = ["flags", "student", "topic", "started (UTC)", "turns", "session"]


class AccessDeniedError(gr.Error, PermissionError):
    """The teacher password is missing or wrong (or the teacher view is disabled)."""


class TeacherInputError(gr.Error, ValueError):
    """A malformed filter, session id or export format."""


def require_teacher(server: ServerConfig, password: str | None) -> None:
    """Raise AccessDeniedError unless `password` equals the configured one (constant time)."""
    expected = server.teacher_password
    if not expected:
        raise AccessDeniedError("The teacher view is disabled: no TUTOR_TEACHER_PASSWORD is set on the server.")
    given = (password or "").encode("utf-8")
    if not hmac.compare_digest(given, expected.encode("utf-8")):
        raise AccessDeniedError("Wrong teacher password.")


# 1. Reading the log -------------------------------------------------------------------------


def _parse_day(text: str | None, what: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError as err:
        raise TeacherInputError(f"{what} must be a date like 2026-11-24, got {text!r}.") from err


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _field(record: Any, name: str, default: Any = None) -> Any:
    """Read a field from a store record whether it is a dataclass or a dict."""
    if isinstance(record, dict):
        return record.get(name, default)
    return getattr(record, name, default)


def _affect(value: Any) -> AffectEstimate | None:
    if value is None or isinstance(value, AffectEstimate):
        return value
    return AffectEstimate.from_dict(value)


def session_table(
    services: Services, student: str = "", topic: str = "", day_from: str = "", day_to: str = ""
) -> list[list[Any]]:
    """Rows for the session list, filtered; flagged sessions first, then newest first."""
    lo, hi = _parse_day(day_from, "From"), _parse_day(day_to, "To")
    student = (student or "").strip()
    try:
        records = services.tutor.list_sessions(student=student or None)
    except ValueError as err:  # not a pseudonym
        raise TeacherInputError(str(err)) from err
    rows = []
    for rec in records:
        started = _utc(_field(rec, "started_at"))
        if topic and _field(rec, "topic") != topic:
            continue
        if (lo and started.date() < lo) or (hi and started.date() > hi):
            continue
        flags = int(_field(rec, "n_flagged", 0) or 0)
        rows.append([flags, _field(rec, "student"), _field(rec, "topic"), started, _field(rec, "n_turns", 0),
                     _field(rec, "id")])
    rows.sort(key=lambda r: (r[0] == 0, -r[3].timestamp()))
    return [[f"⚑ {r[0]}" if r[0] else "", r[1], r[2], r[3].strftime("%Y-%m-%d %H:%M"), r[4], r[5]] for r in rows]


def turn_points(transcript: Sequence[Any]) -> list[TurnPoint]:
    """The per-turn values the plots use."""
    points = []
    for i, turn in enumerate(transcript):
        fused = _affect(_field(turn, "fused_affect")) or AffectEstimate.neutral("fused")
        text_a, face_a = _affect(_field(turn, "text_affect")), _affect(_field(turn, "face_affect"))
        points.append(
            TurnPoint(
                index=int(_field(turn, "index", i)),
                at=_utc(_field(turn, "at")),
                fused_label=fused.label,
                fused_valence=fused.valence,
                text_valence=text_a.valence if text_a else None,
                face_valence=face_a.valence if face_a else None,
                flagged=bool(_field(turn, "flagged", False)),
                mastery=dict(_field(turn, "mastery", None) or {}),
            )
        )
    return points


def _mood_cell(value: Any) -> str:
    est = _affect(value)
    if est is None:
        return '<span style="color:#999">–</span>'
    return f"{esc(est.label)} <small>({est.valence:+.2f}, {est.confidence:.0%})</small>"


def transcript_html(transcript: Sequence[Any]) -> str:
    """The transcript as an escaped HTML table; flagged turns highlighted and marked."""
    head = "".join(
        f"<th>{h}</th>"
        for h in ("#", "time", "student", "tutor", "move", "correct", "text mood", "face mood", "fused mood", "flag")
    )
    rows = []
    for i, turn in enumerate(transcript):
        flagged = bool(_field(turn, "flagged", False))
        correct = _field(turn, "correct")
        verdict = {True: "✔", False: "✘", None: ""}[correct]
        reason = esc(_field(turn, "flag_reason", "") or "")
        rows.append(
            f'<tr class="{"flagged" if flagged else ""}">'
            f"<td>{esc(_field(turn, 'index', i))}</td>"
            f"<td>{esc(_utc(_field(turn, 'at')).strftime('%H:%M:%S'))}</td>"
            f"<td>{esc(_field(turn, 'student_text', ''))}</td>"
            f"<td>{esc(_field(turn, 'tutor_text', ''))}</td>"
            f"<td>{esc(_field(turn, 'move', ''))}</td>"
            f"<td>{verdict}</td>"
            f"<td>{_mood_cell(_field(turn, 'text_affect'))}</td>"
            f"<td>{_mood_cell(_field(turn, 'face_affect'))}</td>"
            f"<td>{_mood_cell(_field(turn, 'fused_affect'))}</td>"
            f"<td>{'⚑ ' + reason if flagged else ''}</td></tr>"
        )
    return f'<div class="transcript"><table><tr>{head}</tr>{"".join(rows)}</table></div>'


# 2. Handlers (each checks the password first) ----------------------------------------------


def list_sessions(
    services: Services, server: ServerConfig, password: str, student: str, topic: str, day_from: str, day_to: str
) -> tuple[Any, Any, str]:
    """Session list + the session picker + a one-line status."""
    require_teacher(server, password)
    rows = session_table(services, student, topic, day_from, day_to)
    choices = [(f"{r[1]} · {r[2]} · {r[3]}" + (f" · {r[0]}" if r[0] else ""), r[5]) for r in rows]
    note = f"{len(rows)} session(s); flagged first." if rows else "No sessions match."
    return rows, gr.Dropdown(choices=choices, value=None), note


def open_session(
    services: Services, server: ServerConfig, password: str, session_id: str | None
) -> tuple[str, Figure | None, Figure | None, Figure | None]:
    """Transcript HTML and the three plots of one session (empty when no session is picked)."""
    require_teacher(server, password)
    if not session_id:  # the picker was cleared (a new list): nothing to show, not an error
        return "", None, None, None
    try:
        transcript = services.tutor.transcript(session_id)
    except KeyError as err:
        raise TeacherInputError("No such session (it may have been deleted).") from err
    points = turn_points(transcript)
    return transcript_html(transcript), mood_timeline(points), mastery_over_session(points), time_in_states(points)


def export_session(services: Services, server: ServerConfig, password: str, session_id: str | None, fmt: str) -> str:
    """Write the session as CSV or JSON into the app's temp store; returns the file path."""
    require_teacher(server, password)
    fmt = (fmt or "").lower()
    if fmt not in ("csv", "json"):
        raise TeacherInputError("Export format must be CSV or JSON.")
    if not session_id:
        raise TeacherInputError("Pick a session first.")
    try:
        data = services.tutor.export(session_id, fmt=fmt)
    except KeyError as err:
        raise TeacherInputError("No such session (it may have been deleted).") from err
    path = services.clips.store.new_path(f".{fmt}", name=f"session-{session_id[:8]}")
    path.write_text(data, encoding="utf-8")
    return str(path)


def delete_student(
    services: Services, server: ServerConfig, password: str, student: str, confirm: bool
) -> str:
    """Remove every row about one pseudonym; needs the confirm box ticked."""
    require_teacher(server, password)
    student = (student or "").strip()
    if not student:
        raise TeacherInputError("Type the pseudonym whose data should be deleted.")
    if not confirm:
        raise TeacherInputError("Tick 'I am sure' to delete.")
    try:
        removed = services.tutor.delete_student(student)
    except ValueError as err:
        raise TeacherInputError(str(err)) from err
    return f"Deleted all data of {esc(student)} ({removed} rows)."


def pick_from_table(server: ServerConfig, password: str, evt: gr.SelectData) -> Any:
    """Clicking a row of the session list selects that session in the picker."""
    require_teacher(server, password)
    row = evt.row_value or []
    return gr.Dropdown(value=row[-1]) if row else gr.skip()


# 3. Wiring -----------------------------------------------------------------------------------


def build_tab(services: Services, server: ServerConfig, *, concurrency: int) -> None:
    """The teacher tab's components and events (inside an open gr.Blocks/gr.Tab)."""
    if not server.teacher_password:
        gr.Markdown(
            "### Teacher view disabled\nNo teacher password is set on this server, so session logs "
            "cannot be viewed here. Start the app with `TUTOR_TEACHER_PASSWORD=...` "
            "(or `--server.teacher_password ...`) to enable it.",
            elem_id="teacher-disabled",
        )
        return
    bind = functools.partial
    with gr.Row(elem_classes=["bottom-row"]):
        password = gr.Textbox(label="Teacher password", type="password", max_lines=1, scale=4, elem_id="teacher-pw")
        open_btn = gr.Button("Open dashboard", variant="primary", scale=1, elem_id="teacher-open")
    with gr.Row():
        f_student = gr.Textbox(label="Student", placeholder="pseudonym", max_lines=1)
        f_topic = gr.Dropdown(choices=[("any", ""), *services.topic_choices()], value="", label="Topic")
        f_from = gr.DateTime(label="From", include_time=False, type="string")
        f_to = gr.DateTime(label="To", include_time=False, type="string")
    note = gr.Markdown("Enter the password and open the dashboard.", elem_id="teacher-note")
    table = gr.Dataframe(
        headers=SESSION_HEADERS, interactive=False, wrap=True, max_height=260, elem_id="teacher-sessions"
    )
    with gr.Row(elem_classes=["bottom-row"]):
        picker = gr.Dropdown(  # custom values: API clients may name any session id (checked in open_session)
            label="Session", choices=[], allow_custom_value=True, scale=3, elem_id="teacher-picker"
        )
        fmt = gr.Radio(["CSV", "JSON"], value="CSV", label="Export format", scale=1)
        export_btn = gr.Button("Download session", scale=1, elem_id="teacher-export")
    export_file = gr.File(label="Export", interactive=False, visible=False, elem_id="teacher-file")
    with gr.Column(visible=False) as details:
        transcript = gr.HTML(elem_id="teacher-transcript")
        with gr.Row():
            mood_plot = gr.Plot(label="Mood", show_label=False, elem_id="plot-mood")
            mastery_plot = gr.Plot(label="Mastery", show_label=False, elem_id="plot-mastery")
            states_plot = gr.Plot(label="States", show_label=False, elem_id="plot-states")
    with gr.Accordion("Delete a student's data", open=False):
        with gr.Row(elem_classes=["bottom-row"]):
            del_student = gr.Textbox(label="Pseudonym", max_lines=1)
            del_confirm = gr.Checkbox(label="I am sure", value=False)
            del_btn = gr.Button("Delete", variant="stop")
        del_note = gr.Markdown("")

    filters = [password, f_student, f_topic, f_from, f_to]
    gr.on(
        [open_btn.click, password.submit, f_student.submit, f_topic.change, f_from.change, f_to.change],
        bind(list_sessions, services, server),
        inputs=filters,
        outputs=[table, picker, note],
        api_name="teacher_sessions",
        concurrency_limit=concurrency,
    )
    def pick(password: str, evt: gr.SelectData) -> Any:  # Gradio injects SelectData by annotation
        return pick_from_table(server, password, evt)

    table.select(
        pick,
        inputs=[password],
        outputs=[picker],
        api_name="teacher_pick",
        api_visibility="private",  # needs a browser click's SelectData; clients use teacher_session
        concurrency_limit=concurrency,
    )
    picker.change(
        bind(open_session, services, server),
        inputs=[password, picker],
        outputs=[transcript, mood_plot, mastery_plot, states_plot],
        api_name="teacher_session",
        concurrency_limit=concurrency,
    ).then(
        lambda session_id: gr.Column(visible=bool(session_id)),
        inputs=[picker],
        outputs=[details],
        api_name="teacher_details",
        api_visibility="private",  # layout only
    )
    export_btn.click(
        bind(export_session, services, server),
        inputs=[password, picker, fmt],
        outputs=[export_file],
        api_name="teacher_export",
        concurrency_limit=concurrency,
    ).success(
        lambda: gr.File(visible=True),
        outputs=[export_file],
        api_name="teacher_export_show",
        api_visibility="private",  # layout only
    )
    del_btn.click(
        bind(delete_student, services, server),
        inputs=[password, del_student, del_confirm],
        outputs=[del_note],
        api_name="teacher_delete",
        concurrency_limit=concurrency,
    ).then(
        bind(list_sessions, services, server),
        inputs=filters,
        outputs=[table, picker, note],
        api_name="teacher_sessions_after_delete",
    )

