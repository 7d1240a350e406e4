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

from ui.avatar import feed_html
from ui.clips import ClipJob, MotionClip, Part, RenderedClip
from ui.motion import motion_ref
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
    avatar: Any = field(default_factory=gr.skip)  # the avatar feed (ui/avatar.py feed_html)
    replay: Any = field(default_factory=gr.skip)


def idle_feed(services: Services, emotion: str, stage: str = STAGE, mode: str = SERVER) -> Any:
    """The idle loop of the avatar for `emotion` on the `mode` path (stopping any reply still
    playing), or no change if no loop is ready yet."""
    idle = services.source(mode).reaction(emotion)
    return gr.skip() if idle is None else feed_html(stage, idle)


def stream_reply(
    services: Services, job: ClipJob, emotion: str, is_current: Any, stage: str = STAGE, mode: str = SERVER
) -> Iterator[tuple[list[Part], str]]:
    """(chunks so far, feed) each time a chunk of `job` (from `mode`'s source) is ready, then once
    more with done=True.

    `is_current()` False = a newer reply took over: stop (and cancel the render). Raises the
    render's exception. Between chunks, `([], "")` every PROGRESS_EVERY_S while nothing came yet.
    """
    source = services.source(mode)
    reply = uuid.uuid4().hex[:12]
    idle = source.reaction(emotion)
    feed = functools.partial(feed_html, stage, idle, reply, sentences=job.sentences, shortened=job.shortened)
    chunks: list[Part] = []
    try:
        while True:
            try:
                part = job.parts.get(timeout=PROGRESS_EVERY_S)
            except queue.Empty:
                if not is_current():
                    return
                if not chunks:
                    yield chunks, ""
                continue
            if not is_current():
                return
            if part is None:
                if chunks:
                    yield chunks, feed(chunks, done=True, speed=source.speed)
                return
            if isinstance(part, BaseException):
                raise part
            chunks.append(part)
            yield chunks, feed(chunks, speed=source.speed)
    finally:  # also on GeneratorExit (the client went away): stop rendering what nobody sees
        job.cancel()


def play_reply(services: Services, state: Any, reply: Any, seq: int) -> Iterator[PlayUpdate]:
    """Render `reply`'s performance and hand each chunk to the player as soon as it is ready;
    progress notes until the first one. Records the chunks for a replay and, at the end, on the
    turn in the session log. state.avatar_mode chooses the path: "browser" = speech + motion for
    the page to render (ui/motion.py), else frames rendered here (ui/clips.py)."""
    t0 = time.perf_counter()
    mode = state.avatar_mode
    source = services.source(mode)
    job = source.submit(reply.spoken, reply.avatar_emotion, reply.intensity)
    chunks: list[Part] = []
    try:
        for chunks, feed in stream_reply(services, job, reply.avatar_emotion, lambda: state.reply_seq == seq,
                                         mode=mode):
            if not feed:
                note = _progress_note(source, t0)
                yield PlayUpdate(status=status_html(note, busy=True))
                continue
            state.last_clips = list(chunks)
            first = len(chunks) == 1
            yield PlayUpdate(
                status=status_html("", busy=False) if first else gr.skip(),
                avatar=feed,
                replay=_replay_on() if first else gr.skip(),
            )
    except Exception as err:  # rendering failed: the text reply stands on its own
        log.error("avatar clip failed for turn %s: %r", reply.turn_id, err)
        yield PlayUpdate(status=status_html(CANNOT_SPEAK, busy=False))
    finally:
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
                yield PlayUpdate(status=status_html("", busy=False) if feed else gr.skip(), avatar=feed or gr.skip())
        except Exception as err:  # rendering failed: the text is in the chat
            log.error("replay render failed: %r", err)
            yield PlayUpdate(status=status_html(CANNOT_SPEAK, busy=False))
        return
    idle = services.source(BROWSER if isinstance(clips[-1], MotionClip) else SERVER).reaction(clips[-1].emotion)
    yield PlayUpdate(status=status_html("", busy=False),
                     avatar=feed_html(stage, idle, uuid.uuid4().hex[:12], clips, done=True))


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
