"""A destroyed person is in no byte the platform owns (Art. 35 以不可逆方式销毁敏感数据及其副本).

One person is planted everywhere a person goes — the governed table and its history, a batch with good rows and a
batch with quarantined rows (staging files, issue rows, the quarantine download), a statistical snapshot, filtered
and audited queries, an export and a signed package — and destroyed through the full workflow. Then every byte is
searched for their name, ID number, mobile, bank card, e-mail and address, in UTF-8 and in GBK: the database files
(SQLite: the main file with its free pages, and the WAL; PostgreSQL: every relation file of the database, found by
``pg_relation_filepath`` under ``SHOW data_directory``, after a ``CHECKPOINT``), every file under the data folder,
and the sealed staging files opened by hand with the key ring. The control runs the same plant without the
destruction, and the search finds the person — so the search can fail.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import httpx
import polars as pl
import pytest
from sqlalchemy import create_engine, text

from edudata.config import Settings
from edudata.crypto.envelope import HEADER, NONCE, decrypt_values
from edudata.crypto.keys import KeyManager
from edudata.db import Database, normalise_url
from support.clock import today
from support.collect import change, collect, paperwork, row_ids
from support.lifecycle import governed_ids
from support.students import id_number, student

API = "/api/v1/lifecycle/destruction-requests"


def _luhn(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


PERSON = {
    **student(77),
    "XM": "司马青霞",
    "SFZJH": id_number(777),
    "SJHM": "13987654321",
    "YHKH": _luhn("622202123456789012"),
    "DZYX": "qingxia.sima@stu.tjufe.edu.cn",
    "JTDZ": "天津市南开区卫津路九十二号",
}
SEARCHED = ("XM", "SFZJH", "SJHM", "YHKH", "DZYX", "JTDZ")


def _needles() -> dict[bytes, str]:
    """Each value in UTF-8 and GBK (the same bytes for an ASCII value)."""
    out = {}
    for code in SEARCHED:
        for encoding in ("gbk", "utf-8"):
            out[PERSON[code].encode(encoding)] = f"{code}/{encoding}"
    return out


def _csv(rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def _plant(http: httpx.Client, accounts, world: dict) -> dict:  # noqa: ANN001
    """Plant the person everywhere; the codes of the pending and the quarantining batch and the snapshot id."""
    h = world["h"]
    # Collected through review, then changed (so it has history); consent on file for everyone planted (Art. 51).
    paperwork(http, accounts, "student_basic", [PERSON, student(90), student(91)])
    collect(http, accounts, "student_basic", [PERSON], headers=h["xgb"], unit="0104")
    row_id = row_ids(http, "student_basic", h["xgb"], "XH")[PERSON["XH"]]
    change(http, accounts, "student_basic", row_id, {"ZYMC": "审计学"}, headers=h["xgb"], unit="0104")
    # A batch with the person among its good rows (a change, waiting for review) …
    upload = {"unit": "0104"}
    good = _csv([{**PERSON, "ZYMC": "金融学"}, student(90)])
    r = http.post("/api/v1/ingest/student_basic/batches", data=upload, files={"file": ("a.csv", good)}, headers=h["xgb"])  # fmt: skip
    assert r.status_code == 201 and r.json()["good"] >= 1, r.text
    pending = r.json()["code"]
    # … and one with the person quarantined (an unknown college code), with its issue rows.
    bad = _csv([{**PERSON, "YXDM": "0299"}, student(91)]).decode().encode("gbk")  # a GBK file
    r = http.post("/api/v1/ingest/student_basic/batches", data=upload, files={"file": ("b.csv", bad)}, headers=h["xgb"])  # fmt: skip
    assert r.status_code == 201 and r.json()["quarantined"] == 1, r.text
    quarantined = r.json()["code"]
    assert (
        http.get(f"/api/v1/ingest/batches/{quarantined}/quarantine.xlsx", headers=h["xgb"]).status_code == 200
    )
    # A statistical snapshot, filtered and audited queries, an export and a signed package.
    snap = {"name": "2026 统计时点", "time_point": today().isoformat(), "definition": "全体学生"}
    r = http.post("/api/v1/ingest/student_basic/snapshots", json=snap, headers=h["office"])
    assert r.status_code == 201 and r.json()["rows"] == 13, r.text
    snapshot = r.json()["id"]
    for code in ("SFZJH", "XM", "SJHM", "DZYX"):
        wanted = {"element": code, "op": "eq", "value": PERSON[code]}
        r = http.post("/api/v1/data/student_basic/query", json={"filter": wanted}, headers=h["xgb"])
        assert r.status_code == 200 and len(r.json()["items"]) == 1, r.text
    r = http.get("/api/v1/data/student_basic/export", params={"format": "csv"}, headers=h["xgb"])
    assert r.status_code == 200 and PERSON["XM"].encode() in r.content
    from edudata.crypto.recipient import generate_private_key

    _pem, public = generate_private_key()
    http.put("/api/v1/me/package-key", json={"public_key": public.hex()}, headers=h["office"])
    r = http.get("/api/v1/data/student_basic/export", params={"format": "package"}, headers=h["office"])
    assert r.status_code == 200
    return {"pending": pending, "quarantined": quarantined, "snapshot": snapshot}


def _quarantine_sheet(http: httpx.Client, h: dict, code: str) -> bytes:
    """The quarantine download of a batch, its cells as CSV text."""
    from openpyxl import load_workbook

    r = http.get(f"/api/v1/ingest/batches/{code}/quarantine.xlsx", headers=h["xgb"])
    assert r.status_code == 200, r.text
    book = load_workbook(io.BytesIO(r.content), read_only=True)
    rows = book.active.iter_rows(values_only=True)
    return "\n".join(",".join("" if v is None else str(v) for v in row) for row in rows).encode()


def _destroy(http: httpx.Client, world: dict) -> dict:
    h = world["h"]
    body = {"scope": "person", "id_number": PERSON["SFZJH"], "reason": "本人申请删除个人信息"}
    req = http.post(API, json=body, headers=h["office"])
    assert req.status_code == 201, req.text
    rid = req.json()["id"]
    assert http.post(f"{API}/{rid}/decision", json={"approve": True}, headers=h["office2"]).status_code == 200
    r = http.post(f"{API}/{rid}/execute", headers=h["destroyer"], timeout=120)
    assert r.status_code == 200, r.text
    return r.json()


def _database_files(backend_url: str) -> list[Path]:
    if backend_url.startswith("sqlite"):
        main = Path(backend_url.split("///", 1)[1])
        return [p for p in (main, Path(f"{main}-wal"), Path(f"{main}-journal")) if p.exists()]
    engine = create_engine(normalise_url(backend_url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("CHECKPOINT"))  # what sits in shared buffers reaches the files
            root = Path(conn.execute(text("SHOW data_directory")).scalar_one())
            rels = conn.execute(
                text("SELECT pg_relation_filepath(c.oid) FROM pg_class c WHERE pg_relation_filepath(c.oid) IS NOT NULL")
            ).scalars()  # fmt: skip
            files = []
            for rel in rels:
                base = root / rel
                files += [p for p in base.parent.glob(base.name + "*") if p.is_file()]  # segments .1 …, forks
            return sorted(set(files))
    finally:
        engine.dispose()


def _opened_staging(db: Database, settings: Settings) -> list[tuple[str, bytes]]:
    """Every sealed staging file, decrypted by hand with the key ring, as CSV text."""
    out = []
    root = Path(settings.data_dir) / "ingest" / "batches"
    with db.session() as s:
        keys = KeyManager(s, settings)
        for path in sorted(root.rglob("*.parquet.enc")) if root.exists() else []:
            sealed = path.read_bytes()
            head = sealed[:HEADER]
            aad = head + f"{path.parent.name}/{path.name.removesuffix('.parquet.enc')}".encode()
            clear = keys.cipher(int.from_bytes(head[1:], "big")).decrypt(
                sealed[HEADER : HEADER + NONCE], sealed[HEADER + NONCE :], aad
            )
            size = int.from_bytes(clear[:4], "big")  # | meta length | meta (JSON) | Parquet |
            stored = pl.read_parquet(io.BytesIO(clear[4 + size :]))
            out.append((str(path), stored.drop("_sealed").write_csv().encode()))
            # Each row with a person is sealed under their key: open what the key table still opens.
            part = f"{path.parent.name}/{path.name.removesuffix('.parquet.enc')}"
            rows = decrypt_values(
                keys, stored.get_column("_sealed").drop_nulls().to_list(), b"edudata/side-store|" + part.encode(),
                on_destroyed="none",
            )  # fmt: skip
            out.append((f"{path} (rows opened)", "\n".join(r for r in rows if r is not None).encode()))
    return out


def _search(db: Database, settings: Settings, backend_url: str) -> list[str]:
    needles = _needles()
    places: list[tuple[str, bytes]] = [(str(p), p.read_bytes()) for p in _database_files(backend_url)]
    data_dir = Path(settings.data_dir)
    places += [
        (str(p), p.read_bytes()) for p in sorted(data_dir.rglob("*")) if p.is_file() and p.suffix != ".lock"
    ]
    places += _opened_staging(db, settings)
    return sorted(
        {f"{what} in {where}" for where, blob in places for needle, what in needles.items() if needle in blob}
    )


def _wrapped_key(db: Database, settings: Settings) -> bytes:
    """The person's wrapped key as stored: its bytes in any old row version would let the key be recovered."""
    from sqlalchemy import select

    from edudata.crypto.models import SubjectKey
    from edudata.crypto.subject_keys import subject_ref

    with db.session() as s:
        ref = subject_ref(KeyManager(s, settings), PERSON["SFZJH"])
        stored = s.execute(select(SubjectKey.wrapped_key).where(SubjectKey.subject_ref == ref)).scalar_one()
    return bytes(stored)


