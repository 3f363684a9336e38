"""Grant-scoped API credentials (共享凭证, ``edg_…``): create, rotate, revoke — and the holder, checked on every use.

A credential is a secret shown once; only its SHA-256 is stored (Art. 54). ``identity.deps`` hands every bearer
secret with the prefix to :func:`resolve_credential`; the data path then reads the credential's grant only.

Who may hold one: an enabled account with the ``applicant`` role in the grant's applicant unit — the rule for
creating one (Art. 30 权限分离: the right to the data is the post's, not the person's; Art. 40: data reaches the unit
that applied, through the platform). That rule is checked again on every use, not only at creation. A holder who
has lost the role, moved to another unit or been disabled since the credential was made makes it **revoked for
good**: the refusal (403, with the reason) and the revocation are audited, and giving the role back, moving back
or re-enabling the account does not revive it — the unit's applicant creates a new one, shown once. A careful
product prefers deny here: a key that silently came back to life would outlive the decision that ended it (Art.
30, 42), and one re-issued on purpose leaves a trace of who took it and when. "Lost since" is read from the role
assignment's own time: a role revoked and granted again is a new assignment, younger than the credential, so even
a change made past the org service (which tells :func:`on_account_change` at once) is caught on the next use.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from edudata import transition
from edudata.access.models import AccessGrant
from edudata.audit import service as audit
from edudata.db import utcnow
from edudata.errors import Conflict, PermissionDenied
from edudata.identity.principal import Principal
from edudata.identity.tokens import as_utc, digest
from edudata.org.models import Account, RoleAssignment, Unit
from edudata.org.roles import Role
from edudata.policy import require
from edudata.sharing.models import GrantCredential, ShareApplication
from edudata.sharing.service import audit_step, lock_application

CREDENTIAL_PREFIX = "edg_"
HOLDER_ROLE = Role.APPLICANT
#: Why a credential ended because of its holder (stored in ``revoke_reason``; shown and audited).
HOLDER_REASONS: dict[str, tuple[str, str]] = {
    "holder_role_lost": (
        "凭证持有人已不再担任数据申请人，凭证已永久失效",
        "the credential's holder no longer holds the applicant role; the credential is revoked for good",
    ),
    "holder_moved": (
        "凭证持有人已调离申请单位，凭证已永久失效",
        "the credential's holder has left the applicant unit; the credential is revoked for good",
    ),
    "holder_disabled": (
        "凭证持有人的账户已停用，凭证已永久失效",
        "the credential's holder account is disabled; the credential is revoked for good",
    ),
}
_EVENT_REASON = {"role_revoked": "holder_role_lost", "moved": "holder_moved", "disabled": "holder_disabled"}


def _holder(actor: Principal, app: ShareApplication) -> None:
    require(actor, "sharing.credential.issue", unit_code=app.applicant_unit_code)


def create_credential(
    session: Session, actor: Principal, app: ShareApplication, *, label: str = ""
) -> tuple[GrantCredential, str]:
    """A new key for the grant; the secret is returned once and only its SHA-256 is stored (Art. 54)."""
    from edudata.sharing.delivery import grant_state

    _holder(actor, app)
    # Locked: a credential is never made for a grant a revocation at the same moment is ending.
    lock_application(session, app)
    if grant_state(session, app) != "active":
        raise Conflict("授权未生效、已过期或已撤销，不能创建凭证", "the grant is not active; no credential")
    secret = CREDENTIAL_PREFIX + secrets.token_urlsafe(32)
    cred = GrantCredential(
        grant_id=app.grant_id,
        application_id=app.id,
        account_id=actor.account_id,
        label=label.strip()[:100],
        secret_hash=digest(secret),
        hint=secret[:10],
        created_by=actor.username,
        created_at=utcnow(),
    )
    session.add(cred)
    session.flush()
    audit_step(session, actor, "share_credential_create", app, credential_id=cred.id)
    return cred, secret


def _credential(session: Session, app: ShareApplication, credential_id: int) -> GrantCredential:
    cred = session.get(GrantCredential, credential_id)
    if cred is None or cred.application_id != app.id:
        raise Conflict(
            f"凭证 {credential_id} 不属于该申请", f"credential {credential_id} is not of this application"
        )
    return cred


def rotate_credential(
    session: Session, actor: Principal, app: ShareApplication, credential_id: int
) -> tuple[GrantCredential, str]:
    _holder(actor, app)
    lock_application(session, app)
    old = _credential(session, app, credential_id)
    if old.revoked_at is not None:
        raise transition.conflict(
            (f"凭证 {old.id}", f"credential {old.id}"),
            ("已撤销", "revoked"),
            by=old.revoked_by,
            at=old.revoked_at,
        )
    new, secret = create_credential(session, actor, app, label=old.label)
    old.revoked_at, old.revoked_by, old.replaced_by_id = utcnow(), actor.username, new.id
    old.revoke_reason = "rotated"
    session.flush()
    audit_step(session, actor, "share_credential_rotate", app, old=old.id, new=new.id)
    return new, secret


def revoke_credential(session: Session, actor: Principal, app: ShareApplication, credential_id: int) -> None:
    require(actor, "sharing.credential.revoke", unit_code=app.applicant_unit_code)
    lock_application(session, app)
    cred = _credential(session, app, credential_id)
    if cred.revoked_at is None:
        cred.revoked_at, cred.revoked_by, cred.revoke_reason = utcnow(), actor.username, "revoked"
        session.flush()
    audit_step(session, actor, "share_credential_revoke", app, credential_id=cred.id)


def end_for_grant(session: Session, grant_id: int, *, by: str) -> None:
    """The grant was revoked: every live credential of it dies with it."""
    live = session.scalars(
        select(GrantCredential).where(
            GrantCredential.grant_id == grant_id, GrantCredential.revoked_at.is_(None)
        )
    )
    for cred in live:
        cred.revoked_at, cred.revoked_by, cred.revoke_reason = utcnow(), by, "grant_revoked"
    session.flush()


def end_for_application(session: Session, application_id: int, *, by: str) -> None:
    """The application was revoked: every live credential made for it dies, whichever grant it names."""
    live = session.scalars(
        select(GrantCredential).where(
            GrantCredential.application_id == application_id, GrantCredential.revoked_at.is_(None)
        )
    )
    for cred in live:
        cred.revoked_at, cred.revoked_by, cred.revoke_reason = utcnow(), by, "grant_revoked"
    session.flush()


def credentials_of(session: Session, app: ShareApplication) -> list[GrantCredential]:
    return list(
        session.scalars(
            select(GrantCredential)
            .where(GrantCredential.application_id == app.id)
            .order_by(GrantCredential.id)
        )
    )


# --- the holder, on every use and on every change of the account ----------------------------------------------


def _holder_role():  # noqa: ANN202 - a join condition
    return and_(RoleAssignment.account_id == GrantCredential.account_id, RoleAssignment.role == HOLDER_ROLE)


def _problem(
    disabled: bool | None,
    unit_code: str | None,
    applicant_unit: str | None,
    granted_at: datetime | None,
    created_at: datetime,
) -> str | None:
    """Why the holder may no longer use a credential made at ``created_at`` (a key of :data:`HOLDER_REASONS`),
    from the holder's values as :func:`resolve_credential` reads them; None when they may."""
    if disabled is None or disabled:
        return "holder_disabled"
    if applicant_unit is None or unit_code != applicant_unit:
        return "holder_moved"
    # A role granted after the credential was made is a later decision: the one it was issued under has ended.
    if granted_at is None or as_utc(granted_at) > as_utc(created_at):
        return "holder_role_lost"
    return None


