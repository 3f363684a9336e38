"""Token buckets in Redis, shared by every app server (Art. 58 防止数据被恶意使用), for deployments that run one.

Same interface and arithmetic as :class:`edudata.worker.ratelimit.SharedBuckets` (the PostgreSQL buckets), but one
round trip to Redis instead of a database transaction: a Lua script refills and takes a token atomically on the
server, so concurrent requests from several ``edudata serve`` processes cannot both take the last token. The
bucket's clock is Redis's own (``TIME``), so app servers with drifting clocks still share one refill rate. A bucket
expires once it would be full again, so Redis holds only the buckets in use.

Redis down is a refusal, not an open door: the caller gets 503 (deny when unsure), never an unlimited portal.
"""

from __future__ import annotations

import redis

from edudata.errors import ServiceUnavailable

# KEYS[1] bucket; ARGV: burst, tokens per second, now (seconds, optional: tests drive the clock).
_TAKE = """
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(now - at, 0) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(math.max(now, at)))
redis.call('EXPIRE', KEYS[1], math.ceil((burst - tokens) / rate) + 1)
return tostring(wait)
"""


class RedisBuckets:
    """The :class:`edudata.opendata.ratelimit.TokenBuckets` interface, over Redis."""

    def __init__(self, url: str, burst: int, per_second: float, prefix: str = "edudata:") -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
        self.burst, self.per_second, self.prefix = burst, per_second, prefix + "rate:"
        self._take = self.client.register_script(_TAKE)

    def take(self, name: str, now: float | None = None) -> float:
        """Take one token from ``name``'s bucket; 0.0 when granted, else the seconds until one is back."""
        args = [self.burst, self.per_second] + ([] if now is None else [repr(now)])
        try:
            return float(self._take(keys=[self.prefix + name[:200]], args=args))
        except redis.RedisError as exc:
            raise ServiceUnavailable(
                "限速服务暂时不可用，请稍后重试", "the rate-limit service is unavailable; retry later"
            ) from exc
