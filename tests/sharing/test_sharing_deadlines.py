"""Review deadlines in working days with Chinese public holidays, and the overdue flag (Art. 64(2)).

The holiday cases freeze the clock (``support.clock.frozen``) on days of a year chinesecalendar knows: the
dates inside those blocks are historical facts of the State Council's 2026 holiday notice, not dates that must
stay in the future.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from edudata.sharing.workdays import KNOWN_YEARS, add_working_days, calendar_note, holiday_data_covers
from support import clock
from support.sharing import apply, sign_and_submit
from support.students import PASSWORD

OVERDUE = "/api/v1/sharing/reviews/overdue"
REMIND = "/api/v1/sharing/reviews/remind"


def _first_friday(year: int) -> date:
    day = date(year, 3, 1)
    return day + timedelta(days=(4 - day.weekday()) % 7)


def test_five_working_days_skip_the_national_day_holiday_and_count_its_make_up_saturday() -> None:
    # 国庆 2026: 1-7 October off, Saturday 10 October worked (调休).
    assert add_working_days(date(2026, 9, 28), 5) == date(2026, 10, 10)


def test_a_year_without_holiday_data_falls_back_to_weekdays_and_says_so() -> None:
    unknown = KNOWN_YEARS.stop  # the first year after the last one the installed chinesecalendar ships
    friday = _first_friday(unknown)
    assert holiday_data_covers(date(KNOWN_YEARS.stop - 1, 6, 1)) and not holiday_data_covers(friday)
    assert add_working_days(friday, 5) == friday + timedelta(days=7)  # Monday to Friday, no holidays
    zh, en = calendar_note(friday)
    assert f"{unknown} 年的法定节假日安排尚未收录" in zh and "周一至周五" in zh and "暂定" in zh
    assert f"public holidays of {unknown} are not known" in en and "Monday to Friday" in en
    assert calendar_note(date(KNOWN_YEARS.stop - 1, 6, 1)) is None


UNKNOWN_FRIDAY = _first_friday(KNOWN_YEARS.stop)


def _submitted(http: httpx.Client, lib: dict) -> dict:
    """The library applies and submits now (the frozen day); the application as the applicant sees it."""
    app = apply(http, lib)
    sign_and_submit(http, lib, app["id"])
    return http.get(f"/api/v1/sharing/applications/{app['id']}", headers=lib).json()


@pytest.mark.frozen_clock(clock.beijing(UNKNOWN_FRIDAY.year, UNKNOWN_FRIDAY.month, UNKNOWN_FRIDAY.day))
def test_a_review_due_in_an_unknown_year_carries_the_note_in_the_api_and_on_the_page(
    http: httpx.Client, world: dict
) -> None:
    seen = _submitted(http, world["h"]["lib"])
    [review] = seen["reviews"]
    assert review["due_on"] == (UNKNOWN_FRIDAY + timedelta(days=7)).isoformat()
    assert review["due_note"][0].startswith(f"{UNKNOWN_FRIDAY.year} 年的法定节假日安排尚未收录")
    assert "Monday to Friday" in review["due_note"][1]
    page = http.get(
        f"/sharing/applications/{seen['id']}", headers={**world["h"]["lib"], "accept": "text/html"}
    )
    assert page.status_code == 200 and "暂按周一至周五计算工作日" in page.text


@pytest.mark.frozen_clock(clock.beijing(2026, 9, 28))  # Monday 28 September 2026, before 国庆节
def test_a_review_opened_before_national_day_is_due_after_it_and_reminded_only_then(
    http: httpx.Client, world: dict, accounts, frozen_clock
) -> None:  # noqa: ANN001
    """The frozen clock reaches the live server: the review opens on the frozen day and is judged on later ones."""
    seen = _submitted(http, world["h"]["lib"])
    # Five weekdays would have ended on 5 October; the holiday moves the deadline to Saturday 10 October.
    assert [(r["due_on"], r["due_note"]) for r in seen["reviews"]] == [("2026-10-10", None)]
    frozen_clock.move_to(
        clock.beijing(2026, 10, 9)
    )  # days later: yesterday's token has expired, sign in again
    office = accounts.headers("office", password=PASSWORD)
    assert http.get(OVERDUE, headers=office).json()["items"] == []
    assert http.post(REMIND, headers=office).json()["overdue"] == 0
    frozen_clock.move_to(clock.beijing(2026, 10, 12))
    office = accounts.headers("office", password=PASSWORD)
    listed = http.get(OVERDUE, headers=office).json()["items"]
    assert [(r["application_id"], r["overdue"]) for r in listed] == [(seen["id"], True)]
    # Reading the list is safe (no flag, no message); the explicit reminder action sends it.
    inbox = http.get("/api/v1/sharing/inbox", headers=office).json()
    assert not any(n["kind"] == "review_overdue" for n in inbox["notifications"])
    assert http.post(REMIND, headers=office).json()["overdue"] == 1
    inbox = http.get("/api/v1/sharing/inbox", headers=office).json()
    assert any(n["kind"] == "review_overdue" for n in inbox["notifications"])


# 春节 2026: 15-23 February off; Saturdays 14 and 28 February worked (调休).
@pytest.mark.frozen_clock(clock.beijing(2026, 2, 12, hour=15))
def test_a_review_opened_before_the_spring_festival_counts_its_make_up_saturday(
    http: httpx.Client, world: dict
) -> None:
    # Opened Thursday 12 February: the five working days are 13, 14 (Saturday), 24, 25 and 26 February.
    assert [r["due_on"] for r in _submitted(http, world["h"]["lib"])["reviews"]] == ["2026-02-26"]


@pytest.mark.frozen_clock(clock.beijing(2026, 2, 13, hour=7, minute=30))
def test_the_day_a_review_opens_is_the_beijing_day_not_the_server_s(http: httpx.Client, world: dict) -> None:
    # 07:30 on Friday 13 February in Beijing is still Thursday 12 February in UTC: the count starts on the 13th.
    assert [r["due_on"] for r in _submitted(http, world["h"]["lib"])["reviews"]] == ["2026-02-27"]


def test_an_applicant_cannot_list_overdue_reviews(http: httpx.Client, world: dict) -> None:
    assert http.get(OVERDUE, headers=world["h"]["lib"]).status_code == 403


def test_only_the_office_sends_reminders(http: httpx.Client, world: dict) -> None:
    assert http.post(REMIND, headers=world["h"]["lib"]).status_code == 403


def test_the_cli_flags_and_lists_overdue_reviews(http: httpx.Client, world: dict, settings) -> None:  # noqa: ANN001
    app = apply(http, world["h"]["lib"])
    sign_and_submit(http, world["h"]["lib"], app["id"])
    env = {**os.environ, "EDUDATA_DATABASE_URL": settings.resolved_database_url(),
           "EDUDATA_DATA_DIR": str(settings.data_dir), "COLUMNS": "200"}  # fmt: skip
    exe = Path(sys.executable).with_name("edudata")
    later = clock.iso(60)  # well past the five working days of a review opened today
    out = subprocess.run([str(exe), "sharing", "overdue", "--today", later], capture_output=True, text=True,
                         env=env, timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"#{app['id']}" in out.stdout and "newly flagged: 1" in out.stdout
