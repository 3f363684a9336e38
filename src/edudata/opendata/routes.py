"""Open-data API (C5): the review workflow for staff, and the public portal API (no login; keys for
conditional views). CKAN Action API and DCAT routes are included from their own modules."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from edudata.answers import file_answer
from edudata.api.context import request_context
from edudata.api.deps import client_address, get_session
from edudata.api.paging import Page, PageQuery, page_of, paginate_list, paging
from edudata.api.policy import allow
from edudata.identity.principal import Principal
from edudata.opendata import deps, portal, public, publish, review, views
from edudata.opendata.ckan import router as ckan_router
from edudata.opendata.dcat import router as dcat_router
from edudata.opendata.key_routes import router as key_router
from edudata.opendata.models import OpenView, PublicUser
from edudata.opendata.responses import (
    ApplicationDecisionOut,
    ApplicationOut,
    IssuedKeyOut,
    LoginOut,
    OpenApplicationOut,
    OpenViewOut,
    OpenViewSummaryOut,
    RefreshOut,
    RegisteredOut,
)

router = APIRouter(tags=["opendata"])
router.include_router(ckan_router)
router.include_router(dcat_router)
router.include_router(key_router)


class ProposalBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dataset: str = Field(..., max_length=64)
    code: str | None = Field(None, max_length=64)
    kind: str = Field("dataset", max_length=16)
    title: str | None = Field(None, max_length=200)
    title_en: str | None = Field(None, max_length=200)
    description: str = Field(..., max_length=4000)
    keywords: list[str] = Field(default_factory=list, max_length=20)
    open_category: str = Field(..., max_length=16)
    licence: str = Field(..., max_length=32)
    update_frequency: str | None = Field(None, max_length=16)
    definition: dict[str, Any] | None = None
    #: 有条件开放: [{"kind": "applicant"|"purpose"|"commitment", "text": "…", "text_en": "…"}], one of each kind
    conditions: list[dict[str, Any]] | None = Field(None, max_length=20)


class ConditionsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    conditions: list[dict[str, Any]] = Field(..., max_length=20)


class ReviewBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: str = Field(..., max_length=16)
    reason: str = Field("", max_length=2000)
    secrecy: dict[str, Any] | None = None


class DecisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: str = Field(..., max_length=16)
    reason: str = Field("", max_length=2000)
    #: the check of each answer by condition id (true: meets the condition); approval needs every one true
    checks: dict[str, bool] | None = Field(None, max_length=20)


class RegisterBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(..., max_length=254)
    password: str = Field(..., max_length=200)
    name: str = Field(..., max_length=100)
    organisation: str = Field("", max_length=200)


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(..., max_length=254)
    password: str = Field(..., max_length=200)


class ApplicationBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    view: str = Field(..., max_length=64)
    purpose: str = Field(..., max_length=2000)
    usage: str = Field(..., max_length=2000)
    #: the answer to each of the view's conditions by id: a statement, or ``true`` to accept a commitment
    answers: dict[str, str | bool] = Field(default_factory=dict, max_length=20)


# ---- staff: proposal and three-level review (Art. 46, 58) ----


@router.post("/api/v1/opendata/proposals", status_code=201, response_model=OpenViewOut)
def propose(
    body: ProposalBody,
    request: Request,
    who: Principal = Depends(allow("opendata.view.propose")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Propose a dataset or a derived view for opening (refused at once for 不予开放 / privacy / important data)."""
    view = review.propose(session, who, body.model_dump(), request.app.state.settings)
    session.commit()
    return views.view_detail(session, view, staff=True)


