"""What each person must do now (首页待办): one panel per role the account holds (REQUIREMENTS C9, issue 8).

- office (网信办): open and overdue findings, findings waiting to be closed, grants about to expire, last runs;
- unit officer / reviewer: findings of the unit to answer, with deadlines;
- applicant: the unit's grants and their expiry;
- auditor: the audit chain's head and checkpoint, the last chain and separation-of-duties results;
- leadership: compliance by article and by unit, and the trend over the last runs (charts drawn as inline SVG).

Panels are plain data; ``inspect/_dashboard.html`` draws them. Panels of other domains' work (reviews,
batches, alerts) are added here as those domains' tables appear.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edudata.clock import CHINA, aware, today_in_china
from edudata.db import utcnow
from edudata.identity.principal import Principal
from edudata.inspect.findings import list_findings
from edudata.inspect.models import Finding, InspectionRun
from edudata.inspect.registry import all_checks, article_key, article_label
from edudata.inspect.report import unit_names
from edudata.inspect.runs import MODES
from edudata.policy import allowed


@dataclass
class Item:
    zh: str
    en: str
    href: str | None = None
    count: int | None = None
    urgent: bool = False


@dataclass
class Panel:
    key: str
    zh: str
    en: str
    items: list[Item] = field(default_factory=list)
    charts: list[dict[str, Any]] = field(default_factory=list)
    empty_zh: str = "目前没有待办事项"
    empty_en: str = "Nothing to do right now"


def _current(session: Session):  # noqa: ANN202 - a select
    return select(func.count()).select_from(Finding).where(Finding.resolved_run_id.is_(None))


def office_panel(session: Session, today: date) -> Panel:
    panel = Panel("office", "网信办待办", "Office: to do now")
    base = _current(session)
    open_n = session.scalar(base.where(Finding.status != "closed")) or 0
    unassigned = session.scalar(base.where(Finding.status == "open")) or 0
    overdue_n = session.scalar(base.where(Finding.status != "closed", Finding.deadline < today)) or 0
    answered = session.scalar(base.where(Finding.status == "answered")) or 0
    panel.items += [
        Item(
            "未交办的检查问题",
            "Findings not yet assigned",
            "/inspect/findings?status=open",
            unassigned,
            unassigned > 0,
        ),
        Item(
            "逾期未整改的问题",
            "Findings past their deadline",
            "/inspect/findings?overdue=1",
            overdue_n,
            overdue_n > 0,
        ),
        Item(
            "单位已答复、待关闭的问题",
            "Answered findings to close",
            "/inspect/findings?status=answered",
            answered,
        ),
        Item("全部未关闭的问题", "All findings not closed", "/inspect/findings", open_n),
    ]
    panel.items += _grants_expiring(session, None)
    last = session.execute(
        select(InspectionRun).order_by(InspectionRun.id.desc()).limit(1)
    ).scalar_one_or_none()
    if last is None:
        panel.items.append(
            Item(
                "尚未开展检查：发起一次年底检查",
                "No inspection yet: start a year-end check",
                "/inspect",
                None,
                True,
            )
        )
    else:
        zh, en = MODES[last.mode]
        panel.items.append(
            Item(
                f"最近一次检查：{zh}（{last.started_at:%Y-%m-%d}）",
                f"Last inspection: {en} ({last.started_at:%Y-%m-%d})",
                f"/inspect/runs/{last.id}",
            )
        )
    panel.items += _extra_office_items(session)
    return panel


def _grants_expiring(session: Session, unit_code: str | None, days: int = 30) -> list[Item]:
    from edudata.access.models import AccessGrant

    now = utcnow()
    query = select(AccessGrant).where(
        AccessGrant.revoked_at.is_(None),
        AccessGrant.expires_at.is_not(None),
        AccessGrant.expires_at > now,
        AccessGrant.expires_at <= now + timedelta(days=days),
    )
    if unit_code:
        query = query.where(AccessGrant.grantee_unit_code == unit_code)
    grants = list(session.execute(query.order_by(AccessGrant.expires_at)).scalars())
    return [
        Item(
            f"共享授权 {g.id}（{g.dataset_code}）将于 {g.expires_at:%Y-%m-%d} 到期",
            f"grant {g.id} ({g.dataset_code}) expires on {g.expires_at:%Y-%m-%d}",
            None,
            None,
            True,
        )
        for g in grants[:10]
    ]


def _extra_office_items(session: Session) -> list[Item]:
    """Counts from the other domains' registers, when those domains are installed (see :mod:`.extensions`)."""
    from edudata.inspect.extensions import office_items

    return office_items(session)


def unit_panel(session: Session, principal: Principal, today: date) -> Panel:
    panel = Panel("unit", "本单位待办", "My unit: to do now")
    findings, total = list_findings(session, principal=principal, limit=10)
    todo = [f for f in findings if f.status in ("open", "assigned")]
    for f in todo:
        late = bool(f.deadline and f.deadline < today)
        panel.items.append(
            Item(
                f"{article_label(f.article)[0]}：{f.title_zh}（期限 {f.deadline or '—'}）",
                f"{article_label(f.article)[1]}: {f.title_en} (due {f.deadline or '—'})",
                f"/inspect/findings/{f.id}",
                None,
                late,
            )
        )
    from edudata.inspect.extensions import unit_items

    panel.items += unit_items(session, principal)
    return panel


