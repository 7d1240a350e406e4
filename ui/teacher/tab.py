"""The teacher tab's components and events (inside an open gr.Blocks / gr.Tab).

Login box -> dashboard: live flags feed, class picker (+ new class), class overview heatmap,
then one student's sessions, transcript, charts, export and delete. The login token lives in
the browser (`gr.BrowserState`), so a reload or a closed tab comes back logged in until the
token expires; the password is sent once. The live feed is a `gr.Timer` that is inactive until
a login succeeds and is switched off again by logout or a refused token, so logged-out tabs
never poll.
"""

from __future__ import annotations

import functools
from typing import Any

import gradio as gr

from ui.avatar import stage
from ui.services import Services
from ui.teacher import handlers as h
from ui.teacher.replay import REPLAY_STAGE, replay

# A new flag shows within this many seconds; one indexed query per logged-in teacher tab per tick.
POLL_EVERY_S = 3.0
TOKEN_KEY = "tutor-teacher-login"  # localStorage key of the (encrypted) login token

# Class names carry a tv- prefix: the page shares one stylesheet with the student view, whose ".skill"
# (a mastery bar, display:flex) once turned the overview's skill headers into a stacked column.
CSS = """
#teacher-alerts ul {list-style: none; margin: 0; padding: 0; font-size: 15px}
#teacher-alerts li {padding: 6px 10px; border-left: 4px solid #D55E00; margin-bottom: 4px;
  background: var(--background-fill-secondary)}
#teacher-alerts li.tv-none {border-left-color: var(--border-color-primary)}
#teacher-alerts li.tv-wellbeing {border-left-color: #0072B2}
#teacher-alerts li.tv-distress.tv-new {background: #fde2e1; color: #3b0a06}
#teacher-alerts li.tv-wellbeing.tv-new {background: #e0effa; color: #06263b}
#teacher-alerts .tv-badge {background: #9b1c1c; color: #fff; padding: 0 6px; border-radius: 4px; font-size: 13px}
.tv-overview {overflow-x: auto}
.tv-overview table {border-collapse: collapse; font-size: 14px}
.tv-overview caption {text-align: left; padding: 4px 0; font-size: 14px}
.tv-overview th, .tv-overview td {border: 1px solid var(--border-color-primary); padding: 4px 8px; text-align: left}
.tv-overview td.tv-heat {text-align: center; min-width: 56px; font-variant-numeric: tabular-nums}
.tv-overview th.tv-skill {max-width: 130px; font-weight: 600}
.tv-overview tr.tv-flagged th {color: #9b1c1c}
.tv-overview .tv-flag {color: #9b1c1c; font-weight: 600}
.tv-overview .tv-help {background: #fff3cd; color: #5c3c00; padding: 0 6px; border-radius: 4px}
.tv-charts {display: flex; flex-wrap: wrap; gap: 12px; overflow-x: auto; padding-top: 8px}
.tv-charts figure.tv-chart {margin: 0}
.tv-charts figure.tv-chart img {max-width: none}
.tv-charts figcaption {font-size: 14px}
.tv-transcript table {border-collapse: collapse; width: 100%; font-size: 14px}
.tv-transcript td, .tv-transcript th {border-bottom: 1px solid var(--border-color-primary); padding: 4px 6px;
  vertical-align: top; text-align: left}
.tv-transcript tr.tv-flagged {background: #fde2e1; color: #3b0a06}
.tv-muted {color: #555}
#teacher-class-note code, .tv-overview code {font-size: 17px; letter-spacing: 1px}
"""


