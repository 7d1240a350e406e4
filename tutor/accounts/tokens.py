"""Signed, expiring teacher login tokens (`itsdangerous`), held in the browser's state.

After one password check the UI keeps a token instead of the password; every teacher request
presents it and `LoginTokens.read` checks, in constant time, the HMAC-SHA1 signature (a forged
or altered token fails), its age (an old token fails) and the account's password fingerprint
(a password reset revokes every token issued before it). The signing key is random (256 bits),
made once and kept in the database, so every replica accepts the same tokens and a restart
logs nobody out.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

_SALT = "tutor.teacher-login"  # itsdangerous' namespace: a token for something else never passes here


@dataclass(frozen=True)
class TokenClaims:
    teacher_id: str
    fingerprint: str  # of the password hash at issue time


def password_fingerprint(password_hash: str) -> str:
    """A short digest of the stored hash: changes whenever the password changes."""
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:16]


class LoginTokens:
    """Issue and read teacher login tokens with one secret key."""

    def __init__(self, secret_key: str, max_age_s: float) -> None:  # whole seconds (itsdangerous)
        if len(secret_key) < 32:
            raise ValueError("The token signing key must have at least 32 characters.")
        if max_age_s <= 0:
            raise ValueError("Login tokens need a positive lifetime.")
        self._serializer = URLSafeTimedSerializer(secret_key, salt=_SALT)
        self.max_age_s = max_age_s

    def issue(self, teacher_id: str, password_hash: str) -> str:
        return str(self._serializer.dumps({"t": teacher_id, "f": password_fingerprint(password_hash)}))

    def read(self, token: object) -> TokenClaims:
        """The claims of a valid token, else PermissionError saying why (expired or invalid)."""
        if not isinstance(token, str) or not token or len(token) > 1000:
            raise PermissionError("Please log in as a teacher first.")
        try:
            data = self._serializer.loads(token, max_age=int(self.max_age_s))
        except SignatureExpired as err:
            raise PermissionError("Your teacher login has expired; please log in again.") from err
        except BadSignature as err:
            raise PermissionError("This teacher login is not valid; please log in again.") from err
        if not isinstance(data, dict) or not isinstance(data.get("t"), str) or not isinstance(data.get("f"), str):
            raise PermissionError("This teacher login is not valid; please log in again.")
        return TokenClaims(data["t"], data["f"])
