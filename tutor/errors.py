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
