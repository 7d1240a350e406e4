"""Student-view handlers: plain functions over a small per-user `UserState`.

Gradio keeps one `UserState` per browser tab (or API client) in `gr.State`, so a student only
ever reaches their own tutoring session: no handler takes a session id from the client, and
none sends one to it (the id is the teacher's handle on a session). The
functions here call the core (`tutor`, `affect` through the session, `ui.clips`) and turn its
results into component values; `ui/app.py` only wires them to components. They can be called
directly in tests, without a browser or a server.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import gradio as gr
import numpy as np

from affect.types import AffectEstimate
from tutor.errors import StoreError
from ui.clips import ClipJob, RenderedClip
from ui.services import Services
from ui.views import mastery_html, mood_html, problem_markdown, status_html

log = logging.getLogger(__name__)

# How often the reply handler reports render progress while a clip renders.
PROGRESS_EVERY_S = 0.5
# The browser starts a clip a little after the server sends it (fetch + decode, ~0.2-0.5 s
# measured in the browser test); the next part waits this long beyond the clip's length.
PLAY_SLACK_S = 0.6

# The quick buttons: the message shown in the chat, and the dialogue act it is (no need to read it).
QUICK_MESSAGES: dict[str, tuple[str, str]] = {
    "hint": ("Can I have a hint?", "hint_request"),
    "confused": ("I'm confused.", "feeling"),
    "next": ("Next problem, please.", "skip"),
}


class UserError(gr.Error, ValueError):
    """Bad input from the student, with a message meant for them (Gradio shows it as a toast)."""


@dataclass
class UserState:
    """Everything the app keeps about one browser tab."""

    session: Any = None  # the live tutor.TutorSession, None before Start
    student: str = ""
    topic: str = ""
    camera_on: bool = False
    messages: list[dict[str, str]] = field(default_factory=list)  # Gradio 6 chat messages
    mood: AffectEstimate | None = None
    reply_seq: int = 0  # counts replies; only the newest one may still put clips on screen
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
        )


def new_user_state() -> UserState:
    """gr.State factory: called once per browser tab / API client."""
    return UserState()


# 1. Start a session -------------------------------------------------------------------------


def start_session(services: Services, state: UserState, student: str, topic: str) -> tuple[Any, ...]:
    """Start a tutoring session; returns (state, chat, problem, mastery, status, video)."""
    student = (student or "").strip()
    with state.lock:
        try:  # the tutor validates the pseudonym and the topic (one rule for UI and API)
            session = services.tutor.start_session(student=student, topic=topic)
        except ValueError as err:
            raise UserError(str(err)) from err
        state.messages = [{"role": "assistant", "content": session.opening.text}]
        return _opened(services, state, session, f"Session started for {student}.")


def _opened(services: Services, state: UserState, session: Any, note: str) -> tuple[Any, ...]:
    """Make `session` this tab's conversation (caller holds state.lock); the start outputs."""
    if state.session is not None and state.session is not session:
        state.session.close()  # the previous conversation of this tab ends (it stays resumable)
    state.session, state.student, state.topic = session, session.student, session.topic
    return (
        state,
        list(state.messages),
        problem_markdown(session.opening.problem),
        mastery_html(session.mastery, services.mastery_threshold),
        status_html(note, busy=False),
        reaction_video(services, session.opening.avatar_emotion),
    )


def end_session(state: UserState) -> None:
    """gr.State delete callback (the tab closed long enough ago): mark the session ended."""
    if state.session is not None:
        state.session.close()


# 2. Chat: text at once, then the avatar clip --------------------------------------------------


def reaction_video(services: Services, emotion: str) -> Any:
    """The looping idle/reaction clip of the avatar for `emotion`, or no change if none is ready."""
    clip = services.clips.reaction(emotion)
    if clip is None:
        return gr.skip()
    return gr.Video(value=str(clip.video), loop=True, autoplay=True, subtitles=None)


def reply_video(clip: RenderedClip) -> Any:
    return gr.Video(
        value=str(clip.video),
        subtitles=str(clip.subtitles) if clip.subtitles else None,
        loop=False,
        autoplay=True,
    )


def send_message(
    services: Services, state: UserState, text: str, request: gr.Request | None = None, act: str | None = None
) -> Iterator[tuple[Any, ...]]:
    """Send one message; yields (state, chat, box, problem, mastery, status, video) several times.

    First yield: the tutor's text, the problem and mastery, and a reaction clip while the reply
    clip renders. Then progress notes every PROGRESS_EVERY_S. Last: the reply clip.
    """
    services.limits.check_chat(request)  # per-client rate limit (ui/ratelimit.py)
    text = (text or "").strip()
    if not text:
        raise UserError("Type an answer or a question first.")
    if state.session is None:
        raise UserError("Press Start first (choose a pseudonym and a topic).")
    with state.lock:
        try:
            reply = state.session.send(text, act=act)
        except ValueError as err:  # too long, unusable: nothing was logged
            raise UserError(str(err)) from err
        except StoreError as err:  # disk full, read-only folder, database gone: the turn was not saved
            log.error("session log write failed: %s", err)
            raise UserError(
                "The tutor could not save this message: its data folder is full, read-only or unreachable. "
                "Nothing was half-saved; please tell your teacher, then try again."
            ) from err
        state.messages += [{"role": "user", "content": text}, {"role": "assistant", "content": reply.text}]
        state.reply_seq += 1  # an older reply still playing stops at its next check
        seq = state.reply_seq
        mastery = mastery_html(state.session.mastery, services.mastery_threshold)
    yield (
        state,
        list(state.messages),
        "",
        problem_markdown(reply.problem),
        mastery,
        status_html("The tutor is getting ready to speak…", busy=True),
        reaction_video(services, reply.avatar_emotion),
    )
    yield from _play_reply(services, state, reply, seq)


