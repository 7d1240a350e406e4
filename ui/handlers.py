"""Student-view handlers: plain functions over a small per-user `UserState`.

Gradio keeps one `UserState` per browser tab (or API client) in `gr.State`, so a student only
ever reaches their own tutoring session: no handler takes a session id from the client, and
none sends one to it (the browser keeps only an encrypted resume token, ui/resume.py). The
functions here call the core (`tutor`, `affect` through the session, `ui.clips`) and turn its
results into component values; `ui/app.py` only wires them to components. They can be called
directly in tests, without a browser or a server.

Every conversation handler returns (or yields) a `Screen`'s values: one slot per student-view
output, `gr.skip()` where nothing changes. A student's mistake (an empty name, a message before
Start, typing too fast) is never an exception: it becomes a friendly note next to the control
to fix, so Gradio marks no panel as errored and the rest of the screen stays as it was.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any

import gradio as gr
import numpy as np

from affect.types import AffectEstimate
from tutor.errors import StoreError, TooManyAttemptsError, UnknownSessionError
from tutor.learner.welcome import pseudonym_of as display_name
from tutor.store import PSEUDONYM_MAX_CHARS, check_student_id
from ui.clips import RenderedClip
from ui.playback import play_clips, play_reply, reaction_video
from ui.ratelimit import RateLimitedError
from ui.services import Services
from ui.views import mastery_html, mood_html, note_html, plain_markdown, problem_markdown, status_html, typeset

log = logging.getLogger(__name__)

# The quick buttons: the message shown in the chat, and the dialogue act it is (no need to read it).
QUICK_MESSAGES: dict[str, tuple[str, str]] = {
    "hint": ("Can I have a hint?", "hint_request"),
    "confused": ("I'm confused.", "feeling"),
    "next": ("Next problem, please.", "skip"),
}

# Friendly notes, in a child's words.
NAME_EMPTY = "Type a made-up name first, like “blue fox”. Please don't use your real name."
NAME_BAD = (
    f"A made-up name can have letters, numbers and spaces (up to {PSEUDONYM_MAX_CHARS}), like “blue fox”. "
    "Please don't use an e-mail address."
)
TOPIC_BAD = "Pick a topic from the list first."
CODE_EMPTY = "Type the class code your teacher gave you, like K7M-X3P-Q9R."
RESUME_EMPTY = "Type your come-back code: the six words you wrote down, like acorn-tiger-lemon-boat-cloud-seven."
NOT_STARTED = "Press Start first: type a made-up name, pick a topic, then Start."
EMPTY_MESSAGE = "Type an answer or a question first."
UNREADABLE = "I couldn't read that message. Could you type it again?"
NOT_SAVED = (
    "Sorry, the tutor couldn't save your message, so nothing was sent. Please tell your teacher, then try again."
)
NOTHING_TO_REPLAY = "There is nothing to play again yet."


class UserError(gr.Error, ValueError):
    """Bad input from an API client (not from the student view), with a message for a person."""


@dataclass
class UserState:
    """Everything the app keeps about one browser tab."""

    session: Any = None  # the live tutor.TutorSession, None before Start
    student: str = ""
    topic: str = ""
    camera_on: bool = False
    messages: list[dict[str, str]] = field(default_factory=list)  # Gradio 6 chat messages (markdown)
    mood: AffectEstimate | None = None
    reply_seq: int = 0  # counts replies; only the newest one may still put clips on screen
    to_speak: Any = None  # a tutor.TutorReply waiting to be spoken (the opening, right after Start)
    last_clips: list[RenderedClip] = field(default_factory=list)  # the last spoken reply, for replay
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)  # one send at a time

    def __deepcopy__(self, memo: dict[int, Any]) -> UserState:
        # Gradio deep-copies a gr.State's first value for each new client. A lock cannot be
        # copied and a live tutor session must not be: the copy gets a fresh lock and shares
        # nothing mutable with the original.
        return UserState(
            session=self.session,
            student=self.student,
            topic=self.topic,
            camera_on=self.camera_on,
            messages=[dict(m) for m in self.messages],
            mood=self.mood,
            reply_seq=self.reply_seq,
            to_speak=self.to_speak,
            last_clips=list(self.last_clips),
        )


def new_user_state() -> UserState:
    """gr.State factory: called once per browser tab / API client."""
    return UserState()


@dataclass
class Screen:
    """One update of the student view, in the order of `ui.app`'s outputs; skip = unchanged."""

    state: Any = field(default_factory=gr.skip)
    chat: Any = field(default_factory=gr.skip)
    box: Any = field(default_factory=gr.skip)  # the answer box
    problem: Any = field(default_factory=gr.skip)
    mastery: Any = field(default_factory=gr.skip)
    status: Any = field(default_factory=gr.skip)  # the avatar's progress line
    video: Any = field(default_factory=gr.skip)
    mood: Any = field(default_factory=gr.skip)
    replay: Any = field(default_factory=gr.skip)  # the "play it again" button
    start_note: Any = field(default_factory=gr.skip)  # a note beside the name and topic
    answer_note: Any = field(default_factory=gr.skip)  # a note beside the answer box
    token: Any = field(default_factory=gr.skip)  # the browser's resume token (gr.BrowserState)
    name: Any = field(default_factory=gr.skip)  # the name box (filled back in after a reload)
    topic: Any = field(default_factory=gr.skip)  # the topic menu (likewise)
    code: Any = field(default_factory=gr.skip)  # the come-back code, shown once after joining a class
    code_help: Any = field(default_factory=gr.skip)  # what to do with it

    def values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f.name) for f in fields(self))

    @classmethod
    def of(cls, values: tuple[Any, ...]) -> Screen:
        """Read a handler's output tuple back (tests)."""
        return cls(*values)


