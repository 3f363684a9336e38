"""People duties API under ``/api/v1/lifecycle`` (Art. 49, 53): 附件3 revoked, outsourcing commitments, security
tests and risk assessments. Thin: the rules are in :mod:`edudata.lifecycle.duties`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from edudata.api.deps import get_session
from edudata.api.paging import Page, PageQuery, paginate_list, paging
from edudata.api.policy import allow
from edudata.db import commit
from edudata.identity.actions import audit
from edudata.identity.principal import Principal
from edudata.lifecycle import duties
from edudata.lifecycle.answers import (
    AgreementRevokedOut,
    CommitmentListedOut,
    CommitmentOut,
    SecurityAssessmentOut,
)
from edudata.lifecycle.schemas import AssessmentClose, AssessmentIn, OutsourcingCommitmentIn
from edudata.org.models import Unit

router = APIRouter()


@router.post("/agreements/{agreement_id}/revoke", response_model=AgreementRevokedOut)
def revoke_agreement(
    agreement_id: int,
    request: Request,
    principal: Principal = Depends(allow("lifecycle.manage")),
    session: Session = Depends(get_session),
) -> dict:
    """Withdraw an agreement from file; a support person's 附件3 revoked ends their sessions and logins."""
    row = duties.revoke_agreement(session, agreement_id)
    audit(session, request, principal, "agreement_revoke", agreement=row.id, kind=row.kind)
    commit(session)
    return {"id": row.id, "kind": row.kind, "revoked": True, "revoked_at": row.revoked_at.isoformat()}


@router.post("/outsourcing-commitments", status_code=201, response_model=CommitmentOut)
def record_commitment(
    body: OutsourcingCommitmentIn,
    request: Request,
    principal: Principal = Depends(allow("lifecycle.manage")),
    session: Session = Depends(get_session),
) -> dict:
    """Put an outsourcing firm's 《天津市教育数据安全保密承诺书》 on file for its unit (Art. 53)."""
    row = duties.record_outsourcing_commitment(session, unit_code=body.unit_code, signed_on=body.signed_on,
                                               document_ref=body.document_ref, by=principal.username)  # fmt: skip
    audit(session, request, principal, "outsourcing_commitment", unit=body.unit_code, commitment=row.id)
    commit(session)
    return {"id": row.id, "unit_code": body.unit_code, "signed_on": row.signed_on.isoformat()}


@router.get("/outsourcing-commitments", response_model=Page[CommitmentListedOut])
def list_commitments(
    page: PageQuery = Depends(paging(100, 1000)),
    _p: Principal = Depends(allow("lifecycle.oversee")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    return paginate_list(duties.commitments(session), page)


@router.post("/security-assessments", status_code=201, response_model=SecurityAssessmentOut)
def record_assessment(
    body: AssessmentIn,
    request: Request,
    principal: Principal = Depends(allow("lifecycle.manage")),
    session: Session = Depends(get_session),
) -> dict:
    """Register a security test or risk assessment with its findings and the date they are due (Art. 49)."""
    row = duties.record_assessment(session, unit_code=body.unit_code, values=body.model_dump(),
                                   by=principal.username)  # fmt: skip
    audit(session, request, principal, "security_assessment", unit=body.unit_code, assessment=row.id)
    commit(session)
    return duties.assessment_view(row, body.unit_code)


@router.get("/security-assessments", response_model=Page[SecurityAssessmentOut])
def list_assessments(
    page: PageQuery = Depends(paging(100, 1000)),
    _p: Principal = Depends(allow("lifecycle.oversee")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    return paginate_list(duties.assessments(session), page)


@router.post("/security-assessments/{assessment_id}/close", response_model=SecurityAssessmentOut)
def close_assessment(
    assessment_id: int,
    body: AssessmentClose,
    request: Request,
    principal: Principal = Depends(allow("lifecycle.manage")),
    session: Session = Depends(get_session),
) -> dict:
    row = duties.close_assessment(session, assessment_id, body.closed_on)
    audit(session, request, principal, "security_assessment_close", assessment=row.id)
    commit(session)
    return duties.assessment_view(row, session.get(Unit, row.unit_id).code)
