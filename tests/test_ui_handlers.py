"""Student-view handlers (ui/login.py, ui/handlers.py) as plain functions over the real services.

No server and no browser: the handlers are called directly, the way Gradio calls them, and
their outputs are read back as `Screen`s (one field per student-view component).
"""

from __future__ import annotations

import contextlib
import re
import uuid
from pathlib import Path
from types import SimpleNamespace

import cv2
import gradio as gr
import pytest
import soundfile as sf
from ui_harness import astronaut_face, services_for, shared_data_dir

from ui.avatar import read_feed
from ui.clips import SHEET_COLUMNS
from ui.handlers import (
    NOT_STARTED,
    QUICK_MESSAGES,
    observe_frame,
    quick_message,
    replay,
    send_message,
    set_camera,
    speak_opening,
)
from ui.login import NAME_BAD, NAME_EMPTY, come_back, join_class, restore_session, sign_out, start_session
from ui.resume import FORGOTTEN
from ui.screen import Screen, UserError, new_user_state

pytestmark = pytest.mark.slow  # loads every model once (module fixture) and renders clips

SKIP = gr.skip()


@pytest.fixture(scope="module")
def services():
    return services_for(shared_data_dir())


def _client() -> SimpleNamespace:
    """What the rate limits read from a gr.Request: a tab of its own (direct calls otherwise
    share one budget across the whole test module)."""
    key = uuid.uuid4().hex
    return SimpleNamespace(session_hash=key, client=SimpleNamespace(host=f"test-{key[:8]}"))


def _screens(gen) -> list[Screen]:
    return [Screen.of(v) for v in gen]


def _reply_feeds(screens: list[Screen]) -> list[dict]:
    """The avatar feeds that carry a reply (its chunks so far) among a handler's yields."""
    return [f for s in screens if (f := read_feed(s.avatar)) and f["reply"]]


def _chunk_path(url: str) -> Path:
    return Path(url.split("file=", 1)[1])


def _note(screen: Screen, where: str) -> str:
    note = screen.start_note if where == "start" else screen.answer_note
    assert isinstance(note, str) and f'id="{where}-note"' in note, note
    return note


def _only(screen: Screen, *names: str) -> None:
    """Every output except `names` is left as it was (no panel changes, nothing marked)."""
    for name, value in vars(screen).items():
        if name not in names:
            assert value == SKIP, (name, value)


def test_bad_names_and_topics_get_a_friendly_note_beside_the_form_and_nothing_else_moves(services) -> None:
    state = new_user_state()
    for name, topic, expect in (
        ("", "fractions", NAME_EMPTY),
        ("   ", "fractions", NAME_EMPTY),
        ("jane@example.com", "fractions", NAME_BAD),
        ("x" * 41, "fractions", NAME_BAD),
        ("blue fox", "astrology", "topic"),
    ):
        screen = Screen.of(start_session(services, state, name, topic))  # never raises
        assert expect in _note(screen, "start").replace("&#x27;", "'").replace("&quot;", '"') or expect == NAME_BAD
        _only(screen, "start_note")
    assert state.session is None
    screen = _screens(send_message(services, state, "3/4"))
    assert len(screen) == 1 and NOT_STARTED.split(":")[0] in _note(screen[0], "answer")
    _only(screen[0], "answer_note")  # the answer box keeps what was typed


def test_practice_names_may_hold_spaces_and_any_letters(services) -> None:
    state = new_user_state()
    screen = Screen.of(start_session(services, state, "  Zoë   the fox ", "fractions"))
    assert state.session.student == "Zoë the fox"
    assert "Hi Zoë the fox!" in screen.status and 'data-busy="true"' in screen.status
    assert screen.start_note == "" and screen.answer_note == "" and screen.box == ""


def test_start_shows_named_skills_not_started_typeset_problem_and_a_resume_token(services) -> None:
    state = new_user_state()
    screen = Screen.of(start_session(services, state, "ui h 1", "fractions"))
    session = state.session
    assert screen.chat == state.messages and screen.chat[0]["role"] == "assistant"
    assert "$\\frac{" in screen.chat[0]["content"]  # the opening's fraction is typeset
    skill = services.tutor.curriculum.skills[session.problem.skill]
    assert skill.name in screen.problem and "$\\frac{" in screen.problem and "level" in screen.problem
    for sid in session.mastery:
        name = services.tutor.curriculum.skills[sid].name
        assert name in screen.mastery and f"{sid}</span>" not in screen.mastery
    assert screen.mastery.count("not started") == len(session.mastery)  # no evidence yet
    assert session.id not in screen.token and services.tokens.read(screen.token).session_id == session.id
    assert screen.replay.interactive is False  # nothing spoken yet


