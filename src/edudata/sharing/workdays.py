"""Working days for review deadlines (Art. 64(2)): Chinese public holidays and their make-up working days
(调休) from the ``chinesecalendar`` package, which follows the State Council's yearly notice.

A year the package has no data for yet (the notice comes out each November) falls back to Monday-Friday, and
:func:`holiday_data_covers` says so, so a deadline reaching into such a year is shown as provisional.
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar

DEFAULT_REVIEW_DAYS = 5


def holiday_data_covers(day: date) -> bool:
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def is_working_day(day: date) -> bool:
    """True on a working day: not a weekend unless it is a make-up day, never a public holiday."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


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
