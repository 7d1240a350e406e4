"""Per-client rate limits on chat messages and webcam frames (token buckets).

A client is limited twice: per browser session (Gradio's session hash: one tab or one API
client) and per network address (many tabs or scripted clients from one machine). The
per-address budget is generous, because a classroom behind one NAT address shares it.
Chat over the limit is refused with a message saying how long to wait; webcam frames (their own
route, ui/camera.py) are limited per camera token and per address, and answered 429 with the wait.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

# One token bucket implementation for the whole app: the core's (it also limits join/resume guesses).
from tutor.accounts.ratelimit import RateLimit, TokenBuckets


class RateLimitedError(gr.Error):
    """Too many chat messages from one client; the message says when to try again."""


@dataclass(frozen=True)
class RateLimits:
    """The app's limits. Chat: a student types a message every several seconds; 4 quick ones (the
    Hint/Next buttons) then one per 2 s is far above any real pace. Frames: the page posts
    2 fps (ui/camera.js), so 3/s with a burst of 4 leaves room for jitter."""

    chat_session: RateLimit = field(default_factory=lambda: RateLimit(0.5, 4))  # per tab / API client
    # Per IP: a class behind one school NAT shares it. ServerConfig.max_students (60) sending a message
    # every ~8 s is 7.5/s (5/s refused a class of 50 after ~30 s in bench_load); their cameras 120 frames/s.
    chat_address: RateLimit = field(default_factory=lambda: RateLimit(10.0, 80))
    frame_session: RateLimit = field(default_factory=lambda: RateLimit(3.0, 4))  # per camera token (one tab)
    frame_address: RateLimit = field(default_factory=lambda: RateLimit(150.0, 300))


def client_keys(request: Any) -> tuple[str, str]:
    """(session key, address key) of a Gradio request; direct calls (no request) share one key."""
    if request is None:
        return "session:local", "address:local"
    session = getattr(request, "session_hash", None) or "none"
    client = getattr(request, "client", None)
    host = getattr(client, "host", None) or "unknown"
    return f"session:{session}", f"address:{host}"


class ClientLimits:
    """The app's chat and frame limiters, shared by all requests (lives in `Services`)."""

    def __init__(self, limits: RateLimits | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits or RateLimits()
        lim = self.limits
        self._chat = (TokenBuckets(lim.chat_session, clock=clock), TokenBuckets(lim.chat_address, clock=clock))
        self._frame = (TokenBuckets(lim.frame_session, clock=clock), TokenBuckets(lim.frame_address, clock=clock))

    def check_chat(self, request: Any) -> None:
        """Raise RateLimitedError when this client sends messages faster than allowed."""
        wait = self._take(self._chat, request)
        if wait > 0:
            raise RateLimitedError(
                f"You are sending messages very quickly. Please wait {max(1, round(wait))} s and try again.",
                title="Slow down",
            )

    def frame_wait(self, camera: str, address: str) -> float:
        """Seconds until this camera (its token, ui/camera_tokens.py) at this network address may
        send its next webcam frame; 0.0 = now (one token spent)."""
        return self._take_keys(self._frame, f"camera:{camera}", f"address:{address}")

    def _take(self, buckets: tuple[TokenBuckets, TokenBuckets], request: Any) -> float:
        return self._take_keys(buckets, *client_keys(request))

    @staticmethod
    def _take_keys(buckets: tuple[TokenBuckets, TokenBuckets], session_key: str, address_key: str) -> float:
        wait = buckets[0].take(session_key)
        if wait > 0:
            return wait  # refused per session: do not also charge the shared address budget
        return buckets[1].take(address_key)


def bind_handler(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[..., Any]:
    """Like functools.partial(fn, *args, **kwargs), but Gradio still sees fn's annotations.

    Gradio injects `gr.Request` only into parameters annotated with it on a real function
    (a partial hides the annotations), and the limiters need the request to know the client.
    The returned function takes the remaining parameters by position or name, in fn's order.
    """
    sig = inspect.signature(fn)
    params = list(sig.parameters.values())[len(args) :]
    rest = [p.replace(kind=inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in params if p.name not in kwargs]
    rest_sig = inspect.Signature(rest, return_annotation=sig.return_annotation)

    def call(a: tuple[Any, ...], k: dict[str, Any]) -> Any:
        bound = rest_sig.bind(*a, **k)
        return fn(*args, **kwargs, **bound.arguments)

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen_wrapper(*a: Any, **k: Any) -> Any:
            yield from call(a, k)

        wrapper: Callable[..., Any] = gen_wrapper
    else:

        @functools.wraps(fn)
        def plain_wrapper(*a: Any, **k: Any) -> Any:
            return call(a, k)

        wrapper = plain_wrapper
    wrapper.__signature__ = rest_sig  # type: ignore[attr-defined]
    return wrapper
