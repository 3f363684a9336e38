"""Sign-on through the school's CAS (统一身份认证, Art. 54) against a real CAS server (django-cas-server from PyPI).

The CAS server runs in a subprocess for the module; the platform is served by its own live server configured
for that CAS (the attributes 工号, 姓名, 单位代码). Every test drives the real redirects, forms and tickets.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select

from edudata.audit.models import AuditRecord
from edudata.db import Database
from edudata.identity.models import WebSession
from edudata.org.models import Account, Person, RoleAssignment
from edudata.org.service import create_account, create_person, get_account, set_disabled
from support.cas import CasServer
from support.server import LiveServer

PASSWORD = "Passw0rd!edu"
CAS_PASSWORD = "cas-pw"  # noqa: S105 - the test directory's password


@pytest.fixture
def browser_client(db: Database) -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30, follow_redirects=False) as client:
        yield client


def _staff(db: Database, accounts, username: str, number: str, unit_code: str = "0110", **kw) -> None:  # noqa: ANN001
    accounts.ensure_units()
    with db.session() as s:
        create_person(s, name="李四", number=number, unit_code=unit_code)
        create_account(s, username=username, password=PASSWORD, unit_code=unit_code, display_name="李四",
                       person_number=number, granted_by="tests", **kw)  # fmt: skip
        s.commit()


def _sign_on(client: httpx.Client, sso: LiveServer, cas: CasServer, user: str, password: str = CAS_PASSWORD,
             next_path: str = "/account") -> httpx.Response:  # fmt: skip
    """Click 统一身份认证登录, sign in at CAS, come back with the ticket: the platform's answer to the ticket."""
    start = client.get(f"{sso.url}/login/cas", params={"next": next_path})
    assert start.status_code == 303 and start.headers["location"].startswith(cas.url + "/login?service=")
    back = cas.sign_in(client, start.headers["location"], user, password)
    assert back.status_code == 302, back.text[:500]
    location = back.headers["location"]
    assert location.startswith(f"{sso.url}/login/cas/callback?next=") and "ticket=ST-" in location
    return client.get(location)


def _login_audits(db: Database) -> list[tuple[str, str, dict]]:
    with db.session() as s:
        rows = s.execute(
            select(AuditRecord).where(AuditRecord.operation == "login").order_by(AuditRecord.seq)
        ).scalars()
        return [(r.username, r.result, r.detail) for r in rows]


def test_cas3_sign_on_finds_the_account_by_staff_number_and_maps_the_name(
    sso: LiveServer,
    cas_server: CasServer,
    browser_client: httpx.Client,
    db: Database,
    accounts,  # noqa: ANN001
) -> None:
    _staff(db, accounts, "lisi", "T1001", roles=("applicant",))
    cas_server.add_user("wangwu", "cas-pw", "T1001", "王老师", "0110")
    back = _sign_on(browser_client, sso, cas_server, "wangwu")
    assert back.status_code == 303 and back.headers["location"] == "/account"
    me = browser_client.get(f"{sso.url}/api/v1/me")
    assert me.status_code == 200, me.text
    # the second factor is the IdP's: the account page says so, and no one-time code was asked
    assert "第二因素由学校身份认证系统提供" in browser_client.get(f"{sso.url}/account").text
    body = me.json()
    # found through 工号 (一人一号), not the CAS login name; the display name now follows 姓名
    assert body["username"] == "lisi" and body["display_name"] == "王老师" and body["unit_code"] == "0110"
    assert body["roles"] == ["applicant"] and body["via"] == "session"
    with db.session() as s:
        web = s.execute(select(WebSession)).scalar_one()
        assert web.auth_method == "cas" and web.sso_ref and len(web.sso_ref) == 64
    assert _login_audits(db) == [("lisi", "success", {"via": "cas", "sso_user": "wangwu"})]


def test_cas2_service_validate_signs_on_by_username(
    sso: LiveServer,
    cas_server: CasServer,
    browser_client: httpx.Client,
    db: Database,
    accounts,
    configure,  # noqa: ANN001
) -> None:
    configure(cas_version="2", sso_attr_number="")
    accounts.create(username="zhao6", roles=("unit_reviewer",), unit_code="0110")
    cas_server.add_user("zhao6", "cas-pw", "T1002", "赵六", "0110")
    back = _sign_on(browser_client, sso, cas_server, "zhao6", next_path="/")
    assert back.status_code == 303 and back.headers["location"] == "/"
    assert browser_client.get(f"{sso.url}/api/v1/me").json()["username"] == "zhao6"


