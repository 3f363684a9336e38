"""Web pages of sharing, in Chinese first (Art. 37-42): the applicant's catalogue and form (附件1) with the
最小化 nudge, the commitment (附件2), the review page with narrowing and refusal, release, credentials, inbox and
overdue reviews. Every action calls the same services as the API."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Select, false, or_, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from edudata.access.masking import profile_names
from edudata.access.models import AccessGrant
from edudata.api.deps import get_session
from edudata.api.policy import allow
from edudata.catalog.models import Dataset
from edudata.clock import CHINA, today_in_china
from edudata.db import utcnow
from edudata.errors import EduDataError, ValidationFailed
from edudata.identity.actions import refused
from edudata.identity.deps import verify_csrf
from edudata.identity.principal import Principal
from edudata.org.models import Unit
from edudata.policy import allowed
from edudata.sharing import commitment, credentials, delivery, heads, notify, review, service, views
from edudata.sharing.models import ShareApplication
from edudata.sharing.routes import committed, ctx_of
from edudata.web import labels
from edudata.web.flash import flash
from edudata.web.lists import listing
from edudata.web.templating import render

router = APIRouter(include_in_schema=False)
labels.register("share_status", service.STATUS_LABELS)
labels.register("share_stage", review.STAGE_LABELS)
labels.register("delivery", service.DELIVERY)
OPS = (("eq", "="), ("ne", "≠"), ("ge", "≥"), ("le", "≤"), ("gt", ">"), ("lt", "<"), ("prefix", "开头是"))
CONDITION_ROWS = 3
#: How a credential's list row names why it ended (``revoke_reason``); a reason missing here shows its long label
#: from ``credentials.HOLDER_REASONS`` or plain 已撤销.
CREDENTIAL_ENDS = {
    "holder_role_lost": (
        "已失效：持有人不再具有申请人角色",
        "ended: the holder no longer has the applicant role",
    ),
    "holder_moved": ("已失效：持有人已调离申请单位", "ended: the holder has left the applicant unit"),
    "holder_disabled": ("已失效：持有人账户已停用", "ended: the holder's account is disabled"),
    "rotated": ("已轮换", "rotated"),
    "grant_revoked": ("已随授权撤销", "revoked with the grant"),
}


async def _form(request: Request) -> FormData:
    return await request.form()


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _filter_from(form: FormData, prefix: str = "f") -> dict[str, Any] | None:
    """The row scope the applicant built from elements: up to three conditions, all of which must hold."""
    conditions = []
    for i in range(CONDITION_ROWS):
        element, op, raw = (_text(form, f"{prefix}{i}_{k}") for k in ("element", "op", "value"))
        if element and op and raw:
            # Text as typed: the filter coerces it to the element's type (年级 2023 → integer, 院系 0201 stays text).
            conditions.append({"element": element, "op": op, "value": raw})
    if not conditions:
        return None
    return conditions[0] if len(conditions) == 1 else {"all": conditions}


def _error(err: EduDataError) -> dict[str, str]:
    return {"zh": err.zh, "en": err.en, "field": err.field or ""}


@router.get("/sharing")
def home(
    request: Request, session: Session = Depends(get_session), who: Principal = Depends(allow("sharing.read"))
) -> Response:
    datasets = session.scalars(select(Dataset).order_by(Dataset.code)).all()
    params = request.query_params
    status, dataset = params.get("status", "")[:32], params.get("dataset", "")[:64]
    stmt = service.applications_query(session, who, status or None, dataset or None)
    found = listing(
        session, stmt if stmt is not None else select(ShareApplication).where(false()), params,
        sorts={"submitted": ShareApplication.submitted_at, "id": ShareApplication.id,
               "dataset": ShareApplication.dataset_code, "status": ShareApplication.status},
        default_sort="id", default_desc=True, tiebreak=ShareApplication.id,
        filters={"status": status, "dataset": dataset},
        view=lambda a: views.application_view(session, a, full=False),
    )  # fmt: skip
    return render(request, "sharing/home.html", {
        "datasets": datasets, "applications": found.items, "list": found,
        "statuses": service.STATUS_LABELS, "can_apply": allowed(who, "sharing.application.apply"),
    }, fragment="sharing/_applications.html")  # fmt: skip


def _form_page(
    request: Request, session: Session, code: str, values: dict, estimate: dict | None, error: dict | None,
    status: int = 200,
) -> Response:  # fmt: skip
    entry = views.catalogue_entry(session, code)
    return render(request, "sharing/apply.html", {
        "entry": entry, "values": values, "estimate": estimate, "error": error, "ops": OPS,
        "rows": range(CONDITION_ROWS), "purposes": service.PURPOSES,
    }, status_code=status)  # fmt: skip


#: A grant's state on the grants list (a picker's choices, in words).
GRANT_STATES = {
    "active": ("有效", "active"),
    "expired": ("已过期", "expired"),
    "revoked": ("已撤销", "revoked"),
}


def _visible_grants(session: Session, who: Principal) -> Select[Any]:
    """The grants ``who`` may see, never more than the applications they may open (Art. 40): the office every
    grant; others the grants of the applications ``applications_query`` shows them (their unit applied for or
    produces the data), and a holder their own unit's grants (as on their home page)."""
    stmt = select(AccessGrant)
    if allowed(who, "sharing.grant.revoke"):  # the office, which revokes any grant
        return stmt
    seen = []
    apps = service.applications_query(session, who)
    if apps is not None:
        seen.append(AccessGrant.id.in_(apps.with_only_columns(ShareApplication.grant_id)))
    if allowed(who, "sharing.credential.issue", unit_code=who.unit_code):
        seen.append(AccessGrant.grantee_unit_code == who.unit_code)
    return stmt.where(or_(*seen)) if seen else stmt.where(false())


