"""Second factor (动态验证码, TOTP, RFC 6238; Art. 54): enrol → confirm → required at every login.

The secret is shown once at enrolment; a code is accepted once (its time step is remembered), within one step
of clock drift either way.
"""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp
from sqlalchemy.orm import Session

from edudata.db import utcnow
from edudata.errors import Conflict, ValidationFailed
from edudata.org.models import Account

ISSUER = "EduData"


def begin(session: Session, account: Account) -> tuple[str, str]:
    """Create a new secret for ``account`` (not yet required); returns (secret, otpauth URI) to show once."""
    if account.totp_enabled:
        raise Conflict("已启用动态验证码", "the second factor is already enabled", field="totp")
    secret = pyotp.random_base32()
    account.totp_secret = secret
    account.totp_last_step = None
    session.flush()
    uri = pyotp.TOTP(secret).provisioning_uri(name=account.username, issuer_name=ISSUER)
    return secret, uri


def accept(account: Account, code: str, now: datetime) -> int | None:
    """The time step ``code`` belongs to when it is valid and not yet used, recording it; else None."""
    if not account.totp_secret or not isinstance(code, str) or not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(account.totp_secret)
    base = totp.timecode(now)
    for step in (base, base - 1, base + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            if account.totp_last_step is not None and step <= account.totp_last_step:
                return None
            account.totp_last_step = step
            return step
    return None


def confirm(session: Session, account: Account, code: str, now: datetime | None = None) -> None:
    """Turn the second factor on once the user proves their authenticator has the secret."""
    if account.totp_enabled:
        raise Conflict("已启用动态验证码", "the second factor is already enabled", field="totp")
    if not account.totp_secret:
        raise Conflict("请先生成动态验证码密钥", "enrol first: no pending secret", field="totp")
    if accept(account, code, now or utcnow()) is None:
        raise ValidationFailed("动态验证码错误", "wrong one-time code", field="code")
    account.totp_enabled = True
    session.flush()


def reset(session: Session, account: Account) -> None:
    """Remove the second factor (lost phone; done by the office after checking identity)."""
    account.totp_enabled = False
    account.totp_secret = None
    account.totp_last_step = None
    session.flush()
