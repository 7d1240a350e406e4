"""What a student's page does with a reply's avatar feed, for bench/bench_load.py.

The page (ui/avatar_player.js) reads each avatar feed the server sends and fetches the files its
chunks name at once: on the browser path (`"mode": "browser"`, ui/BROWSER.md) a motion file (float32
rows) + a WAV per chunk, on the server path a JPEG frame sheet + a WAV. On the browser path the
reply's first feed names its `stream` (ui/reply_stream.py): the page reads that Server-Sent-Events
URL (EventSource), whose every message is the reply's feed with one more part, until `done` or the
`end` event. `PageReply` does the same for one reply, on a shared fetch pool (a thread per stream,
as a stream stays open while the reply is made), and then says when its first frame could show and whether
the student got the whole reply: a reply is *degraded* when it was skipped (no spoken chunk),
shortened (the server says so, or fewer captioned sentences than the reply has), silent (a chunk
without audio, or audio with no sound), or drawn on the server when the page asked for the browser.
"""

from __future__ import annotations

import html
import io
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np

FEED = re.compile(r'data-avatar="([^"]*)"')
SILENT_RMS = 1e-4  # 16-bit WAV: below ~3 LSB of noise is no sound at all


@dataclass(frozen=True)
class Fetched:
    """One file a page fetched: when it arrived (monotonic), and what it held."""

    at: float
    status: int
    size: int
    seconds: float = 0.0  # audio: duration
    rms: float = 0.0  # audio: loudness
    finite: bool = True  # motion: every number finite


