"""The people pages (Art. 49, 53): /lifecycle/people — security officers per unit, security tests and risk
assessments with their due dates, outsourcing commitments, and who is inside the off-duty year;
/lifecycle/offboarding/{username} — the offboarding form (离岗), the one way a role holder's account is disabled."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from edudata.api.deps import get_session
from edudata.api.policy import allow
from edudata.clock import today_in_china
from edudata.db import commit
from edudata.errors import EduDataError, ValidationFailed
from edudata.identity.actions import audit, refused
from edudata.identity.deps import form_data, form_text, verify_csrf
from edudata.identity.principal import Principal
from edudata.lifecycle import duties, people
from edudata.lifecycle.models import Offboarding
from edudata.org.models import Account
from edudata.org.service import get_account, roles_of
from edudata.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/lifecycle/people")
def people_page(
    request: Request,
    principal: Principal = Depends(allow("lifecycle.oversee")),
    session: Session = Depends(get_session),
) -> Response:
    today = today_in_china()
    off_duty = session.execute(
        select(Offboarding, Account.username)
        .join(Account, Account.id == Offboarding.account_id)
        .where(Offboarding.off_duty_until >= today)
        .order_by(Offboarding.off_duty_until)
    ).all()
    return render(
        request,
        "lifecycle/people.html",
        {
            "officers": people.officers(session),
            "assessments": duties.assessments(session),
            "commitments": duties.commitments(session),
            "off_duty": [people.offboarding_view(o, u) for o, u in off_duty],
            "kinds": duties.ASSESSMENT_KINDS,
        },
    )


_FORM_FIELDS = (
    "left_on", "signed_on", "document_ref", "returned", "outstanding", "exception_approved_by",
    "exception_reason", "exit_education_on",
)  # fmt: skip


def _day(form: FormData, name: str, zh: str, en: str, required: bool = True) -> date | None:
    text = form_text(form, name).strip()
    if not text and not required:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            f"{zh}：应为日期（YYYY-MM-DD）", f"{en}: a date (YYYY-MM-DD)", field=name
        ) from None


def _offboarding_page(
    request: Request, session: Session, account: Account, status: int = 200, **ctx: object
) -> Response:
    context = {
        "username": account.username,
        "held": sorted(roles_of(session, account.id)),
        "values": {},
        "errors": {},
        "done": None,
        **ctx,
    }
    return render(request, "lifecycle/offboarding.html", context, status_code=status)


@router.get("/lifecycle/offboarding/{username}")
def offboarding_form(
    username: str,
    request: Request,
    principal: Principal = Depends(allow("lifecycle.manage")),
    session: Session = Depends(get_session),
) -> Response:
    """The offboarding form (离岗, Art. 53); an account already offboarded shows its record."""
    account = get_account(session, username)
    row = session.scalar(select(Offboarding).where(Offboarding.account_id == account.id))
    done = people.offboarding_view(row, account.username) if row else None
    return _offboarding_page(request, session, account, done=done)


@router.post("/lifecycle/offboarding/{username}", dependencies=[Depends(verify_csrf)])
def offboarding_submit(
    username: str,
    request: Request,
    form: FormData = Depends(form_data),
    principal: Principal = Depends(allow("lifecycle.manage")),
    session: Session = Depends(get_session),
) -> Response:
    """The same offboarding as ``POST /api/v1/lifecycle/offboarding``; a refusal is shown beside its field."""
    account = get_account(session, username)
    values = {name: form_text(form, name)[:1000] for name in _FORM_FIELDS}
    try:
        assets = [(a.strip()[:100], True) for a in values["returned"].splitlines() if a.strip()]
        assets += [(a.strip()[:100], False) for a in values["outstanding"].splitlines() if a.strip()]
        signed_on = _day(form, "signed_on", "附件4签署日期", "Annex 4 signed on", required=False)
        ref = values["document_ref"].strip()[:200]
        approver = values["exception_approved_by"].strip()
        row = people.offboard(
            session, account=account, left_on=_day(form, "left_on", "离岗日期", "leaving date"),
            devices=[{"asset": a, "returned": r} for a, r in assets[:50]],
            commitment={"signed_on": signed_on, "document_ref": ref} if signed_on and ref else None,
            performed_by=principal.username,
            device_exception={"approved_by": approver, "reason": values["exception_reason"]} if approver else None,
            exit_education_on=_day(form, "exit_education_on", "离岗保密教育日期", "exit education", required=False),
        )  # fmt: skip
        audit(session, request, principal, "offboarding", target=account.username, revoked=row.revoked,
              off_duty_until=row.off_duty_until.isoformat())  # fmt: skip
        commit(session)
    except EduDataError as err:
        refused(request, session, err)
        errors = {err.field if err.field in _FORM_FIELDS + ("commitment", "device_exception") else "form":
                  (err.zh, err.en)}  # fmt: skip
        return _offboarding_page(request, session, account, err.status, values=values, errors=errors)
    return RedirectResponse(f"/lifecycle/offboarding/{account.username}", status_code=303)
