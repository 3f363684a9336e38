"""People API under ``/api/v1/lifecycle`` (Art. 12, 49, 53): agreements, officers, training, offboarding (office)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.api.deps import get_session
from edudata.api.paging import Page, PageQuery, paginate_list, paging
from edudata.api.policy import allow
from edudata.db import commit
from edudata.identity.actions import audit
from edudata.identity.principal import Principal
from edudata.lifecycle import people
from edudata.lifecycle.answers import (
    AgreementOut,
    AgreementRecordedOut,
    OffboardingOut,
    OfficerOnDutyOut,
    OfficerOut,
    TrainingOut,
    TrainingRecordedOut,
)
from edudata.lifecycle.models import Agreement, TrainingRecord
from edudata.lifecycle.schemas import AgreementIn, OffboardIn, OfficerIn, TrainingIn
from edudata.org.models import Account
from edudata.org.service import get_account

router = APIRouter()
Office = Annotated[Principal, Depends(allow("lifecycle.manage"))]
Overseer = Annotated[Principal, Depends(allow("lifecycle.oversee"))]
Paged = Annotated[PageQuery, Depends(paging(100, 1000))]


@router.post("/agreements", status_code=201, response_model=AgreementRecordedOut)
def record_agreement(body: AgreementIn, principal: Office, request: Request,
                     session: Session = Depends(get_session)) -> dict:  # fmt: skip
    """Put a signed agreement on file: 附件3 lets support staff log in; 附件4 is the leaving commitment."""
    account = get_account(session, body.username)
    row = people.record_agreement(session, account=account, kind=body.kind, signed_on=body.signed_on,
                                  document_ref=body.document_ref, document_sha256=body.document_sha256,
                                  recorded_by=principal.username)  # fmt: skip
    audit(
        session,
        request,
        principal,
        "agreement_record",
        target=account.username,
        kind=body.kind,
        agreement=row.id,
    )
    commit(session)
    return {
        "id": row.id,
        "username": account.username,
        "kind": row.kind,
        "signed_on": row.signed_on.isoformat(),
    }


@router.get("/agreements", response_model=Page[AgreementOut])
def list_agreements(_p: Overseer, page: Paged, session: Session = Depends(get_session)) -> dict[str, Any]:
    rows = session.execute(
        select(Agreement, Account.username)
        .join(Account, Account.id == Agreement.account_id)
        .order_by(Agreement.id)
    ).all()
    return paginate_list(rows, page, lambda r: {"id": r[0].id, "username": r[1], "kind": r[0].kind,
                         "signed_on": r[0].signed_on.isoformat(), "document_ref": r[0].document_ref,
                         "revoked": r[0].revoked_at is not None})  # fmt: skip


@router.post("/officers", status_code=201, response_model=OfficerOut)
def appoint_officer(body: OfficerIn, principal: Office, request: Request,
                    session: Session = Depends(get_session)) -> dict:  # fmt: skip
    account = get_account(session, body.username)
    people.appoint_officer(session, unit_code=body.unit_code, account=account, appointed_on=body.appointed_on,
                           by=principal.username)  # fmt: skip
    audit(session, request, principal, "officer_appoint", target=account.username, unit=body.unit_code)
    commit(session)
    return {
        "unit_code": body.unit_code,
        "username": account.username,
        "appointed_on": body.appointed_on.isoformat(),
    }


@router.get("/officers", response_model=Page[OfficerOnDutyOut])
def list_officers(_p: Overseer, page: Paged, session: Session = Depends(get_session)) -> dict[str, Any]:
    return paginate_list(people.officers(session), page)


@router.post("/training", status_code=201, response_model=TrainingRecordedOut)
def record_training(body: TrainingIn, principal: Office, request: Request,
                    session: Session = Depends(get_session)) -> dict:  # fmt: skip
    account = get_account(session, body.username)
    row = people.record_training(session, account=account, course=body.course, held_on=body.held_on,
                                 hours=body.hours, passed=body.passed, by=principal.username)  # fmt: skip
    audit(session, request, principal, "training_record", target=account.username, training=row.id)
    commit(session)
    return {"id": row.id, "username": account.username, "course": row.course, "hours": row.hours}


@router.get("/training", response_model=Page[TrainingOut])
def list_training(
    _p: Overseer, page: Paged, session: Session = Depends(get_session), username: str | None = None
) -> dict[str, Any]:
    stmt = select(TrainingRecord, Account.username).join(Account, Account.id == TrainingRecord.account_id)
    if username:
        stmt = stmt.where(Account.username == username)
    rows = session.execute(stmt.order_by(TrainingRecord.held_on.desc(), TrainingRecord.id.desc())).all()
    return paginate_list(rows, page, lambda r: {"id": r[0].id, "username": r[1], "course": r[0].course,
                         "held_on": r[0].held_on.isoformat(), "hours": r[0].hours, "passed": r[0].passed})  # fmt: skip


@router.post("/offboarding", status_code=201, response_model=OffboardingOut)
def offboard(
    body: OffboardIn, principal: Office, request: Request, session: Session = Depends(get_session)
) -> dict:
    """离岗: one action revokes every role, grant, token and session, and disables the account (附件4 required)."""
    account = get_account(session, body.username)
    row = people.offboard(session, account=account, left_on=body.left_on,
                          devices=[d.model_dump() for d in body.devices],
                          commitment=body.commitment.model_dump() if body.commitment else None,
                          performed_by=principal.username,
                          device_exception=body.device_exception.model_dump() if body.device_exception else None,
                          exit_education_on=body.exit_education_on)  # fmt: skip
    audit(session, request, principal, "offboarding", target=account.username, revoked=row.revoked,
          off_duty_until=row.off_duty_until.isoformat())  # fmt: skip
    commit(session)
    return people.offboarding_view(row, account.username)


@router.get("/offboarding/{username}", response_model=OffboardingOut)
def get_offboarding(username: str, _p: Overseer, session: Session = Depends(get_session)) -> dict:
    account = get_account(session, username)
    return people.offboarding_view(people.get_offboarding(session, account), account.username)
