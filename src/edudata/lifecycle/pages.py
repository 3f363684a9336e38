"""The lifecycle page (/lifecycle) for the office, auditors and leadership: what is owed, destruction requests,
backups and drills, incidents and anomaly alerts (Art. 34-36, 55, 60). Changes go through the API."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.api.deps import get_session
from edudata.api.policy import allow
from edudata.identity.principal import Principal
from edudata.lifecycle import destruction
from edudata.lifecycle.incidents import compute_alerts, current_plan
from edudata.lifecycle.models import BackupRecord, Drill, Incident, RestoreDrill
from edudata.lifecycle.service import outstanding_obligations
from edudata.policy import allowed
from edudata.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/lifecycle")
def lifecycle_page(
    request: Request,
    principal: Principal = Depends(allow("lifecycle.read")),
    session: Session = Depends(get_session),
) -> Response:
    context = {
        "obligations": outstanding_obligations(session),
        "requests": [destruction.request_view(r) for r in destruction.list_requests(session)[:50]],
        "backups": session.execute(select(BackupRecord).order_by(BackupRecord.created_at.desc()).limit(20)).scalars().all(),
        "drills": session.execute(select(RestoreDrill).order_by(RestoreDrill.finished_at.desc()).limit(10)).scalars().all(),
        "emergency_drills": session.execute(select(Drill).order_by(Drill.held_on.desc()).limit(10)).scalars().all(),
        "incidents": session.execute(select(Incident).order_by(Incident.id.desc()).limit(20)).scalars().all(),
        "alerts": [a for a in compute_alerts(session) if not a.handled][:50] if allowed(principal, "lifecycle.alert.handle") else [],
        "plan": current_plan(session),
    }  # fmt: skip
    return render(request, "lifecycle/overview.html", context)


from edudata.lifecycle import duties_pages  # noqa: E402 - the people page, a router of its own

router.include_router(duties_pages.router)