OUTPUTS: tuple[str, ...] = tuple(f.name for f in fields(Screen))


def _skill_names(services: Services) -> dict[str, str]:
    return {sid: skill.name for sid, skill in services.tutor.curriculum.skills.items()}


def _progress(services: Services, session: Any) -> str:
    return mastery_html(session.mastery, services.mastery_threshold, _skill_names(services), session.practised)


def _problem(services: Services, problem: Any | None) -> str:
    name = services.tutor.curriculum.skills[problem.skill].name if problem is not None else ""
    return problem_markdown(problem, name)


def _conversation(services: Services, state: UserState, **changes: Any) -> Screen:
    """The whole conversation of this tab on screen (after Start or a restore)."""
    session = state.session
    return Screen(
        state=state,
        chat=list(state.messages),
        problem=_problem(services, session.problem),
        mastery=_progress(services, session),
        video=reaction_video(services, session.opening.avatar_emotion),
        replay=gr.Button(interactive=False),
        start_note="",
        answer_note="",
        **changes,
    )


# 1. Start, restore -------------------------------------------------------------------------


def start_session(services: Services, state: UserState, student: str, topic: str) -> tuple[Any, ...]:
    """Practise without a class (anonymous, nothing carried over); the opening is spoken by
    `speak_opening`, chained after this."""
    note = _name_problem(student) or _topic_problem(services, topic)
    if note:
        return Screen(start_note=note_html(note, where="start")).values()
    try:
        session = services.tutor.practise(student, topic)
    except ValueError as err:  # a class student's name: the tutor's message is for the student
        return Screen(start_note=note_html(str(err), where="start")).values()
    return _begin(services, state, session)


