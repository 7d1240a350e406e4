"""The browser path's motion and speech files, served by a plain Starlette route (issue 15).

The page fetches each spoken part of a reply (`<stem>-<i>.rig` + `.wav`, ui/motion.py) and the
idle loops (`idle-<emotion>-<s>s.rig`) as soon as a feed names them. Through Gradio's file route
(`gradio_api/file=`, ui/app.py's static paths) every fetch also went through Gradio's path checks
on its single event loop, which a class of 50 already saturated (py-spy, bench/results/
load_browser.txt). Here a fetch is one dictionary-free name check and one small read (a part is
a few KB of rows + 30-200 KB of WAV, in the page cache: it is served from memory, no thread hop).

Only exact names are served: a part's name is the clip store's 128-bit random stem plus its index
(unguessable: whoever has the name was sent it), an idle loop's one of the loops MotionWriter
prepared (no secret: the avatar breathing). No listing, no other folder, no `..` (a name never
holds a slash). A swept part is a 404, like a name that never existed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

PART_PREFIX = "avatar-feed/part/"  # URL paths relative to the page, like Gradio's file URLs
IDLE_PREFIX = "avatar-feed/idle/"
# <32 hex digits of uuid4>-<sentence index>.rig|wav, as MotionWriter names them.
PART_NAME = re.compile(r"[0-9a-f]{32}-[0-9]{1,4}\.(rig|wav)")
CONTENT_TYPES = {".rig": "application/octet-stream", ".wav": "audio/wav"}
COMMON = {"Cross-Origin-Resource-Policy": "same-origin", "X-Content-Type-Options": "nosniff"}
# A part never changes under its name and is swept after ClipStore.max_age_s (15 min): private
# (a student's words), kept by the browser as long as it can exist. An idle loop's URL names its
# file's write time (idle_url), so it too is immutable under its URL.
PART_CACHE = "private, max-age=900, immutable"
IDLE_CACHE = "public, max-age=31536000, immutable"


def part_url(path: Path) -> str:
    """The page's URL of a reply part written by MotionWriter."""
    if not PART_NAME.fullmatch(path.name):
        raise ValueError(f"{path.name!r} is not the name of a reply part.")
    return PART_PREFIX + path.name


def idle_url(path: Path) -> str:
    """The page's URL of an idle loop; `?v=` = its write time, so a new avatar's loop is a new URL."""
    return f"{IDLE_PREFIX}{path.name}?v={path.stat().st_mtime_ns}"


def routes(parts: Path, idle: Callable[[], dict[str, Path]]) -> list[Route]:
    """GET/HEAD routes for the parts in folder `parts` and the idle loops `idle()` names (name -> path)."""

    async def part(request: Request) -> Response:
        name = request.path_params["name"]
        if not PART_NAME.fullmatch(name):
            return _not_found()
        return _serve(parts / name, PART_CACHE)

    async def idle_loop(request: Request) -> Response:
        path = idle().get(request.path_params["name"])
        return _not_found() if path is None else _serve(path, IDLE_CACHE)

    return [
        Route(f"/{PART_PREFIX}{{name}}", part, methods=["GET", "HEAD"]),
        Route(f"/{IDLE_PREFIX}{{name}}", idle_loop, methods=["GET", "HEAD"]),
    ]


def _serve(path: Path, cache: str) -> Response:
    try:
        body = path.read_bytes()  # small files: a read on the loop costs less than a thread hop
    except (FileNotFoundError, IsADirectoryError):  # swept (ClipStore) or never written
        return _not_found()
    headers = {"Cache-Control": cache, **COMMON}
    return Response(body, media_type=CONTENT_TYPES[path.suffix], headers=headers)


def _not_found() -> Response:
    return PlainTextResponse("Not found", status_code=404, headers={"Cache-Control": "no-store", **COMMON})
