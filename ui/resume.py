"""Resume tokens: what a browser keeps (in `gr.BrowserState`) to come back to its session.

A reload or a reopened tab sends the token back and the app resumes the same tutoring session.
The token is encrypted and authenticated (`cryptography`'s Fernet: AES-128-CBC + HMAC-SHA256,
with a timestamp for expiry), so the browser never learns its session id (the teacher's handle
on a session) and cannot forge or alter a token to reach another session. The key is kept in
the data folder (created once, readable only by the server's user), so tokens survive a
restart of the app.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

# A practice session can be picked up again for a week; after that the browser starts afresh.
TOKEN_MAX_AGE_S = 7 * 24 * 3600
KEY_FILE = "browser-token.key"
# What the browser keeps once its session is over (signed out, deleted): no token, but not "", which
# gr.BrowserState never writes (its page code skips falsy values), so the old token came back after
# a reload and a signed-out student's chat reappeared (tutor8, in Chromium).
FORGOTTEN = "signed-out"


@dataclass(frozen=True)
class ResumeTicket:
    """What a valid token says: the session to resume."""

    session_id: str


class ResumeTokens:
    """Makes and reads this app's resume tokens."""

    def __init__(self, key: bytes, *, max_age_s: int = TOKEN_MAX_AGE_S) -> None:
        if max_age_s <= 0:
            raise ValueError("ResumeTokens.max_age_s must be a positive number of seconds.")
        self._fernet = Fernet(key)
        self.max_age_s = max_age_s
        # gr.BrowserState's secret: sent to the browser, so only derived from the key, never it.
        self.browser_secret = hashlib.sha256(b"gr.BrowserState:" + key).hexdigest()[:32]

    @classmethod
    def in_folder(cls, folder: str | Path) -> ResumeTokens:
        """Tokens keyed by `<folder>/browser-token.key`, created (mode 0600) on first use."""
        path = Path(folder) / KEY_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return cls(path.read_bytes().strip())
        with os.fdopen(fd, "wb") as out:
            key = Fernet.generate_key()
            out.write(key)
        return cls(key)

    def issue(self, session_id: str) -> str:
        """A token for `session_id` (text, safe to store in localStorage)."""
        return self._fernet.encrypt(json.dumps({"sid": session_id}).encode()).decode("ascii")

    def read(self, token: object) -> ResumeTicket | None:
        """The ticket inside a token, or None for no token, a forged, altered or expired one."""
        if not isinstance(token, str) or not token or len(token) > 4096:
            return None
        try:
            data = json.loads(self._fernet.decrypt(token.encode("ascii"), ttl=self.max_age_s))
        except (InvalidToken, UnicodeEncodeError, ValueError):
            return None  # a token from another key, tampered with, or too old: start afresh
        sid = data.get("sid") if isinstance(data, dict) else None
        return ResumeTicket(sid) if isinstance(sid, str) and sid else None
