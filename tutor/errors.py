"""Domain errors of the tutor core; `ui/` turns them into messages for people."""

from __future__ import annotations


class TutorError(Exception):
    """Base of the tutor's own errors."""


class StoreError(TutorError):
    """The session log cannot be opened or written (read-only folder, disk full, lost database)."""


class UnknownSessionError(TutorError, KeyError):
    """No session (or turn) with this id."""

    def __str__(self) -> str:  # KeyError would print the message with quotes around it
        return str(self.args[0]) if self.args else "unknown session"


class TooManyAttemptsError(TutorError, PermissionError):
    """Too many failed attempts: a teacher account is locked for a while, or a client guessed
    too many class or resume codes. `retry_after` is the number of seconds to wait."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after
