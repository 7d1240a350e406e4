"""A reply's spoken parts to the page over plain Server-Sent Events, off Gradio's queue (issue 15).

On the browser path a reply's parts used to reach the page as more streamed updates of the
conversation event; each one cost Gradio's single event loop 3-6 ms (it rebuilds every unchanged
output of the 11, bench/results/load_browser.txt). Now the reply's first update carries a feed
naming `avatar-feed/reply/<token>` (an unguessable per-reply token); the page opens it with
EventSource and gets the reply's feed (ui/avatar.py, the same JSON) again each time a part is
written, then an `end` event. bench/bench_feed_cost.py measures both ways.

`ReplyStreams` is the hub: the reply's handler thread `publish`es feeds (each lists every part so
far, so a page that reads late or reconnects loses nothing) and `close`s the stream when the reply
is over or cut by the next message; the route sends the newest feed whenever one is published.
A closed stream stays readable for `linger_s` (a page may open it after the reply was made).
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

STREAM_PREFIX = "avatar-feed/reply/"  # relative to the page, like the files' URLs
TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")  # secrets.token_urlsafe(24): 192 random bits
KEEP_ALIVE_S = 15.0  # a comment line while nothing is published (proxies close silent streams)
HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no", "Cross-Origin-Resource-Policy": "same-origin"}


@dataclass
class _Stream:
    """One reply's feeds (JSON, in publishing order) and who waits for the next one."""

    feeds: list[str] = field(default_factory=list)
    closed_at: float | None = None  # monotonic time of close(); None while the reply goes on
    opened_at: float = field(default_factory=time.monotonic)
    waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = field(default_factory=list)


class ReplyStreams:
    """Per-reply feed streams: written by handler threads, read by the SSE route on the event loop."""

    def __init__(self, linger_s: float = 60.0, max_open_s: float = 1800.0) -> None:
        if not 0 < linger_s < max_open_s:
            raise ValueError("ReplyStreams needs 0 < linger_s < max_open_s.")
        self.linger_s = linger_s  # a closed stream stays readable this long
        self.max_open_s = max_open_s  # a stream never closed (a lost handler) is dropped after this
        self._streams: dict[str, _Stream] = {}
        self._lock = threading.Lock()

    def open(self) -> str:
        """A new stream; returns its token (the only way to read it)."""
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._prune(time.monotonic())
            self._streams[token] = _Stream()
        return token

    def publish(self, token: str, feed: dict[str, Any]) -> None:
        """The reply's newest feed (every part so far)."""
        self._change(token, lambda s: s.feeds.append(json.dumps(feed)))

    def close(self, token: str) -> None:
        """No more feeds for this reply (it ended, failed or was cut by a newer one)."""
        self._change(token, lambda s: setattr(s, "closed_at", s.closed_at or time.monotonic()))

    def published(self, token: str) -> list[dict[str, Any]]:
        """Every feed published so far (tests and API clients without an SSE reader)."""
        with self._lock:
            stream = self._streams.get(token)
            return [json.loads(f) for f in stream.feeds] if stream else []

    def _change(self, token: str, change: Any) -> None:
        with self._lock:
            stream = self._streams.get(token)
            if stream is None:
                return
            change(stream)
            for loop, event in stream.waiters:
                loop.call_soon_threadsafe(event.set)

    def _prune(self, now: float) -> None:
        gone = [t for t, s in self._streams.items()
                if (s.closed_at is not None and now - s.closed_at > self.linger_s)
                or now - s.opened_at > self.max_open_s]
        for token in gone:
            del self._streams[token]

    async def events(self, token: str) -> AsyncIterator[str]:
        """The SSE text of one reader: the newest feed whenever there is a newer one, then `end`."""
        loop, event = asyncio.get_running_loop(), asyncio.Event()
        with self._lock:
            stream = self._streams.get(token)
            if stream is None:
                return
            stream.waiters.append((loop, event))
        sent = 0
        try:
            while True:
                event.clear()
                with self._lock:
                    feeds, closed = len(stream.feeds), stream.closed_at is not None
                    newest = stream.feeds[-1] if feeds > sent else None
                if newest is not None:
                    sent = feeds
                    yield f"data: {newest}\n\n"  # json.dumps never writes a newline
                if closed:
                    yield "event: end\ndata: \n\n"
                    return
                try:
                    await asyncio.wait_for(event.wait(), KEEP_ALIVE_S)
                except TimeoutError:
                    yield ": keep-alive\n\n"
        finally:
            with self._lock:
                stream.waiters.remove((loop, event))

    def route(self) -> Route:
        """GET /avatar-feed/reply/<token>: text/event-stream, 404 for any other token."""

        async def serve(request: Request) -> Response:
            token = request.path_params["token"]
            with self._lock:
                known = TOKEN.fullmatch(token) is not None and token in self._streams
            if not known:
                return PlainTextResponse("Not found", status_code=404, headers=HEADERS)
            return StreamingResponse(self.events(token), media_type="text/event-stream", headers=HEADERS)

        return Route(f"/{STREAM_PREFIX}{{token}}", serve, methods=["GET"])


def stream_url(token: str) -> str:
    return STREAM_PREFIX + token
