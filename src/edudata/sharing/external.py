"""Providing or publishing shared data outside the school (对外提供或发布, Art. 42, 58).

Art. 42: shared data serves the unit's own business only; to provide it outside or publish it, the user unit makes
a written request to the producer unit and the office, and acts only once they agree; Art. 58: whatever is to be
provided outside passes the leadership group's strict security and secrecy review first. The workflow:

```
request (the user unit's applicant, for data it was granted)
  → unit head signs it off          (the unit's head named by the office; passed at filing when the head asks)
  → producer unit agrees            (its data officer)
  → office agrees                   (网信办)
  → leadership group's secrecy review (Art. 58: 网信领导小组安全保密审查)
  → release                         (the office records what went out, to whom, how: the release record)
```

Any stage may refuse with a written reason (the request ends). Nobody decides their own request (Art. 30). Data
marked 涉密 is refused when requested and again at release (``edudata.secrecy.guard.refuse_secret``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from edudata import transition
from edudata.audit import service as audit
from edudata.db import utcnow
from edudata.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from edudata.identity.principal import Principal
from edudata.policy import allowed, require, require_attempt
from edudata.sharing import heads, notify, secrecy_review
from edudata.sharing.models import ExternalDecision, ExternalRelease, ExternalRequest

# The one crossing into the secrecy domain stays sharing.service's (docs/architecture.md, .importlinter).
from edudata.sharing.service import get_application, refuse_secret, require_internal

KINDS = {"provide": ("对外提供", "provide outside"), "publish": ("对外发布", "publish")}
#: stage → (the status it decides, the next status on approval, the policy action, labels)
STAGES: dict[str, tuple[str, str, str, tuple[str, str]]] = {
    "unit_head": ("pending_unit_head", "pending_producer", "sharing.external.approve_unit",
                  ("申请单位负责人审签", "the unit head's sign-off")),
    "producer": ("pending_producer", "pending_office", "sharing.external.approve_producer",
                 ("数据生产单位同意", "the producer unit's consent")),
    "office": ("pending_office", "pending_secrecy", "sharing.external.approve_office",
               ("网信办同意", "the office's consent")),
    "secrecy": ("pending_secrecy", "approved", "sharing.external.secrecy_review",
                ("网信领导小组安全保密审查（第五十八条）", "the leadership group's secrecy review (Art. 58)")),
}  # fmt: skip
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "pending_unit_head": ("待申请单位负责人审签", "awaiting the unit head"),
    "pending_producer": ("待数据生产单位同意", "awaiting the producer unit"),
    "pending_office": ("待网信办同意", "awaiting the office"),
    "pending_secrecy": ("待网信领导小组安全保密审查", "awaiting the leadership group's secrecy review"),
    "approved": ("已通过审查，待网信办登记提供", "approved: awaiting the office's release record"),
    "released": ("已对外提供（已登记）", "released (on record)"),
    "refused": ("未同意", "refused"),
}
SHA256 = re.compile(r"[0-9a-f]{64}")


def _text(values: Mapping[str, Any], name: str, zh: str, limit: int = 4000, minimum: int = 1) -> str:
    text = str(values.get(name) or "").strip()
    if len(text) < minimum:
        raise ValidationFailed(f"请填写{zh}", f"{name} is required", field=name)
    if len(text) > limit:
        raise ValidationFailed(
            f"{zh}过长（至多 {limit} 字）", f"{name} is too long (max {limit})", field=name
        )
    return text


def _audit(session: Session, actor: Principal, operation: str, req: ExternalRequest, **detail: Any) -> None:
    audit.record(
        session, operation=operation, account_id=actor.account_id, username=actor.username,
        unit_code=actor.unit_code, source_ip=actor.source_ip, dataset=req.dataset_code, elements=list(req.elements),
        detail={"request_id": req.id, "application_id": req.application_id, "status": req.status,
                "kind": req.kind, "recipient": req.recipient, **detail},
    )  # fmt: skip


def _tell(session: Session, req: ExternalRequest) -> None:
    """Tell whoever the request now waits for (or the requester, when it is decided)."""
    label_zh, label_en = STATUS_LABELS[req.status]
    if req.status == "pending_unit_head":
        head = heads.head_of(session, req.unit_code)
        to = [head.account_id] if head else []
    elif req.status == "pending_producer":
        to = notify.holders(session, "sharing.external.approve_producer", req.owner_unit_code)
    elif req.status == "pending_office":
        to = notify.holders(session, "sharing.external.approve_office")
    elif req.status in ("pending_secrecy",):
        to = notify.holders(session, "sharing.external.secrecy_review")
    elif req.status == "approved":
        to = [*notify.holders(session, "sharing.external.release"), req.requester_account_id]
    else:
        to = [req.requester_account_id]
    notify.send(
        session, to, kind="external", application_id=req.application_id,
        zh=f"对外提供申请 #{req.id}（{req.dataset_code}，提供给 {req.recipient}）：{label_zh}",
        en=f"external provision request #{req.id} ({req.dataset_code}, to {req.recipient}): {label_en}",
    )  # fmt: skip


def create(session: Session, actor: Principal, values: Mapping[str, Any]) -> ExternalRequest:
    """The written request (书面申请) of a user unit to provide or publish data it was granted (Art. 42)."""
    require_attempt(actor, "sharing.external.request")
    require_internal(session, actor, "不能申请对外提供数据", "cannot request to provide data outside")
    app_id = values.get("application_id")
    if not isinstance(app_id, int):
        raise ValidationFailed("请指明所依据的共享申请", "name the share application", field="application_id")
    app = get_application(session, app_id)
    require(actor, "sharing.external.request", unit_code=app.applicant_unit_code)
    if app.grant_id is None:
        raise Conflict(
            "只能就本单位已获授权的共享数据申请对外提供或发布（第四十二条）",
            "only data your unit was granted can be requested for external provision (Art. 42)",
        )
    kind = str(values.get("kind") or "provide")
    if kind not in KINDS:
        raise ValidationFailed("类型应为 provide（对外提供）或 publish（对外发布）", "kind must be provide or publish",
                               field="kind")  # fmt: skip
    elements = [str(e) for e in (values.get("elements") or app.elements)]
    extra = [e for e in elements if e not in app.elements]
    if extra or not elements:
        raise ValidationFailed(
            f"只能对外提供共享申请中已获授权的数据项：{', '.join(extra) or '（请至少选择一项）'}",
            f"only elements of the share application can go outside: {', '.join(extra) or '(choose one)'}",
            field="elements",
        )
    refuse_secret(session, app.dataset_code, elements, "release")  # 涉密 never goes outside (Art. 57)
    req = ExternalRequest(
        application_id=app.id,
        requester_account_id=actor.account_id,
        requester_username=actor.username,
        unit_code=app.applicant_unit_code,
        owner_unit_code=app.owner_unit_code,
        dataset_code=app.dataset_code,
        elements=list(dict.fromkeys(elements)),
        kind=kind,
        recipient=_text(values, "recipient", "接收方（提供对象或发布渠道）", 200),
        purpose=_text(values, "purpose", "对外提供的用途"),
        justification=_text(values, "justification", "必要性说明"),
        security_measures=_text(values, "security_measures", "安全保护措施"),
        status="pending_unit_head",
    )
    session.add(req)
    session.flush()
    _audit(session, actor, "share_external_request", req)
    if heads.is_head(
        session, actor, req.unit_code
    ):  # the head's own written request carries the head's sign-off
        _decide(
            session, actor, req, "unit_head", "approved", "申请单位负责人本人提出 / filed by the unit head"
        )
    _tell(session, req)
    return req


def get(session: Session, request_id: int) -> ExternalRequest:
    req = session.get(ExternalRequest, request_id)
    if req is None:
        raise NotFound(f"对外提供申请 {request_id} 不存在", f"external request {request_id} does not exist")
    return req


def may_see(session: Session, actor: Principal, req: ExternalRequest) -> bool:
    return (
        allowed(actor, "sharing.external.oversee")
        or allowed(actor, "sharing.external.request", unit_code=req.unit_code)
        or allowed(actor, "sharing.external.approve_producer", unit_code=req.owner_unit_code)
        or heads.is_head(session, actor, req.unit_code)
    )


def visible(session: Session, actor: Principal, request_id: int) -> ExternalRequest:
    req = get(session, request_id)
    if not may_see(session, actor, req):
        raise NotFound(f"对外提供申请 {request_id} 不存在", f"external request {request_id} does not exist")
    return req


def list_for(session: Session, actor: Principal) -> list[ExternalRequest]:
    stmt = select(ExternalRequest).order_by(ExternalRequest.id.desc()).limit(500)
    if not allowed(actor, "sharing.external.oversee"):
        mine = [
            ExternalRequest.unit_code == actor.unit_code,
            ExternalRequest.owner_unit_code == actor.unit_code,
        ]
        stmt = stmt.where(or_(*mine))
        return [r for r in session.scalars(stmt) if may_see(session, actor, r)]
    return list(session.scalars(stmt))


def all_requests(session: Session, status: str | None = None) -> list[ExternalRequest]:
    """Every request (for the CLI of the office and inspection), newest first."""
    stmt = select(ExternalRequest).order_by(ExternalRequest.id.desc())
    if status:
        stmt = stmt.where(ExternalRequest.status == status)
    return list(session.scalars(stmt))


def _decide(
    session: Session, actor: Principal, req: ExternalRequest, stage: str, decision: str, comment: str
) -> None:
    status, following, _action, _labels = STAGES[stage]
    session.add(ExternalDecision(request_id=req.id, stage=stage, decision=decision, comment=comment[:2000],
                                 account_id=actor.account_id, username=actor.username))  # fmt: skip
    req.status = following if decision == "approved" else "refused"
    req.updated_at = utcnow()
    session.flush()
    _audit(session, actor, "share_external_decide", req, stage=stage, decision=decision)


def decide(
    session: Session, actor: Principal, req: ExternalRequest, stage: str, *, decision: str, comment: str
) -> ExternalRequest:
    """One stage's decision; the stage must be the open one (else 409), and the decider not the requester."""
    status, _following, action, _labels = STAGES[stage]
    require(actor, action, unit_code=req.owner_unit_code if stage == "producer" else None)
    if decision not in ("approved", "refused"):
        raise ValidationFailed("结论应为 approved（同意）或 refused（不同意）", "decision must be approved or refused",
                               field="decision")  # fmt: skip
    comment = (comment or "").strip()
    if decision == "refused" and len(comment) < 4:
        raise ValidationFailed("不同意须写明理由（至少 4 个字）", "a refusal needs a written reason (4+ characters)",
                               field="comment")  # fmt: skip
    locked = transition.lock_row(session, ExternalRequest, req.id, what=("对外提供申请", "external request"))
    if locked.status != status:
        raise Conflict(
            f"对外提供申请 #{req.id} 当前为“{STATUS_LABELS[locked.status][0]}”，不在此环节",
            f"external request #{req.id} is {STATUS_LABELS[locked.status][1]}, not at this stage",
        )
    if actor.account_id == req.requester_account_id:
        raise PermissionDenied(
            "不能审批本人提出的对外提供申请（第三十条 不相容岗位分离）",
            "you cannot decide your own external provision request (Art. 30, separation of duties)",
        )
    if stage == "unit_head" and not heads.is_head(session, actor, req.unit_code):
        raise PermissionDenied(
            f"只有申请单位（{req.unit_code}）的负责人可以审签对外提供申请（第四十二条）",
            f"only the head of the requesting unit ({req.unit_code}) signs off the request (Art. 42)",
        )
    if stage == "secrecy":
        review = secrecy_review.record(
            session, actor, action, "external", req.id, decision=decision, opinion=comment
        )
        _audit(session, actor, "share_external_secrecy_review", req, review_id=review.id, decision=decision)
    _decide(session, actor, req, stage, decision, comment)
    _tell(session, req)
    return req


