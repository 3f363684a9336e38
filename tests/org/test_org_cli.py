"""``edudata account …``: open the first office administrator, refuse conflicts, unlock a locked account."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from edudata.audit.models import AuditRecord
from edudata.config import Settings
from edudata.db import Database
from edudata.errors import Locked, NotAuthenticated
from edudata.identity.service import authenticate
from edudata.org.models import Account


def _cli(settings: Settings, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "EDUDATA_DATABASE_URL": settings.resolved_database_url(), "COLUMNS": "200"}
    exe = Path(sys.executable).with_name("edudata")
    return subprocess.run(
        [str(exe), "account", *args], capture_output=True, text=True, env=env, input=stdin, timeout=120
    )


def test_create_with_demo_units_prints_a_working_password(db: Database, settings: Settings) -> None:
    done = _cli(settings, "create", "chief", "--unit", "0002", "--role", "office_admin", "--demo-units")
    assert done.returncode == 0, done.stdout + done.stderr
    password = done.stdout.split("initial password:")[1].split()[0]
    assert (
        authenticate(db, settings, username="chief", password=password, address="127.0.0.1").username
        == "chief"
    )
    with db.session() as s:
        audited = s.execute(select(AuditRecord.operation, AuditRecord.username)).all()
    assert any(op == "create_account" and who.startswith("cli:") for op, who in audited)


def test_conflicting_roles_and_unknown_unit_fail_clearly(db: Database, settings: Settings, accounts) -> None:  # noqa: ANN001
    accounts.ensure_units()
    clash = _cli(settings, "create", "x1", "--unit", "0002", "--role", "auditor", "--role", "office_admin")
    assert clash.returncode == 2 and "Art. 30" in clash.stdout and "Traceback" not in clash.stderr
    unknown = _cli(settings, "create", "x2", "--unit", "9999")
    assert unknown.returncode == 2 and "unknown unit code 9999" in unknown.stdout
    with db.session() as s:
        assert s.execute(select(Account).where(Account.username.in_(["x1", "x2"]))).first() is None


def test_unlock_clears_the_lock(db: Database, settings: Settings, accounts) -> None:  # noqa: ANN001
    accounts.create(username="lib", roles=("applicant",), unit_code="0110")
    for _ in range(settings.lockout_threshold):
        with pytest.raises(NotAuthenticated):
            authenticate(db, settings, username="lib", password="Wrong-passw0rd", address="10.0.0.1")
    with pytest.raises(Locked):
        authenticate(db, settings, username="lib", password="Passw0rd!edu", address="10.0.0.1")
    done = _cli(settings, "unlock", "lib")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        authenticate(db, settings, username="lib", password="Passw0rd!edu", address="10.0.0.1").username
        == "lib"
    )