def applicant_panel(session: Session, principal: Principal) -> Panel:
    from edudata.access.models import AccessGrant

    panel = Panel("applicant", "我的共享授权", "My grants")
    now = utcnow()
    grants = session.execute(
        select(AccessGrant)
        .where(AccessGrant.grantee_unit_code == principal.unit_code, AccessGrant.revoked_at.is_(None))
        .order_by(AccessGrant.expires_at)
    ).scalars()
    for g in grants:
        exp = g.expires_at
        if exp is not None and exp.tzinfo is None:
            exp = exp.replace(tzinfo=now.tzinfo)
        if exp is not None and exp <= now:
            continue
        soon = exp is not None and exp <= now + timedelta(days=30)
        panel.items.append(
            Item(
                f"{g.dataset_code}：{'长期有效' if exp is None else f'有效期至 {exp:%Y-%m-%d}'}",
                f"{g.dataset_code}: {'no expiry' if exp is None else f'valid until {exp:%Y-%m-%d}'}",
                f"/catalog/{g.dataset_code}",
                None,
                soon,
            )
        )
    from edudata.inspect.extensions import applicant_items

    panel.items += applicant_items(session, principal)
    return panel


def auditor_panel(session: Session) -> Panel:
    from edudata.audit.checkpoints import latest_checkpoint
    from edudata.audit.head import read_head

    panel = Panel("auditor", "审计待办", "Audit: to do now")
    head = read_head(session)
    cp = latest_checkpoint(session)
    panel.items.append(
        Item(
            f"审计链最新记录 {head.seq}；最近签名校验点 {cp.seq if cp else '无'}",
            f"audit chain head {head.seq}; latest signed checkpoint {cp.seq if cp else 'none'}",
            "/audit?verify=1",
        )
    )
    for code, zh, en in (
        ("audit.chain", "审计链完整性问题", "audit chain problems"),
        ("org.sod_conflict", "不相容岗位冲突", "separation-of-duties conflicts"),
        ("audit.retention", "日志保留问题", "log retention problems"),
    ):
        n = (
            session.scalar(_current(session).where(Finding.check_code == code, Finding.status != "closed"))
            or 0
        )
        panel.items.append(Item(zh, en, f"/inspect/findings?check={code}", n, n > 0))
    from edudata.inspect.extensions import auditor_items

    panel.items += auditor_items(session)
    return panel


def run_label(run: InspectionRun) -> str:
    """An inspection run as a chart's category: its start in Beijing, month-day hour:minute."""
    return aware(run.started_at).astimezone(CHINA).strftime("%m-%d %H:%M")


def leadership_panel(session: Session) -> Panel:
    panel = Panel("leadership", "合规概览", "Compliance overview")
    checks = {c.code: c for c in all_checks()}
    open_by_check = dict(
        session.execute(
            _current(session).with_only_columns(Finding.check_code, func.count()).group_by(Finding.check_code)
        ).all()
    )
    articles: dict[str, list[int]] = {}
    for code, c in checks.items():
        passed, total = articles.get(c.article, [0, 0])
        articles[c.article] = [passed + (0 if open_by_check.get(code) else 1), total + 1]
    panel.charts.append(
        {
            "id": "chart-articles",
            "zh": "各条款检查项通过率（%）",
            "en": "Checks passed by article (%)",
            "bars": [
                {"label": article_label(a)[1], "label_zh": article_label(a)[0], "value": round(100 * p / t)}
                for a, (p, t) in sorted(articles.items(), key=lambda kv: article_key(kv[0]))
            ],
            "max": 100,
        }
    )
    by_unit = session.execute(
        _current(session)
        .with_only_columns(Finding.unit_code, func.count())
        .where(Finding.status != "closed")
        .group_by(Finding.unit_code)
        .order_by(func.count().desc())
        .limit(12)
    ).all()
    names = unit_names(session)
    panel.charts.append(
        {
            "id": "chart-units",
            "zh": "各单位未关闭问题数",
            "en": "Open findings by unit",
            # Names, not codes, on the leadership's chart (issue 18); a unit no longer in the register keeps its code.
            "bars": [
                {"label": names.get(u, (u, u))[1], "label_zh": names.get(u, (u, u))[0], "value": n}
                if u
                else {"label": "—", "label_zh": "—", "value": n}
                for u, n in by_unit
            ],
            "max": max([n for _, n in by_unit], default=1),
        }
    )
    runs = list(session.execute(select(InspectionRun).order_by(InspectionRun.id.desc()).limit(12)).scalars())[
        ::-1
    ]
    panel.charts.append(
        {
            "id": "chart-trend",
            "zh": "最近检查的问题数趋势",
            "en": "Findings in recent inspections",
            # Each run by when it started, in Beijing time (the pages' one time zone).
            "line": [{"label": run_label(r), "value": r.new_count + r.open_count} for r in runs],
            "max": max([r.new_count + r.open_count for r in runs], default=1) or 1,
        }
    )
    panel.items.append(Item("查看最近的检查报告", "Read the latest inspection report", "/inspect"))
    return panel


def panels(session: Session, principal: Principal) -> list[Panel]:
    """The panels for every role ``principal`` holds, most urgent role first."""
    today = today_in_china()
    out: list[Panel] = []
    if allowed(principal, "inspect.dashboard.office"):
        out.append(office_panel(session, today))
    if allowed(principal, "inspect.dashboard.unit"):
        out.append(unit_panel(session, principal, today))
    if allowed(principal, "inspect.dashboard.applicant"):
        out.append(applicant_panel(session, principal))
    if allowed(principal, "inspect.dashboard.audit"):
        out.append(auditor_panel(session))
    if allowed(principal, "inspect.dashboard.leadership"):
        out.append(leadership_panel(session))
    return out
