"""Web pages of the open-data portal: the public portal (no login) and the staff's proposal and review pages.

Public: ``/open`` (browse and search in Chinese), ``/open/datasets/<code>`` (description, element dictionary,
update time, licence, preview, downloads), ``/open/verify`` (the mailed link). Staff (login): ``/opendata``
(proposals and what waits for my level), ``/opendata/propose``, ``/opendata/proposals/<code>`` (review).
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from edudata.api.context import request_context
from edudata.api.deps import client_address, get_session
from edudata.api.policy import allow
from edudata.catalog.models import Dataset
from edudata.errors import EduDataError, PermissionDenied
from edudata.identity.deps import form_data, verify_csrf, web_principal
from edudata.identity.principal import Principal
from edudata.opendata import conditions, definitions, deps, portal, public, publish, review, views
from edudata.opendata.models import OpenView
from edudata.opendata.public_pages import router as public_router
from edudata.policy import allowed, may_attempt
from edudata.web import labels
from edudata.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20
PREVIEW_ROWS = 10
labels.register("open_status", review.STATUS_NAMES)
labels.register("open_level", review.LEVEL_NAMES)
labels.register("update_frequency", views.FREQUENCY_LABELS)
labels.register("open_application_status", public.APPLICATION_STATUS)


def _described(session: Session, dataset_code: str, columns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The portal's field list with each element's description from the catalogue (数据项说明, in Chinese)."""
    from edudata.catalog.models import DataElement

    rows = session.execute(
        select(DataElement.code, DataElement.description)
        .join(Dataset, Dataset.id == DataElement.dataset_id)
        .where(Dataset.code == dataset_code)
    ).all()
    described = {code: text for code, text in rows}
    return [{**c, "description": described.get(c["code"], "")} for c in columns]


def _facet_names(session: Session) -> dict[str, dict[str, tuple[str, str]]]:
    """Each facet value in words: publishers by unit name, categories by subject area, licences by title."""
    from edudata.org.models import Unit
    from edudata.web.labels import KINDS

    units = {
        c: (n, e or n) for c, n, e in session.execute(select(Unit.code, Unit.name, Unit.name_en)).tuples()
    }
    return {
        "publisher": units,
        "category": dict(KINDS["subject_area"]),
        "format": {
            "csv": ("CSV", "CSV"),
            "json": ("JSON", "JSON"),
            "xlsx": ("Excel（XLSX）", "Excel (XLSX)"),
        },
        "licence": {k: (v[0], v[1]) for k, v in definitions.LICENCES.items()},
    }


@router.get("/open")
def portal_page(
    request: Request,
    q: str = Query("", max_length=100),
    page: int = Query(1, ge=1, le=10_000),
    publisher: str = Query("", max_length=32),
    category: str = Query("", max_length=32),
    format: str = Query("", max_length=8),
    licence: str = Query("", max_length=32),
    caller: Any = Depends(deps.open_caller),
    session: Session = Depends(get_session),
) -> Response:
    chosen = {"publisher": publisher, "category": category, "format": format, "licence": licence}
    items, total, facets = portal.search_published(session, q, chosen, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    ctx = {
        "items": [views.view_summary(session, v) for v in items],
        "total": total,
        "q": q,
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "facets": facets,
        "facet_names": _facet_names(session),
        "licences": definitions.LICENCES,
    }
    return render(request, "opendata/portal.html", ctx)


@router.get("/open/datasets/{code}")
def dataset_page(
    code: str,
    request: Request,
    caller: Any = Depends(deps.open_caller),
    session: Session = Depends(get_session),
) -> Response:
    view = portal.published(session, code)
    detail = views.view_detail(session, view)
    detail["columns"] = _described(session, view.dataset_code, detail["columns"])
    preview, refusal = None, None
    try:
        rows = portal.read(
            caller, request_context(request, session), view, limit=PREVIEW_ROWS, operation="open_preview"
        )
        preview = rows.frame.to_dicts()
        session.commit()
    except PermissionDenied as err:
        refusal = {"zh": err.zh, "en": err.en}
    return render(request, "opendata/dataset.html", {"d": detail, "preview": preview, "refusal": refusal})


@router.get("/open/datasets/{code}/download.{fmt}")
def download_page(
    code: str,
    fmt: str,
    request: Request,
    headers: Literal["zh", "code"] = "zh",
    caller: Any = Depends(deps.open_caller),
    session: Session = Depends(get_session),
) -> Response:
    view = portal.published(session, code)
    # The portal's files have Chinese column headers; ?headers=code gives the element codes (for programs).
    content, media, name = portal.download(
        caller, request_context(request, session), view, fmt, headers=headers
    )
    session.commit()
    return Response(
        content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get("/open/verify")
def verify_page(
    request: Request,
    token: str = Query("", max_length=200),
    caller: Any = Depends(deps.open_caller),
    session: Session = Depends(get_session),
) -> Response:
    try:
        user = public.verify(session, token, client_address(request))
        session.commit()
        return render(request, "opendata/verified.html", {"email": user.email, "error": None})
    except EduDataError as err:
        return render(
            request, "opendata/verified.html", {"email": None, "error": err}, status_code=err.status
        )


# ---- staff pages ----


def _openable_datasets(session: Session) -> list[tuple[str, str]]:
    rows = session.execute(
        select(Dataset.code, Dataset.name).where(Dataset.open_category != "none").order_by(Dataset.code)
    )
    return [(r[0], r[1]) for r in rows]


@router.get("/opendata")
def staff_page(
    request: Request,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("opendata.proposal.read")),
) -> Response:
    all_views = session.scalars(select(OpenView).order_by(OpenView.id.desc())).all()
    ctx = {
        "pending": [views.view_summary(session, v) for v in review.pending_for(session, who)],
        "views": [views.view_summary(session, v) for v in all_views],
        "can_propose": may_attempt(who, "opendata.view.propose"),
    }
    return render(request, "opendata/staff.html", ctx)


def _form_ctx(
    session: Session, values: dict[str, Any], error: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "values": values,
        "error": error,
        "datasets": _openable_datasets(session),
        "licences": definitions.LICENCES,
    }


@router.get("/opendata/propose")
def propose_page(
    request: Request,
    dataset: str = Query("", max_length=64),
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("opendata.view.propose")),
) -> Response:
    values = {"dataset": dataset, "open_category": "unconditional", "licence": "CC-BY-4.0", "kind": "dataset"}
    return render(request, "opendata/propose.html", _form_ctx(session, values))


