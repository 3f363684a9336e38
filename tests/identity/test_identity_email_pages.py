"""The e-mail address on the web pages: the owner sets or clears it on 账户安全 (/account), the office on the
account's administration page; a malformed address is shown beside the field in both languages, nothing saved; every
change is audited as the API's ``set_email`` is."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from sqlalchemy import select

from edudata.audit.models import AuditRecord
from edudata.db import Database
from edudata.org.models import Account

PASSWORD = "Passw0rd!edu"
HTML = {"accept": "text/html"}
REMINDERS_ONLY = "该邮箱仅用于平台发送与数据申请、审核有关的提醒"


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def _web_login(http: httpx.Client, username: str) -> None:
    token = _csrf(http.get("/login", headers=HTML))
    r = http.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}, headers=HTML
    )
    assert r.status_code == 303, r.text


def _post(http: httpx.Client, page: str, action: str, **fields: str) -> httpx.Response:
    token = _csrf(http.get(page, headers=HTML))
    return http.post(action, data={"csrf_token": token, **fields}, headers=HTML)


def _stored(db: Database, username: str) -> str | None:
    with db.session() as s:
        return s.scalar(select(Account.email).where(Account.username == username))


def _email_audits(db: Database) -> list[AuditRecord]:
    with db.session() as s:
        return list(
            s.scalars(
                select(AuditRecord).where(AuditRecord.operation == "set_email").order_by(AuditRecord.seq)
            )
        )


@pytest.fixture
def lib(accounts) -> None:  # noqa: ANN001
    accounts.create(username="lib", roles=("applicant",), unit_code="0110")


@pytest.fixture
def office(accounts) -> None:  # noqa: ANN001
    accounts.create(username="office", roles=("office_admin",), unit_code="0002")


def test_the_owner_sets_their_address_on_the_account_page(http: httpx.Client, db: Database, lib) -> None:  # noqa: ANN001
    _web_login(http, "lib")
    page = http.get("/account", headers=HTML)
    assert REMINDERS_ONLY in page.text and 'action="/account/email"' in page.text
    # One form, in the page's body; the title stays plain text.
    assert page.text.count('id="email-card"') == 1
    assert "<section" not in re.search(r"<title>(.*?)</title>", page.text, re.S).group(1)
    r = _post(http, "/account", "/account/email", email=" Li.Ming@TJUFE.edu.cn ")
    assert r.status_code == 303 and r.headers["location"] == "/account?done=email_set"
    assert _stored(db, "lib") == "li.ming@tjufe.edu.cn"
    shown = http.get(r.headers["location"], headers=HTML).text
    assert "电子邮箱已保存" in shown and "<code>li.ming@tjufe.edu.cn</code>" in shown
    [record] = _email_audits(db)
    assert record.username == "lib" and record.result == "success"
    assert json.loads(record.detail_json) == {"target": "lib", "cleared": False}


def test_the_owner_clears_their_address(http: httpx.Client, db: Database, accounts) -> None:  # noqa: ANN001
    accounts.create(username="lib", roles=("applicant",), unit_code="0110", email="lib@tjufe.edu.cn")
    _web_login(http, "lib")
    r = _post(http, "/account", "/account/email", email="lib@tjufe.edu.cn", clear="1")
    assert r.status_code == 303 and r.headers["location"] == "/account?done=email_cleared"
    assert _stored(db, "lib") is None
    assert "电子邮箱已清除" in http.get(r.headers["location"], headers=HTML).text
    assert json.loads(_email_audits(db)[0].detail_json) == {"target": "lib", "cleared": True}
    # Saving the field empty clears it too (as the API's "" does).
    assert _post(http, "/account", "/account/email", email="a@tjufe.edu.cn").status_code == 303
    assert _post(http, "/account", "/account/email", email="").status_code == 303
    assert _stored(db, "lib") is None


def test_a_bad_address_is_shown_on_the_page_in_both_languages_and_nothing_is_saved(
    http: httpx.Client, db: Database, accounts
) -> None:  # noqa: ANN001
    accounts.create(username="lib", roles=("applicant",), unit_code="0110", email="lib@tjufe.edu.cn")
    _web_login(http, "lib")
    r = _post(http, "/account", "/account/email", email="li@tjufe.edu.cn\r\nBcc: <b>all</b>@example.com")
    assert r.status_code == 422
    assert "电子邮箱格式不正确" in r.text and 'aria-invalid="true"' in r.text and "Traceback" not in r.text
    assert "<b>all</b>" not in r.text  # what was typed comes back escaped
    http.cookies.set("lang", "en")
    r = _post(http, "/account", "/account/email", email="not-an-address")
    assert r.status_code == 422 and "not an e-mail address" in r.text
    assert "used only for the platform&#39;s reminders about applications and reviews" in r.text
    assert _stored(db, "lib") == "lib@tjufe.edu.cn" and _email_audits(db) == []


def test_the_email_form_without_its_csrf_token_is_refused(http: httpx.Client, db: Database, lib) -> None:  # noqa: ANN001
    _web_login(http, "lib")
    r = http.post("/account/email", data={"email": "lib@tjufe.edu.cn"}, headers=HTML)
    assert r.status_code == 403 and _stored(db, "lib") is None


def test_the_office_sees_sets_and_clears_an_accounts_address(
    http: httpx.Client, db: Database, office, lib
) -> None:  # noqa: ANN001
    _web_login(http, "office")
    page = "/admin/accounts/lib"
    r = _post(http, page, "/admin/accounts/lib/email", email="Lib@TJUFE.edu.cn")
    assert r.status_code == 303 and r.headers["location"] == "/admin/accounts/lib?done=email_set"
    assert _stored(db, "lib") == "lib@tjufe.edu.cn"
    assert "<code>lib@tjufe.edu.cn</code>" in http.get(page, headers=HTML).text
    listing = http.get("/admin/accounts", headers=HTML).text
    assert '<td class="email">lib@tjufe.edu.cn</td>' in listing
    bad = _post(http, page, "/admin/accounts/lib/email", email="Li Ming <li@tjufe.edu.cn>")
    assert bad.status_code == 422 and "电子邮箱格式不正确" in bad.text and "Traceback" not in bad.text
    assert _stored(db, "lib") == "lib@tjufe.edu.cn"
    assert _post(http, page, "/admin/accounts/lib/email", clear="1").status_code == 303
    assert _stored(db, "lib") is None
    details = [(r.username, json.loads(r.detail_json)) for r in _email_audits(db)]
    assert details == [
        ("office", {"target": "lib", "cleared": False}),
        ("office", {"target": "lib", "cleared": True}),
    ]


def test_only_the_office_sets_another_accounts_address_on_the_web(
    http: httpx.Client, db: Database, accounts, lib
) -> None:  # noqa: ANN001
    accounts.create(username="lib2", roles=("applicant",), unit_code="0110")
    _web_login(http, "lib2")
    r = _post(http, "/account", "/admin/accounts/lib/email", email="x@tjufe.edu.cn")
    assert r.status_code == 403 and _stored(db, "lib") is None
