"""Lifecycle API (``/api/v1/lifecycle``): destruction, backups and drills, incidents and alerts, people.

Destruction follows separation of duties (Art. 30): the office requests and (another office member) approves;
only the destruction officer executes — the data path refuses anyone else, and records the refusal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.api.context import request_context as _ctx
from edudata.api.deps import get_session
from edudata.api.paging import Page, PageQuery, paginate, paginate_list, paging
from edudata.api.policy import allow
from edudata.db import commit
from edudata.errors import NotFound
from edudata.identity.actions import audit
from edudata.identity.principal import Principal
from edudata.lifecycle import destruction, duties_routes, incidents, operations, people_routes
from edudata.lifecycle.answers import (
    AlertHandledOut,
    AlertOut,
    BackupCheckOut,
    BackupOut,
    CertificateOut,
    DestructionRequestOut,
    DrillOut,
    DrillRecordedOut,
    ExecutedOut,
    IncidentOut,
    LifecycleObligationOut,
    PlanOut,
    PlanRefOut,
    RestoreDrillOut,
    ScheduleOut,
)
from edudata.lifecycle.models import BackupRecord, BackupSchedule, Drill, Incident, RestoreDrill
from edudata.lifecycle.schemas import (
    DecisionIn,
    DestructionIn,
    DrillIn,
    HandleIn,
    IncidentChange,
    IncidentIn,
    PlanIn,
    ScheduleChange,
    ScheduleIn,
)
from edudata.lifecycle.service import outstanding_obligations

router = APIRouter(prefix="/api/v1/lifecycle", tags=["lifecycle 生命周期"])
Office = Annotated[Principal, Depends(allow("lifecycle.manage"))]
Overseer = Annotated[Principal, Depends(allow("lifecycle.oversee"))]
Paged = Annotated[PageQuery, Depends(paging(100, 1000))]
DestructionViewer = Annotated[Principal, Depends(allow("lifecycle.destruction.read"))]
Destroyer = Annotated[Principal, Depends(allow("lifecycle.destruction.execute"))]
Anyone = Annotated[Principal, Depends(allow("lifecycle.plan.read"))]
# The same actions as the pages of the same duty (lifecycle.work_pages), so the API and the page cannot drift.
Requester = Annotated[Principal, Depends(allow("lifecycle.destruction.request"))]
Approver = Annotated[Principal, Depends(allow("lifecycle.destruction.approve"))]
AlertHandler = Annotated[Principal, Depends(allow("lifecycle.alert.handle"))]


def _actor(principal: Principal, request: Request) -> dict[str, Any]:
    return {"account_id": principal.account_id, "username": principal.username, "unit_code": principal.unit_code,
            "source_ip": principal.source_ip, "request_id": getattr(request.state, "request_id", None)}  # fmt: skip


# ------------------------------------------------------------------ destruction (Art. 34-36)


@router.post("/destruction-requests", status_code=201, response_model=DestructionRequestOut)
def request_destruction(body: DestructionIn, principal: Requester, request: Request,
                        session: Session = Depends(get_session)) -> dict:  # fmt: skip
    """File a request: the scope is resolved to row ids now; the person is kept only as a pseudonym."""
    req = destruction.request_destruction(
        principal, _ctx(request, session), scope_kind=body.scope, reason=body.reason, id_number=body.id_number,
        numbers=tuple(body.numbers), dataset_code=body.dataset, cutoff=body.cutoff, id_numbers=body.id_numbers,
    )  # fmt: skip
    commit(session)
    return destruction.request_view(req)


@router.get("/destruction-requests", response_model=Page[DestructionRequestOut])
def list_destruction_requests(
    _p: DestructionViewer, page: Paged, session: Session = Depends(get_session)
) -> dict[str, Any]:
    return paginate_list(destruction.list_requests(session), page, destruction.request_view)


@router.post("/destruction-requests/{request_id}/decision", response_model=DestructionRequestOut)
def decide_destruction(request_id: int, body: DecisionIn, principal: Approver, request: Request,
                       session: Session = Depends(get_session)) -> dict:  # fmt: skip
    """Approve or reject (the office; never the requester)."""
    req = destruction.decide(
        principal, _ctx(request, session), request_id, approve=body.approve, note=body.note
    )
    commit(session)
    return destruction.request_view(req)


@router.post("/destruction-requests/{request_id}/execute", response_model=ExecutedOut)
def execute_destruction(request_id: int, principal: Destroyer, request: Request,
                        session: Session = Depends(get_session)) -> dict:  # fmt: skip
    """Destroy (destruction officer only): rows, history, the person's key; returns the signed certificate."""
    ctx = _ctx(request, session)
    cert = destruction.execute(principal, ctx, request_id)
    commit(session)
    reclaimed = destruction.after_commit(ctx, destruction.reclaimed_tables(cert))
    # False: a transaction older than the destruction still ran, so the rewrite may have kept row versions.
    return {**_certificate(cert), "reclaimed": reclaimed}


