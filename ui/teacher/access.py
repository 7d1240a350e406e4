"""Who is asking: every teacher handler turns the browser's login token into a TeacherView first.

The password is sent once, to `log_in`; the browser then keeps only the signed, expiring token
(`tutor.accounts.tokens`) in its state and presents it with every call. A missing, forged or
expired token raises `AccessDeniedError` before any data is read, for clicks in the page and
for raw HTTP/queue calls alike, and a TeacherView only ever reads the teacher's own classes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import gradio as gr

from ui.services import Services

P = ParamSpec("P")
R = TypeVar("R")


class AccessDeniedError(gr.Error, PermissionError):
    """No valid teacher login (missing, wrong, forged or expired), or not this teacher's data."""


class TeacherInputError(gr.Error, ValueError):
    """A malformed class name, session id, export format or a missing confirmation."""


def log_in(services: Services, name: str, password: str) -> tuple[str, Any]:
    """Check name + password once; returns (token for the browser state, the TeacherView)."""
    try:
        view = services.tutor.teacher(name, password)
    except (PermissionError, ValueError) as err:  # wrong name/password, locked out, empty name: the core says which
        raise AccessDeniedError(str(err)) from err
    return str(view.token), view


def view_for(services: Services, token: str | None) -> Any:
    """The TeacherView of a valid token, else AccessDeniedError (nothing is read before this)."""
    try:
        return services.tutor.teacher_from_token(token or "")
    except PermissionError as err:
        raise AccessDeniedError(str(err)) from err


def teacher_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """The core's refusals as messages for the teacher: PermissionError (not logged in, or not
    this teacher's class/student/session) -> AccessDeniedError; an unknown id or a bad value ->
    TeacherInputError. Both are gr.Error, so the page shows the sentence and the API an error."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except PermissionError as err:
            raise AccessDeniedError(str(err)) from err
        except KeyError as err:  # tutor.errors.UnknownSessionError and friends
            raise TeacherInputError("No such session, class or student (it may have been deleted).") from err
        except ValueError as err:
            raise TeacherInputError(str(err)) from err

    return wrapper
