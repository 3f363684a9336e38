"""From approval to delivery (Art. 40-42, 50): the Art. 50 gate, de-identified release with k-anonymity, the
grant, its revocation, and API credentials scoped to it.

- After the office approves, the people covered are counted through the data path; more than the threshold
  (200,000) keeps the application pending until the office uploads the city education commission's approval
  (Art. 50).
- A third-party analysis (Art. 42) gets de-identified data only: direct identifiers become per-grant pseudonyms
  or are suppressed, dates are generalised; before release the office previews, through the data path and decided
  exactly as the grant will be, the k-anonymity of the delivered quasi-identifiers; release needs k ≥ the policy's
  minimum.
- The grant is an :class:`~edudata.access.models.AccessGrant`: the data path scopes, masks and audits every fetch.
  The office or the producer unit revokes it at once; it ends by itself at the end of its period.
- Its API credentials are in :mod:`edudata.sharing.credentials`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from edudata import transition
from edudata.access import datapath, deidentify, filters
from edudata.access.decision import GrantView, sensitive_masking
from edudata.access.grants import create_grant, revoke_grant
from edudata.access.models import AccessGrant
from edudata.access.specs import load_spec
from edudata.audit import service as audit
from edudata.clock import today_in_china
from edudata.db import utcnow
from edudata.errors import Conflict, ValidationFailed
from edudata.identity.principal import Principal
from edudata.identity.tokens import as_utc
from edudata.policy import require
from edudata.policy.thresholds import reaches
from edudata.safe_text import check_filename
from edudata.secrecy.guard import refuse_secret
from edudata.sharing import credentials, notify, secrecy_review
from edudata.sharing.models import GrantCredential, ShareApplication, ShareReview, TripartiteAgreement
from edudata.sharing.service import (
    audit_step,
    deidentified,
    end_of_period,
    large_scale_threshold,
    lock_application,
    policy,
    status_label,
    what,
)
from edudata.store.spec import DatasetSpec

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
EXPIRY_NOTICE_DAYS = 7
# 一人一号 numbers identify a person as directly as an ID number does (JY/T 1006 codes).
PERSON_NUMBERS = frozenset({"XH", "GH", "SFZJH"})
DEIDENTIFY_BY_TYPE = {
    "id_number": "pseudonym",
    "name": "suppress",
    "mobile": "suppress",
    "bank_card": "suppress",
    "email": "suppress",
    "address": "address",
    "date": "birth_date",
}
HIDING = frozenset({"pseudonym", "suppress"})


def deidentified_masking(spec: DatasetSpec, elements: list[str]) -> dict[str, str]:
    """Art. 42 profile of a third-party grant: identifiers pseudonymised or suppressed, dates to the year."""
    out: dict[str, str] = {}
    for code in elements:
        element = spec.element(code)
        if element is None:
            continue
        if code in PERSON_NUMBERS or code == spec.subject_element:
            out[code] = "pseudonym"
        elif element.data_type in DEIDENTIFY_BY_TYPE:
            out[code] = DEIDENTIFY_BY_TYPE[element.data_type]
        elif element.sensitive_type:
            out[code] = "suppress"
    return out


def grant_masking(session: Session, app: ShareApplication) -> dict[str, str]:
    spec = load_spec(session, app.dataset_code)
    base = deidentified_masking(spec, app.elements) if deidentified(app) else {}
    return {**base, **app.masking}


def after_approval(ctx: datapath.Context, actor: Principal, app: ShareApplication) -> None:
    """The last approval: count the people (Art. 50 gate), then release or hold for de-identification."""
    session = ctx.session
    coverage = datapath.count_people(actor, ctx, app.dataset_code, filter=app.row_filter)
    rows, people = coverage.rows, coverage.people
    app.row_count, app.people_count = rows, people
    spec = load_spec(session, app.dataset_code)
    if (
        spec.subject_element
        and reaches(people, large_scale_threshold(session))
        and not app.commission_doc_sha256
    ):
        app.status = "pending_commission"
        session.flush()
        notify.send(
            session, notify.holders(session, "sharing.release.prepare"), kind="art50", application_id=app.id,
            zh=f"共享申请 #{app.id} 涉及 {people} 人的个人信息，达到 20 万人以上，须上传市教委批准文件（第五十条）",
            en=f"application #{app.id} covers {people} people (200,000 or more): upload the commission's approval (Art. 50)",
        )  # fmt: skip
        audit_step(session, actor, "share_hold_art50", app, people=people)
        return
    _ready(ctx, actor, app)


def _ready(ctx: datapath.Context, actor: Principal, app: ShareApplication) -> None:
    if app.needs_agreement and agreement_of(ctx.session, app) is None:
        # Art. 10(1): beyond the authoritative basic data, no grant before the three-party agreement is on file.
        app.status = "pending_agreement"
        ctx.session.flush()
        notify.send(
            ctx.session, [*notify.holders(ctx.session, "sharing.agreement.file"), app.applicant_account_id],
            kind="agreement", application_id=app.id,
            zh=f"共享申请 #{app.id} 已通过审核，须由申请单位、数据生产单位和网信办签订三方授权协议并备案后方可授权（第十条）",
            en=f"application #{app.id} is approved; the grant waits for the three-party agreement of the user unit, "
               "the producer unit and the office to be filed (Art. 10)",
        )  # fmt: skip
        audit_step(ctx.session, actor, "share_hold_agreement", app)
        return
    if app.third_party:
        app.status = "pending_release"
        ctx.session.flush()
        notify.send(
            ctx.session, notify.holders(ctx.session, "sharing.release.prepare"), kind="release", application_id=app.id,
            zh=f"共享申请 #{app.id} 为第三方分析，请预览去标识化结果（k 匿名）后发布",
            en=f"application #{app.id} is for third-party analysis: preview the k-anonymity, then release",
        )  # fmt: skip
        return
    activate(ctx.session, actor, app)


def agreement_of(session: Session, app: ShareApplication) -> TripartiteAgreement | None:
    """The three-party agreement (三方授权协议, Art. 10(1)) filed for ``app``, if any."""
    return session.scalar(
        select(TripartiteAgreement)
        .where(TripartiteAgreement.application_id == app.id)
        .order_by(TripartiteAgreement.id.desc())
        .limit(1)
    )


#: States in which the three-party agreement can be filed: any time before the grant (it is often signed while
#: the reviews run), and the hold that waits for it.
AGREEMENT_STATES = ("draft", "pending_producer", "pending_office", "pending_commission", "pending_agreement",
                    "pending_release")  # fmt: skip


def file_agreement(
    ctx: datapath.Context,
    actor: Principal,
    app: ShareApplication,
    *,
    signed_on: date,
    filename: str,
    content: bytes,
) -> TripartiteAgreement:
    """The office files the signed three-party agreement (Art. 10(1)); an application waiting for it moves on."""
    require(actor, "sharing.agreement.file")
    session = ctx.session
    lock_application(session, app, *AGREEMENT_STATES)
    if not app.needs_agreement:
        raise Conflict(
            "该申请属于人员基本信息类权威数据，无需三方授权协议（第十条第一项）",
            "this application is for authoritative basic data and needs no three-party agreement (Art. 10(1))",
        )
    if not content or len(content) > MAX_DOCUMENT_BYTES:
        raise ValidationFailed(
            "协议文件为空或超过 10 MB", "the agreement file is empty or larger than 10 MB", field="file"
        )
    if signed_on > today_in_china():
        raise ValidationFailed(
            "签订日期不能晚于今天", "the signing date cannot be in the future", field="signed_on"
        )
    found = TripartiteAgreement(
        application_id=app.id,
        user_unit_code=app.applicant_unit_code,
        producer_unit_code=app.owner_unit_code,
        office_unit_code=actor.unit_code,
        signed_on=signed_on,
        document_name=check_filename(filename or "agreement")[:255],
        document_sha256=hashlib.sha256(content).hexdigest(),
        document=content,
        filed_by=actor.username,
    )
    session.add(found)
    session.flush()
    audit_step(session, actor, "share_agreement", app, sha256=found.document_sha256,
               signed_on=signed_on.isoformat())  # fmt: skip
    if app.status == "pending_agreement":
        _ready(ctx, actor, app)
    return found


def upload_commission_approval(
    ctx: datapath.Context, actor: Principal, app: ShareApplication, *, filename: str, content: bytes
) -> None:
    """The office files the city education commission's approval document (Art. 50); the hold lifts."""
    require(actor, "sharing.release.prepare")
    lock_application(ctx.session, app, "pending_commission")
    if not content or len(content) > MAX_DOCUMENT_BYTES:
        raise ValidationFailed(
            "批准文件为空或超过 10 MB", "the document is empty or larger than 10 MB", field="file"
        )
    app.commission_doc, app.commission_doc_name = content, check_filename(filename or "approval")[:255]
    app.commission_doc_sha256 = hashlib.sha256(content).hexdigest()
    app.commission_doc_by, app.commission_doc_at = actor.username, utcnow()
    ctx.session.flush()
    audit_step(ctx.session, actor, "share_art50_document", app, sha256=app.commission_doc_sha256)
    _ready(ctx, actor, app)


