"""Teacher passwords: argon2id through `argon2-cffi`, never hand-rolled, never stored or logged plain.

argon2id (RFC 9106) is memory-hard, so a stolen table of hashes costs an attacker memory as
well as time per guess. The library's defaults (argon2-cffi 25.1: t=3, m=64 MiB, p=4) follow
RFC 9106's second recommended option; each hash carries its own parameters and salt (PHC
string), so stronger defaults later re-hash old passwords at the next login (`needs_rehash`).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 8  # NIST SP 800-63B: at least 8 characters, no composition rules
MAX_LENGTH = 1024  # a bound so a huge "password" cannot make the server hash megabytes

_HASHER = PasswordHasher()  # stateless and thread-safe; read-only after import
# A hash of a password nobody knows: verifying an unknown account's login against it costs the
# same time as a real check, so response times do not tell which teacher names exist.
_DUMMY_HASH = _HASHER.hash("not a real account: equal timing for unknown names")


def check_password_rules(password: object) -> str:
    """Return the password, or raise ValueError saying what is wrong with it."""
    if not isinstance(password, str):
        raise ValueError("A password must be text.")
    if len(password) < MIN_LENGTH:
        raise ValueError(f"A password needs at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise ValueError(f"A password may have at most {MAX_LENGTH} characters.")
    return password


def hash_password(password: str) -> str:
    """The argon2id PHC string of a password that meets the rules."""
    return _HASHER.hash(check_password_rules(password))


def verify_password(stored_hash: str | None, password: object) -> bool:
    """True when `password` matches `stored_hash` (None = no such account: always False, same cost)."""
    given = password if isinstance(password, str) and len(password) <= MAX_LENGTH else ""
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, given) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's defaults."""
    return _HASHER.check_needs_rehash(stored_hash)
