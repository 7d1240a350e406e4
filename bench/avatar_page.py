"""A page with only the avatar: the app's player and page renderer on one stage, served with the
app's own renderer routes and COOP/COEP headers, but no tutor and no Gradio queue.

For the browser parity test and bench/bench_browser.py's renderer numbers: a real performance of
the shipped avatar (gan.pipeline perform_sentences) is written as browser-path feed files (motion
rows + WAV per sentence, ui/BROWSER.md), and `feed_data` is what the server's feed would hold.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from gan.rig.wire import DTYPE, performance_rows
from ui import avatar, web_assets

STAGE = "avatar"


@dataclass(frozen=True)
class Chunk:
    """One sentence on the browser path: its motion file, WAV, frame count and caption."""

    motion: str
    audio: str
    n: int
    caption: str

    def feed(self) -> dict[str, Any]:
        return {"motion": self.motion, "audio": self.audio, "n": self.n, "caption": self.caption,
                "sentence_n": self.n}


def write_reply(pipe: Any, text: str, folder: Path, emotion: str = "neutral") -> list[Chunk]:
    """Each sentence of `text`, performed by the pipeline, as feed files in `folder` (URLs files/...)."""
    chunks = []
    for speech, perf in pipe.perform_sentences(text, emotion):
        name = uuid.uuid4().hex
        n = len(perf.track)
        (folder / f"{name}.rig").write_bytes(performance_rows(perf).astype(DTYPE).tobytes())
        n_audio = round(n * speech.sample_rate / pipe.fps)
        audio = np.pad(speech.audio.astype(np.float32), (0, max(0, n_audio - len(speech.audio))))[:n_audio]
        sf.write(folder / f"{name}.wav", audio, speech.sample_rate, subtype="PCM_16")
        chunks.append(Chunk(f"files/{name}.rig", f"files/{name}.wav", n, speech.text))
    return chunks


def feed_data(reply: str | None, chunks: list[Chunk], fps: float, size: int, idle: Chunk | None = None) -> dict:
    """The browser-path feed the player reads (the server's `ui.avatar.feed_data` with mode browser);
    `avatar.as_html` makes it the feed's HTML."""
    return {"stage": STAGE, "mode": "browser", "reply": reply, "done": True, "speed": 1.0, "fps": fps,
            "size": size, "cols": 0, "chunks": [c.feed() for c in chunks],
            "idle": {"motion": idle.motion, "n": idle.n} if idle else None}


def page_html(web: web_assets.WebAssets, size: int) -> str:
    return (f"<!doctype html><html><head><meta charset='utf-8'><style>{avatar.CSS}</style>"
            f"{avatar.player_head()}{web_assets.head(web)}</head><body>"
            f"{avatar.stage_html(STAGE, size, 'The tutor')}<div id='feed'></div></body></html>")


@dataclass(frozen=True)
class AvatarPage:
    """The served page: its URL and the folder served at files/."""

    url: str
    files: Path
    server: uvicorn.Server

    def close(self) -> None:
        self.server.should_exit = True


def serve(web: web_assets.WebAssets, files: Path, size: int, port: int) -> AvatarPage:
    """Serve the page on 127.0.0.1:`port` from a background thread; returns once it answers."""
    page = page_html(web, size)
    app = Starlette(
        routes=[*web.routes(), Route("/", lambda _: HTMLResponse(page)),
                Mount("/files", StaticFiles(directory=files))],
        middleware=[Middleware(web_assets.IsolationHeadersMiddleware)],
    )
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the avatar page did not start within 30 s")
        time.sleep(0.05)
    return AvatarPage(f"http://127.0.0.1:{port}/", files, server)
