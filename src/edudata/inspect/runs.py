"""Running inspections in the three modes of Art. 62 and keeping their findings.

- ``daily`` (日常抽查): a random sample of checks and of units; :func:`run_daily_if_due` runs it once a day
  (``edudata inspect daily`` from cron or a systemd timer).
- ``special`` (专项检查): the checks and units the office chooses, on demand.
- ``year_end`` (年底检查): every check over every unit.

Each run stores what it saw as observations: ``new`` (first seen), ``open`` (seen before and still there) and
``resolved`` (open before, in this run's scope, and no longer seen). Services flush and never commit.
"""

from __future__ import annotations

import hashlib
import math
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from edudata.clock import today_in_china
from edudata.config import Settings
from edudata.db import utcnow
from edudata.errors import NotFound, ValidationFailed
from edudata.inspect.models import Finding, FindingObservation, InspectionRun
from edudata.inspect.oversight import enabled_checks, within_content
from edudata.inspect.registry import DEADLINE_DAYS, Check, CheckContext, Hit, get_checks
from edudata.org.models import Unit, UnitType

MODES = {
    "daily": ("日常抽查", "daily spot check"),
    "special": ("专项检查", "special check"),
    "year_end": ("年底检查", "year-end check"),
}
#: Share of checks and of units a daily spot check samples (at least one of each).
DAILY_CHECK_SHARE = 1 / 3
DAILY_UNIT_SHARE = 1 / 5


@dataclass(frozen=True)
class RunScope:
    checks: list[Check]
    units: list[str] | None  # None: every unit
    seed: int | None


def fingerprint(check_code: str, unit_code: str | None, subject: str) -> str:
    return hashlib.sha256(f"{check_code}\x1f{unit_code or ''}\x1f{subject}".encode()).hexdigest()


def _unit_codes(session: Session) -> list[str]:
    return list(
        session.execute(
            select(Unit.code)
            .where(Unit.active.is_(True), Unit.unit_type != UnitType.SCHOOL)
            .order_by(Unit.code)
        ).scalars()
    )


def _check_units(session: Session, units: Sequence[str]) -> list[str]:
    wanted = list(dict.fromkeys(units))
    known = set(session.execute(select(Unit.code).where(Unit.code.in_(wanted))).scalars())
    unknown = [u for u in wanted if u not in known]
    if unknown:
        raise ValidationFailed(
            f"单位代码 {', '.join(unknown)[:80]} 不存在",
            f"unknown unit code {', '.join(unknown)[:80]}",
            field="units",
        )
    return wanted


def plan(
    session: Session,
    mode: str,
    checks: Sequence[str] | None = None,
    units: Sequence[str] | None = None,
    seed: int | None = None,
) -> RunScope:
    """The checks and units a run of ``mode`` covers (validated; a daily run draws its sample from ``seed``)."""
    if mode not in MODES:
        raise ValidationFailed(
            "检查方式应为 daily（日常抽查）、special（专项检查）或 year_end（年底检查）",
            "mode must be daily, special or year_end",
            field="mode",
        )
    # Every mode runs within the content the leadership group set (Art. 61; all checks until it sets one).
    content = enabled_checks(session)
    if mode == "year_end":
        return RunScope(content, None, None)
    if mode == "special":
        if not checks and not units:
            raise ValidationFailed(
                "专项检查须选择检查项或单位", "a special check needs chosen checks or units", field="checks"
            )
        chosen = get_checks(checks) if checks else content
        within_content(session, [c.code for c in chosen])
        return RunScope(chosen, _check_units(session, units) if units else None, None)
    seed = seed if seed is not None else secrets.randbelow(2**31)
    rng = random.Random(seed)
    every = content
    picked = rng.sample(every, max(1, math.ceil(len(every) * DAILY_CHECK_SHARE))) if every else []
    all_units = _unit_codes(session)
    sample = rng.sample(all_units, max(1, math.ceil(len(all_units) * DAILY_UNIT_SHARE))) if all_units else []
    return RunScope(sorted(picked, key=lambda c: c.code), sorted(sample), seed)