def _certificate(cert) -> dict:  # noqa: ANN001 - DestructionCertificate
    return {"id": cert.id, "request_id": cert.request_id, "certificate": json.loads(cert.body), "body": cert.body,
            "signature": cert.signature, "key_id": cert.key_id, "public_key": cert.public_key,
            "valid": destruction.certificate_valid(cert)}  # fmt: skip


@router.get("/destruction-requests/{request_id}/certificate", response_model=CertificateOut)
def get_certificate(request_id: int, _p: DestructionViewer, session: Session = Depends(get_session)) -> dict:
    return _certificate(destruction.certificate_for(session, request_id))


# ------------------------------------------------------------------ backups and drills (Art. 55, 60)


def _backup_view(b: BackupRecord) -> dict:
    return {"name": b.name, "backend": b.backend, "kind": b.kind, "size": b.size, "sha256": b.sha256,
            "local_path": b.local_path, "offsite_path": b.offsite_path, "created_by": b.created_by,
            "created_at": b.created_at.isoformat(), "verified_at": b.verified_at.isoformat() if b.verified_at else None,
            "verified_ok": b.verified_ok, "pruned": b.pruned_at is not None}  # fmt: skip


@router.get("/backups", response_model=Page[BackupOut])
def list_backups(_p: Overseer, page: Paged, session: Session = Depends(get_session)) -> dict[str, Any]:
    stmt = select(BackupRecord).order_by(BackupRecord.created_at.desc(), BackupRecord.id.desc())
    return paginate(session, stmt, page, _backup_view)


def _backup(session: Session, name: str) -> BackupRecord:
    row = session.execute(select(BackupRecord).where(BackupRecord.name == name)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"没有名为 {name[:100]} 的备份", f"no backup named {name[:100]}")
    return row


def _schedule_view(row: BackupSchedule) -> dict:
    return {
        "name": row.name,
        "every_hours": row.every_hours,
        "keep_last": row.keep_last,
        "keep_days": row.keep_days,
    }


@router.post("/backup-schedules", status_code=201, response_model=ScheduleOut)
def add_schedule(
    body: ScheduleIn, principal: Office, request: Request, session: Session = Depends(get_session)
) -> dict:
    row = operations.configure_schedule(
        session, request.app.state.settings, body.model_dump(), created_by=principal.username, new=True
    )
    audit(session, request, principal, "backup_schedule", name=row.name, every_hours=row.every_hours)
    commit(session)
    return _schedule_view(row)


@router.put("/backup-schedules/{name}", response_model=ScheduleOut)
def change_schedule(
    name: str,
    body: ScheduleChange,
    principal: Office,
    request: Request,
    session: Session = Depends(get_session),
) -> dict:
    """Change a schedule's interval, retention or folders (the page's edit form takes the same service)."""
    row = operations.configure_schedule(session, request.app.state.settings, {"name": name, **body.model_dump()},
                                        created_by=principal.username, new=False)  # fmt: skip
    audit(session, request, principal, "backup_schedule_change", name=row.name, every_hours=row.every_hours)
    commit(session)
    return _schedule_view(row)


