"""The sharing API (``/api/v1/sharing``): the same flows as the pages — apply, sign, submit, review, narrow,
refuse, the Art. 50 document, de-identified release, grants, credentials, inbox, overdue reviews, policy."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from pydantic import Field
from sqlalchemy.orm import Session

from edudata.answers import Done, Out
from edudata.api.context import request_context as ctx_of
from edudata.api.deps import get_session
from edudata.api.paging import Page, PageQuery, paginate_list, paging
from edudata.api.policy import allow
from edudata.db import commit
from edudata.identity.principal import Principal
from edudata.sharing import (
    commitment,
    credentials,
    delivery,
    external,
    heads,
    mailing,
    notify,
    review,
    service,
    views,
)
from edudata.sharing.responses import (
    ApplicationOut,
    CatalogueEntryOut,
    CredentialOut,
    EstimateOut,
    ExternalListOut,
    ExternalOut,
    HeadOut,
    HeadsOut,
    InboxOut,
    PolicyOut,
    ReleasePreviewOut,
    ReviewOut,
    RotatedCredentialOut,
)
from edudata.sharing.schemas import (
    ApplicationIn,
    ApproveIn,
    CommitmentIn,
    CredentialIn,
    DecisionIn,
    EstimateIn,
    ExternalIn,
    NarrowIn,
    PolicyIn,
    ReasonIn,
    ReleaseIn,
    SignIn,
    UnitHeadIn,
)

router = APIRouter(prefix="/api/v1/sharing", tags=["sharing"])


def _app(session: Session, who: Principal, app_id: int) -> Any:
    return service.visible_application(session, who, app_id)


def committed(request: Request, session: Session) -> None:
    """The one commit (``edudata.db.commit``), the mail of what the change put in people's inboxes queued in
    the outbox in the same transaction (sent after the commit)."""
    settings, base_url = request.app.state.settings, str(request.base_url)
    commit(session, outbox=lambda s: mailing.queue(s, settings, base_url))


def _done(request: Request, session: Session, app: Any) -> dict[str, Any]:
    committed(request, session)
    return views.application_view(session, app)


@router.get("/catalog/{dataset}", response_model=CatalogueEntryOut)
def catalogue_entry(
    dataset: str, session: Session = Depends(get_session), who: Principal = Depends(allow("sharing.read"))
) -> dict[str, Any]:
    """A dataset for applicants: metadata only, which elements can be requested and why not (Art. 39)."""
    return views.catalogue_entry(session, dataset)


@router.post("/estimate", response_model=EstimateOut)
def estimate(
    body: EstimateIn,
    request: Request,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("data.read")),
) -> dict[str, Any]:
    """The 最小化 nudge: rows and people covered, sensitive elements (counted through the data path)."""
    out = service.estimate(ctx_of(request, session), who, body.dataset_code, body.elements, body.row_filter)
    session.commit()
    return out


class CommitmentOut(Out):
    """The published commitment text (数据使用承诺书) an applicant signs by its hash."""

    id: int
    version: str
    text_sha256: str
    title: str | None = None
    body: str | None = None


class RemindedOut(Out):
    overdue: int = Field(description="reviews flagged and their reviewers mailed / 已提醒的逾期审核")
    expiring: int = Field(description="grants about to end whose holders were mailed / 即将到期的授权")


@router.get("/commitment", response_model=CommitmentOut)
def commitment_text(
    session: Session = Depends(get_session), who: Principal = Depends(allow("sharing.read"))
) -> dict:
    text = commitment.current_commitment(session)
    return {"id": text.id, "version": text.version, "title": text.title, "body": text.body,
            "text_sha256": text.body_sha256}  # fmt: skip


@router.post("/commitment", status_code=201, response_model=CommitmentOut)
def publish_commitment(
    body: CommitmentIn,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.commitment.edit")),
) -> dict:
    text = commitment.publish_commitment(session, who, version=body.version, title=body.title, body=body.body)
    session.commit()
    return {"id": text.id, "version": text.version, "text_sha256": text.body_sha256}


@router.post("/applications", status_code=201, response_model=ApplicationOut)
def create_application(
    body: ApplicationIn,
    request: Request,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.application.apply")),
) -> dict[str, Any]:
    app = service.create_application(ctx_of(request, session), who, body.model_dump())
    return _done(request, session, app)


@router.get("/applications", response_model=Page[ApplicationOut])
def list_applications(
    status: str | None = None,
    page: PageQuery = Depends(paging(100, 1000)),
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.read")),
) -> dict[str, Any]:
    apps = service.list_applications(session, who, status)
    return paginate_list(apps, page, lambda a: views.application_view(session, a, full=False))


@router.get("/applications/{app_id}", response_model=ApplicationOut)
def get_application(
    app_id: int,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.application.read")),
) -> dict[str, Any]:
    return views.application_view(session, _app(session, who, app_id))


@router.post("/applications/{app_id}/sign", response_model=ApplicationOut)
def sign(
    app_id: int,
    body: SignIn,
    request: Request,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.application.submit")),
) -> dict[str, Any]:
    app = _app(session, who, app_id)
    commitment.sign(session, who, app, text_sha256=body.text_sha256)
    return _done(request, session, app)


@router.post("/applications/{app_id}/sign-unit", response_model=ApplicationOut)
def sign_unit(
    app_id: int,
    body: SignIn,
    request: Request,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.commitment.sign_unit")),
) -> dict[str, Any]:
    """The applicant unit's head signs 附件2 for the unit (Art. 41)."""
    app = service.get_application(session, app_id)
    heads.sign_for_unit(session, who, app, text_sha256=body.text_sha256)
    return _done(request, session, app)


