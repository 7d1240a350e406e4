"""Security settings of teacher accounts, class codes and login tokens."""

from __future__ import annotations

from dataclasses import dataclass, field

from tutor.accounts.lockout import LockoutPolicy
from tutor.accounts.ratelimit import AttemptLimits


@dataclass(frozen=True)
class AccountsConfig:
    """Security settings of accounts."""

    lockout: LockoutPolicy = field(default_factory=LockoutPolicy)  # wrong teacher passwords, per account
    attempts: AttemptLimits = field(default_factory=AttemptLimits)  # wrong class / resume codes, per client
    token_max_age_s: float = 8 * 3600.0  # a teacher login lasts a school day

    def __post_init__(self) -> None:
        if not self.token_max_age_s > 0:
            raise ValueError("AccountsConfig.token_max_age_s must be positive.")
