"""HTTP API of collection and quality (``/api/v1/ingest``): upload, quarantine, review, versions, quality,
snapshots, pull sources and jobs. Every step is audited; refusals are audited by the platform's hook."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.access.formats import FORMATS
from edudata.access.specs import load_spec
from edudata.answers import file_answer
from edudata.api.context import request_context as ctx_of
from edudata.api.deps import get_session
from edudata.api.paging import Page, PageQuery, paginate, paginate_list, paging
from edudata.api.policy import allow
from edudata.audit import service as audit
from edudata.errors import NotFound, ValidationFailed
from edudata.identity.principal import Principal
from edudata.ingest import jobs, mappings, pull, quality, retention, review, service, snapshots
from edudata.ingest.answers import (
    BatchOut,
    ConnectionOut,
    DiffOut,
    IssueOut,
    JobOut,
    JobQueuedOut,
    MappingOut,
    MappingsSavedOut,
    QualityOut,
    RetentionOut,
    RolledBackOut,
    RuleAddedOut,
    RuleOut,
    SnapshotOut,
    SnapshotReportOut,
    SourceOut,
    VersionOut,
)
from edudata.ingest.models import Batch, Job, Rule, Source
from edudata.ingest.uploads import SealedUploadRoute
from edudata.policy import allowed, require

router = APIRouter(
    prefix="/api/v1/ingest", tags=["ingest"], route_class=SealedUploadRoute
)  # files sealed as they stream
RULE_KINDS = ("regex", "range", "allowed", "cross_field", "width")


def visible_batch(session: Session, who: Principal, code: str) -> Batch:
    """A batch its unit's officers and reviewers and the office may see (404 for anyone else)."""
    batch = service.get_batch(session, code)
    if not allowed(who, "ingest.batch.read", unit_code=batch.unit_code):
        raise NotFound(f"没有批次 {code[:40]}", f"no batch {code[:40]}")
    return batch


