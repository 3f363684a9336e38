"""Lifecycle checks: backups verified and off site, restore and emergency drills each year (Art. 55, 60),
confidentiality agreements of support staff with live access (Art. 12, 53), anomaly alerts handled (Art. 55)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select

from edudata.inspect.registry import CheckContext, Hit, check
from edudata.lifecycle import drills
from edudata.lifecycle.models import BackupRecord
from edudata.policy.roles import Role

#: A verified backup younger than this many days must exist (Art. 55 数据备份灾难恢复制度).
BACKUP_DAYS = 7
#: An alert open longer than this many days is a finding (监控审计: alerts are handled, not left).
ALERT_DAYS = 3


@check(
    "lifecycle.backup_verified",
    article="55",
    severity="high",
    scope="school",
    requires=("lifecycle",),
    zh=f"{BACKUP_DAYS} 天内有经校验的备份",
    en=f"A verified backup within {BACKUP_DAYS} days",
)
def backup_verified(ctx: CheckContext) -> Iterator[Hit]:
    """No backup verified successfully in the last 7 days (a backup nobody checked may not restore)."""
    since = ctx.now - timedelta(days=BACKUP_DAYS)
    last = ctx.session.scalar(
        select(func.max(BackupRecord.verified_at)).where(BackupRecord.verified_ok.is_(True))
    )
    if last is not None and ctx.aware(last) >= since:
        return
    yield Hit(
        ctx.office_unit_code,
        "backup",
        f"近 {BACKUP_DAYS} 天没有经校验的备份"
        + (f"（最近一次 {ctx.aware(last):%Y-%m-%d}）" if last else "（从未校验）"),
        f"no backup verified in the last {BACKUP_DAYS} days"
        + (f" (last {ctx.aware(last):%Y-%m-%d})" if last else " (never)"),
        {"last_verified": ctx.aware(last).isoformat() if last else None},
    )


@check(
    "lifecycle.offsite_backup",
    article="60",
    severity="medium",
    scope="school",
    requires=("lifecycle",),
    zh="重要数据异地备份",
    en="Important data backed up off site",
)
def offsite_backup(ctx: CheckContext) -> Iterator[Hit]:
    """The newest backup (not pruned) has no off-site copy."""
    newest = ctx.session.execute(
        select(BackupRecord)
        .where(BackupRecord.pruned_at.is_(None))
        .order_by(BackupRecord.created_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    if newest is None or newest.offsite_path:
        return
    yield Hit(
        ctx.office_unit_code,
        "offsite",
        f"最新备份 {newest.name} 没有异地副本",
        f"the newest backup {newest.name} has no off-site copy",
        {"backup": newest.name, "created_at": ctx.aware(newest.created_at).isoformat()},
    )


@check(
    "lifecycle.emergency_plan",
    article="55",
    severity="high",
    scope="school",
    requires=("lifecycle",),
    zh="制定数据安全应急预案",
    en="A data-security emergency plan is on file",
)
def emergency_plan(ctx: CheckContext) -> Iterator[Hit]:
    """No emergency plan (应急预案) on file, or the one on file not approved."""
    from edudata.lifecycle.incidents import current_plan

    plan = current_plan(ctx.session)
    if plan is not None and plan.approved_by:
        return
    yield Hit(
        ctx.office_unit_code, "plan",
        "未制定数据安全应急预案" if plan is None else f"应急预案 {plan.version} 未经批准",
        "no emergency plan on file" if plan is None else f"emergency plan {plan.version} is not approved",
        {"plan": None if plan is None else plan.id},
    )  # fmt: skip


@check(
    "lifecycle.restore_drill",
    article="55",
    severity="medium",
    scope="school",
    requires=("lifecycle",),
    zh="本年度开展恢复演练",
    en="A restore drill this year",
)
def restore_drill(ctx: CheckContext) -> Iterator[Hit]:
    """No successful restore drill recorded in the current calendar year (:mod:`edudata.lifecycle.drills`)."""
    status = drills.restore_drill(ctx.session, ctx.now)
    year = status.year
    if not status.due:
        return
    yield Hit(
        ctx.office_unit_code, f"restore:{year}",
        f"{year} 年尚未成功开展备份恢复演练", f"no successful restore drill in {year}",
        {"year": year},
    )  # fmt: skip


@check(
    "lifecycle.emergency_drill",
    article="55",
    severity="medium",
    scope="school",
    requires=("lifecycle",),
    zh="本年度开展应急演练",
    en="An emergency drill this year",
)
def emergency_drill(ctx: CheckContext) -> Iterator[Hit]:
    """No emergency drill (应急演练) held in the current calendar year (:mod:`edudata.lifecycle.drills`)."""
    status = drills.emergency_drill(ctx.session, ctx.now)
    year = status.year
    if not status.due:
        return
    yield Hit(
        ctx.office_unit_code, f"drill:{year}",
        f"{year} 年尚未开展数据安全应急演练", f"no emergency drill held in {year}",
        {"year": year},
    )  # fmt: skip


@check(
    "lifecycle.agreement_missing",
    article="12/53",
    severity="high",
    requires=("lifecycle", "identity"),
    zh="技术支持人员签署保密协议后方可访问",
    en="Support staff have access only with a confidentiality agreement",
)
def agreement_missing(ctx: CheckContext) -> Iterator[Hit]:
    """An enabled account of a support unit or with the technical-support role, without an Annex 3 agreement on
    file, that still has live access: an unexpired web session or API token, or a successful audited action in
    the last 30 days."""
    from edudata.audit.models import AuditRecord
    from edudata.identity.models import ApiToken, WebSession
    from edudata.lifecycle.people import has_agreement, needs_annex3
    from edudata.org.models import Account, RoleAssignment, Unit, UnitType

    candidates = ctx.session.execute(
        select(Account)
        .join(Unit, Unit.id == Account.unit_id)
        .outerjoin(
            RoleAssignment,
            (RoleAssignment.account_id == Account.id) & (RoleAssignment.role == Role.TECH_SUPPORT),
        )
        .where(
            Account.disabled.is_(False),
            or_(Unit.unit_type == UnitType.SUPPORT, RoleAssignment.id.is_not(None)),
        )
        .order_by(Account.username)
        .distinct()
    ).scalars()
    for account in candidates:
        if not needs_annex3(ctx.session, account) or has_agreement(ctx.session, account.id, "annex3"):
            continue
        live = []
        for model, name in ((WebSession, "web_session"), (ApiToken, "api_token")):
            if ctx.session.execute(
                select(model.id)
                .where(model.account_id == account.id, model.revoked_at.is_(None), model.expires_at > ctx.now)
                .limit(1)
            ).first():
                live.append(name)
        used = ctx.session.scalar(
            select(func.max(AuditRecord.at)).where(
                AuditRecord.account_id == account.id, AuditRecord.result == "success",
                AuditRecord.at >= ctx.now - timedelta(days=30),
            )
        )  # fmt: skip
        if used is not None:
            live.append("recent_activity")
        if not live:
            continue
        unit = ctx.session.get(Unit, account.unit_id)
        yield Hit(
            unit.code if unit else None,
            f"account:{account.username}",
            f"技术支持人员 {account.username} 未签署保密协议（附件3）却仍可访问平台",
            f"support staff {account.username} has live access without a confidentiality agreement (Annex 3)",
            {"username": account.username, "access": live},
        )


@check(
    "lifecycle.alerts_unhandled",
    article="55",
    severity="medium",
    scope="school",
    requires=("lifecycle", "audit"),
    zh=f"异常告警 {ALERT_DAYS} 天内处置",
    en=f"Anomaly alerts handled within {ALERT_DAYS} days",
)
def alerts_unhandled(ctx: CheckContext) -> Iterator[Hit]:
    """An anomaly alert of the last 30 days (bulk export, off-hours access, repeated refusals — see
    :func:`edudata.lifecycle.incidents.compute_alerts`) raised more than 3 days ago and not handled."""
    from edudata.lifecycle.incidents import compute_alerts

    cutoff = ctx.now - timedelta(days=ALERT_DAYS)
    for alert in compute_alerts(ctx.session, now=ctx.now):
        if alert.handled or datetime.fromisoformat(alert.at) >= cutoff:
            continue
        yield Hit(
            ctx.office_unit_code,
            f"alert:{alert.key}",
            f"异常告警未处置：{alert.zh}",
            f"anomaly alert not handled: {alert.en}",
            {"alert": alert.key, "kind": alert.kind, "at": alert.at, "count": alert.count},
        )
