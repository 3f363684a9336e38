"""How often restore and emergency drills are due (Art. 55 定期组织应急演练; 备份灾难恢复制度) — the one
definition the lifecycle dashboard (:func:`edudata.lifecycle.service.outstanding_obligations`) and the
inspection checks (``lifecycle.restore_drill``, ``lifecycle.emergency_drill``) both use.

Each is due once per **calendar year in Beijing**: a successful restore drill and an emergency drill held on or
after 1 January (Beijing) of the current year. A year-end inspection asks "this year?", so the dashboard asks the
same question; a sliding window of 183 or 365 days would say "done" to a drill the year-end check refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.clock import CHINA, today_in_china
from edudata.lifecycle.models import Drill, RestoreDrill

PERIOD_ZH, PERIOD_EN = "每个自然年（北京时间）至少一次", "at least once each calendar year (Beijing time)"


@dataclass(frozen=True)
class DrillStatus:
    kind: str  # restore | emergency
    year: int
    last: date | None  # the Beijing day of the latest one this year, None when due

    @property
    def due(self) -> bool:
        return self.last is None


def year_start(now: datetime) -> datetime:
    """1 January, 00:00 in Beijing, of the year ``now`` falls in there (as the inspection has always asked)."""
    return datetime.combine(date(today_in_china(now).year, 1, 1), time.min, CHINA)


def restore_drill(session: Session, now: datetime) -> DrillStatus:
    """The year's successful restore drill, if any."""
    finished = session.scalar(
        select(RestoreDrill.finished_at)
        .where(RestoreDrill.ok.is_(True), RestoreDrill.finished_at >= year_start(now))
        .order_by(RestoreDrill.finished_at.desc())
        .limit(1)
    )
    last = (
        None
        if finished is None
        else today_in_china(finished if finished.tzinfo else finished.replace(tzinfo=UTC))
    )
    return DrillStatus("restore", today_in_china(now).year, last)


def emergency_drill(session: Session, now: datetime) -> DrillStatus:
    """The year's emergency drill (held on a Beijing day of this year), if any."""
    year = today_in_china(now).year
    held = session.scalar(
        select(Drill.held_on).where(Drill.held_on >= date(year, 1, 1)).order_by(Drill.held_on.desc()).limit(1)
    )
    return DrillStatus("emergency", year, held)
