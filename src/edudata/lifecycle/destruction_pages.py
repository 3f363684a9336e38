"""The destruction pages (/lifecycle/destruction, issue 18): the office files a request, a second office member
approves or rejects it, the destruction officer carries it out (Art. 30, 34-36) — the execution form is
``work_pages.execute_destruction`` — and anyone of the three duties reads the signed certificate in words.

Each form calls the same service as the API route of its action (``lifecycle.destruction``), with the same policy
action; a refused form comes back with what was typed and the message beside the field."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from edudata.api.context import request_context
from edudata.api.deps import get_session
from edudata.api.policy import allow
from edudata.catalog.models import Dataset
from edudata.db import commit
from edudata.errors import EduDataError
from edudata.identity.actions import refused
from edudata.identity.deps import form_data, verify_csrf
from edudata.identity.principal import Principal
from edudata.lifecycle import destruction, id_lists
from edudata.lifecycle.schemas import DestructionIn
from edudata.lifecycle.work_pages import _parse, _text, _typed
from edudata.web import labels
from edudata.web.flash import flash
from edudata.web.templating import render

router = APIRouter(include_in_schema=False)

#: What a destruction covers, as the office says it (the API's ``scope``).
SCOPES: dict[str, tuple[str, str]] = {
    "person": ("一名人员的全部数据", "all data of one person"),
    "people": ("名单中的人员", "the people of a list"),
    "dataset": ("整个数据集", "a whole dataset"),
    "before": ("数据集中某日以前的记录", "a dataset's records before a date"),
}
STATUS: dict[str, tuple[str, str]] = dict(destruction._STATUS)
labels.register("destruction_scope", SCOPES)
labels.register("destruction_status", STATUS)

#: The fields of the request and decision forms, by their Chinese name (what an error message calls them).
FIELDS: dict[str, tuple[str, str]] = {
    "scope": ("销毁范围", "Scope"),
    "dataset": ("数据集", "Dataset"),
    "dataset_code": ("数据集", "Dataset"),
    "cutoff": ("截止日期", "Cut-off date"),
    "id_number": ("身份证件号", "ID number"),
    "numbers": ("学号或工号", "Student or staff numbers"),
    "id_numbers": ("身份证件号名单（每行一个）", "ID numbers (one a line)"),
    "id_file": (
        "或上传名单（CSV 或 XLSX，表头为“身份证件号”的一列）",
        "or upload a list (CSV or XLSX, a column headed 身份证件号)",
    ),
    "reason": ("销毁理由", "Reason"),
    "note": ("审批意见", "Decision note"),
}
_FIELD_OF = {"dataset_code": "dataset"}  # the service's field name → the form's


def _datasets(session: Session) -> list[tuple[str, tuple[str, str]]]:
    """The catalogue's datasets for the picker, by name (value: the code the service takes)."""
    rows = session.execute(select(Dataset.code, Dataset.name, Dataset.name_en).order_by(Dataset.code)).all()
    return [(c, (n, en or n)) for c, n, en in rows]


def destruction_page(
    request: Request,
    session: Session,
    *,
    errors: dict | None = None,
    typed: dict | None = None,
    status: int = 200,
) -> Response:
    """The requests with the step each person may take on them, and the request form."""
    context = {
        "requests": [destruction.request_view(r) for r in destruction.list_requests(session)[:100]],
        "datasets": _datasets(session),
        "scopes": SCOPES,
        "status_labels": STATUS,
        "labels": FIELDS,
        "errors": errors or {},
        "typed": typed or {},
    }
    return render(request, "lifecycle/destruction.html", context, status_code=status)


def _refused(
    request: Request, session: Session, err: EduDataError, form_name: str, form: FormData
) -> Response:
    refused(request, session, err)
    field = _FIELD_OF.get(err.field or "", err.field or "")
    errors = {form_name: {"field": field, "zh": err.zh, "en": err.en}}
    return destruction_page(
        request, session, errors=errors, typed={form_name: _typed(form)}, status=err.status
    )


@router.get("/lifecycle/destruction")
def destruction_list(
    request: Request,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("lifecycle.destruction.read")),
) -> Response:
    return destruction_page(request, session)


def _people(form: FormData) -> list[str]:
    """The pasted ID numbers, then those of the uploaded list (each entry one line, for a refusal to name)."""
    listed = id_lists.from_text(str(form.get("id_numbers") or ""))
    upload = form.get("id_file")
    if upload is not None and not isinstance(upload, str) and upload.filename:
        upload.file.seek(0)
        listed += id_lists.from_file(upload.filename, upload.file.read(id_lists.MAX_BYTES + 1))
    return listed


def _cutoff(text: str) -> date | str | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return text  # the schema refuses it with the field's name


