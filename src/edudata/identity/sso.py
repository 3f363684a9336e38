"""Sign-on through the school's identity provider (统一身份认证: CAS or OIDC) — who may enter, and the record.

The IdP vouches for the person; the platform still decides whether that person has an account here (Art. 54):
- the account is found by the person's number (工号/学号, 一人一号) from the configured attribute, else by a
  username equal to the IdP's user name;
- none found → refused and audited (accounts are provisioned by the office or the directory sync), unless the
  office allows self-provisioning for one role (``sso_self_provision_role``, e.g. applicant);
- a disabled or blacklisted account is refused even with a valid ticket; the second factor is the IdP's, so
  no TOTP is asked here (local accounts keep theirs).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.audit.service import record_now
from edudata.config import Settings
from edudata.db import Database, utcnow
from edudata.errors import PermissionDenied
from edudata.identity import blacklist
from edudata.identity.models import LoginAttempt
from edudata.identity.passwords import UNUSABLE_PASSWORD
from edudata.identity.service import LOGIN_CONDITIONS, LoginResult, _Refused
from edudata.org.models import Account, Person, Unit
from edudata.org.roles import ALL_ROLES
from edudata.org.service import find_unit, grant_role
from edudata.org.validation import PERSON_NUMBER, USERNAME


@dataclass(frozen=True)
class SsoIdentity:
    """The person as the IdP describes them, after the attribute mapping of the settings."""

    method: str  # "cas" or "oidc"
    user: str  # the CAS user / the OIDC subject
    number: str  # 工号/学号
    name: str
    unit_code: str


def map_identity(settings: Settings, method: str, user: str, attributes: dict[str, str]) -> SsoIdentity:
    """Apply ``sso_attr_*``: which attribute (CAS) or claim (OIDC) holds the number, the name, the unit."""

    def pick(name: str) -> str:
        value = attributes.get(name, "") if name else ""
        return str(value).strip()[:200]

    number = pick(settings.sso_attr_number) if settings.sso_attr_number else user
    return SsoIdentity(
        method=method, user=user[:150], number=number[:32], name=pick(settings.sso_attr_name),
        unit_code=pick(settings.sso_attr_unit)[:32],
    )  # fmt: skip


def _find(session: Session, who: SsoIdentity) -> Account | None:
    if who.number:
        account = session.execute(
            select(Account).join(Person, Person.id == Account.person_id).where(Person.number == who.number)
        ).scalar_one_or_none()
        if account is not None:
            return account
    return session.execute(select(Account).where(Account.username == who.user)).scalar_one_or_none()


def _no_account() -> _Refused:
    return _Refused(
        PermissionDenied(
            "统一身份认证已通过，但您在本平台尚无账户。账户由网信办开通（或由人事数据同步），请联系本单位数据管理员。",
            "you signed in with the school's sign-on, but you have no account on this platform; accounts are "
            "opened by the data office (or the directory sync) — ask your unit's data officer",
            reason="sso_no_account",
        ),
        "sso_no_account",
    )


def _provision(session: Session, settings: Settings, who: SsoIdentity) -> Account:
    """Self-provisioning (only when the office allows it): a person and an account with the one role."""
    role = settings.sso_self_provision_role
    unit = find_unit(session, who.unit_code) if who.unit_code else None
    username = who.user if USERNAME.fullmatch(who.user) else who.number
    if (
        role not in ALL_ROLES or unit is None or not who.name or not PERSON_NUMBER.fullmatch(who.number)
        or not USERNAME.fullmatch(username)
        or session.execute(select(Account.id).where(Account.username == username)).first()
    ):  # fmt: skip
        raise _no_account()
    person = session.execute(select(Person).where(Person.number == who.number)).scalar_one_or_none()
    if person is None:
        person = Person(name=who.name, number=who.number, unit_id=unit.id)
        session.add(person)
        session.flush()
    account = Account(
        username=username, display_name=who.name, unit_id=person.unit_id, person_id=person.id,
        password_hash=UNUSABLE_PASSWORD, disabled=False, totp_enabled=False,
    )  # fmt: skip
    session.add(account)
    session.flush()
    grant_role(session, account, role, f"sso:{who.method}")
    return account


def _check(session: Session, settings: Settings, who: SsoIdentity, address: str) -> tuple[Account, bool]:
    if blacklist.address_listed(session, address):
        raise _Refused(
            PermissionDenied("来源地址已列入黑名单", "your address is blacklisted"), "blacklisted_address"
        )
    account = _find(session, who)
    provisioned = False
    if account is None:
        if not settings.sso_self_provision_role:
            raise _no_account()
        account, provisioned = _provision(session, settings, who), True
    if blacklist.account_listed(session, account.username):
        raise _Refused(
            PermissionDenied("账户已列入黑名单", "this account is blacklisted"),
            "blacklisted_account",
            account,
        )
    if account.disabled:
        raise _Refused(
            PermissionDenied(
                "账户已停用：统一身份认证通过也不能登录本平台",
                "this account is disabled, whatever the sign-on says",
            ),
            "disabled",
            account,
        )
    for condition in LOGIN_CONDITIONS:
        refusal = condition(session, account)
        if refusal is not None:
            raise _Refused(refusal, f"condition:{refusal.code}"[:64], account)
    if who.name and who.name != account.display_name and len(who.name) <= 200:
        account.display_name = who.name  # the directory's name wins: the platform does not keep its own copy
    return account, provisioned


def sso_login(
    database: Database,
    settings: Settings,
    who: SsoIdentity,
    *,
    address: str,
    request_id: str | None = None,
    now: datetime | None = None,
) -> LoginResult:
    """Decide and record one sign-on (attempt row + audit record, committed whether it succeeds or not)."""
    now = now or utcnow()
    address = address[:64]
    audit = {"username": who.user, "source_ip": address, "request_id": request_id}
    detail = {"via": who.method, "sso_user": who.user}
    with database.session() as session:
        try:
            account, provisioned = _check(session, settings, who, address)
        except _Refused as refused:
            session.rollback()
            session.add(
                LoginAttempt(username=who.user, address=address, success=False, reason=refused.reason, at=now)
            )
            session.commit()
            who_ = {"account_id": refused.account.id} if refused.account else {}
            record_now(
                database, operation="login", result="denied", **audit, **who_,
                detail={**detail, "reason": refused.reason},
            )  # fmt: skip
            refused.err.audited = True
            raise refused.err from None
        unit_code = session.get(Unit, account.unit_id).code
        session.add(
            LoginAttempt(username=account.username, address=address, success=True, reason="ok", at=now)
        )
        login = LoginResult(account.id, account.username, unit_code)
        session.commit()
    if provisioned:
        record_now(
            database, operation="sso_provision", result="success", account_id=login.account_id,
            unit_code=unit_code, **audit, detail={**detail, "role": settings.sso_self_provision_role},
        )  # fmt: skip
    audit["username"] = login.username
    record_now(
        database, operation="login", result="success", account_id=login.account_id, unit_code=unit_code,
        **audit, detail=detail,
    )  # fmt: skip
    return login