@router.get("/sharing/grants")
def grants_page(
    request: Request, session: Session = Depends(get_session), who: Principal = Depends(allow("sharing.read"))
) -> Response:
    """The grants list (共享授权): filtered by dataset, holder unit and state (pickers) and by the day the grant
    ends (a date), sorted by a column and paged on the server; the office sees all, a unit its own."""
    params = request.query_params
    chosen = {key: params.get(key, "")[:64] for key in ("dataset", "unit", "state", "ends_before")}
    stmt = _visible_grants(session, who)
    now = utcnow()
    if chosen["dataset"]:
        stmt = stmt.where(AccessGrant.dataset_code == chosen["dataset"])
    if chosen["unit"]:
        stmt = stmt.where(AccessGrant.grantee_unit_code == chosen["unit"])
    live = (AccessGrant.expires_at.is_(None)) | (AccessGrant.expires_at > now)
    states = {
        "active": AccessGrant.revoked_at.is_(None) & live,
        "expired": AccessGrant.revoked_at.is_(None) & ~live,
        "revoked": AccessGrant.revoked_at.is_not(None),
    }
    if chosen["state"] in states:
        stmt = stmt.where(states[chosen["state"]])
    else:
        chosen["state"] = ""
    try:
        before = date.fromisoformat(chosen["ends_before"]) if chosen["ends_before"] else None
    except ValueError:
        before, chosen["ends_before"] = None, ""
    if before is not None:  # ends on or before that day, Beijing time
        end = datetime.combine(before + timedelta(days=1), time.min, tzinfo=CHINA).astimezone(UTC)
        stmt = stmt.where(AccessGrant.expires_at.is_not(None), AccessGrant.expires_at < end)
    found = listing(
        session, stmt, params,
        sorts={"id": AccessGrant.id, "dataset": AccessGrant.dataset_code, "unit": AccessGrant.grantee_unit_code,
               "starts": AccessGrant.starts_at, "expires": AccessGrant.expires_at},
        default_sort="id", default_desc=True, tiebreak=AccessGrant.id, filters=chosen, region="grants-region",
        view=lambda g: _grant_row(session, g, now),
    )  # fmt: skip
    every = allowed(who, "sharing.grant.revoke") or allowed(who, "sharing.application.read")
    units = session.execute(select(Unit.code).order_by(Unit.code)).scalars().all() if every else []
    return render(request, "sharing/grants.html", {
        "grants": found.items, "list": found, "states": GRANT_STATES, "unit_options": units,
        "dataset_options": session.scalars(select(Dataset.code).order_by(Dataset.code)).all(),
    }, fragment="sharing/_grants.html")  # fmt: skip


def _grant_row(session: Session, grant: AccessGrant, now: datetime) -> dict[str, Any]:
    ends = grant.expires_at
    if ends is not None and ends.tzinfo is None:
        ends = ends.replace(tzinfo=UTC)
    state = "revoked" if grant.revoked_at else ("expired" if ends is not None and ends <= now else "active")
    app_id = session.scalar(select(ShareApplication.id).where(ShareApplication.grant_id == grant.id))
    return {
        "id": grant.id, "dataset_code": grant.dataset_code, "unit_code": grant.grantee_unit_code,
        "elements": len(grant.elements or []), "starts_at": grant.starts_at, "expires_at": grant.expires_at,
        "state": state, "application_id": app_id, "kind": grant.kind,
    }  # fmt: skip


