"""The avatar on screen: a canvas at the size the avatar was rendered, fed chunk by chunk.

`stage()` places the canvas with its caption line (static HTML) and a hidden feed; handlers
write `as_html(feed_data(...))` into the feed, and ui/avatar_player.js (loaded once into the page head by
`player_head()`) plays what it names: a reply's chunks back to back as one performance, the idle
loop between replies. The canvas is drawn at exactly the generator's size (256 px for avatar
v2), never scaled up, and the captions sit below it, where no player control can cover them.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from ui.clips import SHEET_COLUMNS, MotionClip, Part, RenderedClip
from ui.feed_files import idle_url, part_url

PLAYER_JS = Path(__file__).with_name("avatar_player.js")
# Gradio serves files from allowed folders (ui/app.py launch) at this path, relative to the page:
# the server path's frame sheets and WAVs (the browser path's files: ui/feed_files.py).
FILE_URL = "gradio_api/file="

CSS = """
.avatar-stage {display: flex; flex-direction: column; align-items: center; gap: 6px}
.avatar-stage canvas {display: block; max-width: 100%; border-radius: 8px; background: #dfe5ea}
.avatar-caption {min-height: 3em; max-width: 100%; margin: 0; padding: 4px 8px; text-align: center;
  font-size: 16px; line-height: 1.5; color: #1f2937}
.avatar-feed {display: none !important}
.avatar-path {margin: 0; font-size: 12px; color: #4b5563}
#avatar-mode {display: none !important}
"""
# The page (ui/avatar_player.js) writes which path draws the avatar into this input after its
# warm-up; every reply handler reads it (ui/BROWSER.md "Mode switch").
MODE_ID = "avatar-mode"


def player_head() -> str:
    """The player's script for the page head (it serves every avatar stage on the page)."""
    return f"<script>{PLAYER_JS.read_text(encoding='utf-8')}</script>"


def stage_html(elem_id: str, size: int, label: str) -> str:
    """The avatar's canvas (`size` px square, CSS px = image px), its caption line and the line
    saying which path draws it."""
    return (
        f'<div class="avatar-stage" id="{elem_id}"><canvas width="{size}" height="{size}" '
        f'style="width:{size}px" role="img" aria-label="{html.escape(label)}"></canvas>'
        # The words are in the chat already: screen readers read them there, not twice.
        '<p class="avatar-caption" aria-hidden="true"></p>'
        # Which path draws the avatar and why (ui/avatar_render.js writes it).
        '<p class="avatar-path"></p></div>'
    )


def stage(elem_id: str, size: int, label: str) -> gr.HTML:
    """The avatar's stage (stage_html), then its hidden feed, which is returned: handlers update
    it with `as_html(feed_data(elem_id, ...))`."""
    gr.HTML(stage_html(elem_id, size, label), padding=False, elem_id=f"{elem_id}-box")
    return gr.HTML("", padding=False, elem_id=f"{elem_id}-feed", elem_classes=["avatar-feed"])


def avatar_mode_input(default: str) -> gr.Textbox:
    """The hidden `#avatar-mode` input ("browser" / "server"): in the DOM (the page writes it and
    dispatches an `input` event) but hidden by CSS; Gradio leaves `visible=False` out of the DOM."""
    return gr.Textbox(value=default, label="Avatar drawn by", show_label=False, container=False, max_lines=1,
                      elem_id=MODE_ID)


def _url(path: Path) -> str:
    return FILE_URL + str(path)


def as_html(data: dict[str, Any]) -> str:
    """Feed data (`feed_data`) as the feed's HTML: what a handler writes into the stage's feed."""
    return f'<div class="avatar-data" data-avatar="{html.escape(json.dumps(data), quote=True)}"></div>'


def feed_data(
    stage_id: str,
    idle: Part | None,
    reply: str | None = None,
    chunks: Sequence[Part] = (),
    *,
    done: bool = False,
    speed: float = 1.0,
    sentences: int = 0,
    shortened: bool = False,
    stream: str = "",
) -> dict[str, Any]:
    """What the player should show: the idle loop, and the reply `reply` made of `chunks` so far
    (`done` once no more will come). reply None stops any reply still playing. speed = seconds of
    performance the server renders per second: below 1 the player starts each sentence only once
    enough of it is there to play it through (ClipRenderer.speed).

    Motion parts (MotionClip) make a browser-path feed ("mode": "browser"): the page renders their
    rows itself; it also says how many sentences the reply has and whether it was `shortened`, so
    a client can count a reply that was not spoken whole. Rendered parts make today's feed.
    `stream` (browser path): the URL of the reply's stream (ui/reply_stream.py), which sends this
    feed again with each new part; the feed itself then has no chunks yet."""
    ref = chunks[0] if chunks else idle
    if isinstance(ref, MotionClip):
        data = _browser_feed(stage_id, idle, reply, chunks, done, speed, sentences, shortened)
        if stream:
            data["stream"] = stream
        return data
    if stream:
        raise ValueError("Only a browser-path feed (motion parts) is streamed.")
    return _server_feed(stage_id, idle, reply, chunks, done, speed)


def _server_feed(stage_id: str, idle: Part | None, reply: str | None, chunks: Sequence[Part], done: bool,
                 speed: float) -> dict[str, Any]:
    """JPEG frame sheets + WAVs rendered by ClipRenderer (the server path)."""
    sheets = [c for c in chunks if isinstance(c, RenderedClip)]
    loop = idle if isinstance(idle, RenderedClip) else None
    ref = sheets[0] if sheets else loop
    return {
        "stage": stage_id,
        "reply": reply,
        "done": done,
        "speed": round(speed, 3),
        "fps": ref.fps if ref else 25.0,
        "size": ref.size if ref else 0,
        "cols": SHEET_COLUMNS,
        "chunks": [
            {"sheet": _url(c.sheet), "audio": _url(c.audio) if c.audio else None, "n": c.frames, "caption": c.caption,
             "sentence_n": c.sentence_frames}
            for c in sheets
        ],
        "idle": {"sheet": _url(loop.sheet), "n": loop.frames} if loop else None,
    }


def _browser_feed(stage_id: str, idle: Part | None, reply: str | None, chunks: Sequence[Part], done: bool,
                  speed: float, sentences: int, shortened: bool) -> dict[str, Any]:
    """Motion files + WAVs for the page to render (the browser path, gan/rig/wire.py rows)."""
    parts = [c for c in chunks if isinstance(c, MotionClip)]
    loop = idle if isinstance(idle, MotionClip) else None
    ref = parts[0] if parts else loop
    return {
        "stage": stage_id,
        "mode": "browser",
        "reply": reply,
        "done": done,
        "speed": round(speed, 3),
        "fps": ref.fps if ref else 25.0,
        "sentences": sentences,
        "shortened": shortened,
        "chunks": [
            {"motion": part_url(c.motion), "audio": part_url(c.audio) if c.audio else None, "n": c.frames,
             "caption": c.caption, "sentence_n": c.sentence_frames}
            for c in parts
        ],
        "idle": {"motion": idle_url(loop.motion), "n": loop.frames} if loop else None,
    }


def read_feed(value: object) -> dict | None:
    """The data of an `as_html` feed value (None for anything else): what API clients, the latency
    bench and the tests read back from the avatar output."""
    if not isinstance(value, str) or "data-avatar=" not in value:
        return None
    match = re.search(r'data-avatar="([^"]*)"', value)
    return json.loads(html.unescape(match.group(1))) if match else None