def _key_in_files(wrapped: bytes, backend_url: str) -> list[str]:
    return [str(p) for p in _database_files(backend_url) if wrapped in p.read_bytes()]


@pytest.mark.parametrize("destroyed", [True, False], ids=["destroyed", "control"])
def test_a_destroyed_person_is_in_no_byte_the_platform_owns(
    http: httpx.Client,
    accounts,
    world: dict,
    db: Database,
    settings: Settings,
    backend_url: str,  # noqa: ANN001
    destroyed: bool,
) -> None:
    # Staging files of earlier tests (their database and keys are gone) would not open: start with none.
    shutil.rmtree(Path(settings.data_dir) / "ingest", ignore_errors=True)
    planted = _plant(http, accounts, world)
    wrapped = _wrapped_key(db, settings)
    if not destroyed:
        # The key table's rows are in the files (SQLite may hold them in its -wal until a checkpoint).
        assert _key_in_files(wrapped, backend_url), (
            "the person's wrapped key is not found: the search is blind"
        )
        found = _search(db, settings, backend_url)
        # Clear elements in the governed table, and every element in the opened staging and snapshot files.
        assert any(f.startswith("XM/") for f in found) and any(f.startswith("SFZJH/") for f in found), found
        assert any(f.startswith("SJHM/") for f in found) and any(f.startswith("JTDZ/utf-8") for f in found), (
            found
        )
        sheet = _quarantine_sheet(http, world["h"], planted["quarantined"])
        assert PERSON["XH"].encode() in sheet and PERSON["SFZJH"].encode() in sheet
        return
    executed = _destroy(http, world)
    if not executed["reclaimed"]:
        # A transaction older than the destruction ran somewhere in the cluster (the machine is shared): the
        # platform said so; its rewrite is run again once that transaction ends, as an operator would.
        from edudata.access.datapath import Context
        from edudata.lifecycle import destruction

        with db.session() as s:
            ctx = Context(session=s, settings=settings, database=db)
            tables = ["gd_student_basic", "gd_student_basic__history", *destruction.RECLAIMED]
            assert destruction.after_commit(ctx, tables, wait=900), "an older transaction is still running"
    what = executed["certificate"]["what"]
    # Four staged copies: the collection and the change (both through batches), the pending and the refused batch.
    assert what["side_stores"]["staged_rows"] == 4 and what["side_stores"]["snapshot_rows"] == 1
    assert what["side_stores"]["issue_rows"] >= 1
    assert sorted(c["kind"] for c in what["copies_handed_out"]) == ["export", "package"]
    assert {c["holder"] for c in what["copies_handed_out"]} == {"xgb", "office"}
    assert _search(db, settings, backend_url) == []
    # Plain VACUUM leaves dead versions of the governed rows (ciphertext the destroyed key no longer opens); the
    # key table is rewritten, so no old version of the person's key row stays anywhere in the files.
    assert _key_in_files(wrapped, backend_url) == []
    # The holders of the copies are told to delete them.
    inbox = http.get("/api/v1/sharing/inbox", headers=world["h"]["xgb"])
    assert inbox.status_code == 200 and "copy_delete" in inbox.text, inbox.text
    # The quarantine download no longer holds the person; the snapshot counts twelve.
    h = world["h"]
    sheet = _quarantine_sheet(http, h, planted["quarantined"])
    assert [what for needle, what in _needles().items() if needle in sheet] == []
    assert PERSON["XH"].encode() not in sheet
    issues = http.get(f"/api/v1/ingest/batches/{planted['quarantined']}/issues", headers=h["xgb"]).json()[
        "items"
    ]
    assert issues == []
    report = http.get(f"/api/v1/ingest/snapshots/{planted['snapshot']}/report", headers=h["office"])
    assert report.status_code == 200 and report.json()["rows"] == 12, report.text
    # A new file naming the destroyed person makes no new staged copy of them: refused, nothing staged.
    before = sorted((Path(settings.data_dir) / "ingest" / "batches").iterdir())
    again = _csv([{**PERSON, "ZYMC": "金融学"}])
    r = http.post("/api/v1/ingest/student_basic/batches", data={"unit": "0104"}, files={"file": ("c.csv", again)}, headers=h["xgb"])  # fmt: skip
    assert r.status_code == 410 and r.json()["code"] == "subject-data-destroyed", r.text
    assert sorted((Path(settings.data_dir) / "ingest" / "batches").iterdir()) == before


