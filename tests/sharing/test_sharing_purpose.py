"""Sharing stays inside the school and inside its purpose (Art. 4(3), 10, 32, 41, 54).

- a support company's account (技术支持或服务单位, 附件3) cannot apply: a bilingual 403 and an audit record;
- statistics, research or decision analysis is delivered de-identified (Art. 54), whatever the applicant declares;
- data beyond the authoritative basic data waits for the three-party agreement (三方授权协议, Art. 10(1));
- 附件2 is signed for the unit by its head, not only by the applicant (Art. 41).
"""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from edudata.access.models import AccessGrant
from edudata.audit.models import AuditRecord
from edudata.db import Database
from edudata.lifecycle.people import record_agreement
from edudata.org.service import get_account
from edudata.sharing.models import ShareApplication
from support import clock
from support.sharing import application, apply, approve, credential, granted, sign_and_submit


def test_a_support_company_account_cannot_apply_and_the_refusal_is_audited(
    http: httpx.Client, world: dict, accounts, db: Database
) -> None:
    accounts.create(
        username="vendor", roles=("applicant",), unit_code="0301"
    )  # 天财数智科技有限公司 (support)
    with db.session() as s:  # its 附件3 is on file, so it can sign in (Art. 12) — and still not apply
        record_agreement(s, account=get_account(s, "vendor"), kind="annex3", signed_on=clock.days_from_today(-1),
                         document_ref="附件3", document_sha256=None, recorded_by="tests")  # fmt: skip
        s.commit()
    r = http.post("/api/v1/sharing/applications", json=application(), headers=accounts.headers("vendor"))
    assert r.status_code == 403, r.text
    body = r.json()
    assert "技术支持或服务单位" in body["detail_zh"] and "第十条" in body["detail_zh"]
    assert "support" in body["detail_en"] and "Art. 4(3), 10" in body["detail_en"]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ShareApplication)) == 0
        last = s.scalar(select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(1))
        assert last.username == "vendor" and last.result == "denied"
        assert last.detail["path"] == "/api/v1/sharing/applications" and "support" in last.detail["reason"]
    # An internal unit's applicant applies as before.
    assert apply(http, world["h"]["lib"])["status"] == "draft"


def test_a_research_purpose_is_delivered_deidentified_whatever_the_applicant_declares(
    http: httpx.Client, world: dict, db: Database
) -> None:
    # Declared as business, not a third party, no masking asked: the written purpose is a statistical study.
    app = granted(http, world, purpose="开展本院学生学业情况统计分析", purpose_kind="business")
    assert app["status"] == "granted" and app["purpose_kind"] == "statistics" and app["deidentified"]
    assert app["grant"]["deidentified"] and app["grant"]["purpose_kind"] == "statistics"
    rows = http.get("/api/v1/data/student_basic", params={"limit": 100},
                    headers=credential(http, world["h"]["lib"], app["id"])).json()["items"]  # fmt: skip
    original = {r["XH"] for r in world["rows"]}
    assert rows and all(r["XM"] is None and r["SJHM"] is None for r in rows)
    assert all(r["XH"] not in original for r in rows)
    # A declared research purpose is de-identified too, however its words read.
    second = granted(http, world, purpose_kind="research")
    assert second["purpose_kind"] == "research" and second["grant"]["deidentified"]
    # An ordinary business purpose is delivered as approved.
    plain = granted(http, world)
    assert plain["purpose_kind"] == "business" and not plain["grant"]["deidentified"]
    with db.session() as s:
        kinds = dict(s.execute(select(AccessGrant.id, AccessGrant.purpose_kind)).all())
    assert kinds[app["grant_id"]] == "statistics" and kinds[plain["grant_id"]] == "business"


def test_an_unknown_purpose_kind_is_refused(http: httpx.Client, world: dict) -> None:
    r = http.post("/api/v1/sharing/applications", json=application(purpose_kind="marketing"),
                  headers=world["h"]["lib"])  # fmt: skip
    assert r.status_code == 422 and r.json()["field"] == "purpose_kind"