def _preview_view(session: Session, app: ShareApplication) -> GrantView:
    return GrantView(
        id=-app.id,  # never a real grant id: the preview's pseudonyms are never delivered
        dataset_code=app.dataset_code,
        grantee_unit_code=app.applicant_unit_code,
        elements=tuple(app.elements),
        row_filter=app.row_filter,
        masking=grant_masking(session, app),
        expires_at=None,
        revoked=False,
        deidentified=True,
    )


def quasi_identifiers(session: Session, app: ShareApplication) -> list[str]:
    """Delivered elements that are neither pseudonymised nor suppressed: what an attacker can link on."""
    spec = load_spec(session, app.dataset_code)
    masking = {**sensitive_masking(spec), **grant_masking(session, app)}
    return [e for e in app.elements if masking.get(e) not in HIDING]


def preview_release(ctx: datapath.Context, actor: Principal, app: ShareApplication) -> dict[str, Any]:
    """k-anonymity of what the grant would deliver, computed on the data path's own output (Art. 42)."""
    require(actor, "sharing.release.prepare")
    lock_application(ctx.session, app, "pending_release")
    qi = quasi_identifiers(ctx.session, app)
    if qi:
        _page, frames = datapath.export_frames(
            actor, ctx, app.dataset_code, elements=qi, preview=_preview_view(ctx.session, app)
        )
        frame = pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame({c: [] for c in qi})
        k = deidentify.k_anonymity(frame, qi)
        rows = frame.height
    else:
        rows = app.row_count or 0
        k = rows
    app.k_anonymity, app.k_quasi_identifiers, app.k_computed_at = k, qi, utcnow()
    ctx.session.flush()
    audit_step(ctx.session, actor, "share_release_preview", app, k=k, quasi_identifiers=qi)
    return {"k": k, "quasi_identifiers": qi, "rows": rows, "min_k": policy(ctx.session).min_k,
            "masking": grant_masking(ctx.session, app)}  # fmt: skip