@router.post("/backup-schedules/{name}/run", status_code=201, response_model=BackupOut)
def run_schedule_now(
    name: str, principal: Office, request: Request, session: Session = Depends(get_session)
) -> dict:
    """Take a backup now to the schedule's local and off-site folders."""
    row = session.execute(select(BackupSchedule).where(BackupSchedule.name == name)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"没有名为 {name[:64]} 的备份计划", f"no backup schedule {name[:64]}")
    local, offsite = Path(row.local_dir), Path(row.offsite_dir) if row.offsite_dir else None
    session.rollback()  # the backup reads the database from outside this request's transaction
    made = operations.run_backup(request.app.state.settings, request.app.state.db, local, offsite,
                                 actor=_actor(principal, request), kind="manual")  # fmt: skip
    return _backup_view(_backup(session, made.name))


@router.post("/backups/{name}/verify", response_model=BackupCheckOut)
def verify_backup(
    name: str, principal: Office, request: Request, session: Session = Depends(get_session)
) -> dict:
    row = _backup(session, name)
    session.rollback()
    checked = [operations.verify_and_record(request.app.state.settings, request.app.state.db, Path(p),
                                            actor=_actor(principal, request))
               for p in (row.local_path, row.offsite_path) if p]  # fmt: skip
    return {"name": name, "ok": all(c.ok for c in checked), "copies": [
        {"ok": c.ok, "checked": c.checked, "problems": c.problems} for c in checked]}  # fmt: skip


@router.post("/backups/{name}/drill", status_code=201, response_model=RestoreDrillOut)
def restore_drill(
    name: str, principal: Office, request: Request, session: Session = Depends(get_session)
) -> dict:
    """Restore the backup into a scratch database, compare it with its manifest, verify its audit chain."""
    row = _backup(session, name)
    session.rollback()
    drill = operations.drill(request.app.state.settings, request.app.state.db, Path(row.local_path),
                             actor=_actor(principal, request))  # fmt: skip
    return _drill_view(drill)


def _drill_view(d: RestoreDrill) -> dict:
    return {"id": d.id, "backup": d.backup_name, "ok": d.ok, "performed_by": d.performed_by,
            "finished_at": d.finished_at.isoformat(), "detail": d.detail}  # fmt: skip


@router.get("/restore-drills", response_model=Page[RestoreDrillOut])
def list_restore_drills(_p: Overseer, page: Paged, session: Session = Depends(get_session)) -> dict[str, Any]:
    stmt = select(RestoreDrill).order_by(RestoreDrill.finished_at.desc(), RestoreDrill.id.desc())
    return paginate(session, stmt, page, _drill_view)


# ------------------------------------------------------------------ plan, incidents, drills, alerts (Art. 55)


@router.post("/emergency-plans", status_code=201, response_model=PlanRefOut)
def add_plan(
    body: PlanIn, principal: Office, request: Request, session: Session = Depends(get_session)
) -> dict:
    plan = incidents.add_plan(session, **body.model_dump(), created_by=principal.username)
    audit(session, request, principal, "emergency_plan", plan=plan.id, version=plan.version)
    commit(session)
    return {"id": plan.id, "title": plan.title, "version": plan.version}


@router.get("/emergency-plans/current", response_model=PlanOut)
def get_plan(_p: Anyone, session: Session = Depends(get_session)) -> dict:
    plan = incidents.current_plan(session)
    if plan is None:
        raise NotFound("尚未制定应急预案", "no emergency plan on file")
    return {"id": plan.id, "title": plan.title, "version": plan.version, "body": plan.body,
            "approved_by": plan.approved_by, "approved_on": plan.approved_on.isoformat() if plan.approved_on else None}  # fmt: skip