def inspect(kind: str, body: bytes) -> tuple[float, float, bool]:
    """(seconds, rms, finite) of a fetched WAV or motion file (sheets: nothing to check)."""
    if kind == "audio":
        import soundfile as sf

        audio, rate = sf.read(io.BytesIO(body), dtype="float32", always_2d=False)
        return len(audio) / rate, float(np.sqrt(np.mean(np.square(audio)))) if len(audio) else 0.0, True
    if kind == "motion":
        rows = np.frombuffer(body[: len(body) // 4 * 4], dtype="<f4")
        return 0.0, 0.0, bool(np.isfinite(rows).all())
    return 0.0, 0.0, True


def feeds_in(value: Any) -> Iterator[dict[str, Any]]:
    """Every avatar feed (ui/avatar.py as_html(feed_data(...))) inside one queue message (or part of it), in order."""
    if isinstance(value, str):
        for match in FEED.finditer(value):
            yield json.loads(html.unescape(match.group(1)))
    elif isinstance(value, dict):
        for v in value.values():
            yield from feeds_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from feeds_in(v)


class Fetcher:
    """The pages' HTTP: a shared pool (each page fetches on its own; 64 threads keep 50 pages from
    queueing behind each other in the bench), so fetching never blocks a tab's message reader."""

    def __init__(self, url: str, workers: int = 64) -> None:
        self.url = url
        self._http = httpx.Client(timeout=60)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="page-fetch")

    def listen(self, path: str, on_feed: Callable[[float, dict[str, Any]], None], ended: threading.Event) -> None:
        """Read the reply stream at `path` on a thread of its own, as the page's EventSource does:
        `on_feed(arrival, feed)` per message; `ended` set at `done`, `end`, or a failure (kept as a feed
        {"stream_error": ...} so the reply counts as not whole)."""
        threading.Thread(target=self._listen, args=(path, on_feed, ended), daemon=True).start()

    def _listen(self, path: str, on_feed: Callable[[float, dict[str, Any]], None], ended: threading.Event) -> None:
        try:
            with self._http.stream("GET", self.url + path) as r:
                if r.status_code != 200:
                    raise RuntimeError(f"{r.status_code} {path}")
                for line in r.iter_lines():
                    if line.startswith("event: end"):
                        break
                    if line.startswith("data: {"):
                        feed = json.loads(line[6:])
                        on_feed(time.monotonic(), feed)
                        if feed.get("done"):
                            break
        except (httpx.HTTPError, RuntimeError, ValueError) as err:  # reported with the reply, not raised
            on_feed(time.monotonic(), {"stream_error": f"{type(err).__name__}: {err}"})
        finally:
            ended.set()

    def fetch(self, path: str, kind: str, into: dict[str, Fetched], lock: threading.Lock) -> None:
        """GET `path` (relative to the page) on the pool; the result lands in `into[path]`."""
        self._pool.submit(self._get, path, kind, into, lock)

    def _get(self, path: str, kind: str, into: dict[str, Fetched], lock: threading.Lock) -> None:
        try:
            r = self._http.get(self.url + path)
            seconds, rms, finite = inspect(kind, r.content) if r.status_code == 200 else (0.0, 0.0, False)
            got = Fetched(time.monotonic(), r.status_code, len(r.content), seconds, rms, finite)
        except (httpx.HTTPError, RuntimeError, ValueError) as err:  # reported as a failed fetch, not raised
            got = Fetched(time.monotonic(), -1, 0, finite=False)
            into[path + "#error"] = Fetched(time.monotonic(), -1, len(str(err)))
        with lock:
            into[path] = got

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self._http.close()


@dataclass
class PageReply:
    """One reply as a page sees it: every feed that arrived, and the files fetched for it."""

    fetcher: Fetcher
    sent_at: float = 0.0
    feeds: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    files: dict[str, Fetched] = field(default_factory=dict)
    _asked: set[str] = field(default_factory=set)
    _streams: dict[str, threading.Event] = field(default_factory=dict)  # stream URL -> ended
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def on_message(self, at: float, message: dict[str, Any]) -> None:
        """The tab's listener: keep each feed, follow a reply's stream, fetch what its chunks name."""
        for feed in feeds_in(message):
            self._on_feed(at, feed)

    def _on_feed(self, at: float, feed: dict[str, Any]) -> None:
        with self._lock:
            self.feeds.append((at, feed))
            stream = feed.get("stream") if feed.get("reply") else None
            if stream and stream not in self._streams:
                self._streams[stream] = threading.Event()
                self.fetcher.listen(stream, self._on_feed, self._streams[stream])
            for chunk in feed.get("chunks", []) if feed.get("reply") else []:
                for kind in ("motion", "sheet", "audio"):
                    path = chunk.get(kind)
                    if path and path not in self._asked:
                        self._asked.add(path)
                        self.fetcher.fetch(path, kind, self.files, self._lock)

    def wait_files(self, timeout: float) -> bool:
        """Wait until the reply's stream has ended and every file asked for has arrived (or failed)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                ended = all(e.is_set() for e in self._streams.values())
                if ended and all(p in self.files for p in self._asked):
                    return True
            time.sleep(0.05)
        return False

    def stream_errors(self) -> list[str]:
        with self._lock:
            return [f["stream_error"] for _, f in self.feeds if "stream_error" in f]

    def last_feed(self) -> dict[str, Any] | None:
        """The reply's final feed (it lists every chunk), None if no reply chunk ever came."""
        replies = [f for _, f in self.feeds if f.get("reply") and f.get("chunks")]
        return replies[-1] if replies else None

    def first_named(self) -> float | None:
        """Seconds from sending to the first feed naming a spoken chunk (the server's part of the wait)."""
        for at, feed in self.feeds:
            chunks = feed.get("chunks") if feed.get("reply") else None
            if chunks and chunks[0].get("audio"):
                return at - self.sent_at
        return None

    def first_frame(self, render_s: float) -> float | None:
        """Seconds from sending to the first frame on screen: the first chunk's picture data and
        sound both fetched, plus the page's render time of its first batch (browser path only)."""
        feed = self.last_feed()
        if feed is None or not feed["chunks"][0].get("audio"):
            return None  # nothing spoken (a silent stand-in clip): counted as degraded, not timed
        first = feed["chunks"][0]
        paths = [first.get("motion") or first.get("sheet"), first.get("audio")]
        got = [self.files.get(p) for p in paths if p]
        if not got or any(g is None or g.status != 200 for g in got):
            return None
        extra = render_s if feed.get("mode") == "browser" else 0.0
        return max(g.at for g in got if g is not None) - self.sent_at + extra

    def problems(self, path: str, interrupted: bool) -> list[str]:
        """Why this reply is degraded (empty = the whole reply, spoken, on the path asked for).
        `interrupted`: the student sent the next message before this reply had all arrived; the
        app then stops the older reply (ui/playback.py), which is no degradation."""
        feed = self.last_feed()
        if (feed is None or not feed.get("done")) and interrupted:
            return []
        if feed is None:
            return ["skipped"]
        out = []
        if path == "browser" and feed.get("mode") != "browser":
            out.append("server path")
        chunks = feed["chunks"]
        captioned = sum(1 for c in chunks if c.get("sentence_n"))
        if feed.get("shortened") or captioned < int(feed.get("sentences", captioned)):
            out.append("shortened")
        if not feed.get("done"):
            out.append("unfinished")
        for c in chunks:
            out += self._chunk_problems(c, float(feed.get("fps", 25.0)))
        return sorted(set(out))

    def _chunk_problems(self, chunk: dict[str, Any], fps: float) -> list[str]:
        audio = self.files.get(chunk.get("audio") or "")
        picture = self.files.get(chunk.get("motion") or chunk.get("sheet") or "")
        if picture is None or picture.status != 200 or not picture.finite:
            return ["picture not fetched"]
        if audio is None or audio.status != 200:
            return ["silent"]  # e.g. the server path's pre-rendered idle clip in place of a reply
        out = []
        if audio.rms < SILENT_RMS and chunk.get("caption"):
            out.append("silent")
        if abs(audio.seconds - chunk["n"] / fps) > 1.0 / fps:
            out.append("sound and motion lengths differ")
        if chunk.get("motion") and picture.size % (4 * chunk["n"]):
            out.append("motion rows != n")
        return out
