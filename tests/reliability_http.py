"""The real app over HTTP for the security, privacy, bad-input and load tests. Not a test module.

`app_with_limits` launches the real app (ui.app.build_app + launch) on 127.0.0.1 over the same
loaded models as the UI tests (ui_harness.services_for: one model load per test process), but
with its own rate limiter, so these tests neither spend nor are limited by the UI tests' budget.
`raw_call` speaks Gradio's documented REST protocol (POST /gradio_api/call/<api>, then read the
server-sent events) with no client library in between, the way an attacker would.
"""

from __future__ import annotations

import atexit
import dataclasses
import functools
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from reliability_helpers import require_avatar, require_text_affect

# bench/browser_protocol.py: the browser's side of the protocol (shared with bench/bench_load.py)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from browser_protocol import Camera, FrameAnswer, Tab, jpeg_bytes

__all__ = ["Camera", "FrameAnswer", "Tab", "jpeg_bytes"]

TEACHER_PASSWORD = "correct horse battery staple"


@dataclass
class RawResult:
    """The outcome of one raw REST call: the last SSE event name and its JSON data."""

    status: int  # HTTP status of the POST
    event: str  # "complete", "error", or "" when the POST itself failed
    data: Any
    events: list[tuple[str, Any]]

    @property
    def error(self) -> str:
        if self.event == "error":
            return str((self.data or {}).get("error") if isinstance(self.data, dict) else self.data)
        return ""


def raw_call(url: str, api: str, data: list[Any], timeout: float = 120.0) -> RawResult:
    """POST /gradio_api/call/<api> {"data": data} and follow the event stream to its end."""
    body = json.dumps({"data": data})  # ASCII with escapes: lone surrogates and NULs reach the server as sent
    r = httpx.post(f"{url}gradio_api/call/{api}", content=body, headers={"content-type": "application/json"},
                   timeout=timeout)  # fmt: skip
    if r.status_code != 200:
        return RawResult(r.status_code, "", r.text, [])
    event_id = r.json()["event_id"]
    events: list[tuple[str, Any]] = []
    name = ""
    with httpx.stream("GET", f"{url}gradio_api/call/{api}/{event_id}", timeout=timeout) as stream:
        for line in stream.iter_lines():
            if line.startswith("event:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                payload = line.split(":", 1)[1].strip()
                try:
                    value = json.loads(payload) if payload else None
                except json.JSONDecodeError:
                    value = payload
                events.append((name, value))
                if name in ("complete", "error"):
                    break
    last = events[-1] if events else ("", None)
    return RawResult(200, last[0], last[1], events)


@dataclass
class App:
    url: str
    services: Any  # ui.services.Services (own limiter, shared models and log)
    config: Any
    demo: Any


class ManualClock:
    """A clock for the rate limiters that moves only when a test says so (`advance`): a limit test
    then checks the exact budget however slowly a busy machine answers each request."""

    def __init__(self) -> None:
        self.now = 1000.0  # seconds; any start will do, the limiters only look at differences

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@functools.cache
def app_with_limits(
    password: str = TEACHER_PASSWORD, limits: str = "default", clock: Callable[[], float] = time.monotonic
) -> App:
    """The real app on a free port with its own rate limiter: "default" (the shipped limits),
    "generous" (no practical limit: fuzzing) or "strict" (2 frames then 1 per 2 s per camera);
    its buckets read `clock` (a ManualClock: time moves only when the test advances it)."""
    require_text_affect()
    require_avatar()
    from ui_harness import free_port, services_for, shared_data_dir

    from ui.app import build_app, launch
    from ui.config import load_config
    from ui.ratelimit import ClientLimits, RateLimit, RateLimits

    data_dir = shared_data_dir()
    base = services_for(data_dir)
    big = RateLimit(1000.0, 10_000)
    chosen = {
        "default": RateLimits(),
        "generous": RateLimits(big, big, big, big),
        "strict": RateLimits(frame_session=RateLimit(0.5, 2)),
    }[limits]
    services = dataclasses.replace(base, limits=ClientLimits(chosen, clock=clock))
    argv = ["--tutor.data_dir", data_dir, "--server.port", str(free_port()), "--server.teacher_password", password]
    config = load_config(argv, env={})
    demo = build_app(services, config)
    launch(demo, config, routes=services.routes(), prevent_thread_lock=True, quiet=True)  # + the frames' route
    atexit.register(demo.close)
    return App(f"http://127.0.0.1:{config.server.port}/", services, config, demo)


def client(app: App) -> Any:
    """A fresh gradio_client (its own session hash = one browser tab)."""
    from gradio_client import Client

    return Client(app.url, verbose=False)


def outputs_text(value: Any) -> str:
    """Everything a response carried, flattened to one string (for leak checks)."""
    return json.dumps(value, default=str, ensure_ascii=False)
