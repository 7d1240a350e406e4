"""Lock-out per teacher account: a growing delay after repeated wrong passwords, then a lock.

The first FREE wrong passwords cost nothing (typos); after that each attempt must wait twice as
long as the last (1 s, 2 s, 4 s, ...) and after `lock_after` failures the account is locked for
`lock_s` (15 min). Attempts made while waiting are refused without checking the password, so
even the right password does not get in; a correct login clears the count. Counts are per
account name, so one attacked account never locks another, and live in this process (a restart
forgets them; replicas each hold their own). Every failure and lock is logged, the password never.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from tutor.errors import TooManyAttemptsError

log = logging.getLogger("tutor.accounts")


@dataclass(frozen=True)
class LockoutPolicy:
    """How wrong passwords slow down and then stop logins to one account."""

    free_failures: int = 3  # wrong passwords allowed back to back before any delay
    first_delay_s: float = 1.0  # wait after the first delayed failure; doubles with each one after
    lock_after: int = 10  # failures in a row that lock the account
    lock_s: float = 900.0  # how long a locked account stays locked (15 min)

    def __post_init__(self) -> None:
        if self.free_failures < 0 or self.lock_after <= self.free_failures:
            raise ValueError("LockoutPolicy needs 0 <= free_failures < lock_after.")
        if self.first_delay_s <= 0 or self.lock_s <= 0:
            raise ValueError("LockoutPolicy delays must be positive.")

    def wait_after(self, failures: int) -> float:
        """Seconds an account with this many failures in a row must wait before the next try."""
        if failures >= self.lock_after:
            return self.lock_s
        if failures <= self.free_failures:
            return 0.0
        return self.first_delay_s * 2.0 ** (failures - self.free_failures - 1)


class LoginGuard:
    """Failure counts per account name (thread-safe)."""

    def __init__(
        self,
        policy: LockoutPolicy | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_names: int = 50_000,
    ) -> None:
        self.policy = policy or LockoutPolicy()
        self._clock = clock
        self._max_names = max_names  # a spray of made-up names cannot grow memory without bound
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()  # name -> (failures in a row, last)
        self._lock = threading.Lock()

    def check(self, name: str) -> None:
        """Raise TooManyAttemptsError while `name` must wait (delay or lock)."""
        with self._lock:
            failures, last = self._failures.get(name, (0, 0.0))
        wait = last + self.policy.wait_after(failures) - self._clock() if failures else 0.0
        if wait > 0:
            locked = failures >= self.policy.lock_after
            what = "is locked after too many wrong passwords" if locked else "had several wrong passwords"
            raise TooManyAttemptsError(f"This account {what}. Try again in {math.ceil(wait)} s.", wait)

    def failed(self, name: str) -> None:
        with self._lock:
            failures, _ = self._failures.pop(name, (0, 0.0))
            failures += 1
            self._failures[name] = (failures, self._clock())
            while len(self._failures) > self._max_names:  # forget the longest-quiet name first
                self._failures.popitem(last=False)
        if failures >= self.policy.lock_after:
            log.warning("teacher login %r locked for %.0f s after %d wrong passwords", name, self.policy.lock_s,
                        failures)  # fmt: skip
        else:
            log.warning("wrong password for teacher login %r (%d in a row)", name, failures)

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(name, None)
