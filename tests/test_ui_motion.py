"""The browser path's server side (issue 15) over the real services: the page's #avatar-mode
chooses speech + motion (ui/motion.py) instead of rendered frames; the teacher still hears the
reply, rendered here from the very rows the page drew (or performed again once they are gone)."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import cv2
import numpy as np
import pytest
import soundfile as sf
from ui_harness import read_stream, served_path, services_for, shared_data_dir

from gan.rig.wire import read_rows
from ui.avatar import read_feed
from ui.handlers import quick_message, replay, send_message, speak_opening
from ui.login import join_class
from ui.screen import Screen, UserError, new_user_state
from ui.teacher.replay import replay as teacher_replay

pytestmark = pytest.mark.slow  # loads every model once (module fixture)

PASSWORD = "a long enough teacher password"


@pytest.fixture(scope="module")
def services() -> Any:
    return services_for(shared_data_dir())


def _client() -> SimpleNamespace:
    key = uuid.uuid4().hex
    return SimpleNamespace(session_hash=key, client=SimpleNamespace(host=f"test-{key[:8]}"))


def _path(url: str) -> Path:
    return served_path(services_for(shared_data_dir()), url)


def _feeds(gen: Any) -> list[dict]:
    """The avatar feeds a handler yields, each browser-path reply's first one followed by what its
    stream published (the handler has run to its end: every part is there)."""
    shown = [f for v in gen if (f := read_feed(Screen.of(v).avatar))]
    streams = services_for(shared_data_dir()).streams
    return [g for f in shown for g in [f, *(streams.published(f["stream"].rsplit("/", 1)[1]) if "stream" in f else [])]]


@pytest.fixture(scope="module")
def classroom(services: Any) -> dict[str, Any]:
    """A teacher's class and a student in it whose page renders the avatar (the opening spoken)."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    services.tutor.create_teacher(name, PASSWORD)
    view = services.tutor.teacher(name, PASSWORD)
    info = view.create_class("7C")
    state = new_user_state()
    joined = read_feed(Screen.of(join_class(services, state, info.code, "owl", "fractions", "browser",
                                            request=_client())).avatar)
    assert joined is not None and joined["mode"] == "browser"
    assert joined["idle"]["motion"].split("?")[0].endswith(".rig")
    feeds = _feeds(speak_opening(services, state, "browser"))
    return {"token": view.token, "state": state, "opening": feeds}


def test_browser_mode_sends_motion_rows_and_speech_per_sentence_never_frames(services: Any, classroom: dict) -> None:
    state = classroom["state"]
    before = set(services.clips.chunk_dir.glob("*.jpg"))
    feeds = _feeds(send_message(services, state, "I think it is 1/2", "browser", request=_client()))
    assert state.avatar_mode == "browser"
    opened, *replies = feeds  # with the text: the reply's stream (no part yet) and the idle loop
    assert opened["mode"] == "browser" and opened["reply"] and opened["chunks"] == [] and opened["idle"]["n"] == 75
    assert opened["stream"].startswith("avatar-feed/reply/") and not any("stream" in f for f in replies)
    assert {f["reply"] for f in replies} == {opened["reply"]} and len(replies) >= 1
    assert read_rows(_path(opened["idle"]["motion"])).shape == (75, 38)  # 3 s at 25 fps
    last = replies[-1]
    assert last["done"] and last["mode"] == "browser" and not last["shortened"]
    assert [len(f["chunks"]) for f in replies] == sorted(len(f["chunks"]) for f in replies)  # they grow
    spoken = services.tutor.transcript(state.session.id)[-1]["spoken"]
    assert last["sentences"] == len(last["chunks"]) >= 1  # every sentence spoken, one part each
    assert " ".join(c["caption"] for c in last["chunks"]) == " ".join(spoken.split())
    for chunk in last["chunks"]:
        assert "sheet" not in chunk and chunk["sentence_n"] == chunk["n"]
        rows = read_rows(_path(chunk["motion"]))
        audio, rate = sf.read(_path(chunk["audio"]), dtype="float32")
        assert rows.shape == (chunk["n"], 38) and len(audio) == round(chunk["n"] * rate / last["fps"])
        assert np.abs(audio).max() > 0.05 and rows[:, 7].max() > 0.1  # a voice, and the jaw (jawOpen) moves
    assert set(services.clips.chunk_dir.glob("*.jpg")) == before  # no frame was rendered for it
    ref = services.tutor.transcript(state.session.id)[-1]["clip_ref"]
    assert ref == f"rig:{_path(last['chunks'][0]['motion']).stem.rsplit('-', 1)[0]}+{len(last['chunks'])}"
    (again,) = [f for f in _feeds(replay(services, state, "browser")) if f["reply"]]
    assert again["chunks"] == last["chunks"] and again["mode"] == "browser"
    # The page fell back to the server path since: the same rows are rendered here for it.
    drawn = [f for f in _feeds(replay(services, state, "server")) if f["reply"]]
    assert drawn[-1]["done"] and "mode" not in drawn[-1] and drawn[-1]["chunks"][0]["sheet"].endswith(".jpg")
    assert sum(c["n"] for c in drawn[-1]["chunks"]) == sum(c["n"] for c in last["chunks"])
    assert [c["caption"] for c in drawn[-1]["chunks"] if c["caption"]] == [c["caption"] for c in last["chunks"]]


def test_without_the_mode_replies_are_rendered_on_the_server_as_before(services: Any) -> None:
    state = new_user_state()
    from ui.login import start_session

    start_session(services, state, "plain client", "fractions")
    first = Screen.of(next(quick_message(services, state, "hint", request=_client())))
    assert state.avatar_mode == "server" and "mode" not in (read_feed(first.avatar) or {})
    with pytest.raises(UserError, match="avatar mode"):
        next(send_message(services, state, "3/4", "webgl", request=_client()))


