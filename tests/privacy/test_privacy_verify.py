"""Item 2, 用而不存 (Art. 51): the verification service answers yes or no only — never a value — only on
elements the caller is granted for verification (or may see unmasked), is rate-limited per account and audited
without the values asked."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import select

from edudata.access.grants import create_grant
from edudata.audit.models import AuditRecord
from edudata.db import Database
from edudata.privacy.verify import VERIFY_LIMIT
from support.students import id_number

TRUE, FALSE = b'{"match":true}', b'{"match":false}'


def _grant(db: Database, elements: list[str], kind: str = "verify", **extra) -> int:  # noqa: ANN003
    with db.session() as s:
        g = create_grant(
            s, dataset_code="student_basic", grantee_unit_code="0110", elements=elements,
            purpose="读者身份核验", created_by="office", kind=kind, **extra,
        )  # fmt: skip
        s.commit()
        return g.id


@pytest.fixture(autouse=True)
def verify_grant(world: dict, db: Database) -> int:
    """图书馆 (0110) holds a verification grant (用而不存) on 身份证件号 and 姓名 of student_basic."""
    return _grant(db, ["SFZJH", "XM"])


def _ask(http: httpx.Client, h: dict, key: tuple[str, str], check: tuple[str, str]) -> httpx.Response:
    body = {
        "dataset": "student_basic",
        "key": {"element": key[0], "value": key[1]},
        "check": {"element": check[0], "value": check[1]},
    }
    return http.post("/api/v1/privacy/verify", json=body, headers=h)


def _no_value_in(body: bytes, rows: list[dict]) -> None:
    text = body.decode()
    for row in rows:
        for value in row.values():
            # Short ASCII codes (民族码 "01", 性别码 "1") could match any request id by chance; every identifying
            # value (ID and card numbers, names, mobiles, addresses, e-mails) is checked.
            if isinstance(value, str) and len(value) >= 2 and not (value.isascii() and len(value) < 6):
                assert value not in text, value


def test_a_matching_pair_is_answered_yes_and_nothing_else(http: httpx.Client, world: dict) -> None:
    row = world["rows"][3]
    r = _ask(http, world["h"]["lib"], ("SFZJH", row["SFZJH"]), ("XM", row["XM"]))
    assert r.status_code == 200
    assert r.content == TRUE
    _no_value_in(r.content, world["rows"])


def test_a_wrong_name_is_answered_no_with_the_same_shape(http: httpx.Client, world: dict) -> None:
    row = world["rows"][3]
    r = _ask(http, world["h"]["lib"], ("SFZJH", row["SFZJH"]), ("XM", "不存在"))
    assert r.content == FALSE
    _no_value_in(r.content, world["rows"])


def test_an_unknown_id_number_is_answered_no_like_a_wrong_name(http: httpx.Client, world: dict) -> None:
    r = _ask(http, world["h"]["lib"], ("SFZJH", id_number(777)), ("XM", world["rows"][0]["XM"]))
    assert r.content == FALSE


def test_an_encrypted_element_can_be_checked_without_being_returned(http: httpx.Client, world: dict) -> None:
    row = world["rows"][5]
    yes = _ask(http, world["h"]["xgb"], ("XH", row["XH"]), ("SFZJH", row["SFZJH"].lower()))
    no = _ask(http, world["h"]["xgb"], ("XH", row["XH"]), ("SFZJH", world["rows"][6]["SFZJH"]))
    assert (yes.content, no.content) == (TRUE, FALSE)
    for r in (yes, no):
        _no_value_in(r.content, world["rows"])


def test_refusals_carry_no_value_either(http: httpx.Client, world: dict) -> None:
    row = world["rows"][1]
    for r in (
        _ask(http, world["h"]["lib"], ("SFZJH", row["SFZJH"]), ("NOPE", row["XM"])),
        _ask(http, world["h"]["aud"], ("SFZJH", row["SFZJH"]), ("XM", row["XM"])),
        _ask(http, world["h"]["lib"], ("SFZJH", row["SFZJH"]), ("SFZJH", row["SFZJH"])),
    ):
        assert r.status_code in (403, 422), r.text
        _no_value_in(r.content, world["rows"])


def test_the_auditor_may_not_use_the_service(http: httpx.Client, world: dict) -> None:
    row = world["rows"][0]
    assert _ask(http, world["h"]["aud"], ("SFZJH", row["SFZJH"]), ("XM", row["XM"])).status_code == 403


def test_calls_beyond_the_limit_are_refused_and_audited(
    http: httpx.Client, world: dict, db: Database
) -> None:
    row = world["rows"][0]
    h = world["h"]["lib"]
    for _ in range(VERIFY_LIMIT):
        assert _ask(http, h, ("SFZJH", row["SFZJH"]), ("XM", row["XM"])).status_code == 200
    r = _ask(http, h, ("SFZJH", row["SFZJH"]), ("XM", row["XM"]))
    assert r.status_code == 429 and r.headers["Retry-After"] == "60"
    _no_value_in(r.content, world["rows"])
    # Another account has its own allowance.
    assert _ask(http, world["h"]["xgb"], ("SFZJH", row["SFZJH"]), ("XM", row["XM"])).content == TRUE
    with db.session() as s:
        refused = (
            s.execute(
                select(AuditRecord).where(AuditRecord.operation == "verify", AuditRecord.result == "denied")
            )
            .scalars()
            .all()
        )
    assert [a.username for a in refused] == ["lib"]


def test_the_audit_names_the_elements_and_answer_but_never_the_values(
    http: httpx.Client, world: dict, db: Database
) -> None:
    row = world["rows"][2]
    _ask(http, world["h"]["lib"], ("SFZJH", row["SFZJH"]), ("XM", row["XM"]))
    with db.session() as s:
        records = s.execute(select(AuditRecord).where(AuditRecord.operation == "verify")).scalars().all()
    assert len(records) == 1
    rec = records[0]
    elements = json.loads(rec.elements) if isinstance(rec.elements, str) else rec.elements
    detail = json.loads(rec.detail) if isinstance(rec.detail, str) else rec.detail
    assert elements == ["SFZJH", "XM"] and detail["matched"] is True
    stored = " ".join(str(v) for v in (rec.elements, rec.detail, rec.filter))
    assert row["SFZJH"] not in stored and row["XM"] not in stored


def test_an_applicant_without_a_grant_cannot_verify(http: httpx.Client, world: dict, db: Database) -> None:
    with db.session() as s:
        from edudata.access.models import AccessGrant

        s.query(AccessGrant).delete()
        s.commit()
    row = world["rows"][0]
    r = _ask(http, world["h"]["lib"], ("SFZJH", row["SFZJH"]), ("XM", row["XM"]))
    assert r.status_code == 403 and "Art. 51" in r.json()["detail_en"]
    with db.session() as s:
        denied = (
            s.execute(
                select(AuditRecord).where(AuditRecord.operation == "verify", AuditRecord.result == "denied")
            )
            .scalars()
            .all()
        )
    assert [a.username for a in denied] == ["lib"]


def test_an_element_outside_the_verification_grant_cannot_be_checked(http: httpx.Client, world: dict) -> None:
    row = world["rows"][0]
    r = _ask(http, world["h"]["lib"], ("SFZJH", row["SFZJH"]), ("MZM", row["MZM"]))
    assert r.status_code == 403 and "Art. 51" in r.json()["detail_en"]


def test_an_element_seen_only_masked_cannot_be_checked_even_by_the_office(
    http: httpx.Client, world: dict
) -> None:
    row = world["rows"][0]
    # 民族码 is sensitive PI: masked even for the office, so the office may not confirm it either.
    r = _ask(http, world["h"]["office"], ("XH", row["XH"]), ("MZM", row["MZM"]))
    assert r.status_code == 403
    assert _ask(http, world["h"]["office"], ("XH", row["XH"]), ("XM", row["XM"])).content == TRUE


def test_a_read_grant_verifies_only_what_it_shows_unmasked(
    http: httpx.Client, world: dict, db: Database
) -> None:
    with db.session() as s:
        from edudata.access.models import AccessGrant

        s.query(AccessGrant).delete()
        s.commit()
    _grant(db, ["XH", "XM", "MZM"], kind="read", masking={"XM": "name"})
    row = world["rows"][0]
    assert _ask(http, world["h"]["lib"], ("XH", row["XH"]), ("MZM", row["MZM"])).status_code == 403
    assert _ask(http, world["h"]["lib"], ("XH", row["XH"]), ("XM", row["XM"])).status_code == 403
    assert _ask(http, world["h"]["lib"], ("XM", row["XM"]), ("XH", row["XH"])).status_code == 403


def test_a_verification_grant_keeps_to_its_rows_and_reads_nothing(
    http: httpx.Client, world: dict, db: Database
) -> None:
    with db.session() as s:
        from edudata.access.models import AccessGrant

        s.query(AccessGrant).delete()
        s.commit()
    _grant(db, ["SFZJH", "XM"], row_filter={"element": "YXDM", "op": "eq", "value": "0202"})
    inside, outside = world["rows"][9], world["rows"][0]  # rows 8.. are of 0202
    assert _ask(http, world["h"]["lib"], ("SFZJH", inside["SFZJH"]), ("XM", inside["XM"])).content == TRUE
    assert _ask(http, world["h"]["lib"], ("SFZJH", outside["SFZJH"]), ("XM", outside["XM"])).content == FALSE
    read = http.get("/api/v1/data/student_basic", headers=world["h"]["lib"])
    assert read.status_code == 403
