"""The webcam frames' own route (ui/camera.py) over real HTTP, with the real models.

A frame is a JPEG POSTed to tutor/frame with the token the camera button's answer carried, as the
page's ui/camera.js does (bench/browser_protocol.py `Camera` speaks the same protocol). Checked: a
face's mood reaches the tab's state and the tutor's next turn; a missing, wrong or revoked token is
403; too big 413; not a JPEG 400/415; too fast 429 with Retry-After; the decoder on its own.
"""

from __future__ import annotations

import io
import time
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image
from reliability_http import App, Camera, ManualClock, Tab, app_with_limits, jpeg_bytes
from ui_harness import astronaut_face

from ui.camera import FrameRefusedError, decode_jpeg

FACE = jpeg_bytes(astronaut_face())


def test_decode_reads_a_jpeg_and_refuses_anything_else() -> None:
    rgb = decode_jpeg(FACE, max_side=1280)
    assert rgb.shape == (240, 320, 3) and rgb.dtype == np.uint8
    assert np.abs(rgb.astype(int) - astronaut_face().astype(int)).mean() < 6  # the same picture
    png = io.BytesIO()
    Image.fromarray(astronaut_face()).save(png, "PNG")
    cases = [(png.getvalue(), 400), (FACE[: len(FACE) // 2], 400), (b"", 400), (FACE, 413)]
    for body, status in cases:
        with pytest.raises(FrameRefusedError) as err:
            decode_jpeg(body, max_side=1280 if status != 413 else 300)
        assert err.value.status == status and str(err.value).endswith(".")


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="module")
def app(clock: ManualClock) -> App:
    return app_with_limits(clock=clock)  # the shipped limits; their time moves only when a test advances it


def _camera_on(app: App, name: str, start: bool = True) -> tuple[Tab, Camera]:
    tab = Tab(app.url)
    if start:
        assert tab.call("start", [None, f"{name}-{tab.session_hash[:6]}", "fractions", "server"]).success
    cam = Camera(tab)
    assert cam.toggle().success and len(cam.token) >= 40
    return tab, cam


def _post(app: App, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{app.url}tutor/frame", content=body, headers=headers, timeout=60)


@pytest.mark.slow
def test_a_face_frame_reaches_the_mood_panel_and_the_tutor(app: App) -> None:
    tab, cam = _camera_on(app, "cam-mood")
    state: Any = app.services.cameras.state_of(cam.token)
    assert state is not None and state.camera_on and state.mood is None
    answer = cam.send(FACE)
    assert answer.status == 200 and answer.analysed, answer
    assert 'id="mood-indicator"' in answer.mood and "from your camera" in answer.mood  # the panel's own html
    assert state.mood is not None  # the tab's state holds the reading...
    done = tab.call("send", [None, "is it 3/4?", "server"])
    assert done.success
    sid = str(app.services.tutor.list_sessions(student=state.student)[0]["id"])
    assert app.services.tutor.transcript(sid)[-1]["face_affect"]  # ...and the tutor's turn used it
    blank = cam.send(jpeg_bytes(np.zeros((240, 320, 3), np.uint8)))
    assert blank.analysed and "can't see your face" in blank.mood
    cam.close()
    tab.close()


@pytest.mark.slow
def test_frames_need_the_tabs_live_token(app: App) -> None:
    jpeg = {"Content-Type": "image/jpeg"}
    assert _post(app, FACE, jpeg).status_code == 403  # no token
    assert _post(app, FACE, {**jpeg, "X-Camera-Token": "x" * 43}).status_code == 403  # a made-up one
    tab, cam = _camera_on(app, "cam-token")
    other_tab, other = _camera_on(app, "cam-other")
    assert cam.token != other.token
    assert cam.send(FACE).status == 200
    token = cam.token
    cam.toggle()  # camera off: its token stops working at once
    assert cam.token == "" and cam.send(FACE, token=token).status == 403
    assert other.send(FACE).status == 200  # another tab's camera goes on
    cam.toggle()  # on again: a new token
    assert cam.send(FACE).status == 200
    # The tab's Gradio session ends (gr.State's delete callback): its token dies with it.
    from ui.login import end_session

    state = app.services.cameras.state_of(other.token)
    token = other.token
    end_session(app.services, state)
    assert other.send(FACE, token=token).status == 403 and not state.camera_on
    for c in (cam, other):
        c.close()
    tab.close()
    other_tab.close()


@pytest.mark.slow
def test_frames_before_start_are_dropped_unread(app: App) -> None:
    tab, cam = _camera_on(app, "cam-early", start=False)
    answer = cam.send(FACE)
    assert answer.status == 200 and not answer.analysed and answer.mood == ""
    cam.close()
    tab.close()


@pytest.mark.slow
def test_too_big_or_too_fast_is_refused_with_a_reason(app: App, clock: ManualClock) -> None:
    tab, cam = _camera_on(app, "cam-limits")
    headers = {"Content-Type": "image/jpeg", "X-Camera-Token": cam.token}
    huge = _post(app, FACE + b"\0" * app.config.server.frame_max_bytes, headers)
    assert huge.status_code == 413 and "bytes" in huge.json()["error"]
    assert _post(app, b"\xff\xd8\xff garbage", headers).status_code == 400
    # The limiter's clock stands still while the requests run, so the budget is exact however long
    # a busy machine takes to answer each frame.
    limit = app.services.limits.limits.frame_session
    left = limit.burst - 2  # the two refusals above spent a token each
    statuses = [cam.send(FACE).status for _ in range(10)]  # a burst far above the page's 2 a second
    assert statuses == [200] * left + [429] * (10 - left), statuses
    r = _post(app, FACE, headers)
    retry_after = int(r.headers["Retry-After"])
    assert r.status_code == 429 and retry_after >= 1 and "2 a second" in r.json()["error"]
    clock.advance(retry_after)  # Retry-After tells the truth: then the refilled budget passes, no more
    refilled = min(limit.burst, int(limit.per_second * retry_after))
    statuses = [cam.send(FACE).status for _ in range(refilled + 2)]
    assert statuses == [200] * refilled + [429] * 2, statuses
    for _ in range(6):  # the page's pace (2 a second) goes on being analysed
        clock.advance(0.5)
        assert cam.send(FACE).status == 200
    cam.close()
    tab.close()


@pytest.mark.slow
def test_a_face_reader_process_that_dies_costs_one_frame(app: App) -> None:
    import os
    import signal

    tab, cam = _camera_on(app, "cam-crash")
    assert cam.send(FACE).analysed
    state: Any = app.services.cameras.state_of(cam.token)
    os.kill(state.session._face.pid, signal.SIGKILL)  # the face reader child reading this tab (face_process.py)
    lost = _post(app, FACE, {"Content-Type": "image/jpeg", "X-Camera-Token": cam.token})
    assert lost.status_code == 503 and "restarted" in lost.json()["error"]
    time.sleep(1.0)  # the page's pace (the rate limit's budget)
    again = cam.send(FACE)
    assert again.status == 200 and again.analysed and "from your camera" in again.mood  # the new child reads it
    cam.close()
    tab.close()


def test_the_size_comes_from_the_header_and_odd_jpegs_decode_or_are_refused() -> None:
    from ui.camera import jpeg_size

    face = astronaut_face()
    assert jpeg_size(FACE) == (320, 240)
    progressive = io.BytesIO()
    Image.fromarray(face).save(progressive, "JPEG", quality=80, progressive=True)
    rgb = decode_jpeg(progressive.getvalue(), max_side=1280)  # what some browsers' encoders write
    assert rgb.shape == (240, 320, 3) and np.abs(rgb.astype(int) - face.astype(int)).mean() < 6
    grey = io.BytesIO()
    Image.fromarray(face[:, :, 0]).save(grey, "JPEG")
    assert decode_jpeg(grey.getvalue(), max_side=1280).shape == (240, 320, 3)  # one channel -> RGB
    # A header claiming 60000x60000 px is refused from the header: nothing that big is decoded.
    sof = FACE.index(b"\xff\xc0")
    giant = FACE[: sof + 5] + (60000).to_bytes(2, "big") * 2 + FACE[sof + 9 :]
    with pytest.raises(FrameRefusedError) as err:
        decode_jpeg(giant, max_side=1280)
    assert err.value.status == 413 and "60000x60000" in str(err.value)
    for body in (b"\xff\xd8\xff" + bytes(50), FACE[:sof], FACE[:-2], b"\xff\xd8"):  # no size / cut short / no data
        with pytest.raises(FrameRefusedError) as err:
            decode_jpeg(body, max_side=1280)
        assert err.value.status == 400, body[:20]


@pytest.mark.slow
def test_frames_yield_to_a_reply_waiting_for_its_first_sentence(app: App) -> None:
    """ServerConfig.frames_yield: a frame finding another in analysis is dropped while a reply waits to be spoken."""
    import dataclasses
    from types import SimpleNamespace

    from ui.camera import FrameRoute

    route = FrameRoute(app.services)
    motion = app.services.motion
    assert motion.waiting() == 0 and not route._replies_first()
    with motion._lock:  # a reply queued for its first sentence (as MotionWriter.submit counts it)
        motion._unstarted += 1
    try:
        assert route._replies_first()
        server = dataclasses.replace(app.services.config.server, frames_yield=False)
        config = dataclasses.replace(app.services.config, server=server)
        route.services = SimpleNamespace(config=config, motion=motion)  # type: ignore[assignment]
        assert not route._replies_first()
    finally:
        with motion._lock:
            motion._unstarted -= 1