def _end(session: Session, cred: GrantCredential, reason: str, by: str) -> None:
    cred.revoked_at, cred.revoked_by, cred.revoke_reason = utcnow(), by[:150], reason
    session.flush()
    app = session.get(ShareApplication, cred.application_id)
    audit.record(
        session,
        operation="share_credential_revoke",
        username=by,
        dataset=app.dataset_code if app else None,
        detail={"application_id": cred.application_id, "credential_id": cred.id, "grant_id": cred.grant_id,
                "holder_account_id": cred.account_id, "reason": reason},
    )  # fmt: skip


def _refuse(session: Session, cred: GrantCredential, reason: str, address: str) -> PermissionDenied:
    """Audit the refused use (who held it, from where, why) and commit it; the answer is the returned error."""
    holder = session.get(Account, cred.account_id)
    unit = session.get(Unit, holder.unit_id) if holder else None
    app = session.get(ShareApplication, cred.application_id)
    audit.record(
        session,
        operation="share_credential_refused",
        result="denied",
        account_id=cred.account_id,
        username=holder.username if holder else None,
        unit_code=unit.code if unit else None,
        source_ip=address,
        dataset=app.dataset_code if app else None,
        detail={"application_id": cred.application_id, "credential_id": cred.id, "grant_id": cred.grant_id,
                "reason": reason},
    )  # fmt: skip
    session.commit()
    zh, en = HOLDER_REASONS[reason]
    err = PermissionDenied(zh, en, reason=reason)
    err.audited = True  # recorded above, with the credential; the refusal hook need not record it again
    return err


