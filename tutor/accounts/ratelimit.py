"""Token buckets per key, and the per-client limit on failed join and resume attempts.

Only FAILED attempts spend tokens: thirty pupils behind one school address who type the right
class code all get in, while a script guessing codes is held to a trickle (10 quick misses, then
one per 6 s: ~14,000 guesses a day against 2^44 join codes or 2^61 resume codes).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from tutor.errors import TooManyAttemptsError


@dataclass(frozen=True)
class RateLimit:
    """A token bucket: `burst` events at once, refilled at `per_second`."""

    per_second: float  # sustained events per second
    burst: int  # events allowed at once after a quiet spell

    def __post_init__(self) -> None:
        if self.per_second <= 0 or self.burst < 1:
            raise ValueError("RateLimit needs per_second > 0 and burst >= 1.")


class TokenBuckets:
    """One token bucket per key, thread-safe, at most `max_keys` remembered (least recent dropped)."""

    def __init__(
        self, limit: RateLimit, *, max_keys: int = 50_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, last time)
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Spend one token: 0.0 if allowed, else the seconds until a token is available."""
        return self._update(key, spend=True)

    def wait(self, key: str) -> float:
        """Seconds until `key` has a token (0.0 = now), spending nothing."""
        return self._update(key, spend=False)

    def _update(self, key: str, spend: bool) -> float:
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.pop(key, (float(self.limit.burst), now))
            tokens = min(float(self.limit.burst), tokens + (now - last) * self.limit.per_second)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0 if spend else 0.0
            else:
                wait = (1.0 - tokens) / self.limit.per_second
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return wait


@dataclass(frozen=True)
class AttemptLimits:
    """Failed class-code and resume-code attempts allowed per client."""

    join: RateLimit = field(default_factory=lambda: RateLimit(1 / 6, 10))  # wrong class codes
    resume: RateLimit = field(default_factory=lambda: RateLimit(1 / 6, 10))  # wrong resume codes


class AttemptGuard:
    """Refuses a client that failed too often; `failed` charges one miss (used by join and resume)."""

    def __init__(self, limit: RateLimit, what: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._buckets = TokenBuckets(limit, clock=clock)
        self._what = what

    def check(self, client: str) -> None:
        wait = self._buckets.wait(client)
        if wait > 0:
            raise TooManyAttemptsError(
                f"Too many wrong {self._what}s from here. Please wait {math.ceil(wait)} s and try again.", wait
            )

    def failed(self, client: str) -> None:
        self._buckets.take(client)
