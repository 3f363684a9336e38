"""Item 1, the personal-information register (Art. 50): people counted once across datasets by the blind
index of the ID number, thresholds and the obligations they bring, over real HTTP on both databases."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
from sqlalchemy import select

from edudata.db import Database
from edudata.privacy import register
from edudata.privacy.models import InformationSystem, PersonCount
from support import clock
from support.collect import collect
from support.students import student


def _count(http: httpx.Client, h: dict) -> dict:
    r = http.post("/api/v1/privacy/register/count", headers=h)
    assert r.status_code == 200, r.text
    return {c["system"]: c for c in r.json()["counts"]}


def _kinds(db: Database, today: date | None = None) -> dict[str, set[str]]:
    with db.session() as s:
        found = register.outstanding_obligations(s, today)
    out: dict[str, set[str]] = {}
    for o in found:
        out.setdefault(o.kind, set()).add(o.system_code or o.subject)
    return out


def test_a_person_in_two_datasets_is_counted_once(http: httpx.Client, world: dict, accounts) -> None:
    # 人事处 loads staff; three of them carry the ID numbers of students already in student_basic.
    accounts.create(username="rsc", roles=("unit_data_officer",), unit_code="0102")
    staff = [
        {"GH": f"T{i:05d}", "XM": "李老师", "XBM": world["rows"][i]["XBM"], "SFZJH": world["rows"][i]["SFZJH"],
         "DWDM": "0201"}
        for i in range(3)
    ]  # fmt: skip
    collect(http, accounts, "staff_basic", staff, headers=accounts.headers("rsc"), unit="0102")
    counts = _count(http, world["h"]["office"])["edudata"]
    assert counts["per_dataset"]["student_basic"] == 12
    assert counts["per_dataset"]["staff_basic"] == 3
    assert counts["people"] == 12  # 12 + 3 rows, 12 people


def test_the_count_reads_no_value_it_only_uses_the_subject_reference(http: httpx.Client, world: dict) -> None:
    body = http.post("/api/v1/privacy/register/count", headers=world["h"]["dpo"]).text
    for row in world["rows"]:
        assert row["SFZJH"] not in body and row["XM"] not in body


def test_a_person_without_rights_cannot_count_and_the_refusal_is_audited(
    http: httpx.Client, world: dict, db: Database
) -> None:
    from edudata.audit.models import AuditRecord

    r = http.post("/api/v1/privacy/register/count", headers=world["h"]["lib"])
    assert r.status_code == 403
    with db.session() as s:
        denied = (
            s.execute(
                select(AuditRecord).where(AuditRecord.username == "lib", AuditRecord.result == "denied")
            )
            .scalars()
            .all()
        )
    assert denied


def test_below_200000_people_no_officer_or_filing_is_required(
    http: httpx.Client, world: dict, db: Database
) -> None:
    _count(http, world["h"]["office"])
    kinds = _kinds(db)
    assert "pi_officer" not in kinds and "commission_filing" not in kinds
    assert "register_not_counted" not in kinds


def _pretend_count(db: Database, people: int, when: date | None = None) -> None:
    """A register count as the platform would keep it (writing a million governed rows per test is for the
    bench; the thresholds are judged on the kept counts)."""
    from datetime import UTC, datetime, time

    at = datetime.combine(when or clock.today(), time(9), tzinfo=UTC)
    with db.session() as s:
        s.add(PersonCount(counted_at=at, system_code="edudata", people=people, counted_by="office"))
        s.commit()


def test_200000_people_require_an_officer_and_a_filing_until_both_are_on_file(
    http: httpx.Client, world: dict, db: Database
) -> None:
    _pretend_count(db, 200_000)
    kinds = _kinds(db)
    assert kinds["pi_officer"] == {"edudata"} and kinds["commission_filing"] == {"edudata"}
    assert "protection_level" not in kinds
    h = world["h"]["office"]
    r = http.patch("/api/v1/privacy/systems/edudata", json={"pi_officer_name": "王主任"}, headers=h)
    assert r.status_code == 200, r.text
    r = http.post(
        "/api/v1/privacy/systems/edudata/filings",
        json={"reference_no": "津教备〔2026〕12号", "filed_on": clock.today().isoformat()},
        headers=h,
    )
    assert r.status_code == 201, r.text
    kinds = _kinds(db)
    assert "pi_officer" not in kinds and "commission_filing" not in kinds


def test_199999_people_are_below_the_threshold(db: Database, world: dict) -> None:
    _pretend_count(db, 199_999)
    assert "pi_officer" not in _kinds(db)


def test_a_million_people_require_level_3_and_a_yearly_audit_with_a_due_date(
    http: httpx.Client, world: dict, db: Database
) -> None:
    h = world["h"]["office"]
    reached = clock.today() - timedelta(days=10)
    _pretend_count(db, 1_000_000, reached)
    kinds = _kinds(db)
    assert {"protection_level", "annual_pi_audit"} <= set(kinds)
    ob = next(o for o in http.get("/api/v1/privacy/obligations", headers=h).json()["items"]
              if o["kind"] == "annual_pi_audit")  # fmt: skip
    assert ob["due_on"] == reached.isoformat() and ob["article"] == "Art. 50"
    assert (
        http.patch("/api/v1/privacy/systems/edudata", json={"protection_level": 3}, headers=h).status_code
        == 200
    )
    audited = clock.today() - timedelta(days=5)
    r = http.post(
        "/api/v1/privacy/systems/edudata/pi-audits",
        json={"audited_on": audited.isoformat(), "auditor": "天津某测评中心"},
        headers=h,
    )
    assert r.status_code == 201 and r.json()["next_due_on"] == (audited + timedelta(days=365)).isoformat()
    kinds = _kinds(db)
    assert "protection_level" not in kinds and "annual_pi_audit" not in kinds
    # A year on, the audit is due again.
    assert "annual_pi_audit" in _kinds(db, audited + timedelta(days=365))


def test_a_never_counted_register_is_an_outstanding_obligation(db: Database, world: dict) -> None:
    assert _kinds(db)["register_not_counted"] == {"edudata"}


def test_a_business_system_counts_only_its_own_datasets(
    http: httpx.Client, world: dict, db: Database
) -> None:
    h = world["h"]["office"]
    r = http.post(
        "/api/v1/privacy/systems",
        json={"code": "xgxt", "name": "学工系统", "owner_unit_code": "0104", "datasets": ["student_aid"]},
        headers=h,
    )
    assert r.status_code == 201, r.text
    counts = _count(http, h)
    assert counts["xgxt"]["people"] == 0 and counts["edudata"]["people"] == 12
    with db.session() as s:
        assert s.execute(select(InformationSystem.code).order_by(InformationSystem.id)).scalars().all() == [
            "edudata",
            "xgxt",
        ]


def test_an_unknown_dataset_in_a_system_is_refused_and_changes_nothing(
    http: httpx.Client, world: dict, db: Database
) -> None:
    r = http.post(
        "/api/v1/privacy/systems",
        json={"code": "x1", "name": "某系统", "owner_unit_code": "0104", "datasets": ["no_such"]},
        headers=world["h"]["office"],
    )
    assert r.status_code == 422 and "no_such" in r.json()["detail_zh"]
    with db.session() as s:
        assert s.execute(select(InformationSystem.code)).scalars().all() == ["edudata"]


def test_a_second_row_of_a_known_person_is_refused_and_does_not_raise_the_count(
    http: httpx.Client, world: dict
) -> None:
    again = [student(100 + i) | {"SFZJH": world["rows"][i]["SFZJH"]} for i in range(2)]
    r = http.post("/api/v1/data/student_basic/rows", json={"rows": again}, headers=world["h"]["xgb"])
    assert r.status_code == 202, r.text
    batch = r.json()
    assert (batch["good"], batch["quarantined"]) == (
        0,
        2,
    )  # 一人一号: the ID number is stored under another 学号
    assert {f["element"] for f in batch["report"]["by_rule"]} == {"SFZJH"}
    assert _count(http, world["h"]["office"])["edudata"]["people"] == 12


def test_the_named_officer_account_must_hold_the_protection_officer_role(
    http: httpx.Client, world: dict
) -> None:
    h = world["h"]["office"]
    wrong = http.patch(
        "/api/v1/privacy/systems/edudata",
        json={"pi_officer_name": "李老师", "pi_officer_username": "lib"},
        headers=h,
    )
    assert wrong.status_code == 422 and wrong.json()["field"] == "pi_officer_username"
    right = http.patch(
        "/api/v1/privacy/systems/edudata",
        json={"pi_officer_name": "王主任", "pi_officer_username": "dpo"},
        headers=h,
    )
    assert right.status_code == 200 and right.json()["pi_officer_username"] == "dpo"
