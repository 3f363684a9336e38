"""The forms of /lifecycle (issue 18: every duty has a page): the office files 附件3/附件4 (Art. 12, 53), records
incidents and emergency drills and handles anomaly alerts (Art. 55), takes backups and restore drills (Art. 55, 60).
Destruction has its own page (``destruction_pages``). Each form calls the same service as the
API route of its action, with the same checks; a refused form comes back with what was typed and the message
beside the field, in the field's Chinese name."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from edudata.api.deps import get_session
from edudata.api.policy import allow
from edudata.clock import CHINA
from edudata.db import commit
from edudata.errors import EduDataError, NotFound
from edudata.identity.actions import audit, refused
from edudata.identity.deps import form_data, verify_csrf
from edudata.identity.principal import Principal
from edudata.lifecycle import incidents, operations, people
from edudata.lifecycle.models import BackupRecord, BackupSchedule
from edudata.lifecycle.schemas import (
    AgreementIn,
    DrillIn,
    HandleIn,
    IncidentChange,
    IncidentIn,
    ScheduleChange,
    ScheduleIn,
)
from edudata.org.service import get_account
from edudata.web.flash import flash

router = APIRouter(include_in_schema=False)

#: The Chinese (and English) name of every field of these forms: what an error message calls it.
LABELS: dict[str, tuple[str, str]] = {
    "username": ("账户", "Account"),
    "kind": ("协议类型", "Agreement"),
    "signed_on": ("签署日期", "Signed on"),
    "document_ref": ("纸质文件编号", "Document reference"),
    "title": ("事件名称", "Title"),
    "severity": ("事件等级", "Severity"),
    "detected_at": ("发现时间", "Detected at"),
    "actions": ("处置措施", "Actions taken"),
    "contained_at": ("控制时间", "Contained at"),
    "reported_to": ("报告对象", "Reported to"),
    "reported_at": ("报告时间", "Reported at"),
    "root_cause": ("原因分析", "Root cause"),
    "scenario": ("演练场景", "Scenario"),
    "held_on": ("演练日期", "Held on"),
    "participants": ("参加人员", "Participants"),
    "findings": ("发现的问题", "Findings"),
    "key": ("告警", "Alert"),
    "note": ("处置情况", "How it was handled"),
    "schedule": ("备份计划", "Backup schedule"),
    "name": ("计划名称", "Schedule name"),
    "every_hours": ("备份间隔（小时）", "Every (hours)"),
    "keep_last": ("至少保留份数", "Keep at least (sets)"),
    "keep_days": ("保留天数", "Keep for (days)"),
    "local_dir": ("本地备份目录", "Local folder"),
    "offsite_dir": ("异地备份目录", "Off-site folder"),
    "enabled": ("启用", "Enabled"),
}
_PROBLEMS: dict[str, tuple[str, str]] = {
    "missing": ("不能为空", "is required"),
    "string_type": ("不能为空", "is required"),  # a blank field is sent as none
    "date_type": ("请填写日期", "enter a date"),
    "datetime_type": ("请填写日期和时间", "enter a date and time"),
    "string_too_short": ("不能为空", "is required"),
    "string_too_long": ("内容过长", "is too long"),
    "literal_error": ("请从列表中选择", "choose one of the list"),
    "date_from_datetime_parsing": ("请填写日期", "enter a date"),
    "date_parsing": ("请填写日期", "enter a date"),
    "datetime_from_date_parsing": ("请填写日期和时间", "enter a date and time"),
    "datetime_parsing": ("请填写日期和时间", "enter a date and time"),
    "string_pattern_mismatch": ("格式不正确", "has the wrong format"),
    "int_parsing": ("请填写整数", "enter a whole number"),
    "int_type": ("请填写整数", "enter a whole number"),
    "greater_than_equal": ("数值过小", "is too small"),
    "less_than_equal": ("数值过大", "is too large"),
}


class FormRefused(EduDataError):
    """A form's input the schema refused, with the field named as the page names it."""

    status, code, title_zh, title_en = 422, "validation-failed", "数据校验未通过", "Validation failed"


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _typed(form: FormData) -> dict[str, str]:
    return {k: _text(form, k) for k in form if k != "csrf_token"}


def _parse(
    model: type[BaseModel], values: dict[str, Any], labels: dict[str, tuple[str, str]] = LABELS
) -> Any:
    """The form as the API's schema reads it; a refusal names the first bad field in words."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first.get("loc") else ""
        label_zh, label_en = labels.get(field, (field, field))
        zh, en = _PROBLEMS.get(first.get("type", ""), ("填写有误", "is not valid"))
        raise FormRefused(f"{label_zh}：{zh}", f"{label_en} {en}", field=field) from None


def _beijing(text: str) -> datetime | str | None:
    """A ``datetime-local`` value is Beijing time (the pages state one time zone); blank is none."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=CHINA)
    except ValueError:
        return text  # the schema refuses it with the field's name


def _refused(
    request: Request, session: Session, err: EduDataError, form_name: str, form: FormData
) -> Response:
    from edudata.lifecycle.pages import overview

    refused(request, session, err)
    field = err.field or ""
    errors = {form_name: {"field": field, "zh": err.zh, "en": err.en}}
    return overview(request, session, errors=errors, typed={form_name: _typed(form)}, status=err.status)


