"""Inspection actions as the API, the pages and the CLI perform them: the change plus its audit record.

Who may do what (Art. 61: the office organises inspections; Art. 30: oversight is separated from processing):
the office administrator starts runs, assigns and closes findings; the responsible unit answers; leadership and
auditors read every report. Callers commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from edudata.audit.service import record
from edudata.config import Settings
from edudata.errors import ValidationFailed
from edudata.identity.principal import Principal
from edudata.inspect import findings as finding_service
from edudata.inspect.models import Finding, InspectionRun
from edudata.inspect.oversight import get_notice
from edudata.inspect.runs import MODES, run_inspection
from edudata.policy import require


def actor_fields(principal: Principal, request_id: str | None = None) -> dict[str, Any]:
    return {
        "account_id": principal.account_id,
        "username": principal.username,
        "unit_code": principal.unit_code,
        "source_ip": principal.source_ip,
        "request_id": request_id,
    }


def start_run(
    session: Session,
    principal: Principal | None,
    mode: str,
    *,
    checks: Sequence[str] | None = None,
    units: Sequence[str] | None = None,
    seed: int | None = None,
    title: str = "",
    settings: Settings | None = None,
    actor: dict[str, Any] | None = None,
    notice_id: int | None = None,
) -> InspectionRun:
    """Run an inspection as ``principal`` (an office administrator) or, from the CLI, as ``actor``. With
    ``notice_id`` the run carries out the leadership group's notice (Art. 61): its mode, checks and units."""
    if principal is not None:
        require(principal, "inspect.run")
        actor = actor_fields(principal)
    actor = actor or {}
    if notice_id is not None:
        notice = get_notice(session, notice_id)
        if mode != notice.mode:
            raise ValidationFailed(
                f"检查通知 #{notice.id} 要求{MODES[notice.mode][0]}", f"notice #{notice.id} asks for a {notice.mode} check",
                field="mode",
            )  # fmt: skip
        checks, units, title = checks or notice.checks, units or notice.units, title or notice.title
    run = run_inspection(
        session,
        mode,
        started_by=actor.get("username") or "system",
        checks=checks,
        units=units,
        seed=seed,
        settings=settings,
        title=title,
        notice_id=notice_id,
    )
    record(
        session,
        operation="inspect_run",
        dataset="inspect_run",
        row_count=run.new_count + run.open_count,
        detail={
            "run_id": run.id,
            "mode": mode,
            "checks": len(run.checks),
            "units": run.units,
            "new": run.new_count,
            "open": run.open_count,
            "resolved": run.resolved_count,
            "status": run.status,
            "notice_id": notice_id,
        },
        **actor,
    )
    return run


def assign(
    session: Session,
    principal: Principal,
    finding: Finding,
    unit_code: str | None,
    deadline: str | date | None,
) -> Finding:
    require(principal, "inspect.finding.assign")
    finding_service.assign(session, finding, unit_code=unit_code, deadline=deadline, by=principal.username)
    _audit(
        session,
        principal,
        "inspect_assign",
        finding,
        unit=finding.assigned_unit_code,
        deadline=str(finding.deadline),
    )
    return finding


def answer(session: Session, principal: Principal, finding: Finding, text: str) -> Finding:
    finding_service.answer(session, finding, text=text, principal=principal)
    _audit(session, principal, "inspect_answer", finding)
    return finding


def close(session: Session, principal: Principal, finding: Finding, evidence: str) -> Finding:
    require(principal, "inspect.finding.assign")
    finding_service.close(session, finding, evidence=evidence, by=principal.username)
    _audit(session, principal, "inspect_close", finding)
    return finding


def _audit(session: Session, principal: Principal, operation: str, finding: Finding, **detail: Any) -> None:
    record(
        session,
        operation=operation,
        dataset="inspect_finding",
        row_count=1,
        detail={"finding_id": finding.id, "check": finding.check_code, "status": finding.status, **detail},
        **actor_fields(principal),
    )