@router.post("/applications/{app_id}/agreement", response_model=ApplicationOut)
def file_agreement(
    app_id: int,
    request: Request,
    file: UploadFile = File(...),
    signed_on: date = Form(...),
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.agreement.file")),
) -> dict[str, Any]:
    """File the signed three-party agreement (三方授权协议, Art. 10(1)); a grant waiting for it activates."""
    content = file.file.read(delivery.MAX_DOCUMENT_BYTES + 1)
    app = _app(session, who, app_id)
    delivery.file_agreement(
        ctx_of(request, session), who, app, signed_on=signed_on, filename=file.filename or "", content=content
    )
    return _done(request, session, app)


@router.post("/applications/{app_id}/secrecy-review", response_model=ApplicationOut)
def secrecy_review(
    app_id: int,
    body: DecisionIn,
    request: Request,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.application.secrecy_review")),
) -> dict[str, Any]:
    """The leadership group's secrecy review of a third-party release (Art. 58)."""
    app = _app(session, who, app_id)
    delivery.review_secrecy(ctx_of(request, session), who, app, decision=body.decision, opinion=body.comment)
    return _done(request, session, app)


@router.post("/applications/{app_id}/submit", response_model=ApplicationOut)
def submit(
    app_id: int,
    request: Request,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.application.submit")),
) -> dict[str, Any]:
    app = _app(session, who, app_id)
    review.submit(ctx_of(request, session), who, app)
    return _done(request, session, app)


@router.post("/applications/{app_id}/approve", response_model=ApplicationOut)
def approve(
    app_id: int,
    body: ApproveIn,
    request: Request,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.application.review")),
) -> dict[str, Any]:
    """Approve the open stage; the body may narrow the request (never widen it)."""
    app = _app(session, who, app_id)
    changes = body.model_dump(exclude={"comment"}, exclude_none=True, mode="json")
    review.approve(ctx_of(request, session), who, app, changes=changes, comment=body.comment)
    return _done(request, session, app)


@router.post("/applications/{app_id}/refuse", response_model=ApplicationOut)
def refuse(
    app_id: int,
    body: ReasonIn,
    request: Request,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.application.review")),
) -> dict[str, Any]:
    app = _app(session, who, app_id)
    review.refuse(session, who, app, reason=body.reason)
    return _done(request, session, app)


@router.post("/applications/{app_id}/narrow", response_model=ApplicationOut)
def narrow(
    app_id: int,
    body: NarrowIn,
    request: Request,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.application.narrow")),
) -> dict[str, Any]:
    """The office narrows an approved application still on hold (Art. 50 or before release)."""
    app = _app(session, who, app_id)
    review.narrow_on_hold(session, who, app, body.model_dump(exclude_none=True, mode="json"))
    return _done(request, session, app)