def release(ctx: datapath.Context, actor: Principal, app: ShareApplication) -> AccessGrant:
    """Release to the third party: k high enough, and the leadership group's secrecy review passed (Art. 58)."""
    require(actor, "sharing.release.prepare")
    lock_application(ctx.session, app, "pending_release")
    if app.k_anonymity is None:
        raise Conflict("发布前须先预览 k 匿名结果", "preview the k-anonymity before release")
    minimum = policy(ctx.session).min_k
    if app.k_anonymity < minimum:
        raise Conflict(
            f"k 匿名为 {app.k_anonymity}，低于要求的 {minimum}：请删减或泛化准标识符后重新预览",
            f"k = {app.k_anonymity} is below the required {minimum}: drop or generalise quasi-identifiers",
        )
    refuse_secret(ctx.session, app.dataset_code, app.elements, "release")
    if secrecy_review.passed(ctx.session, "application", app.id) is None:
        raise Conflict(
            "向第三方提供数据前，须经网信领导小组安全保密审查通过（第五十八条）",
            "data goes to a third party only after the leadership group's secrecy review has passed (Art. 58)",
        )
    return activate(ctx.session, actor, app)


def activate(session: Session, actor: Principal, app: ShareApplication) -> AccessGrant:
    """Create the grant: dataset, elements, row filter, masking, purpose, expiry (Art. 40).

    Called with the application locked by the approval or release that leads here; the schema holds at most one
    unrevoked grant per application as well (``uq_access_grant_active_source``)."""
    refuse_secret(session, app.dataset_code, app.elements, "sharing")  # marked since it was applied for
    if app.needs_agreement and agreement_of(session, app) is None:
        raise Conflict(
            "三方授权协议尚未备案，不能授权（第十条）",
            "the three-party agreement is not on file yet (Art. 10)",
        )
    live = _live_grants(session, app)
    if live:
        raise transition.conflict(
            what(app), status_label("granted"), by=live[0].created_by, at=live[0].created_at
        )
    grant = create_grant(
        session,
        dataset_code=app.dataset_code,
        grantee_unit_code=app.applicant_unit_code,
        elements=app.elements,
        purpose=app.purpose,
        row_filter=app.row_filter,
        masking=grant_masking(session, app),
        expires_at=end_of_period(app.period_end),
        created_by=actor.username,
        deidentified=deidentified(app),
        source=grant_source(app),
        kind="verify" if app.delivery == "verify" else "read",
        purpose_kind=app.purpose_kind,
    )
    app.grant_id, app.status, app.decided_at, app.updated_at = grant.id, "granted", utcnow(), utcnow()
    session.flush()
    # In Python: a JSON column may hold JSON null rather than SQL NULL for "no changes".
    narrowed = any(session.scalars(select(ShareReview.changes).where(ShareReview.application_id == app.id)))
    note_zh, note_en = (
        ("（审核缩小了申请范围，以授权内容为准）", " (narrowed in review: see the grant)")
        if narrowed
        else ("", "")
    )
    notify.send(
        session, [app.applicant_account_id], kind="granted", application_id=app.id,
        zh=f"共享申请 #{app.id} 已批准{note_zh}，授权 {grant.id} 有效至 {app.period_end}；请创建接口凭证获取数据",
        en=f"application #{app.id} is approved{note_en}: grant {grant.id} until {app.period_end}; "
           "create an API credential",
    )  # fmt: skip
    audit_step(session, actor, "share_grant", app, grant_id=grant.id, masking=grant.masking,
               filter=app.row_filter, expires_at=grant.expires_at.isoformat())  # fmt: skip
    return grant


