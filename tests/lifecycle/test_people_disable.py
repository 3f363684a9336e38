"""The plain "disable" goes through offboarding (Art. 53): an account holding a role cannot be disabled by the
API, the account page or the CLI without 附件4, the devices and the off-duty year; the offboarding page does it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy import select

from edudata.audit.models import AuditRecord
from edudata.db import Database
from edudata.org.models import Account
from edudata.org.service import roles_of
from support import clock
from support.students import PASSWORD

HTML = {"accept": "text/html"}


def _account(db: Database, username: str) -> tuple[bool, frozenset[str]]:
    with db.session() as s:
        account = s.execute(select(Account).where(Account.username == username)).scalar_one()
        return account.disabled, roles_of(s, account.id)


def _refusals(db: Database) -> list[dict]:
    with db.session() as s:
        rows = s.execute(
            select(AuditRecord).where(AuditRecord.operation == "request_failed").order_by(AuditRecord.seq)
        ).scalars()
        return [r.detail for r in rows if r.detail.get("code") == "offboarding-required"]


def _web_login(base_url: str, username: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base_url, follow_redirects=False, timeout=30)
    page = client.get("/login", headers=HTML)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}, headers=HTML
    )
    assert r.status_code == 303, r.text
    return client, token


def _csrf(page: httpx.Response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_the_api_refuses_to_disable_a_role_holder_and_changes_nothing(
    http: httpx.Client, world: dict, db: Database
) -> None:
    token = world["h"]["xgb"]
    r = http.post("/api/v1/accounts/xgb/disable", headers=world["h"]["office"])
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["code"] == "offboarding-required" and body["roles"] == ["unit_data_officer"]
    assert "离岗" in body["detail_zh"] and "offboarding" in body["detail_en"]
    assert body["offboarding"] == "/lifecycle/offboarding/xgb"
    assert _account(db, "xgb") == (False, {"unit_data_officer"})
    assert http.get("/api/v1/me", headers=token).status_code == 200  # the token still works: nothing changed
    assert [d["path"] for d in _refusals(db)] == ["/api/v1/accounts/xgb/disable"]


def test_an_account_without_roles_is_still_disabled_plainly(
    http: httpx.Client,
    world: dict,
    accounts,
    db: Database,  # noqa: ANN001
) -> None:
    accounts.create(username="guest", roles=(), unit_code="0104")
    assert http.post("/api/v1/accounts/guest/disable", headers=world["h"]["office"]).status_code == 200
    assert _account(db, "guest") == (True, frozenset())


def test_the_cli_refuses_to_disable_a_role_holder(
    world: dict, db: Database, backend_url: str, tmp_path: Path
) -> None:
    env = {**os.environ, "EDUDATA_DATABASE_URL": backend_url, "EDUDATA_DATA_DIR": str(tmp_path),
           "EDUDATA_CONFIG_FILE": str(tmp_path / "none.env"), "COLUMNS": "300"}  # fmt: skip
    edudata = Path(sys.executable).with_name("edudata")
    out = subprocess.run([str(edudata), "account", "disable", "xgb"], env=env, capture_output=True, text=True,
                         timeout=120)  # fmt: skip
    assert out.returncode == 2, out.stdout + out.stderr
    assert "须通过离岗办理停用" in out.stdout and "offboarding" in out.stdout
    assert _account(db, "xgb") == (False, {"unit_data_officer"})


def test_the_account_page_offers_offboarding_and_refuses_the_plain_disable(
    world: dict,
    server,
    db: Database,  # noqa: ANN001
) -> None:
    browser, _ = _web_login(server.url, "office")
    page = browser.get("/admin/accounts/xgb", headers=HTML)
    assert page.status_code == 200
    assert 'href="/lifecycle/offboarding/xgb"' in page.text and "/admin/accounts/xgb/disable" not in page.text
    r = browser.post("/admin/accounts/xgb/disable", data={"csrf_token": _csrf(page)}, headers=HTML)
    assert r.status_code == 409 and "须通过离岗办理停用" in r.text
    assert _account(db, "xgb") == (False, {"unit_data_officer"})
    assert len(_refusals(db)) == 1
    browser.close()


def test_the_offboarding_page_refuses_without_annex4_then_offboards(
    http: httpx.Client,
    world: dict,
    server,
    db: Database,  # noqa: ANN001
) -> None:
    browser, _ = _web_login(server.url, "office")
    form = browser.get("/lifecycle/offboarding/xgb", headers=HTML)
    assert form.status_code == 200 and 'id="offboarding-form"' in form.text
    fields = {"csrf_token": _csrf(form), "left_on": clock.iso(0), "returned": "笔记本 NB-0042", "outstanding": "U盾 K-7",
              "exception_approved_by": "office2", "exception_reason": "U盾已挂失作废，由银行注销",
              "exit_education_on": clock.iso(0)}  # fmt: skip
    refused = browser.post("/lifecycle/offboarding/xgb", data=fields, headers=HTML)
    assert refused.status_code == 422 and "附件4" in refused.text
    assert _account(db, "xgb") == (False, {"unit_data_officer"})
    no_exception = {**fields, "signed_on": clock.iso(-1), "document_ref": "离岗承诺书-xgb.pdf",
                    "exception_approved_by": ""}  # fmt: skip
    refused = browser.post("/lifecycle/offboarding/xgb", data=no_exception, headers=HTML)
    assert refused.status_code == 422 and "U盾 K-7" in refused.text
    assert _account(db, "xgb") == (False, {"unit_data_officer"})
    done = browser.post("/lifecycle/offboarding/xgb", data={**no_exception, "exception_approved_by": "office2"},
                        headers=HTML)  # fmt: skip
    assert done.status_code == 303, done.text
    record = browser.get(done.headers["location"], headers=HTML)
    until = clock.one_year_after(clock.today()).isoformat()
    assert f'<span id="off-duty-until">{until}</span>' in record.text
    assert _account(db, "xgb") == (True, frozenset())
    view = http.get("/api/v1/lifecycle/offboarding/xgb", headers=world["h"]["office"]).json()
    assert view["devices_outstanding"] == ["U盾 K-7"] and view["exit_education_on"] == clock.iso(0)
    assert view["device_exception"]["approved_by"] == "office2"
    browser.close()


# ---- the last role is a departure too: revoked one by one, the roles would skip the offboarding (Art. 53)


def test_the_api_refuses_to_revoke_the_last_role_and_changes_nothing(
    http: httpx.Client, world: dict, db: Database
) -> None:
    r = http.delete("/api/v1/accounts/xgb/roles/unit_data_officer", headers=world["h"]["office"])
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["code"] == "offboarding-required" and body["roles"] == ["unit_data_officer"]
    assert (
        "最后一个角色" in body["detail_zh"]
        and "离岗" in body["detail_zh"]
        and "第五十三条" in body["detail_zh"]
    )
    assert "last role" in body["detail_en"] and "offboarding" in body["detail_en"]
    assert body["offboarding"] == "/lifecycle/offboarding/xgb" and body["offboarding"] in body["detail_zh"]
    assert _account(db, "xgb") == (False, {"unit_data_officer"})
    assert http.get("/api/v1/me", headers=world["h"]["xgb"]).status_code == 200
    assert [d["path"] for d in _refusals(db)] == ["/api/v1/accounts/xgb/roles/unit_data_officer"]
    # so the plain disable still refuses: the hole (revoke each role, then disable) is closed
    assert http.post("/api/v1/accounts/xgb/disable", headers=world["h"]["office"]).status_code == 409
    assert _account(db, "xgb") == (False, {"unit_data_officer"})


def test_a_role_changed_for_another_is_still_a_plain_revocation(
    http: httpx.Client, world: dict, db: Database
) -> None:
    office = world["h"]["office"]
    assert (
        http.post("/api/v1/accounts/xgb/roles", json={"role": "unit_reviewer"}, headers=office).status_code
        == 201
    )
    r = http.delete("/api/v1/accounts/xgb/roles/unit_data_officer", headers=office)
    assert r.status_code == 200 and r.json()["roles"] == ["unit_reviewer"]
    assert _account(db, "xgb") == (False, {"unit_reviewer"})
    assert _refusals(db) == []


def test_the_account_page_refuses_to_revoke_the_last_role(world: dict, server, db: Database) -> None:  # noqa: ANN001
    browser, _ = _web_login(server.url, "office")
    page = browser.get("/admin/accounts/xgb", headers=HTML)
    r = browser.post("/admin/accounts/xgb/roles/unit_data_officer/revoke", data={"csrf_token": _csrf(page)},
                     headers=HTML)  # fmt: skip
    assert r.status_code == 409 and "最后一个角色" in r.text and "/lifecycle/offboarding/xgb" in r.text
    assert _account(db, "xgb") == (False, {"unit_data_officer"})
    assert len(_refusals(db)) == 1
    browser.close()


def test_the_cli_refuses_to_revoke_the_last_role_and_records_the_refusal(
    world: dict, db: Database, backend_url: str, tmp_path: Path
) -> None:
    env = {**os.environ, "EDUDATA_DATABASE_URL": backend_url, "EDUDATA_DATA_DIR": str(tmp_path),
           "EDUDATA_CONFIG_FILE": str(tmp_path / "none.env"), "COLUMNS": "300"}  # fmt: skip
    edudata = Path(sys.executable).with_name("edudata")
    out = subprocess.run([str(edudata), "account", "revoke", "xgb", "unit_data_officer"], env=env,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert out.returncode == 2, out.stdout + out.stderr
    assert "最后一个角色" in out.stdout and "/lifecycle/offboarding/xgb" in out.stdout
    assert _account(db, "xgb") == (False, {"unit_data_officer"})
    [refusal] = _refusals(db)
    assert refusal["command"] == "account revoke" and refusal["target"] == "xgb"
    assert refusal["role"] == "unit_data_officer" and refusal["status"] == 409
    with db.session() as s:
        last = s.execute(select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(1)).scalar_one()
    assert last.operation == "request_failed" and last.result == "failed" and last.username.startswith("cli:")