def test_the_teacher_replays_the_rows_the_page_drew_then_the_text_once_they_are_gone(
    services: Any, classroom: dict
) -> None:
    token, state = classroom["token"], classroom["state"]
    sid = state.session.id
    opening = classroom["opening"][-1]
    assert opening["done"] and opening["mode"] == "browser"
    assert services.tutor.transcript(sid)[0]["clip_ref"].startswith("rig:")
    feeds = [read_feed(f) for f in teacher_replay(services, token, sid, 0)]
    chunks = feeds[-1]["chunks"]
    assert feeds[-1]["done"] and "mode" not in feeds[-1] and all(c["sheet"].endswith(".jpg") for c in chunks)
    # The very voice the student heard (piper never says a sentence the same way twice) ...
    heard = np.concatenate([sf.read(_path(c["audio"]), dtype="int16")[0] for c in opening["chunks"]])
    replayed = np.concatenate([sf.read(_path(c["audio"]), dtype="int16")[0] for c in chunks])
    assert np.array_equal(replayed, heard)
    # ... and the frames the page drew from the same rows (JPEG quality 90 on the sheet).
    rows = read_rows(_path(opening["chunks"][0]["motion"]))
    frames = services.avatar.render_rows(rows[: chunks[0]["n"]])
    sheet = cv2.imread(str(_path(chunks[0]["sheet"])))[..., ::-1]
    size = frames.shape[1]
    first = sheet[:size, :size].astype(np.float32)
    assert np.abs(first - frames[0]).mean() < 4.0
    assert [c["caption"] for c in chunks if c["caption"]] == [c["caption"] for c in opening["chunks"]]
    for chunk in opening["chunks"]:  # the clip store swept them (15 minutes)
        _path(chunk["motion"]).unlink()
    feeds = [read_feed(f) for f in teacher_replay(services, token, sid, 0)]
    spoken = services.tutor.transcript(sid)[0]["spoken"]
    assert feeds[-1]["done"] and " ".join(c["caption"] for c in feeds[-1]["chunks"] if c["caption"]) == " ".join(
        spoken.split()
    )


def test_many_replies_at_once_are_spoken_whole_first_sentences_first(services: Any) -> None:
    """Nothing is shed under load, and a reply's first sentence does not wait for others' tails
    (earliest deadline first: a later sentence is due only when the page will have played the
    ones before it)."""
    text = ("Let's look at this one together. First we find a common denominator for both fractions. "
            "Then we add the numerators and keep the denominator. Finally we simplify the answer if we can.")
    jobs = [services.motion.submit(text, "encouraging", 0.7) for _ in range(6)]
    arrivals: list[tuple[float, int, int]] = []
    lock = threading.Lock()
    t0 = time.perf_counter()

    def drain(i: int) -> None:
        index = 0
        while (part := jobs[i].parts.get(timeout=120)) is not None:
            assert not isinstance(part, BaseException), part
            with lock:
                arrivals.append((time.perf_counter() - t0, i, index))
            index += 1

    threads = [threading.Thread(target=drain, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(not j.shortened and j.sentences == 4 for j in jobs)
    assert sorted((i, k) for _, i, k in arrivals) == [(i, k) for i in range(6) for k in range(4)]  # all spoken
    last_first = max(t for t, _, k in arrivals if k == 0)
    first_done = max(t for t, i, _ in arrivals if i == 0)
    assert last_first < first_done, arrivals  # the 6th reply started before the 1st one finished
    assert services.motion.waiting() == 0


def test_over_the_api_the_mode_is_an_input_of_every_reply_event_and_defaults_to_the_server(services: Any) -> None:
    import httpx
    from gradio_client import Client
    from ui_harness import live_app

    app = live_app()
    config = httpx.get(f"{app.url}config", timeout=30).json()
    (mode_id,) = [c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == "avatar-mode"]
    named = {d.get("api_name"): d for d in config["dependencies"]}
    for name in ("send", "hint", "confused", "next", "replay", "speak_opening", "speak_after_join",
                 "speak_after_come_back"):
        assert mode_id in named[name]["inputs"], name
    client = Client(app.url, verbose=False, download_files=False)
    client.predict("api-motion", "fractions", api_name="/start")
    plain = [f for o in client.submit("is it 2/3?", api_name="/send") if (f := read_feed(o[5])) and f["reply"]]
    assert plain[-1]["done"] and "mode" not in plain[-1] and plain[-1]["chunks"][0]["sheet"].endswith(".jpg")
    job = client.submit("is it 3/4?", "browser", api_name="/send")
    opened = read_feed(next(iter(job))[5])  # the text's update names the reply's stream
    assert opened is not None and opened["reply"] and opened["chunks"] == []
    feeds = read_stream(app.url, opened)  # over HTTP, as the page's EventSource reads it
    assert [f["reply"] for f in feeds] == [opened["reply"]] * len(feeds) and feeds[-1]["done"]
    assert [len(f["chunks"]) for f in feeds] == sorted(len(f["chunks"]) for f in feeds)
    assert feeds[-1]["mode"] == "browser" and len(feeds[-1]["chunks"]) == feeds[-1]["sentences"]
    job.result(timeout=120)
    assert not any((read_feed(o[5]) or {}).get("chunks") for o in job.outputs())  # no part went through Gradio
    chunk = feeds[-1]["chunks"][0]
    got = httpx.get(app.url + chunk["motion"], timeout=30)
    assert got.status_code == 200 and len(got.content) == chunk["n"] * 38 * 4  # what the page fetches
    assert httpx.get(app.url + chunk["audio"], timeout=30).content[:4] == b"RIFF"
