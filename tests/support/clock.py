"""The one place tests get their dates from, so the suite passes on any day it is run.

A test never writes a literal date that must stay in the future (or in the past): it asks for "today in Beijing",
"a period ending in N days" or "N working days after", derived from the clock at run time. A test that needs a
fixed calendar (the working days around 国庆 or 春节) freezes the clock — for the whole process, so the live
uvicorn server (a thread of the test process, ``support/server.py``) and any code reading ``edudata.clock`` see
the same instant:

- ``@pytest.mark.frozen_clock(clock.beijing(2026, 9, 28))`` freezes it before the test's fixtures run, so the
  database, its reference data (the published commitment text) and the accounts' tokens are made on that day;
  the test moves on with ``frozen_clock.move_to(clock.beijing(2026, 10, 12))``;
- :func:`frozen` freezes it inside a ``with`` block of a test that needs nothing made on the frozen day.

"Today" is computed here from the system clock and the Asia/Shanghai zone, independently of the app's own
``today_in_china``, so a test compares the app's notion of the day with a second one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from edudata.sharing.workdays import add_working_days

BEIJING = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """This instant, timezone-aware (UTC)."""
    return datetime.now(UTC)


def today() -> date:
    """Today's date in Beijing (the day the platform's rules count in)."""
    return datetime.now(BEIJING).date()


def days_from_today(days: int) -> date:
    """The Beijing date ``days`` from today (negative: in the past)."""
    return today() + timedelta(days=days)


def iso(days: int = 0) -> str:
    """``days_from_today(days)`` as ``YYYY-MM-DD``, as a form or JSON body carries it."""
    return days_from_today(days).isoformat()


def period_ending_in(days: int) -> dict[str, str]:
    """A period of use from today that ends ``days`` from today (the last day it may be used)."""
    return {"period_start": iso(0), "period_end": iso(days)}


def working_days_after(start: date, days: int) -> date:
    """The ``days``-th working day after ``start``, by the platform's own calendar (chinesecalendar)."""
    return add_working_days(start, days)


def end_of_day_utc(day: date) -> datetime:
    """The instant a Beijing day ends (the next midnight, +08:00) in UTC: when a grant for that day expires."""
    return datetime.combine(day + timedelta(days=1), time.min, BEIJING).astimezone(UTC)


def one_year_after(day: date) -> date:
    """The same day a year later; 29 February goes to 28 February (the off-duty year, Art. 53)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def beijing_at(days: int, hour: int, minute: int = 0) -> datetime:
    """The instant at ``hour:minute`` Beijing time on the day ``days`` from today (``isoformat`` ends +08:00)."""
    return datetime.combine(days_from_today(days), time(hour, minute), BEIJING)


def beijing(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """An instant given in Beijing time (for :func:`frozen`)."""
    return datetime(year, month, day, hour, minute, tzinfo=BEIJING)


@contextmanager
def frozen(at: datetime) -> Iterator[time_machine.Coordinates]:
    """Run the block as if it were ``at`` (aware), in every thread of the process; the clock keeps ticking
    from there so timeouts and token lifetimes behave as usual. ``.move_to(later)`` jumps on."""
    with time_machine.travel(at, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def frozen_clock(request: pytest.FixtureRequest) -> Iterator[time_machine.Coordinates | None]:
    """The clock of a test marked ``frozen_clock(at)``, set before its other function-scoped fixtures (autouse
    fixtures come first); None for every other test."""
    marker = request.node.get_closest_marker("frozen_clock")
    if marker is None:
        yield None
        return
    with frozen(marker.args[0]) as traveller:
        yield traveller


def without_faketime(env: dict[str, str]) -> dict[str, str]:
    """``env`` for a child process whose behaviour is timed waits, not dates, with libfaketime taken out.

    The suite is also run under Debian's ``faketime`` (a clock years on). libfaketime fakes the monotonic clock
    too, and a timed wait on it (``threading.Event.wait``, as in the audit sequencer's pause) then never returns,
    because the kernel measures the deadline on the real clock; with the monotonic clock left real,
    ``time.sleep`` fails instead. A child such as ``edudata serve`` whose test is about a background thread's
    timing therefore runs on the real clock; the test process keeps the moved one.
    """
    child = {k: v for k, v in env.items() if not k.startswith("FAKETIME")}
    preload = [p for p in env.get("LD_PRELOAD", "").split(":") if p and "faketime" not in p]
    if preload:
        child["LD_PRELOAD"] = ":".join(preload)
    else:
        child.pop("LD_PRELOAD", None)
    return child
