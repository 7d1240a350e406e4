"""The avatar on screen: a reply's clip parts played in order as they render, a replay, and the
looping reaction clip in between, so the avatar never freezes on a last frame.

Generators yield `PlayUpdate`s (status line, video, replay button); `ui.handlers` puts them
into the student view. A newer reply (state.reply_seq moving on) stops an older one at its next
check, without touching the screen again.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from ui.clips import ClipJob, RenderedClip
from ui.services import Services
from ui.views import status_html

log = logging.getLogger(__name__)

# How often the reply handler reports render progress while a clip renders.
PROGRESS_EVERY_S = 0.5
# The browser starts a clip a little after the server sends it (fetch + decode, ~0.2-0.5 s
# measured in the browser test); the next part waits this long beyond the clip's length.
PLAY_SLACK_S = 0.6
TOO_OLD = "That answer is too old to play again, but it is still written in the chat."


@dataclass
class PlayUpdate:
    """What playback changes on screen; skip = unchanged."""

    status: Any = field(default_factory=gr.skip)
    video: Any = field(default_factory=gr.skip)
    replay: Any = field(default_factory=gr.skip)


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


def _waiter(state: Any, seq: int, on_stale: Callable[[], None]) -> Callable[[float], bool]:
    """wait_until(deadline) -> False as soon as a newer reply took over (then calls on_stale)."""

    def wait_until(deadline: float) -> bool:
        while (left := deadline - time.perf_counter()) > 0:
            if state.reply_seq != seq:
                on_stale()
                return False
            time.sleep(min(left, PROGRESS_EVERY_S))
        if state.reply_seq != seq:
            on_stale()
            return False
        return True

    return wait_until


def play_reply(services: Services, state: Any, reply: Any, seq: int) -> Iterator[PlayUpdate]:
    """Render `reply`'s clip and play its parts in order as they are ready, never cutting one
    short; progress notes while nothing new is ready. Records the parts for a replay and, at
    the end, on the turn in the session log."""
    t0 = time.perf_counter()
    job = services.clips.submit(reply.spoken, reply.avatar_emotion, reply.intensity)
    wait_until = _waiter(state, seq, job.cancel)
    playing_until = 0.0  # perf_counter time when the part now on screen ends
    parts: list[RenderedClip] = []
    try:
        while True:
            try:
                part = job.parts.get(timeout=PROGRESS_EVERY_S)
            except queue.Empty:
                if state.reply_seq != seq:
                    job.cancel()
                    return
                now = time.perf_counter()
                idle = bool(parts) and 0.0 < playing_until < now  # a part just ended: loop again
                video = reaction_video(services, reply.avatar_emotion) if idle else gr.skip()
                playing_until = 0.0 if idle else playing_until
                note = _progress_note(services, job, t0, speaking=now < playing_until)
                yield PlayUpdate(status=status_html(note, busy=True), video=video)
                continue
            if part is None:
                break
            if isinstance(part, BaseException):  # rendering failed: the text reply stands on its own
                log.error("avatar clip failed for turn %s: %r", reply.turn_id, part)
                note = "The tutor can't speak this answer out loud, but it is all written in the chat."
                yield PlayUpdate(status=status_html(note, busy=False))
                return
            if not wait_until(playing_until):  # let the previous part finish
                return
            parts.append(part)
            state.last_clips = list(parts)
            playing_until = time.perf_counter() + part.seconds + PLAY_SLACK_S
            yield PlayUpdate(status=status_html("", busy=False), video=reply_video(part), replay=_replay_on())
        if wait_until(playing_until):
            yield PlayUpdate(video=reaction_video(services, reply.avatar_emotion))
    finally:  # also on GeneratorExit (the client went away): stop rendering what nobody sees
        job.cancel()
        if reply.turn_id and parts:
            state.session.attach_clip(reply.turn_id, "+".join(p.video.name for p in parts))


def play_clips(services: Services, state: Any, clips: Sequence[RenderedClip], seq: int) -> Iterator[PlayUpdate]:
    """Play already rendered clips again, in order, then the reaction loop."""
    wait_until = _waiter(state, seq, lambda: None)
    if not all(c.video.is_file() for c in clips):  # the clip store sweeps files after 15 minutes
        yield PlayUpdate(status=status_html(TOO_OLD, busy=False))
        return
    for clip in clips:
        yield PlayUpdate(status=status_html("", busy=False), video=reply_video(clip))
        if not wait_until(time.perf_counter() + clip.seconds + PLAY_SLACK_S):
            return
    yield PlayUpdate(video=reaction_video(services, clips[-1].emotion))


def _replay_on() -> Any:
    return gr.Button(interactive=True)


def _progress_note(services: Services, job: ClipJob, t0: float, *, speaking: bool) -> str:
    waited = time.perf_counter() - t0
    if speaking:
        return "The tutor is speaking; getting the rest ready…"
    if job.rendered_s > 0:
        return f"Getting the tutor's video ready: {job.rendered_s:.0f} s of speech done ({waited:.0f} s)"
    ahead = services.clips.waiting() - 1
    if ahead > 0:
        return f"The tutor is answering {ahead} other student(s) first… ({waited:.0f} s)"
    return f"Getting the tutor's video ready… ({waited:.0f} s)"
