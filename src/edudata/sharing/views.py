"""Plain dictionaries of applications for the API and the pages (no ORM object leaves the domain)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.catalog.service import get_dataset
from edudata.sharing import credentials, delivery, heads, review, secrecy_review
from edudata.sharing.commitment import signature_of
from edudata.sharing.models import ShareApplication
from edudata.sharing.service import DELIVERY, PURPOSES, STATUS_LABELS, deidentified, today_in_china
from edudata.sharing.workdays import calendar_note


def _stamp(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def catalogue_entry(session: Session, code: str) -> dict[str, Any]:
    """A dataset as an applicant sees it: metadata only, each element selectable or not, and why."""
    dataset = get_dataset(session, code)
    from edudata.sharing.service import dataset_owner_code

    return {
        "code": dataset.code,
        "name": dataset.name,
        "name_en": dataset.name_en,
        "description": dataset.description,
        "grade": dataset.grade,
        "share_category": dataset.share_category,
        "update_frequency": dataset.update_frequency,
        "owner_unit_code": dataset_owner_code(session, dataset),
        "requestable": dataset.share_category != "none",
        "elements": [
            {
                "code": e.code,
                "name": e.name,
                "name_en": e.name_en,
                "data_type": e.data_type,
                "grade": e.grade,
                "share_category": e.share_category,
                "sensitive": e.sensitive,
                "sensitive_type": e.sensitive_type,
                "selectable": e.share_category != "none" and dataset.share_category != "none",
                "why_not": (
                    {"zh": "不予共享数据项（第三十九条）", "en": "not shared (Art. 39)"}
                    if e.share_category == "none" or dataset.share_category == "none"
                    else None
                ),
            }
            for e in dataset.elements
        ],
    }


def review_view(r: Any) -> dict[str, Any]:
    today = today_in_china()
    return {
        "id": r.id,
        "application_id": r.application_id,
        "stage": r.stage,
        "stage_label": review.STAGE_LABELS[r.stage],
        "reviewer_unit_code": r.reviewer_unit_code,
        "opened_at": _stamp(r.opened_at),
        "due_on": r.due_on.isoformat(),
        # A deadline in a year chinesecalendar does not know is counted Monday-Friday: say so (workdays.py).
        "due_note": list(note) if (note := calendar_note(r.due_on)) else None,
        "overdue": r.overdue_flagged_at is not None or (r.decided_at is None and r.due_on < today),
        "decided_at": _stamp(r.decided_at),
        "decision": r.decision,
        "reviewer": r.reviewer_username,
        "comment": r.comment,
        "changes": r.changes,
    }


#: What a review's narrowing did (review.narrow's keys; ``elements`` in records written before it said
#: ``dropped_elements``), as the page names it.
CHANGE_LABELS: dict[str, tuple[str, str]] = {
    "dropped_elements": ("删减数据项", "elements dropped"),
    "elements": ("数据项调整为", "elements narrowed to"),
    "masking": ("附加脱敏", "masking added"),
    "row_filter": ("增加记录范围条件", "row condition added"),
    "period_end": ("使用期限缩短至", "period shortened to"),
}


def changes_view(
    changes: Mapping[str, Any] | None,
    elements: Mapping[str, str],
    values: Mapping[str, Mapping[str, str]],
) -> list[dict[str, Any]]:
    """A review's narrowing in words (Art. 39: the approver may only narrow): element names, masking methods to be
    labelled by the page, the row condition as a sentence — never the stored keys or JSON."""
    shown: list[dict[str, Any]] = []
    for key, change in (changes or {}).items():
        item: dict[str, Any] = {
            "label": CHANGE_LABELS.get(key, ("调整", "change")),
            "names": None,
            "masking": None,
        }
        if key == "masking" and isinstance(change, Mapping):
            item["masking"] = [(elements.get(code, code), profile) for code, profile in change.items()]
        elif key == "row_filter":
            item["text"] = delivery.row_scope_text(change, elements, values)
        elif isinstance(change, list | tuple):
            item["names"] = [elements.get(str(code), str(code)) for code in change]
        else:
            item["text"] = str(change)
        shown.append(item)
    return shown


#: The formats a grant holder downloads on the page (交付方式 一次性导出, or a reader without a program); the
#: route is ``edudata.web.delivery``.
DOWNLOADS: dict[str, tuple[str, str]] = {
    "csv": ("CSV 表格", "CSV"),
    "xlsx": ("Excel 表格（XLSX）", "Excel (XLSX)"),
    "package": ("签名数据包（含校验清单）", "Signed package (with manifest)"),
}
#: A draft whose commitment (附件2) is signed: the status says so, not “待签署”.
SIGNED_DRAFT = ("草稿（承诺书已签署，待提交）", "draft (commitment signed, to submit)")
#: Signed by the applicant, not yet for the unit by its head (Art. 41).
UNIT_TO_SIGN = (
    "草稿（申请人已签署承诺书，待单位负责人代表单位签署）",
    "draft (signed by the applicant; the unit head signs for the unit next)",
)


def _scope_names(session: Session, app: ShareApplication) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """The dataset's element names, and the units' names for its unit element, for the row scope in words."""
    from edudata.org.models import Unit

    dataset = get_dataset(session, app.dataset_code)
    elements = {e.code: e.name for e in dataset.elements}
    if not dataset.unit_element:
        return elements, {}
    units = {c: n for c, n in session.execute(select(Unit.code, Unit.name)).all()}
    return elements, {dataset.unit_element: units}


def application_view(session: Session, app: ShareApplication, *, full: bool = True) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": app.id,
        "status": app.status,
        "status_label": STATUS_LABELS.get(app.status, (app.status, app.status)),
        "applicant": app.applicant_username,
        "applicant_unit_code": app.applicant_unit_code,
        "contact_name": app.contact_name,
        "contact_phone": app.contact_phone,
        "purpose": app.purpose,
        "purpose_kind": app.purpose_kind,
        "purpose_kind_label": PURPOSES.get(app.purpose_kind, (app.purpose_kind, app.purpose_kind)),
        "deidentified": deidentified(app),
        "needs_agreement": app.needs_agreement,
        "business_basis": app.business_basis,
        "dataset_code": app.dataset_code,
        "owner_unit_code": app.owner_unit_code,
        "share_category": app.share_category,
        "elements": list(app.elements),
        "row_filter": app.row_filter,
        "row_scope": delivery.row_scope_text(app.row_filter),
        # In words on the page (full views only: a list does not look up every unit for every row).
        "row_scope_names": delivery.row_scope_text(app.row_filter, *_scope_names(session, app))
        if full
        else None,
        "masking": dict(app.masking or {}),
        "period_start": app.period_start.isoformat(),
        "period_end": app.period_end.isoformat(),
        "delivery": app.delivery,
        "delivery_label": DELIVERY.get(app.delivery, (app.delivery, app.delivery)),
        "security_measures": app.security_measures,
        "third_party": app.third_party,
        "third_party_name": app.third_party_name,
        "row_count": app.row_count,
        "people_count": app.people_count,
        "sensitive_elements": list(app.sensitive_elements or []),
        "refusal_reason": app.refusal_reason,
        "grant_id": app.grant_id,
        "grant_state": delivery.grant_state(session, app),
        "k_anonymity": app.k_anonymity,
        "k_quasi_identifiers": app.k_quasi_identifiers,
        "commission_document": (
            {
                "name": app.commission_doc_name,
                "sha256": app.commission_doc_sha256,
                "by": app.commission_doc_by,
                "at": _stamp(app.commission_doc_at),
            }
            if app.commission_doc_sha256
            else None
        ),  # fmt: skip
        "created_at": _stamp(app.created_at),
        "submitted_at": _stamp(app.submitted_at),
        "decided_at": _stamp(app.decided_at),
    }
    if full:
        sig = signature_of(session, app)
        view["signature"] = (
            {"username": sig.username, "signed_at": _stamp(sig.signed_at), "text_sha256": sig.text_sha256,
             "commitment_id": sig.commitment_id, "source_ip": sig.source_ip}
            if sig else None
        )  # fmt: skip
        unit_sig = heads.unit_signature_of(session, app)
        view["unit_signature"] = (
            {"username": unit_sig.username, "unit_code": unit_sig.unit_code, "signed_at": _stamp(unit_sig.signed_at),
             "text_sha256": unit_sig.text_sha256, "commitment_id": unit_sig.commitment_id}
            if unit_sig else None
        )  # fmt: skip
        found = delivery.agreement_of(session, app)
        view["agreement"] = (
            {"signed_on": found.signed_on.isoformat(), "name": found.document_name, "sha256": found.document_sha256,
             "filed_by": found.filed_by, "filed_at": _stamp(found.filed_at),
             "parties": [found.user_unit_code, found.producer_unit_code, found.office_unit_code]}
            if found else None
        )  # fmt: skip
        view["secrecy_review"] = secrecy_review.review_view(
            secrecy_review.latest(session, "application", app.id)
        )
        if sig and app.status == "draft":  # signed: the one step left is to submit (附件2 done, Art. 39, 41)
            view["status_label"] = SIGNED_DRAFT if unit_sig else UNIT_TO_SIGN
        names = _scope_names(session, app)
        view["reviews"] = [
            {**review_view(r), "changes_view": changes_view(r.changes, *names)}
            for r in review.reviews_of(session, app)
        ]
        view["credentials"] = [
            {"id": c.id, "label": c.label, "hint": c.hint + "…", "created_by": c.created_by,
             "created_at": _stamp(c.created_at), "revoked_at": _stamp(c.revoked_at), "replaced_by": c.replaced_by_id,
             "revoke_reason": c.revoke_reason,
             "revoke_reason_label": credentials.HOLDER_REASONS.get(c.revoke_reason or "")}
            for c in credentials.credentials_of(session, app)
        ]  # fmt: skip
        if app.grant_id:
            grant = delivery.grant_of(session, app)
            view["grant"] = {
                "id": grant.id, "elements": list(grant.elements), "row_filter": grant.row_filter,
                "masking": dict(grant.masking or {}), "deidentified": grant.deidentified,
                "purpose": grant.purpose, "purpose_kind": grant.purpose_kind,
                "expires_at": _stamp(grant.expires_at), "revoked_at": _stamp(grant.revoked_at),
                "revoke_reason": grant.revoke_reason,
            }  # fmt: skip
    return view


def head_view(head: Any) -> dict[str, Any]:
    return {"unit_code": head.unit_code, "username": head.username, "designated_by": head.designated_by,
            "designated_at": _stamp(head.designated_at)}  # fmt: skip