@router.post(
    "/opendata/propose", dependencies=[Depends(verify_csrf), Depends(allow("opendata.view.propose"))]
)
def propose_submit(request: Request, form: FormData = Depends(form_data)) -> Response:
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    with request.app.state.db.session() as session:
        who = web_principal(request, session)
        data: dict[str, Any] = dict(values)
        data["keywords"] = [
            k.strip() for k in values.get("keywords", "").replace("，", ",").split(",") if k.strip()
        ]
        data["code"] = values.get("code") or None
        for name in ("cond_applicant", "cond_purpose", "cond_commitment"):
            data.pop(name, None)
        if values.get("open_category") == "conditional":
            data["conditions"] = conditions.conditions_from_lines(
                values.get("cond_applicant", ""),
                values.get("cond_purpose", ""),
                values.get("cond_commitment", ""),
            )
        try:
            view = review.propose(session, who, data, request.app.state.settings)
            session.commit()
        except EduDataError as err:
            session.rollback()
            ctx = _form_ctx(session, values, {"field": err.field or "", "zh": err.zh, "en": err.en})
            return render(request, "opendata/propose.html", ctx, status_code=err.status)
        return RedirectResponse(f"/opendata/proposals/{view.code}", status_code=303)


@router.get("/opendata/proposals/{code}")
def proposal_page(
    code: str,
    request: Request,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("opendata.proposal.read")),
) -> Response:
    view = review.get_view(session, code)
    level = review.LEVELS.get(view.status)
    ctx = {
        "d": views.view_detail(session, view, staff=True),
        "level": level[0] if level else None,
        "level_name": review.LEVEL_NAMES[level[0]] if level else None,
        "may_review": bool(level) and allowed(who, level[1], unit_code=view.unit_code),
        "checks": review.SECRECY_CHECKS,
        "error": None,
        "typed": {},
    }
    return render(request, "opendata/proposal.html", ctx)


@router.post(
    "/opendata/proposals/{code}/review",
    dependencies=[Depends(verify_csrf), Depends(allow("opendata.review"))],
)
def review_submit(code: str, request: Request, form: FormData = Depends(form_data)) -> Response:
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    with request.app.state.db.session() as session:
        who = web_principal(request, session)
        secrecy = {c: values.get(c) == "on" for c in review.SECRECY_CHECKS}
        secrecy["conclusion"] = values.get("conclusion", "")
        try:
            view = review.review(
                session, who, code, decision=values.get("decision", ""), reason=values.get("reason", ""),
                secrecy=secrecy,
            )  # fmt: skip
            if view.status == "published":
                publish.publish(session, view, request.app.state.settings, request.app.state.db)
            session.commit()
        except EduDataError as err:
            session.rollback()
            view = review.get_view(session, code)
            level = review.LEVELS.get(view.status)
            ctx = {
                "d": views.view_detail(session, view, staff=True),
                "level": level[0] if level else None,
                "level_name": review.LEVEL_NAMES[level[0]] if level else None,
                "may_review": bool(level) and allowed(who, level[1], unit_code=view.unit_code),
                "checks": review.SECRECY_CHECKS,
                "error": {"field": err.field or "", "zh": err.zh, "en": err.en},
                "typed": values,  # the reason, the conclusion and the ticked checks, as the reviewer left them
            }
            return render(request, "opendata/proposal.html", ctx, status_code=err.status)
        return RedirectResponse(f"/opendata/proposals/{view.code}", status_code=303)


router.include_router(public_router)
