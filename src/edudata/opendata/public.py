"""Citizens and organisations on the portal: registration with e-mail verification, applications for
conditional data, the office's decision, scoped open-data keys (有条件开放, Art. 44(2), 56, 58).

Public users are not staff accounts: they hold no role and no unit, log in with their e-mail address, and can
only ever read published views. Verification tokens, sessions and keys are random secrets of which only the
SHA-256 is stored; a key is shown once, to its holder, and is bound to the one view it was approved for.
Mails (the verification link, the note to an address's owner) go through the mail outbox in the transaction of
the registration and are sent by ``edudata worker``; a relay that is down delays them, never the registration.
"""

from __future__ import annotations

import functools
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from edudata import mail
from edudata.audit import service as audit
from edudata.config import Settings
from edudata.db import utcnow
from edudata.errors import (
    Conflict,
    Locked,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from edudata.identity.models import LoginAttempt
from edudata.identity.passwords import check_policy, hash_password, verify_password
from edudata.identity.principal import OpenKeyCaller, Principal
from edudata.identity.tokens import as_utc, digest
from edudata.opendata import conditions as open_conditions
from edudata.opendata.models import OpenApplication, OpenKey, OpenView, PublicSession, PublicUser
from edudata.opendata.review import get_view
from edudata.policy import require
from edudata.worker import outbox

EMAIL = mail.EMAIL
VERIFY_HOURS = 48
SESSION_HOURS = 8
KEY_DAYS = 365


#: How a conditional-open application stands (Art. 44(2)), in the office's words.
APPLICATION_STATUS: dict[str, tuple[str, str]] = {
    "pending": ("待审核", "pending"),
    "approved": ("已批准", "approved"),
    "refused": ("已驳回", "refused"),
}


def _text(value: Any, field: str, max_length: int, required: bool = True) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if (required and not text) or len(text) > max_length:
        raise ValidationFailed(
            f"{field}：必填，且不超过 {max_length} 字",
            f"{field}: required, at most {max_length} characters",
            field=field,
        )
    return text


def send_mail(session: Session, settings: Settings, to: str, subject: str, body: str) -> None:
    """Queue a mail in the outbox of this transaction; the worker sends it through ``EDUDATA_SMTP_*``."""
    outbox.enqueue(session, sender=settings.smtp_sender, to=to, subject=subject, body=body)


def register(
    session: Session, settings: Settings, values: dict[str, Any], base_url: str, source_ip: str
) -> PublicUser:
    """Create an unverified public user and mail the verification link (valid 48 hours)."""
    email = _text(values.get("email"), "email", 254).lower()
    if not EMAIL.match(email):
        raise ValidationFailed("email：电子邮箱格式不正确", "email: not an e-mail address", field="email")
    password = values.get("password") if isinstance(values.get("password"), str) else ""
    check_policy(password, email)
    existing = session.scalar(select(PublicUser).where(PublicUser.email == email))
    if existing is not None:
        # The same answer as a new registration (no 409): whether an address is registered is not told to
        # whoever asks. The owner of the address learns of the attempt by mail.
        hash_password(password)  # the same work as a new registration, so the time tells nothing either
        _tell_owner(session, settings, existing, base_url)
        _audit(session, "opendata_register_existing", email, source_ip, user_id=existing.id)
        return PublicUser(email=email, name=existing.name)
    token = secrets.token_urlsafe(32)
    user = PublicUser(
        email=email, name=_text(values.get("name"), "name", 100),
        organisation=_text(values.get("organisation"), "organisation", 200, required=False),
        password_hash=hash_password(password), verify_hash=digest(token),
        verify_expires_at=utcnow() + timedelta(hours=VERIFY_HOURS), created_at=utcnow(),
    )  # fmt: skip
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(
            "该电子邮箱已注册", "this e-mail address is already registered", field="email"
        ) from None
    link = f"{(settings.public_base_url or base_url).rstrip('/')}/open/verify?token={token}"
    send_mail(
        session,
        settings,
        email,
        f"{settings.school_name}开放数据平台：请验证电子邮箱 / verify your e-mail",
        f"{user.name}，您好：\n\n请在 {VERIFY_HOURS} 小时内打开以下链接完成验证：\n{link}\n\n"
        f"Open this link within {VERIFY_HOURS} hours to verify your address:\n{link}\n",
    )
    _audit(session, "opendata_register", email, source_ip, user_id=user.id)
    return user


def _tell_owner(session: Session, settings: Settings, user: PublicUser, base_url: str) -> None:
    link = f"{(settings.public_base_url or base_url).rstrip('/')}/open/login"
    send_mail(
        session,
        settings,
        user.email,
        f"{settings.school_name}开放数据平台：有人用您的邮箱注册 / a registration with your address",
        f"{user.name}，您好：\n\n有人用本邮箱再次注册。如是您本人，请直接登录：{link}\n如不是，请忽略本邮件。\n\n"
        f"Someone registered again with this address. If it was you, log in: {link}\nIf not, ignore this mail.\n",
    )


@functools.cache
def _dummy_hash() -> str:
    """A real Argon2 hash no password matches: an unknown address costs the same time as a wrong password."""
    return hash_password(secrets.token_urlsafe(24))


def _portal_name(email: str) -> str:
    return ("open:" + email)[:150]


def _lock_remaining(session: Session, settings: Settings, name: str, now: datetime) -> int | None:
    """Seconds left of a lockout after ``lockout_threshold`` failures within ``lockout_minutes`` (Art. 54)."""
    window = now - timedelta(minutes=settings.lockout_minutes)
    last_ok = session.scalar(
        select(func.max(LoginAttempt.at)).where(LoginAttempt.username == name, LoginAttempt.success.is_(True))
    )
    since = max(window, as_utc(last_ok)) if last_ok else window
    failures = session.scalars(
        select(LoginAttempt.at)
        .where(LoginAttempt.username == name, LoginAttempt.success.is_(False), LoginAttempt.at > since)
        .order_by(LoginAttempt.at.desc())
        .limit(settings.lockout_threshold)
    ).all()
    if len(failures) < settings.lockout_threshold:
        return None
    ends = as_utc(failures[0]) + timedelta(minutes=settings.lockout_minutes)
    return max(1, int((ends - now).total_seconds()))


def _attempt(session: Session, name: str, address: str, ok: bool, reason: str) -> None:
    """Record a login attempt in its own transaction, so a refusal's rollback keeps it."""
    with Session(bind=session.get_bind()) as own:
        own.add(LoginAttempt(username=name, address=address[:64], success=ok, reason=reason, at=utcnow()))
        own.commit()


def verify(session: Session, token: str, source_ip: str) -> PublicUser:
    user = session.scalar(select(PublicUser).where(PublicUser.verify_hash == digest(token[:200])))
    if user is None or user.verify_expires_at is None or as_utc(user.verify_expires_at) < utcnow():
        raise NotFound("验证链接无效或已过期，请重新注册", "the verification link is invalid or has expired")
    user.verified_at, user.verify_hash, user.verify_expires_at = utcnow(), None, None
    session.flush()
    _audit(session, "opendata_verify", user.email, source_ip, user_id=user.id)
    return user


def login(
    session: Session, email: str, password: str, source_ip: str, settings: Settings | None = None
) -> tuple[PublicUser, str]:
    """A session secret (8 hours) for a verified public user.

    Locked for ``lockout_minutes`` after ``lockout_threshold`` failures (423, as for staff accounts, Art. 54);
    an unknown address is checked against a dummy hash, so it answers like a wrong password, in the same time."""
    settings = settings or Settings()
    address = str(email).strip().lower()[:254]
    name, now = _portal_name(address), utcnow()
    remaining = _lock_remaining(session, settings, name, now)
    if remaining is not None:
        _attempt(session, name, source_ip, False, "locked")
        raise Locked(
            f"登录失败次数过多，请 {remaining // 60 + 1} 分钟后再试",
            f"too many failed logins; try again in {remaining // 60 + 1} minute(s)",
            retry_after=remaining,
        )
    user = session.scalar(select(PublicUser).where(PublicUser.email == address))
    good = verify_password(user.password_hash if user else _dummy_hash(), str(password)[:500])
    if user is None or not good:
        _attempt(session, name, source_ip, False, "bad_password")
        raise NotAuthenticated("电子邮箱或密码不正确", "wrong e-mail address or password")
    _attempt(session, name, source_ip, True, "ok")
    if user.verified_at is None:
        raise PermissionDenied(
            "请先打开验证邮件中的链接", "verify your e-mail address first (see the mail we sent)"
        )
    secret = "edp_" + secrets.token_urlsafe(32)
    session.add(
        PublicSession(
            token_hash=digest(secret),
            user_id=user.id,
            expires_at=utcnow() + timedelta(hours=SESSION_HOURS),
            created_at=utcnow(),
        )
    )
    session.flush()
    _audit(session, "opendata_login", user.email, source_ip, user_id=user.id)
    return user, secret


def user_for_session(session: Session, secret: str | None) -> PublicUser | None:
    if not secret or len(secret) > 200:
        return None
    row = session.scalar(select(PublicSession).where(PublicSession.token_hash == digest(secret)))
    if row is None or as_utc(row.expires_at) < utcnow():
        return None
    return session.get(PublicUser, row.user_id)


def apply(
    session: Session,
    user: PublicUser,
    view_code: str,
    purpose: str,
    usage: str,
    source_ip: str,
    answers: Any = None,
) -> OpenApplication:
    """An application for a published conditional view, stating purpose and use and answering every one of the
    provider's conditions (Art. 44(2), 56): one skipped is a 422 naming it, and nothing is stored."""
    view = get_view(session, view_code)
    if view.status != "published":
        raise NotFound(f"没有已发布的开放数据“{view_code[:64]}”", f"no published view '{view_code[:64]}'")
    if view.open_category != "conditional":
        raise ValidationFailed(
            "该数据为无条件开放，无需申请",
            "this view is open unconditionally; no application is needed",
            field="view",
        )
    if session.scalar(
        select(OpenApplication.id).where(
            OpenApplication.user_id == user.id,
            OpenApplication.view_id == view.id,
            OpenApplication.status == "pending",
        )
    ):
        raise Conflict("已有一份待审批的申请", "an application for this view is already pending")
    purpose, usage = _text(purpose, "purpose", 2000), _text(usage, "usage", 2000)
    answered = open_conditions.clean_answers(view.conditions, answers)
    app = OpenApplication(
        user_id=user.id, view_id=view.id, purpose=purpose, usage=usage, answers=answered,
        conditions=list(view.conditions or []), status="pending", created_at=utcnow(),
    )  # fmt: skip
    session.add(app)
    session.flush()
    _audit(
        session, "opendata_apply", user.email, source_ip, user_id=user.id, view=view.code, application=app.id
    )
    return app


def decide(
    session: Session, who: Principal, application_id: int, decision: str, reason: str, checks: Any = None
) -> OpenApplication:
    """The office approves or refuses (a refusal needs a reason). ``checks`` is its check of each answer by
    condition id: approval needs every condition answered and checked as met (Art. 44(2)); kept with the decision."""
    require(who, "opendata.application.decide")
    app = session.get(OpenApplication, application_id)
    if app is None:
        raise NotFound(f"没有申请 {application_id}", f"no application {application_id}")
    if app.status != "pending":
        raise Conflict("该申请已审批", "this application has already been decided")
    if decision not in ("approve", "refuse"):
        raise ValidationFailed("请选择批准或拒绝", "choose approve or refuse", field="decision")
    reason = reason.strip() if isinstance(reason, str) else ""
    if decision == "refuse" and not reason:
        raise ValidationFailed("拒绝须说明理由", "a refusal needs a reason", field="reason")
    view = session.get(OpenView, app.view_id)
    app.checks = open_conditions.clean_checks(app.conditions, app.answers, view.conditions, checks, decision)
    app.status = "approved" if decision == "approve" else "refused"
    app.decided_by, app.decided_at, app.reason = who.username, utcnow(), reason[:2000]
    session.flush()
    audit.record(
        session, operation=f"opendata_application_{decision}", account_id=who.account_id, username=who.username,
        unit_code=who.unit_code, source_ip=who.source_ip, detail={"application": app.id, "reason": reason[:200]},
    )  # fmt: skip
    return app


def issue_key(session: Session, user: PublicUser, application_id: int, source_ip: str) -> tuple[OpenKey, str]:
    """The key of an approved application, shown once to its applicant (only its hash is kept)."""
    app = session.get(OpenApplication, application_id)
    if app is None or app.user_id != user.id:
        raise NotFound(f"没有申请 {application_id}", f"no application {application_id}")
    if app.status != "approved":
        raise PermissionDenied("申请尚未获批", "the application has not been approved")
    if session.scalar(select(OpenKey.id).where(OpenKey.application_id == app.id)):
        raise Conflict(
            "该申请的密钥已领取过，如遗失请重新申请", "the key of this application was already issued"
        )
    view = session.get(OpenView, app.view_id)
    secret = "odk_" + secrets.token_urlsafe(32)
    key = OpenKey(
        key_hash=digest(secret), prefix=secret[:12], user_id=user.id, application_id=app.id, view_code=view.code,
        created_at=utcnow(), expires_at=utcnow() + timedelta(days=KEY_DAYS),
    )  # fmt: skip
    session.add(key)
    session.flush()
    _audit(
        session, "opendata_key_issue", user.email, source_ip, user_id=user.id, key_id=key.id, view=view.code
    )
    return key, secret


def caller_for_key(
    session: Session, secret: str, source_ip: str, now: datetime | None = None
) -> OpenKeyCaller:
    """The key's caller (scope = its approved view), or 401 for an unknown, expired or revoked key."""
    key = session.scalar(select(OpenKey).where(OpenKey.key_hash == digest(secret[:200])))
    now = now or utcnow()
    if (
        key is None
        or key.revoked_at is not None
        or (key.expires_at is not None and as_utc(key.expires_at) < now)
    ):
        raise NotAuthenticated(
            "开放数据密钥无效、已过期或已撤销", "the open-data key is invalid, expired or revoked"
        )
    return OpenKeyCaller(
        key_id=key.id, public_user_id=key.user_id, scope=frozenset({key.view_code}), source_ip=source_ip,
        username=f"opendata-key:{key.prefix}",
    )  # fmt: skip


def applications(
    session: Session, status: str | None = None, user: PublicUser | None = None
) -> list[dict[str, Any]]:
    stmt = (
        select(OpenApplication, PublicUser, OpenView)
        .join(PublicUser, PublicUser.id == OpenApplication.user_id)
        .join(OpenView, OpenView.id == OpenApplication.view_id)
    )
    if status:
        stmt = stmt.where(OpenApplication.status == status)
    if user is not None:
        stmt = stmt.where(OpenApplication.user_id == user.id)
    out = []
    for app, person, view in session.execute(stmt.order_by(OpenApplication.id)).all():
        out.append({
            "id": app.id, "view": view.code, "title": view.title, "applicant": person.name, "email": person.email,
            "organisation": person.organisation, "purpose": app.purpose, "usage": app.usage, "status": app.status,
            "reason": app.reason, "decided_by": app.decided_by, "created_at": app.created_at.isoformat(),
            "conditions": open_conditions.with_answers(app.conditions, app.answers, app.checks),
        })  # fmt: skip
    return out


def _audit(session: Session, operation: str, email: str, source_ip: str, **detail: Any) -> None:
    audit.record(
        session, operation=operation, username=f"public:{email}"[:150], source_ip=source_ip, detail=detail
    )