def _in_scope(check: Check, unit_code: str | None, units: set[str] | None) -> bool:
    # An obligation of the office (school scope) is always in scope: it has no unit to sample.
    return units is None or check.scope == "school" or unit_code in units


def _office(session: Session, unit_type: str) -> str | None:
    return session.execute(
        select(Unit.code).where(Unit.unit_type == unit_type).order_by(Unit.code).limit(1)
    ).scalar_one_or_none()


def run_inspection(
    session: Session,
    mode: str,
    *,
    started_by: str,
    checks: Sequence[str] | None = None,
    units: Sequence[str] | None = None,
    seed: int | None = None,
    now: datetime | None = None,
    settings: Settings | None = None,
    title: str = "",
    notice_id: int | None = None,
) -> InspectionRun:
    """Run an inspection and store its findings; a check that fails is named in ``error`` and resolves nothing.
    A finding this run sees that the previous run covering its check and unit also saw is marked a repeat."""
    scope = plan(session, mode, checks, units, seed)
    now = now or utcnow()
    history = _history(session)
    run = InspectionRun(
        mode=mode,
        status="running",
        title=title[:200],
        checks=[c.code for c in scope.checks],
        units=scope.units,
        seed=scope.seed,
        started_by=started_by,
        started_at=now,
        new_count=0,
        open_count=0,
        resolved_count=0,
        notice_id=notice_id,
    )
    session.add(run)
    session.flush()
    ctx = CheckContext(
        session,
        now,
        settings,
        office_unit_code=_office(session, UnitType.OFFICE),
        school_unit_code=_office(session, UnitType.SCHOOL),
    )
    unit_set = set(scope.units) if scope.units is not None else None
    failed: list[str] = []
    for check in scope.checks:
        try:
            with session.begin_nested():
                hits = [h for h in check.run(ctx) if _in_scope(check, h.unit_code, unit_set)]
        except Exception as err:  # noqa: BLE001 - one broken check must not hide the others' findings
            failed.append(f"{check.code}: {type(err).__name__}: {str(err)[:200]}")
            continue
        _record(session, run, check, hits, unit_set, now, history)
    run.status = "failed" if failed else "done"
    run.error = "\n".join(failed) or None
    run.finished_at = utcnow()
    session.flush()
    return run


@dataclass(frozen=True)
class _Past:
    id: int
    checks: frozenset[str]
    units: frozenset[str] | None
    failed: frozenset[str]


def _history(session: Session, depth: int = 400) -> list[_Past]:
    """The latest runs, newest first: which checks and units each covered (a failed check covered nothing)."""
    rows = session.execute(
        select(InspectionRun.id, InspectionRun.checks, InspectionRun.units, InspectionRun.error)
        .order_by(InspectionRun.id.desc())
        .limit(depth)
    ).all()
    return [
        _Past(i, frozenset(c or ()), frozenset(u) if u is not None else None,
              frozenset(line.split(":", 1)[0] for line in (e or "").splitlines()))
        for i, c, u, e in rows
    ]  # fmt: skip


def _previous_cover(history: Sequence[_Past], check: Check, unit_code: str | None) -> int | None:
    """The latest earlier run that inspected ``check`` for ``unit_code`` (consecutive inspections, 重复出现)."""
    for past in history:
        if (
            check.code in past.checks
            and check.code not in past.failed
            and (past.units is None or check.scope == "school" or unit_code in past.units)
        ):
            return past.id
    return None