def release(
    session: Session, actor: Principal, req: ExternalRequest, values: Mapping[str, Any]
) -> ExternalRelease:
    """The office records the data provided or published (the release record, tied to its request): only after
    every stage agreed and the leadership group's secrecy review passed (Art. 42, 58)."""
    require(actor, "sharing.external.release")
    locked = transition.lock_row(session, ExternalRequest, req.id, what=("对外提供申请", "external request"))
    review = secrecy_review.passed(session, "external", req.id)
    if locked.status != "approved" or review is None:
        raise Conflict(
            "未经数据生产单位、网信办同意及网信领导小组安全保密审查通过，不得对外提供或发布（第四十二条、第五十八条）",
            "nothing goes outside before the producer unit and the office agreed and the leadership group's secrecy "
            "review passed (Art. 42, 58)",
        )
    refuse_secret(session, req.dataset_code, req.elements, "release")  # marked since it was requested
    digest = str(values.get("document_sha256") or "").strip().lower() or None
    if digest is not None and not SHA256.fullmatch(digest):
        raise ValidationFailed("document_sha256 应为 64 位十六进制", "document_sha256 must be 64 hex digits",
                               field="document_sha256")  # fmt: skip
    record = ExternalRelease(
        request_id=req.id,
        secrecy_review_id=review.id,
        recipient=req.recipient,
        elements=list(req.elements),
        channel=_text(values, "channel", "提供方式（如加密介质、接口、发布网址）", 200),
        document_sha256=digest,
        released_by=actor.username,
    )
    session.add(record)
    req.status, req.updated_at = "released", utcnow()
    session.flush()
    _audit(session, actor, "share_external_release", req, release_id=record.id, channel=record.channel,
           document_sha256=digest, secrecy_review_id=review.id)  # fmt: skip
    _tell(session, req)
    return record


