"""Six months of Art. 30 are calendar months in Beijing time, not 180 days: the boundary on both sides."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from edudata.audit.models import AuditRecord
from edudata.audit.retention import RetentionNotReached, latest_cutoff, months_before, purge
from edudata.audit.service import record_many
from edudata.config import Settings
from edudata.db import Database
from support import clock

TODAY = clock.beijing(2026, 8, 31, 10)  # 183 days after 1 March: 180 days would allow what six months forbid


def _made_at(db: Database, at: datetime, username: str) -> None:
    with db.session() as s:
        record_many(s, [{"operation": "query", "username": username}], at=at)
        s.commit()


def _usernames(db: Database) -> set[str]:
    with db.session() as s:
        return set(s.scalars(select(AuditRecord.username)))


def test_calendar_months_clamp_to_the_end_of_a_shorter_month() -> None:
    assert months_before(TODAY.date(), 6).isoformat() == "2026-02-28"
    assert months_before(clock.beijing(2028, 8, 31).date(), 6).isoformat() == "2028-02-29"
    assert months_before(clock.beijing(2027, 1, 15).date(), 6).isoformat() == "2026-07-15"


@pytest.mark.frozen_clock(TODAY)
def test_a_record_of_five_months_and_thirty_days_is_refused_for_purge(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    five_months_thirty_days = clock.beijing(2026, 3, 31, 12) - timedelta(days=30)  # 1 March
    _made_at(db, five_months_thirty_days, "young")
    with db.session() as s, pytest.raises(RetentionNotReached) as refused:
        purge(s, five_months_thirty_days.date() + timedelta(days=1), tmp_path / "a.zip", settings=settings)
    assert "自然月" in refused.value.zh and "2026-02-28" in refused.value.zh
    assert "young" in _usernames(db) and not (tmp_path / "a.zip").exists()


@pytest.mark.frozen_clock(TODAY)
def test_a_record_of_six_calendar_months_and_a_day_may_go_and_the_day_counts_in_beijing(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    _made_at(db, clock.beijing(2026, 2, 27, 23, 50), "six-months-and-a-day")
    # 00:30 on 28 February in Beijing is still 27 February in UTC: exactly six months old, it stays.
    _made_at(db, clock.beijing(2026, 2, 28, 0, 30), "six-months")
    assert latest_cutoff().isoformat() == "2026-02-28"
    with db.session() as s:
        result = purge(s, latest_cutoff(), tmp_path / "a.zip", settings=settings)
        s.commit()
    assert result.removed == 1
    assert "six-months-and-a-day" not in _usernames(db) and "six-months" in _usernames(db)


@pytest.mark.frozen_clock(TODAY)
def test_the_api_and_the_page_state_todays_boundary(http: httpx.Client, accounts) -> None:  # noqa: ANN001
    accounts.create("aud-months", roles=("auditor",), unit_code="0002")
    headers = accounts.headers("aud-months")
    body = http.get("/api/v1/audit/retention", headers=headers).json()
    assert (body["today"], body["latest_cutoff"], body["months"]) == ("2026-08-31", "2026-02-28", 6)
    page = http.get("/audit", headers=headers)
    assert page.status_code == 200 and "2026-02-28" in page.text and "自然月" in page.text