def _record(
    session: Session,
    run: InspectionRun,
    check: Check,
    hits: list[Hit],
    units: set[str] | None,
    now: datetime,
    history: Sequence[_Past] = (),
) -> None:
    """Store what ``check`` saw: one query for its open findings, one flush for the new ones, bulk observations."""
    existing = {
        f.fingerprint: f
        for f in session.execute(
            select(Finding).where(Finding.check_code == check.code, Finding.resolved_run_id.is_(None))
        ).scalars()
    }
    seen: dict[str, tuple[Finding, str, bool]] = {}
    for hit in hits:
        fp = fingerprint(check.code, hit.unit_code, hit.subject)
        if fp in seen:  # the same violation named twice by one check counts once
            continue
        finding = existing.get(fp)
        if finding is None:
            finding = Finding(
                fingerprint=fp,
                check_code=check.code,
                article=check.article,
                severity=check.severity,
                unit_code=hit.unit_code,
                subject=hit.subject[:300],
                title_zh=hit.zh[:500],
                title_en=hit.en[:500],
                evidence=hit.evidence,
                status="open",
                first_run_id=run.id,
                last_run_id=run.id,
                detected_at=now,
                deadline=today_in_china(now) + timedelta(days=DEADLINE_DAYS[check.severity]),
                reopened=0,
            )
            session.add(finding)
            seen[fp] = (finding, "new", False)
            continue
        repeat = finding.last_run_id == _previous_cover(history, check, finding.unit_code)
        if repeat:  # the previous inspection of this check and unit saw it too: a repeat finding
            finding.repeat_count += 1
        finding.last_run_id = run.id
        finding.evidence = hit.evidence
        finding.title_zh, finding.title_en = hit.zh[:500], hit.en[:500]
        if finding.status == "closed":  # closed on the unit's word, but the records still show it: reopen
            finding.status = "open"
            finding.reopened += 1
        seen[fp] = (finding, "open", repeat)
    resolved = [f for fp, f in existing.items() if fp not in seen and _in_scope(check, f.unit_code, units)]
    for f in resolved:
        f.resolved_run_id = run.id
        f.resolved_at = now
    session.flush()  # new findings get their ids here, in one batch
    rows = [{"run_id": run.id, "finding_id": f.id, "change": c, "repeat": r} for f, c, r in seen.values()]
    rows += [{"run_id": run.id, "finding_id": f.id, "change": "resolved", "repeat": False} for f in resolved]
    if rows:
        session.execute(insert(FindingObservation), rows)
    changes = [change for _, change, _r in seen.values()]
    run.new_count += changes.count("new")
    run.open_count += changes.count("open")
    run.resolved_count += len(resolved)


def run_daily_if_due(
    session: Session, *, started_by: str, now: datetime | None = None, settings: Settings | None = None
) -> InspectionRun | None:
    """Today's daily spot check, unless one already ran today (UTC); for a scheduler calling every hour."""
    now = now or utcnow()
    start = datetime.combine(now.date(), datetime.min.time(), tzinfo=now.tzinfo)
    done = session.execute(
        select(InspectionRun.id)
        .where(InspectionRun.mode == "daily", InspectionRun.started_at >= start)
        .limit(1)
    ).first()
    if done:
        return None
    return run_inspection(session, "daily", started_by=started_by, now=now, settings=settings)


def get_run(session: Session, run_id: int) -> InspectionRun:
    run = session.get(InspectionRun, run_id)
    if run is None:
        raise NotFound(f"检查 {run_id} 不存在", f"inspection {run_id} does not exist", field="run_id")
    return run


def list_runs(session: Session, limit: int = 50, offset: int = 0) -> list[InspectionRun]:
    query = select(InspectionRun).order_by(InspectionRun.id.desc()).limit(limit).offset(offset)
    return list(session.execute(query).scalars())


def latest_run(session: Session) -> InspectionRun | None:
    return session.execute(
        select(InspectionRun).order_by(InspectionRun.id.desc()).limit(1)
    ).scalar_one_or_none()


def run_changes(session: Session, run_id: int) -> dict[str, list[Finding]]:
    """What run ``run_id`` saw: findings by change (new, open, resolved)."""
    rows = session.execute(
        select(FindingObservation.change, Finding)
        .join(Finding, Finding.id == FindingObservation.finding_id)
        .where(FindingObservation.run_id == run_id)
        .order_by(Finding.article, Finding.unit_code, Finding.id)
    ).all()
    out: dict[str, list[Finding]] = {"new": [], "open": [], "resolved": []}
    for change, finding in rows:
        out[change].append(finding)
    return out


def overdue(finding: Finding, today: date) -> bool:
    return (
        finding.status != "closed"
        and finding.resolved_run_id is None
        and bool(finding.deadline)
        and (finding.deadline < today)
    )
