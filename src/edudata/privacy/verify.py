"""用而不存 — use without storing (Art. 51): answer whether a pair of values matches the authoritative record
(does this ID number belong to this name?) with yes or no only.

The caller learns one bit per call and nothing else: no value, no row count, no hint of which part differed.
Calls are rate-limited per account (``VERIFY_LIMIT`` per ``VERIFY_WINDOW``, counted in the database so every
app server shares the limit) and audited by the data path without the values asked.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select

from edudata.access import datapath
from edudata.audit import service as audit
from edudata.db import utcnow
from edudata.errors import RateLimited
from edudata.privacy.models import VerificationCall

VERIFY_LIMIT = 20
VERIFY_WINDOW = timedelta(minutes=1)


def admit(
    caller: datapath.Caller,
    ctx: datapath.Context,
    kind: str = "verify",
    limit: int = VERIFY_LIMIT,
    window: timedelta = VERIFY_WINDOW,
    what: tuple[str, str] = ("核验", "verifications"),
) -> None:
    """Count this call of ``kind`` against the caller's window, or refuse (429) and record the refusal.

    Counted in the database, so every app server shares one allowance per account (verify, estimate)."""
    session = ctx.session
    now = utcnow()
    since = now - window
    # Calls older than a day are of no use to the limit; the audit log keeps the history.
    session.execute(delete(VerificationCall).where(VerificationCall.at < now - timedelta(days=1)))
    recent = session.execute(
        select(func.count())
        .select_from(VerificationCall)
        .where(
            VerificationCall.account_id == caller.account_id,
            VerificationCall.kind == kind,
            VerificationCall.at >= since,
        )
    ).scalar_one()
    if recent >= limit:
        session.rollback()
        minutes = max(1, int(window.total_seconds() // 60))
        err = RateLimited(
            f"{what[0]}过于频繁：每 {minutes} 分钟最多 {limit} 次，请稍后再试",
            f"too many {what[1]}: at most {limit} in {minutes} minute(s); try again later",
            retry_after=int(window.total_seconds()),
        )
        audit.record_now(
            ctx.database,
            operation=kind,
            result="denied",
            account_id=caller.account_id,
            username=caller.username,
            unit_code=caller.unit_code,
            source_ip=caller.source_ip,
            request_id=ctx.request_id,
            detail={"reason": err.en},
        )
        err.audited = True  # type: ignore[attr-defined]
        raise err
    session.add(VerificationCall(account_id=caller.account_id, kind=kind, at=now))
    session.flush()


def verify(
    caller: datapath.Caller,
    ctx: datapath.Context,
    dataset_code: str,
    key: tuple[str, str],
    check: tuple[str, str],
) -> bool:
    """True when a record with ``key`` (element, value) also holds ``check`` (element, value)."""
    admit(caller, ctx)
    return datapath.verify_pair(caller, ctx, dataset_code, key, check)
