"""Webcam frames on a lean route of their own, off Gradio's queue: `POST tutor/frame`.

Why: as a Gradio stream event every frame was a queue join, an SSE message and Gradio's
pre/postprocessing on its single event loop; at N=50 students (2 frames/s each, ~100 frames/s)
that traffic starved the replies' events (bench/results/load_browser.txt, py-spy). Here a frame
costs the event loop one small HTTP request: the body is read (capped), then decoded in a worker
thread and analysed by the tutor's face reader (by default in its own child process,
affect/face_process.py, so the analysis never waits for this process's GIL), and the reply is a
few bytes of JSON.

The protocol (ui/camera.js is the page's side; bench/browser_protocol.py `FramePoster` the bench's):
- the consent click gives the page a token (ui/camera_tokens.py); each frame is POSTed as the
  request body, `Content-Type: image/jpeg`, with the token in the `X-Camera-Token` header (never
  in the URL, so it stays out of access logs);
- 200 `{"analysed": true, "mood": "<the mood panel's html>"}` (ui/views.py mood_html, the same
  renderer the replies use; the page writes it into the panel), or `{"analysed": false}` when the
  frame was dropped unread (every analysis busy, a reply being made, no session yet);
- 403 unknown or revoked token, 413 too big (bytes or pixels), 415 not `image/jpeg`, 400 not a
  readable JPEG, 429 over the rate limit (per token and per address, ui/ratelimit.py; with
  Retry-After), 503 the face reader's process stopped on this frame (it is restarted; the page
  sends the next frame as usual). Every refusal carries a sentence in `{"error": ...}`.
Frames are never written anywhere and never logged: only the derived mood reaches the tab's state
and the session's mood track (ui/handlers.py observe_frame, the one path for a frame's mood).
"""

from __future__ import annotations

import asyncio
import logging
import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from affect.face_process import FaceProcessError
from ui.handlers import observe_frame
from ui.services import Services

log = logging.getLogger(__name__)

FRAME_PATH = "/tutor/frame"
TOKEN_HEADER = "X-Camera-Token"
CAMERA_JS = Path(__file__).with_name("camera.js")
# Frames decoded or waiting for the analysis at once beyond the FrameGate's own slots: a frame that
# finds them all taken is dropped at the door (the page sends the next one 0.5 s later), so the
# threads never queue up work that would be stale (ui/framegate.py).
EXTRA_WORKERS = 3


class FrameRefusedError(Exception):
    """A frame the route will not analyse, with its HTTP status and a sentence for the client."""

    def __init__(self, status: int, message: str, retry_after: int = 0) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after  # 429: seconds until the next frame is accepted


# Start-of-frame markers (baseline, progressive, ...): their segment holds the image's height and width.
_SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