def test_a_cas_user_without_an_account_gets_none_and_the_refusal_is_audited(
    sso: LiveServer,
    cas_server: CasServer,
    browser_client: httpx.Client,
    db: Database,
    accounts,  # noqa: ANN001
) -> None:
    accounts.ensure_units()
    cas_server.add_user("stranger", "cas-pw", "T1003", "陌生人", "0110")
    back = _sign_on(browser_client, sso, cas_server, "stranger")
    assert back.status_code == 403
    assert "尚无账户" in back.text and "no account on this platform" in back.text
    assert "edudata_session" not in back.cookies
    with db.session() as s:
        assert s.execute(select(Account.id)).first() is None and s.execute(select(Person.id)).first() is None
    assert _login_audits(db) == [
        ("stranger", "denied", {"via": "cas", "sso_user": "stranger", "reason": "sso_no_account"})
    ]


def test_self_provisioning_opens_an_applicant_account_only_when_the_office_allows_it(
    sso: LiveServer,
    cas_server: CasServer,
    browser_client: httpx.Client,
    db: Database,
    accounts,
    configure,  # noqa: ANN001
) -> None:
    configure(sso_self_provision_role="applicant")
    accounts.ensure_units()
    cas_server.add_user("s2024001", "cas-pw", "S2024001", "钱七", "0110")
    back = _sign_on(browser_client, sso, cas_server, "s2024001")
    assert back.status_code == 303
    me = browser_client.get(f"{sso.url}/api/v1/me").json()
    assert me["username"] == "s2024001" and me["roles"] == ["applicant"] and me["unit_code"] == "0110"
    assert me["display_name"] == "钱七"
    with db.session() as s:
        account = get_account(s, "s2024001")
        assert s.get(Person, account.person_id).number == "S2024001"
        assert s.scalar(select(RoleAssignment.granted_by)) == "sso:cas"
        assert s.scalar(select(AuditRecord.seq).where(AuditRecord.operation == "sso_provision"))
    # such an account has no local password at all
    assert browser_client.post(f"{sso.url}/api/v1/auth/token",
                               json={"username": "s2024001", "password": "!no-local-password"}).status_code == 401  # fmt: skip


def test_a_disabled_account_is_refused_even_with_a_valid_ticket(
    sso: LiveServer,
    cas_server: CasServer,
    browser_client: httpx.Client,
    db: Database,
    accounts,  # noqa: ANN001
) -> None:
    _staff(db, accounts, "leaver", "T1004")
    with db.session() as s:
        set_disabled(s, get_account(s, "leaver"), True, "tests")
        s.commit()
    cas_server.add_user("leaver", "cas-pw", "T1004", "孙八", "0110")
    back = _sign_on(browser_client, sso, cas_server, "leaver")
    assert back.status_code == 403 and "账户已停用" in back.text
    assert browser_client.get(f"{sso.url}/api/v1/me").status_code == 401
    assert _login_audits(db)[-1][1:] == ("denied", {"via": "cas", "sso_user": "leaver", "reason": "disabled"})


def test_a_made_up_ticket_is_refused_by_the_cas_server_and_audited(
    sso: LiveServer, browser_client: httpx.Client, db: Database
) -> None:
    r = browser_client.get(f"{sso.url}/login/cas/callback", params={"next": "/", "ticket": "ST-forged"})
    assert r.status_code == 401 and "票据无效" in r.text and "edudata_session" not in r.cookies
    with db.session() as s:
        refusal = s.execute(select(AuditRecord)).scalar_one()
        assert refusal.detail["code"] == "not-authenticated" and "ticket" in refusal.detail["reason"]