@router.post("/applications/{app_id}/commission-approval", response_model=ApplicationOut)
def commission_approval(
    app_id: int,
    request: Request,
    file: UploadFile = File(...),
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.release.prepare")),
) -> dict[str, Any]:
    """Upload the city education commission's approval document (Art. 50); blocking work, so a plain ``def``."""
    content = file.file.read(delivery.MAX_DOCUMENT_BYTES + 1)
    app = _app(session, who, app_id)
    delivery.upload_commission_approval(
        ctx_of(request, session), who, app, filename=file.filename or "", content=content
    )
    return _done(request, session, app)


@router.post("/applications/{app_id}/release-preview", response_model=ReleasePreviewOut)
def release_preview(
    app_id: int,
    request: Request,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.release.prepare")),
) -> dict[str, Any]:
    """k-anonymity of the de-identified delivery, before release (Art. 42)."""
    app = _app(session, who, app_id)
    out = delivery.preview_release(ctx_of(request, session), who, app)
    session.commit()
    return out


@router.post("/applications/{app_id}/release", response_model=ApplicationOut)
def release(
    app_id: int,
    request: Request,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.release.prepare")),
) -> dict[str, Any]:
    app = _app(session, who, app_id)
    delivery.release(ctx_of(request, session), who, app)
    return _done(request, session, app)


@router.post("/applications/{app_id}/revoke", response_model=ApplicationOut)
def revoke(
    app_id: int,
    body: ReasonIn,
    request: Request,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.grant.revoke")),
) -> dict[str, Any]:
    app = _app(session, who, app_id)
    delivery.revoke(session, who, app, reason=body.reason)
    return _done(request, session, app)


@router.post("/applications/{app_id}/credentials", status_code=201, response_model=CredentialOut)
def create_credential(
    app_id: int,
    body: CredentialIn,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.credential.issue")),
) -> dict[str, Any]:
    """A grant-scoped API key; the secret is shown in this answer only."""
    app = _app(session, who, app_id)
    cred, secret = credentials.create_credential(session, who, app, label=body.label)
    session.commit()
    return {"id": cred.id, "grant_id": cred.grant_id, "secret": secret, "hint": cred.hint}


@router.post(
    "/applications/{app_id}/credentials/{cred_id}/rotate",
    status_code=201,
    response_model=RotatedCredentialOut,
)
def rotate_credential(
    app_id: int,
    cred_id: int,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.credential.issue")),
) -> dict[str, Any]:
    app = _app(session, who, app_id)
    cred, secret = credentials.rotate_credential(session, who, app, cred_id)
    session.commit()
    return {
        "id": cred.id,
        "grant_id": cred.grant_id,
        "secret": secret,
        "hint": cred.hint,
        "replaces": cred_id,
    }


@router.delete("/applications/{app_id}/credentials/{cred_id}", response_model=ApplicationOut)
def revoke_credential(
    app_id: int,
    cred_id: int,
    request: Request,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.credential.revoke")),
) -> dict[str, Any]:
    app = _app(session, who, app_id)
    credentials.revoke_credential(session, who, app, cred_id)
    return _done(request, session, app)


@router.get("/inbox", response_model=InboxOut)
def inbox(
    request: Request, session: Session = Depends(get_session), who: Principal = Depends(allow("sharing.read"))
) -> dict[str, Any]:
    """What waits for the caller: reviews to do (待办) and messages (通知). Reading changes nothing; reminders
    are sent by ``POST /reviews/remind`` and the daily ``edudata sharing remind``."""
    return {
        "tasks": [views.review_view(r) for r in review.tasks_for(session, who)],
        "notifications": [notify.notification_view(n) for n in notify.inbox(session, who.account_id)],
    }


@router.post("/inbox/read", response_model=Done)
def mark_read(
    session: Session = Depends(get_session), who: Principal = Depends(allow("sharing.read"))
) -> dict:
    notify.mark_read(session, who.account_id)
    session.commit()
    return {"ok": True}


@router.get("/reviews/overdue", response_model=Page[ReviewOut])
def overdue(
    request: Request,
    page: PageQuery = Depends(paging(100, 1000)),
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.overdue.read")),
) -> dict[str, Any]:
    """Overdue reviews, for the office and inspection (Art. 64(2)); reading flags nothing and mails nobody."""
    return paginate_list(review.overdue_reviews(session), page, views.review_view)


