"""The way in to the student view: join a class, come back with the come-back code, practise
without a class, or come back to this browser's session after a reload.

Plain functions over a `UserState`, returning `Screen` values (ui/screen.py). A wrong name,
topic or code is a friendly note beside the form, never an exception. The browser keeps only an
encrypted resume token (ui/resume.py), never a session id.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from tutor.errors import TooManyAttemptsError, UnknownSessionError
from tutor.learner.welcome import pseudonym_of as display_name
from tutor.store import PSEUDONYM_MAX_CHARS, check_student_id
from ui.playback import idle_feed, last_spoken
from ui.resume import FORGOTTEN
from ui.screen import Screen, UserState, conversation, set_avatar_mode
from ui.services import SERVER, Services
from ui.views import mastery_html, note_html, plain_markdown, problem_markdown, status_html, typeset

# Friendly notes, in a child's words.
NAME_EMPTY = "Type a made-up name first, like “blue fox”. Please don't use your real name."
NAME_BAD = (
    f"A made-up name can have letters, numbers and spaces (up to {PSEUDONYM_MAX_CHARS}), like “blue fox”. "
    "Please don't use an e-mail address."
)
TOPIC_BAD = "Pick a topic from the list first."
CODE_EMPTY = "Type the class code your teacher gave you, like K7M-X3P-Q9R."
SIGNED_OUT = "You're signed out. See you next time!"
RESUME_EMPTY = "Type your come-back code: the six words you wrote down, like acorn-tiger-lemon-boat-cloud-seven."


def start_session(
    services: Services, state: UserState, student: str, topic: str, mode: str = SERVER
) -> tuple[Any, ...]:
    """Practise without a class (anonymous, nothing carried over); the opening is spoken by
    `speak_opening`, chained after this. mode = the page's #avatar-mode (its idle loop's path)."""
    set_avatar_mode(state, mode)
    note = _name_problem(student) or _topic_problem(services, topic)
    if note:
        return Screen(start_note=note_html(note, where="start")).values()
    try:
        session = services.tutor.practise(student, topic)
    except ValueError as err:  # a class student's name: the tutor's message is for the student
        return Screen(start_note=note_html(str(err), where="start")).values()
    return _begin(services, state, session)


def join_class(
    services: Services, state: UserState, code: str, student: str, topic: str, mode: str = SERVER,
    request: gr.Request | None = None,
) -> tuple[Any, ...]:
    """First visit of a class student: class code + made-up name -> a session, and the
    come-back code shown once (with a copy button) for next time."""
    set_avatar_mode(state, mode)
    if not isinstance(code, str) or not code.strip():
        return Screen(start_note=note_html(CODE_EMPTY, where="start")).values()
    note = _name_problem(student) or _topic_problem(services, topic)
    if note:
        return Screen(start_note=note_html(note, where="start")).values()
    try:
        login = services.tutor.join_class(code, pseudonym=student, client=_client(request))
    except TooManyAttemptsError as err:
        return Screen(start_note=note_html(_wait_note(err), where="start")).values()
    except ValueError as err:  # a wrong class code or a name taken in the class: said for the student
        return Screen(start_note=note_html(str(err), where="start")).values()
    session = services.tutor.start_session(student=login.student, topic=topic)
    shown = gr.Textbox(value=login.resume_code, visible=True)
    return _begin(services, state, session, code=shown, code_help=gr.Markdown(visible=True))


def come_back(
    services: Services, state: UserState, resume_code: str, topic: str, mode: str = SERVER,
    request: gr.Request | None = None,
) -> tuple[Any, ...]:
    """A returning class student: their come-back code -> a session that continues their progress."""
    set_avatar_mode(state, mode)
    if not isinstance(resume_code, str) or not resume_code.strip():
        return Screen(start_note=note_html(RESUME_EMPTY, where="start")).values()
    note = _topic_problem(services, topic)
    if note:
        return Screen(start_note=note_html(note, where="start")).values()
    try:
        login = services.tutor.resume_student(resume_code, client=_client(request))
    except TooManyAttemptsError as err:
        return Screen(start_note=note_html(_wait_note(err), where="start")).values()
    except ValueError as err:
        return Screen(start_note=note_html(str(err), where="start")).values()
    return _begin(services, state, services.tutor.start_session(student=login.student, topic=topic))


def _name_problem(student: Any) -> str:
    if not isinstance(student, str) or not student.strip():
        return NAME_EMPTY
    try:  # the tutor's own rule (one rule for the UI and the API)
        check_student_id(student)
    except ValueError:
        return NAME_BAD
    return ""


def _topic_problem(services: Services, topic: Any) -> str:
    return "" if isinstance(topic, str) and topic in services.tutor.topics() else TOPIC_BAD


def _client(request: gr.Request | None) -> str:
    """Who wrong class or come-back codes are counted against: the network address."""
    host = getattr(getattr(request, "client", None), "host", None)
    return f"address:{host}" if host else "local"


def _wait_note(err: TooManyAttemptsError) -> str:
    minutes = max(1, round(err.retry_after / 60))
    return f"Too many wrong codes were tried from here. Please wait {minutes} minute(s), then ask your teacher."


def _begin(services: Services, state: UserState, session: Any, **changes: Any) -> tuple[Any, ...]:
    """Make a new session this tab's conversation; its opening waits to be spoken."""
    with state.lock:
        _adopt(state, session)
        state.messages = [{"role": "assistant", "content": typeset(session.opening.text)}]
        state.to_speak = session.opening
        note = f"Hi {display_name(session.student)}! Your tutor is getting ready to speak…"
        return conversation(
            services,
            state,
            status=status_html(note, busy=True),
            box="",
            token=services.tokens.issue(session.id),
            **changes,
        ).values()


