"""Pull sources close the side door: only allow-listed business systems, registered by the office, read-only,
a table and column mapping instead of free SQL, the connection's password sealed (Art. 20, 27, 30)."""

from __future__ import annotations

import uuid

import httpx
import pytest
from ingest_support import HEADERS_ZH, student_frame
from sqlalchemy import create_engine, select, text

from edudata.crypto.sealed import is_sealed
from edudata.db import Database
from edudata.ingest import jobs
from edudata.ingest.models import Source

MARIADB_ROOT = "mysql+pymysql://root@127.0.0.1:3306/test"
RO_PASSWORD = "ro-Secret-" + uuid.uuid4().hex[:6]


@pytest.fixture
def xgxt_mariadb(settings, monkeypatch) -> dict:  # noqa: ANN001
    """A 学工 system on MariaDB with its own table and a read-only account (SELECT on that table only)."""
    table, user = f"xs_jbxx_{uuid.uuid4().hex[:8]}", f"ro_{uuid.uuid4().hex[:8]}"
    frame = student_frame(12).rename(HEADERS_ZH)
    root = create_engine(MARIADB_ROOT)
    with root.begin() as conn:
        cols = ", ".join(f"`{c}` VARCHAR(200)" for c in frame.columns)
        conn.execute(text(f"CREATE TABLE `{table}` ({cols}) CHARACTER SET utf8mb4"))
        names, marks = (
            ", ".join(f"`{c}`" for c in frame.columns),
            ", ".join(f":p{i}" for i in range(frame.width)),
        )
        conn.execute(
            text(f"INSERT INTO `{table}` ({names}) VALUES ({marks})"),
            [{f"p{i}": v for i, v in enumerate(r)} for r in frame.iter_rows()],
        )
        conn.execute(text(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{RO_PASSWORD}'"))
        conn.execute(text(f"GRANT SELECT ON test.`{table}` TO '{user}'@'%'"))
    monkeypatch.setattr(
        settings, "pull_connections", {"xgxt": f"mysql+pymysql://{user}@127.0.0.1:3306/test?charset=utf8mb4"}
    )
    yield {"table": table, "user": user}
    with root.begin() as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS `{table}`"))
        conn.execute(text(f"DROP USER IF EXISTS '{user}'@'%'"))
    root.dispose()


def _register(http: httpx.Client, who: dict, connection: str, password: str | None = None) -> httpx.Response:
    body = {"name": "学工系统", "unit": "0104", "connection": connection}
    if password is not None:
        body["password"] = password
    return http.post("/api/v1/ingest/student_basic/sources", json=body, headers=who)


def test_a_mariadb_business_system_is_pulled_read_only_with_a_sealed_password(
    http: httpx.Client, world, db: Database, settings, xgxt_mariadb
) -> None:
    r = _register(http, world["h"]["office"], "xgxt", RO_PASSWORD)
    assert r.status_code == 201, r.text
    assert RO_PASSWORD not in r.text
    source_id = r.json()["id"]
    with db.session() as s:
        stored = s.get(Source, source_id)
        assert is_sealed(stored.secret) and RO_PASSWORD not in stored.secret + stored.url
    mapped = http.put(
        f"/api/v1/ingest/sources/{source_id}/mapping",
        json={"table": xgxt_mariadb["table"], "columns": {zh: code for code, zh in HEADERS_ZH.items()}},
        headers=world["h"]["xgb"],
    )
    assert mapped.status_code == 200, mapped.text
    job = http.post(f"/api/v1/ingest/sources/{source_id}/pull", headers=world["h"]["xgb"]).json()["job"]
    assert jobs.Worker(db, settings).run_once() == job
    result = http.get(f"/api/v1/ingest/jobs/{job}", headers=world["h"]["xgb"]).json()
    assert result["status"] == "done", result["error"]
    assert result["result"]["good"] == 12


def test_a_unit_officer_cannot_register_a_source(http: httpx.Client, world, settings) -> None:
    r = _register(http, world["h"]["xgb"], settings.resolved_database_url())
    assert r.status_code == 403 and r.json()["detail_en"].startswith("only the office")


def test_the_platforms_own_database_is_refused_even_when_allow_listed(
    http: httpx.Client, world, settings, monkeypatch
) -> None:
    own = settings.resolved_database_url()
    r = _register(http, world["h"]["office"], own)
    assert r.status_code == 422 and "own database" in r.json()["detail_en"]
    monkeypatch.setattr(settings, "pull_connections", {"oops": own})
    r = _register(http, world["h"]["office"], "oops")
    assert r.status_code == 422 and "own database" in r.json()["detail_en"]


def test_a_file_path_and_a_url_off_the_allow_list_are_refused(
    http: httpx.Client, world, tmp_path, xgxt_mariadb
) -> None:
    for url in (
        f"sqlite:///{tmp_path / 'anything.db'}",
        "sqlite:////etc/passwd",
        MARIADB_ROOT,  # the same server, another account: not the read-only one the operator listed
        "postgresql://postgres@127.0.0.1:5432/test",
        "not a url",
    ):
        r = _register(http, world["h"]["office"], url)
        assert r.status_code == 422, (url, r.text)
        assert r.json()["detail_zh"] and r.json()["detail_en"]


def test_free_sql_is_not_accepted_and_identifiers_are_checked(
    http: httpx.Client, world, db: Database, xgxt_mariadb
) -> None:
    legacy = {"name": "x", "unit": "0104", "connection": "xgxt", "query": "SELECT * FROM org_account"}
    r = http.post("/api/v1/ingest/student_basic/sources", json=legacy, headers=world["h"]["office"])
    assert r.status_code == 422
    source_id = _register(http, world["h"]["office"], "xgxt", RO_PASSWORD).json()["id"]
    for table in ("xs; DROP TABLE x", "a.b.c", "mysql.user", "no_such_table"):
        r = http.put(
            f"/api/v1/ingest/sources/{source_id}/mapping", json={"table": table}, headers=world["h"]["xgb"]
        )
        assert r.status_code == 422, (table, r.text)
    r = http.put(
        f"/api/v1/ingest/sources/{source_id}/mapping",
        json={"table": xgxt_mariadb["table"], "columns": {"password": "XH"}},
        headers=world["h"]["xgb"],
    )
    assert r.status_code == 422 and "no column" in r.json()["detail_en"]
    other_unit = http.put(
        f"/api/v1/ingest/sources/{source_id}/mapping",
        json={"table": xgxt_mariadb["table"]},
        headers=world["h"]["rsc"],
    )
    assert other_unit.status_code == 403
    with db.session() as s:
        assert s.execute(select(Source.enabled).where(Source.id == source_id)).scalar_one() is False