@router.post("/{dataset}/batches", status_code=201, response_model=BatchOut)
def upload_batch(
    dataset: str,
    request: Request,
    file: UploadFile = File(...),
    unit: str = Form(..., max_length=32),
    encoding: str = Form("auto", max_length=16),
    parent: str | None = Form(None, max_length=32),
    who: Principal = Depends(allow("ingest.batch.upload")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Submit a CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) or XLSX file; ``parent`` names a batch it corrects."""
    try:
        batch = service.upload(
            who, ctx_of(request, session), dataset_code=dataset, unit_code=unit, read=file.file.read,
            filename=file.filename or "upload", encoding=encoding, parent_code=parent or None,
        )  # fmt: skip
        session.commit()
    finally:
        file.file.close()  # the sealed spool is removed before the answer leaves, on every outcome
    return quality.batch_view(batch)


@router.get("/batches", response_model=Page[BatchOut])
def list_batches(
    dataset: str | None = Query(None, max_length=64),
    status: str | None = Query(None, max_length=16),
    page: PageQuery = Depends(paging(50, 500)),
    who: Principal = Depends(allow("ingest.read")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    stmt = select(Batch).order_by(Batch.id.desc())
    if dataset:
        stmt = stmt.where(Batch.dataset_code == dataset)
    if status:
        stmt = stmt.where(Batch.status == status)
    if not allowed(who, "ingest.batch.read"):
        if not allowed(who, "ingest.batch.read", unit_code=who.unit_code):
            return paginate_list([], page)
        stmt = stmt.where(Batch.unit_code == who.unit_code)
    return paginate(session, stmt, page, quality.batch_view)


@router.get("/batches/{code}", response_model=BatchOut)
def get_batch(
    code: str, who: Principal = Depends(allow("ingest.batch.read")), session: Session = Depends(get_session)
) -> dict[str, Any]:
    return quality.batch_view(visible_batch(session, who, code))


class IssuePage(Page[IssueOut]):
    batch: str


@router.get("/batches/{code}/issues", response_model=IssuePage)
def batch_issues(
    code: str,
    page: PageQuery = Depends(paging(500, 5000)),
    who: Principal = Depends(allow("ingest.batch.read")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Quarantine reasons: row, element, value (masked when sensitive), rule, message in Chinese and English."""
    batch = visible_batch(session, who, code)
    return {"batch": batch.code, **paginate(session, quality.issues_select(batch), page, quality.issue_view)}


@router.get(
    "/batches/{code}/quarantine.xlsx",
    response_class=Response,
    responses=file_answer(
        "隔离行（含原因列）/ the quarantined rows with a reason column", FORMATS["xlsx"][0]
    ),
)
def quarantine_download(
    code: str,
    request: Request,
    who: Principal = Depends(allow("ingest.quarantine.download")),
    session: Session = Depends(get_session),
) -> Response:
    """The quarantined rows as typed, with a reason column, for the producer unit's data officer to fix."""
    batch = visible_batch(session, who, code)
    require(who, "ingest.quarantine.download", unit_code=batch.unit_code)
    spec = load_spec(session, batch.dataset_code)
    body = quality.quarantine_xlsx(who, ctx_of(request, session), spec, batch)
    audit.record(
        session, operation="export", dataset=batch.dataset_code, row_count=batch.rows_quarantined,
        detail={"batch": batch.code, "what": "quarantine"}, **service.actor(who, ctx_of(request, session)),
    )  # fmt: skip
    session.commit()
    return Response(
        body,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="quarantine-{batch.code}.xlsx"'},
    )


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["approve", "reject"]
    comment: str = Field("", max_length=2000)
    reason: str = Field("", max_length=2000)


@router.post("/batches/{code}/review", response_model=BatchOut)
def review_batch(
    code: str,
    body: ReviewIn,
    request: Request,
    who: Principal = Depends(allow("ingest.batch.review")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """The unit reviewer's step, then the office's (which makes the batch the dataset's next version)."""
    visible_batch(session, who, code)
    batch = review.review(
        who,
        ctx_of(request, session),
        code,
        approve=body.decision == "approve",
        comment=body.comment,
        reason=body.reason,
    )
    session.commit()
    return quality.batch_view(batch)


@router.get("/{dataset}/versions", response_model=Page[VersionOut])
def list_versions(
    dataset: str,
    page: PageQuery = Depends(paging(100, 1000)),
    who: Principal = Depends(allow("ingest.version.manage")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    return paginate_list(review.versions(session, dataset), page, lambda v: {
        "version": v.version_no, "batch_id": v.batch_id, "inserted": v.rows_inserted, "updated": v.rows_updated,
        "approved_by": v.approved_by, "approved_at": v.approved_at.isoformat(), "status": v.status,
    })  # fmt: skip


@router.get("/{dataset}/diff", response_model=DiffOut)
def diff_versions(
    dataset: str, request: Request, a: int = Query(..., ge=0), b: int = Query(..., ge=0),
    who: Principal = Depends(allow("ingest.version.manage")), session: Session = Depends(get_session),
) -> dict[str, Any]:  # fmt: skip
    result = review.diff(who, ctx_of(request, session), dataset, a, b)
    session.commit()
    return result


@router.post("/{dataset}/versions/{version}/rollback", response_model=RolledBackOut)
def rollback_version(
    dataset: str,
    version: int,
    request: Request,
    who: Principal = Depends(allow("ingest.version.manage")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    v = review.rollback(who, ctx_of(request, session), dataset, version)
    session.commit()
    return {"version": v.version_no, "status": v.status}


@router.get("/{dataset}/quality", response_model=QualityOut)
def dataset_quality(
    dataset: str,
    who: Principal = Depends(allow("ingest.quality.read")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Per-dataset report: validity and completeness over batches, counts per rule, open quarantine, timeliness."""
    spec = load_spec(session, dataset)
    require(who, "ingest.quality.read", unit_code=spec.owner_unit_code)
    return quality.dataset_report(session, dataset)


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    element: str = Field(..., max_length=64)
    kind: Literal["regex", "range", "allowed", "cross_field", "width"]
    params: dict[str, Any] = Field(default_factory=dict)
    message_zh: str = Field("", max_length=500)
    message_en: str = Field("", max_length=500)


@router.post("/{dataset}/rules", status_code=201, response_model=RuleAddedOut)
def add_rule(
    dataset: str,
    body: RuleIn,
    request: Request,
    who: Principal = Depends(allow("ingest.rule.edit")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """The office adds a rule beyond the data standard (regex, range, allowed values, cross-field, a fixed
    width of digits)."""
    spec = load_spec(session, dataset)
    if spec.element(body.element) is None:
        raise ValidationFailed(
            f"数据集没有数据项 {body.element}", f"the dataset has no element {body.element}", field="element"
        )
    _check_params(body)
    rule = Rule(dataset_code=dataset, element=body.element, kind=body.kind, params=body.params, message_zh=body.message_zh,
                message_en=body.message_en, enabled=True, created_by=who.username)  # fmt: skip
    session.add(rule)
    session.flush()
    audit.record(
        session,
        operation="ingest_rule",
        dataset=dataset,
        detail={"rule": rule.id, "kind": body.kind, "element": body.element},
        **service.actor(who, ctx_of(request, session)),
    )
    session.commit()
    return {"id": rule.id, "element": rule.element, "kind": rule.kind, "params": rule.params}


def _check_params(body: RuleIn) -> None:
    import re

    p = body.params
    ok = True
    if body.kind == "regex":
        try:
            re.compile(str(p.get("pattern", "")))
        except re.error:
            ok = False
        ok = ok and bool(p.get("pattern")) and len(str(p["pattern"])) <= 500
    elif body.kind == "range":
        ok = any(isinstance(p.get(k), int | float) for k in ("min", "max"))
    elif body.kind == "allowed":
        ok = isinstance(p.get("values"), list) and 0 < len(p["values"]) <= 1000
    elif body.kind == "cross_field":
        ok = p.get("check") in ("id_birth_date", "id_gender") and bool(p.get("id_element"))
    elif body.kind == "width":  # a fixed number of digits (学号 of 12): leading zeros Excel lost are restored
        ok = isinstance(p.get("digits"), int) and 1 <= p["digits"] <= 64
    if not ok:
        raise ValidationFailed("规则参数不正确", f"invalid parameters for a {body.kind} rule", field="params")


@router.get("/{dataset}/rules", response_model=Page[RuleOut])
def list_rules(
    dataset: str,
    page: PageQuery = Depends(paging(100, 1000)),
    who: Principal = Depends(allow("ingest.rule.read")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    stmt = select(Rule).where(Rule.dataset_code == dataset).order_by(Rule.id)
    return paginate(session, stmt, page, lambda r: {
        "id": r.id, "element": r.element, "kind": r.kind, "params": r.params, "enabled": r.enabled
    })  # fmt: skip


class MappingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mappings: dict[str, str] = Field(..., max_length=500)


@router.put("/{dataset}/mappings", response_model=MappingsSavedOut)
def save_mappings(
    dataset: str,
    body: MappingIn,
    request: Request,
    who: Principal = Depends(allow("ingest.mapping.edit")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """The producer's own column names → elements, used for every later upload of the dataset."""
    saved = mappings.save(session, who, dataset, body.mappings, service.actor(who, ctx_of(request, session)))
    session.commit()
    return {"dataset": dataset, "saved": saved}


class MappingPage(Page[MappingOut]):
    dataset: str


@router.get("/{dataset}/mappings", response_model=MappingPage)
def list_mappings(
    dataset: str,
    page: PageQuery = Depends(paging(500, 1000)),
    who: Principal = Depends(allow("ingest.mapping.edit")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    require(who, "ingest.mapping.edit", unit_code=load_spec(session, dataset).owner_unit_code)
    return {"dataset": dataset, **paginate_list(mappings.listed(session, dataset), page)}


@router.delete("/{dataset}/mappings/{mapping_id}", status_code=204)
def delete_mapping(
    dataset: str,
    mapping_id: int,
    request: Request,
    who: Principal = Depends(allow("ingest.mapping.edit")),
    session: Session = Depends(get_session),
) -> Response:
    mappings.delete(session, who, dataset, mapping_id, service.actor(who, ctx_of(request, session)))
    session.commit()
    return Response(status_code=204)


class SnapshotIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(..., min_length=1, max_length=100)
    time_point: date
    caliber: dict[str, Any] | None = None
    definition: str = Field("", max_length=5000)
    elements: list[str] | None = Field(None, max_length=200)


@router.post("/{dataset}/snapshots", status_code=201, response_model=SnapshotOut)
def create_snapshot(
    dataset: str,
    body: SnapshotIn,
    request: Request,
    who: Principal = Depends(allow("ingest.snapshot.create")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    snap = snapshots.create(who, ctx_of(request, session), dataset, name=body.name, time_point=body.time_point,
                            caliber=body.caliber, definition=body.definition, elements=body.elements)  # fmt: skip
    session.commit()
    return {
        "id": snap.id,
        "name": snap.name,
        "rows": snap.row_count,
        "sha256": snap.sha256,
        "version": snap.version_no,
    }


@router.get("/snapshots/{snapshot_id}/report", response_model=SnapshotReportOut)
def snapshot_report(
    snapshot_id: int, request: Request, by: str = Query("", max_length=500),
    who: Principal = Depends(allow("ingest.snapshot.read")), session: Session = Depends(get_session),
) -> dict[str, Any]:  # fmt: skip
    result = snapshots.report(
        who, ctx_of(request, session), snapshot_id, [b.strip() for b in by.split(",") if b.strip()]
    )
    session.commit()
    return result


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    staging_retention_days: int = Field(..., strict=True)


@router.get("/settings", response_model=RetentionOut)
def get_settings_view(
    request: Request,
    who: Principal = Depends(allow("ingest.settings.read")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """The staging retention in force (the office's, else the deployment's default), Art. 35."""
    return retention.view(session, request.app.state.settings)


@router.put("/settings", response_model=RetentionOut)
def put_settings(
    body: SettingsIn,
    request: Request,
    who: Principal = Depends(allow("ingest.settings.edit")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """The office sets how long a finished batch's staging files are kept (Art. 35); audited."""
    ctx = ctx_of(request, session)
    out = retention.set_retention(
        session, ctx.settings, who, body.staging_retention_days, request_id=ctx.request_id
    )
    session.commit()
    return out


class SourceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(..., min_length=1, max_length=100)
    unit: str = Field(..., min_length=1, max_length=32)
    connection: str = Field(..., min_length=1, max_length=2000, description="a name of pull_connections")
    password: str | None = Field(None, max_length=500)


class SourceMappingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    table: str = Field(..., min_length=1, max_length=130)
    columns: dict[str, str] = Field(default_factory=dict, max_length=500)


@router.get("/connections", response_model=Page[ConnectionOut])
def list_connections(
    request: Request,
    page: PageQuery = Depends(paging(100, 1000)),
    who: Principal = Depends(allow("ingest.pull.manage")),
) -> dict[str, Any]:
    """The business systems the operator allows pulls from (the office registers sources against them)."""
    from edudata.ingest import connections

    return paginate_list(
        [
            {"name": n, "url": connections.display(connections.parse(u))}
            for n, u in sorted((request.app.state.settings.pull_connections or {}).items())
        ],
        page,
    )


@router.post("/{dataset}/sources", status_code=201, response_model=SourceOut)
def add_source(
    dataset: str,
    body: SourceIn,
    request: Request,
    who: Principal = Depends(allow("ingest.pull.manage")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Register an allow-listed business system as a dataset's pull source (the office, Art. 30)."""
    source = pull.create_source(
        who, ctx_of(request, session), dataset, name=body.name, unit_code=body.unit,
        connection=body.connection, password=body.password,
    )  # fmt: skip
    audit.record(
        session,
        operation="ingest_source",
        dataset=dataset,
        detail={"source": source.id, "connection": source.connection, "unit": source.unit_code},
        **service.actor(who, ctx_of(request, session)),
    )
    session.commit()
    return _source_view(source)


def _source_view(source: Any) -> dict[str, Any]:
    return {
        "id": source.id, "dataset": source.dataset_code, "unit": source.unit_code, "name": source.name,
        "connection": source.connection, "url": source.url, "table": source.table_name or None,
        "columns": source.columns or {}, "enabled": source.enabled,
    }  # fmt: skip


@router.put("/sources/{source_id}/mapping", response_model=SourceOut)
def map_source(
    source_id: int,
    body: SourceMappingIn,
    request: Request,
    who: Principal = Depends(allow("ingest.batch.upload")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """The producer's data officer picks the table and maps its columns to elements (no free SQL)."""
    source = pull.set_mapping(
        who, ctx_of(request, session), source_id, table_name=body.table, columns=body.columns
    )
    audit.record(
        session,
        operation="ingest_source_mapping",
        dataset=source.dataset_code,
        detail={"source": source.id, "table": source.table_name, "columns": sorted(source.columns.values())},
        **service.actor(who, ctx_of(request, session)),
    )
    session.commit()
    return _source_view(source)


@router.post("/sources/{source_id}/pull", status_code=202, response_model=JobQueuedOut)
def queue_pull(
    source_id: int,
    who: Principal = Depends(allow("ingest.pull.run")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Queue a pull now (the worker runs it; ``GET /jobs/{id}`` follows it)."""
    from edudata.ingest.models import Source

    source = session.get(Source, source_id)
    if source is None or not (allowed(who, "ingest.pull.run", unit_code=source.unit_code)):
        raise NotFound(f"没有数据源 {source_id}", f"no source {source_id}")
    job = jobs.enqueue(session, "pull", {"source_id": source_id})
    session.commit()
    return {"job": job.id, "status": job.status}


@router.get("/jobs/{job_id}", response_model=JobOut)
def get_job(
    job_id: int, who: Principal = Depends(allow("ingest.pull.read")), session: Session = Depends(get_session)
) -> dict[str, Any]:
    job = session.get(Job, job_id)
    # The office, and the data officers of the unit whose source the job pulls (Art. 30: a unit does not see
    # another unit's collection); anyone else is told there is no such job.
    source = (
        session.get(Source, int(job.payload["source_id"]))
        if job and "source_id" in (job.payload or {})
        else None
    )
    unit = source.unit_code if source is not None else None
    if job is None or not (
        allowed(who, "ingest.pull.manage") or (unit is not None and unit == who.unit_code)
    ):
        raise NotFound(f"没有任务 {job_id}", f"no job {job_id}")
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "attempts": job.attempts,
        "result": job.result,
        "error": job.error or None,
    }
