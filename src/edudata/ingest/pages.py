"""Web pages of collection and quality (/ingest): submit a file, follow its batch, review it, read the
quality report with its charts (inline SVG, no script). Same rules as the API; every step is audited."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from edudata.access.specs import load_spec
from edudata.api.deps import get_session
from edudata.catalog.models import Dataset
from edudata.errors import EduDataError, PermissionDenied
from edudata.identity.deps import form_data, form_text, verify_csrf, web_principal
from edudata.identity.principal import Principal
from edudata.ingest import quality, review, service
from edudata.ingest.models import Batch
from edudata.ingest.routes import ctx_of, visible_batch
from edudata.org.models import Unit
from edudata.web.templating import render

router = APIRouter(include_in_schema=False)
STATUS = {
    "validated": ("待单位审核", "awaiting the unit's review"),
    "unit_approved": ("待网信办审核", "awaiting the office's review"),
    "approved": ("已入库", "authoritative"),
    "rejected": ("已驳回", "rejected"),
    "rolled_back": ("已回滚", "rolled back"),
}


def _may_collect(who: Principal) -> None:
    if not who.has("office_admin", "unit_data_officer", "unit_reviewer", "leadership"):
        raise PermissionDenied(
            "只有数据生产单位和网信办可以使用数据采集", "collection is for producer units and the office"
        )


def _own_datasets(session: Session, who: Principal) -> list[tuple[str, str]]:
    stmt = (
        select(Dataset.code, Dataset.name).join(Unit, Unit.id == Dataset.owner_unit_id).order_by(Dataset.code)
    )
    if not who.has("office_admin"):
        stmt = stmt.where(Unit.code == who.unit_code)
    return [(c, n) for c, n in session.execute(stmt).all()]


@router.get("/ingest")
def ingest_page(
    request: Request, who: Principal = Depends(web_principal), session: Session = Depends(get_session)
) -> Response:
    _may_collect(who)
    stmt = select(Batch).order_by(Batch.id.desc()).limit(100)
    if not who.has("office_admin", "leadership"):
        stmt = stmt.where(Batch.unit_code == who.unit_code)
    batches = list(session.execute(stmt).scalars())
    return render(
        request,
        "ingest/index.html",
        {
            "batches": batches,
            "datasets": _own_datasets(session, who),
            "status": STATUS,
            "can_upload": who.has("unit_data_officer"),
        },
    )


@router.post("/ingest/upload", dependencies=[Depends(verify_csrf)])
def upload_page(
    request: Request,
    form: FormData = Depends(form_data),
    who: Principal = Depends(web_principal),
    session: Session = Depends(get_session),
) -> Response:
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile):
            raise PermissionDenied("请选择要上传的文件", "choose a file to upload")
        batch = service.upload(
            who, ctx_of(request, session), dataset_code=form_text(form, "dataset"), unit_code=who.unit_code,
            read=upload.file.read, filename=upload.filename or "upload", encoding=form_text(form, "encoding") or "auto",
            parent_code=form_text(form, "parent") or None,
        )  # fmt: skip
        session.commit()
    except EduDataError as err:
        session.rollback()
        stmt = select(Batch).order_by(Batch.id.desc()).limit(100).where(Batch.unit_code == who.unit_code)
        ctx = {
            "batches": list(session.execute(stmt).scalars()), "datasets": _own_datasets(session, who), "status": STATUS,
            "can_upload": True, "error": err,
        }  # fmt: skip
        return render(request, "ingest/index.html", ctx, status_code=err.status)
    return RedirectResponse(f"/ingest/batches/{batch.code}", status_code=303)


@router.get("/ingest/batches/{code}")
def batch_page(
    code: str,
    request: Request,
    who: Principal = Depends(web_principal),
    session: Session = Depends(get_session),
) -> Response:
    batch = visible_batch(session, who, code)
    spec = load_spec(session, batch.dataset_code)
    report = batch.report or {}
    rules = [(f"{r['element']} · {r['rule']}", r["count"]) for r in report.get("by_rule", [])]
    completeness = [
        (spec.element(k).name if spec.element(k) else k, round(v * 100, 1))
        for k, v in report.get("completeness", {}).items()
    ]
    can_review = (
        batch.status == "validated" and who.has("unit_reviewer") and who.unit_code == batch.unit_code
    ) or (batch.status == "unit_approved" and who.has("office_admin"))
    return render(
        request,
        "ingest/batch.html",
        {
            "b": batch, "spec": spec, "status": STATUS, "issues": quality.issues(session, batch, limit=200),
            "rules_svg": quality.bar_chart(rules, title="failures per rule"),
            "completeness_svg": quality.bar_chart(completeness, title="completeness %"),
            "can_review": can_review and who.account_id != batch.uploaded_by_id,
            "can_download": who.has("unit_data_officer") and who.unit_code == batch.unit_code and batch.rows_quarantined,
        },
    )  # fmt: skip


@router.post("/ingest/batches/{code}/review", dependencies=[Depends(verify_csrf)])
def review_page(
    code: str,
    request: Request,
    form: FormData = Depends(form_data),
    who: Principal = Depends(web_principal),
    session: Session = Depends(get_session),
) -> Response:
    visible_batch(session, who, code)
    review.review(
        who, ctx_of(request, session), code, approve=form_text(form, "decision") == "approve",
        comment=form_text(form, "comment"), reason=form_text(form, "reason"),
    )  # fmt: skip
    session.commit()
    return RedirectResponse(f"/ingest/batches/{code}", status_code=303)


@router.get("/ingest/quality/{dataset}")
def quality_page(
    dataset: str,
    request: Request,
    who: Principal = Depends(web_principal),
    session: Session = Depends(get_session),
) -> Response:
    spec = load_spec(session, dataset)
    if not (
        who.has("office_admin", "leadership")
        or (who.unit_code == spec.owner_unit_code and who.has("unit_data_officer", "unit_reviewer"))
    ):
        raise PermissionDenied(
            "只有网信办和数据生产单位可以查看质量报告",
            "only the office and the producer unit read the quality report",
        )
    report = quality.dataset_report(session, dataset)
    return render(
        request,
        "ingest/quality.html",
        {
            "r": report, "spec": spec,
            "trend_svg": quality.line_chart([t["validity_rate"] for t in report["trend"]], title="validity rate over batches"),
            "rules_svg": quality.bar_chart([(f"{x['element']} · {x['rule']}", x["count"]) for x in report["by_rule"][:15]], title="failures per rule"),
        },
    )  # fmt: skip
