"""Unit heads (单位负责人) and the unit's signature of the use commitment (附件2, Art. 41).

Art. 41 has the 数据需求单位 — the unit, not only a person — sign 《教育数据使用承诺书》 before data is shared. The
office names each unit's head; an application is submitted only when its applicant signed the commitment and the
applicant unit's current head signed the same version for the unit. The head also signs off the unit's written
requests to provide data outside the school (Art. 42, :mod:`edudata.sharing.external`).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.audit import service as audit
from edudata.db import utcnow
from edudata.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from edudata.identity.principal import Principal
from edudata.org.models import Account, Unit
from edudata.policy import require
from edudata.sharing.commitment import current_commitment, signature_of
from edudata.sharing.models import CommitmentSignature, CommitmentText, ShareApplication, UnitHead
from edudata.sharing.service import INTERNAL_UNIT_TYPES, audit_step


def head_of(session: Session, unit_code: str) -> UnitHead | None:
    """The unit's current head, if the office has named one."""
    return session.scalar(
        select(UnitHead)
        .where(UnitHead.unit_code == unit_code, UnitHead.ended_at.is_(None))
        .order_by(UnitHead.id.desc())
        .limit(1)
    )


def is_head(session: Session, actor: Principal, unit_code: str) -> bool:
    head = head_of(session, unit_code)
    return head is not None and head.account_id == actor.account_id and actor.unit_code == unit_code


def set_head(session: Session, unit_code: str, username: str, *, by: str) -> UnitHead:
    """Name ``username`` head of ``unit_code`` (an enabled account of that internal unit); the previous head ends."""
    unit = session.scalar(select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise NotFound(f"单位 {unit_code} 不存在", f"unit {unit_code} does not exist")
    if unit.unit_type not in INTERNAL_UNIT_TYPES:
        raise ValidationFailed(
            "只能为校内单位指定负责人；技术支持或服务单位不签署数据使用承诺书",
            "heads are named for units inside the school only; a support company signs no use commitment",
            field="unit_code",
        )
    account = session.scalar(select(Account).where(Account.username == username))
    if account is None or account.disabled or account.unit_id != unit.id:
        raise ValidationFailed(
            f"账户 {username} 不存在、已停用或不属于单位 {unit_code}",
            f"account {username} does not exist, is disabled or is not of unit {unit_code}",
            field="username",
        )
    now = utcnow()
    for old in session.scalars(
        select(UnitHead).where(UnitHead.unit_code == unit_code, UnitHead.ended_at.is_(None))
    ):
        old.ended_at = now
    head = UnitHead(unit_code=unit_code, account_id=account.id, username=account.username, designated_by=by)
    session.add(head)
    session.flush()
    return head


def designate(session: Session, actor: Principal, unit_code: str, username: str) -> UnitHead:
    """The office names a unit's head (Art. 41), audited."""
    require(actor, "sharing.unit_head.designate")
    head = set_head(session, unit_code, username, by=actor.username)
    audit.record(
        session, operation="share_unit_head", account_id=actor.account_id, username=actor.username,
        unit_code=actor.unit_code, source_ip=actor.source_ip, detail={"unit": unit_code, "head": head.username},
    )  # fmt: skip
    return head


def heads(session: Session) -> list[UnitHead]:
    return list(
        session.scalars(select(UnitHead).where(UnitHead.ended_at.is_(None)).order_by(UnitHead.unit_code))
    )


def unit_signature_of(session: Session, app: ShareApplication) -> CommitmentSignature | None:
    return session.scalar(
        select(CommitmentSignature)
        .where(CommitmentSignature.application_id == app.id, CommitmentSignature.capacity == "unit")
        .order_by(CommitmentSignature.id.desc())
        .limit(1)
    )


def sign_for_unit(
    session: Session, actor: Principal, app: ShareApplication, *, text_sha256: str
) -> CommitmentSignature:
    """The applicant unit's head signs the commitment for the unit (Art. 41), after reading the words shown."""
    require(actor, "sharing.commitment.sign_unit")
    if not is_head(session, actor, app.applicant_unit_code):
        raise PermissionDenied(
            f"只有申请单位（{app.applicant_unit_code}）的负责人可以代表单位签署数据使用承诺书（第四十一条）",
            f"only the head of the applicant unit ({app.applicant_unit_code}) signs the use commitment for the "
            "unit (Art. 41)",
        )
    if app.status != "draft":
        raise Conflict("申请已提交，无需再签署", "the application is already submitted")
    text = current_commitment(session)
    if text_sha256 != text.body_sha256:
        raise Conflict(
            "承诺书文本已更新，请阅读最新版本后再签署",
            "the commitment text changed; read the current version and sign",
        )
    return record_unit_signature(session, actor, app, text)


def record_unit_signature(
    session: Session, actor: Principal, app: ShareApplication, text: CommitmentText
) -> CommitmentSignature:
    """The head's signature for the unit; also made when the head signs as the applicant (one act, both roles)."""
    signature = CommitmentSignature(
        application_id=app.id,
        commitment_id=text.id,
        text_sha256=text.body_sha256,
        account_id=actor.account_id,
        username=actor.username,
        capacity="unit",
        unit_code=app.applicant_unit_code,
        source_ip=actor.source_ip,
    )
    session.add(signature)
    session.flush()
    audit_step(session, actor, "share_sign_unit", app, commitment=text.version, text_sha256=text.body_sha256)
    return signature


def check_signed(session: Session, app: ShareApplication) -> None:
    """Submission needs both signatures of one commitment version: the applicant's and the unit head's."""
    person = signature_of(session, app)
    if person is None:
        raise Conflict(
            "提交前须签署数据使用承诺书（附件2，第四十一条）",
            "sign the use commitment (Annex 2) before submitting (Art. 41)",
        )
    unit = unit_signature_of(session, app)
    head = head_of(session, app.applicant_unit_code)
    if (
        unit is None
        or head is None
        or unit.account_id != head.account_id
        or unit.commitment_id != person.commitment_id
    ):
        raise Conflict(
            "提交前须由申请单位负责人代表单位签署同一版本的数据使用承诺书（附件2，第四十一条）",
            "the applicant unit's head must sign the same version of the use commitment for the unit before "
            "submitting (Annex 2, Art. 41)",
        )
