"""A browser tab's side of Gradio's queue protocol, for load benchmarks and HTTP tests.

No client library in between: events join the queue (POST /gradio_api/queue/join), results
arrive on one server-sent-event stream per tab (GET /gradio_api/queue/data). The webcam is not a
Gradio event: the camera button's answer carries a token, and each frame is POSTed as a JPEG to
the app's own route (tutor/frame) with it, exactly as the page's ui/camera.js does (`Camera`).
Every message is time-stamped on arrival so latencies can be measured.
"""

from __future__ import annotations

import base64
import io
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np


def jpeg_bytes(rgb: np.ndarray, quality: int = 80) -> bytes:
    """A frame encoded as the page's camera sends it (canvas.toBlob('image/jpeg', 0.8), ui/camera.js)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def jpeg_data_url(rgb: np.ndarray, quality: int = 85) -> str:
    """A frame as a data URL (what Gradio's image components take)."""
    return "data:image/jpeg;base64," + base64.b64encode(jpeg_bytes(rgb, quality)).decode()


def fn_indices(url: str) -> dict[str, int]:
    """api_name -> fn_index of every event of the app."""
    config = httpx.get(f"{url}config", timeout=30).json()
    return {str(d.get("api_name")): int(d.get("id", i)) for i, d in enumerate(config["dependencies"])}


def input_elem_ids(url: str) -> dict[str, list[str]]:
    """api_name -> the elem_id of each of its inputs, in order ("" for inputs without one): where a
    page's hidden input (e.g. #avatar-mode) sits among an event's inputs."""
    config = httpx.get(f"{url}config", timeout=30).json()
    elem = {c["id"]: str(c.get("props", {}).get("elem_id") or "") for c in config["components"]}
    return {str(d.get("api_name")): [elem.get(i, "") for i in d.get("inputs", [])] for d in config["dependencies"]}


@dataclass
class Event:
    """One queued event and the (arrival time, message) pairs it received."""

    event_id: str
    sent_at: float
    messages: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    # Called with (arrival time, message) on the reader thread as each message arrives, as a page's
    # own code reacts at once (e.g. fetches the files an update names); must not block.
    listener: Callable[[float, dict[str, Any]], None] | None = None

    @property
    def completed(self) -> dict[str, Any]:
        return self.messages[-1][1] if self.messages else {}

    @property
    def success(self) -> bool:
        return bool(self.completed.get("success"))

    def first_time(self, predicate: Any) -> float | None:
        """Seconds from sending to the first message whose JSON text satisfies `predicate`."""
        for t, msg in self.messages:
            if predicate(json.dumps(msg)):
                return t - self.sent_at
        return None


class Tab:
    """One browser tab: a session hash, one SSE reader, events dispatched by id."""

    def __init__(self, url: str, fns: dict[str, int] | None = None, timeout: float = 300.0) -> None:
        self.url = url
        self.session_hash = uuid.uuid4().hex
        self.fns = fns or fn_indices(url)
        self.timeout = timeout
        self._http = httpx.Client(timeout=timeout)
        self._events: dict[str, Event] = {}
        self._early: dict[str, list[tuple[float, dict[str, Any]]]] = {}
        self._lock = threading.Lock()
        self._pending = 0
        self._wake = threading.Event()
        self._closed = False
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()

    def submit(
        self, api: str, data: list[Any], listener: Callable[[float, dict[str, Any]], None] | None = None
    ) -> Event:
        """Join the queue with `data` (None in place of gr.State inputs); returns at once."""
        payload = {"data": data, "fn_index": self.fns[api], "session_hash": self.session_hash,
                   "event_data": None, "trigger_id": None}  # fmt: skip
        sent = time.monotonic()
        with self._lock:
            self._pending += 1
        r = self._http.post(f"{self.url}gradio_api/queue/join", json=payload)
        if r.status_code != 200:
            with self._lock:
                self._pending -= 1
            ev = Event("", sent, [(time.monotonic(), {"msg": "join_failed", "status": r.status_code, "text": r.text})])
            ev.done.set()
            return ev
        ev = Event(r.json()["event_id"], sent, listener=listener)
        with self._lock:
            self._events[ev.event_id] = ev
            for item in self._early.pop(ev.event_id, []):
                self._deliver(ev, item)
        self._wake.set()
        return ev

    def call(self, api: str, data: list[Any]) -> Event:
        """submit() and wait for completion."""
        ev = self.submit(api, data)
        if not ev.done.wait(self.timeout):
            raise TimeoutError(f"{api} did not complete in {self.timeout} s")
        return ev

    def post_stream(self, event: Event, api: str, data: list[Any]) -> int:
        """Send the next input of an open stream event (the webcam's next frame)."""
        payload = {"data": data, "fn_index": self.fns[api], "session_hash": self.session_hash, "event_data": None}
        return self._http.post(f"{self.url}gradio_api/stream/{event.event_id}", json=payload).status_code

    def close_stream(self, event: Event) -> None:
        self._http.post(f"{self.url}gradio_api/stream/{event.event_id}/close")

    def close(self) -> None:
        self._closed = True
        self._wake.set()
        self._http.close()

    # -- the SSE reader ------------------------------------------------------------------------
    def _deliver(self, ev: Event, item: tuple[float, dict[str, Any]]) -> None:
        ev.messages.append(item)
        if ev.listener is not None:
            ev.listener(*item)
        if item[1].get("msg") == "process_completed":
            self._pending -= 1
            ev.done.set()

    def _read_loop(self) -> None:
        while not self._closed:
            with self._lock:
                idle = self._pending == 0
            if idle:
                self._wake.wait(0.5)
                self._wake.clear()
                continue
            try:
                with httpx.stream("GET", f"{self.url}gradio_api/queue/data", params={"session_hash": self.session_hash},
                                  timeout=self.timeout) as stream:  # fmt: skip
                    for line in stream.iter_lines():
                        if not line.startswith("data:"):
                            continue
                        msg = json.loads(line[5:])
                        item = (time.monotonic(), msg)
                        with self._lock:
                            ev = self._events.get(msg.get("event_id") or "")
                            if ev is not None:
                                self._deliver(ev, item)
                            elif msg.get("event_id"):
                                self._early.setdefault(msg["event_id"], []).append(item)
                        if msg.get("msg") == "close_stream" or self._closed:
                            break
            except httpx.HTTPError:
                time.sleep(0.2)
            time.sleep(0.02)  # the server closed the stream: reopen only after a breath


@dataclass(frozen=True)
class FrameAnswer:
    """The frame route's answer to one frame (ui/camera.py)."""

    sent_at: float  # monotonic
    seconds: float  # POST -> answer
    status: int  # HTTP status (-1: no answer at all)
    analysed: bool = False
    mood: str = ""  # the mood panel's html when analysed
    error: str = ""  # the refusal's sentence (4xx) or the client's error


class Camera:
    """The page's camera on one tab (ui/camera.js): the consent click is the tab's "camera" event,
    whose answer carries the frame token; each frame is then POSTed to tutor/frame as image/jpeg
    with the token in X-Camera-Token. Its own HTTP client: frames go out beside the tab's events."""

    def __init__(self, tab: Tab, api: str = "camera") -> None:
        self.tab = tab
        self.api = api
        self.token = ""
        self.answers: list[FrameAnswer] = []
        self._http = httpx.Client(timeout=tab.timeout)

    def toggle(self) -> Event:
        """Click the camera button once; keeps the token its answer carries ("" = off)."""
        ev = self.tab.call(self.api, [None])
        data = ev.completed.get("output", {}).get("data", [])
        self.token = next((v for v in data if isinstance(v, str) and len(v) >= 32), "")
        return ev

    def send(self, jpeg: bytes, token: str | None = None) -> FrameAnswer:
        """POST one frame (with this camera's token, or `token`) and wait for the answer."""
        headers = {"Content-Type": "image/jpeg", "X-Camera-Token": self.token if token is None else token}
        t0 = time.monotonic()
        try:
            r = self._http.post(f"{self.tab.url}tutor/frame", content=jpeg, headers=headers)
            body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
            answer = FrameAnswer(t0, time.monotonic() - t0, r.status_code, bool(body.get("analysed")),
                                 str(body.get("mood") or ""), str(body.get("error") or ""))  # fmt: skip
        except (httpx.HTTPError, ValueError) as err:  # reported as a failed frame, not raised
            answer = FrameAnswer(t0, time.monotonic() - t0, -1, error=f"{type(err).__name__}: {err}")
        self.answers.append(answer)
        return answer

    def close(self) -> None:
        self._http.close()
