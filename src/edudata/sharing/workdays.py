"""Working days for review deadlines (Art. 64(2)): Chinese public holidays and their make-up working days
(调休) from the ``chinesecalendar`` package, which follows the State Council's yearly notice.

The package knows only the years it ships (:data:`KNOWN_YEARS`; the notice for the next year comes out each
November). For any other year the platform counts Monday to Friday as working days, logs a warning once per year,
and :func:`calendar_note` gives the bilingual sentence pages and the API show beside a deadline counted that way,
so the office knows the day is provisional until the package is updated (``docs/sharing.md``).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

import chinese_calendar
from chinese_calendar.constants import holidays as _holidays
from chinese_calendar.constants import workdays as _workdays

DEFAULT_REVIEW_DAYS = 5
log = logging.getLogger(__name__)

# The years the installed chinesecalendar has the State Council's notice for (2004 to its last year).
KNOWN_YEARS = range(min(_holidays).year, max(max(_holidays), max(_workdays)).year + 1)
_warned: set[int] = set()


def holiday_data_covers(day: date) -> bool:
    """True when the public holidays of ``day``'s year are known; otherwise weekdays stand in for working days."""
    return day.year in KNOWN_YEARS


def calendar_note(due: date) -> tuple[str, str] | None:
    """The bilingual note for a deadline counted without holiday data (its year is not known), else None.

    Deadlines run forward from a known year, so only the deadline's own year can be the unknown one."""
    if holiday_data_covers(due):
        return None
    return (
        f"{due.year} 年的法定节假日安排尚未收录，暂按周一至周五计算工作日，截止日期为暂定；"
        "请更新 chinesecalendar 以采用国务院办公厅的放假通知",
        f"the public holidays of {due.year} are not known yet, so working days are counted as Monday to Friday and "
        "the deadline is provisional; update chinesecalendar to follow the State Council's holiday notice",
    )


def is_working_day(day: date) -> bool:
    """True on a working day: not a weekend unless it is a make-up day, never a public holiday.

    For a year without holiday data: Monday to Friday (and a warning in the log, once per year)."""
    if not holiday_data_covers(day):
        if day.year not in _warned:
            _warned.add(day.year)
            log.warning("no holiday data for %s: counting Monday-Friday as working days", day.year)
        return day.weekday() < 5
    return bool(chinese_calendar.is_workday(day))


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (the day a review opens does not count)."""
    day = start
    left = days
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end`` is not later)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count
