"""Directory sync against a real LDAP server (Debian's slapd, started for the module): new staff appear, a move
between units revokes roles and ends grants, a leaver goes through the offboarding path's revocations; the dry
run changes nothing; every change is audited (Art. 30, 53)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from edudata.access.datapath import Context
from edudata.access.models import AccessGrant
from edudata.api.app import create_app
from edudata.audit.models import AuditRecord
from edudata.config import Settings
from edudata.db import Database
from edudata.errors import Conflict
from edudata.identity import directory
from edudata.identity.models import ApiToken
from edudata.identity.service import principal_for
from edudata.identity.tokens import issue_token
from edudata.org.models import Account, Person, Unit
from edudata.org.service import create_account, create_person, get_account, roles_of
from support import ldap as ldap_support
from support.collect import collect
from support.server import LiveServer
from support.students import id_number

PASSWORD = "Passw0rd!edu"


@pytest.fixture(scope="module")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ldap_support.Slapd]:
    server = ldap_support.Slapd(tmp_path_factory.mktemp("slapd"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def ldap_settings(settings: Settings, slapd: ldap_support.Slapd) -> Settings:
    slapd.clear()
    return settings.model_copy(update={
        "ldap_url": slapd.url, "ldap_bind_dn": ldap_support.ADMIN_DN, "ldap_bind_password": ldap_support.ADMIN_PASSWORD,
        "ldap_people_base": ldap_support.PEOPLE,
    })  # fmt: skip


def _staff(db: Database, username: str, number: str, unit: str, roles: tuple[str, ...] = ()) -> int:
    with db.session() as s:
        create_person(s, name=f"员工{number}", number=number, unit_code=unit)
        account = create_account(s, username=username, password=PASSWORD, unit_code=unit, roles=roles,
                                 person_number=number, granted_by="tests")  # fmt: skip
        s.commit()
        return account.id


def _grant(db: Database, account_id: int, unit: str) -> int:
    with db.session() as s:
        grant = AccessGrant(dataset_code="student_basic", grantee_unit_code=unit, grantee_account_id=account_id,
                            elements=["XH"], purpose="图书借阅统计", created_by="tests")  # fmt: skip
        s.add(grant)
        s.commit()
        return grant.id


@pytest.fixture
def campus(db: Database, accounts, slapd: ldap_support.Slapd, ldap_settings: Settings) -> dict:  # noqa: ANN001
    """Five people on the platform; the directory says: one new, one moved, one gone, three unchanged."""
    accounts.create(username="office", roles=("office_admin",))  # no person: never the directory's
    ids = {
        "stay": _staff(db, "stay", "T3000", "0110", ("applicant",)),
        "mover": _staff(db, "mover", "T3001", "0110", ("applicant",)),
        "leaver": _staff(db, "leaver", "T3002", "0110", ("unit_reviewer",)),
        "stay2": _staff(db, "stay2", "T3004", "0201"),
        "stay3": _staff(db, "stay3", "T3005", "0201"),
    }
    grants = {"mover": _grant(db, ids["mover"], "0110"), "leaver": _grant(db, ids["leaver"], "0110")}
    with db.session() as s:
        issue_token(s, ids["leaver"], ldap_settings)
        s.commit()
    slapd.add_person("stay", "T3000", "员工T3000", "0110")
    slapd.add_person("mover", "T3001", "员工T3001", "0110")
    slapd.move_person("mover", "0201")
    slapd.add_person("newcomer", "T3003", "新同事", "0110")
    slapd.add_person("stay2", "T3004", "员工T3004", "0201")
    slapd.add_person("stay3", "T3005", "改名后", "0201")
    return {"ids": ids, "grants": grants}


def test_the_dry_run_lists_every_change_and_makes_none(
    db: Database, ldap_settings: Settings, campus: dict
) -> None:
    entries = directory.read_ldap(ldap_settings)
    assert sorted(e.number for e in entries) == ["T3000", "T3001", "T3003", "T3004", "T3005"]
    with db.session() as s:
        changes = directory.plan(s, entries)
        s.rollback()
    assert [(c.kind, c.number, c.username, c.from_unit, c.to_unit) for c in changes] == [
        ("move", "T3001", "mover", "0110", "0201"),
        ("add", "T3003", "newcomer", "", "0110"),
        ("rename", "T3005", "stay3", "", ""),
        ("leave", "T3002", "leaver", "0110", ""),
    ]
    with db.session() as s:
        assert s.scalar(select(Person.id).where(Person.number == "T3003")) is None
        assert not get_account(s, "leaver").disabled
        assert s.scalar(select(AuditRecord.seq).where(AuditRecord.operation == "directory_sync")) is None


def test_sync_adds_moves_and_disables_leavers_with_roles_and_grants_following(
    db: Database, ldap_settings: Settings, campus: dict
) -> None:
    with db.session() as s:
        done = directory.apply(s, directory.plan(s, directory.read_ldap(ldap_settings)))
        s.commit()
    assert sorted(c.kind for c in done) == ["add", "leave", "move", "rename"]
    with db.session() as s:
        newcomer = get_account(s, "newcomer")
        assert s.get(Person, newcomer.person_id).number == "T3003" and newcomer.display_name == "新同事"
        assert s.get(Unit, newcomer.unit_id).code == "0110" and roles_of(s, newcomer.id) == frozenset()
        assert newcomer.password_hash.startswith("!")  # signs on through 统一身份认证 only
        mover = get_account(s, "mover")
        assert s.get(Unit, mover.unit_id).code == "0201" and roles_of(s, mover.id) == frozenset()
        assert s.get(Person, mover.person_id).unit_id == mover.unit_id
        assert s.get(AccessGrant, campus["grants"]["mover"]).revoked_at is not None
        leaver = get_account(s, "leaver")
        assert leaver.disabled and roles_of(s, leaver.id) == frozenset()
        assert s.get(AccessGrant, campus["grants"]["leaver"]).revoked_at is not None
        assert s.scalar(select(ApiToken.revoked_at).where(ApiToken.account_id == leaver.id)) is not None
        assert get_account(s, "stay3").display_name == "改名后"
        assert roles_of(s, get_account(s, "stay").id) == frozenset({"applicant"})
        assert not get_account(s, "office").disabled
        audited = {r.detail["change"]: r.detail for r in s.scalars(
            select(AuditRecord).where(AuditRecord.operation == "directory_sync"))}  # fmt: skip
    assert set(audited) == {"add", "move", "rename", "leave"}
    assert audited["move"]["roles_revoked"] == ["applicant"] and audited["move"]["grants_ended"] == 1
    assert (
        audited["leave"]["revoked"]["roles"] == ["unit_reviewer"]
        and audited["leave"]["revoked"]["grants"] == 1
    )
    # a second run finds nothing to do
    with db.session() as s:
        assert directory.plan(s, directory.read_ldap(ldap_settings)) == []


def test_a_directory_that_lost_most_people_is_refused_unless_forced(
    db: Database, ldap_settings: Settings, slapd: ldap_support.Slapd, campus: dict
) -> None:
    for uid in ("stay", "mover", "stay2", "stay3"):
        slapd.remove_person(uid)
    entries = directory.read_ldap(ldap_settings)
    with db.session() as s, pytest.raises(Conflict, match="would disable 5 accounts"):
        directory.plan(s, entries)
    with db.session() as s:
        leaving = [c.username for c in directory.plan(s, entries, force=True) if c.kind == "leave"]
    assert sorted(leaving) == ["leaver", "mover", "stay", "stay2", "stay3"]


def test_the_cli_dry_run_prints_the_plan(
    db: Database, ldap_settings: Settings, campus: dict, backend_url: str, tmp_path: Path
) -> None:
    env = {**os.environ, "EDUDATA_DATABASE_URL": backend_url, "EDUDATA_DATA_DIR": str(tmp_path),
           "EDUDATA_LDAP_URL": ldap_settings.ldap_url, "EDUDATA_LDAP_BIND_DN": ldap_support.ADMIN_DN,
           "EDUDATA_LDAP_BIND_PASSWORD": ldap_support.ADMIN_PASSWORD, "EDUDATA_LDAP_PEOPLE_BASE": ldap_support.PEOPLE,
           "EDUDATA_CONFIG_FILE": str(tmp_path / "none.env"), "COLUMNS": "200"}  # fmt: skip
    edudata = Path(sys.executable).with_name("edudata")
    out = subprocess.run([str(edudata), "identity", "sync", "--dry-run"], env=env, capture_output=True, text=True,
                         timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "dry run" in out.stdout and "newcomer" in out.stdout and "离职停用 leave: 1" in out.stdout
    with db.session() as s:
        assert s.scalar(select(Account.id).where(Account.username == "newcomer")) is None


@pytest.fixture(scope="module")
def office_site(settings: Settings, database: Database, slapd: ldap_support.Slapd) -> Iterator[LiveServer]:
    configured = settings.model_copy(update={
        "ldap_url": slapd.url, "ldap_bind_dn": ldap_support.ADMIN_DN, "ldap_bind_password": ldap_support.ADMIN_PASSWORD,
        "ldap_people_base": ldap_support.PEOPLE,
    })  # fmt: skip
    live = LiveServer(create_app(configured, db=database))
    live.start()
    yield live
    live.stop()


def _web_login(client: httpx.Client, site: LiveServer, username: str) -> None:
    page = client.get(f"{site.url}/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post(f"{site.url}/login", data={"csrf_token": token, "username": username, "password": PASSWORD,
                                               "next": "/admin/directory"})  # fmt: skip
    assert r.status_code == 303, r.text[:300]


def test_the_office_page_shows_the_dry_run_then_applies_it(
    db: Database,
    office_site: LiveServer,
    campus: dict,
    accounts,  # noqa: ANN001
) -> None:
    with httpx.Client(timeout=30) as client:
        _web_login(client, office_site, "office")
        page = client.get(f"{office_site.url}/admin/directory")
        assert page.status_code == 200 and "演练结果" in page.text
        assert page.text.count('class="change-') == 4 and "newcomer" in page.text
        with db.session() as s:
            assert s.scalar(select(Account.id).where(Account.username == "newcomer")) is None
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        done = client.post(f"{office_site.url}/admin/directory", data={"csrf_token": token})
        assert done.status_code == 200 and "同步已完成" in done.text
    with db.session() as s:
        assert get_account(s, "leaver").disabled and get_account(s, "newcomer").person_id is not None
        by = {
            r.username
            for r in s.scalars(select(AuditRecord).where(AuditRecord.operation == "directory_sync"))
        }
        assert by == {"office"}


def test_only_the_office_may_run_the_sync(db: Database, office_site: LiveServer, campus: dict) -> None:
    with httpx.Client(timeout=30) as client:
        _web_login(client, office_site, "stay")
        assert client.get(f"{office_site.url}/admin/directory").status_code == 403


def _staff_row(number: str, name: str, unit: str, seq: int) -> dict:
    return {
        "GH": number,
        "XM": name,
        "XBM": "1" if (200 + seq) % 2 else "2",  # as the ID number's 17th digit says (GB 11643)
        "SFZJH": id_number(200 + seq, birth="19800101"),
        "DWDM": unit,
    }


def test_without_ldap_the_staff_dataset_of_the_personnel_office_is_the_source(
    http: httpx.Client,
    db: Database,
    settings: Settings,
    accounts,
    catalog,  # noqa: ANN001
) -> None:
    catalog.demo()
    accounts.create(username="rsc", roles=("unit_data_officer",), unit_code="0102")
    office = accounts.create(username="office", roles=("office_admin",))
    _staff(db, "mover", "T6001", "0110", ("applicant",))
    _staff(db, "leaver", "T6002", "0110", ("applicant",))
    for i in range(3):
        _staff(db, f"stay{i}", f"T601{i}", "0201")
    rows = [_staff_row("T6001", "调岗者", "0201", 1), _staff_row("T6003", "新教师", "0110", 3)]
    rows += [_staff_row(f"T601{i}", name, "0201", 10 + i) for i, name in enumerate(("张伟", "王芳", "李强"))]
    collect(http, accounts, "staff_basic", rows, headers=accounts.headers("rsc"), unit="0102")
    configured = settings.model_copy(update={"directory_source": "staff_dataset"})
    with db.session() as s:
        caller = principal_for(s, office.id, source_ip="127.0.0.1", via="cli")
        entries = directory.read_source(
            configured, caller, Context(session=s, settings=configured, database=db)
        )
        assert sorted(e.number for e in entries) == ["T6001", "T6003", "T6010", "T6011", "T6012"]
        done = directory.apply(s, directory.plan(s, entries), source="staff_dataset")
        s.commit()
    kinds = {c.number: c.kind for c in done if c.kind != "rename"}
    assert kinds == {"T6001": "move", "T6003": "add", "T6002": "leave"}
    with db.session() as s:
        assert (
            get_account(s, "leaver").disabled and s.get(Unit, get_account(s, "mover").unit_id).code == "0201"
        )
        assert s.get(Person, get_account(s, "T6003").person_id).unit_id == get_account(s, "T6003").unit_id
        read = s.scalars(select(AuditRecord).where(AuditRecord.dataset == "staff_basic",
                                                   AuditRecord.username == "office")).all()  # fmt: skip
        assert read and read[0].operation == "query"  # the read went through the data path, audited
