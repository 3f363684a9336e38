"""Review deadlines in working days with Chinese public holidays, and the overdue flag (Art. 64(2))."""

from __future__ import annotations

from datetime import date

import httpx
from sqlalchemy import select

from edudata.db import Database
from edudata.sharing.models import ShareReview
from edudata.sharing.review import flag_overdue
from edudata.sharing.workdays import add_working_days, holiday_data_covers
from support.sharing import apply, sign_and_submit


def test_five_working_days_skip_the_national_day_holiday_and_count_its_make_up_saturday() -> None:
    assert add_working_days(date(2026, 9, 28), 5) == date(2026, 10, 10)


def test_a_year_without_holiday_data_falls_back_to_weekdays() -> None:
    assert not holiday_data_covers(date(2031, 1, 6))
    assert add_working_days(date(2031, 1, 3), 5) == date(2031, 1, 10)


def test_a_review_across_a_holiday_is_flagged_only_after_its_working_day_deadline(
    http: httpx.Client, world: dict, db: Database
) -> None:
    app = apply(http, world["h"]["lib"])
    sign_and_submit(http, world["h"]["lib"], app["id"])
    with db.session() as s:  # the review opened on Monday 28 September 2026, before 国庆节
        review = s.scalar(select(ShareReview).where(ShareReview.application_id == app["id"]))
        review.due_on = add_working_days(date(2026, 9, 28), 5)
        s.commit()
    with db.session() as s:
        # Five weekdays would have ended on 5 October; the holiday moves the deadline to 10 October.
        assert flag_overdue(s, today=date(2026, 10, 9)) == []
        assert [r.application_id for r in flag_overdue(s, today=date(2026, 10, 12))] == [app["id"]]
        s.commit()
    listed = http.get("/api/v1/sharing/reviews/overdue", headers=world["h"]["office"]).json()["reviews"]
    assert [(r["application_id"], r["overdue"]) for r in listed] == [(app["id"], True)]
    inbox = http.get("/api/v1/sharing/inbox", headers=world["h"]["office"]).json()
    assert any(n["kind"] == "review_overdue" for n in inbox["notifications"])


def test_an_applicant_cannot_list_overdue_reviews(http: httpx.Client, world: dict) -> None:
    assert http.get("/api/v1/sharing/reviews/overdue", headers=world["h"]["lib"]).status_code == 403


def test_the_cli_flags_and_lists_overdue_reviews(http: httpx.Client, world: dict, settings) -> None:  # noqa: ANN001
    import os
    import subprocess
    import sys
    from pathlib import Path

    app = apply(http, world["h"]["lib"])
    sign_and_submit(http, world["h"]["lib"], app["id"])
    env = {**os.environ, "EDUDATA_DATABASE_URL": settings.resolved_database_url(),
           "EDUDATA_DATA_DIR": str(settings.data_dir), "COLUMNS": "200"}  # fmt: skip
    exe = Path(sys.executable).with_name("edudata")
    out = subprocess.run([str(exe), "sharing", "overdue", "--today", "2027-06-01"], capture_output=True, text=True,
                         env=env, timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"#{app['id']}" in out.stdout and "newly flagged: 1" in out.stdout