@router.get("/sharing/apply/{code}")
def apply_page(
    code: str,
    request: Request,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.application.apply")),
) -> Response:
    end = (today_in_china() + timedelta(days=180)).isoformat()
    return _form_page(
        request, session, code, {"elements": [], "period_end": end, "delivery": "api"}, None, None
    )


@router.post("/sharing/apply/{code}", dependencies=[Depends(verify_csrf)])
def apply_submit(
    code: str,
    request: Request,
    form: FormData = Depends(_form),
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.application.apply")),
) -> Response:
    values: dict[str, Any] = {k: _text(form, k) for k in (
        "contact_name", "contact_phone", "purpose", "purpose_kind", "business_basis", "period_start", "period_end",
        "delivery",
        "security_measures", "third_party_name")}  # fmt: skip
    values.update({k: _text(form, k) for k in form if k.startswith("f") and k[1].isdigit()})
    values["elements"] = [e for e in form.getlist("elements") if isinstance(e, str)]
    values["third_party"] = _text(form, "third_party") == "1"
    values["dataset_code"] = code
    values["row_filter"] = _filter_from(form)
    ctx = ctx_of(request, session)
    try:
        if _text(form, "action") == "estimate":
            est = service.estimate(ctx, who, code, values["elements"], values["row_filter"])
            session.commit()
            return _form_page(request, session, code, values, est, None)
        clean = {k: v for k, v in values.items() if not (k.startswith("f") and k[1:2].isdigit())}
        clean["period_start"] = clean["period_start"] or None
        app = service.create_application(ctx, who, clean)
        session.commit()
    except EduDataError as err:
        session.rollback()
        return _form_page(request, session, code, values, None, _error(err), err.status)
    return RedirectResponse(f"/sharing/applications/{app.id}", status_code=303)


def _detail(
    request: Request, session: Session, who: Principal, app_id: int, *, error: dict | None = None,
    notice: dict | None = None, secret: str | None = None, preview: dict | None = None, status: int = 200,
    typed: dict | None = None,
) -> Response:  # fmt: skip
    app = service.visible_application(session, who, app_id)
    view = views.application_view(session, app)
    entry = views.catalogue_entry(session, app.dataset_code)
    open_stage = review.open_review(session, app)
    can_review = False
    if open_stage is not None and who.account_id != app.applicant_account_id:
        can_review = (open_stage.stage == "producer" and allowed(
            who, "sharing.application.review_producer", unit_code=app.owner_unit_code)) or (
            open_stage.stage == "office" and allowed(who, "sharing.application.review_office"))  # fmt: skip
    return render(request, "sharing/detail.html", {
        "app": view, "entry": entry, "error": error, "notice": notice, "secret": secret, "preview": preview,
        "is_applicant": who.account_id == app.applicant_account_id,
        "is_holder": allowed(who, "sharing.credential.issue", unit_code=app.applicant_unit_code),
        "is_office": allowed(who, "sharing.release.prepare"),
        "can_narrow": allowed(who, "sharing.application.narrow"),
        "can_revoke": allowed(who, "sharing.grant.revoke", unit_code=app.owner_unit_code),
        "can_review": can_review, "commitment": commitment.current_commitment(session),
        "profiles": [p for p in profile_names() if p != "none"], "ops": OPS, "rows": range(CONDITION_ROWS),
        "min_k": service.policy(session).min_k, "downloads": views.DOWNLOADS, "credential_ends": CREDENTIAL_ENDS, "typed": typed or {},
        "data_url": str(request.base_url).rstrip("/") + f"/api/v1/data/{app.dataset_code}",
        "is_head": heads.is_head(session, who, app.applicant_unit_code),
        "can_file_agreement": allowed(who, "sharing.agreement.file"),
        "can_secrecy_review": allowed(who, "sharing.application.secrecy_review"),
    }, status_code=status)  # fmt: skip


@router.get("/sharing/applications/{app_id}")
def detail_page(
    app_id: int,
    request: Request,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.application.read")),
) -> Response:
    return _detail(request, session, who, app_id)