@router.post("/reviews/remind", response_model=RemindedOut)
def remind(
    request: Request,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.overdue.remind")),
) -> dict[str, int]:
    """Flag reviews past their day and grants about to end, and mail the people concerned (Art. 64(2))."""
    late, ending = review.remind(session)
    committed(request, session)
    return {"overdue": late, "expiring": ending}


@router.get("/policy", response_model=PolicyOut)
def get_policy(
    session: Session = Depends(get_session), who: Principal = Depends(allow("sharing.read"))
) -> dict:
    p = service.policy(session)
    return {k: getattr(p, k) for k in ("auto_approve_unconditional", "review_working_days", "min_k",
                                        "large_scale_threshold")}  # fmt: skip


@router.put("/policy", response_model=PolicyOut)
def put_policy(
    body: PolicyIn,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.policy.edit")),
) -> dict:
    p = service.set_policy(session, who, body.model_dump(exclude_none=True))
    session.commit()
    return {k: getattr(p, k) for k in ("auto_approve_unconditional", "review_working_days", "min_k",
                                        "large_scale_threshold")}  # fmt: skip


@router.get("/unit-heads", response_model=HeadsOut)
def unit_heads(
    session: Session = Depends(get_session), who: Principal = Depends(allow("sharing.read"))
) -> dict[str, Any]:
    """Each unit's head, who signs 附件2 for the unit (Art. 41)."""
    return {"heads": [views.head_view(h) for h in heads.heads(session)]}


@router.put("/unit-heads/{code}", response_model=HeadOut)
def designate_head(
    code: str,
    body: UnitHeadIn,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.unit_head.designate")),
) -> dict[str, Any]:
    head = heads.designate(session, who, code, body.username)
    session.commit()
    return views.head_view(head)


# ---- providing or publishing data outside the school (Art. 42, 58) ------------------------------------------
@router.get("/external", response_model=ExternalListOut)
def external_list(
    session: Session = Depends(get_session), who: Principal = Depends(allow("sharing.external.read"))
) -> dict[str, Any]:
    return {"requests": [external.view(session, r) for r in external.list_for(session, who)]}


@router.post("/external", status_code=201, response_model=ExternalOut)
def external_create(
    body: ExternalIn,
    request: Request,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.external.request")),
) -> dict[str, Any]:
    """A written request to provide or publish granted data outside the school (Art. 42)."""
    req = external.create(session, who, body.model_dump())
    committed(request, session)
    return external.view(session, req)


@router.get("/external/{request_id}", response_model=ExternalOut)
def external_get(
    request_id: int,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.external.read")),
) -> dict[str, Any]:
    return external.view(session, external.visible(session, who, request_id))


def _external_step(stage: str, action: str, path: str) -> None:
    def step(
        request_id: int,
        body: DecisionIn,
        request: Request,
        session: Session = Depends(get_session),
        who: Principal = Depends(allow(action)),
    ) -> dict[str, Any]:
        req = external.get(session, request_id)
        external.decide(session, who, req, stage, decision=body.decision, comment=body.comment)
        committed(request, session)
        return external.view(session, req)

    step.__name__ = f"external_{stage}"
    step.__doc__ = f"{external.STAGES[stage][3][1].capitalize()} of an external provision request."
    router.post(f"/external/{{request_id}}/{path}", response_model=ExternalOut)(step)


for _stage, _path in (("unit_head", "approve-unit"), ("producer", "approve-producer"), ("office", "approve-office"),
                      ("secrecy", "secrecy-review")):  # fmt: skip
    _external_step(_stage, external.STAGES[_stage][2], _path)


@router.post("/external/{request_id}/release", response_model=ExternalOut)
def external_release(
    request_id: int,
    body: ReleaseIn,
    request: Request,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.external.release")),
) -> dict[str, Any]:
    """Record the data provided or published — only after the secrecy review passed (Art. 58)."""
    req = external.get(session, request_id)
    external.release(session, who, req, body.model_dump())
    committed(request, session)
    return external.view(session, req)
