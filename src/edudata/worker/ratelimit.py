"""Token buckets shared by every app server (Art. 58 防止数据被恶意使用): one bucket per key or address, held
in the database's ``rate_bucket`` table, so with two or more ``edudata serve`` processes behind a load balancer
the configured limit holds for the deployment, not per process.

One short transaction per request on its own connection: the bucket's row is locked (``FOR UPDATE``), refilled
by the time passed, and one token taken when there is one. On SQLite there is one app server, and the
per-process buckets of :mod:`edudata.opendata.ratelimit` are used instead.
"""

from __future__ import annotations

import time

from sqlalchemy import delete, text
from sqlalchemy.orm import Session

from edudata.db import Database
from edudata.worker.models import RateBucket

IDLE_SECONDS = 86_400  # a bucket untouched for a day is full again: its row can go


class SharedBuckets:
    """The :class:`edudata.opendata.ratelimit.TokenBuckets` interface, over the database (PostgreSQL)."""

    def __init__(self, database: Database, burst: int, per_second: float) -> None:
        self.database, self.burst, self.per_second = database, burst, per_second

    def take(self, name: str, now: float | None = None) -> float:
        """Take one token from ``name``'s bucket; 0.0 when granted, else the seconds until one is back."""
        now = time.time() if now is None else now
        name = name[:200]
        with self.database.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO rate_bucket (name, tokens, at) VALUES (:n, :b, :t) ON CONFLICT (name) DO NOTHING"
                ),
                {"n": name, "b": float(self.burst), "t": now},
            )
            tokens, at = conn.execute(
                text("SELECT tokens, at FROM rate_bucket WHERE name = :n FOR UPDATE"), {"n": name}
            ).one()
            tokens = min(float(self.burst), tokens + max(now - at, 0.0) * self.per_second)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / self.per_second
            conn.execute(
                text("UPDATE rate_bucket SET tokens = :k, at = :t WHERE name = :n"),
                {"k": tokens, "t": max(now, at), "n": name},
            )
        return wait


def forget_idle(session: Session, now: float | None = None) -> int:
    """Retention: remove buckets nobody used for a day (they would be full anyway)."""
    cutoff = (time.time() if now is None else now) - IDLE_SECONDS
    return session.execute(delete(RateBucket).where(RateBucket.at < cutoff)).rowcount or 0