@router.post("/lifecycle/destruction", dependencies=[Depends(verify_csrf)])
def request_destruction(
    request: Request,
    form: FormData = Depends(form_data),
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("lifecycle.destruction.request")),
) -> Response:
    """File a destruction request (the office, Art. 34): the scope is resolved to rows now."""
    numbers = [n.strip() for n in _text(form, "numbers").replace("，", ",").split(",") if n.strip()]
    people = _text(form, "scope") == "people"
    try:
        body = _parse(DestructionIn, {
            "scope": _text(form, "scope") or None, "reason": _text(form, "reason") or None,
            "id_number": _text(form, "id_number") or None, "numbers": numbers,
            "dataset": _text(form, "dataset") or None, "cutoff": _cutoff(_text(form, "cutoff")),
        }, FIELDS)  # fmt: skip
        # The list is checked by the service (every entry a valid ID number, refused by line): not by the schema,
        # whose message would name no line.
        req = destruction.request_destruction(
            who, request_context(request, session), scope_kind=body.scope, reason=body.reason,
            id_number=body.id_number, numbers=tuple(body.numbers), dataset_code=body.dataset, cutoff=body.cutoff,
            id_numbers=_people(form) if people else (),
        )  # fmt: skip
        commit(session)
    except EduDataError as err:
        return _refused(request, session, err, "request", form)
    count = len(req.subject_refs or ())
    zh_people, en_people = (f"{count} 人，", f"{count} people, ") if people else ("", "")
    flash(request, f"已提出销毁申请 #{req.id}（{zh_people}{req.row_count} 条记录），等待另一名网信办人员审批",
          f"Destruction request #{req.id} filed ({en_people}{req.row_count} rows); another office member approves it")  # fmt: skip
    return RedirectResponse(f"/lifecycle/destruction#request-{req.id}", status_code=303)


@router.post("/lifecycle/destruction/{request_id}/decision", dependencies=[Depends(verify_csrf)])
def decide_destruction(
    request_id: int,
    request: Request,
    form: FormData = Depends(form_data),
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("lifecycle.destruction.approve")),
) -> Response:
    """Approve or reject a request (the office, never the requester: Art. 30); a rejection states its reason."""
    approve = _text(form, "decision") == "approve"
    try:
        destruction.decide(
            who,
            request_context(request, session),
            request_id,
            approve=approve,
            note=_text(form, "note")[:2000],
        )
        commit(session)
    except EduDataError as err:
        return _refused(request, session, err, f"decision-{request_id}", form)
    if approve:
        flash(request, f"已批准销毁申请 #{request_id}，由销毁专员执行",
              f"Destruction request #{request_id} approved; the destruction officer carries it out")  # fmt: skip
    else:
        flash(request, f"已驳回销毁申请 #{request_id}", f"Destruction request #{request_id} rejected")
    return RedirectResponse(f"/lifecycle/destruction#request-{request_id}", status_code=303)


@router.post("/lifecycle/destruction/{request_id}/execute", dependencies=[Depends(verify_csrf)])
def execute_destruction(
    request_id: int,
    request: Request,
    form: FormData = Depends(form_data),
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("lifecycle.destruction.execute")),
) -> Response:
    """Carry out an approved destruction (the destruction officer only, Art. 30, 34); the signed certificate is
    kept with the request."""
    ctx = request_context(request, session)
    try:
        cert = destruction.execute(who, ctx, request_id)
        commit(session)
    except EduDataError as err:
        return _refused(request, session, err, f"destruction-{request_id}", form)
    destruction.after_commit(ctx, destruction.reclaimed_tables(cert))
    flash(
        request,
        f"销毁申请 #{request_id} 已执行，已出具销毁证明",
        f"Destruction #{request_id} carried out; certificate issued",
    )
    return RedirectResponse(f"/lifecycle/destruction/{request_id}/certificate", status_code=303)


def _certificate_view(cert: Any) -> dict[str, Any]:
    body = json.loads(cert.body)
    what = body.get("what") or {}
    return {
        "number": body.get("certificate"),
        "school": body.get("school"),
        "scope": what.get("scope"),
        "dataset": what.get("dataset"),
        "cutoff": what.get("cutoff"),
        "tables": what.get("tables") or {},
        "subject_keys": what.get("subject_keys_destroyed") or 0,
        "people": len(what.get("people") or []),
        "side_stores": what.get("side_stores") or {},
        "copies": what.get("copies_handed_out") or [],
        "why": body.get("why"),
        "requested_by": body.get("requested_by"),
        "requested_at": body.get("requested_at"),
        "approved_by": body.get("approved_by"),
        "approved_at": body.get("approved_at"),
        "executed_by": body.get("executed_by"),
        "executed_at": body.get("executed_at"),
        "scope_sha256": body.get("scope_sha256"),
        "key_id": cert.key_id,
        "valid": destruction.certificate_valid(cert),
    }


@router.get("/lifecycle/destruction/{request_id}/certificate")
def certificate_page(
    request_id: int,
    request: Request,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("lifecycle.destruction.read")),
) -> Response:
    """The signed destruction certificate (Art. 36) in words; the signature is checked as the page is shown."""
    cert = destruction.certificate_for(session, request_id)
    return render(
        request,
        "lifecycle/certificate.html",
        {"c": _certificate_view(cert), "request_id": request_id, "scopes": SCOPES},
    )