def build_tab(services: Services, *, tab: gr.Tab, concurrency: int) -> None:
    """Components and events of the teacher tab; `tab` is its gr.Tab (opening it restores a login)."""
    bind = functools.partial
    token = gr.BrowserState("", storage_key=TOKEN_KEY, secret=services.tokens.browser_secret)  # same across restarts
    feed = gr.State(h.FeedState())
    timer = gr.Timer(POLL_EVERY_S, active=False)

    with gr.Column(visible=True, elem_id="teacher-login") as login_box:
        gr.Markdown("### Teacher login")
        with gr.Row(elem_classes=["bottom-row"]):
            name = gr.Textbox(label="Teacher name", max_lines=1, scale=2, elem_id="teacher-name")
            password = gr.Textbox(label="Password", type="password", max_lines=1, scale=2, elem_id="teacher-pw")
            login_btn = gr.Button("Log in", variant="primary", scale=1, elem_id="teacher-login-btn")
        login_note = gr.Markdown("", elem_id="teacher-login-note")

    with gr.Column(visible=False, elem_id="teacher-dashboard") as dashboard:
        with gr.Row(elem_classes=["bottom-row"]):
            who = gr.Markdown("", elem_id="teacher-who")
            logout_btn = gr.Button("Log out", size="sm", scale=0, elem_id="teacher-logout")
        gr.Markdown("### Flags and wellbeing notes (updated live)")
        alerts = gr.HTML("", elem_id="teacher-alerts-box")
        with gr.Row(elem_classes=["bottom-row"]):
            class_pick = gr.Dropdown(  # custom values: API clients name a class id (ownership checked by the core)
                label="Class", choices=[], allow_custom_value=True, scale=3, elem_id="teacher-class"
            )
            new_class = gr.Textbox(label="New class name", placeholder="e.g. 7B maths", max_lines=1, scale=2)
            create_btn = gr.Button("Create class", scale=1, elem_id="teacher-create-class")
        class_note = gr.Markdown("", elem_id="teacher-class-note")
        overview = gr.HTML("", elem_id="teacher-overview")

        gr.Markdown("### A student's sessions")
        student_pick = gr.Dropdown(label="Student", choices=[], allow_custom_value=True, elem_id="teacher-student")
        with gr.Column(visible=False, elem_id="teacher-student-box") as student_box:  # once a student is picked
            sessions_note = gr.Markdown("")
            sessions = gr.Dataframe(
                headers=h.SESSION_HEADERS, interactive=False, wrap=True, max_height=240, elem_id="teacher-sessions"
            )
            with gr.Row(elem_classes=["bottom-row"]):
                session_pick = gr.Dropdown(  # custom values: API clients may name any session (checked by the core)
                    label="Session", choices=[], allow_custom_value=True, scale=3, elem_id="teacher-picker"
                )
                fmt = gr.Radio(["CSV", "JSON"], value="CSV", label="Export format", scale=1)
                export_btn = gr.Button("Download session", scale=1, elem_id="teacher-export")
            export_file = gr.File(label="Export", interactive=False, visible=False, elem_id="teacher-file")
            transcript = gr.HTML("", elem_id="teacher-transcript")
            with gr.Row(elem_classes=["bottom-row"]):
                replay_turn = gr.Dropdown(
                    label="Hear a tutor reply again (re-rendered from the log)",
                    choices=[],
                    scale=3,
                    elem_id="teacher-replay-turn",
                )
                replay_btn = gr.Button("Play", scale=1, elem_id="teacher-replay")
            with gr.Column(visible=False, elem_id="teacher-replay-box") as replay_box:
                replay_feed = stage(REPLAY_STAGE, services.avatar.size, "The tutor saying the chosen reply again")
            charts = gr.HTML("", elem_id="teacher-charts")
            with gr.Accordion("Delete this student's data", open=False), gr.Row(elem_classes=["bottom-row"]):
                del_confirm = gr.Checkbox(label="I am sure: delete every session of the chosen student", value=False)
                del_btn = gr.Button("Delete", variant="stop", elem_id="teacher-delete")
        del_note = gr.Markdown("")

    named = {"token": token, "login_box": login_box, "dashboard": dashboard, "who": who, "login_note": login_note,
             "class_pick": class_pick, "class_note": class_note, "overview": overview, "student_pick": student_pick,
             "alerts": alerts, "feed": feed, "timer": timer}  # fmt: skip
    login_outputs = [named[n] for n in h.LOGIN_OUTPUTS]
    session_outputs = [transcript, charts, replay_turn]
    common: dict[str, Any] = {"concurrency_limit": concurrency}
    # Pickers react to the teacher's own choices (.input), never to the values the handlers set,
    # so logging in or out never fires a follow-up call without a token; handlers that set a
    # picker chain the follow-up explicitly.
    login = gr.on(
        [login_btn.click, password.submit],
        bind(h.login, services),
        inputs=[name, password],
        outputs=login_outputs,
        api_name="teacher_login",
        show_progress="hidden",  # a refusal must not cover the login box with an error overlay
        **common,
    )
    login.success(lambda: "", outputs=[password], api_visibility="private")
    login.failure(  # the toast says exactly why (wrong, or locked for N minutes); this stays beside the box
        lambda: (
            "**Not logged in.** Check the name and password (after many wrong tries the account waits a few "
            "minutes), then try again."
        ),
        outputs=[login_note],
        api_visibility="private",
    )
    tab.select(
        bind(h.restore, services), inputs=[token, feed], outputs=login_outputs, api_name="teacher_restore", **common
    )
    hide_student = {"fn": lambda: gr.Column(visible=False), "outputs": [student_box], "api_visibility": "private"}
    logout_btn.click(h.logout, outputs=login_outputs, api_name="teacher_logout").then(**hide_student)

    create_btn.click(
        bind(h.create_class, services),
        inputs=[token, new_class],
        outputs=[class_pick, class_note, overview, student_pick],
        api_name="teacher_create_class",
        show_progress="hidden",  # a refusal (empty name, no session, no confirmation) is a toast, no overlay
        **common,
    ).success(lambda: "", outputs=[new_class], api_visibility="private")
    class_pick.input(
        bind(h.open_class, services),
        inputs=[token, class_pick],
        outputs=[overview, student_pick, class_note],
        api_name="teacher_class",
        **common,
    ).success(**hide_student)
    timer.tick(
        bind(h.poll, services),
        inputs=[token, class_pick, feed],
        outputs=[alerts, overview, student_pick, class_note, feed],
        api_name="teacher_poll",
        show_progress="hidden",
        **common,
    ).failure(h.ended, outputs=login_outputs, api_visibility="private")

    student_pick.input(
        bind(h.student_sessions, services),
        inputs=[token, student_pick],
        outputs=[sessions, session_pick, sessions_note, student_box],
        api_name="teacher_student",
        **common,
    ).success(
        bind(h.open_session, services),
        inputs=[token, session_pick],
        outputs=session_outputs,
        api_name="teacher_student_first_session",
        api_visibility="private",  # the picked student's newest session; clients call teacher_session
        **common,
    )
    session_pick.input(
        bind(h.open_session, services),
        inputs=[token, session_pick],
        outputs=session_outputs,
        api_name="teacher_session",
        **common,
    )

    def pick(evt: gr.SelectData) -> Any:  # a click on a session row picks it (reads nothing)
        row = evt.row_value or []
        return gr.Dropdown(value=row[-1]) if row else gr.skip()

    sessions.select(pick, outputs=[session_pick], api_visibility="private").success(
        bind(h.open_session, services),
        inputs=[token, session_pick],
        outputs=session_outputs,
        api_name="teacher_session_from_row",
        api_visibility="private",
        **common,
    )
    replay_btn.click(lambda: gr.Column(visible=True), outputs=[replay_box], api_visibility="private").then(
        bind(replay, services),
        inputs=[token, session_pick, replay_turn],
        outputs=[replay_feed],
        api_name="teacher_replay",
        **common,
    )
    export_btn.click(
        bind(h.export_session, services),
        inputs=[token, session_pick, fmt],
        outputs=[export_file],
        api_name="teacher_export",
        show_progress="hidden",  # a refusal (empty name, no session, no confirmation) is a toast, no overlay
        **common,
    ).success(lambda: gr.File(visible=True), outputs=[export_file], api_visibility="private")
    del_btn.click(
        bind(h.delete_student, services),
        inputs=[token, student_pick, del_confirm],
        outputs=[del_note],
        api_name="teacher_delete",
        show_progress="hidden",  # a refusal (empty name, no session, no confirmation) is a toast, no overlay
        **common,
    ).success(
        bind(h.open_class, services),
        inputs=[token, class_pick],
        outputs=[overview, student_pick, class_note],
        api_name="teacher_class_after_delete",
        api_visibility="private",  # the redraw after a delete; clients call teacher_class
        **common,
    ).success(
        lambda: (
            [],
            gr.Dropdown(choices=[], value=None),
            "",
            "",
            gr.Dropdown(choices=[], value=None),
            False,
            gr.Column(visible=False),
        ),
        outputs=[sessions, session_pick, *session_outputs, del_confirm, student_box],
        api_visibility="private",  # clears the deleted student's sessions from the page
    )
