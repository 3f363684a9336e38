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
from edudata.errors import PermissionDenied
from edudata.identity.principal import Principal
from edudata.inspect import findings as finding_service
from edudata.inspect.findings import OVERSIGHT, UNIT_ROLES
from edudata.inspect.models import Finding, InspectionRun
from edudata.inspect.runs import run_inspection


def actor_fields(principal: Principal, request_id: str | None = None) -> dict[str, Any]:
    return {
        "account_id": principal.account_id,
        "username": principal.username,
        "unit_code": principal.unit_code,
        "source_ip": principal.source_ip,
        "request_id": request_id,
    }


def require_office(principal: Principal) -> None:
    if not principal.has("office_admin"):
        raise PermissionDenied(
            "只有网信办管理员可以组织检查、交办和关闭问题（第六十一条）",
            "only office administrators organise inspections, assign and close findings (Art. 61)",
        )


def require_reader(principal: Principal) -> None:
    if not principal.has(*OVERSIGHT, *UNIT_ROLES):
        raise PermissionDenied(
            "只有网信办、领导小组、审计员和单位数据管理员可以查看检查结果",
            "inspection results are for the office, leadership, auditors and unit data officers",
        )


def require_oversight(principal: Principal) -> None:
    if not principal.has(*OVERSIGHT):
        raise PermissionDenied(
            "检查报告仅供网信办、领导小组和审计员查看",
            "inspection reports are for the office, leadership and auditors",
        )


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
) -> InspectionRun:
    """Run an inspection as ``principal`` (an office administrator) or, from the CLI, as ``actor``."""
    if principal is not None:
        require_office(principal)
        actor = actor_fields(principal)
    actor = actor or {}
    run = run_inspection(
        session,
        mode,
        started_by=actor.get("username") or "system",
        checks=checks,
        units=units,
        seed=seed,
        settings=settings,
        title=title,
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
    require_office(principal)
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
    require_office(principal)
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
