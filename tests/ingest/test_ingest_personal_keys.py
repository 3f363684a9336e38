"""Personal information under each person's own key (Art. 35-36 crypto-shredding, issue 17), in the store and
its history: collected through review, searched through blind indexes, read back through the data path, and
unreadable in every copy once the person's key is destroyed."""

from __future__ import annotations

import json

from ingest_support import csv_bytes, student_frame
from sqlalchemy import select, text

from edudata import cache
from edudata.access.crypto_bridge import StoreCrypto
from edudata.access.specs import load_spec
from edudata.config import Settings
from edudata.crypto.models import SubjectKey
from edudata.crypto.subject_keys import destroy_subject_keys
from edudata.db import Database
from edudata.store.guard import datapath_scope
from edudata.store.service import tables_for
from support.collect import change, row_ids
from support.crypto import contains, raw_cells

PERSONAL = ("XM", "SFZJH", "CSRQ", "MZM", "SJHM", "YHKH", "DZYX", "JTDZ")


def _approve(up, content: bytes) -> None:  # noqa: ANN001
    code = up(content).json()["code"]
    assert up.review(code, "xgb_rev").status_code == 200
    assert up.review(code, "office").status_code == 200


def _stored(db: Database, table: str) -> list[dict]:
    with db.engine.connect() as conn, datapath_scope("inspect"):
        return [dict(r) for r in conn.execute(text(f'SELECT * FROM "{table}"')).mappings()]


def _key_ids(db: Database) -> dict[str, int]:
    with db.session() as s:
        return dict(s.execute(select(SubjectKey.subject_ref, SubjectKey.id)).all())


def test_every_personal_value_is_sealed_under_its_persons_key_in_the_store_and_its_history(
    http, world, accounts, db: Database, settings: Settings
) -> None:
    frame = student_frame(12, seed=7)
    _approve(world["up"], csv_bytes(frame))
    with db.session() as s:
        spec = load_spec(s, "student_basic")
        current, history = tables_for(s, spec)
    assert {e.code for e in spec.elements if e.personal} == set(PERSONAL)
    # 学号, 院系, 专业, 年级, 学籍状态 are not about the person alone: they stay searchable by range and prefix.
    assert not any(spec.element(c).encrypted for c in ("XH", "YXDM", "ZYMC", "NJ", "XJZT"))
    keys = _key_ids(db)
    rows = _stored(db, current.name)
    assert len(rows) == 12
    for row in rows:
        key_id = keys[row["_subject"]]
        for code in PERSONAL:
            if row[code.lower()] is None:  # sensitive PI without its Art. 51 paperwork is not collected
                continue
            value = bytes(row[code.lower()])
            # Envelope format 2 (a person's key) naming this row's person's key, in every personal column.
            assert value[0] == 2 and int.from_bytes(value[1:5], "big") == key_id, code
    # No personal value in clear anywhere in the database: names, mobiles, e-mail, addresses, dates of birth.
    needles = [
        str(v).encode()
        for code in ("XM", "SJHM", "DZYX", "JTDZ", "SFZJH", "YHKH")
        for v in frame[code].to_list()
        if v
    ]
    with datapath_scope("inspect"):
        leaks = [(t, c) for t, c, v in raw_cells(db) if contains(v, needles)]
    assert leaks == []

    # Search still works: equality on name, mobile and ID number through their blind indexes.
    office = world["h"]["office"]
    person = frame.row(4, named=True)
    for code in ("XM", "SJHM", "SFZJH"):
        wanted = json.dumps({"element": code, "op": "eq", "value": person[code]})
        r = http.get("/api/v1/data/student_basic", params={"filter": wanted}, headers=office)
        assert r.status_code == 200, r.text
        assert [row["XH"] for row in r.json()["items"]] == [person["XH"]], code
    r = http.get("/api/v1/data/student_basic", params={"limit": 100}, headers=office)
    back = {row["XH"]: row for row in r.json()["items"]}
    assert back[person["XH"]]["JTDZ"].startswith(person["JTDZ"][:3])  # read back (masked for the office)

    # An update keeps the earlier version in history — sealed under the same person's key.
    ids = row_ids(http, "student_basic", office, "XH")
    change(
        http, accounts, "student_basic", ids[person["XH"]], {"SJHM": "13912345678"},
        headers=world["h"]["xgb"], unit="0104",
    )  # fmt: skip
    archived = [h for h in _stored(db, history.name) if h["_id"] == ids[person["XH"]]]
    assert archived and all(bytes(h["sjhm"])[0] == 2 for h in archived)
    with db.session() as s:
        ref = StoreCrypto(s, settings).subject_refs([person["SFZJH"]])[0]
    assert int.from_bytes(bytes(archived[-1]["xm"])[1:5], "big") == keys[ref]


def test_destroying_a_persons_key_leaves_their_values_unreadable_and_everyone_else_readable(
    http, world, db: Database, settings: Settings
) -> None:
    frame = student_frame(6, seed=8)
    _approve(world["up"], csv_bytes(frame))
    gone, kept = frame.row(2, named=True), frame.row(3, named=True)
    with db.session() as s:
        spec = load_spec(s, "student_basic")
        current, _ = tables_for(s, spec)
    before = {r["xh"]: r for r in _stored(db, current.name)}
    with db.session() as s:
        ref = StoreCrypto(s, settings).subject_refs([gone["SFZJH"]])[0]
        assert destroy_subject_keys(s, [ref]) == 1
        s.commit()
    cache.clear_all()
    with db.session() as s:
        crypto = StoreCrypto(s, settings)
        # The ciphertext kept before the destruction (as a backup or dump keeps it) opens for no one now.
        columns = {code: [before[gone["XH"]][code.lower()]] for code in PERSONAL}
        assert crypto.decrypt_columns(spec, columns) == {code: [None] for code in PERSONAL}
        theirs = crypto.decrypt_columns(spec, {code: [before[kept["XH"]][code.lower()]] for code in PERSONAL})
        assert theirs["XM"] == [kept["XM"]] and theirs["SFZJH"] == [kept["SFZJH"]]
    r = http.get("/api/v1/data/student_basic", params={"limit": 100}, headers=world["h"]["office"])
    assert r.status_code == 200, r.text
    rows = {row["XH"]: row for row in r.json()["items"]}
    assert rows[gone["XH"]]["XM"] is None and rows[gone["XH"]]["SFZJH"] is None
    assert rows[kept["XH"]]["XM"] is not None