def test_a_copy_of_the_side_stores_from_before_the_destruction_no_longer_opens_for_the_person(
    http: httpx.Client,
    accounts,
    world: dict,
    db: Database,
    settings: Settings,  # noqa: ANN001
) -> None:
    """The staged and snapshot rows are sealed under the person's key: a copy of ``data_dir`` taken before the
    destruction (a file-system backup), put back afterwards, opens with the key ring for everyone but them. Reads
    go through the data path's side store, which leaves their rows out and says how many it could not open."""
    from sqlalchemy import select

    from edudata.access import side_store
    from edudata.access.datapath import Context
    from edudata.audit.models import AuditRecord
    from edudata.errors import PermissionDenied

    shutil.rmtree(Path(settings.data_dir) / "ingest", ignore_errors=True)
    planted = _plant(http, accounts, world)
    batches = Path(settings.data_dir) / "ingest" / "batches"
    backup = Path(settings.data_dir).parent / "side-store-backup"
    shutil.rmtree(backup, ignore_errors=True)
    shutil.copytree(batches, backup)
    _destroy(http, world)
    shutil.rmtree(batches)
    shutil.copytree(backup, batches)  # the old files are back, the person's rows in them
    shutil.rmtree(backup)
    # Opened by hand with the key ring and the key table, the files hold the person nowhere.
    opened = _opened_staging(db, settings)
    assert [
        f"{what} in {where}"
        for where, blob in opened
        for needle, what in _needles().items()
        if needle in blob
    ] == []
    assert any(where.endswith("(rows opened)") and blob for where, blob in opened)  # the others' rows open
    # Through the data path: the pending batch without the person, and the read says one row did not open.
    with db.session() as s:
        from edudata.identity.service import principal_for
        from edudata.org.models import Account

        office = s.scalars(select(Account).where(Account.username == "office")).one()
        who = principal_for(s, office.id, source_ip="127.0.0.1", via="session")
        ctx = Context(session=s, settings=settings, database=db)
        good = side_store.read(who, ctx, planted["pending"], "good", action="ingest.batch.approve_office")
        assert PERSON["XH"] not in good.get_column("XH").to_list() and good.height == 1
        s.commit()
        record = s.scalars(
            select(AuditRecord)
            .where(AuditRecord.operation == "side_store_read")
            .order_by(AuditRecord.seq.desc())
        ).first()
        assert record.detail["destroyed_rows"] == 1 and record.username == "office"
        # The policy decides who reads a side store: the unit's officer may not load a batch.
        officer = s.scalars(select(Account).where(Account.username == "xgb")).one()
        with pytest.raises(PermissionDenied):
            side_store.read(
                principal_for(s, officer.id, source_ip="127.0.0.1", via="session"), ctx, planted["pending"], "good",
                action="ingest.batch.approve_office",
            )  # fmt: skip
    # The snapshot copy from before reads without the person — the same twelve rows the destruction left, so it
    # matches the digest the destruction recorded and its report counts twelve.
    report = http.get(f"/api/v1/ingest/snapshots/{planted['snapshot']}/report", headers=world["h"]["office"])
    assert report.status_code == 200 and report.json()["groups"] == [{"count": 12}], report.text


