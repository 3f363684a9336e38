"""The people page (/lifecycle/people, Art. 49, 53): security officers per unit, security tests and risk
assessments with their due dates, outsourcing commitments, and who is inside the off-duty year."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.api.deps import get_session
from edudata.api.policy import allow
from edudata.clock import today_in_china
from edudata.identity.principal import Principal
from edudata.lifecycle import duties, people
from edudata.lifecycle.models import Offboarding
from edudata.org.models import Account
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
