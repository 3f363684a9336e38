"""Item 2, sensitive personal information (Art. 51): collection into a sensitive element is refused until an
assessment and a collective decision are on file; consent per person, with withdrawal."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from edudata.db import Database
from edudata.errors import Conflict
from edudata.privacy import consent, sensitive
from edudata.privacy.models import CollectiveDecision, Consent
from support.privacy import approve, assess, attachment, decide
from support.students import student


@pytest.fixture
def world(staff: dict) -> dict:
    """No paperwork on file yet, nothing collected: the people the tests consent for."""
    return {**staff, "rows": [student(i) for i in range(12)]}


def _allowed(http: httpx.Client, h: dict, dataset: str, element: str) -> bool:
    rows = http.get("/api/v1/privacy/sensitive", params={"dataset": dataset}, headers=h).json()["items"]
    return next(r for r in rows if r["element"] == element)["collection_allowed"]


def test_a_marked_element_is_blocked_until_assessed_and_decided(
    http: httpx.Client, world: dict, db: Database
) -> None:
    h = world["h"]["office"]
    assert not _allowed(http, h, "student_basic", "MZM")
    with db.session() as s, pytest.raises(Conflict) as err:
        sensitive.check_collection(s, "student_basic", ["XH", "MZM"])
    assert "MZM" in err.value.zh and "Art. 51" in err.value.en
    r = assess(http, h, "student_basic", "MZM")
    assert r.status_code == 201, r.text
    assert not _allowed(http, h, "student_basic", "MZM")  # an assessment alone is not enough
    assert decide(http, h, r.json()["id"]).status_code == 201
    assert _allowed(http, h, "student_basic", "MZM")
    with db.session() as s:
        sensitive.check_collection(s, "student_basic", ["XH", "MZM"])  # no error now


def test_a_rejecting_decision_keeps_collection_blocked(http: httpx.Client, world: dict) -> None:
    h = world["h"]["dpo"]
    r = assess(http, h, "student_basic", "YHKH")
    assert decide(http, h, r.json()["id"], outcome="rejected").status_code == 201
    assert not _allowed(http, h, "student_basic", "YHKH")


def test_an_assessment_finding_collection_unnecessary_blocks_it(http: httpx.Client, world: dict) -> None:
    h = world["h"]["office"]
    r = assess(http, h, "student_basic", "YHKH", conclusion="not_necessary")
    decide(http, h, r.json()["id"])
    assert not _allowed(http, h, "student_basic", "YHKH")


def test_a_decision_needs_its_minutes_on_file(http: httpx.Client, world: dict, db: Database) -> None:
    h = world["h"]["office"]
    r = assess(http, h, "student_basic", "MZM")
    bad = decide(http, h, r.json()["id"], attachment_id=9999)
    assert bad.status_code == 404
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(CollectiveDecision)) == 0


def test_an_element_not_marked_sensitive_needs_no_assessment(http: httpx.Client, world: dict) -> None:
    r = assess(http, world["h"]["office"], "student_basic", "ZYMC")
    assert r.status_code == 409 and "ZYMC" in r.json()["detail_zh"]


def test_only_the_office_or_a_protection_officer_records_assessments(http: httpx.Client, world: dict) -> None:
    assert assess(http, world["h"]["xgb"], "student_basic", "MZM").status_code == 403
    assert assess(http, world["h"]["aud"], "student_basic", "MZM").status_code == 403


def test_the_attachment_keeps_its_hash(http: httpx.Client, world: dict, db: Database) -> None:
    import hashlib

    from edudata.privacy.models import PrivacyAttachment

    aid = attachment(http, world["h"]["office"])
    with db.session() as s:
        row = s.get(PrivacyAttachment, aid)
        assert row.sha256 == hashlib.sha256(b"%PDF-1.4 minutes of the meeting").hexdigest()


def _consent(http: httpx.Client, h: dict, id_no: str, element: str = "MZM") -> httpx.Response:
    return http.post(
        "/api/v1/privacy/consents",
        json={
            "id_number": id_no,
            "dataset": "student_basic",
            "element": element,
            "purpose": "民族政策类资助评定",
            "notice": "已告知收集民族信息的必要性及对个人的影响",
        },
        headers=h,
    )


def test_consent_is_kept_by_subject_reference_not_by_id_number(
    http: httpx.Client, world: dict, db: Database
) -> None:
    id_no = world["rows"][0]["SFZJH"]
    r = _consent(http, world["h"]["xgb"], id_no)
    assert r.status_code == 201, r.text
    assert id_no not in r.text and r.json()["id_hint"].endswith(id_no[-4:])
    with db.session() as s:
        row = s.execute(select(Consent)).scalar_one()
        assert id_no not in repr(row.__dict__) and len(row.subject_ref) == 32


def test_unconsented_rows_lists_people_without_an_active_consent(
    http: httpx.Client, world: dict, db: Database, settings
) -> None:
    ids = [r["SFZJH"] for r in world["rows"][:4]]
    h = world["h"]["xgb"]
    first = _consent(http, h, ids[0]).json()
    _consent(http, h, ids[1])
    _consent(http, h, ids[2], element="YHKH")
    with db.session() as s:
        missing = consent.unconsented_rows(s, "student_basic", [*ids, None], settings)
    assert missing["MZM"] == [2, 3, 4]
    assert missing["YHKH"] == [0, 1, 3, 4]
    # Withdrawal: from now on the person counts as not consenting.
    assert http.post(f"/api/v1/privacy/consents/{first['id']}/withdraw", headers=h).status_code == 200
    with db.session() as s:
        assert consent.unconsented_rows(s, "student_basic", ids, settings)["MZM"] == [0, 2, 3]


def test_withdrawing_twice_is_refused(http: httpx.Client, world: dict) -> None:
    h = world["h"]["xgb"]
    cid = _consent(http, h, world["rows"][0]["SFZJH"]).json()["id"]
    assert http.post(f"/api/v1/privacy/consents/{cid}/withdraw", headers=h).status_code == 200
    second = http.post(f"/api/v1/privacy/consents/{cid}/withdraw", headers=h)
    assert second.status_code == 409 and second.json()["detail_zh"]


def test_a_persons_consents_are_found_by_the_id_number_in_the_body(http: httpx.Client, world: dict) -> None:
    h = world["h"]["xgb"]
    id_no = world["rows"][5]["SFZJH"]
    _consent(http, h, id_no)
    typed = id_no[:-1] + id_no[-1].lower()  # a lower-case x or the same digit: normalised alike
    found = http.post("/api/v1/privacy/consents/lookup", json={"id_number": typed}, headers=h).json()[
        "consents"
    ]
    assert [c["element"] for c in found] == ["MZM"]


def test_an_invalid_id_number_is_refused_and_nothing_is_kept(
    http: httpx.Client, world: dict, db: Database
) -> None:
    r = _consent(http, world["h"]["xgb"], "120101200305011234")
    assert r.status_code == 422 and r.json()["field"] == "id_number"
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Consent)) == 0


def test_approved_elements_leave_the_outstanding_obligations(http: httpx.Client, world: dict) -> None:
    h = world["h"]["office"]

    def subjects() -> set[str]:
        obligations = http.get("/api/v1/privacy/obligations", headers=h).json()["items"]
        return {o["subject"] for o in obligations if o["kind"] == "sensitive_assessment"}

    assert "student_basic.MZM" in subjects()
    approve(http, h, "student_basic", "MZM")
    assert "student_basic.MZM" not in subjects()
