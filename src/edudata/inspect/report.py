"""The inspection report (检查报告): summary by article and by unit, then every finding with its evidence and
deadline — as data (JSON), as a web page and as a PDF (WeasyPrint with Debian's Noto CJK fonts).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.inspect.findings import STATUSES
from edudata.inspect.models import Finding, FindingObservation, InspectionRun
from edudata.inspect.registry import SEVERITY_NAMES, all_checks, article_label
from edudata.inspect.runs import MODES, overdue, run_changes
from edudata.org.models import Unit


def finding_dict(
    f: Finding, today: date, unit_names: dict[str, tuple[str, str]] | None = None
) -> dict[str, Any]:
    names = (unit_names or {}).get(f.unit_code or "", (f.unit_code or "", f.unit_code or ""))
    return {
        "id": f.id,
        "check": f.check_code,
        "article": f.article,
        "article_zh": article_label(f.article)[0],
        "severity": f.severity,
        "unit_code": f.unit_code,
        "unit_name": names[0],
        "unit_name_en": names[1],
        "subject": f.subject,
        "title_zh": f.title_zh,
        "title_en": f.title_en,
        "evidence": f.evidence,
        "status": f.status,
        "deadline": f.deadline.isoformat() if f.deadline else None,
        "overdue": overdue(f, today),
        "assigned_unit_code": f.assigned_unit_code,
        "answer": f.answer,
        "answered_by": f.answered_by,
        "close_evidence": f.close_evidence,
        "closed_by": f.closed_by,
        "first_run_id": f.first_run_id,
        "resolved_run_id": f.resolved_run_id,
        "reopened": f.reopened,
        "repeat_count": f.repeat_count or 0,
    }


def unit_names(session: Session) -> dict[str, tuple[str, str]]:
    return {c: (n, e or n) for c, n, e in session.execute(select(Unit.code, Unit.name, Unit.name_en))}


def build_report(session: Session, run: InspectionRun, today: date) -> dict[str, Any]:
    """Everything the report shows, as plain data (the JSON form and the input of both renderings)."""
    changes = run_changes(session, run.id)
    repeats = set(
        session.scalars(
            select(FindingObservation.finding_id).where(
                FindingObservation.run_id == run.id, FindingObservation.repeat.is_(True)
            )
        )
    )
    names = unit_names(session)
    checks = {c.code: c for c in all_checks()}
    current = changes["new"] + changes["open"]
    by_article: dict[str, Counter] = defaultdict(Counter)
    by_unit: dict[str, Counter] = defaultdict(Counter)
    for f in current:
        by_article[f.article][f.severity] += 1
        by_article[f.article]["total"] += 1
        by_unit[f.unit_code or ""][f.severity] += 1
        by_unit[f.unit_code or ""]["total"] += 1
    articles = []
    for code in run.checks:
        c = checks.get(code)
        if c is None:
            continue
        seen = [f for f in current if f.check_code == code]
        articles.append(
            {
                "check": code,
                "article": c.article,
                "article_zh": article_label(c.article)[0],
                "title_zh": c.title_zh,
                "title_en": c.title_en,
                "severity": c.severity,
                "findings": len(seen),
                "passed": not seen and not (run.error and code in run.error),
            }
        )
    return {
        "run": {
            "id": run.id,
            "mode": run.mode,
            "mode_zh": MODES[run.mode][0],
            "mode_en": MODES[run.mode][1],
            "title": run.title,
            "status": run.status,
            "started_by": run.started_by,
            "started_at": run.started_at.isoformat(),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "checks": run.checks,
            "units": run.units,
            "seed": run.seed,
            "error": run.error,
            "notice_id": run.notice_id,
        },
        "counts": {
            "new": run.new_count,
            "open": run.open_count,
            "resolved": run.resolved_count,
            "current": len(current),
        },
        "repeats": len(repeats),
        "checks": articles,
        "by_article": [
            {"article": a, "article_zh": article_label(a)[0], **dict(by_article[a])}
            for a in sorted(
                by_article,
                key=lambda a: [
                    int(x) if x.isdigit() else 0 for x in a.replace("(", "/").rstrip(")").split("/")
                ],
            )
        ],
        "by_unit": [
            {
                "unit_code": u,
                "unit_name": names.get(u, (u, u))[0],
                "unit_name_en": names.get(u, (u, u))[1],
                **dict(by_unit[u]),
            }
            for u in sorted(by_unit)
        ],
        "findings": {
            k: [{**finding_dict(f, today, names), "repeat": f.id in repeats} for f in v]
            for k, v in changes.items()
        },
        "severity_names": SEVERITY_NAMES,
        "status_names": STATUSES,
    }


def render_pdf(html: str) -> bytes:
    """The report page as PDF; Chinese text set in Noto Sans CJK SC (Debian package fonts-noto-cjk)."""
    from weasyprint import HTML

    return HTML(string=html).write_pdf()
