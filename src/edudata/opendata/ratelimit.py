"""Rate limits of the public portal (Art. 58 防止数据被恶意使用): a token bucket per key and per address.

A request costs one token; tokens come back at ``opendata_rate_per_second`` up to ``opendata_rate_burst``; an
empty bucket answers 429 with ``Retry-After``. On SQLite (one app server) the buckets below live in the
process; on PostgreSQL they live in the database (:mod:`edudata.worker.ratelimit`), so the limit holds across
every app server of the deployment (docs/deployment.md).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from edudata.errors import RateLimited

MAX_BUCKETS = 100_000


@dataclass
class _Bucket:
    tokens: float
    at: float


class TokenBuckets:
    def __init__(self, burst: int, per_second: float) -> None:
        self.burst, self.per_second = burst, per_second
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, name: str, now: float | None = None) -> float:
        """Take one token from ``name``'s bucket; 0.0 when granted, else the seconds until one is back."""
        now = time.monotonic() if now is None else now
        with self._lock:
            bucket = self._buckets.get(name)
            if bucket is None:
                if len(self._buckets) >= MAX_BUCKETS:  # forget the fullest (least recently seen) buckets
                    self._buckets = {
                        k: b for k, b in self._buckets.items() if now - b.at < self.burst / self.per_second
                    }
                bucket = self._buckets[name] = _Bucket(float(self.burst), now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.per_second)
            bucket.at = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0.0
            return (1 - bucket.tokens) / self.per_second


def check(buckets: TokenBuckets, name: str) -> None:
    wait = buckets.take(name)
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise RateLimited(
            f"请求过于频繁，请 {seconds} 秒后重试（开放数据访问限速）",
            f"too many requests; retry in {seconds} s (open-data rate limit)",
            retry_after=seconds,
        )
