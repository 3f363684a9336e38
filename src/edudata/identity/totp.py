"""Second factor (动态验证码, TOTP, RFC 6238; Art. 54): enrol → confirm → required at every login.

The secret is shown once at enrolment; a code is accepted once (its time step is remembered), within one step
of clock drift either way. The seed is stored sealed under the key ring (Art. 27), bound to its account: a copy
of the database alone gives no second factor. :func:`seal_clear_seeds` seals seeds stored in clear by older
versions (run by ``edudata db upgrade`` and at start-up).
"""

from __future__ import annotations

import hmac
import logging
from datetime import datetime

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.config import Settings
from edudata.crypto.errors import CiphertextInvalid
from edudata.crypto.keys import KeyManager
from edudata.crypto.sealed import is_sealed, open_text, seal_text
from edudata.db import utcnow
from edudata.errors import Conflict, ValidationFailed
from edudata.org.models import Account

ISSUER = "EduData"
log = logging.getLogger("edudata")
PURPOSE = "totp-seeds"


def _aad(account: Account) -> str:
    return f"org_account#{account.id}"


def _seal(keys: KeyManager, account: Account, secret: str) -> str:
    return seal_text(keys, PURPOSE, secret, _aad(account))


def _seed(keys: KeyManager, account: Account) -> str | None:
    """The account's clear seed (a legacy clear seed is sealed on the way)."""
    stored = account.totp_secret
    if not stored:
        return None
    if not is_sealed(stored):
        account.totp_secret = _seal(keys, account, stored)
        return stored
    try:
        return open_text(keys, stored, _aad(account))
    except CiphertextInvalid:  # tampered or copied from another account: no code can match
        log.warning("second-factor seed of account %s failed its integrity check", account.id)
        return None


def seal_clear_seeds(session: Session, settings: Settings) -> int:
    """Seal every seed still stored in clear (written before seeds were sealed); returns how many."""
    keys = KeyManager(session, settings)
    count = 0
    for account in session.scalars(select(Account).where(Account.totp_secret.is_not(None))):
        if not is_sealed(account.totp_secret):
            account.totp_secret = _seal(keys, account, account.totp_secret)
            count += 1
    session.flush()
    return count


def begin(session: Session, account: Account, settings: Settings) -> tuple[str, str]:
    """Create a new secret for ``account`` (not yet required); returns (secret, otpauth URI) to show once."""
    if account.totp_enabled:
        raise Conflict("已启用动态验证码", "the second factor is already enabled", field="totp")
    secret = pyotp.random_base32()
    account.totp_secret = _seal(KeyManager(session, settings), account, secret)
    account.totp_last_step = None
    session.flush()
    uri = pyotp.TOTP(secret).provisioning_uri(name=account.username, issuer_name=ISSUER)
    return secret, uri


def accept(keys: KeyManager, account: Account, code: str, now: datetime) -> int | None:
    """The time step ``code`` belongs to when it is valid and not yet used, recording it; else None."""
    seed = _seed(keys, account)
    if not seed or not isinstance(code, str) or not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(seed)
    base = totp.timecode(now)
    for step in (base, base - 1, base + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            if account.totp_last_step is not None and step <= account.totp_last_step:
                return None
            account.totp_last_step = step
            return step
    return None


def confirm(
    session: Session, account: Account, code: str, settings: Settings, now: datetime | None = None
) -> None:
    """Turn the second factor on once the user proves their authenticator has the secret."""
    if account.totp_enabled:
        raise Conflict("已启用动态验证码", "the second factor is already enabled", field="totp")
    if not account.totp_secret:
        raise Conflict("请先生成动态验证码密钥", "enrol first: no pending secret", field="totp")
    if accept(KeyManager(session, settings), account, code, now or utcnow()) is None:
        raise ValidationFailed("动态验证码错误", "wrong one-time code", field="code")
    account.totp_enabled = True
    session.flush()


def reset(session: Session, account: Account) -> None:
    """Remove the second factor (lost phone; done by the office after checking identity)."""
    account.totp_enabled = False
    account.totp_secret = None
    account.totp_last_step = None
    session.flush()
