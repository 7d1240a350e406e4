"""What the student view keeps per tab (`UserState`) and what every handler returns (`Screen`).

Gradio keeps one `UserState` per browser tab (or API client) in `gr.State`, so a student only
ever reaches their own tutoring session. Every conversation handler (ui/login.py,
ui/handlers.py) returns or yields a `Screen`'s values: one slot per student-view output, in
`ui/student.py`'s order, `gr.skip()` where nothing changes, so a friendly note never disturbs
(or marks as errored) the panels it is not about.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields
from typing import Any

import gradio as gr

from affect.types import AffectEstimate
from ui.clips import Part
from ui.playback import idle_feed
from ui.services import AVATAR_MODES, SERVER, Services
from ui.views import mastery_html, problem_markdown


class UserError(gr.Error, ValueError):
    """Bad input from an API client (not from the student view), with a message for a person."""


@dataclass
class UserState:
    """Everything the app keeps about one browser tab."""

    session: Any = None  # the live tutor.TutorSession, None before Start
    student: str = ""
    topic: str = ""
    camera_on: bool = False
    camera_token: str = ""  # while the camera is on: what this tab's page posts frames with (ui/camera_tokens.py)
    messages: list[dict[str, str]] = field(default_factory=list)  # Gradio 6 chat messages (markdown)
    mood: AffectEstimate | None = None
    reply_seq: int = 0  # counts replies; only the newest one may still put clips on screen
    to_speak: Any = None  # a tutor.TutorReply waiting to be spoken (the opening, right after Start)
    last_clips: list[Part] = field(default_factory=list)  # the last spoken reply's chunks, for replay
    avatar_mode: str = SERVER  # the page's #avatar-mode: BROWSER = it renders the frames from motion rows
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
            avatar_mode=self.avatar_mode,
        )


def set_avatar_mode(state: UserState, mode: Any) -> None:
    """Keep the page's #avatar-mode (BROWSER: it renders the frames itself) for this tab's replies.
    Clients that do not send it ("" or None) get the server path, as before the browser path existed."""
    if mode is None or mode == "":
        mode = SERVER
    if mode not in AVATAR_MODES:
        raise UserError(f"The avatar mode must be one of {', '.join(AVATAR_MODES)}, not {str(mode)[:40]!r}.")
    state.avatar_mode = mode


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
    avatar: Any = field(default_factory=gr.skip)  # the avatar feed (ui/avatar.py)
    mood: Any = field(default_factory=gr.skip)
    replay: Any = field(default_factory=gr.skip)  # the "play it again" button
    start_note: Any = field(default_factory=gr.skip)  # a note beside the name and topic
    answer_note: Any = field(default_factory=gr.skip)  # a note beside the answer box
    token: Any = field(default_factory=gr.skip)  # the browser's resume token (gr.BrowserState)
    name: Any = field(default_factory=gr.skip)  # the name box (filled back in after a reload)
    topic: Any = field(default_factory=gr.skip)  # the topic menu (likewise)
    code: Any = field(default_factory=gr.skip)  # the come-back code, shown once after joining a class
    code_help: Any = field(default_factory=gr.skip)  # what to do with it
    login: Any = field(default_factory=gr.skip)  # the login tabs (join / come back / practise)
    login_panel: Any = field(default_factory=gr.skip)  # the whole way in: hidden while a session runs
    sign_out: Any = field(default_factory=gr.skip)  # the "Sign out" button: shown while a session runs

    def values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f.name) for f in fields(self))

    def talk(self) -> tuple[Any, ...]:
        """The values of TALK_OUTPUTS only: what the conversation's events (send, quick buttons, replay,
        speaking) change. Gradio rebuilds a component for every gr.skip() output of every update, on
        its event loop: a speaking update (3 values) costs 5.7 ms CPU with all 17 outputs, 3.4 ms with
        these 11 (0.41 ms per skip, 0.06 ms per plain value; measured in-process), and a reply makes
        several updates; the login fields never change here."""
        values = self.values()
        if any(v != gr.skip() for v in values[len(TALK_OUTPUTS) :]):
            raise ValueError("A conversation update may only change TALK_OUTPUTS.")
        return values[: len(TALK_OUTPUTS)]

    @classmethod
    def of(cls, values: tuple[Any, ...]) -> Screen:
        """Read a handler's output tuple back (tests)."""
        return cls(*values)


OUTPUTS: tuple[str, ...] = tuple(f.name for f in fields(Screen))
# The first outputs, the only ones a conversation event (not a login) changes: ui/student.py wires
# those events to these outputs alone.
TALK_OUTPUTS: tuple[str, ...] = OUTPUTS[: OUTPUTS.index("answer_note") + 1]


def skill_names(services: Services) -> dict[str, str]:
    return {sid: skill.name for sid, skill in services.tutor.curriculum.skills.items()}


def progress_html(services: Services, session: Any) -> str:
    return mastery_html(session.mastery, services.mastery_threshold, skill_names(services), session.practised)


def problem_view(services: Services, problem: Any | None) -> str:
    name = services.tutor.curriculum.skills[problem.skill].name if problem is not None else ""
    return problem_markdown(problem, name)


def conversation(services: Services, state: UserState, **changes: Any) -> Screen:
    """The whole conversation of this tab on screen (after Start or a restore); the way in is put
    away (a student in a session saw the login forms beside the chat) until they sign out."""
    session = state.session
    screen: dict[str, Any] = {
        "state": state,
        "chat": list(state.messages),
        "problem": problem_view(services, session.problem),
        "mastery": progress_html(services, session),
        "avatar": idle_feed(services, session.opening.avatar_emotion, mode=state.avatar_mode),
        "replay": gr.Button(interactive=False),
        "start_note": "",
        "answer_note": "",
        "login_panel": gr.Column(visible=False),
        "sign_out": gr.Button(visible=True),
    }
    return Screen(**(screen | changes))