def _incident_view(i: Incident) -> dict:
    def iso(v):  # noqa: ANN001, ANN202
        return v.isoformat() if v else None

    return {"id": i.id, "title": i.title, "severity": i.severity, "status": i.status,
            "detected_at": iso(i.detected_at), "contained_at": iso(i.contained_at), "reported_to": i.reported_to,
            "reported_at": iso(i.reported_at), "root_cause": i.root_cause, "actions": i.actions}  # fmt: skip


@router.post("/incidents", status_code=201, response_model=IncidentOut)
def open_incident(
    body: IncidentIn, principal: Office, request: Request, session: Session = Depends(get_session)
) -> dict:
    row = incidents.open_incident(session, **body.model_dump(), created_by=principal.username)
    audit(session, request, principal, "incident_open", incident=row.id, severity=row.severity)
    commit(session)
    return _incident_view(row)


@router.patch("/incidents/{incident_id}", response_model=IncidentOut)
def update_incident(incident_id: int, body: IncidentChange, principal: Office, request: Request,
                    session: Session = Depends(get_session)) -> dict:  # fmt: skip
    row = incidents.update_incident(session, incident_id, **body.model_dump())
    audit(session, request, principal, "incident_update", incident=row.id, status=row.status)
    commit(session)
    return _incident_view(row)


@router.get("/incidents", response_model=Page[IncidentOut])
def list_incidents(_p: Overseer, page: Paged, session: Session = Depends(get_session)) -> dict[str, Any]:
    return paginate(session, select(Incident).order_by(Incident.id.desc()), page, _incident_view)


@router.post("/drills", status_code=201, response_model=DrillRecordedOut)
def add_drill(
    body: DrillIn, principal: Office, request: Request, session: Session = Depends(get_session)
) -> dict:
    row = incidents.add_drill(session, **body.model_dump(), created_by=principal.username)
    audit(session, request, principal, "emergency_drill", drill=row.id)
    commit(session)
    return {"id": row.id, "scenario": row.scenario, "held_on": row.held_on.isoformat()}


@router.get("/drills", response_model=Page[DrillOut])
def list_drills(_p: Overseer, page: Paged, session: Session = Depends(get_session)) -> dict[str, Any]:
    stmt = select(Drill).order_by(Drill.held_on.desc(), Drill.id.desc())
    return paginate(session, stmt, page, lambda d: {"id": d.id, "scenario": d.scenario, "held_on": d.held_on.isoformat(),
                                                    "participants": d.participants, "findings": d.findings})  # fmt: skip


@router.get("/alerts", response_model=Page[AlertOut])
def list_alerts(principal: AlertHandler, request: Request, page: Paged, session: Session = Depends(get_session),
                days: int = 30, unhandled: bool = False) -> dict[str, Any]:  # fmt: skip
    """Anomaly alerts computed from the audit log (bulk export, off-hours reads, many refusals)."""
    alerts = incidents.compute_alerts(session, days=max(1, min(days, 366)))
    if unhandled:
        alerts = [a for a in alerts if not a.handled]
    audit(session, request, principal, "alerts_view", count=len(alerts))
    commit(session)
    return paginate_list(alerts, page, lambda a: a.view())


@router.post("/alerts/handle", status_code=201, response_model=AlertHandledOut)
def handle_alert(
    body: HandleIn, principal: AlertHandler, request: Request, session: Session = Depends(get_session)
) -> dict:
    row = incidents.handle_alert(session, key=body.key, note=body.note, handled_by=principal.username)
    audit(session, request, principal, "alert_handle", key=row.alert_key)
    commit(session)
    return {"key": row.alert_key, "handled_by": row.handled_by, "note": row.note}


@router.get("/obligations", response_model=Page[LifecycleObligationOut])
def obligations(_p: Overseer, page: Paged, session: Session = Depends(get_session)) -> dict[str, Any]:
    """Unmet lifecycle and people obligations (what an inspection will find)."""
    return paginate_list(outstanding_obligations(session), page)


router.include_router(people_routes.router)
router.include_router(duties_routes.router)