def test_rolling_back_a_version_after_a_destruction_brings_nothing_back(
    http: httpx.Client,
    accounts,
    world: dict,
    db: Database,  # noqa: ANN001
) -> None:
    """A rollback restores earlier versions from the history table (docs/data-path.md, *Restore and
    rollback*); a destruction removed the person's current row **and** every earlier version, so undoing the
    batch that changed them finds nothing of theirs to restore. The control: the same rollback without the
    destruction gives the person's earlier version back."""
    h = world["h"]
    paperwork(http, accounts, "student_basic", [PERSON])
    collect(http, accounts, "student_basic", [PERSON], headers=h["xgb"], unit="0104")
    row_id = row_ids(http, "student_basic", h["xgb"], "XH")[PERSON["XH"]]
    change(http, accounts, "student_basic", row_id, {"ZYMC": "审计学"}, headers=h["xgb"], unit="0104")
    versions = http.get("/api/v1/ingest/student_basic/versions", params={"limit": 1000}, headers=h["office"])
    newest = [v for v in versions.json()["items"] if v["status"] == "active"][-1]["version"]
    _destroy(http, world)
    assert row_id not in governed_ids(db, "gd_student_basic")
    assert row_id not in governed_ids(db, "gd_student_basic__history")

    r = http.post(f"/api/v1/ingest/student_basic/versions/{newest}/rollback", headers=h["office"])
    assert r.status_code == 200, r.text
    assert row_id not in governed_ids(db, "gd_student_basic")
    assert row_id not in governed_ids(db, "gd_student_basic__history")
    stored = http.get("/api/v1/data/student_basic", params={"limit": 1000}, headers=h["xgb"]).json()["items"]
    assert PERSON["XH"] not in {r["XH"] for r in stored}


def test_rolling_back_a_version_restores_the_earlier_one_when_nothing_was_destroyed(
    http: httpx.Client,
    accounts,
    world: dict,  # noqa: ANN001
) -> None:
    h = world["h"]
    paperwork(http, accounts, "student_basic", [PERSON])
    collect(http, accounts, "student_basic", [PERSON], headers=h["xgb"], unit="0104")
    row_id = row_ids(http, "student_basic", h["xgb"], "XH")[PERSON["XH"]]
    change(http, accounts, "student_basic", row_id, {"ZYMC": "审计学"}, headers=h["xgb"], unit="0104")
    versions = http.get("/api/v1/ingest/student_basic/versions", params={"limit": 1000}, headers=h["office"])
    newest = [v for v in versions.json()["items"] if v["status"] == "active"][-1]["version"]
    r = http.post(f"/api/v1/ingest/student_basic/versions/{newest}/rollback", headers=h["office"])
    assert r.status_code == 200, r.text
    stored = http.get("/api/v1/data/student_basic", params={"limit": 1000}, headers=h["xgb"]).json()["items"]
    assert {r["XH"]: r["ZYMC"] for r in stored}[PERSON["XH"]] == PERSON["ZYMC"] != "审计学"
