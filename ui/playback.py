"""The avatar on screen: a reply's chunks handed to the browser's player as they render, a
replay, and the idle loop in between, so the avatar never freezes on a last frame.

Generators yield `PlayUpdate`s (status line, avatar feed, replay button); `ui.handlers` puts them
into the student view. The browser (ui/avatar_player.js) joins the chunks into one performance;
the server only says what exists. A newer reply (state.reply_seq moving on) stops an older one
at its next check, without touching the screen again.
"""

from __future__ import annotations

import functools
import logging
import queue
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from ui.avatar import as_html, feed_data
from ui.clips import ClipJob, MotionClip, Part, RenderedClip
from ui.motion import motion_ref
from ui.reply_stream import stream_url
from ui.services import BROWSER, SERVER, ReplySource, Services
from ui.views import status_html

log = logging.getLogger(__name__)

# The student view's avatar stage (ui/student.py); the teacher view has its own.
STAGE = "avatar"
# How often the reply handler reports render progress while it waits for the first chunk.
PROGRESS_EVERY_S = 0.5
CANNOT_SPEAK = "The tutor can't speak this answer out loud, but it is all written in the chat."
TOO_OLD = "That answer is too old to play again, but it is still written in the chat."


@dataclass
class PlayUpdate:
    """What playback changes on screen; skip = unchanged."""

    status: Any = field(default_factory=gr.skip)
    avatar: Any = field(default_factory=gr.skip)  # the avatar feed (ui/avatar.py as_html(feed_data(...)))
    replay: Any = field(default_factory=gr.skip)


@dataclass(frozen=True)
class LoggedReply:
    """A logged tutor reply to speak again, with what `play_reply` reads of a TutorReply: a reload
    leaves the tab without its clips, so "Say it again" performs the last reply afresh from the log
    (the same words, a new take of the voice, as the teacher's replay does)."""

    spoken: str
    avatar_emotion: str
    intensity: float
    turn_id: str = ""  # "": the log keeps the turn's own clip_ref (the new take is not attached)


def last_spoken(turns: Sequence[dict[str, Any]]) -> LoggedReply | None:
    """The newest reply of a session's transcript (tutor.Tutor.transcript) that the avatar performed
    (its clip is logged; a resumed session's "Welcome back" was never said aloud), or None."""
    for turn in reversed(turns):
        if turn.get("spoken") and turn.get("clip_ref"):
            return LoggedReply(str(turn["spoken"]), str(turn["avatar_emotion"]), float(turn["intensity"]))
    return None


def idle_feed(services: Services, emotion: str, stage: str = STAGE, mode: str = SERVER) -> Any:
    """The idle loop of the avatar for `emotion` on the `mode` path (stopping any reply still
    playing), or no change if no loop is ready yet."""
    idle = services.source(mode).reaction(emotion)
    return gr.skip() if idle is None else as_html(feed_data(stage, idle))


def stream_reply(
    services: Services, job: ClipJob, emotion: str, is_current: Any, stage: str = STAGE, mode: str = SERVER,
    reply: str = "",
) -> Iterator[tuple[list[Part], dict[str, Any] | None]]:
    """(chunks so far, feed data) each time a chunk of `job` (from `mode`'s source) is ready, then
    once more with done=True; `reply` names the reply in the feeds (default: a new id).

    `is_current()` False = a newer reply took over: stop (and cancel the render). Raises the
    render's exception. Between chunks, `([], None)` every PROGRESS_EVERY_S while nothing came yet.
    """
    source = services.source(mode)
    reply = reply or new_reply_id()
    idle = source.reaction(emotion)
    feed = functools.partial(feed_data, stage, idle, reply, sentences=job.sentences, shortened=job.shortened)
    chunks: list[Part] = []
    try:
        while True:
            try:
                part = job.parts.get(timeout=PROGRESS_EVERY_S)
            except queue.Empty:
                if not is_current():
                    return
                if not chunks:
                    yield chunks, None
                continue
            if not is_current():
                return
            parts = [part, *_waiting(job)]  # all that is ready: one screen update, not one each
            if isinstance(parts[-1], BaseException):
                raise parts[-1]
            chunks += [p for p in parts if p is not None and not isinstance(p, BaseException)]
            if parts[-1] is None:
                if chunks:
                    yield chunks, feed(chunks, done=True, speed=source.speed)
                return
            yield chunks, feed(chunks, speed=source.speed)
    finally:  # also on GeneratorExit (the client went away): stop rendering what nobody sees
        job.cancel()


def new_reply_id() -> str:
    return uuid.uuid4().hex[:12]


def _waiting(job: ClipJob) -> list[Part | BaseException | None]:
    """The parts already on `job.parts`, up to and including its end (None) or error.

    Each screen update of a reply costs Gradio 3-6 ms of its event loop's CPU (every unchanged
    output is a gr.skip(), which Gradio rebuilds as a component: ui/screen.py Screen.talk): a
    reply's last sentence and its end, or sentences made while the handler waited, go out as one
    update (py-spy: the event loop held the GIL in 66 % of the samples at N=20, bench_load)."""
    out: list[Part | BaseException | None] = []
    while not out or (out[-1] is not None and not isinstance(out[-1], BaseException)):
        try:
            out.append(job.parts.get_nowait())
        except queue.Empty:
            break
    return out


