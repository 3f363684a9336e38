"""Helpers of the inspection tests: run an inspection on the test database and read what it found."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from edudata.config import Settings
from edudata.db import Database
from edudata.inspect.runs import run_changes, run_inspection
from support import clock
from support.catalog import ensure_units

#: School-wide duties on people every test database lacks (no officer, no assessment): a test of another check
#: does not see them; ``tests/inspect/test_inspect_people.py`` asks for them with ``Inspector(..., quiet=())``.
QUIET = ("people.security_officer", "people.security_assessment", "people.outsourcing_commitment")


class Inspector:
    def __init__(self, db: Database, settings: Settings, quiet: tuple[str, ...] = QUIET) -> None:
        self.db = db
        self.settings = settings
        self.quiet = quiet

    def run(self, mode: str = "year_end", now: datetime | None = None, **scope) -> dict:  # noqa: ANN003
        """Run and commit; returns the run's counts and the (check, subject) pairs by change."""
        with self.db.session() as s:
            run = run_inspection(s, mode, started_by="tests", now=now, settings=self.settings, **scope)
            s.commit()
            changes = run_changes(s, run.id)
            return {
                "id": run.id,
                "status": run.status,
                "error": run.error,
                "checks": list(run.checks),
                "units": run.units,
                "counts": (run.new_count, run.open_count, run.resolved_count),
                **{
                    k: sorted((f.check_code, f.subject) for f in v if f.check_code not in self.quiet)
                    for k, v in changes.items()
                },
                "findings": {k: [f.id for f in v] for k, v in changes.items()},
            }

    def found(self, **kw) -> list[tuple[str, str]]:  # noqa: ANN003
        """Every violation a year-end run sees now: new and still open."""
        result = self.run(**kw)
        assert result["status"] == "done", result["error"]
        return sorted(result["new"] + result["open"])


@pytest.fixture(autouse=True)
def compliant_lifecycle(db: Database) -> None:
    """The office's yearly duties done (Art. 55, 60): a backup verified today with an off-site copy, a restore
    drill and an emergency drill this year — so a test sees only the violation it plants."""
    from datetime import timedelta

    from edudata.db import utcnow
    from edudata.lifecycle.models import BackupRecord, Drill, RestoreDrill

    now = utcnow()
    with db.session() as s:
        s.add(
            BackupRecord(
                name="b-test",
                backend="sqlite",
                kind="manual",
                local_path="/var/b",
                offsite_path="/mnt/b",
                size=1,
                sha256="0" * 64,
                created_by="tests",
                created_at=now,
                verified_at=now,
                verified_ok=True,
            )
        )
        s.add(
            RestoreDrill(
                backup_name="b-test",
                performed_by="tests",
                started_at=now - timedelta(minutes=5),
                finished_at=now,
                ok=True,
                detail={},
            )
        )
        s.add(
            Drill(scenario="数据泄露应急", held_on=clock.today(), participants="网信办", created_by="tests")
        )
        s.commit()


@pytest.fixture
def inspector(db: Database, settings: Settings) -> Inspector:
    ensure_units(db, ["0002", "0104"])
    return Inspector(db, settings)


@pytest.fixture
def in_session(db: Database) -> Callable:
    """Run ``fn(session)`` in a committed transaction and return its result."""

    def call(fn: Callable):  # noqa: ANN202
        with db.session() as s:
            out = fn(s)
            s.commit()
            return out

    return call


HTML = {"accept": "text/html"}


def csrf_of(page) -> str:  # noqa: ANN001 - an httpx response
    import re

    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


@pytest.fixture
def browser_client(server, db):  # noqa: ANN001, ANN201
    """``login(username)`` → an httpx client of the live server holding that account's web session."""
    import httpx

    from support.org import PASSWORD

    clients: list[httpx.Client] = []

    def login(username: str, password: str = PASSWORD) -> httpx.Client:
        client = httpx.Client(base_url=server.url, timeout=60, follow_redirects=False)
        clients.append(client)
        token = csrf_of(client.get("/login", headers=HTML))
        r = client.post(
            "/login", data={"username": username, "password": password, "csrf_token": token}, headers=HTML
        )
        assert r.status_code == 303, r.text[:300]
        return client

    yield login
    for c in clients:
        c.close()
