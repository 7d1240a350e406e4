"""Who may post webcam frames: one random token per tab while its camera is on.

The consent click (ui/handlers.py `set_camera`) issues a token (`secrets.token_urlsafe`, 256
bits) to that tab's page; the page sends it with every frame it posts to the frame route
(ui/camera.py). The token is revoked when the camera is turned off and when the tab's Gradio
session ends (ui/login.py `end_session`, gr.State's delete callback), so a frame can only ever
reach the tab that gave consent, and only while it stands. Tokens live in memory only: a
restarted app knows none, and the page asks the student to turn the camera on again.
"""

from __future__ import annotations

import secrets
import threading
from typing import Any

TOKEN_BYTES = 32  # 256 random bits from the OS: not guessable


class CameraTokens:
    """token -> the tab's `UserState` (ui/screen.py), thread-safe; one token per tab at most."""

    def __init__(self) -> None:
        self._states: dict[str, Any] = {}
        self._lock = threading.Lock()

    def issue(self, state: Any) -> str:
        """A new token for `state` (its previous one, if any, stops working); kept in state.camera_token."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        with self._lock:
            self._states.pop(state.camera_token, None)
            self._states[token] = state
        state.camera_token = token
        return token

    def revoke(self, state: Any) -> None:
        """`state`'s token stops working at once (no-op without one)."""
        with self._lock:
            self._states.pop(state.camera_token, None)
        state.camera_token = ""

    def state_of(self, token: str) -> Any | None:
        """The tab a token was issued to, or None (unknown, revoked, or not a token at all)."""
        if not token:
            return None
        with self._lock:
            return self._states.get(token)

    def __len__(self) -> int:
        with self._lock:
            return len(self._states)