def revoke(session: Session, actor: Principal, app: ShareApplication, *, reason: str) -> None:
    """The office or the producer unit's officer ends a grant at once; its credentials die with it."""
    require(actor, "sharing.grant.revoke", unit_code=app.owner_unit_code)
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ValidationFailed(
            "撤销须写明理由（至少 4 个字）", "a revocation needs a reason (4+ chars)", field="reason"
        )
    lock_application(session, app, "granted")
    # Every grant derived from the application, not only the one it points at, and every credential of it.
    for grant in _live_grants(session, app):
        revoke_grant(session, grant.id, by=actor.username, reason=reason[:2000])
        credentials.end_for_grant(session, grant.id, by=actor.username)
    credentials.end_for_application(session, app.id, by=actor.username)
    app.status, app.updated_at = "revoked", utcnow()
    session.flush()
    notify.send(
        session, [app.applicant_account_id], kind="revoked", application_id=app.id,
        zh=f"共享申请 #{app.id} 的授权已被撤销：{reason[:300]}", en=f"the grant of #{app.id} was revoked: {reason[:300]}",
    )  # fmt: skip
    audit_step(session, actor, "share_revoke", app, grant_id=app.grant_id, reason=reason[:500])


def grant_source(app: ShareApplication) -> str:
    """How a grant names the application it came from (``AccessGrant.source``)."""
    return f"sharing:{app.id}"


def _live_grants(session: Session, app: ShareApplication) -> list[AccessGrant]:
    """Unrevoked grants derived from the application: the one it points at, any of its source (at most one, by
    the schema's partial unique index) and any a credential made for it names."""
    ids = {app.grant_id} if app.grant_id else set()
    by_credential = select(GrantCredential.grant_id).where(GrantCredential.application_id == app.id)
    return list(
        session.scalars(
            select(AccessGrant)
            .where(AccessGrant.revoked_at.is_(None))
            .where(
                or_(
                    AccessGrant.source == grant_source(app),
                    AccessGrant.id.in_(ids),
                    AccessGrant.id.in_(by_credential),
                )
            )
            .order_by(AccessGrant.id)
        )
    )


