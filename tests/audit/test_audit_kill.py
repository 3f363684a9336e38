"""Processes killed with SIGKILL while appending and while sequencing lose no acknowledged record, and the tree
is consistent afterwards (Art. 30: every access recorded; Art. 59)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from edudata.audit.models import AuditRecord
from edudata.audit.sequencer import sequence_all
from edudata.audit.service import record_many
from edudata.audit.verify import verify_log
from edudata.config import Settings
from edudata.db import Database
from support import clock

APPENDER = """
import sys
from edudata.audit.service import record
from edudata.db import Database
db = Database(sys.argv[1])
i = 0
while True:
    i += 1
    with db.session() as s:
        record(s, operation="query", username=f"k{i}", row_count=i)
        s.commit()
    print(i, flush=True)  # acknowledged: committed
"""


def _env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "EDUDATA_DATABASE_URL": settings.resolved_database_url(),
        "EDUDATA_DATA_DIR": str(settings.data_dir),
    }


def _edudata() -> str:
    return str(Path(sys.executable).with_name("edudata"))


def _kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)


def _counts(db: Database) -> tuple[int, int]:
    with db.session() as s:
        done = s.scalar(select(func.count()).where(AuditRecord.leaf.is_not(None))) or 0
        pending = s.scalar(select(func.count()).where(AuditRecord.leaf.is_(None))) or 0
    return done, pending


def test_killed_appenders_and_sequencer_lose_no_acknowledged_record(db: Database, settings: Settings) -> None:
    env = _env(settings)
    appenders = [
        subprocess.Popen(
            [sys.executable, "-c", APPENDER, settings.resolved_database_url()],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    sequencer = subprocess.Popen(
        [_edudata(), "audit", "sequence", "--watch", "--interval", "0.05"], env=env, stderr=subprocess.DEVNULL
    )
    acked: list[set[int]] = [set(), set()]
    deadline = time.monotonic() + 60
    while min(len(a) for a in acked) < 30 or _counts(db)[0] == 0:  # both appending, the tree growing
        for proc, seen in zip(appenders, acked, strict=True):
            seen.add(int(proc.stdout.readline()))
        assert time.monotonic() < deadline, "the appenders or the sequencer made no progress"
    for proc in [*appenders, sequencer]:
        _kill(proc)  # mid-append, mid-batch: whatever each was doing
    for proc, seen in zip(appenders, acked, strict=True):
        seen.update(int(line) for line in proc.stdout.read().split())  # printed before the kill

    sequence_all(db, settings)
    with db.session() as s:
        rows = s.execute(select(AuditRecord.username, AuditRecord.leaf)).all()
        stored = {}
        for username, leaf in rows:
            stored.setdefault(username, []).append(leaf)
        result = verify_log(s, settings)
    for seen in acked:
        missing = [i for i in seen if f"k{i}" not in stored]
        assert missing == []
    assert all(leaf is not None for leaves in stored.values() for leaf in leaves)
    assert sorted(leaf for _, leaf in rows) == list(range(len(rows)))
    assert result.ok and result.checked == len(rows), result


def test_a_sequencer_killed_mid_batch_leaves_its_records_pending_and_the_tree_consistent(
    db: Database, settings: Settings
) -> None:
    with db.session() as s:
        record_many(s, [{"operation": "query", "username": f"p{i}", "row_count": i} for i in range(60_000)])
        s.commit()
    proc = subprocess.Popen([_edudata(), "audit", "sequence"], env=_env(settings), stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while True:
        done, pending = _counts(db)
        if done:
            break
        assert proc.poll() is None and time.monotonic() < deadline, (
            "the sequencer stopped before its first batch"
        )
        time.sleep(0.01)
    _kill(proc)
    done, pending = _counts(db)
    assert pending > 0, "the sequencer finished before it could be killed mid-way"
    with db.session() as s:
        assert verify_log(s, settings).ok  # what was committed is a consistent tree already
    sequence_all(db, settings)
    with db.session() as s:
        leaves = s.scalars(select(AuditRecord.leaf).order_by(AuditRecord.leaf)).all()
        result = verify_log(s, settings)
    assert leaves == list(range(60_000))
    assert result.ok and result.checked == 60_000 and result.pending == 0


def test_edudata_serve_runs_the_sequencer(db: Database, settings: Settings) -> None:
    """A refusal answered by `edudata serve` is recorded at once and in the tree shortly after, with no cron."""
    import socket

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [_edudata(), "serve", "--port", str(port)],
        env=clock.without_faketime(_env(settings)),  # its sequencer pauses on a timed wait
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 180  # a loaded machine starts the app slowly
        while True:
            try:
                r = httpx.post(
                    f"http://127.0.0.1:{port}/api/v1/auth/token",
                    json={"username": "nobody", "password": "x" * 12},
                )
                break
            except httpx.HTTPError:
                assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert r.status_code == 401
        deadline = time.monotonic() + 120
        while _counts(db)[0] == 0:
            assert time.monotonic() < deadline, "the server's sequencer integrated nothing"
            time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(20)
    with db.session() as s:
        assert verify_log(s, settings).ok
