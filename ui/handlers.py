"""Student-view handlers for the conversation: messages, quick buttons, replay, the camera.

Plain functions over the tab's `UserState` (ui/screen.py): no handler takes a session id from
the client. They call the core (`tutor`, `affect` through the session, `ui.clips` through
ui/playback.py) and return or yield `Screen` values; ui/student.py only wires them to
components, and tests call them directly, without a browser or a server. A student's mistake
(an empty message, a message before Start, typing too fast) is never an exception: it becomes a
friendly note beside the answer box and the rest of the screen stays as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import gradio as gr
import numpy as np

from tutor.errors import StoreError
from ui.playback import PlayUpdate, idle_feed, last_spoken, play_clips, play_reply
from ui.ratelimit import RateLimitedError
from ui.screen import Screen, UserError, UserState, problem_view, progress_html, set_avatar_mode
from ui.services import BROWSER, SERVER, Services
from ui.views import mood_html, note_html, plain_markdown, status_html, typeset

log = logging.getLogger(__name__)

# The quick buttons: the message shown in the chat, and the dialogue act it is (no need to read it).
QUICK_MESSAGES: dict[str, tuple[str, str]] = {
    "hint": ("Can I have a hint?", "hint_request"),
    "confused": ("I'm confused.", "feeling"),
    "next": ("Next problem, please.", "skip"),
}

# Friendly notes, in a child's words.
NOT_STARTED = "Press Start first: type a made-up name, pick a topic, then Start."
EMPTY_MESSAGE = "Type an answer or a question first."
UNREADABLE = "I couldn't read that message. Could you type it again?"
NOT_SAVED = (
    "Sorry, the tutor couldn't save your message, so nothing was sent. Please tell your teacher, then try again."
)
NOTHING_TO_REPLAY = "There is nothing to play again yet."


# 1. Chat: text at once, then the avatar clip --------------------------------------------------


def speak_opening(services: Services, state: UserState, mode: str = SERVER) -> Iterator[tuple[Any, ...]]:
    """Speak the reply waiting in `state.to_speak` (the opening greeting) like any other reply."""
    set_avatar_mode(state, mode)
    reply, state.to_speak = state.to_speak, None
    if reply is None or state.session is None:
        yield Screen().talk()
        return
    yield from _shown(play_reply(services, state, reply, state.reply_seq))


def _shown(updates: Iterator[PlayUpdate]) -> Iterator[tuple[Any, ...]]:
    for update in updates:
        yield Screen(status=update.status, avatar=update.avatar, replay=update.replay).talk()


def send_message(
    services: Services, state: UserState, text: str, mode: str = SERVER, request: gr.Request | None = None,
    act: str | None = None,
) -> Iterator[tuple[Any, ...]]:
    """Send one message; yields Screens: the tutor's text, problem, progress and mood at once, then
    progress notes, then the reply's performance on the `mode` path (ui/playback.py, ui/BROWSER.md).
    "server" (the default, for API clients): the avatar output's feed grows chunk by chunk (JPEG
    frame sheets + WAVs). "browser" (a page that draws the avatar itself): the first update's feed
    holds only the URL of the reply's own stream (`avatar-feed/reply/<token>`, Server-Sent Events,
    ui/reply_stream.py), which sends the parts (motion rows + WAV under `avatar-feed/part/`); they do
    not come through this event."""
    set_avatar_mode(state, mode)
    note = _message_problem(services, state, text, request)
    if note:
        yield Screen(answer_note=note_html(note, where="answer")).talk()
        return
    with state.lock:
        try:
            reply = state.session.send(text.strip(), act=act)
        except ValueError as err:  # unusable text: nothing was logged
            log.info("message refused: %s", err)
            yield Screen(answer_note=note_html(UNREADABLE, where="answer")).talk()
            return
        except StoreError as err:  # disk full, read-only folder, database gone: the turn was not saved
            log.error("session log write failed: %s", err)
            yield Screen(answer_note=note_html(NOT_SAVED, where="answer")).talk()
            return
        state.messages += [
            {"role": "user", "content": plain_markdown(text.strip())},
            {"role": "assistant", "content": typeset(reply.text)},
        ]
        state.reply_seq += 1  # an older reply still playing stops at its next check
        seq = state.reply_seq
        progress = progress_html(services, state.session)
        state.mood = reply.affect
    speaking = play_reply(services, state, reply, seq)
    # The browser path's first update names the reply's stream (at once): it goes out with the text.
    stream = next(speaking).avatar if state.avatar_mode == BROWSER else None
    yield Screen(
        state=state,
        chat=list(state.messages),
        box="",
        problem=problem_view(services, reply.problem),
        mastery=progress,
        status=status_html("The tutor is getting ready to speak…", busy=True),
        # Stops the previous reply; the face reacts.
        avatar=stream or idle_feed(services, reply.avatar_emotion, mode=state.avatar_mode),
        mood=mood_html(reply.affect, camera_on=state.camera_on),
        answer_note="",
    ).talk()
    yield from _shown(speaking)


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
    services: Services, state: UserState, kind: str, mode: str = SERVER, request: gr.Request | None = None
) -> Iterator[tuple[Any, ...]]:
    """The 'Hint', 'I'm confused' and 'Next' buttons send a fixed message with its dialogue act."""
    if kind not in QUICK_MESSAGES:
        raise UserError(f"Unknown quick action {kind!r}.")  # a programming error, not a student's
    text, act = QUICK_MESSAGES[kind]
    yield from send_message(services, state, text, mode, request, act=act)


