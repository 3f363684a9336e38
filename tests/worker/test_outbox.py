"""The mail outbox (issue 19, item 5): a mail is a row of the change's own transaction, sent by the worker after
the commit, retried with backoff, never inline in a request."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from edudata.config import Settings
from edudata.db import Database, utcnow
from edudata.worker.models import MailOutbox
from edudata.worker.outbox import MAX_ATTEMPTS, backoff, enqueue, send_due
from support.mail import Catcher, free_port


@pytest.fixture(scope="module")
def relay() -> Iterator[Catcher]:
    catcher = Catcher()
    catcher.controller.start()
    yield catcher
    catcher.controller.stop()


def _queue(db: Database, n: int = 1, commit: bool = True) -> None:
    with db.session() as s:
        for i in range(n):
            enqueue(s, sender="edudata@tjufe.edu.cn", to=f"u{i}@tjufe.edu.cn", subject=f"第 {i} 封 / mail {i}",
                    body="验证链接 https://data.tjufe.edu.cn/open/verify?token=secret")  # fmt: skip
        if commit:
            s.commit()


def _rows(db: Database) -> list[MailOutbox]:
    with db.session() as s:
        return list(s.scalars(select(MailOutbox).order_by(MailOutbox.id)))


def test_a_rolled_back_change_leaves_no_mail(db: Database) -> None:
    _queue(db, 2, commit=False)
    assert _rows(db) == []


def test_committed_mail_is_sent_by_the_worker_and_its_secret_body_cleared(
    db: Database, settings: Settings, relay: Catcher
) -> None:
    relay.reset()
    _queue(db, 3)
    assert relay.sent() == [] and {r.state for r in _rows(db)} == {"pending"}  # nothing inline
    assert send_due(db, settings.model_copy(update={"smtp_port": relay.port})) == 3
    assert relay.recipients() == ["u0@tjufe.edu.cn", "u1@tjufe.edu.cn", "u2@tjufe.edu.cn"]
    rows = _rows(db)
    assert {r.state for r in rows} == {"sent"} and all(r.body == "" and r.sent_at for r in rows)
    assert send_due(db, settings.model_copy(update={"smtp_port": relay.port})) == 0  # each is sent once


def test_a_relay_that_is_down_is_retried_with_growing_waits_then_given_up(
    db: Database, settings: Settings, relay: Catcher
) -> None:
    relay.reset()
    _queue(db, 1)
    dead = settings.model_copy(update={"smtp_port": free_port()})
    now = utcnow()
    assert send_due(db, dead, now=now) == 0
    (row,) = _rows(db)
    assert row.state == "pending" and row.attempts == 1 and row.last_error
    wait = row.next_attempt_at.replace(tzinfo=now.tzinfo) - now
    assert timedelta(seconds=55) < wait <= timedelta(seconds=65)  # the first wait: a minute
    assert (
        send_due(db, dead, now=now + timedelta(seconds=30)) == 0 and _rows(db)[0].attempts == 1
    )  # not yet due
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 20)] == [60, 120, 240, 6 * 3600]
    at = now
    for _ in range(MAX_ATTEMPTS - 1):
        at += timedelta(hours=7)
        send_due(db, dead, now=at)
    (row,) = _rows(db)
    assert row.state == "failed" and row.attempts == MAX_ATTEMPTS
    relay.reset()
    assert (
        send_due(db, settings.model_copy(update={"smtp_port": relay.port}), now=at + timedelta(days=1)) == 0
    )
    assert relay.sent() == []  # given up is final


def test_the_relay_back_up_delivers_what_waited(db: Database, settings: Settings, relay: Catcher) -> None:
    relay.reset()
    _queue(db, 2)
    now = utcnow()
    send_due(db, settings.model_copy(update={"smtp_port": free_port()}), now=now)
    assert (
        send_due(db, settings.model_copy(update={"smtp_port": relay.port}), now=now + timedelta(minutes=2))
        == 2
    )
    assert len(relay.sent()) == 2


def test_registration_on_the_portal_does_not_wait_on_a_dead_relay(
    db: Database,
    settings: Settings,
    server,
    relay: Catcher,  # noqa: ANN001
) -> None:
    """The default test server's relay (port 25 on loopback) is not there: the registration still succeeds at
    once, its verification mail waits in the outbox, and the worker sends it once a relay answers."""
    relay.reset()
    with httpx.Client(base_url=server.url, timeout=30) as client:
        r = client.post("/api/v1/open/register", json={"email": "zhang.san@example.org", "name": "张三",
                                                       "password": "Open-data-2026!"})  # fmt: skip
    assert r.status_code == 202, r.text
    (row,) = _rows(db)
    assert row.recipient == "zhang.san@example.org" and row.state == "pending" and "token=" in row.body
    assert send_due(db, settings.model_copy(update={"smtp_port": relay.port})) == 1
    assert "/open/verify?token=" in relay.to("zhang.san@example.org")[0].get_payload(decode=True).decode()


def test_mail_claimed_by_a_worker_that_died_is_sent_after_its_lease(
    db: Database, settings: Settings, relay: Catcher
) -> None:
    """A worker killed between claiming and sending leaves the rows pending: none is lost, and the next worker
    takes them once the lease has run out (a mail may go twice, never not at all)."""
    import subprocess
    import sys

    relay.reset()
    _queue(db, 3)
    # A real process claims the batch and dies with SIGKILL before sending anything.
    script = (
        "import os, signal, sys\n"
        "from edudata.db import Database\n"
        "from edudata.worker.outbox import _claim\n"
        "from edudata.db import utcnow\n"
        "print(_claim(Database(sys.argv[1]), 200, utcnow()), flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, settings.resolved_database_url()], capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == -9 and done.stdout.strip().startswith("[")
    rows = _rows(db)
    assert {r.state for r in rows} == {"pending"} and {r.attempts for r in rows} == {1}
    live = settings.model_copy(update={"smtp_port": relay.port})
    assert send_due(db, live) == 0  # still leased to the dead worker
    assert send_due(db, live, now=utcnow() + timedelta(minutes=6)) == 3
    assert len(relay.sent()) == 3
