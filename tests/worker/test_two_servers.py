"""A deployment of two ``edudata serve`` processes and one ``edudata worker`` on one PostgreSQL (issue 19, item
5; docs/deployment.md): clients spread over both servers; the portal's rate limit holds across both; their
audit records form one log with one sequence, integrated by the worker; mail queued on either is sent by it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from edudata.audit.models import AuditRecord
from edudata.audit.verify import verify_log
from edudata.config import Settings
from edudata.db import Database
from support.mail import Catcher

BURST = 10


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(settings: Settings, smtp_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "EDUDATA_DATABASE_URL": settings.resolved_database_url(),
        "EDUDATA_DATA_DIR": str(settings.data_dir),
        "EDUDATA_MASTER_KEY_FILE": str(settings.resolved_master_key_file()),
        "EDUDATA_CONFIG_FILE": "/nonexistent",
        "EDUDATA_OPENDATA_RATE_BURST": str(BURST),
        "EDUDATA_OPENDATA_RATE_PER_SECOND": "0.01",  # one token back every 100 s: none during the test
        "EDUDATA_AUDIT_SEQUENCE_INTERVAL": "0",  # the servers only append; the worker sequences
        "EDUDATA_SMTP_PORT": str(smtp_port),
    }


def _edudata() -> str:
    return str(Path(sys.executable).with_name("edudata"))


def _wait_up(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 180  # a loaded machine starts the app slowly
    while True:
        try:
            httpx.get(f"{url}/api/v1/health", timeout=5)
            return
        except httpx.HTTPError:
            assert proc.poll() is None and time.monotonic() < deadline, "a server did not start"
            time.sleep(0.3)


@pytest.fixture
def deployment(db: Database, settings: Settings) -> Iterator[tuple[list[str], Catcher]]:
    assert not db.is_sqlite  # marked postgresql_only: several app servers share one PostgreSQL
    relay = Catcher()
    relay.controller.start()
    env = _env(settings, relay.port)
    ports = [_port(), _port()]
    procs = [subprocess.Popen([_edudata(), "serve", "--port", str(p)], env=env, stderr=subprocess.DEVNULL)
             for p in ports]  # fmt: skip
    procs.append(subprocess.Popen([_edudata(), "worker", "--poll", "0.3"], env=env, stderr=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL))  # fmt: skip
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    try:
        for url, proc in zip(urls, procs, strict=False):
            _wait_up(url, proc)
        yield urls, relay
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)
        relay.controller.stop()


@pytest.mark.postgresql_only
def test_two_servers_one_worker_share_limits_one_log_and_the_outbox(
    deployment: tuple[list[str], Catcher], db: Database, settings: Settings
) -> None:
    urls, relay = deployment
    clients = [httpx.Client(base_url=u, timeout=30) for u in urls]
    try:
        r = clients[1].post("/api/v1/open/register", json={"email": "wang.wu@example.org", "name": "王五",
                                                           "password": "Open-data-2026!"})  # fmt: skip
        assert r.status_code == 202, r.text
        answers = [clients[i % 2].get("/api/v1/open/datasets").status_code for i in range(2 * BURST + 6)]
        # One bucket for the address across both servers (the registration took one token): exactly the rest of
        # the burst answered, the others 429.
        assert answers.count(200) == BURST - 1 and answers.count(429) == BURST + 7
        assert {answers[i] for i in range(0, 2 * BURST + 6, 2)} >= {200, 429}  # each server refused some
        assert {answers[i] for i in range(1, 2 * BURST + 6, 2)} >= {200, 429}
        # Refused logins on both servers: audit records appended by two processes.
        for i in range(10):
            r = clients[i % 2].post(
                "/api/v1/auth/token", json={"username": f"nobody{i}", "password": "x" * 12}
            )
            assert r.status_code == 401
    finally:
        for c in clients:
            c.close()
    deadline = time.monotonic() + 120
    while True:  # the worker integrates what both servers appended, and sends the mail
        with db.session() as s:
            pending = s.scalar(select(func.count()).where(AuditRecord.leaf.is_(None)))
        if pending == 0 and relay.to("wang.wu@example.org"):
            break
        assert time.monotonic() < deadline, f"the worker left {pending} records pending or the mail unsent"
        time.sleep(0.3)
    with db.session() as s:
        seqs = list(s.scalars(select(AuditRecord.seq).order_by(AuditRecord.seq)))
        leaves = sorted(s.scalars(select(AuditRecord.leaf)))
        logins = s.scalar(select(func.count()).where(AuditRecord.username.like("nobody%")))
        report = verify_log(s, settings)
    assert logins == 10
    assert len(seqs) == len(set(seqs)) and leaves == list(
        range(leaves[0], leaves[0] + len(leaves))
    )  # one sequence
    assert report.ok, report
