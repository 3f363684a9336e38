"""Inspection pages and the role home pages over real HTTP: Chinese first, errors beside the field."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from edudata.access.grants import create_grant
from edudata.access.models import AccessGrant
from edudata.db import utcnow
from edudata.inspect.models import Finding, InspectionRun
from edudata.org.models import RoleAssignment
from edudata.org.service import find_account
from support import clock

HTML = {"accept": "text/html"}


def _csrf(page) -> str:  # noqa: ANN001
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


@pytest.fixture
def staff(accounts, in_session) -> None:  # noqa: ANN001
    for username, role, unit in (
        ("office", "office_admin", "0002"), ("officer", "unit_data_officer", "0002"), ("aud", "auditor", "0002"),
        ("lead", "leadership", "0001"), ("app", "applicant", "0110"), ("both", "office_admin", "0002"),
    ):  # fmt: skip
        accounts.create(username=username, roles=(role,), unit_code=unit)
    in_session(lambda s: s.add(RoleAssignment(account_id=find_account(s, "both").id, role="auditor")))


def _run(client) -> int:  # noqa: ANN001
    page = client.get("/inspect", headers=HTML)
    r = client.post("/inspect/runs", data={"mode": "year_end", "csrf_token": _csrf(page)}, headers=HTML)
    assert r.status_code == 303, r.text[:400]
    return int(r.headers["location"].rsplit("/", 1)[1])


def test_the_office_runs_from_the_page_and_reads_the_report(browser_client, staff) -> None:  # noqa: ANN001
    office = browser_client("office")
    run_id = _run(office)
    page = office.get(f"/inspect/runs/{run_id}", headers=HTML)
    assert "教育数据安全检查报告" in page.text and "第三十条" in page.text
    assert "账户 both 同时持有不相容岗位" in page.text
    english = office.get(f"/inspect/runs/{run_id}?lang=en", headers=HTML)
    assert "Education data inspection report" in english.text and "Art. 30" in english.text


def test_a_special_check_without_a_choice_is_explained_beside_the_field(browser_client, staff, db) -> None:  # noqa: ANN001
    office = browser_client("office")
    page = office.get("/inspect", headers=HTML)
    r = office.post("/inspect/runs", data={"mode": "special", "csrf_token": _csrf(page)}, headers=HTML)
    assert r.status_code == 422
    assert 'id="checks-error"' in r.text and "专项检查须选择检查项或单位" in r.text
    with db.session() as s:
        assert s.scalar(select(InspectionRun.id)) is None


def test_an_empty_answer_is_explained_beside_the_field(browser_client, staff, db) -> None:  # noqa: ANN001
    run_id = _run(browser_client("office"))
    with db.session() as s:
        fid = s.scalar(select(Finding.id).where(Finding.first_run_id == run_id))
    officer = browser_client("officer")
    page = officer.get(f"/inspect/findings/{fid}", headers=HTML)
    r = officer.post(
        f"/inspect/findings/{fid}/answer", data={"answer": " ", "csrf_token": _csrf(page)}, headers=HTML
    )
    assert r.status_code == 422 and 'id="answer-error"' in r.text and "请填写答复" in r.text


def test_the_findings_list_filters_and_sorts(browser_client, staff) -> None:  # noqa: ANN001
    office = browser_client("office")
    _run(office)
    assert 'data-check="org.sod_conflict"' in office.get("/inspect/findings?sort=severity", headers=HTML).text
    empty = office.get("/inspect/findings?check=catalog.stale", headers=HTML)
    assert "没有符合条件的问题" in empty.text


def test_each_role_sees_its_own_panel_on_the_home_page(browser_client, staff, in_session) -> None:  # noqa: ANN001
    def grant(s):  # noqa: ANN001, ANN202
        g = create_grant(
            s, dataset_code="xs_jbxx", grantee_unit_code="0110", elements=["XH"], purpose="教学评估"
        )
        s.execute(
            update(AccessGrant).where(AccessGrant.id == g.id).values(expires_at=utcnow() + timedelta(days=10))
        )

    in_session(grant)
    _run(browser_client("office"))
    panels = {
        "office": ("panel-office", "未交办的检查问题"),
        "officer": ("panel-unit", "账户 both 同时持有不相容岗位"),
        "app": ("panel-applicant", "xs_jbxx：有效期至"),
        "aud": ("panel-auditor", "审计链最新记录"),
        "lead": ("panel-leadership", "<svg"),
    }
    for username, (panel, text) in panels.items():
        home = browser_client(username).get("/", headers=HTML).text
        section = home.split(f'id="{panel}"', 1)
        assert len(section) == 2, username
        assert text in section[1].split("</section>", 1)[0], username
        others = [p for p, _ in panels.values() if p != panel]
        assert not any(f'id="{p}"' in home for p in others), username


def test_an_applicant_cannot_open_the_inspection_pages(browser_client, staff) -> None:  # noqa: ANN001
    assert browser_client("app").get("/inspect", headers=HTML).status_code == 403


def test_home_panels_count_the_share_reviews_waiting_and_overdue(
    browser_client, accounts, in_session
) -> None:  # noqa: ANN001
    from edudata.sharing.models import ShareApplication, ShareReview

    accounts.create(username="office", roles=("office_admin",), unit_code="0002")
    accounts.create(username="producer", roles=("unit_data_officer",), unit_code="0104")
    applicant = accounts.create(username="app", roles=("applicant",), unit_code="0110")

    def plant(s):  # noqa: ANN001, ANN202
        today = clock.today()
        app = ShareApplication(
            applicant_account_id=applicant.id, applicant_username="app", applicant_unit_code="0110",
            contact_name="李", contact_phone="13800000000", purpose="评估", business_basis="方案",
            dataset_code="xs_jbxx", owner_unit_code="0104", share_category="conditional", elements=["XH"],
            period_start=today, period_end=today + timedelta(days=30), delivery="api", security_measures="专人",
            status="pending_producer",
        )  # fmt: skip
        s.add(app)
        s.flush()
        s.add(ShareReview(application_id=app.id, stage="producer", reviewer_unit_code="0104",
                          due_on=today - timedelta(days=2)))  # fmt: skip

    in_session(plant)
    office = browser_client("office").get("/", headers=HTML).text
    assert re.search(r"逾期未审核的共享申请（第六十四条）</a>：<strong class=\"count\">1</strong>", office)
    producer = browser_client("producer").get("/", headers=HTML).text
    assert re.search(
        r"申请使用本单位数据、待审核的共享申请</a>：<strong class=\"count\">1</strong>", producer
    )
    mine = browser_client("app").get("/", headers=HTML).text
    assert "xs_jbxx）：待数据生产单位审核" in mine
