"""The platform's one clock: every domain asks here what time and what day it is.

- :func:`utcnow` is the instant (timezone-aware, stored as UTC everywhere);
- :func:`today_in_china` is the calendar day the rules count in. The regulation's days — a grant's period of use,
  a review's working days (Art. 64(2)), the off-duty year (Art. 53), retention's six months (Art. 30), a finding's
  rectification deadline — are the school's days, Beijing time, not the server's local date.

Nothing else in ``src/`` calls ``datetime.now`` or ``date.today``, so a test that freezes the clock (``time-machine``)
or moves the process clock (``faketime``) moves every domain at once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator

CHINA = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """Timezone-aware now; stored as UTC everywhere."""
    return datetime.now(UTC)


def today_in_china(now: datetime | None = None) -> date:
    """The calendar day in Beijing at ``now`` (default: this instant)."""
    return (now or utcnow()).astimezone(CHINA).date()


def aware(value: datetime) -> datetime:
    """``value`` with its UTC offset: SQLite hands back stored UTC instants without one."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


#: A response field holding an instant: always written with its offset (RFC 3339, as the OpenAPI schema says).
UtcDateTime = Annotated[datetime, AfterValidator(aware)]