def test_data_beyond_the_basic_data_waits_for_the_three_party_agreement(
    http: httpx.Client, world: dict, db: Database
) -> None:
    h = world["h"]
    # 课程信息 (teaching data, 教务处) is not the authoritative basic data of staff or students (Art. 10(1)).
    app = apply(http, h["lib"], dataset_code="course_info", elements=["KCH", "KCMC"], row_filter=None)
    assert app["needs_agreement"]
    sign_and_submit(http, h["lib"], app["id"])
    r = approve(http, h["office"], app["id"])
    assert r.status_code == 200, r.text
    held = r.json()
    assert held["status"] == "pending_agreement" and held["grant_id"] is None
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(AccessGrant)) == 0
    doc = {"file": ("三方授权协议.pdf", b"%PDF-1.4 signed by 0110, 0103 and 0002", "application/pdf")}
    form = {"signed_on": clock.iso(-1)}
    url = f"/api/v1/sharing/applications/{app['id']}/agreement"
    assert http.post(url, files=doc, data=form, headers=h["lib"]).status_code == 403  # the office files it
    r = http.post(url, files=doc, data=form, headers=h["office"])
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "granted" and done["grant_id"] is not None
    assert done["agreement"]["parties"] == ["0110", "0103", "0002"] and len(done["agreement"]["sha256"]) == 64
    # The students' basic data needs none (Art. 10(1)): it is granted without one.
    basic = granted(http, world)
    assert not basic["needs_agreement"] and basic["status"] == "granted"
    r = http.post(
        f"/api/v1/sharing/applications/{basic['id']}/agreement", files=doc, data=form, headers=h["office"]
    )
    assert r.status_code == 409


def test_the_commitment_is_signed_for_the_unit_by_its_head(http: httpx.Client, world: dict) -> None:
    h = world["h"]
    app = apply(http, h["lib2"])  # lib2 applies; lib is the library's head
    text = http.get("/api/v1/sharing/commitment", headers=h["lib2"]).json()
    sha = {"text_sha256": text["text_sha256"]}
    assert (
        http.post(f"/api/v1/sharing/applications/{app['id']}/sign", json=sha, headers=h["lib2"]).status_code
        == 200
    )
    r = http.post(f"/api/v1/sharing/applications/{app['id']}/submit", headers=h["lib2"])
    assert r.status_code == 409 and "负责人" in r.json()["detail_zh"] and "head" in r.json()["detail_en"]
    r = http.post(f"/api/v1/sharing/applications/{app['id']}/sign-unit", json=sha, headers=h["lib2"])
    assert r.status_code == 403 and "Art. 41" in r.json()["detail_en"]  # a person, not the unit's head
    r = http.post(f"/api/v1/sharing/applications/{app['id']}/sign-unit", json=sha, headers=h["lib"])
    assert r.status_code == 200, r.text
    assert (
        r.json()["unit_signature"]["username"] == "lib" and r.json()["unit_signature"]["unit_code"] == "0110"
    )
    r = http.post(f"/api/v1/sharing/applications/{app['id']}/submit", headers=h["lib2"])
    assert r.status_code == 200 and r.json()["status"] == "pending_producer"


def test_the_office_names_unit_heads_of_internal_units_only(http: httpx.Client, world: dict) -> None:
    h = world["h"]
    r = http.put("/api/v1/sharing/unit-heads/0110", json={"username": "lib2"}, headers=h["office"])
    assert r.status_code == 200 and r.json()["username"] == "lib2"
    heads = http.get("/api/v1/sharing/unit-heads", headers=h["lib"]).json()["heads"]
    assert [x["username"] for x in heads if x["unit_code"] == "0110"] == ["lib2"]
    assert (
        http.put("/api/v1/sharing/unit-heads/0110", json={"username": "lib"}, headers=h["lib"]).status_code
        == 403
    )
    r = http.put("/api/v1/sharing/unit-heads/0301", json={"username": "lib"}, headers=h["office"])
    assert r.status_code == 422