def release_of(session: Session, req: ExternalRequest) -> ExternalRelease | None:
    return session.scalar(select(ExternalRelease).where(ExternalRelease.request_id == req.id))


def view(session: Session, req: ExternalRequest) -> dict[str, Any]:
    decisions = session.scalars(
        select(ExternalDecision).where(ExternalDecision.request_id == req.id).order_by(ExternalDecision.id)
    )
    done = release_of(session, req)
    return {
        "id": req.id, "application_id": req.application_id, "requester": req.requester_username,
        "unit_code": req.unit_code, "owner_unit_code": req.owner_unit_code, "dataset_code": req.dataset_code,
        "elements": list(req.elements), "kind": req.kind, "kind_label": KINDS[req.kind], "recipient": req.recipient,
        "purpose": req.purpose, "justification": req.justification, "security_measures": req.security_measures,
        "status": req.status, "status_label": STATUS_LABELS[req.status],
        "created_at": req.created_at.isoformat(),
        "decisions": [
            {"stage": d.stage, "stage_label": STAGES[d.stage][3], "decision": d.decision, "comment": d.comment,
             "by": d.username, "at": d.decided_at.isoformat()}
            for d in decisions
        ],
        "secrecy_review": secrecy_review.review_view(secrecy_review.latest(session, "external", req.id)),
        "release": (
            {"id": done.id, "recipient": done.recipient, "channel": done.channel, "elements": list(done.elements),
             "document_sha256": done.document_sha256, "secrecy_review_id": done.secrecy_review_id,
             "released_by": done.released_by, "released_at": done.released_at.isoformat()}
            if done else None
        ),
    }  # fmt: skip
