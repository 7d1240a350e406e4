"""Hear a logged tutor reply again: the avatar re-renders it on demand from the session log.

Clip files are temporary (the clip store deletes them 15 minutes after they were made), so the
log keeps no playable clip; it does keep what the avatar was asked to say and how (the spoken
text, the avatar emotion and its intensity), which is all a render needs. A reply the student's
browser drew itself (the browser path) is rendered here from its motion rows while they are
still there (its clip_ref, ui/motion.py): the very performance the student saw, voice included;
after that it is performed again from the text (same words, a new take of the voice). The render goes
through the same single render thread as the students' replies, so under load it waits (or is
shortened) like theirs and never slows a student down more than one more reply would.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from gan.audio.speech import split_sentences
from ui.avatar import as_html
from ui.motion import parse_motion_ref
from ui.playback import stream_reply
from ui.services import Services
from ui.teacher.access import TeacherInputError, teacher_errors, view_for

# The teacher view's avatar stage (ui/avatar.py).
REPLAY_STAGE = "teacher-avatar"
# A reply whose first chunk is not ready after this long is given up (the render queue is stuck or overloaded).
PART_TIMEOUT_S = 300.0


def turn_choices(transcript: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """The turns whose reply can be heard again: (label, turn index)."""
    choices = []
    for turn in transcript:
        text = " ".join(str(turn.get("tutor_text") or "").split())
        if turn.get("spoken"):
            choices.append((f"turn {turn['index']}: {text[:60]}{'…' if len(text) > 60 else ''}", int(turn["index"])))
    return choices


@teacher_errors
def _logged_reply(services: Services, token: str, session_id: str | None, turn: int | str | None) -> dict[str, Any]:
    """The logged turn to replay, after the token and the session's owner were checked."""
    view = view_for(services, token)
    if not session_id or turn is None or turn == "":
        raise TeacherInputError("Pick a session and one of its turns first.")
    for logged in view.transcript(session_id):
        if str(logged["index"]) == str(turn) and logged.get("spoken"):
            return logged
    raise TeacherInputError("That turn is not in this session.")


def replay(services: Services, token: str, session_id: str | None, turn: int | str | None) -> Iterator[Any]:
    """Render the logged reply again and hand its chunks to the player as they are ready (one
    continuous performance, as the student saw it)."""
    logged = _logged_reply(services, token, session_id, turn)
    emotion, spoken = str(logged["avatar_emotion"]), str(logged["spoken"])
    files = parse_motion_ref(str(logged.get("clip_ref") or ""), services.motion.folder)
    if files:
        captions = split_sentences(spoken)
        job = services.clips.submit_motion(files, captions if len(captions) == len(files) else [], emotion)
    else:
        job = services.clips.submit(spoken, emotion, float(logged["intensity"]))
    t0 = time.perf_counter()
    try:
        for _chunks, feed in stream_reply(services, job, emotion, lambda: True, stage=REPLAY_STAGE):
            if feed:
                yield as_html(feed)
            elif time.perf_counter() - t0 > PART_TIMEOUT_S:
                raise TeacherInputError("The avatar is too busy to render this reply now; try again later.")
    except TeacherInputError:
        raise
    except Exception as err:
        raise TeacherInputError("The avatar could not render this reply; its text is in the transcript.") from err
