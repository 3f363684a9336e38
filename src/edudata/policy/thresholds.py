"""The statutory person-count thresholds of Art. 50, defined once for the sharing gate, the inspection and the
privacy register and dashboards.

The regulation's 以上 includes the number itself: exactly 200,000 people reaches the threshold (``>=``). The office
may set a lower threshold for its own gate (stricter), never a higher one: :func:`effective` takes the lower of
the two, whatever a stored setting says.
"""

from __future__ import annotations

#: 20 万人以上: sharing needs the city education commissions' approval; a PI-protection officer and a filing.
LARGE_SCALE_PEOPLE = 200_000
#: 100 万人以上: the system's protection level is 3 or higher.
VERY_LARGE_SCALE_PEOPLE = 1_000_000


def reaches(people: int | None, threshold: int) -> bool:
    """Does a count of ``people`` reach ``threshold`` (以上: inclusive)?"""
    return people is not None and people >= threshold


def effective(statutory: int, configured: int | None) -> int:
    """The threshold in force: the office's own when lower (stricter), else the statutory one."""
    if configured is None or configured <= 0:
        return statutory
    return min(statutory, configured)