def replay(services: Services, state: UserState, mode: str = SERVER) -> Iterator[tuple[Any, ...]]:
    """Play the tutor's last spoken reply again."""
    set_avatar_mode(state, mode)
    clips = list(state.last_clips)
    if not clips:  # none made in this tab (a reload): the last reply in the log is performed again
        logged = last_spoken(services.tutor.transcript(state.session.id)) if state.session is not None else None
        if logged is None:
            yield Screen(status=status_html(NOTHING_TO_REPLAY, busy=False)).talk()
            return
        state.reply_seq += 1
        yield from _shown(play_reply(services, state, logged, state.reply_seq))
        return
    state.reply_seq += 1  # a reply still rendering gives way to the replay
    seq = state.reply_seq
    for update in play_clips(services, clips, mode=state.avatar_mode, is_current=lambda: state.reply_seq == seq):
        yield Screen(status=update.status, avatar=update.avatar).talk()


# 2. Camera: one click on (that click is the consent), one click off ---------------------------


def set_camera(services: Services, state: UserState, on: bool) -> tuple[Any, ...]:
    """Turn the camera on or off; returns (state, camera token, mood, camera button). On: a fresh
    token for this tab's page to post frames with (ui/camera.py); off: the token stops working."""
    state.camera_on = bool(on)
    state.mood = None
    if state.camera_on:
        services.cameras.issue(state)
    else:
        services.cameras.revoke(state)
    label = "Turn my camera off" if state.camera_on else "Turn my camera on"
    return state, state.camera_token, "", gr.Button(value=label)


def toggle_camera(services: Services, state: UserState) -> tuple[Any, ...]:
    """The camera button: on when off, off when on."""
    return set_camera(services, state, not state.camera_on)


def observe_frame(services: Services, state: UserState, rgb: np.ndarray) -> str | None:
    """One webcam frame (RGB uint8, already decoded) -> this session's own face reader -> the
    mood html for the panel; None = dropped unread (camera off, before Start, a reply being
    made, or every analysis busy: ui/framegate.py).

    Frames are read only once a session runs, by that session's reader (its tracking and cue
    baseline are never mixed with another student's). The frame lives only in memory: it is
    analysed and dropped; only the reading goes into the tab's state and the session's mood track.
    """
    if not state.camera_on or state.session is None:
        return None
    if not state.lock.acquire(blocking=False):
        return None  # a message is being answered; the next frame will do
    try:
        with services.frames.admit() as room:  # under load: drop, never queue
            if not room:
                return None
            estimate = state.session.observe_frame(rgb)
    finally:
        state.lock.release()
    if estimate is None:
        return mood_html(None, camera_on=True, face_found=False)
    state.mood = estimate
    return mood_html(estimate, camera_on=True)