def _changes(form: FormData) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if _text(form, "narrow") == "1":
        changes["elements"] = [e for e in form.getlist("keep") if isinstance(e, str)]
    extra = _filter_from(form, "n")
    if extra:
        changes["row_filter"] = extra
    masking = {k[5:]: v for k, v in form.items() if k.startswith("mask_") and isinstance(v, str) and v}
    if masking:
        changes["masking"] = masking
    if _text(form, "period_end"):
        changes["period_end"] = _text(form, "period_end")
    return changes


# ---- one form per step; each step is its own route under the policy action the API route uses --------------
Step = Callable[[Any, Principal, Any, FormData], "tuple[str | None, dict | None] | None"]


def _sign(ctx: Any, who: Principal, app: Any, form: FormData) -> None:
    if _text(form, "agree") != "1":
        raise EduDataError("请勾选“我已阅读并承诺遵守”", "tick the box to agree", field="agree")
    commitment.sign(ctx.session, who, app, text_sha256=_text(form, "text_sha256"))


def _sign_unit(ctx: Any, who: Principal, app: Any, form: FormData) -> None:
    if _text(form, "agree") != "1":
        raise EduDataError(
            "请勾选“本单位已阅读并承诺遵守”", "tick the box to agree for the unit", field="agree"
        )
    heads.sign_for_unit(ctx.session, who, app, text_sha256=_text(form, "text_sha256"))


def _agreement(ctx: Any, who: Principal, app: Any, form: FormData) -> None:
    upload = form.get("file")
    content = upload.file.read(delivery.MAX_DOCUMENT_BYTES + 1) if isinstance(upload, UploadFile) else b""
    name = upload.filename if isinstance(upload, UploadFile) else ""
    try:
        signed_on = date.fromisoformat(_text(form, "signed_on"))
    except ValueError:
        raise ValidationFailed("请填写签订日期", "give the signing date", field="signed_on") from None
    delivery.file_agreement(ctx, who, app, signed_on=signed_on, filename=name or "", content=content)


def _commission(ctx: Any, who: Principal, app: Any, form: FormData) -> None:
    upload = form.get("file")
    content = upload.file.read(delivery.MAX_DOCUMENT_BYTES + 1) if isinstance(upload, UploadFile) else b""
    name = upload.filename if isinstance(upload, UploadFile) else ""
    delivery.upload_commission_approval(ctx, who, app, filename=name or "", content=content)


def _credential_id(form: FormData) -> int:
    text = _text(form, "credential_id")
    return int(text) if text.isdigit() and len(text) < 12 else 0


#: form action → (policy action, step); the same service function as the API route of that action.
STEPS: dict[str, tuple[str, Step]] = {
    "sign": ("sharing.application.submit", _sign),
    "sign-unit": ("sharing.commitment.sign_unit", _sign_unit),
    "agreement": ("sharing.agreement.file", _agreement),
    "secrecy-review": ("sharing.application.secrecy_review", lambda ctx, who, app, form: delivery.review_secrecy(
        ctx, who, app, decision=_text(form, "decision"), opinion=_text(form, "opinion"))),
    "submit": ("sharing.application.submit", lambda ctx, who, app, form: review.submit(ctx, who, app)),
    "approve": ("sharing.application.review", lambda ctx, who, app, form: review.approve(
        ctx, who, app, changes=_changes(form), comment=_text(form, "comment"))),
    "refuse": ("sharing.application.review", lambda ctx, who, app, form: review.refuse(
        ctx.session, who, app, reason=_text(form, "reason"))),
    "commission": ("sharing.release.prepare", _commission),
    "narrow": ("sharing.application.narrow", lambda ctx, who, app, form: review.narrow_on_hold(
        ctx.session, who, app, _changes(form))),
    "preview": ("sharing.release.prepare", lambda ctx, who, app, form: (
        None, delivery.preview_release(ctx, who, app))),
    "release": ("sharing.release.prepare", lambda ctx, who, app, form: delivery.release(ctx, who, app)),
    "revoke": ("sharing.grant.revoke", lambda ctx, who, app, form: delivery.revoke(
        ctx.session, who, app, reason=_text(form, "reason"))),
    "credential": ("sharing.credential.issue", lambda ctx, who, app, form: (
        credentials.create_credential(ctx.session, who, app, label=_text(form, "label"))[1], None)),
    "rotate": ("sharing.credential.issue", lambda ctx, who, app, form: (
        credentials.rotate_credential(ctx.session, who, app, _credential_id(form))[1], None)),
    "revoke-credential": ("sharing.credential.revoke", lambda ctx, who, app, form: credentials.revoke_credential(
        ctx.session, who, app, _credential_id(form))),
}  # fmt: skip