def play_reply(services: Services, state: Any, reply: Any, seq: int) -> Iterator[PlayUpdate]:
    """Render `reply`'s performance and hand each chunk to the player as soon as it is ready;
    progress notes until the first one. Records the chunks for a replay and, at the end, on the
    turn in the session log. state.avatar_mode chooses the path: "browser" = speech + motion for
    the page to render (ui/motion.py), else frames rendered here (ui/clips.py).

    On the browser path the parts do not go through Gradio: the first update (at once, before any
    part) names the reply's stream (ui/reply_stream.py), which gets the feed of every new part;
    the only later updates are progress notes and, with the first part, the status line and the
    replay button. bench/bench_feed_cost.py: a 4-part reply cost the app 31-36 ms of CPU as
    streamed Gradio updates, 15-16 ms this way (the text alone: 7 ms)."""
    t0 = time.perf_counter()
    mode = state.avatar_mode
    source = services.source(mode)
    job = source.submit(reply.spoken, reply.avatar_emotion, reply.intensity)
    token = services.streams.open() if mode == BROWSER else ""
    reply_id = new_reply_id()
    chunks: list[Part] = []
    note, started = "", False  # the last progress note sent; whether the page has the reply's first part
    try:
        if token:
            yield PlayUpdate(avatar=as_html(feed_data(STAGE, source.reaction(reply.avatar_emotion), reply_id,
                                                      sentences=job.sentences, shortened=job.shortened,
                                                      stream=stream_url(token))))  # fmt: skip
        for chunks, feed in stream_reply(services, job, reply.avatar_emotion, lambda: state.reply_seq == seq,
                                         mode=mode, reply=reply_id):
            if feed is None:
                # Only when its words change (once a second): every update costs Gradio's event loop
                # 3-6 ms, and under load many replies wait at once (_waiting).
                words = _progress_note(source, t0)
                if words != note:
                    note = words
                    yield PlayUpdate(status=status_html(note, busy=True))
                continue
            state.last_clips = list(chunks)
            first, started = not started, True  # the first update may bring several chunks at once
            if token:
                services.streams.publish(token, feed)
                if first:
                    yield PlayUpdate(status=status_html("", busy=False), replay=_replay_on())
                continue
            yield PlayUpdate(
                status=status_html("", busy=False) if first else gr.skip(),
                avatar=as_html(feed),
                replay=_replay_on() if first else gr.skip(),
            )
    except Exception as err:  # rendering failed: the text reply stands on its own
        log.error("avatar clip failed for turn %s: %r", reply.turn_id, err)
        yield PlayUpdate(status=status_html(CANNOT_SPEAK, busy=False))
    finally:
        if token:
            services.streams.close(token)
        if reply.turn_id and chunks:
            state.session.attach_clip(reply.turn_id, clip_ref(chunks))


def clip_ref(chunks: Sequence[Part]) -> str:
    """What the session log keeps of a reply's clip: "<first sheet>+<n>" (server path, as before) or
    "rig:<stem>+<n>" (browser path), from which the teacher's replay finds the motion files."""
    motion = [c for c in chunks if isinstance(c, MotionClip)]
    if motion:
        return motion_ref(motion)
    first = chunks[0]
    assert isinstance(first, RenderedClip)
    return f"{first.sheet.stem}+{len(chunks)}"


def play_clips(services: Services, clips: Sequence[Part], stage: str = STAGE, mode: str = SERVER,
               is_current: Any = lambda: True) -> Iterator[PlayUpdate]:
    """Play already made chunks (rendered, or motion for the page) again, as one performance, then
    the idle loop. Motion parts for a page that now draws on the server path (`mode`, its warm-up
    fell short since) are rendered here from their rows, as the teacher's replay does."""
    if not all(_on_disk(c) for c in clips):
        yield PlayUpdate(status=status_html(TOO_OLD, busy=False))  # the clip store sweeps after 15 minutes
        return
    motion = [c for c in clips if isinstance(c, MotionClip)]
    if mode == SERVER and motion:
        files = [(c.motion, c.audio) for c in motion if c.audio is not None]
        job = services.clips.submit_motion(files, [c.caption for c in motion], motion[0].emotion)
        try:
            for _chunks, feed in stream_reply(services, job, motion[0].emotion, is_current, stage):
                yield PlayUpdate(status=status_html("", busy=False) if feed else gr.skip(),
                                 avatar=as_html(feed) if feed else gr.skip())
        except Exception as err:  # rendering failed: the text is in the chat
            log.error("replay render failed: %r", err)
            yield PlayUpdate(status=status_html(CANNOT_SPEAK, busy=False))
        return
    idle = services.source(BROWSER if isinstance(clips[-1], MotionClip) else SERVER).reaction(clips[-1].emotion)
    yield PlayUpdate(status=status_html("", busy=False),
                     avatar=as_html(feed_data(stage, idle, new_reply_id(), clips, done=True)))


def _replay_on() -> Any:
    return gr.Button(interactive=True)


def _on_disk(part: Part) -> bool:
    first = part.motion if isinstance(part, MotionClip) else part.sheet
    return first.is_file() and (part.audio is None or part.audio.is_file())


def _progress_note(source: ReplySource, t0: float) -> str:
    waited = time.perf_counter() - t0
    ahead = source.waiting() - 1
    if ahead > 0:
        return f"The tutor is answering {ahead} other student(s) first… ({waited:.0f} s)"
    return f"Getting the tutor's video ready… ({waited:.0f} s)"
