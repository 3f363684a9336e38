"""What the lifecycle domain owes, for the dashboard and the inspection domain (Art. 12, 34-36, 49, 55, 60-64).

:func:`outstanding_obligations` lists each unmet obligation as plain data — code, article, message in both
languages, and the unit or account concerned — so ``inspect`` can turn them into findings without knowing the
tables. The ``last_*`` functions answer the single questions an inspection asks.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.db import utcnow
from edudata.lifecycle import drills
from edudata.lifecycle.incidents import compute_alerts, current_plan
from edudata.lifecycle.models import BackupRecord, DestructionRequest, Drill, Offboarding, RestoreDrill
from edudata.lifecycle.people import has_agreement, needs_annex3
from edudata.org.models import Account

BACKUP_MAX_AGE = timedelta(days=7)  # a verified backup at least weekly
# How often drills are due is defined once, in edudata.lifecycle.drills (the inspection uses it too).


@dataclass(frozen=True)
class Obligation:
    code: str
    article: str
    zh: str
    en: str
    subject: str | None = None


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else value if value.tzinfo else value.replace(tzinfo=UTC)


def last_verified_backup(session: Session) -> BackupRecord | None:
    stmt = (
        select(BackupRecord)
        .where(BackupRecord.verified_ok.is_(True), BackupRecord.pruned_at.is_(None))
        .order_by(BackupRecord.created_at.desc())
        .limit(1)
    )
    return session.execute(stmt).scalar_one_or_none()


def last_restore_drill(session: Session, *, ok_only: bool = True) -> RestoreDrill | None:
    stmt = select(RestoreDrill).order_by(RestoreDrill.finished_at.desc()).limit(1)
    if ok_only:
        stmt = stmt.where(RestoreDrill.ok.is_(True))
    return session.execute(stmt).scalar_one_or_none()


def last_emergency_drill(session: Session) -> Drill | None:
    return session.execute(select(Drill).order_by(Drill.held_on.desc()).limit(1)).scalar_one_or_none()


def unsigned_with_access(session: Session) -> list[str]:
    """Enabled support-staff accounts without 附件3 on file (they cannot log in, but still hold access)."""
    out = []
    for account in session.execute(select(Account).where(Account.disabled.is_(False))).scalars():
        if needs_annex3(session, account) and not has_agreement(session, account.id, "annex3"):
            out.append(account.username)
    return sorted(out)


def outstanding_obligations(session: Session, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every unmet lifecycle and people obligation now, as plain dicts (code, article, zh, en, subject)."""
    now = now or utcnow()
    found: list[Obligation] = []
    backup = last_verified_backup(session)
    if backup is None or now - _aware(backup.created_at) > BACKUP_MAX_AGE:
        found.append(Obligation("backup_not_verified", "Art. 55, 60",
                                "最近 7 天内没有经校验的备份", "no verified backup in the last 7 days"))  # fmt: skip
    if drills.restore_drill(session, now).due:
        found.append(Obligation("restore_drill_due", "Art. 55",
                                "本年度（北京时间）尚无成功的恢复演练", "no successful restore drill this year (Beijing)"))  # fmt: skip
    if current_plan(session) is None:
        found.append(
            Obligation("no_emergency_plan", "Art. 55", "未制定应急预案", "no emergency plan on file")
        )
    if drills.emergency_drill(session, now).due:
        found.append(Obligation("emergency_drill_due", "Art. 55",
                                "本年度（北京时间）尚无应急演练记录", "no emergency drill this year (Beijing)"))  # fmt: skip
    for username in unsigned_with_access(session):
        found.append(Obligation("annex3_missing", "Art. 12", f"{username} 未备案保密协议（附件3）",
                                f"{username} has no confidentiality agreement (Annex 3) on file", username))  # fmt: skip
    for alert in compute_alerts(session, now=now):
        if not alert.handled:
            found.append(Obligation("alert_unhandled", "Art. 55", "未处置的异常告警：" + alert.zh,
                                    "unhandled anomaly alert: " + alert.en, alert.key))  # fmt: skip
    for row, username in session.execute(
        select(Offboarding, Account.username).join(Account, Account.id == Offboarding.account_id)
    ).all():
        missing = [d["asset"] for d in row.devices if not d.get("returned")]
        if missing:
            found.append(Obligation("devices_not_returned", "Art. 49",
                                    f"{username} 离岗未交回设备：{', '.join(missing)}",
                                    f"{username} left without handing back: {', '.join(missing)}", username))  # fmt: skip
    waiting = session.execute(
        select(DestructionRequest.id).where(DestructionRequest.status == "approved")
    ).scalars().all()  # fmt: skip
    for request_id in waiting:
        found.append(Obligation("destruction_pending", "Art. 35", f"销毁申请 {request_id} 已批准但尚未执行",
                                f"destruction request {request_id} is approved but not carried out",
                                str(request_id)))  # fmt: skip
    return [asdict(o) for o in found]
