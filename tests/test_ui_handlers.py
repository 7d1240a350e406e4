"""Student-view handlers as plain functions over the real services (tutor, affect, avatar).

No server and no browser: the handlers are called directly, the way Gradio calls them.
"""

from __future__ import annotations

import re
from pathlib import Path

import gradio as gr
import pytest
from ui_harness import astronaut_face, services_for, shared_data_dir

from gan.video import probe_mp4
from ui.handlers import (
    QUICK_MESSAGES,
    UserError,
    new_user_state,
    observe_frame,
    quick_message,
    send_message,
    set_camera,
    start_session,
)

pytestmark = pytest.mark.slow  # loads every model once (module fixture) and renders clips


@pytest.fixture(scope="module")
def services():
    return services_for(shared_data_dir())


def _reply_parts(outputs: list[tuple]) -> list[gr.Video]:
    """The reply clip updates (non-looping videos) among a send's yields."""
    return [o[6] for o in outputs if isinstance(o[6], gr.Video) and not o[6].loop]


def test_start_refuses_bad_pseudonyms_and_topics_with_clear_messages(services) -> None:
    state = new_user_state()
    with pytest.raises(UserError, match="pseudonym"):
        start_session(services, state, "Jane Doe <jane@example.com>", "fractions")
    with pytest.raises(UserError, match="topic"):
        start_session(services, state, "ui-h-0", "astrology")
    assert state.session is None
    with pytest.raises(UserError, match="Start"):
        next(send_message(services, state, "3/4"))


def test_start_shows_the_opening_problem_and_mastery(services) -> None:
    state, chat, problem, mastery, status, _video = start_session(services, new_user_state(), "ui-h-1", "fractions")
    assert chat == [{"role": "assistant", "content": state.session.opening.text}]
    assert state.session.problem.prompt in problem
    for skill in state.session.mastery:
        assert skill in mastery
    assert "ui-h-1" in status
    with pytest.raises(UserError, match="Type"):
        next(send_message(services, state, "   "))


def test_reply_text_comes_first_then_subtitled_h264_clips(services) -> None:
    state, *_ = start_session(services, new_user_state(), "ui-h-2", "fractions")
    answer = state.session.problem.answer
    gen = send_message(services, state, answer)
    state2, chat, box, problem, mastery, status, _video = next(gen)
    assert state2 is state and box == ""
    assert chat[-2] == {"role": "user", "content": answer}
    assert chat[-1]["role"] == "assistant" and chat[-1]["content"]
    assert 'data-busy="true"' in status  # the wait is announced before any clip exists
    assert "Current problem" in problem and 'id="mastery-bars"' in mastery
    rest = list(gen)
    parts = _reply_parts(rest)
    assert len(parts) >= 1
    turn = services.tutor.transcript(state.session.id)[-1]
    assert turn["correct"] is True and turn["student_text"] == answer
    cue_text = []
    for part in parts:
        video = Path(part.constructor_args["value"])
        info = probe_mp4(video)
        assert (info["video_codec"], info["pix_fmt"], info["audio_codec"]) == ("h264", "yuv420p", "aac")
        vtt = Path(part.subtitles["path"]).read_text(encoding="utf-8")
        assert vtt.startswith("WEBVTT")
        cue_text += [line for line in vtt.splitlines()[2:] if line and "-->" not in line and not line.isdigit()]
    spoken = " ".join(turn["spoken"].split())
    assert " ".join(" ".join(cue_text).split()) == spoken[: len(" ".join(" ".join(cue_text).split()))]
    assert turn["clip_ref"] == "+".join(Path(p.constructor_args["value"]).name for p in parts)
    assert 'data-busy="true"' not in str(rest[-1][5])  # the spinner is gone at the end


def test_quick_buttons_send_their_message(services) -> None:
    state, *_ = start_session(services, new_user_state(), "ui-h-3", "fractions")
    first = next(quick_message(services, state, "hint"))  # the clip is not awaited here
    assert first[1][-2] == {"role": "user", "content": QUICK_MESSAGES["hint"][0]}
    last = services.tutor.transcript(state.session.id)[-1]
    assert last["intent"] == "hint_request" and last["move"] in ("hint", "worked_example", "reassure")
    before = state.session.problem
    next(quick_message(services, state, "next"))  # "Next" is the skip act: a new problem, the session goes on
    last = services.tutor.transcript(state.session.id)[-1]
    assert last["intent"] == "skip" and state.session.problem is not None and state.session.problem != before
    with pytest.raises(UserError):
        next(quick_message(services, state, "shout"))


def test_camera_needs_consent_and_frames_update_the_mood(services) -> None:
    state = new_user_state()
    face = astronaut_face()
    assert observe_frame(services, state, face) == gr.skip()  # no consent: the frame is not analysed
    state, webcam, mood = set_camera(state, True)
    assert webcam.visible is True and 'data-state="waiting"' in mood
    html = observe_frame(services, state, face)  # before Start: a face reading, not logged anywhere
    assert re.search(r'data-state="(engaged|delighted|neutral|confused|frustrated|bored|anxious)"', html)
    start_session(services, state, "ui-h-4", "fractions")
    html = observe_frame(services, state, face)
    if html != gr.skip():  # the per-client frame budget may drop it; the next one counts
        assert "fused" in html
    state, webcam, mood = set_camera(state, False)
    assert webcam.visible is False and 'data-state="off"' in mood
    assert observe_frame(services, state, face) == gr.skip()


def test_each_tab_keeps_its_own_conversation(services) -> None:
    a, *_ = start_session(services, new_user_state(), "ui-h-5a", "fractions")
    b, *_ = start_session(services, new_user_state(), "ui-h-5b", "percentages")
    next(send_message(services, a, "I'm not sure"))
    assert len(a.messages) == 3 and len(b.messages) == 1
    assert a.session.id != b.session.id and b.session.student == "ui-h-5b"


def test_a_new_message_stops_the_previous_reply_clip(services) -> None:
    state, *_ = start_session(services, new_user_state(), "ui-h-7", "fractions")
    older = send_message(services, state, "is it 1/2?")
    next(older)  # its text is on screen; its clip has not started
    newer = send_message(services, state, "Can I have a hint?")
    assert next(newer)[1][-2]["content"] == "Can I have a hint?"
    assert list(older) == []  # the older reply puts nothing more on screen
    newer.close()  # closing (a client that went away) cancels the newer render too
