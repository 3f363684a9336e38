"""Web pages of collection and quality (/ingest): submit a file, follow its batch, review it, read the
quality report with its charts (inline SVG, no script). Same rules as the API; every step is audited."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta

import polars as pl
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from edudata.access import side_store
from edudata.access.specs import load_spec
from edudata.api.deps import get_session
from edudata.api.policy import allow
from edudata.audit import service as audit
from edudata.catalog.models import Dataset
from edudata.clock import CHINA
from edudata.errors import EduDataError, PermissionDenied
from edudata.identity.actions import refused
from edudata.identity.deps import form_data, form_text, verify_csrf
from edudata.identity.principal import Principal
from edudata.ingest import labels, mappings, quality, retention, review, service
from edudata.ingest.models import Batch, Issue
from edudata.ingest.routes import ctx_of, visible_batch
from edudata.ingest.uploads import SealedUploadRoute
from edudata.org.models import Unit
from edudata.policy import allowed
from edudata.web import labels as page_labels
from edudata.web.flash import flash
from edudata.web.i18n import request_lang
from edudata.web.lists import Listing, listing
from edudata.web.templating import render, wants_fragment

router = APIRouter(include_in_schema=False, route_class=SealedUploadRoute)  # files sealed as they stream
STATUS = {
    "validated": ("待单位审核", "awaiting the unit's review"),
    "unit_approved": ("待网信办审核", "awaiting the office's review"),
    "approved": ("已入库", "authoritative"),
    "rejected": ("已驳回", "rejected"),
    "rolled_back": ("已回滚", "rolled back"),
}


page_labels.register("batch_status", STATUS)


def _own_datasets(session: Session, who: Principal) -> list[tuple[str, str]]:
    stmt = (
        select(Dataset.code, Dataset.name).join(Unit, Unit.id == Dataset.owner_unit_id).order_by(Dataset.code)
    )
    if not allowed(who, "ingest.mapping.edit"):
        stmt = stmt.where(Unit.code == who.unit_code)
    return [(c, n) for c, n in session.execute(stmt).all()]


def _correctable(session: Session, who: Principal) -> list[Batch]:
    """The unit's batches with quarantined rows: what a correction can name (picked, never typed)."""
    stmt = (
        select(Batch)
        .where(Batch.unit_code == who.unit_code, Batch.rows_quarantined > 0)
        .order_by(Batch.id.desc())
        .limit(100)
    )
    return list(session.execute(stmt).scalars())


def _visible_batches(who: Principal) -> Select[tuple[Batch]]:
    """Only the batches the policy lets the caller open: every unit's for the office, the caller's own unit's for a
    unit's officer or reviewer, none for a role that reads quality reports but not batches (leadership)."""
    stmt = select(Batch)
    if not allowed(who, "ingest.batch.read"):
        if not allowed(who, "ingest.batch.read", unit_code=who.unit_code):
            stmt = stmt.where(false())
        stmt = stmt.where(Batch.unit_code == who.unit_code)
    return stmt


def _batch_list(session: Session, who: Principal, params: Mapping[str, str]) -> Listing:
    """The batches, filtered by pickers (dataset, unit, status, the day of upload), sorted by a column, paged."""
    chosen = {key: params.get(key, "")[:64] for key in ("dataset", "unit", "status", "since", "until")}
    stmt = _visible_batches(who)
    if chosen["dataset"]:
        stmt = stmt.where(Batch.dataset_code == chosen["dataset"])
    if chosen["unit"]:
        stmt = stmt.where(Batch.unit_code == chosen["unit"])
    if chosen["status"] in STATUS:
        stmt = stmt.where(Batch.status == chosen["status"])
    else:
        chosen["status"] = ""
    for key, after in (("since", True), ("until", False)):
        day = _day(chosen[key])
        if day is None:
            chosen[key] = ""
        elif after:
            stmt = stmt.where(Batch.uploaded_at >= day)
        else:
            stmt = stmt.where(Batch.uploaded_at < day + timedelta(days=1))
    return listing(
        session, stmt, params,
        sorts={"uploaded": Batch.uploaded_at, "code": Batch.code, "dataset": Batch.dataset_code,
               "status": Batch.status, "quarantined": Batch.rows_quarantined, "rows": Batch.rows_total},
        default_sort="uploaded", default_desc=True, tiebreak=Batch.id, filters=chosen, region="batches-region",
    )  # fmt: skip


