"""Privacy API (C6; Art. 42, 50, 51, 54): PI register and obligations, sensitive-PI assessments, decisions and
consents, the 用而不存 verification service and de-identified releases.

The office (网信办) and data-protection officers keep the registers; producer units' data officers record the
consents they collect. Every change is audited in its own transaction; refusals are audited by the hooks.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.answers import file_answer
from edudata.api.context import request_context as _ctx
from edudata.api.deps import get_session
from edudata.api.paging import Page, PageQuery, paginate, paginate_list, paging
from edudata.api.policy import allow
from edudata.audit.routes import actor
from edudata.audit.service import record
from edudata.identity.principal import Principal
from edudata.privacy import consent, register, release, sensitive, verify
from edudata.privacy.attachments import MAX_ATTACHMENT_BYTES, store_attachment
from edudata.privacy.models import DeidentifiedRelease
from edudata.privacy.responses import (
    AssessmentOut,
    AttachmentOut,
    CertificationOut,
    ConsentListOut,
    ConsentOut,
    ConsentsAddedOut,
    CountsOut,
    DecisionOut,
    FilingOut,
    MatchOut,
    ObligationOut,
    PIAuditOut,
    ReleaseOut,
    ReleaseReportOut,
    SensitiveElementOut,
    SystemOut,
)
from edudata.privacy.schemas import (
    AssessmentIn,
    CertificationIn,
    ConsentIn,
    ConsentsIn,
    DecisionIn,
    FilingIn,
    PersonIn,
    PIAuditIn,
    ReleaseIn,
    SystemIn,
    SystemPatch,
    VerifyIn,
)

router = APIRouter(prefix="/api/v1/privacy", tags=["privacy 个人信息保护"])
Keeper = Annotated[Principal, Depends(allow("privacy.register.keep"))]
Reader = Annotated[Principal, Depends(allow("privacy.register.read"))]
Collector = Annotated[Principal, Depends(allow("privacy.consent.record"))]
Paged = Annotated[PageQuery, Depends(paging(100, 1000))]


def _done(session: Session, principal: Principal, request: Request, operation: str, **fields: Any) -> None:
    record(session, operation=operation, **fields, **actor(principal, request))
    session.commit()


@router.post("/attachments", status_code=201, response_model=AttachmentOut)
def upload_attachment(
    principal: Collector,
    request: Request,
    file: UploadFile = File(...),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Keep a document (assessment report, minutes, filing receipt …); returns its id and SHA-256."""
    content = file.file.read(MAX_ATTACHMENT_BYTES + 1)
    row = store_attachment(session, file.filename or "", content, file.content_type, principal.username)
    _done(session, principal, request, "privacy_attachment", detail={"id": row.id, "sha256": row.sha256})
    return {"id": row.id, "name": row.name, "sha256": row.sha256, "size": row.size}


# -- register (Art. 50) --------------------------------------------------------------------------------------
class RegisterPage(Page[SystemOut]):
    thresholds: dict[str, int] = Field(description="Art. 50: 个人信息负责人 / 三级等保 的人数门槛（含）")


@router.get("/register", response_model=RegisterPage)
def get_register(principal: Reader, page: Paged, session: Session = Depends(get_session)) -> dict[str, Any]:
    """Systems with their latest people counts and what is on file for each."""
    return {
        "thresholds": {"officer": register.OFFICER_THRESHOLD, "level3": register.LEVEL3_THRESHOLD},
        **paginate_list(register.register(session), page),
    }


@router.post("/register/count", response_model=CountsOut)
def count_register(
    principal: Keeper, request: Request, session: Session = Depends(get_session)
) -> dict[str, Any]:
    """Count distinct people now, per system and dataset (through the data path; nothing decrypted)."""
    counts = register.refresh_register(principal, _ctx(request, session))
    session.commit()
    return {"counts": counts}


@router.get("/obligations", response_model=Page[ObligationOut])
def get_obligations(
    principal: Reader, page: Paged, session: Session = Depends(get_session)
) -> dict[str, Any]:
    """Art. 50/51 obligations not met (the inspection domain reads the same list)."""
    return paginate_list(register.outstanding_obligations(session), page, lambda o: o.as_dict())


@router.post("/systems", status_code=201, response_model=SystemOut)
def create_system(
    body: SystemIn, principal: Keeper, request: Request, session: Session = Depends(get_session)
) -> dict[str, Any]:
    system = register.create_system(session, **body.model_dump(), actor=principal.username)
    _done(
        session,
        principal,
        request,
        "privacy_system",
        detail={"code": system.code, "datasets": system.datasets},
    )
    return register.system_view(session, system)