def flag_expiring(session: Session, now: datetime | None = None) -> list[ShareApplication]:
    """Tell the applicant, once, that a grant ends within :data:`EXPIRY_NOTICE_DAYS` days (to apply again in time)."""
    now = now or utcnow()
    horizon = now + timedelta(days=EXPIRY_NOTICE_DAYS)
    candidates = session.execute(
        select(ShareApplication, AccessGrant)
        .join(AccessGrant, AccessGrant.id == ShareApplication.grant_id)
        .where(
            ShareApplication.status == "granted",
            ShareApplication.expiry_notified_at.is_(None),
            AccessGrant.revoked_at.is_(None),
            AccessGrant.expires_at.is_not(None),
        )
    ).all()
    ending = [app for app, grant in candidates if now < as_utc(grant.expires_at) <= horizon]
    for app in ending:
        app.expiry_notified_at = now
        notify.send(
            session, [app.applicant_account_id], kind="expiring", application_id=app.id,
            zh=f"共享申请 #{app.id} 的授权将于 {app.period_end} 24 时（北京时间）结束；如需继续使用，请及时重新申请",
            en=f"the grant of application #{app.id} ends after {app.period_end} (Beijing time); apply again in time "
               "to keep using it",
        )  # fmt: skip
        audit.record(session, operation="share_grant_expiring", username="system", unit_code=app.applicant_unit_code,
                     dataset=app.dataset_code, detail={"application_id": app.id, "grant_id": app.grant_id})  # fmt: skip
    session.flush()
    return ending


def grant_of(session: Session, app: ShareApplication) -> AccessGrant | None:
    return session.get(AccessGrant, app.grant_id) if app.grant_id else None


def grant_state(session: Session, app: ShareApplication) -> str:
    grant = grant_of(session, app)
    if grant is None:
        return "none"
    if grant.revoked_at is not None:
        return "revoked"
    if grant.expires_at is not None and as_utc(grant.expires_at) <= utcnow():
        return "expired"
    return "active"


def row_scope_text(
    row_filter: Any,
    elements: Mapping[str, str] | None = None,
    values: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """The row filter as a short readable line for pages: with ``elements`` (code → name) and ``values`` (element
    code → its values' names, e.g. the unit element's unit codes → unit names) in words (院系 = 会计学院 且 年级 ≥
    2023), without them in codes (YXDM = 0201 …, the secondary text). Only an element named in ``values`` has its
    values replaced: a grade of 0201 is not a unit."""
    node = filters.parse(row_filter)
    if node is None:
        return "全部记录" if elements is not None else "全部记录 / all records"
    return _text(node, elements or {}, values or {})


_OPS = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥", "in": "∈", "not_in": "∉",
        "prefix": "以…开头", "is_null": "为空", "not_null": "不为空"}  # fmt: skip


def _value(value: Any, names: Mapping[str, str]) -> str:
    if isinstance(value, list | tuple):
        return "、".join(_value(v, names) for v in value)
    return names.get(str(value), str(value))


def _text(node: Any, elements: Mapping[str, str], values: Mapping[str, Mapping[str, str]]) -> str:
    if isinstance(node, filters.Condition):
        value = (
            ""
            if node.op in {"is_null", "not_null"}
            else f" {_value(node.value, values.get(node.element, {}))}"
        )
        return f"{elements.get(node.element, node.element)} {_OPS.get(node.op, node.op)}{value}"
    joiner = {"all": " 且 ", "any": " 或 "}.get(node.kind)
    if joiner is None:
        return f"非（{_text(node.items[0], elements, values)}）"
    return "（" + joiner.join(_text(i, elements, values) for i in node.items) + "）"


def review_secrecy(
    ctx: datapath.Context, actor: Principal, app: ShareApplication, *, decision: str, opinion: str
) -> None:
    """The leadership group's secrecy review of a third-party release (Art. 58), before the office releases."""
    session = ctx.session
    require(actor, "sharing.application.secrecy_review")
    lock_application(session, app, "pending_release")
    review = secrecy_review.record(
        session, actor, "sharing.application.secrecy_review", "application", app.id,
        decision=decision, opinion=opinion,
    )  # fmt: skip
    label_zh, label_en = secrecy_review.DECISIONS[review.decision]
    notify.send(
        session, notify.holders(session, "sharing.release.prepare"), kind="secrecy_review", application_id=app.id,
        zh=f"共享申请 #{app.id} 的第三方提供经网信领导小组安全保密审查：{label_zh}",
        en=f"the leadership group's secrecy review of the third-party release of #{app.id}: {label_en}",
    )  # fmt: skip
    audit_step(session, actor, "share_secrecy_review", app, decision=review.decision, review_id=review.id)
