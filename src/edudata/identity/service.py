"""Login (身份鉴别, Art. 54): password, second factor, lockout, blacklist; every attempt is recorded (Art. 59).

:func:`authenticate` takes the :class:`~edudata.db.Database` rather than a session because a refused attempt must
be remembered even though the request fails: the attempt row and the audit record are committed at once.
Every function takes ``now`` so lockout windows can be tested without waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edudata.audit.service import record_now
from edudata.config import Settings
from edudata.crypto.keys import KeyManager
from edudata.db import Database, utcnow
from edudata.errors import EduDataError, Locked, NotAuthenticated, NotFound, PermissionDenied
from edudata.identity import blacklist, totp
from edudata.identity.models import LoginAttempt
from edudata.identity.passwords import check_policy, hash_password, needs_rehash, verify_password
from edudata.identity.principal import Principal
from edudata.identity.tokens import as_utc, revoke_all
from edudata.org.models import Account, Unit
from edudata.org.service import find_account, roles_of

#: Failures that count towards a lockout (a refusal while locked does not extend the lock).
COUNTED = ("bad_password", "unknown_account", "bad_totp")
#: One address may fail this many times the account threshold before it is locked (password spraying).
ADDRESS_FACTOR = 4
#: Further conditions of login that other domains add (lifecycle: support staff need 附件3 on file, Art. 12).
#: Each takes the session and the account and returns the error to refuse with, or None.
LOGIN_CONDITIONS: list[Callable[[Session, Account], EduDataError | None]] = []


@dataclass(frozen=True)
class LoginResult:
    account_id: int
    username: str
    unit_code: str


def set_password(session: Session, account: Account, password: str) -> None:
    """Replace the password (policy checked) and end every token and session of the account."""
    check_policy(password, account.username)
    account.password_hash = hash_password(password)
    revoke_all(session, account.id)
    session.flush()


def _lock_until(
    session: Session, column, value: str, threshold: int, window: timedelta, now: datetime, reset: bool
):  # noqa: ANN001, ANN202
    """When the lock on ``value`` (a username or an address) ends, or None when it is not locked."""
    since = now - window
    if reset:
        last_ok = session.execute(
            select(func.max(LoginAttempt.at)).where(column == value, LoginAttempt.success.is_(True))
        ).scalar_one()
        if last_ok is not None and as_utc(last_ok) > since:
            since = as_utc(last_ok)
    times = (
        session.execute(
            select(LoginAttempt.at)
            .where(
                column == value,
                LoginAttempt.success.is_(False),
                LoginAttempt.reason.in_(COUNTED),
                LoginAttempt.at > since,
                LoginAttempt.at <= now,
            )
            .order_by(LoginAttempt.at.desc())
            .limit(threshold)
        )
        .scalars()
        .all()
    )
    if len(times) < threshold:
        return None
    return as_utc(times[-1]) + window


def lock_state(
    session: Session, settings: Settings, *, username: str, address: str, now: datetime
) -> datetime | None:
    """The end of the lock on this account or this address, whichever is later; None when neither is locked."""
    window = timedelta(minutes=settings.lockout_minutes)
    by_account = _lock_until(
        session, LoginAttempt.username, username, settings.lockout_threshold, window, now, reset=True
    )
    by_address = _lock_until(
        session,
        LoginAttempt.address,
        address,
        settings.lockout_threshold * ADDRESS_FACTOR,
        window,
        now,
        reset=False,
    )
    ends = [t for t in (by_account, by_address) if t is not None]
    return max(ends) if ends else None


class _Refused(Exception):
    def __init__(self, err: EduDataError, reason: str, account: Account | None = None) -> None:
        self.err, self.reason, self.account = err, reason, account


def _locked(until: datetime, now: datetime) -> Locked:
    seconds = max(1, int((until - now).total_seconds()) + 1)
    minutes = (seconds + 59) // 60
    return Locked(
        f"登录失败次数过多，账户或地址已锁定，请 {minutes} 分钟后再试",
        f"too many failed logins: locked, try again in {minutes} minute(s)",
        retry_after=seconds,
        locked_until=until.isoformat(),
    )


def _check(
    session: Session,
    settings: Settings,
    username: str,
    password: str,
    code: str | None,
    address: str,
    now: datetime,
) -> Account:
    if blacklist.address_listed(session, address):
        raise _Refused(
            PermissionDenied("来源地址已列入黑名单", "your address is blacklisted"), "blacklisted_address"
        )
    until = lock_state(session, settings, username=username, address=address, now=now)
    if until is not None:
        raise _Refused(_locked(until, now), "locked")
    account = find_account(session, username)
    if not verify_password(account.password_hash if account else None, password) or account is None:
        wrong = NotAuthenticated("用户名或密码错误", "wrong username or password", field="password")
        raise _Refused(wrong, "bad_password" if account else "unknown_account", account)
    if blacklist.account_listed(session, account.username):
        raise _Refused(
            PermissionDenied("账户已列入黑名单", "this account is blacklisted"),
            "blacklisted_account",
            account,
        )
    if settings.password_login_accounts and account.username not in settings.password_login_accounts:
        raise _Refused(
            PermissionDenied(
                "本平台使用统一身份认证登录；本地密码仅限应急账户",
                "this platform signs in through the school's sign-on; local passwords are for break-glass "
                "accounts only",
            ),
            "password_login_off",
            account,
        )
    if account.disabled:
        raise _Refused(PermissionDenied("账户已停用", "this account is disabled"), "disabled", account)
    for condition in LOGIN_CONDITIONS:
        refusal = condition(session, account)
        if refusal is not None:
            raise _Refused(refusal, f"condition:{refusal.code}"[:64], account)
    if account.totp_enabled:
        if not code:
            need = NotAuthenticated(
                "请输入动态验证码", "a one-time code (TOTP) is required", field="totp", totp_required=True
            )
            raise _Refused(need, "totp_required", account)
        step = totp.accept(KeyManager(session, settings), account, code, now)
        if step is None:
            bad = NotAuthenticated("动态验证码错误", "wrong one-time code", field="totp", totp_required=True)
            raise _Refused(bad, "bad_totp", account)
    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    return account


def authenticate(
    database: Database,
    settings: Settings,
    *,
    username: str,
    password: str,
    totp_code: str | None = None,
    address: str,
    via: str = "token",
    request_id: str | None = None,
    now: datetime | None = None,
) -> LoginResult:
    """Check a login and record it (attempt row + audit record), committed whether it succeeds or not.

    Refusals: blacklisted address or account / disabled account → 403, locked → 423 with ``retry_after``,
    wrong password or code → 401 (the same message for an unknown username).
    """
    now = now or utcnow()
    username = username[:150]
    address = address[:64]
    audit = {"username": username, "source_ip": address, "request_id": request_id}
    with database.session() as session:
        try:
            account = _check(session, settings, username, password, totp_code, address, now)
        except _Refused as refused:
            session.rollback()
            session.add(
                LoginAttempt(username=username, address=address, success=False, reason=refused.reason, at=now)
            )
            session.commit()
            result = "failed" if refused.reason in COUNTED else "denied"
            who = {"account_id": refused.account.id} if refused.account else {}
            record_now(
                database,
                operation="login",
                result=result,
                **audit,
                **who,
                detail={"via": via, "reason": refused.reason},
            )
            refused.err.audited = True  # the refusal hook need not record it again
            raise refused.err from None
        unit_code = session.get(Unit, account.unit_id).code
        session.add(LoginAttempt(username=username, address=address, success=True, reason="ok", at=now))
        login = LoginResult(account.id, account.username, unit_code)
        session.commit()
    record_now(
        database, operation="login", result="success", account_id=login.account_id, unit_code=unit_code,
        **audit, detail={"via": via},
    )  # fmt: skip
    return login


def unlock(session: Session, username: str, by: str | None = None, now: datetime | None = None) -> None:
    """Clear an account's failure count (administrator's unlock): a success row with reason ``unlocked``."""
    session.add(
        LoginAttempt(
            username=username[:150],
            address=f"unlock:{by or ''}"[:64],
            success=True,
            reason="unlocked",
            at=now or utcnow(),
        )
    )
    session.flush()


def principal_for(session: Session, account_id: int, *, source_ip: str, via: str) -> Principal | None:
    """The caller behind a live token or session, or None when the account is disabled (the blacklist is
    checked by the caller, together with the address)."""
    row = session.execute(
        select(Account, Unit).join(Unit, Unit.id == Account.unit_id).where(Account.id == account_id)
    ).first()
    if row is None:
        return None
    account, unit = row
    if account.disabled:
        return None
    return Principal(
        account_id=account.id,
        username=account.username,
        display_name=account.display_name,
        unit_id=unit.id,
        unit_code=unit.code,
        unit_name=unit.name,
        roles=roles_of(session, account.id),
        source_ip=source_ip,
        via=via,
    )


def cli_principal(session: Session, username: str) -> Principal:
    """The account a command-line command acts as (``--as``), with its roles (Art. 30: the CLI has the duties of
    the account that runs it, no more); a missing or disabled account is refused (404)."""
    found = find_account(session, username)
    who = principal_for(session, found.id, source_ip="local", via="cli") if found else None
    if who is None:
        raise NotFound(f"没有可用的账户 {username[:150]}", f"no active account {username[:150]}")
    return who