@router.patch("/systems/{code}", response_model=SystemOut)
def patch_system(
    code: str, body: SystemPatch, principal: Keeper, request: Request, session: Session = Depends(get_session)
) -> dict[str, Any]:
    """Name the PI-protection officer or record the protection level."""
    system = register.update_system(session, code, **body.model_dump(exclude_unset=True))
    _done(
        session, principal, request, "privacy_system", detail={"code": code, **body.model_dump(mode="json")}
    )
    return register.system_view(session, system)


@router.post("/systems/{code}/filings", status_code=201, response_model=FilingOut)
def add_filing(
    code: str, body: FilingIn, principal: Keeper, request: Request, session: Session = Depends(get_session)
) -> dict[str, Any]:
    row = register.record_filing(session, code, **body.model_dump(), actor=principal.username)
    _done(session, principal, request, "privacy_filing", detail={"system": code, "id": row.id})
    return {"id": row.id, "reference_no": row.reference_no, "filed_on": row.filed_on.isoformat()}


@router.post("/systems/{code}/certifications", status_code=201, response_model=CertificationOut)
def add_certification(
    code: str,
    body: CertificationIn,
    principal: Keeper,
    request: Request,
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Put an education app's personal-information security certification on file (Art. 50)."""
    row = register.record_certification(session, code, **body.model_dump(), actor=principal.username)
    _done(session, principal, request, "privacy_certification", detail={"system": code, "id": row.id})
    return {"id": row.id, "certificate_no": row.certificate_no, "certified_on": row.certified_on.isoformat(),
            "valid_until": row.valid_until.isoformat() if row.valid_until else None}  # fmt: skip


@router.post("/systems/{code}/pi-audits", status_code=201, response_model=PIAuditOut)
def add_pi_audit(
    code: str, body: PIAuditIn, principal: Keeper, request: Request, session: Session = Depends(get_session)
) -> dict[str, Any]:
    row = register.record_pi_audit(session, code, **body.model_dump(), actor=principal.username)
    _done(session, principal, request, "privacy_pi_audit", detail={"system": code, "id": row.id})
    system = register.get_system(session, code)
    due = register.audit_due_on(session, system)
    return {
        "id": row.id,
        "audited_on": row.audited_on.isoformat(),
        "next_due_on": due.isoformat() if due else None,
    }


# -- sensitive PI (Art. 51) ----------------------------------------------------------------------------------
def _status(s: sensitive.SensitiveStatus) -> dict[str, Any]:
    return {
        "dataset": s.dataset_code,
        "element": s.element_code,
        "name": s.element_name,
        "sensitive_type": s.sensitive_type,
        "assessment_id": s.assessment_id,
        "decision_id": s.decision_id,
        "collection_allowed": s.collection_allowed,
        "reason_zh": s.reason_zh,
        "reason_en": s.reason_en,
    }


@router.get("/sensitive", response_model=Page[SensitiveElementOut])
def list_sensitive(
    page: Paged,
    principal: Principal = Depends(allow("privacy.sensitive.read")),
    session: Session = Depends(get_session),
    dataset: str | None = Query(None, max_length=64),
) -> dict[str, Any]:
    """Every sensitive element in the catalogue and whether collection into it is allowed yet."""
    return paginate_list(sensitive.sensitive_elements(session, dataset), page, _status)


@router.post("/assessments", status_code=201, response_model=AssessmentOut)
def add_assessment(
    body: AssessmentIn, principal: Keeper, request: Request, session: Session = Depends(get_session)
) -> dict[str, Any]:
    values = body.model_dump()
    row = sensitive.record_assessment(
        session,
        dataset_code=values.pop("dataset"),
        element_code=values.pop("element"),
        **values,
        actor=principal.username,
    )
    detail = {"id": row.id, "conclusion": row.conclusion}
    _done(session, principal, request, "privacy_assessment", dataset=row.dataset_code, detail=detail)
    return {
        "id": row.id,
        "dataset": row.dataset_code,
        "element": row.element_code,
        "conclusion": row.conclusion,
    }


@router.post("/assessments/{assessment_id}/decisions", status_code=201, response_model=DecisionOut)
def add_decision(
    assessment_id: int,
    body: DecisionIn,
    principal: Keeper,
    request: Request,
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    row = sensitive.record_decision(
        session, assessment_id=assessment_id, **body.model_dump(), actor=principal.username
    )
    _done(session, principal, request, "privacy_decision", detail={"id": row.id, "outcome": row.outcome})
    return {"id": row.id, "assessment_id": assessment_id, "outcome": row.outcome}


def _consent(c: Any) -> dict[str, Any]:
    return {
        "id": c.id,
        "id_hint": "…" + c.id_hint,
        "dataset": c.dataset_code,
        "element": c.element_code,
        "purpose": c.purpose,
        "channel": c.channel,
        "given_at": c.given_at.isoformat(),
        "withdrawn_at": c.withdrawn_at.isoformat() if c.withdrawn_at else None,
    }


@router.post("/consents", status_code=201, response_model=ConsentOut)
def add_consent(
    body: ConsentIn, principal: Collector, request: Request, session: Session = Depends(get_session)
) -> dict[str, Any]:
    values = body.model_dump()
    row = consent.record_consent(
        session,
        dataset_code=values.pop("dataset"),
        element_code=values.pop("element"),
        **values,
        actor=principal.username,
        settings=request.app.state.settings,
    )
    _done(session, principal, request, "privacy_consent", dataset=row.dataset_code, detail={"id": row.id})
    return _consent(row)


@router.post("/consents/bulk", status_code=201, response_model=ConsentsAddedOut)
def add_consents(
    body: ConsentsIn, principal: Collector, request: Request, session: Session = Depends(get_session)
) -> dict[str, Any]:
    """Record many people's separate consents at once (the forms a school gathers at enrolment, Art. 51)."""
    added = consent.record_consents(
        session, id_numbers=body.id_numbers, dataset_code=body.dataset, element_codes=body.elements,
        purpose=body.purpose, notice=body.notice, given_at=body.given_at, channel=body.channel,
        actor=principal.username, settings=request.app.state.settings,
    )  # fmt: skip
    detail = {"consents": added, "people": len(body.id_numbers), "elements": body.elements}
    _done(session, principal, request, "privacy_consent", dataset=body.dataset, detail=detail)
    return {
        "dataset": body.dataset,
        "elements": body.elements,
        "people": len(body.id_numbers),
        "consents": added,
    }


@router.post("/consents/{consent_id}/withdraw", response_model=ConsentOut)
def withdraw(
    consent_id: int, principal: Collector, request: Request, session: Session = Depends(get_session)
) -> dict[str, Any]:
    row = consent.withdraw_consent(session, consent_id, principal.username)
    _done(
        session,
        principal,
        request,
        "privacy_consent_withdraw",
        dataset=row.dataset_code,
        detail={"id": row.id},
    )
    return _consent(row)


@router.post("/consents/lookup", response_model=ConsentListOut)
def lookup_consents(
    body: PersonIn, principal: Collector, request: Request, session: Session = Depends(get_session)
) -> dict[str, Any]:
    """One person's consent records (the ID number travels in the body, never in a URL or a log)."""
    rows = consent.consents_of(session, body.id_number, request.app.state.settings)
    _done(session, principal, request, "privacy_consent_lookup", row_count=len(rows))
    return {"consents": [_consent(c) for c in rows]}


# -- 用而不存 ---------------------------------------------------------------------------------------------------
@router.post("/verify", response_model=MatchOut)
def verify_pair(
    body: VerifyIn,
    request: Request,
    principal: Principal = Depends(allow("data.read")),
    session: Session = Depends(get_session),
) -> dict[str, bool]:
    """Does the record with this key value hold this value too? ``{"match": true|false}`` and nothing else."""
    matched = verify.verify(
        principal,
        _ctx(request, session),
        body.dataset,
        (body.key.element, body.key.value),
        (body.check.element, body.check.value),
    )
    session.commit()
    return {"match": matched}


# -- de-identified releases (Art. 42, 54) --------------------------------------------------------------------
@router.post(
    "/releases",
    status_code=201,
    response_model=ReleaseOut,
    responses=file_answer("format=csv：去标识化数据 / the de-identified rows as CSV", "text/csv", status=201),
)
def create_release(
    body: ReleaseIn,
    request: Request,
    format: str = Query("json", pattern="^(json|csv)$"),
    principal: Principal = Depends(allow("data.read")),
    session: Session = Depends(get_session),
) -> Response | dict[str, Any]:
    """Generalise and suppress until k (and l) hold, then deliver through the data path with the report."""
    result = release.build_release(
        principal,
        _ctx(request, session),
        body.dataset,
        quasi_identifiers=body.quasi_identifiers,
        k=body.k,
        sensitive=body.sensitive,
        l_target=body.l,
        extra=body.extra,
        max_suppression=body.max_suppression,
        purpose=body.purpose,
    )
    session.commit()
    report = release.release_view(result.release)
    if format == "csv":
        headers = {
            "Content-Disposition": f'attachment; filename="release-{report["id"]}.csv"',
            "X-Release-Id": str(report["id"]),
            "X-Achieved-K": str(report["achieved_k"]),
        }
        return Response(result.csv, status_code=201, media_type="text/csv; charset=utf-8", headers=headers)
    return {"report": report, "rows": result.frame.to_dicts()}


@router.get("/releases", response_model=Page[ReleaseReportOut])
def list_releases(principal: Reader, page: Paged, session: Session = Depends(get_session)) -> dict[str, Any]:
    stmt = select(DeidentifiedRelease).order_by(DeidentifiedRelease.id.desc())
    return paginate(session, stmt, page, release.release_view)