def _day(text: str) -> datetime | None:
    """A date picker's value as the start of that day in Beijing time (the one time zone the pages show)."""
    try:
        day = date.fromisoformat(text) if text else None
    except ValueError:
        return None
    # in UTC, as stored (SQLite keeps no offset)
    return None if day is None else datetime.combine(day, time.min, tzinfo=CHINA).astimezone(UTC)


def _index(
    session: Session, who: Principal, params: Mapping[str, str] | None = None, **extra: object
) -> dict:
    found = _batch_list(session, who, params or {})
    every_unit = allowed(who, "ingest.batch.read")
    units = session.execute(select(Unit.code, Unit.name).order_by(Unit.code)).all() if every_unit else []
    return {
        "batches": found.items, "list": found, "datasets": _own_datasets(session, who),
        "dataset_options": _own_datasets(session, who) if not every_unit else [
            (c, n) for c, n in session.execute(select(Dataset.code, Dataset.name).order_by(Dataset.code))],
        "unit_options": [(c, n) for c, n in units],
        "status": STATUS, "can_upload": allowed(who, "ingest.batch.upload", unit_code=who.unit_code), "correctable": _correctable(session, who),
        **extra,
    }  # fmt: skip


@router.get("/ingest")
def ingest_page(
    request: Request,
    who: Principal = Depends(allow("ingest.read")),
    session: Session = Depends(get_session),
) -> Response:
    params = request.query_params
    chosen = {"parent": params.get("parent", "")[:32], "dataset": params.get("dataset", "")[:64]}
    ctx = _index(session, who, params, chosen=chosen)
    return render(request, "ingest/index.html", ctx, fragment="ingest/_batches.html")