def jpeg_size(body: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's start-of-frame segment, before any pixel is decoded;
    FrameRefusedError(400) if the body is not a JPEG or its header is broken."""
    if body[:3] != b"\xff\xd8\xff":
        raise FrameRefusedError(400, "The frame is not a JPEG image.")
    i = 2
    while i + 4 <= len(body):
        if body[i] != 0xFF:
            break  # segments follow each other back to back: anything else is damage
        marker = body[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
        elif marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a segment
            i += 2
        elif marker == 0xDA:  # start of scan: no size came before it
            break
        elif marker in _SOF_MARKERS:
            if i + 9 > len(body):
                break
            return int.from_bytes(body[i + 7 : i + 9], "big"), int.from_bytes(body[i + 5 : i + 7], "big")
        else:
            i += 2 + int.from_bytes(body[i + 2 : i + 4], "big")
    raise FrameRefusedError(400, "The frame's JPEG data is broken.")


def decode_jpeg(body: bytes, max_side: int) -> np.ndarray:
    """RGB uint8 (H, W, 3) of a JPEG; FrameRefusedError(400) if it is not one or is broken, (413)
    if a side exceeds `max_side` (checked from the header, before any pixel is decoded).

    OpenCV decodes with the GIL released (PIL parsed each header's quantisation tables in Python
    first: 6 % of the app's GIL at N=50, py-spy, bench/results/load_browser.txt). A body cut short
    (no end-of-image marker) is refused: libjpeg would fill the missing rows with grey.
    """
    width, height = jpeg_size(body)
    if max(width, height) > max_side or min(width, height) < 1:
        raise FrameRefusedError(413, f"The frame is {width}x{height} px; at most {max_side} a side is accepted.")
    rgb = None
    if body.rstrip(b"\0").endswith(b"\xff\xd9"):
        rgb = cv2.imdecode(np.frombuffer(body, dtype=np.uint8), cv2.IMREAD_COLOR_RGB)
    if rgb is None or rgb.shape[:2] != (height, width):
        raise FrameRefusedError(400, "The frame's JPEG data is broken.")
    return np.asarray(rgb, dtype=np.uint8)


class FrameRoute:
    """The route's handler: token -> rate limit -> body -> (worker thread) decode + analyse."""

    def __init__(self, services: Services) -> None:
        self.services = services
        server = services.config.server
        self.max_bytes = server.frame_max_bytes
        self.max_side = server.frame_max_side
        self.workers = services.frames.parallel + EXTRA_WORKERS
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="camera")
        self._busy = 0  # frames in the pool (read and written on the event loop only)

    def route(self) -> Route:
        return Route(FRAME_PATH, self.handle, methods=["POST"])

    async def handle(self, request: Request) -> JSONResponse:
        """One frame; every refusal is a 4xx with a sentence, never an exception."""
        try:
            return await self._frame(request)
        except FrameRefusedError as err:
            headers = {"Cache-Control": "no-store"}
            if err.status == 429:
                headers["Retry-After"] = str(err.retry_after)
            return JSONResponse({"error": str(err)}, status_code=err.status, headers=headers)

    async def _frame(self, request: Request) -> JSONResponse:
        token = request.headers.get(TOKEN_HEADER, "")
        state = self.services.cameras.state_of(token)
        if state is None:
            raise FrameRefusedError(403, "This camera is not switched on here: turn the camera on first.")
        host = request.client.host if request.client else "unknown"
        wait = self.services.limits.frame_wait(token, host)
        if wait > 0:
            message = f"Too many frames: send at most 2 a second (next in {wait:.1f} s)."
            raise FrameRefusedError(429, message, retry_after=max(1, math.ceil(wait)))
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != "image/jpeg":
            raise FrameRefusedError(415, "Send the frame as image/jpeg.")
        body = await self._read_body(request)
        if self._busy >= self.workers or (self._busy and self._replies_first()):  # drop at the door, never queue
            self.services.frames.drop()
            return _reply(None)
        self._busy += 1
        try:
            loop = asyncio.get_running_loop()
            mood = await loop.run_in_executor(self._pool, self._analyse, state, body)
        finally:
            self._busy -= 1
        return _reply(mood)

    def _replies_first(self) -> bool:
        """While a reply waits for its first spoken sentence, one frame is read at a time (the others dropped).

        Why: at N=50 the box is short of CPU (app ~1.4 cores + the pages 0.3 of 2), and a frame's analysis
        competes with the waiting reply's speech for it. Mood changes over seconds, a first sentence is heard
        at once: bench_load N=50 in one window, first frame p95 1.62 -> 1.07 s, frames read 61 -> 58 %.
        """
        return self.services.config.server.frames_yield and self.services.motion.waiting() > 0

    async def _read_body(self, request: Request) -> bytes:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise FrameRefusedError(413, f"The frame is {int(declared)} bytes; at most {self.max_bytes} are accepted.")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_bytes:
                raise FrameRefusedError(413, f"The frame is over {self.max_bytes} bytes.")
            chunks.append(chunk)
        if not size:
            raise FrameRefusedError(400, "The frame is empty.")
        return b"".join(chunks)

    def _analyse(self, state: Any, body: bytes) -> str | None:
        """In a worker thread: decode, then the tab's own session reads the face (or drops it)."""
        rgb = decode_jpeg(body, self.max_side)
        try:
            return observe_frame(self.services, state, rgb)
        except ValueError as err:  # an image the face reader cannot use (e.g. a few pixels)
            raise FrameRefusedError(400, f"The frame could not be analysed: {err}") from err
        except FaceProcessError as err:  # its process died on this frame and was restarted
            log.warning("frame not read: %s", err)
            raise FrameRefusedError(503, "The face reader restarted; the next frame will be read.") from err


def _reply(mood: str | None) -> JSONResponse:
    body = {"analysed": mood is not None, "mood": mood}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def camera_head() -> str:
    """The page's camera script (ui/camera.js) for the page head."""
    return f"<script>{CAMERA_JS.read_text(encoding='utf-8')}</script>"
