"""Update frequency (数据同步频率, Art. 48): a named frequency from the code set or an ISO 8601 duration.

Stored as the name (or the duration text) plus the interval in seconds, which ingest uses to flag stale data.
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from edudata.catalog.codesets import get_version
from edudata.errors import ValidationFailed

_DURATION = re.compile(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?")
MIN_SECONDS = 60
MAX_SECONDS = 5 * 366 * 86400


def parse_duration(text: str) -> int | None:
    """Seconds of an ISO 8601 duration in weeks, days, hours, minutes, seconds (``P1D``, ``PT15M``); None if
    it is not one. Years and months are refused: their length varies, use ``yearly`` / ``monthly``."""
    m = _DURATION.fullmatch(text)
    if not m or text in ("P", "PT") or text.endswith("T"):
        return None
    weeks, days, hours, minutes, seconds = (int(g) if g else 0 for g in m.groups())
    return (((weeks * 7 + days) * 24 + hours) * 60 + minutes) * 60 + seconds


def iso_duration(seconds: int) -> str:
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    out = "P" + (f"{days}D" if days else "")
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (f"{secs}S" if secs else "")
    return out + ("T" + clock if clock else ("" if days else "T0S"))


def resolve_frequency(session: Session, value: str | None) -> tuple[str, int]:
    """(stored name, seconds) for a frequency name of the current ``update_frequency`` code set or a duration."""
    text = (value or "daily").strip()
    for code in get_version(session, "update_frequency").codes:
        if code.value == text and code.active:
            return text, int((code.attributes or {}).get("seconds", 86400))
    seconds = parse_duration(text.upper()) if len(text) <= 16 else None
    if seconds is None or not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise ValidationFailed(
            "update_frequency：应为 realtime/hourly/daily/weekly/monthly/termly/yearly 之一，"
            "或 ISO 8601 时长（如 PT15M、P1D），介于 1 分钟与 5 年之间",
            "update_frequency: use realtime/hourly/daily/weekly/monthly/termly/yearly or an ISO 8601 duration "
            "(e.g. PT15M, P1D) between one minute and five years",
            field="update_frequency",
        )
    return text.upper(), seconds
