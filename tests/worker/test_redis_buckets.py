"""The portal's rate limit in Redis (issue 19, item 5; docs/deployment.md): with ``EDUDATA_REDIS_URL`` set, every app
server takes tokens from one bucket per address or key, atomically; Redis down is a 503, never an open portal."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator

import httpx
import pytest
import redis

from edudata.api.app import create_app
from edudata.config import Settings
from edudata.db import Database
from edudata.errors import ServiceUnavailable
from edudata.worker.redis_buckets import RedisBuckets
from support.server import LiveServer

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test alone (parallel workers share the Redis server); its keys removed after."""
    name = f"edudata-test:{uuid.uuid4().hex}:"
    yield name
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=name + "*"))
    if keys:
        client.delete(*keys)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_servers_concurrent_takes_never_exceed_the_burst(prefix: str) -> None:
    servers = [RedisBuckets(REDIS_URL, 20, 0.001, prefix) for _ in range(2)]  # two app servers' clients
    granted: list[float] = []
    lock = threading.Lock()

    def hammer(buckets: RedisBuckets) -> None:
        for _ in range(25):
            wait = buckets.take("addr:10.0.0.7")
            with lock:
                granted.append(wait)

    threads = [threading.Thread(target=hammer, args=(servers[i % 2],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(granted) == 200
    assert granted.count(0.0) == 20  # exactly the burst, across both servers and eight threads
    assert all(w > 0 for w in granted if w != 0.0)
    assert servers[0].take("addr:10.0.0.8") == 0.0  # another address has its own bucket


def test_tokens_come_back_at_the_rate_and_idle_buckets_expire(prefix: str) -> None:
    buckets = RedisBuckets(REDIS_URL, 2, 0.5, prefix)  # one token back every 2 s
    assert [buckets.take("key:k1", now=1000.0) for _ in range(2)] == [0.0, 0.0]
    assert buckets.take("key:k1", now=1000.0) == pytest.approx(2.0)
    assert buckets.take("key:k1", now=1001.0) == pytest.approx(1.0)  # half a token back: one more second
    assert buckets.take("key:k1", now=1002.0) == 0.0
    ttl = buckets.client.ttl(prefix + "rate:key:k1")
    assert 0 < ttl <= 5  # gone once it would be full again (2 tokens at 0.5/s: 4 s) plus a second


def test_unreachable_redis_is_refused_not_unlimited(prefix: str) -> None:
    buckets = RedisBuckets(f"redis://127.0.0.1:{_closed_port()}/0", 5, 1.0, prefix)
    with pytest.raises(ServiceUnavailable) as err:
        buckets.take("addr:10.0.0.9")
    assert err.value.zh and err.value.en and err.value.status == 503


def test_two_app_servers_share_the_portal_limit_in_redis(
    settings: Settings, database: Database, db: Database, prefix: str
) -> None:
    changes = {"redis_url": REDIS_URL, "redis_key_prefix": prefix, "opendata_rate_burst": 4,
               "opendata_rate_per_second": 0.01}  # fmt: skip
    servers = [LiveServer(create_app(settings.model_copy(update=changes), db=database)) for _ in range(2)]
    down = LiveServer(create_app(settings.model_copy(update={**changes, "redis_url": f"redis://127.0.0.1:"
                                                              f"{_closed_port()}/0"}), db=database))  # fmt: skip
    for s in [*servers, down]:
        s.start()
    try:
        answers = []
        for i in range(10):
            r = httpx.get(f"{servers[i % 2].url}/api/v1/open/datasets", timeout=30)
            answers.append(r.status_code)
        refused = httpx.get(f"{down.url}/api/v1/open/datasets", timeout=30)
    finally:
        for s in [*servers, down]:
            s.stop()
    assert answers[:4] == [200, 200, 200, 200] and answers[4:] == [429] * 6  # one bucket across both servers
    assert refused.status_code == 503
    body = refused.json()
    assert body["code"] == "service-unavailable" and body["detail_zh"] and body["detail_en"]
    assert "Traceback" not in refused.text
