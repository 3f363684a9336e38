"""The conditions of conditional open data (有条件开放, Art. 44(2)): the provider states who may apply, for what
and with which commitments; the portal shows them; an application answers every one; the office's review checks
every answer — on the API and on the pages, each refusal a bilingual 4xx with nothing stored."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import func, select

from edudata.audit.models import AuditRecord
from edudata.db import Database
from edudata.opendata.models import OpenApplication, OpenView
from opendata.conftest import ANSWERS, CHECKS, CONDITIONS, Catcher, proposal, register_and_login
from support.server import LiveServer
from support.students import PASSWORD

HTML = {"accept": "text/html"}
APPLY = "/api/v1/open/applications"


def _csrf(page: httpx.Response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def _count(db: Database, model: type) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def _apply(od: httpx.Client, user: dict, view: str, answers: dict) -> httpx.Response:
    return od.post(
        APPLY, json={"view": view, "purpose": "研究", "usage": "论文", "answers": answers}, headers=user
    )


def _decide(od: httpx.Client, staff: dict, app_id: int, checks: dict | None) -> httpx.Response:
    body = {"decision": "approve", **({"checks": checks} if checks is not None else {})}
    return od.post(f"/api/v1/opendata/applications/{app_id}/decision", json=body, headers=staff["office"])


def test_a_conditional_proposal_states_who_may_apply_for_what_and_which_commitments(
    od: httpx.Client, staff: dict, db: Database
) -> None:
    url, h = "/api/v1/opendata/proposals", staff["jwc"]
    none = od.post(url, json=proposal("course_info", open_category="conditional", conditions=[]), headers=h)
    assert none.status_code == 422 and none.json()["field"] == "conditions"
    assert "申请主体" in none.json()["detail_zh"] and "Art. 44(2)" in none.json()["detail_en"]
    no_commitment = proposal("course_info", open_category="conditional", conditions=CONDITIONS[:2])
    r = od.post(url, json=no_commitment, headers=h)
    assert (
        r.status_code == 422 and r.json()["missing"] == ["commitment"] and "承诺事项" in r.json()["detail_zh"]
    )
    unconditional = od.post(
        url, json=proposal("research_output", conditions=CONDITIONS), headers=staff["kyc"]
    )
    assert unconditional.status_code == 422 and unconditional.json()["field"] == "conditions"
    assert _count(db, OpenView) == 0
    ok = od.post(url, json=proposal("course_info", open_category="conditional"), headers=h)
    assert ok.status_code == 201, ok.text
    assert [(c["id"], c["kind"]) for c in ok.json()["conditions"]] == [
        ("c1", "applicant"), ("c2", "purpose"), ("c3", "commitment")
    ]  # fmt: skip


def test_the_portal_shows_the_conditions(od: httpx.Client, courses: str) -> None:
    shown = od.get(f"/api/v1/open/datasets/{courses}").json()["conditions"]
    assert [(c["id"], c["text"]) for c in shown] == [
        (f"c{i}", c["text"]) for i, c in enumerate(CONDITIONS, 1)
    ]
    assert shown[2]["kind_label"] == ["承诺事项", "commitment"]
    page = od.get(f"/open/datasets/{courses}", headers=HTML)
    assert page.status_code == 200 and 'id="conditions"' in page.text
    assert all(c["text"] in page.text for c in CONDITIONS)
    assert "researchers of universities" in od.get(f"/open/datasets/{courses}?lang=en", headers=HTML).text


def test_an_application_that_skips_a_condition_is_refused_and_nothing_is_stored(
    od: httpx.Client, staff: dict, smtp: Catcher, courses: str, db: Database
) -> None:
    user = register_and_login(od, smtp)
    not_committed = _apply(od, user, courses, {**ANSWERS, "c3": False})
    assert not_committed.status_code == 422 and not_committed.json()["missing"] == ["c3"]
    assert "不向第三方提供数据" in not_committed.json()["detail_zh"]
    assert "answers every condition" in not_committed.json()["detail_en"]
    skipped = _apply(od, user, courses, {"c2": "课程体系研究", "c3": True})
    assert skipped.status_code == 422 and skipped.json()["missing"] == ["c1"]
    blank = _apply(od, user, courses, {**ANSWERS, "c2": "  "})
    assert blank.status_code == 422 and blank.json()["missing"] == ["c2"]
    unknown = _apply(od, user, courses, {**ANSWERS, "c9": "x"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "answers"
    assert _count(db, OpenApplication) == 0
    with db.session() as s:
        failed = s.scalars(select(AuditRecord).where(AuditRecord.operation == "request_failed")).all()
    assert [r.detail["path"] for r in failed if r.detail.get("status") == 422].count(APPLY) == 4
    done = _apply(od, user, courses, ANSWERS)
    assert done.status_code == 201, done.text
    mine = od.get(APPLY, headers=user).json()["items"][0]["conditions"]
    assert [(c["id"], c["answer"]) for c in mine] == [
        ("c1", ANSWERS["c1"]),
        ("c2", ANSWERS["c2"]),
        ("c3", True),
    ]


def test_the_review_checks_every_answer_before_approving(
    od: httpx.Client, staff: dict, smtp: Catcher, courses: str, db: Database
) -> None:
    user = register_and_login(od, smtp)
    app_id = _apply(od, user, courses, ANSWERS).json()["id"]
    unchecked = _decide(od, staff, app_id, None)
    assert unchecked.status_code == 422 and unchecked.json()["missing"] == ["c1", "c2", "c3"]
    assert (
        "逐条核对" in unchecked.json()["detail_zh"] and "checks every answer" in unchecked.json()["detail_en"]
    )
    one_not_met = _decide(od, staff, app_id, {**CHECKS, "c2": False})
    assert one_not_met.status_code == 422 and one_not_met.json()["missing"] == ["c2"]
    with db.session() as s:
        assert s.get(OpenApplication, app_id).status == "pending"
    assert od.post(f"{APPLY}/{app_id}/key", headers=user).status_code == 403
    ok = _decide(od, staff, app_id, CHECKS)
    assert ok.status_code == 200 and ok.json()["status"] == "approved" and ok.json()["checks"] == CHECKS
    listed = od.get("/api/v1/opendata/applications", headers=staff["office"]).json()["items"][0]
    assert [(c["id"], c["checked"]) for c in listed["conditions"]] == [
        ("c1", True),
        ("c2", True),
        ("c3", True),
    ]
    key = od.post(f"{APPLY}/{app_id}/key", headers=user).json()["key"]
    assert od.get(f"/api/v1/open/datasets/{courses}/rows", headers={"X-API-Key": key}).status_code == 200


def test_restated_conditions_need_a_new_application_and_only_the_provider_restates_them(
    od: httpx.Client, staff: dict, smtp: Catcher, courses: str
) -> None:
    user = register_and_login(od, smtp)
    app_id = _apply(od, user, courses, ANSWERS).json()["id"]
    url = f"/api/v1/opendata/views/{courses}/conditions"
    stricter = [*CONDITIONS, {"kind": "commitment", "text": "成果注明数据来源"}]
    assert od.put(url, json={"conditions": stricter}, headers=staff["kyc"]).status_code == 403  # another unit
    assert od.put(url, json={"conditions": CONDITIONS[1:]}, headers=staff["jwc"]).status_code == 422
    r = od.put(url, json={"conditions": stricter}, headers=staff["jwc"])
    assert r.status_code == 200 and [c["id"] for c in r.json()["conditions"]] == ["c1", "c2", "c3", "c4"]
    stale = _decide(od, staff, app_id, {**CHECKS, "c4": True})
    assert stale.status_code == 409 and "重新申请" in stale.json()["detail_zh"]
    refused = od.post(f"/api/v1/opendata/applications/{app_id}/decision",
                      json={"decision": "refuse", "reason": "开放条件已调整，请重新申请"}, headers=staff["office"])  # fmt: skip
    assert refused.status_code == 200
    assert _apply(od, user, courses, ANSWERS).json()["missing"] == ["c4"]
    again = _apply(od, user, courses, {**ANSWERS, "c4": True}).json()["id"]
    assert _decide(od, staff, again, {**CHECKS, "c4": True}).json()["status"] == "approved"


def test_the_pages_ask_for_every_answer_and_every_check(
    od: httpx.Client, staff: dict, smtp: Catcher, courses: str, portal_server: LiveServer, db: Database
) -> None:
    citizen = httpx.Client(base_url=portal_server.url, timeout=60)
    register_and_login(od, smtp)  # li.ming@example.org, verified
    login = citizen.get("/open/login", headers=HTML)
    data = {"email": "li.ming@example.org", "password": "Open-data-2026!", "csrf_token": _csrf(login)}
    assert citizen.post("/open/login", data=data, headers=HTML).status_code == 303
    account = citizen.get("/open/account", headers=HTML)
    assert f'id="apply-{courses}"' in account.text and 'name="answer_c3"' in account.text
    assert "我承诺" in account.text and CONDITIONS[0]["text"] in account.text
    form = {"view": courses, "purpose": "教学研究", "usage": "课题组内部", "csrf_token": _csrf(account),
            "answer_c1": "高校教师", "answer_c2": "课程体系研究"}  # fmt: skip
    refused = citizen.post("/open/account/apply", data=form, headers=HTML)
    assert refused.status_code == 422 and "未答复或未承诺" in refused.text
    assert _count(db, OpenApplication) == 0
    assert (
        citizen.post("/open/account/apply", data={**form, "answer_c3": "yes"}, headers=HTML).status_code
        == 303
    )

    office = httpx.Client(base_url=portal_server.url, timeout=60)
    token = _csrf(office.get("/login", headers=HTML))
    office.post(
        "/login", data={"username": "office", "password": PASSWORD, "csrf_token": token}, headers=HTML
    )
    listing = office.get("/opendata/applications", headers=HTML)
    assert "高校教师" in listing.text and 'name="check_c3"' in listing.text
    app_id = re.search(r'action="/opendata/applications/(\d+)"', listing.text).group(1)
    decide = {"decision": "approve", "csrf_token": _csrf(listing), "check_c1": "yes", "check_c3": "yes"}
    r = office.post(f"/opendata/applications/{app_id}", data=decide, headers=HTML)
    assert r.status_code == 422 and "c2（仅用于非营利的教学研究）" in r.text
    with db.session() as s:
        assert s.get(OpenApplication, int(app_id)).status == "pending"
    r = office.post(f"/opendata/applications/{app_id}", data={**decide, "check_c2": "yes"}, headers=HTML)
    assert r.status_code == 303
    with db.session() as s:
        assert s.get(OpenApplication, int(app_id)).checks == CHECKS
    citizen.close()
    office.close()


def test_the_propose_page_takes_the_conditions_one_a_line(
    od: httpx.Client, staff: dict, portal_server: LiveServer, db: Database
) -> None:
    jwc = httpx.Client(base_url=portal_server.url, timeout=60)
    token = _csrf(jwc.get("/login", headers=HTML))
    jwc.post("/login", data={"username": "jwc", "password": PASSWORD, "csrf_token": token}, headers=HTML)
    page = jwc.get("/opendata/propose", headers=HTML)
    assert 'name="cond_applicant"' in page.text and 'name="cond_commitment"' in page.text
    form = {"dataset": "course_info", "description": "课程目录", "open_category": "conditional",
            "licence": "CC-BY-4.0", "kind": "dataset", "csrf_token": _csrf(page),
            "cond_applicant": "本市高校教师\n科研机构研究人员", "cond_purpose": "教学研究"}  # fmt: skip
    refused = jwc.post("/opendata/propose", data=form, headers=HTML)
    assert refused.status_code == 422 and "开放条件缺少：承诺事项" in refused.text
    assert "本市高校教师" in refused.text  # what was typed is kept
    assert _count(db, OpenView) == 0
    done = jwc.post("/opendata/propose", data={**form, "cond_commitment": "不向第三方提供"}, headers=HTML)
    assert done.status_code == 303, done.text
    with db.session() as s:
        view = s.scalars(select(OpenView)).one()
        assert [(c["kind"], c["text"]) for c in view.conditions] == [
            ("applicant", "本市高校教师"), ("applicant", "科研机构研究人员"), ("purpose", "教学研究"),
            ("commitment", "不向第三方提供"),
        ]  # fmt: skip
    shown = jwc.get(done.headers["location"], headers=HTML)
    assert 'id="conditions"' in shown.text and "科研机构研究人员" in shown.text
    jwc.close()