def _done(request: Request, anchor: str, zh: str, en: str) -> Response:
    flash(request, zh, en)
    return RedirectResponse(f"/lifecycle#{anchor}", status_code=303)


def _actor(who: Principal, request: Request) -> dict[str, Any]:
    return {"account_id": who.account_id, "username": who.username, "unit_code": who.unit_code,
            "source_ip": who.source_ip, "request_id": getattr(request.state, "request_id", None)}  # fmt: skip


@router.post("/lifecycle/agreements", dependencies=[Depends(verify_csrf)])
def file_agreement(
    request: Request,
    form: FormData = Depends(form_data),
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("lifecycle.manage")),
) -> Response:
    """File a signed 附件3 (a support person may then log in, Art. 12) or 附件4 (the leaving commitment, Art. 53)."""
    try:
        body = _parse(
            AgreementIn,
            {k: _text(form, k) or None for k in ("username", "kind", "signed_on", "document_ref")},
        )
        account = get_account(session, body.username)
        row = people.record_agreement(session, account=account, kind=body.kind, signed_on=body.signed_on,
                                      document_ref=body.document_ref, document_sha256=None,
                                      recorded_by=who.username)  # fmt: skip
        audit(
            session,
            request,
            who,
            "agreement_record",
            target=account.username,
            kind=body.kind,
            agreement=row.id,
        )
        commit(session)
    except EduDataError as err:
        return _refused(request, session, err, "agreement", form)
    name = "保密协议（附件3）" if body.kind == "annex3" else "离岗承诺书（附件4）"
    name_en = (
        "confidentiality agreement (annex 3)" if body.kind == "annex3" else "leaving commitment (annex 4)"
    )
    return _done(request, "h-agreements", f"已备案 {account.display_name or account.username} 的{name}",
                 f"Filed the {name_en} of {account.username}")  # fmt: skip


@router.post("/lifecycle/incidents", dependencies=[Depends(verify_csrf)])
def open_incident(
    request: Request,
    form: FormData = Depends(form_data),
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("lifecycle.manage")),
) -> Response:
    """Record a security incident as it is found (Art. 55)."""
    try:
        body = _parse(IncidentIn, {"title": _text(form, "title") or None, "severity": _text(form, "severity") or None,
                                   "detected_at": _beijing(_text(form, "detected_at")),
                                   "actions": _text(form, "actions") or None})  # fmt: skip
        row = incidents.open_incident(session, **body.model_dump(), created_by=who.username)
        audit(session, request, who, "incident_open", incident=row.id, severity=row.severity)
        commit(session)
    except EduDataError as err:
        return _refused(request, session, err, "incident", form)
    return _done(request, "h-emergency", f"已登记安全事件“{row.title}”", f"Incident {row.title} recorded")


@router.post("/lifecycle/incidents/{incident_id}", dependencies=[Depends(verify_csrf)])
def update_incident(
    incident_id: int,
    request: Request,
    form: FormData = Depends(form_data),
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("lifecycle.manage")),
) -> Response:
    """Record containment, the report (to whom, when) and the cause; closing needs all three (Art. 55)."""
    try:
        body = _parse(IncidentChange, {
            "contained_at": _beijing(_text(form, "contained_at")), "reported_to": _text(form, "reported_to") or None,
            "reported_at": _beijing(_text(form, "reported_at")), "root_cause": _text(form, "root_cause") or None,
            "actions": _text(form, "actions") or None, "close": _text(form, "close") == "1",
        })  # fmt: skip
        row = incidents.update_incident(session, incident_id, **body.model_dump())
        audit(session, request, who, "incident_update", incident=row.id, status=row.status)
        commit(session)
    except EduDataError as err:
        return _refused(request, session, err, f"incident-{incident_id}", form)
    closed = row.status == "closed"
    return _done(request, "h-emergency", f"安全事件“{row.title}”{'已关闭' if closed else '已更新'}",
                 f"Incident {row.title} {'closed' if closed else 'updated'}")  # fmt: skip


@router.post("/lifecycle/drills", dependencies=[Depends(verify_csrf)])
def record_drill(
    request: Request,
    form: FormData = Depends(form_data),
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("lifecycle.manage")),
) -> Response:
    """Record an emergency drill held (Art. 55)."""
    try:
        body = _parse(
            DrillIn, {k: _text(form, k) or None for k in ("scenario", "held_on", "participants", "findings")}
        )
        row = incidents.add_drill(session, **body.model_dump(), created_by=who.username)
        audit(session, request, who, "emergency_drill", drill=row.id)
        commit(session)
    except EduDataError as err:
        return _refused(request, session, err, "drill", form)
    return _done(request, "h-emergency", f"已记录应急演练“{row.scenario}”", f"Drill {row.scenario} recorded")