@router.post("/ingest/upload", dependencies=[Depends(verify_csrf)])
def upload_page(
    request: Request,
    form: FormData = Depends(form_data),
    who: Principal = Depends(allow("ingest.batch.upload")),
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
        ctx = _index(
            session,
            who,
            None,
            error=err,
            chosen={"parent": form_text(form, "parent"), "dataset": form_text(form, "dataset")},
        )
        return render(request, "ingest/index.html", ctx, status_code=err.status)
    finally:
        if isinstance(upload, UploadFile):
            upload.file.close()  # the sealed spool is removed before the answer leaves, on every outcome
    flash(
        request, f"文件已上传并校验：合格 {batch.rows_good} 行，隔离 {batch.rows_quarantined} 行",
        f"Uploaded and checked: {batch.rows_good} rows good, {batch.rows_quarantined} quarantined",
        "warn" if batch.rows_quarantined else "ok",
    )  # fmt: skip
    return RedirectResponse(f"/ingest/batches/{batch.code}", status_code=303)


def _source_values(
    request: Request, session: Session, who: Principal, batch: Batch, items: list[dict]
) -> None:
    """The producer unit's own data officer sees the failing values as typed (they are the value's source,
    Art. 19, and cannot fix what they cannot see); everyone else sees them masked. Audited as a read."""
    if not allowed(who, "ingest.quarantine.download", unit_code=batch.unit_code) or not items:
        return
    frame = side_store.read(who, ctx_of(request, session), batch.code, "quarantine", action="ingest.quarantine.download",
                            unit_code=batch.unit_code, dataset=batch.dataset_code, why="batch page")  # fmt: skip
    rows = frame.filter(pl.col("_row").is_in([i["row"] for i in items]))
    values = {(r["_row"], c): v for r in rows.iter_rows(named=True) for c, v in r.items() if c != "_row"}
    for item in items:
        if (item["row"], item["element"]) in values:
            shown = values[(item["row"], item["element"])]
            item["value"] = "" if shown is None else str(shown)[:200]
    audit.record(
        session, operation="query", dataset=batch.dataset_code, row_count=len(items),
        detail={"what": "quarantined values on the batch page", "batch": batch.code},
        **service.actor(who, ctx_of(request, session)),
    )  # fmt: skip
    session.commit()


@router.get("/ingest/batches/{code}")
def batch_page(
    code: str,
    request: Request,
    who: Principal = Depends(allow("ingest.batch.read")),
    session: Session = Depends(get_session),
) -> Response:
    return _batch(request, session, who, code)


def _batch(
    request: Request,
    session: Session,
    who: Principal,
    code: str,
    *,
    error: dict | None = None,
    typed: dict | None = None,
    status: int = 200,
) -> Response:
    """The batch page; after a refused review, with the message beside its field and the typed text kept."""
    batch = visible_batch(session, who, code)
    spec = load_spec(session, batch.dataset_code)
    s = service.setup(session, batch.dataset_code)
    report = batch.report or {}
    pick = 1 if request_lang(request) == "en" else 0
    rules = [
        (
            f"{labels.element_label(spec, r['element'])} · {labels.rule_label(r['rule'], s.rules)[pick]}",
            r["count"],
        )
        for r in report.get("by_rule", [])
    ]
    collected = report.get("completeness", {})
    completeness = [(labels.element_label(spec, k), round(v * 100, 1)) for k, v in collected.items()]
    found = _quarantine_list(session, batch, request.query_params)
    items = found.items
    _source_values(request, session, who, batch, items)
    for i in items:
        i["element_name"] = labels.element_label(spec, i["element"])
        i["rule_zh"], i["rule_en"] = labels.rule_label(i["rule"], s.rules)
    if wants_fragment(request):  # a filter or a page link of the quarantine list: the list alone
        return render(request, "ingest/batch.html", {"b": batch, "issues": items, "list": found},
                      fragment="ingest/_issues.html")  # fmt: skip
    pickers = session.execute(
        quality.quarantine_query(batch).with_only_columns(Issue.element, Issue.rule).distinct()
    ).all()
    element_options = sorted({(labels.element_label(spec, e), e) for e, _ in pickers})
    rule_options = sorted({(labels.rule_label(r, s.rules), r) for _, r in pickers})
    dropped = quality.dropped_summary(session, batch)
    for d in dropped:
        d["element_name"] = labels.element_label(spec, d["element"])
        d["rule_zh"], d["rule_en"] = labels.rule_label(d["rule"], s.rules)
    can_review = (
        batch.status == "validated" and allowed(who, "ingest.batch.approve_unit", unit_code=batch.unit_code)
    ) or (batch.status == "unit_approved" and allowed(who, "ingest.batch.approve_office"))
    normalised = [(labels.element_label(spec, e), e, n) for e, n in report.get("normalised", {}).items()]
    return render(
        request,
        "ingest/batch.html",
        {
            "b": batch, "spec": spec, "status": STATUS, "issues": items, "list": found, "dropped": dropped,
            "element_options": element_options, "rule_options": rule_options,
            "normalised": normalised,
            "not_collected": [labels.element_label(spec, e) for e in report.get("not_collected", [])],
            "rules_svg": quality.bar_chart(rules, title=("各规则未通过数", "failures per rule")[pick]),
            "completeness_svg": quality.bar_chart(completeness, title=("各数据项完整率（%）", "completeness %")[pick]),
            "can_review": can_review and who.account_id != batch.uploaded_by_id,
            "can_download": allowed(who, "ingest.quarantine.download", unit_code=batch.unit_code) and batch.rows_quarantined,
            "error": error, "typed": typed or {},
        },
        status_code=status,
        fragment="ingest/_issues.html",
    )  # fmt: skip


def _quarantine_list(session: Session, batch: Batch, params: Mapping[str, str]) -> Listing:
    """A batch's quarantine reasons, filtered by the element and the rule (pickers of those the batch has) and by
    whether a correction has resolved them, sorted by row, element or rule, 100 a page."""
    chosen = {key: params.get(key, "")[:64] for key in ("element", "rule", "state")}
    stmt = quality.quarantine_query(batch)
    if chosen["element"]:
        stmt = stmt.where(Issue.element == chosen["element"])
    if chosen["rule"]:
        stmt = stmt.where(Issue.rule == chosen["rule"])
    if chosen["state"] == "open":
        stmt = stmt.where(Issue.resolved_by_batch_id.is_(None))
    elif chosen["state"] == "corrected":
        stmt = stmt.where(Issue.resolved_by_batch_id.is_not(None))
    else:
        chosen["state"] = ""
    return listing(
        session, stmt, params,
        sorts={"row": Issue.row_number, "element": Issue.element, "rule": Issue.rule},
        default_sort="row", tiebreak=Issue.id, filters=chosen, region="issues-region",
        default_size=quality.PAGE_SIZE, view=quality.quarantine_item,
    )  # fmt: skip


@router.post("/ingest/batches/{code}/review", dependencies=[Depends(verify_csrf)])
def review_page(
    code: str,
    request: Request,
    form: FormData = Depends(form_data),
    who: Principal = Depends(allow("ingest.batch.review")),
    session: Session = Depends(get_session),
) -> Response:
    visible_batch(session, who, code)
    try:
        review.review(
            who, ctx_of(request, session), code, approve=form_text(form, "decision") == "approve",
            comment=form_text(form, "comment"), reason=form_text(form, "reason"),
        )  # fmt: skip
        session.commit()
    except EduDataError as err:  # e.g. a rejection without a reason: the form again, as it was typed
        refused(request, session, err)
        typed = {"comment": form_text(form, "comment"), "reason": form_text(form, "reason")}
        error = {"field": err.field or "", "zh": err.zh, "en": err.en}
        return _batch(request, session, who, code, error=error, typed=typed, status=err.status)
    approved = form_text(form, "decision") == "approve"
    state_zh, state_en = STATUS.get(visible_batch(session, who, code).status, ("", ""))
    flash(
        request, f"{'已通过' if approved else '已驳回'}。批次状态：{state_zh}",
        f"{'Approved' if approved else 'Rejected'}. Batch status: {state_en}",
    )  # fmt: skip
    return RedirectResponse(f"/ingest/batches/{code}", status_code=303)


@router.get("/ingest/quality/{dataset}")
def quality_page(
    dataset: str,
    request: Request,
    who: Principal = Depends(allow("ingest.quality.read")),
    session: Session = Depends(get_session),
) -> Response:
    spec = load_spec(session, dataset)
    if not allowed(who, "ingest.quality.read", unit_code=spec.owner_unit_code):
        raise PermissionDenied(
            "只有网信办和数据生产单位可以查看质量报告",
            "only the office and the producer unit read the quality report",
        )
    report = quality.dataset_report(session, dataset)
    lang = request_lang(request)
    names = {e.code: (e.name, e.name) for e in spec.elements}  # the stored spec names elements in Chinese
    rule_set = service.setup(session, dataset).rules
    pick = 1 if lang == "en" else 0
    worst = report["by_rule"][:15]
    # The charts' data (drawn by ECharts in static/js/charts.js): batches, percentages, rules in words.
    charts = {
        "trend": {
            "kind": "line",
            "unit": "%",
            "max": 100,
            "y_name": ("per cent", "百分比")[1 - pick],
            "x": [t["batch"] for t in report["trend"]],
            "series": [
                {
                    "name": ("合格率", "valid")[pick],
                    "data": [round(t["validity_rate"] * 100, 1) for t in report["trend"]],
                },
                {
                    "name": ("完整率", "complete")[pick],
                    "data": [round(t["completeness_rate"] * 100, 1) for t in report["trend"]],
                },
            ],
        },
        "rules": {
            "kind": "bar",
            "x": [
                f"{names.get(x['element'], (x['element'],) * 2)[pick]} · {labels.rule_label(x['rule'], rule_set)[pick]}"
                for x in worst
            ],
            "series": [{"name": ("未通过行数", "rows failing")[pick], "data": [x["count"] for x in worst]}],
        },
    }
    return render(
        request,
        "ingest/quality.html",
        {
            "r": report, "spec": spec, "charts": charts,
            "trend_svg": quality.line_chart([t["validity_rate"] for t in report["trend"]], title=("各批次合格率", "validity rate over batches")[pick]),
            "rules_svg": quality.bar_chart(list(zip(charts["rules"]["x"], charts["rules"]["series"][0]["data"], strict=True)), title=("各规则未通过数", "failures per rule")[pick]),
        },
    )  # fmt: skip


@router.get("/ingest/mappings")
def mappings_page(
    request: Request,
    dataset: str | None = None,
    who: Principal = Depends(allow("ingest.mapping.edit")),
    session: Session = Depends(get_session),
) -> Response:
    """列名映射: the saved header → element mappings of the datasets the caller maintains."""
    return render(request, "ingest/mappings.html", _mappings_ctx(session, who, dataset))


def _mappings_ctx(session: Session, who: Principal, dataset: str | None, **extra: object) -> dict:
    own = [(c, n) for c, n in _own_datasets(session, who) if mappings.may_edit(who, load_spec(session, c))]
    if not own:
        raise PermissionDenied(
            "只有网信办或数据生产单位的数据管理员可以维护列名映射",
            "only the office or the producer's data officer maintains header mappings",
        )
    code = dataset if dataset in {c for c, _ in own} else own[0][0]
    spec = load_spec(session, code)
    return {
        "datasets": own, "dataset": code, "items": mappings.listed(session, code),
        "elements": [(e.code, e.name) for e in spec.elements], **extra,
    }  # fmt: skip


@router.post("/ingest/mappings", dependencies=[Depends(verify_csrf)])
def save_mapping_page(
    request: Request,
    form: FormData = Depends(form_data),
    who: Principal = Depends(allow("ingest.mapping.edit")),
    session: Session = Depends(get_session),
) -> Response:
    dataset = form_text(form, "dataset")
    try:
        if form_text(form, "delete"):
            mappings.delete(
                session,
                who,
                dataset,
                int(form_text(form, "delete")),
                service.actor(who, ctx_of(request, session)),
            )
        else:
            mappings.save(session, who, dataset, {form_text(form, "header"): form_text(form, "element")},
                          service.actor(who, ctx_of(request, session)))  # fmt: skip
        session.commit()
    except (EduDataError, ValueError) as err:
        session.rollback()
        if not isinstance(err, EduDataError):
            err = EduDataError("请求有误", "bad request")
        ctx = _mappings_ctx(session, who, dataset, error=err)
        return render(request, "ingest/mappings.html", ctx, status_code=err.status)
    return RedirectResponse(f"/ingest/mappings?dataset={dataset}", status_code=303)


@router.get("/ingest/settings")
def settings_page(
    request: Request,
    who: Principal = Depends(allow("ingest.settings.read")),
    session: Session = Depends(get_session),
) -> Response:
    """暂存保留期限: the retention in force and, for the office, the form that changes it (Art. 35)."""
    view = retention.view(session, request.app.state.settings)
    return render(request, "ingest/settings.html", {"view": view, "saved": request.query_params.get("saved")})


@router.post("/ingest/settings", dependencies=[Depends(verify_csrf)])
def save_settings_page(
    request: Request,
    form: FormData = Depends(form_data),
    who: Principal = Depends(allow("ingest.settings.edit")),
    session: Session = Depends(get_session),
) -> Response:
    settings = request.app.state.settings
    text = form_text(form, "staging_retention_days").strip()
    try:
        days: object = int(text) if text.isdigit() else text
        retention.set_retention(session, settings, who, days, request_id=ctx_of(request, session).request_id)
        session.commit()
    except EduDataError as err:
        session.rollback()
        ctx = {"view": retention.view(session, settings), "error": err}
        return render(request, "ingest/settings.html", ctx, status_code=err.status)
    return RedirectResponse("/ingest/settings?saved=1", status_code=303)
