"""The use commitment (附件2 数据使用承诺书, Art. 41): versioned text, and the applicant's signature of it.

A version is never edited; a new one supersedes it, and each signature keeps the SHA-256 of the words signed, so
it proves which text the applicant agreed to, when, from where and under which account.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.db import utcnow
from edudata.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from edudata.identity.principal import Principal
from edudata.policy import require
from edudata.sharing.models import CommitmentSignature, CommitmentText, ShareApplication
from edudata.sharing.seed import text_hash
from edudata.sharing.service import audit_step


def current_commitment(session: Session) -> CommitmentText:
    found = session.scalar(
        select(CommitmentText)
        .where(CommitmentText.effective_from <= utcnow())
        .order_by(CommitmentText.effective_from.desc(), CommitmentText.id.desc())
        .limit(1)
    )
    if found is None:
        raise NotFound("尚未发布数据使用承诺书", "no use commitment has been published")
    return found


def publish_commitment(
    session: Session, actor: Principal, *, version: str, title: str, body: str
) -> CommitmentText:
    """A new commitment version (the office); earlier signatures keep pointing at the words they signed."""
    require(actor, "sharing.commitment.edit")
    version, title, body = version.strip(), title.strip(), body.strip()
    if not version or not title or len(body) < 20:
        raise ValidationFailed(
            "版本、标题和正文（至少 20 字）必填", "version, title and body (20+ chars) are required"
        )
    if session.scalar(select(CommitmentText.id).where(CommitmentText.version == version)):
        raise Conflict(
            f"承诺书版本 {version} 已存在", f"commitment version {version} exists", field="version"
        )
    text = CommitmentText(
        version=version, title=title, body=body, body_sha256=text_hash(title, body), created_by=actor.username
    )
    session.add(text)
    session.flush()
    return text


def sign(
    session: Session, actor: Principal, app: ShareApplication, *, text_sha256: str
) -> CommitmentSignature:
    """Sign the current commitment for ``app`` (Art. 41); ``text_sha256`` must be the hash of the words shown,
    so a text changed between showing and signing is refused rather than signed unseen."""
    if app.applicant_account_id != actor.account_id:
        raise PermissionDenied("只有申请人本人可以签署承诺书", "only the applicant signs the commitment")
    if app.status != "draft":
        raise Conflict("申请已提交，无需再签署", "the application is already submitted")
    text = current_commitment(session)
    if text_sha256 != text.body_sha256:
        raise Conflict(
            "承诺书文本已更新，请阅读最新版本后再签署",
            "the commitment text changed; read the current version and sign",
        )
    signature = CommitmentSignature(
        application_id=app.id,
        commitment_id=text.id,
        text_sha256=text.body_sha256,
        account_id=actor.account_id,
        username=actor.username,
        source_ip=actor.source_ip,
    )
    session.add(signature)
    session.flush()
    audit_step(session, actor, "share_sign", app, commitment=text.version, text_sha256=text.body_sha256)
    from edudata.sharing import heads  # heads builds on this module

    if (
        heads.is_head(session, actor, app.applicant_unit_code)
        and heads.unit_signature_of(session, app) is None
    ):
        heads.record_unit_signature(
            session, actor, app, text
        )  # the head applying signs for the unit too (Art. 41)
    return signature


def signature_of(session: Session, app: ShareApplication) -> CommitmentSignature | None:
    """The applicant's own signature (the unit head's, for the unit, is :func:`edudata.sharing.heads.unit_signature_of`)."""
    return session.scalar(
        select(CommitmentSignature)
        .where(CommitmentSignature.application_id == app.id, CommitmentSignature.capacity == "applicant")
        .order_by(CommitmentSignature.id.desc())
        .limit(1)
    )