@router.post("/lifecycle/alerts/handle", dependencies=[Depends(verify_csrf)])
def handle_alert(
    request: Request,
    form: FormData = Depends(form_data),
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("lifecycle.alert.handle")),
) -> Response:
    """Say how an anomaly alert was handled (Art. 57); it then leaves the list of unhandled alerts."""
    key = _text(form, "key")
    try:
        body = _parse(HandleIn, {"key": key or None, "note": _text(form, "note") or None})
        row = incidents.handle_alert(session, key=body.key, note=body.note, handled_by=who.username)
        audit(session, request, who, "alert_handle", key=row.alert_key)
        commit(session)
    except EduDataError as err:
        return _refused(request, session, err, f"alert-{key}", form)
    return _done(request, "h-alerts", "告警已处置", "Alert handled")


_SCHEDULE_FIELDS = ("every_hours", "keep_last", "keep_days", "local_dir", "offsite_dir")


@router.post("/lifecycle/backup-schedules", dependencies=[Depends(verify_csrf)])
def add_schedule(
    request: Request,
    form: FormData = Depends(form_data),
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("lifecycle.manage")),
) -> Response:
    """Set up a backup schedule with its retention (Art. 55, 60): the API's and the CLI's service."""
    try:
        body = _parse(ScheduleIn, {k: _text(form, k) or None for k in ("name", *_SCHEDULE_FIELDS)})
        row = operations.configure_schedule(session, request.app.state.settings, body.model_dump(),
                                            created_by=who.username, new=True)  # fmt: skip
        audit(session, request, who, "backup_schedule", name=row.name, every_hours=row.every_hours)
        commit(session)
    except EduDataError as err:
        return _refused(request, session, err, "schedule-new", form)
    return _done(request, "h-backups", f"已设置备份计划 {row.name}（每 {row.every_hours} 小时）",
                 f"Backup schedule {row.name} set (every {row.every_hours} h)")  # fmt: skip


@router.post("/lifecycle/backup-schedules/{name}", dependencies=[Depends(verify_csrf)])
def change_schedule(
    name: str,
    request: Request,
    form: FormData = Depends(form_data),
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("lifecycle.manage")),
) -> Response:
    """Change a schedule's interval, retention or folders, or pause it (the API's ``PUT``)."""
    try:
        values = {k: _text(form, k) or None for k in _SCHEDULE_FIELDS}
        body = _parse(ScheduleChange, {**values, "enabled": _text(form, "enabled") == "1"})
        row = operations.configure_schedule(session, request.app.state.settings,
                                            {"name": name, **body.model_dump()}, created_by=who.username,
                                            new=False)  # fmt: skip
        audit(session, request, who, "backup_schedule_change", name=row.name, every_hours=row.every_hours)
        commit(session)
    except EduDataError as err:
        return _refused(request, session, err, f"schedule-{name}", form)
    state_zh, state_en = ("", "") if row.enabled else ("，已暂停", "; paused")
    return _done(request, "h-backups", f"已修改备份计划 {row.name}（每 {row.every_hours} 小时{state_zh}）",
                 f"Backup schedule {row.name} changed (every {row.every_hours} h{state_en})")  # fmt: skip


@router.post("/lifecycle/backups/run", dependencies=[Depends(verify_csrf)])
def run_backup(
    request: Request,
    form: FormData = Depends(form_data),
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("lifecycle.manage")),
) -> Response:
    """Take a backup now with a schedule's folders, local and off-site (Art. 55)."""
    name = _text(form, "schedule")
    try:
        row = session.execute(select(BackupSchedule).where(BackupSchedule.name == name)).scalar_one_or_none()
        if row is None:
            raise FormRefused(
                "备份计划：请从列表中选择", "Backup schedule: choose one of the list", field="schedule"
            )
        local, offsite = Path(row.local_dir), Path(row.offsite_dir) if row.offsite_dir else None
        session.rollback()  # the backup reads the database from outside this request's transaction
        made = operations.run_backup(request.app.state.settings, request.app.state.db, local, offsite,
                                     actor=_actor(who, request), kind="manual")  # fmt: skip
    except EduDataError as err:
        return _refused(request, session, err, "backup", form)
    return _done(request, "h-backups", f"已完成备份 {made.name}", f"Backup {made.name} taken")


@router.post("/lifecycle/backups/{name}/drill", dependencies=[Depends(verify_csrf)])
def restore_drill(
    name: str,
    request: Request,
    form: FormData = Depends(form_data),
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("lifecycle.manage")),
) -> Response:
    """Restore the backup into a scratch database and check it (Art. 60); the result is listed either way."""
    row = session.execute(select(BackupRecord).where(BackupRecord.name == name)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"没有名为 {name[:100]} 的备份", f"no backup named {name[:100]}")
    session.rollback()
    drill = operations.drill(request.app.state.settings, request.app.state.db, Path(row.local_path),
                             actor=_actor(who, request))  # fmt: skip
    if drill.ok:
        return _done(request, "h-backups", f"恢复演练通过：{name}", f"Restore drill passed: {name}")
    flash(
        request,
        f"恢复演练未通过：{name}，请查看详情",
        f"Restore drill failed: {name}; see the details",
        "warn",
    )
    return RedirectResponse("/lifecycle#h-backups", status_code=303)
