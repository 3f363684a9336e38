"""Emergency plan, incidents, drills and anomaly alerts (应急预案、安全事件、应急演练、异常监测, Art. 55).

Anomaly alerts are computed from the audit log, not stored: bulk exports, reads outside working hours (Beijing
time), and many refused requests from one account or one address within an hour. The office records how it handled
each alert (:class:`AlertHandling`); an alert without a handling is outstanding (and shows in inspections).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from edudata.audit.models import AuditRecord
from edudata.db import utcnow
from edudata.errors import Conflict, NotFound, ValidationFailed
from edudata.lifecycle.models import AlertHandling, Drill, EmergencyPlan, Incident

BEIJING = timezone(timedelta(hours=8))
BULK_ROWS = 10_000  # an export of at least this many rows is a bulk export
WORK_START, WORK_END = 7, 22  # reads from 22:00 to 07:00 Beijing time are off-hours
DENIED_PER_HOUR = 10  # refusals of one account or address in one clock hour
READS = ("query", "export", "history")
SEVERITIES = ("low", "medium", "high", "critical")


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _utc(value: datetime) -> datetime:
    """Stored in UTC: SQLite keeps no offset, so a +08:00 time must be converted before it is written."""
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


# ------------------------------------------------------------------ plan, incidents, drills


def add_plan(session: Session, *, title: str, version: str, body: str, approved_by: str | None,
             approved_on: date | None, created_by: str) -> EmergencyPlan:  # fmt: skip
    if not body.strip():
        raise ValidationFailed("应急预案正文不能为空", "the plan's text is required", field="body")
    plan = EmergencyPlan(title=title, version=version, body=body, approved_by=approved_by,
                         approved_on=approved_on, created_by=created_by, created_at=utcnow())  # fmt: skip
    session.add(plan)
    session.flush()
    return plan


def current_plan(session: Session) -> EmergencyPlan | None:
    stmt = select(EmergencyPlan).order_by(EmergencyPlan.created_at.desc(), EmergencyPlan.id.desc()).limit(1)
    return session.execute(stmt).scalar_one_or_none()


def open_incident(session: Session, *, title: str, severity: str, detected_at: datetime, created_by: str,
                  actions: str | None = None) -> Incident:  # fmt: skip
    if severity not in SEVERITIES:
        raise ValidationFailed("事件等级须为 low/medium/high/critical", "severity: low/medium/high/critical")
    incident = Incident(title=title, severity=severity, detected_at=_utc(detected_at), actions=actions,
                        status="open", created_by=created_by, created_at=utcnow())  # fmt: skip
    session.add(incident)
    session.flush()
    return incident


def update_incident(session: Session, incident_id: int, **changes: Any) -> Incident:
    """Record containment, the report (to whom, when), the root cause; closing needs all three."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"没有编号为 {incident_id} 的安全事件", f"no incident {incident_id}")
    if incident.status == "closed":
        raise Conflict("事件已关闭", "the incident is closed")
    for key in ("contained_at", "reported_to", "reported_at", "root_cause", "actions"):
        value = changes.get(key)
        if value is not None:
            setattr(incident, key, _utc(value) if isinstance(value, datetime) else value)
    for key in ("contained_at", "reported_at"):
        value = getattr(incident, key)
        if value is not None and _aware(value) < _aware(incident.detected_at):
            raise ValidationFailed("时间不能早于发现时间", f"{key} is before detection", field=key)
    if changes.get("close"):
        missing = [k for k in ("contained_at", "reported_to", "root_cause") if not getattr(incident, k)]
        if missing:
            raise ValidationFailed(
                "关闭事件前须记录处置时间、报告对象和根本原因：" + ", ".join(missing),
                "to close an incident record containment, the report and the root cause: "
                + ", ".join(missing),
            )
        incident.status = "closed"
    elif incident.contained_at is not None:
        incident.status = "contained"
    session.flush()
    return incident


def add_drill(session: Session, *, scenario: str, held_on: date, participants: str, findings: str | None,
              created_by: str) -> Drill:  # fmt: skip
    drill = Drill(scenario=scenario, held_on=held_on, participants=participants, findings=findings,
                  created_by=created_by, created_at=utcnow())  # fmt: skip
    session.add(drill)
    session.flush()
    return drill


# ------------------------------------------------------------------ anomaly alerts


@dataclass
class Alert:
    key: str
    kind: str
    zh: str
    en: str
    at: str
    count: int
    username: str | None = None
    address: str | None = None
    handled: bool = False
    handled_by: str | None = None
    note: str | None = None

    def view(self) -> dict[str, Any]:
        return asdict(self)


