"""Password hashing (Argon2id) and the password policy (Art. 54 身份认证).

Only the Argon2id hash is stored, with OWASP's recommended parameters (19 MiB, 2 passes, 1 lane: tens of
milliseconds per login on a server, so a busy login page does not exhaust memory); a hash made with other
parameters is upgraded at the next successful login.
"""

from __future__ import annotations

import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from edudata.errors import ValidationFailed

MIN_LENGTH = 10
MAX_LENGTH = 128
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# Verified against when the username is unknown, so a wrong username costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password-0")
#: Stored for accounts that sign on through the school's IdP or are service accounts: no password matches it
#: (it is no Argon2 hash), so such an account can never log in with a password.
UNUSABLE_PASSWORD = "!no-local-password"  # noqa: S105 - a marker, not a secret


def check_policy(password: str, username: str = "") -> None:
    """Refuse weak passwords: 10-128 characters, three of four classes (upper, lower, digit, symbol),
    not containing the username, no control characters."""
    if not isinstance(password, str) or not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise ValidationFailed(
            f"密码长度应为 {MIN_LENGTH}-{MAX_LENGTH} 个字符",
            f"the password must be {MIN_LENGTH} to {MAX_LENGTH} characters long",
            field="password",
        )
    if any(unicodedata.category(c).startswith("C") for c in password):
        raise ValidationFailed(
            "密码不能包含控制字符", "the password must not contain control characters", field="password"
        )
    classes = (
        any(c.isupper() for c in password),
        any(c.islower() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    )
    if sum(classes) < 3:
        raise ValidationFailed(
            "密码应至少包含大写字母、小写字母、数字、符号中的三类",
            "the password needs at least three of: upper-case, lower-case, digit, symbol",
            field="password",
        )
    if username and len(username) >= 3 and username.lower() in password.lower():
        raise ValidationFailed(
            "密码不能包含用户名", "the password must not contain the username", field="password"
        )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; an unknown account (``None``) is checked against a dummy hash."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
