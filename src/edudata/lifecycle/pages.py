"""The lifecycle page (/lifecycle) for the office, auditors and leadership: what is owed, the destruction requests
waiting (their page is ``destruction_pages``), backups and drills, incidents and anomaly alerts (Art. 34-36, 55, 60). Its forms are ``work_pages``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.api.deps import get_session
from edudata.api.policy import allow
from edudata.clock import today_in_china
from edudata.identity.principal import Principal
from edudata.lifecycle import destruction
from edudata.lifecycle.incidents import compute_alerts, current_plan
from edudata.lifecycle.models import Agreement, BackupRecord, BackupSchedule, Drill, Incident, RestoreDrill
from edudata.lifecycle.service import outstanding_obligations
from edudata.lifecycle.work_pages import LABELS
from edudata.org.models import Account
from edudata.policy import allowed
from edudata.web.templating import render

router = APIRouter(include_in_schema=False)
#: Incident severities as the page names them (the API's values are low … critical).
SEVERITY_LABELS = {
    "low": ("一般", "low"),
    "medium": ("较大", "medium"),
    "high": ("重大", "high"),
    "critical": ("特别重大", "critical"),
}


@router.get("/lifecycle")
def lifecycle_page(
    request: Request,
    principal: Principal = Depends(allow("lifecycle.oversee")),
    session: Session = Depends(get_session),
) -> Response:
    return overview(request, session)


def overview(
    request: Request,
    session: Session,
    *,
    errors: dict | None = None,
    typed: dict | None = None,
    status: int = 200,
) -> Response:
    """The page, with a refused form's message and typed values when one came back (``lifecycle.work_pages``)."""
    principal = request.state.principal
    agreements = session.execute(
        select(Agreement, Account.username, Account.display_name)
        .join(Account, Account.id == Agreement.account_id)
        .order_by(Agreement.id.desc())
        .limit(50)
    ).all()
    schedules = session.execute(select(BackupSchedule).order_by(BackupSchedule.name)).scalars().all()
    typed = dict(typed or {})
    for sc in schedules:  # each edit form starts with the schedule as it is
        typed.setdefault(f"schedule-{sc.name}", {
            "every_hours": str(sc.every_hours), "keep_last": str(sc.keep_last), "keep_days": str(sc.keep_days),
            "local_dir": sc.local_dir, "offsite_dir": sc.offsite_dir or "", "enabled": "1" if sc.enabled else "",
        })  # fmt: skip
    typed.setdefault("schedule-new", {"every_hours": "24", "keep_last": "7", "keep_days": "30"})
    context = {
        "errors": errors or {},
        "typed": typed,
        "labels": LABELS,
        "severities": SEVERITY_LABELS,
        "schedules": schedules,
        "agreements": [{"username": u, "name": d or u, "kind": a.kind, "signed_on": a.signed_on,
                        "document_ref": a.document_ref, "revoked": a.revoked_at is not None}
                       for a, u, d in agreements],
        "today": today_in_china().isoformat(),
        "obligations": outstanding_obligations(session),
        "destruction_waiting": destruction.waiting(session),
        "backups": session.execute(select(BackupRecord).order_by(BackupRecord.created_at.desc()).limit(20)).scalars().all(),
        "drills": session.execute(select(RestoreDrill).order_by(RestoreDrill.finished_at.desc()).limit(10)).scalars().all(),
        "emergency_drills": session.execute(select(Drill).order_by(Drill.held_on.desc()).limit(10)).scalars().all(),
        "incidents": session.execute(select(Incident).order_by(Incident.id.desc()).limit(20)).scalars().all(),
        "alerts": [a for a in compute_alerts(session) if not a.handled][:50] if allowed(principal, "lifecycle.alert.handle") else [],
        "plan": current_plan(session),
    }  # fmt: skip
    return render(request, "lifecycle/overview.html", context, status_code=status)


from edudata.lifecycle import destruction_pages, duties_pages, work_pages  # noqa: E402 - the other pages, forms

router.include_router(destruction_pages.router)
router.include_router(duties_pages.router)
router.include_router(work_pages.router)