def resolve_credential(session: Session, secret: str, address: str = "") -> Principal | None:
    """The holder of a live credential whose holder may still use it, as the request's principal (no roles, the
    grant's id), for ``identity.deps``.

    None (401) for an unknown, rotated or revoked credential; 403 naming the reason for one ended by its holder,
    revoked here and now when the holder check finds it (see the module's docstring). The credential, its grant,
    the holder's account, unit and role and the application are read in one statement: this runs on every
    request a grant holder makes (Art. 40), so it costs one round trip, not seven.
    """
    row = session.execute(
        select(
            GrantCredential, AccessGrant.id, AccessGrant.revoked_at, Account.disabled, Account.username, Account.display_name,
            Unit.id, Unit.code, Unit.name, ShareApplication.applicant_unit_code, RoleAssignment.granted_at,
        )
        .outerjoin(AccessGrant, AccessGrant.id == GrantCredential.grant_id)
        .outerjoin(Account, Account.id == GrantCredential.account_id)
        .outerjoin(Unit, Unit.id == Account.unit_id)
        .outerjoin(ShareApplication, ShareApplication.id == GrantCredential.application_id)
        .outerjoin(RoleAssignment, _holder_role())
        .where(GrantCredential.secret_hash == digest(secret))
    ).first()  # fmt: skip
    if row is None:
        return None
    (
        cred,
        grant_found,
        grant_revoked_at,
        disabled,
        username,
        display_name,
        unit_id,
        unit_code,
        unit_name,
        applicant_unit,
        granted,
    ) = row
    if cred.revoked_at is not None:
        if cred.revoke_reason in HOLDER_REASONS:
            raise _refuse(session, cred, cred.revoke_reason, address)
        return None
    # The grant's own state, not only the credential's: a credential of a revoked grant serves nothing.
    if grant_found is None or grant_revoked_at is not None:
        return None
    problem = _problem(disabled, unit_code, applicant_unit, granted, cred.created_at)
    if problem is not None:
        _end(session, cred, problem, "system")
        raise _refuse(session, cred, problem, address)
    return Principal(
        account_id=cred.account_id, username=username, display_name=display_name, unit_id=unit_id,
        unit_code=unit_code, unit_name=unit_name, roles=frozenset(), source_ip=address, via="grant",
        grant_id=cred.grant_id,
    )  # fmt: skip


def on_account_change(
    session: Session, account: Account, event: str, role: str | None, by: str | None
) -> None:
    """``org.service`` listener: the holder lost the role, moved or was disabled (offboarding does all three) —
    every live credential the account holds is revoked in the same transaction."""
    if event == "role_revoked" and role != HOLDER_ROLE:
        return
    reason = _EVENT_REASON.get(event)
    if reason is None:
        return
    live = session.scalars(
        select(GrantCredential).where(
            GrantCredential.account_id == account.id, GrantCredential.revoked_at.is_(None)
        )
    ).all()
    for cred in live:
        _end(session, cred, reason, by or "system")