def _csrf(client: httpx.Client, sso: LiveServer) -> str:
    page = client.get(f"{sso.url}/")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_logout_ends_the_session_here_and_at_the_cas_server(
    sso: LiveServer,
    cas_server: CasServer,
    browser_client: httpx.Client,
    db: Database,
    accounts,  # noqa: ANN001
) -> None:
    _staff(db, accounts, "zhou9", "T1005", roles=("applicant",))
    cas_server.add_user("zhou9", "cas-pw", "T1005", "周九", "0110")
    assert _sign_on(browser_client, sso, cas_server, "zhou9").status_code == 303
    out = browser_client.post(f"{sso.url}/logout", data={"csrf_token": _csrf(browser_client, sso)})
    assert out.status_code == 303
    to_cas = urlsplit(out.headers["location"])
    assert f"{to_cas.scheme}://{to_cas.netloc}{to_cas.path}" == cas_server.url + "/logout"
    assert parse_qs(to_cas.query)["service"] == [f"{sso.url}/login"]
    assert browser_client.get(f"{sso.url}/api/v1/me").status_code == 401
    browser_client.get(out.headers["location"], follow_redirects=True)  # CAS ends its own sign-on session
    again = browser_client.get(f"{sso.url}/login/cas", params={"next": "/"})
    page = browser_client.get(again.headers["location"])  # CAS asks for the password again, no silent ticket
    assert page.status_code == 200 and 'name="password"' in page.text


def test_single_logout_from_the_cas_server_ends_the_platform_session(
    sso: LiveServer,
    cas_server: CasServer,
    browser_client: httpx.Client,
    db: Database,
    accounts,  # noqa: ANN001
) -> None:
    _staff(db, accounts, "wu10", "T1006", roles=("applicant",))
    cas_server.add_user("wu10", "cas-pw", "T1006", "吴十", "0110")
    assert _sign_on(browser_client, sso, cas_server, "wu10").status_code == 303
    assert browser_client.get(f"{sso.url}/api/v1/me").status_code == 200
    # logging out at CAS itself (another campus system's logout): CAS POSTs a LogoutRequest to the platform
    assert browser_client.get(f"{cas_server.url}/logout").status_code == 200
    deadline = time.monotonic() + 15
    while browser_client.get(f"{sso.url}/api/v1/me").status_code != 401:
        assert time.monotonic() < deadline, "the single-logout request did not end the session"
        time.sleep(0.2)
    with db.session() as s:
        logout = s.execute(select(AuditRecord).where(AuditRecord.operation == "logout")).scalar_one()
        assert logout.username == "wu10" and logout.detail == {"via": "cas-slo"}


def test_break_glass_only_listed_accounts_keep_their_local_password(
    sso: LiveServer,
    db: Database,
    accounts,
    configure,  # noqa: ANN001
) -> None:
    configure(password_login_accounts=["breakglass"])
    accounts.create(username="breakglass", roles=("office_admin",))
    accounts.create(username="lisi", roles=("applicant",), unit_code="0110")
    with httpx.Client(base_url=sso.url, timeout=30) as http:
        ok = http.post("/api/v1/auth/token", json={"username": "breakglass", "password": PASSWORD})
        assert ok.status_code == 200
        off = http.post("/api/v1/auth/token", json={"username": "lisi", "password": PASSWORD})
        assert off.status_code == 403 and "应急账户" in off.json()["detail_zh"]
        login_page = http.get("/login")
        assert "统一身份认证登录" in login_page.text and 'href="/login/cas?next=/"' in login_page.text


def test_the_login_page_names_cas_only_when_configured(http: httpx.Client) -> None:
    page = http.get("/login")
    assert page.status_code == 200 and "统一身份认证登录" not in page.text
    assert http.get("/login/cas").status_code == 404


def test_an_account_with_totp_signs_on_through_cas_without_a_code_but_its_password_login_needs_one(
    sso: LiveServer,
    cas_server: CasServer,
    browser_client: httpx.Client,
    db: Database,
    accounts,  # noqa: ANN001
) -> None:
    _staff(db, accounts, "totp_user", "T1007", roles=("applicant",))
    with db.session() as s:
        get_account(s, "totp_user").totp_enabled = True  # enrolled: local logins ask for the code
        s.commit()
    cas_server.add_user("totp_user", "cas-pw", "T1007", "郑十一", "0110")
    assert _sign_on(browser_client, sso, cas_server, "totp_user").status_code == 303
    assert browser_client.get(f"{sso.url}/api/v1/me").json()["username"] == "totp_user"
    local = httpx.post(f"{sso.url}/api/v1/auth/token", json={"username": "totp_user", "password": PASSWORD})
    assert local.status_code == 401 and local.json()["totp_required"] is True