#: What the person is told after each step; the new status follows (issue 18: no action without feedback).
DONE: dict[str, tuple[str, str]] = {
    "sign": ("承诺书已签署", "Commitment signed"),
    "sign-unit": ("已代表单位签署承诺书", "Commitment signed for the unit"),
    "agreement": ("三方授权协议已备案", "Three-party agreement filed"),
    "secrecy-review": ("安全保密审查结论已记录", "Secrecy review recorded"),
    "submit": ("申请已提交，等待审核", "Application submitted for review"),
    "approve": ("已同意", "Approved"),
    "refuse": ("已驳回，理由已告知申请人", "Refused; the applicant is told why"),
    "commission": ("市教委批准文件已上传", "Commission approval uploaded"),
    "narrow": ("已调整申请范围", "Application narrowed"),
    "preview": ("已计算 k 匿名", "k-anonymity computed"),
    "release": ("已发布", "Released"),
    "revoke": ("授权已撤销", "Grant revoked"),
    "credential": ("接口凭证已创建", "Credential created"),
    "rotate": ("接口凭证已轮换", "Credential rotated"),
    "revoke-credential": ("接口凭证已撤销", "Credential revoked"),
}
#: Typed text kept when a step is refused, so the form comes back as the person left it.
KEPT_FIELDS = ("comment", "reason", "label", "period_end")


def _run_step(
    request: Request,
    session: Session,
    who: Principal,
    app_id: int,
    step: Step,
    form: FormData,
    name: str = "",
) -> Response:
    """An error re-renders the page with the message beside the field (and the same status as the API)."""
    secret = preview = None
    try:
        app = service.visible_application(session, who, app_id)
        done = step(ctx_of(request, session), who, app, form)
        secret, preview = done if isinstance(done, tuple) else (None, None)
        committed(request, session)
    except EduDataError as err:
        refused(request, session, err)
        typed = {k: _text(form, k) for k in KEPT_FIELDS}
        return _detail(request, session, who, app_id, error=_error(err), typed=typed, status=err.status)
    zh, en = DONE.get(name, ("操作已完成", "Done"))
    view = views.application_view(session, service.visible_application(session, who, app_id))
    state_zh, state_en = view["status_label"]
    flash(request, f"{zh}。当前状态：{state_zh}", f"{en}. Status now: {state_en}")
    if secret is None and preview is None:
        return RedirectResponse(f"/sharing/applications/{app_id}", status_code=303)
    return _detail(request, session, who, app_id, secret=secret, preview=preview)


def _step_route(name: str, action: str, step: Step) -> None:
    def page_step(
        app_id: int,
        request: Request,
        form: FormData = Depends(_form),
        session: Session = Depends(get_session),
        who: Principal = Depends(allow(action)),
    ) -> Response:
        return _run_step(request, session, who, app_id, step, form, name)

    page_step.__name__ = f"page_{name.replace('-', '_')}"
    router.post(f"/sharing/applications/{{app_id}}/{name}", dependencies=[Depends(verify_csrf)])(page_step)


for _name, (_action, _step) in STEPS.items():
    _step_route(_name, _action, _step)


@router.get("/sharing/inbox")
def inbox_page(
    request: Request, session: Session = Depends(get_session), who: Principal = Depends(allow("sharing.read"))
) -> Response:
    tasks = [views.review_view(r) for r in review.tasks_for(session, who)]
    messages = [notify.notification_view(n) for n in notify.inbox(session, who.account_id)]
    return render(request, "sharing/inbox.html", {"tasks": tasks, "messages": messages})


@router.get("/sharing/overdue")
def overdue_page(
    request: Request,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.overdue.read")),
) -> Response:
    items = [views.review_view(r) for r in review.overdue_reviews(session)]
    return render(request, "sharing/overdue.html", {"items": items, "json": json})


@router.post("/sharing/overdue/remind", dependencies=[Depends(verify_csrf)])
def remind_page(
    request: Request,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.overdue.remind")),
) -> Response:
    """Send the reminders now (the same use case as ``POST /api/v1/sharing/reviews/remind``)."""
    review.remind(session)
    committed(request, session)
    return RedirectResponse("/sharing/overdue", status_code=303)


from edudata.sharing import external_pages  # noqa: E402 - external provision and unit heads, a router of their own

router.include_router(external_pages.router)