def _adopt(state: UserState, session: Any) -> None:
    """Make `session` this tab's conversation (caller holds state.lock)."""
    if state.session is not None and state.session is not session:
        state.session.close()  # the previous conversation of this tab ends (it stays resumable)
    state.session, state.student, state.topic = session, session.student, session.topic
    state.reply_seq += 1  # anything still playing from the previous conversation stops
    state.last_clips = []


def restore_session(services: Services, state: UserState, token: Any) -> tuple[Any, ...]:
    """Page load: come back to the session in the browser's resume token (a reload, a closed
    tab), with its chat, problem and progress; a missing or stale token changes nothing."""
    ticket = services.tokens.read(token)
    if ticket is None or state.session is not None:  # a first visit: the tutor waits, idle
        idle = idle_feed(services, "neutral") if state.session is None else gr.skip()
        stale = token and token != FORGOTTEN and ticket is None
        return Screen(avatar=idle, token=FORGOTTEN if stale else gr.skip()).values()
    with state.lock:
        try:
            session = services.tutor.resume_session(ticket.session_id)
        except UnknownSessionError:  # deleted by a teacher meanwhile: start afresh
            return Screen(token=FORGOTTEN).values()
        _adopt(state, session)
        turns = services.tutor.transcript(session.id)
        state.messages = transcript_messages(turns)
        name = display_name(session.student)
        welcome = status_html(f"Welcome back, {name}!", busy=False)
        # the clips went with the old tab, but "Say it again" performs the last reply from the log
        replay = gr.Button(interactive=last_spoken(turns) is not None)
        if name != session.student:  # a class student
            return conversation(services, state, status=welcome, topic=session.topic, replay=replay).values()
        return conversation(  # anonymous practice: its tab and name box, as they were (for after signing out)
            services, state, status=welcome, name=name, topic=session.topic, login=gr.Tabs(selected="practise"),
            replay=replay,
        ).values()


def sign_out(services: Services, state: UserState) -> tuple[Any, ...]:
    """The "Sign out" button: this tab's session ends (it stays resumable with a come-back code),
    the browser forgets it (a shared school computer shows the next student the way in, not this
    chat) and the way in shows again, its name box empty."""
    with state.lock:
        if state.session is not None:
            state.session.close()
        state.session, state.student, state.topic, state.to_speak, state.mood = None, "", "", None, None
        state.messages, state.last_clips = [], []
        state.reply_seq += 1  # a reply still playing stops
    return Screen(
        state=state, chat=[], box="", problem=problem_markdown(None),
        mastery=mastery_html({}, services.mastery_threshold), status=status_html(SIGNED_OUT, busy=False),
        avatar=idle_feed(services, "neutral", mode=state.avatar_mode),
        mood="", replay=gr.Button(interactive=False), start_note="", answer_note="", token=FORGOTTEN, name="",
        code=gr.Textbox(value="", visible=False), code_help=gr.Markdown(visible=False),
        login_panel=gr.Column(visible=True), sign_out=gr.Button(visible=False),
    ).values()  # fmt: skip


def transcript_messages(turns: list[dict[str, Any]]) -> list[dict[str, str]]:
    """A logged session as chat messages (the student's own words as typed, the tutor's typeset)."""
    messages = []
    for turn in turns:
        if turn.get("student_text"):
            messages.append({"role": "user", "content": plain_markdown(turn["student_text"])})
        messages.append({"role": "assistant", "content": typeset(turn["tutor_text"])})
    return messages


def end_session(services: Services, state: UserState) -> None:
    """gr.State delete callback (the tab closed long enough ago): its camera token stops working,
    and the session is marked ended."""
    services.cameras.revoke(state)
    state.camera_on = False
    if state.session is not None:
        state.session.close()
