"""A backup taken before a destruction, restored after it, yields no readable value of the destroyed person
(Art. 35 以不可逆方式销毁敏感数据及其副本): the ledger beside the key ring is re-applied by every restore."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from edudata.access import datapath
from edudata.config import Settings
from edudata.crypto.keys import KeyManager
from edudata.crypto.subject_keys import is_destroyed, subject_ref
from edudata.db import Database
from edudata.lifecycle import operations
from edudata.lifecycle.ledger import LEDGER_NAME, LedgerInvalid, ledger_path
from support.lifecycle import governed_ids

API = "/api/v1/lifecycle/destruction-requests"
ACTOR = {"username": "tests", "source_ip": "local"}


@dataclass(frozen=True)
class Office:
    account_id: int = 0
    username: str = "office-check"
    unit_code: str = "0002"
    roles: frozenset = frozenset({"office_admin"})
    source_ip: str = "127.0.0.1"


def _destroy_person(http: httpx.Client, world: dict, index: int) -> None:
    h = world["h"]
    body = {"scope": "person", "id_number": world["rows"][index]["SFZJH"], "reason": "本人申请删除"}
    req = http.post(API, json=body, headers=h["office"]).json()
    assert (
        http.post(f"{API}/{req['id']}/decision", json={"approve": True}, headers=h["office2"]).status_code
        == 200
    )
    assert http.post(f"{API}/{req['id']}/execute", headers=h["destroyer"]).status_code == 200


def _everything_readable(settings: Settings, url: str) -> list[dict]:
    """Every row and element of student_basic in the restored database, as the office reads it."""
    database = Database(url)
    try:
        with database.session() as s:
            ctx = datapath.Context(session=s, settings=settings, database=database)
            page = datapath.query(Office(), ctx, "student_basic", page_size=1000)
            s.commit()
            return page.rows
    finally:
        database.dispose()


@pytest.fixture
def backed_up(world: dict, db: Database, settings: Settings, tmp_path: Path) -> Path:
    made = operations.run_backup(settings, db, tmp_path / "local", tmp_path / "offsite", actor=ACTOR)
    return made.local


def test_restoring_an_earlier_backup_brings_back_no_value_of_the_destroyed_person(
    http: httpx.Client, world: dict, db: Database, settings: Settings, backed_up: Path
) -> None:
    _destroy_person(http, world, 3)
    person = world["rows"][3]
    with operations.scratch_database(db.url) as url:
        result = operations.restore(settings, backed_up, url, actor=ACTOR)
        assert result.reapplied["rows"] == 2 and result.reapplied["subject_keys"] == 1
        restored = Database(url)
        try:
            assert world["ids"][3] not in governed_ids(restored, "gd_student_basic")
            assert governed_ids(restored, "gd_student_basic__history") == []  # its earlier version too
            with restored.session() as s:
                assert is_destroyed(s, subject_ref(KeyManager(s, settings), person["SFZJH"]))
        finally:
            restored.dispose()
        rows = _everything_readable(settings, url)
    assert len(rows) == 11
    values = {str(v) for row in rows for v in row.values()}
    assert person["XH"] not in values and person["SFZJH"] not in values and person["DZYX"] not in values


def test_without_the_ledger_the_same_backup_would_bring_the_person_back(
    http: httpx.Client, world: dict, db: Database, settings: Settings, backed_up: Path, tmp_path: Path
) -> None:
    """The control: what protects the destroyed person is the ledger kept outside the backup."""
    _destroy_person(http, world, 5)
    keys = tmp_path / "keys-without-ledger"
    shutil.copytree(settings.resolved_master_key_file().parent, keys)
    (keys / LEDGER_NAME).unlink()
    bare = settings.model_copy(
        update={"master_key_file": keys / "master.key", "signing_key_file": keys / "signing.key"}
    )
    with operations.scratch_database(db.url) as url:
        operations.restore(bare, backed_up, url, actor=ACTOR)
        rows = _everything_readable(bare, url)
    assert world["rows"][5]["XH"] in {row["XH"] for row in rows}


def test_a_forged_ledger_line_stops_the_restore_before_anything_is_written(
    http: httpx.Client, world: dict, db: Database, settings: Settings, backed_up: Path
) -> None:
    _destroy_person(http, world, 5)
    path = ledger_path(settings)
    original = path.read_bytes()
    try:
        path.write_bytes(
            original.replace(b'"request":', b'"request": ', 1).replace(b"student_basic", b"student_basiX")
        )
        with operations.scratch_database(db.url) as url:
            with pytest.raises(LedgerInvalid):
                operations.restore(settings, backed_up, url, actor=ACTOR)
            from edudata.lifecycle.backup import is_empty

            assert is_empty(url)
    finally:
        path.write_bytes(original)