def _people(session: Session) -> Callable[[str | None], str]:
    """A person in an alert's Chinese text by name, the username in brackets (the platform's own actors in words)."""
    from edudata.org.models import Account

    names = dict(session.execute(select(Account.username, Account.display_name)).tuples().all())

    def who(username: str | None) -> str:
        if not username:
            return "未知账户"
        if username in names:
            return f"{names[username]}（{username}）"
        if username.startswith("opendata-publisher"):
            return "开放数据发布程序"
        return "平台（自动）" if username == "system" else username

    return who


def compute_alerts(
    session: Session,
    *,
    days: int = 30,
    now: datetime | None = None,
    work_hours: tuple[int, int] | None = None,
) -> list[Alert]:
    """Alerts from the last ``days`` of the audit log, newest first, each marked handled or not.

    ``work_hours`` (start, end) in Beijing time overrides the default 07:00–22:00."""
    start, end = work_hours or (WORK_START, WORK_END)
    now = now or utcnow()
    since = now - timedelta(days=days)
    rows = session.execute(
        select(AuditRecord.seq, AuditRecord.at, AuditRecord.username, AuditRecord.source_ip,
               AuditRecord.operation, AuditRecord.result, AuditRecord.row_count, AuditRecord.dataset)
        .where(AuditRecord.at >= since,
               or_(AuditRecord.operation.in_(READS), AuditRecord.result.in_(("denied", "failed"))))
    ).all()  # fmt: skip
    alerts: list[Alert] = []
    who_zh = _people(session)
    off: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    denied: dict[tuple[str, str, str], list[datetime]] = defaultdict(list)
    for seq, at, username, ip, operation, result, row_count, dataset in rows:
        at = _aware(at)
        local = at.astimezone(BEIJING)
        if operation == "export" and result == "success" and (row_count or 0) >= BULK_ROWS:
            alerts.append(Alert(f"bulk_export:{seq}", "bulk_export",
                                f"批量导出：{who_zh(username)} 导出 {dataset} 共 {row_count} 条",
                                f"bulk export: {username} exported {row_count} rows of {dataset}",
                                at.isoformat(), int(row_count or 0), username, ip))  # fmt: skip
        if operation in READS and result == "success" and username and not start <= local.hour < end:
            off[(username, local.date().isoformat())].append(at)
        if result in ("denied", "failed"):
            hour = local.strftime("%Y%m%d%H")
            if username:
                denied[("account", username, hour)].append(at)
            if ip:
                denied[("address", ip, hour)].append(at)
    for (username, day), times in off.items():
        alerts.append(Alert(f"off_hours:{username}:{day}", "off_hours",
                            f"非工作时间访问：{who_zh(username)} 于 {day}（北京时间）访问数据 {len(times)} 次",
                            f"off-hours access: {username} read data {len(times)} times on {day} (Beijing time)",
                            max(times).isoformat(), len(times), username=username))  # fmt: skip
    for (kind, who, hour), times in denied.items():
        if len(times) < DENIED_PER_HOUR:
            continue
        zh_who = "账户" if kind == "account" else "地址"
        alerts.append(Alert(f"denied_{kind}:{who}:{hour}", f"denied_{kind}",
                            f"频繁被拒：{zh_who} {who} 一小时内被拒绝 {len(times)} 次",
                            f"many refusals: {kind} {who} refused {len(times)} times within an hour",
                            max(times).isoformat(), len(times),
                            username=who if kind == "account" else None,
                            address=who if kind == "address" else None))  # fmt: skip
    handled = {
        h.alert_key: h
        for h in session.execute(
            select(AlertHandling).where(AlertHandling.alert_key.in_([a.key for a in alerts]))
        ).scalars()
    } if alerts else {}  # fmt: skip
    for alert in alerts:
        h = handled.get(alert.key)
        if h is not None:
            alert.handled, alert.handled_by, alert.note = True, h.handled_by, h.note
    return sorted(alerts, key=lambda a: a.at, reverse=True)


def handle_alert(session: Session, *, key: str, note: str, handled_by: str) -> AlertHandling:
    if not note.strip():
        raise ValidationFailed("请记录处置情况", "record how the alert was handled", field="note")
    if session.execute(select(AlertHandling).where(AlertHandling.alert_key == key)).scalar_one_or_none():
        raise Conflict("该告警已处置", "this alert is already handled")
    row = AlertHandling(alert_key=key[:200], handled_by=handled_by, handled_at=utcnow(), note=note.strip())
    session.add(row)
    session.flush()
    return row