def test_the_opening_is_spoken_then_can_be_replayed(services) -> None:
    state = new_user_state()
    start_session(services, state, "ui-h-open", "fractions")
    screens = _screens(speak_opening(services, state))
    feeds = _reply_feeds(screens)
    chunks = feeds[-1]["chunks"]
    assert feeds[-1]["done"] and chunks and chunks[0]["caption"]  # spoken, and captioned
    assert any(s.replay != SKIP and s.replay.interactive for s in screens)
    opening = services.tutor.transcript(state.session.id)[0]
    assert opening["clip_ref"] == f"{_chunk_path(chunks[0]['sheet']).stem}+{len(chunks)}"
    (again,) = _reply_feeds(_screens(replay(services, state)))
    assert again["chunks"] == chunks and again["done"] and again["reply"] != feeds[-1]["reply"]
    assert _screens(speak_opening(services, state))[0] == Screen()  # spoken once only


def test_reply_text_comes_first_then_the_performance_chunk_by_chunk_and_the_mood(services) -> None:
    state = new_user_state()
    start_session(services, state, "ui-h-2", "fractions")
    answer = state.session.problem.answer
    skill = state.session.problem.skill
    gen = send_message(services, state, answer, request=_client())
    first = Screen.of(next(gen))
    assert first.state is state and first.box == "" and first.answer_note == ""
    assert first.chat[-2] == {"role": "user", "content": answer}
    assert first.chat[-1]["role"] == "assistant" and first.chat[-1]["content"]
    assert 'data-busy="true"' in first.status  # the wait is announced before any clip exists
    assert 'id="mood-indicator"' in first.mood and "from your messages" in first.mood  # camera off
    row = first.mastery.split(f'data-skill="{skill}"')[1].split("</div>")[0]
    assert "not started" not in row and "%" in row  # evidence now
    rest = _screens(gen)
    feeds = _reply_feeds(rest)
    assert len({f["reply"] for f in feeds}) == 1 and feeds[-1]["done"]  # one reply, its chunks growing
    chunks = feeds[-1]["chunks"]
    counts = [len(f["chunks"]) for f in feeds]  # each chunk at once (the last one with the end: one update)
    assert counts == sorted(set(counts)) and counts[0] == 1 and counts[-1] == len(chunks) > 1
    turn = services.tutor.transcript(state.session.id)[-1]
    assert turn["correct"] is True and turn["student_text"] == answer
    size, fps = services.avatar.size, feeds[-1]["fps"]
    for chunk in chunks:  # frames at the rendered size; speech exactly as long as the frames
        sheet = cv2.imread(str(_chunk_path(chunk["sheet"])))
        assert sheet.shape[1] == SHEET_COLUMNS * size and sheet.shape[0] == size * -(-chunk["n"] // SHEET_COLUMNS)
        audio, rate = sf.read(str(_chunk_path(chunk["audio"])))
        assert abs(len(audio) - chunk["n"] * rate / fps) <= 1
    assert sum(c["sentence_n"] for c in chunks) == sum(c["n"] for c in chunks)  # each sentence's length, told first
    captions = " ".join(c["caption"] for c in chunks if c["caption"])
    assert " ".join(captions.split()) == " ".join(turn["spoken"].split())  # every sentence captioned, in order
    assert turn["clip_ref"] == f"{_chunk_path(chunks[0]['sheet']).stem}+{len(chunks)}"
    assert 'data-busy="true"' not in str(rest[-1].status)  # the spinner is gone at the end


def test_messages_that_cannot_be_sent_get_a_note_and_keep_the_typed_text(services) -> None:
    state = new_user_state()
    start_session(services, state, "ui-h-notes", "fractions")
    for text, expect in (("   ", "Type an answer"), ("x" * 6000, "too long")):
        (screen,) = _screens(send_message(services, state, text))
        assert expect in _note(screen, "answer")
        _only(screen, "answer_note")
    assert len(services.tutor.transcript(state.session.id)) == 1  # nothing was logged
    tab = _client()
    screens = [Screen.of(next(send_message(services, state, "is it 3?", request=tab))) for _ in range(6)]
    assert "very quickly" in _note(screens[-1], "answer")  # typing too fast: a note, not an error
    _only(screens[-1], "answer_note")


def test_quick_buttons_send_their_message(services) -> None:
    state = new_user_state()
    start_session(services, state, "ui-h-3", "fractions")
    first = Screen.of(next(quick_message(services, state, "hint", request=_client())))  # the clip is not awaited here
    assert first.chat[-2] == {"role": "user", "content": QUICK_MESSAGES["hint"][0]}
    last = services.tutor.transcript(state.session.id)[-1]
    assert last["intent"] == "hint_request" and last["move"] in ("hint", "worked_example", "reassure")
    before = state.session.problem
    next(quick_message(services, state, "next", request=_client()))  # "Next" = the skip act: a new problem
    last = services.tutor.transcript(state.session.id)[-1]
    assert last["intent"] == "skip" and state.session.problem is not None and state.session.problem != before
    with pytest.raises(UserError):
        next(quick_message(services, state, "shout"))


def test_a_reload_comes_back_to_the_same_session_with_everything_on_screen(services) -> None:
    tab = new_user_state()
    token = Screen.of(start_session(services, tab, "ui h reload", "percentages")).token
    first = Screen.of(next(send_message(services, tab, "I am not sure", request=_client())))
    reloaded = new_user_state()  # a reload or a reopened tab: a fresh gr.State, the same BrowserState
    screen = Screen.of(restore_session(services, reloaded, token))
    assert reloaded.session.id == tab.session.id
    assert [m["content"] for m in screen.chat[: len(first.chat)]] == [m["content"] for m in first.chat]
    assert "Welcome back" in screen.chat[-1]["content"] and screen.problem == first.problem
    assert screen.name == "ui h reload" and screen.topic == "percentages"
    assert "Welcome back, ui h reload" in screen.status
    for bad in ("", None, token[:-4] + "AAAA", "not a token"):
        fresh = new_user_state()
        out = Screen.of(restore_session(services, fresh, bad))
        assert fresh.session is None and out.chat == SKIP  # a stale or forged token resumes nothing
    services.tutor.delete_student("ui h reload")
    gone = Screen.of(restore_session(services, new_user_state(), token))
    assert gone.token == FORGOTTEN  # deleted meanwhile: the browser forgets the token ("" is never stored)


def test_after_a_reload_say_it_again_performs_the_last_spoken_reply(services) -> None:
    """The clips went with the old tab: "Say it again" was disabled after a reload (tutor8). Now it
    performs the last reply the avatar said again, from the log."""
    tab = new_user_state()
    token = Screen.of(start_session(services, tab, "ui h say again", "fractions")).token
    spoken = _reply_feeds(_screens(speak_opening(services, tab)))[-1]
    reloaded = new_user_state()
    screen = Screen.of(restore_session(services, reloaded, token))
    assert screen.replay.interactive is True and reloaded.last_clips == []
    again = _reply_feeds(_screens(replay(services, reloaded)))
    assert again and again[-1]["done"] and again[-1]["reply"] != spoken["reply"]
    assert [c["caption"] for c in again[-1]["chunks"]] == [c["caption"] for c in spoken["chunks"]]  # the same words
    assert reloaded.last_clips  # a second click plays these clips, no new render
    logged = services.tutor.transcript(tab.session.id)[0]
    assert logged["clip_ref"] == f"{_chunk_path(spoken['chunks'][0]['sheet']).stem}+{len(spoken['chunks'])}"


def test_signing_in_puts_the_way_in_away_and_signing_out_brings_it_back(services) -> None:
    state = new_user_state()
    started = Screen.of(start_session(services, state, "ui h sign out", "fractions"))
    assert started.login_panel.visible is False and started.sign_out.visible is True
    session = state.session
    out = Screen.of(sign_out(services, state))
    assert out.login_panel.visible is True and out.sign_out.visible is False
    assert state.session is None and out.chat == [] and out.token == FORGOTTEN and out.name == ""  # a shared computer
    assert "signed out" in out.status and services.tutor.resume_session(session.id).id == session.id  # resumable
    again = Screen.of(start_session(services, state, "ui h sign out 2", "percentages"))
    assert again.login_panel.visible is False and state.session.id != session.id


def test_join_shows_the_come_back_code_once_and_the_code_brings_progress_back(services) -> None:
    tutor, teacher = services.tutor, f"t-{uuid.uuid4().hex[:6]}"
    tutor.create_teacher(teacher, "a long teacher password")
    cls = tutor.create_class(teacher, "a long teacher password", "7B maths")
    state = new_user_state()
    wrong = Screen.of(join_class(services, state, "AAA-BBB-CCC", "river otter", "fractions"))
    assert "class" in _note(wrong, "start") and state.session is None
    _only(wrong, "start_note")
    screen = Screen.of(join_class(services, state, cls.code.lower(), "river otter", "fractions"))
    code = screen.code.constructor_args["value"]
    assert screen.code.visible and len(code.split("-")) == 6 and screen.code_help.visible
    assert "river otter" in screen.status and "~" not in screen.status
    next(send_message(services, state, state.session.problem.answer, request=_client()))
    learned = dict(state.session.mastery)
    later = new_user_state()
    back = Screen.of(come_back(services, later, code.upper().replace("-", " "), "fractions"))
    assert later.session.student == state.session.student and back.code == SKIP  # shown once only
    assert any(later.session.mastery[s] >= learned[s] - 0.05 > 0.3 for s in learned)  # carried over
    assert "not started" in back.mastery and back.mastery.count("not started") < len(learned)
    nobody = Screen.of(come_back(services, new_user_state(), "acorn tiger lemon boat cloud seven", "fractions"))
    assert _note(nobody, "start")


def test_camera_is_one_switch_and_frames_update_the_mood(services) -> None:
    state = new_user_state()
    face = astronaut_face()
    assert observe_frame(services, state, face) is None  # no consent: the frame is not analysed
    state, token, mood, button = set_camera(services, state, True)
    assert len(token) >= 40 and services.cameras.state_of(token) is state  # the page's frame token
    assert mood == "" and "off" in button.value  # nothing to show yet
    assert observe_frame(services, state, face) is None  # before Start: dropped unread
    start_session(services, state, "ui-h-4", "fractions")
    html = observe_frame(services, state, face)  # read by this session's own reader
    assert html and re.search(r'data-state="(engaged|delighted|neutral|confused|frustrated|bored|anxious)"', html)
    assert "from your camera" in html and state.session._face is not None and state.mood is not None
    with contextlib.ExitStack() as busy:  # other students' frames take every analysis slot right now
        for _ in range(services.frames.parallel):
            assert busy.enter_context(services.frames.admit())
        assert observe_frame(services, state, face) is None  # dropped, not queued
    assert "from your camera" in (observe_frame(services, state, face) or "")
    assert "can't see your face" in (observe_frame(services, state, face * 0) or "")  # no face: said so
    state, off, mood, button = set_camera(services, state, False)
    assert off == "" and services.cameras.state_of(token) is None  # the token stops working
    assert mood == "" and "on" in button.value
    assert observe_frame(services, state, face) is None


def test_each_tab_keeps_its_own_conversation(services) -> None:
    a, b = new_user_state(), new_user_state()
    start_session(services, a, "ui-h-5a", "fractions")
    start_session(services, b, "ui-h-5b", "percentages")
    next(send_message(services, a, "I'm not sure", request=_client()))
    assert len(a.messages) == 3 and len(b.messages) == 1
    assert a.session.id != b.session.id and b.session.student == "ui-h-5b"


def test_a_new_message_stops_the_previous_reply_clip(services) -> None:
    state = new_user_state()
    start_session(services, state, "ui-h-7", "fractions")
    tab = _client()
    older = send_message(services, state, "is it 1/2?", request=tab)
    next(older)  # its text is on screen; its clip has not started
    newer = send_message(services, state, "Can I have a hint?", request=tab)
    assert Screen.of(next(newer)).chat[-2]["content"] == "Can I have a hint?"
    assert list(older) == []  # the older reply puts nothing more on screen
    newer.close()  # closing (a client that went away) cancels the newer render too
