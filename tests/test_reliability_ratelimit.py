"""Per-client rate limits (ui/ratelimit.py): token buckets, two keys per client, Gradio injection.

The end-to-end check over HTTP (a flood from one client is refused while another client is
served) is in test_security_http.py; these are the fast unit checks with a stepped clock.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import gradio as gr
import pytest

from ui.ratelimit import ClientLimits, RateLimit, RateLimitedError, RateLimits, TokenBuckets, bind_handler


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def request(session: str, host: str = "10.0.0.1") -> Any:
    return SimpleNamespace(session_hash=session, client=SimpleNamespace(host=host))


def test_bucket_allows_burst_then_sustained_rate() -> None:
    clock = Clock()
    buckets = TokenBuckets(RateLimit(per_second=2.0, burst=3), clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == pytest.approx(0.5)  # empty: one token takes 1/2 s
    assert buckets.take("b") == 0.0  # other keys are independent
    clock.t += 0.5
    assert buckets.take("a") == 0.0
    clock.t += 100  # refills up to the burst, not beyond
    assert [buckets.take("a") for _ in range(4)][-1] > 0


def test_bucket_memory_is_bounded() -> None:
    buckets = TokenBuckets(RateLimit(1.0, 1), max_keys=100, clock=Clock())
    for i in range(1000):
        buckets.take(f"k{i}")
    assert len(buckets._buckets) == 100


def test_chat_limit_per_session_and_per_address() -> None:
    clock = Clock()
    limits = ClientLimits(RateLimits(chat_session=RateLimit(0.5, 2), chat_address=RateLimit(1.0, 3)), clock=clock)
    limits.check_chat(request("s1"))
    limits.check_chat(request("s1"))
    with pytest.raises(RateLimitedError, match="wait 2 s"):
        limits.check_chat(request("s1"))
    limits.check_chat(request("s2"))  # a second tab from the same address still has budget
    with pytest.raises(RateLimitedError):
        limits.check_chat(request("s3"))  # ...until the address budget (3) is spent
    limits.check_chat(request("s4", host="10.0.0.2"))  # other machines are unaffected
    clock.t += 3
    limits.check_chat(request("s1"))


def test_frames_over_budget_wait_per_camera_and_address() -> None:
    clock = Clock()
    limits = ClientLimits(clock=clock)
    burst = limits.limits.frame_session.burst
    waits = [limits.frame_wait("cam-token", "10.0.0.1") for _ in range(20)]  # a flood within one instant
    assert waits[:burst] == [0.0] * burst and all(w > 0 for w in waits[burst:])
    assert limits.frame_wait("other-token", "10.0.0.1") == 0.0  # another tab's camera is unaffected
    clock.t += 10
    allowed = 0
    for _ in range(20):  # 2 fps for 10 s, as the page posts: never refused
        clock.t += 0.5
        allowed += limits.frame_wait("cam-token", "10.0.0.1") == 0.0
    assert allowed == 20
    tight = ClientLimits(RateLimits(frame_address=RateLimit(1.0, 3)), clock=clock)
    assert [tight.frame_wait(f"tab-{i}", "10.0.0.9") == 0.0 for i in range(4)] == [True] * 3 + [False]  # per address


def test_bind_handler_lets_gradio_inject_the_request() -> None:
    """Gradio's own argument preparation must see the gr.Request annotation through the binding."""
    from gradio.helpers import special_args

    seen: list[Any] = []

    def handler(services: str, state: int, text: str, request: gr.Request | None = None) -> str:
        seen.append(request)
        return f"{services}:{state}:{text}"

    def gen_handler(services: str, state: int, kind: str, request: gr.Request | None = None) -> Iterator[str]:
        seen.append(request)
        yield f"{services}:{state}:{kind}"

    req = gr.Request(username=None, session_hash="abc")
    bound = bind_handler(handler, "svc")
    args, *_ = special_args(bound, ["st", "hi"], req)
    assert bound(*args) == "svc:st:hi" and seen[-1] is req
    gen = bind_handler(gen_handler, "svc", kind="hint")
    args, *_ = special_args(gen, ["st"], req)
    assert list(gen(*args)) == ["svc:st:hint"] and seen[-1] is req
    assert inspect.isgeneratorfunction(gen)