def join_class(
    services: Services, state: UserState, code: str, student: str, topic: str, request: gr.Request | None = None
) -> tuple[Any, ...]:
    """First visit of a class student: class code + made-up name -> a session, and the
    come-back code shown once (with a copy button) for next time."""
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
    services: Services, state: UserState, resume_code: str, topic: str, request: gr.Request | None = None
) -> tuple[Any, ...]:
    """A returning class student: their come-back code -> a session that continues their progress."""
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
        return _conversation(
            services, state, status=status_html(note, busy=True), box="", token=services.tokens.issue(session.id),
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
        idle = reaction_video(services, "neutral") if state.session is None else gr.skip()
        return Screen(video=idle, token="" if token and ticket is None else gr.skip()).values()
    with state.lock:
        try:
            session = services.tutor.resume_session(ticket.session_id)
        except UnknownSessionError:  # deleted by a teacher meanwhile: start afresh
            return Screen(token="").values()
        _adopt(state, session)
        state.messages = transcript_messages(services.tutor.transcript(session.id))
        name = display_name(session.student)
        welcome = status_html(f"Welcome back, {name}!", busy=False)
        practice_name = name if name == session.student else gr.skip()  # anonymous practice: its name box
        return _conversation(services, state, status=welcome, name=practice_name, topic=session.topic).values()


def transcript_messages(turns: list[dict[str, Any]]) -> list[dict[str, str]]:
    """A logged session as chat messages (the student's own words as typed, the tutor's typeset)."""
    messages = []
    for turn in turns:
        if turn.get("student_text"):
            messages.append({"role": "user", "content": plain_markdown(turn["student_text"])})
        messages.append({"role": "assistant", "content": typeset(turn["tutor_text"])})
    return messages


def end_session(state: UserState) -> None:
    """gr.State delete callback (the tab closed long enough ago): mark the session ended."""
    if state.session is not None:
        state.session.close()


# 2. Chat: text at once, then the avatar clip --------------------------------------------------


def speak_opening(services: Services, state: UserState) -> Iterator[tuple[Any, ...]]:
    """Speak the reply waiting in `state.to_speak` (the opening greeting) like any other reply."""
    reply, state.to_speak = state.to_speak, None
    if reply is None or state.session is None:
        yield Screen().values()
        return
    yield from _speak(services, state, reply, state.reply_seq)


def _speak(services: Services, state: UserState, reply: Any, seq: int) -> Iterator[tuple[Any, ...]]:
    for update in play_reply(services, state, reply, seq):
        yield Screen(status=update.status, video=update.video, replay=update.replay).values()


def send_message(
    services: Services, state: UserState, text: str, request: gr.Request | None = None, act: str | None = None
) -> Iterator[tuple[Any, ...]]:
    """Send one message; yields Screens: the tutor's text, problem, progress and mood at once
    (with a reaction clip while the reply clip renders), then progress notes, then the clip."""
    note = _message_problem(services, state, text, request)
    if note:
        yield Screen(answer_note=note_html(note, where="answer")).values()
        return
    with state.lock:
        try:
            reply = state.session.send(text.strip(), act=act)
        except ValueError as err:  # unusable text: nothing was logged
            log.info("message refused: %s", err)
            yield Screen(answer_note=note_html(UNREADABLE, where="answer")).values()
            return
        except StoreError as err:  # disk full, read-only folder, database gone: the turn was not saved
            log.error("session log write failed: %s", err)
            yield Screen(answer_note=note_html(NOT_SAVED, where="answer")).values()
            return
        state.messages += [
            {"role": "user", "content": plain_markdown(text.strip())},
            {"role": "assistant", "content": typeset(reply.text)},
        ]
        state.reply_seq += 1  # an older reply still playing stops at its next check
        seq = state.reply_seq
        progress = _progress(services, state.session)
        state.mood = reply.affect
    yield Screen(
        state=state,
        chat=list(state.messages),
        box="",
        problem=_problem(services, reply.problem),
        mastery=progress,
        status=status_html("The tutor is getting ready to speak…", busy=True),
        video=reaction_video(services, reply.avatar_emotion),
        mood=mood_html(reply.affect, camera_on=state.camera_on),
        answer_note="",
    ).values()
    yield from _speak(services, state, reply, seq)


def _message_problem(services: Services, state: UserState, text: Any, request: gr.Request | None) -> str:
    """Why this message cannot be sent, in a child's words ("" = it can)."""
    if not isinstance(text, str) or not text.strip():
        return EMPTY_MESSAGE
    if state.session is None:
        return NOT_STARTED
    limit = services.tutor.config.max_message_chars
    if len(text.strip()) > limit:
        return f"That message is too long for me ({len(text.strip())} letters). Please keep it under {limit}."
    try:
        services.limits.check_chat(request)  # per-client rate limit (ui/ratelimit.py)
    except RateLimitedError as err:
        return str(err)
    return ""


def quick_message(
    services: Services, state: UserState, kind: str, request: gr.Request | None = None
) -> Iterator[tuple[Any, ...]]:
    """The 'Hint', 'I'm confused' and 'Next' buttons send a fixed message with its dialogue act."""
    if kind not in QUICK_MESSAGES:
        raise UserError(f"Unknown quick action {kind!r}.")  # a programming error, not a student's
    text, act = QUICK_MESSAGES[kind]
    yield from send_message(services, state, text, request, act=act)


def replay(services: Services, state: UserState) -> Iterator[tuple[Any, ...]]:
    """Play the tutor's last spoken reply again."""
    clips = list(state.last_clips)
    if not clips:
        yield Screen(status=status_html(NOTHING_TO_REPLAY, busy=False)).values()
        return
    state.reply_seq += 1  # a reply still playing gives way to the replay
    for update in play_clips(services, state, clips, state.reply_seq):
        yield Screen(status=update.status, video=update.video).values()


# 3. Camera: one click on (that click is the consent), one click off ---------------------------


def set_camera(state: UserState, on: bool) -> tuple[Any, ...]:
    """Turn the camera on or off; returns (state, webcam, mood, camera button)."""
    state.camera_on = bool(on)
    state.mood = None
    label = "Turn my camera off" if state.camera_on else "Turn my camera on"
    return state, gr.Image(visible=state.camera_on, value=None), "", gr.Button(value=label)


def toggle_camera(state: UserState) -> tuple[Any, ...]:
    """The camera button: on when off, off when on."""
    return set_camera(state, not state.camera_on)


def observe_frame(
    services: Services, state: UserState, frame: np.ndarray | None, request: gr.Request | None = None
) -> Any:
    """One webcam frame -> the face reading (through the session when one runs) -> mood html.

    The frame lives only in memory: it is analysed and dropped.
    """
    if not state.camera_on or frame is None:
        return gr.skip()
    if not services.limits.allow_frame(request):
        return gr.skip()  # over this client's frame budget (ui/ratelimit.py): drop it
    rgb = np.ascontiguousarray(frame[..., :3], dtype=np.uint8) if frame.ndim == 3 else frame
    if not state.lock.acquire(blocking=False):
        return gr.skip()  # a message is being answered; the next frame will do
    try:
        if state.session is not None:
            estimate = state.session.observe_frame(rgb)
        else:
            estimate = services.face_reading(rgb)
    except ValueError as err:  # an unusable frame: only a scripted client sends one
        raise UserError(f"Camera frame skipped: {err}") from err
    finally:
        state.lock.release()
    if estimate is None:
        return mood_html(None, camera_on=True, face_found=False)
    state.mood = estimate
    return mood_html(estimate, camera_on=True)