@router.get("/api/v1/opendata/proposals", response_model=Page[OpenViewSummaryOut])
def list_proposals(
    mine: bool = Query(False, description="only proposals waiting for my level"),
    page: PageQuery = Depends(paging(100, 1000)),
    who: Principal = Depends(allow("opendata.proposal.read")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    from sqlalchemy import select

    items = (
        review.pending_for(session, who)
        if mine
        else list(session.scalars(select(OpenView).order_by(OpenView.id)))
    )
    return paginate_list(items, page, lambda v: views.view_summary(session, v))


@router.get("/api/v1/opendata/proposals/{code}", response_model=OpenViewOut)
def show_proposal(
    code: str,
    who: Principal = Depends(allow("opendata.proposal.read")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    return views.view_detail(session, review.get_view(session, code), staff=True)


@router.post("/api/v1/opendata/proposals/{code}/review", response_model=OpenViewOut)
def review_proposal(
    code: str,
    body: ReviewBody,
    request: Request,
    who: Principal = Depends(allow("opendata.review")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """The next level's decision: unit reviewer, then office (with 保密审查), then leadership (publishes)."""
    view = review.review(session, who, code, decision=body.decision, reason=body.reason, secrecy=body.secrecy)
    if view.status == "published":
        publish.publish(session, view, request.app.state.settings, request.app.state.db)
    session.commit()
    return views.view_detail(session, view, staff=True)


@router.put("/api/v1/opendata/views/{code}/conditions", response_model=OpenViewOut)
def state_conditions(
    code: str,
    body: ConditionsBody,
    who: Principal = Depends(allow("opendata.view.conditions")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """The provider states a conditional view's conditions anew (who may apply, for what, which commitments)."""
    view = review.state_conditions(session, who, code, body.conditions)
    session.commit()
    return views.view_detail(session, view, staff=True)


@router.post("/api/v1/opendata/views/{code}/refresh", response_model=RefreshOut)
def refresh_view(
    code: str,
    request: Request,
    who: Principal = Depends(allow("opendata.view.refresh")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Refresh a published view now (the office); a new version only when the content changed."""
    view = portal.published(session, code)
    version = publish.refresh(session, view, request.app.state.settings, request.app.state.db)
    session.commit()
    return {
        "code": view.code,
        "new_version": version.number if version else None,
        "version": view.current_version,
    }


@router.get("/api/v1/opendata/applications", response_model=Page[OpenApplicationOut])
def office_applications(
    status: str | None = Query(None, pattern="^(pending|approved|refused)$"),
    page: PageQuery = Depends(paging(100, 1000)),
    who: Principal = Depends(allow("opendata.application.decide")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    return paginate_list(public.applications(session, status), page)


@router.post("/api/v1/opendata/applications/{application_id}/decision", response_model=ApplicationDecisionOut)
def decide_application(
    application_id: int,
    body: DecisionBody,
    who: Principal = Depends(allow("opendata.application.decide")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    app = public.decide(session, who, application_id, body.decision, body.reason, body.checks)
    session.commit()
    return {"id": app.id, "status": app.status, "reason": app.reason, "checks": app.checks}


# ---- public portal API (no login) ----


@router.get("/api/v1/open/datasets", response_model=Page[OpenViewSummaryOut])
def open_datasets(
    request: Request,
    q: str = Query("", max_length=100),
    page: PageQuery = Depends(paging(20, 100)),
    caller: Any = Depends(deps.open_caller),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """The open catalogue, searchable in Chinese (character n-grams)."""
    items, total = portal.list_published(session, q, page.offset, page.limit)
    return page_of([views.view_summary(session, v) for v in items], total, page)


@router.get("/api/v1/open/datasets/{code}", response_model=OpenViewOut)
def open_dataset(
    code: str, caller: Any = Depends(deps.open_caller), session: Session = Depends(get_session)
) -> dict[str, Any]:
    """Metadata of a published view: description, element dictionary, licence, update time, versions."""
    return views.view_detail(session, portal.published(session, code))


class OpenRowsPage(Page[dict[str, Any]]):
    dataset: str
    version: int
    columns: Any


@router.get("/api/v1/open/datasets/{code}/rows", response_model=OpenRowsPage)
def open_rows(
    code: str,
    request: Request,
    filter: str | None = Query(
        None, max_length=20000, description='JSON, e.g. {"element":"NJ","op":"eq","value":2023}'
    ),
    page: PageQuery = Depends(paging(100, None)),  # at most opendata_max_rows, checked below
    version: int | None = Query(None, ge=1),
    caller: Any = Depends(deps.open_caller),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """A page of a published view's rows, filtered; ``limit`` at most ``opendata_max_rows``."""
    portal.check_limit(page.limit, request.app.state.settings.opendata_max_rows)
    view = portal.published(session, code)
    rows = portal.read(
        caller,
        request_context(request, session),
        view,
        filter=filter,
        offset=page.offset,
        limit=page.limit,
        version_number=version,
    )
    session.commit()
    return {
        "dataset": view.code, "version": rows.version.number, "columns": rows.version.columns,
        **page_of(rows.frame.to_dicts(), rows.total, page),
    }  # fmt: skip


@router.get(
    "/api/v1/open/datasets/{code}/data.{fmt}",
    response_class=Response,
    responses=file_answer(
        "开放数据文件（csv、json 或 xlsx，内容相同）/ the open data as csv, json or xlsx (identical content)",
        *(media for media, _ext in portal.DOWNLOADS.values()),
    ),
)
def open_download(
    code: str,
    fmt: str,
    request: Request,
    version: int | None = Query(None, ge=1),
    caller: Any = Depends(deps.open_caller),
    session: Session = Depends(get_session),
) -> Response:
    """Every row as CSV (UTF-8 with BOM), JSON or XLSX — identical content in each."""
    view = portal.published(session, code)
    content, media, name = portal.download(caller, request_context(request, session), view, fmt, version)
    session.commit()
    return Response(
        content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.post("/api/v1/open/register", status_code=202, response_model=RegisteredOut)
def register(
    body: RegisterBody,
    request: Request,
    caller: Any = Depends(deps.open_caller),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Register a citizen or organisation; a verification link is mailed to the address."""
    user = public.register(
        session,
        request.app.state.settings,
        body.model_dump(),
        deps.base_url(request),
        client_address(request),
    )
    session.commit()
    return {
        "email": user.email,
        "verified": False,
        "detail": "请查收验证邮件 / check your mail for the verification link",
    }


@router.get("/api/v1/open/verify", response_model=RegisteredOut)
def verify(
    request: Request,
    token: str = Query(..., min_length=10, max_length=200),
    caller: Any = Depends(deps.open_caller),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Follow the mailed verification link (the portal page /open/verify does the same for a browser)."""
    user = public.verify(session, token, client_address(request))
    session.commit()
    return {"email": user.email, "verified": True}


@router.post("/api/v1/open/login", response_model=LoginOut)
def login(
    body: LoginBody,
    request: Request,
    caller: Any = Depends(deps.open_caller),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    user, secret = public.login(
        session, body.email, body.password, client_address(request), request.app.state.settings
    )
    session.commit()
    return {"access_token": secret, "token_type": "bearer", "email": user.email}


@router.post("/api/v1/open/applications", status_code=201, response_model=ApplicationOut)
def apply(
    body: ApplicationBody,
    request: Request,
    user: PublicUser = Depends(deps.public_user),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Apply for a conditional view, stating purpose and use."""
    app = public.apply(
        session, user, body.view, body.purpose, body.usage, client_address(request), body.answers
    )
    session.commit()
    return {"id": app.id, "status": app.status}


@router.get("/api/v1/open/applications", response_model=Page[OpenApplicationOut])
def my_applications(
    page: PageQuery = Depends(paging(100, 1000)),
    user: PublicUser = Depends(deps.public_user),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    return paginate_list(public.applications(session, user=user), page)


@router.post("/api/v1/open/applications/{application_id}/key", status_code=201, response_model=IssuedKeyOut)
def collect_key(
    application_id: int,
    request: Request,
    user: PublicUser = Depends(deps.public_user),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """The open-data key of an approved application, shown this once (send it as ``X-API-Key``)."""
    key, secret = public.issue_key(session, user, application_id, client_address(request))
    session.commit()
    return {
        "key": secret,
        "view": key.view_code,
        "expires_at": key.expires_at.isoformat() if key.expires_at else None,
    }
