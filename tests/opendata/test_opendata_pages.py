"""Staff pages of publication (Art. 46, 56): the proposal form refuses what may never be opened, beside the form;
the three levels review on the proposal page."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import func, select

from edudata.db import Database
from edudata.opendata.models import OpenView
from support.students import PASSWORD

HTML = {"accept": "text/html"}


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


@pytest.fixture
def browser_of(portal_server, staff: dict):  # noqa: ANN001, ANN201
    """A logged-in web client of the portal server for a staff account."""
    clients = []

    def login(username: str) -> httpx.Client:
        client = httpx.Client(base_url=portal_server.url, timeout=60, follow_redirects=False)
        clients.append(client)
        token = _csrf(client.get("/login", headers=HTML))
        r = client.post(
            "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}, headers=HTML
        )
        assert r.status_code == 303, r.text
        return client

    yield login
    for c in clients:
        c.close()


def _propose(client: httpx.Client, **fields: str) -> httpx.Response:
    token = _csrf(client.get("/opendata/propose", headers=HTML))
    form = {
        "description": "学生基本信息",
        "open_category": "conditional",
        "licence": "CC-BY-4.0",
        "kind": "dataset",
        **fields,
    }
    return client.post("/opendata/propose", data={**form, "csrf_token": token}, headers=HTML)


def test_the_proposal_page_refuses_a_not_open_dataset_beside_the_form(browser_of, db: Database) -> None:  # noqa: ANN001
    office = browser_of("office")
    r = _propose(office, dataset="student_basic")
    assert r.status_code == 422
    assert 'id="form-error"' in r.text and "不予开放" in r.text and 'name="dataset"' in r.text
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(OpenView)) == 0


def test_a_proposal_passes_the_three_levels_on_its_page(browser_of) -> None:  # noqa: ANN001
    r = _propose(
        browser_of("kyc"), dataset="research_output", open_category="unconditional", keywords="学术论文，科研"
    )
    assert r.status_code == 303 and r.headers["location"] == "/opendata/proposals/research-output"
    page_url = "/opendata/proposals/research-output"
    for who, extra in (
        ("kyc_rev", {}),
        (
            "office",
            {
                "no_state_secret": "on",
                "no_personal_privacy": "on",
                "no_security_risk": "on",
                "conclusion": "不涉密",
            },
        ),
        ("leader", {}),
    ):
        client = browser_of(who)
        page = client.get(page_url, headers=HTML)
        assert 'value="approve"' in page.text, who
        r = client.post(
            f"{page_url}/review",
            data={"decision": "approve", "csrf_token": _csrf(page), **extra},
            headers=HTML,
        )
        assert r.status_code == 303, r.text
    final = client.get(page_url, headers=HTML)
    assert "已发布" in final.text and "不涉密" in final.text


def test_the_office_review_page_insists_on_the_secrecy_review(browser_of) -> None:  # noqa: ANN001
    _propose(browser_of("kyc"), dataset="research_output", open_category="unconditional")
    rev = browser_of("kyc_rev")
    page = rev.get("/opendata/proposals/research-output", headers=HTML)
    rev.post(
        "/opendata/proposals/research-output/review",
        data={"decision": "approve", "csrf_token": _csrf(page)},
        headers=HTML,
    )
    office = browser_of("office")
    page = office.get("/opendata/proposals/research-output", headers=HTML)
    assert "保密审查" in page.text
    r = office.post(
        "/opendata/proposals/research-output/review",
        data={"decision": "approve", "csrf_token": _csrf(page)},
        headers=HTML,
    )
    assert r.status_code == 422 and "保密审查未完成" in r.text