def _play_reply(services: Services, state: UserState, reply: Any, seq: int) -> Iterator[tuple[Any, ...]]:
    """Play the reply's clip parts in order as they are rendered, never cutting one short.

    While nothing new is ready the status line shows progress; between parts and after the
    last one the reaction clip loops again, so the avatar never freezes on a last frame. When
    the student sends another message meanwhile (state.reply_seq moves on), this reply's
    rendering is cancelled and its playback stops without touching the screen again.
    """
    skip = gr.skip()
    t0 = time.perf_counter()
    job = services.clips.submit(reply.spoken, reply.avatar_emotion, reply.intensity)
    playing_until = 0.0  # perf_counter time when the part now on screen ends
    refs: list[str] = []

    def stale() -> bool:
        if state.reply_seq != seq:
            job.cancel()
            return True
        return False

    def wait_until(deadline: float) -> bool:  # False when a newer message took over
        while (left := deadline - time.perf_counter()) > 0:
            if stale():
                return False
            time.sleep(min(left, PROGRESS_EVERY_S))
        return not stale()

    try:
        while True:
            try:
                part = job.parts.get(timeout=PROGRESS_EVERY_S)
            except queue.Empty:
                if stale():
                    return
                now = time.perf_counter()
                idle = bool(refs) and 0.0 < playing_until < now  # a part just ended: loop again
                video = reaction_video(services, reply.avatar_emotion) if idle else skip
                playing_until = 0.0 if idle else playing_until
                note = _progress_note(services, job, t0, speaking=now < playing_until)
                yield (skip, skip, skip, skip, skip, status_html(note, busy=True), video)
                continue
            if part is None:
                break
            if isinstance(part, BaseException):  # rendering failed: the text reply stands on its own
                log.error("avatar clip failed for turn %s: %r", reply.turn_id, part)
                note = f"The avatar could not speak this reply ({type(part).__name__}); the text above is complete."
                yield (skip, skip, skip, skip, skip, status_html(note, busy=False), skip)
                return
            if not wait_until(playing_until):  # let the previous part finish
                return
            refs.append(part.video.name)
            playing_until = time.perf_counter() + part.seconds + PLAY_SLACK_S
            yield (skip, skip, skip, skip, skip, status_html("", busy=False), reply_video(part))
        if wait_until(playing_until):
            yield (skip, skip, skip, skip, skip, skip, reaction_video(services, reply.avatar_emotion))
    finally:  # also on GeneratorExit (the client went away): stop rendering what nobody sees
        job.cancel()
        if reply.turn_id and refs:
            state.session.attach_clip(reply.turn_id, "+".join(refs))


def _progress_note(services: Services, job: ClipJob, t0: float, *, speaking: bool) -> str:
    waited = time.perf_counter() - t0
    if speaking:
        return "The tutor is speaking; recording the rest of the reply…"
    if job.rendered_s > 0:
        return f"Recording the tutor's video reply: {job.rendered_s:.0f} s of speech ready ({waited:.0f} s)"
    ahead = services.clips.waiting() - 1
    if ahead > 0:
        return f"Waiting for the avatar: {ahead} reply clip(s) ahead of yours ({waited:.0f} s)"
    return f"Recording the tutor's video reply… ({waited:.0f} s)"


def quick_message(
    services: Services, state: UserState, kind: str, request: gr.Request | None = None
) -> Iterator[tuple[Any, ...]]:
    """The 'Hint', 'I'm confused' and 'Next' buttons send a fixed message with its dialogue act."""
    if kind not in QUICK_MESSAGES:
        raise UserError(f"Unknown quick action {kind!r}.")
    text, act = QUICK_MESSAGES[kind]
    yield from send_message(services, state, text, request, act=act)


# 3. Camera: consent, then frames into the session --------------------------------------------


def set_camera(state: UserState, consent: bool) -> tuple[Any, ...]:
    """Turn the camera on or off; returns (state, webcam visibility update, mood html)."""
    state.camera_on = bool(consent)
    state.mood = None
    return state, gr.Image(visible=state.camera_on, value=None), mood_html(None, camera_on=state.camera_on)


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
    except ValueError as err:  # an unusable frame (too small, wrong shape): say so, keep going
        raise UserError(f"Camera frame skipped: {err}") from err
    finally:
        state.lock.release()
    if estimate is not None:
        state.mood = estimate
    return mood_html(state.mood, camera_on=True, face_found=estimate is not None)
