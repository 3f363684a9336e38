"""Web login (Art. 54): server-side session cookie, CSRF on every form, errors beside fields, escaped output."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pyotp
import pytest
from sqlalchemy import func, select

from edudata.db import Database, utcnow
from edudata.identity.models import WebSession
from edudata.identity.tokens import SESSION_COOKIE, digest
from edudata.org.models import Unit

PASSWORD = "Passw0rd!edu"
HTML = {"accept": "text/html"}


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def _web_login(http: httpx.Client, username: str, password: str = PASSWORD, **extra: str) -> httpx.Response:
    token = _csrf(http.get("/login", headers=HTML))
    return http.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, **extra},
        headers=HTML,
    )


@pytest.fixture
def office(accounts) -> None:  # noqa: ANN001
    accounts.create(username="office", roles=("office_admin",), unit_code="0002", display_name="王主任")


def test_login_sets_an_httponly_lax_session_cookie_whose_hash_is_stored(
    http: httpx.Client, db: Database, office
) -> None:  # noqa: ANN001
    r = _web_login(http, "office", next="/admin/units")
    assert r.status_code == 303 and r.headers["location"] == "/admin/units"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    secret = http.cookies[SESSION_COOKIE]
    with db.session() as s:
        stored = s.execute(select(WebSession.session_hash)).scalar_one()
    assert stored == digest(secret) and stored != secret
    home = http.get("/", headers=HTML)
    assert home.status_code == 200
    assert "王主任" in home.text and "网络安全和信息化办公室" in home.text
    assert 'data-role="office_admin"' in home.text and 'href="/admin/accounts"' in home.text


def test_pages_need_a_login_and_come_back_after_it(http: httpx.Client, office) -> None:  # noqa: ANN001
    r = http.get("/admin/accounts", headers=HTML)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/admin/accounts"


def test_login_never_redirects_off_site(http: httpx.Client, office) -> None:  # noqa: ANN001
    assert _web_login(http, "office", next="//evil.example/x").headers["location"] == "/"
    http.cookies.clear()
    assert _web_login(http, "office", next="https://evil.example/").headers["location"] == "/"


def test_login_form_without_csrf_token_is_403(http: httpx.Client, db: Database, office) -> None:  # noqa: ANN001
    http.get("/login", headers=HTML)
    r = http.post("/login", data={"username": "office", "password": PASSWORD}, headers=HTML)
    assert r.status_code == 403
    with db.session() as s:
        assert s.execute(select(func.count()).select_from(WebSession)).scalar_one() == 0


def test_form_post_without_or_with_a_wrong_csrf_token_is_403_and_saves_nothing(
    http: httpx.Client,
    db: Database,
    office,  # noqa: ANN001
) -> None:
    _web_login(http, "office")
    form = {"code": "0501", "name": "新单位", "unit_type": "user"}
    assert http.post("/admin/units", data=form, headers=HTML).status_code == 403
    assert http.post("/admin/units", data={**form, "csrf_token": "forged"}, headers=HTML).status_code == 403
    with db.session() as s:
        assert s.execute(select(Unit).where(Unit.code == "0501")).first() is None
    token = _csrf(http.get("/admin/units", headers=HTML))
    ok = http.post("/admin/units", data={**form, "csrf_token": token}, headers=HTML)
    assert ok.status_code == 303 and ok.headers["location"] == "/admin/units?created=0501"


def test_cookie_authenticated_api_changes_need_the_csrf_header(http: httpx.Client, office) -> None:  # noqa: ANN001
    _web_login(http, "office")
    body = {"code": "0502", "name": "新单位", "unit_type": "user"}
    assert http.get("/api/v1/me").json()["via"] == "session"
    assert http.post("/api/v1/units", json=body).status_code == 403
    token = _csrf(http.get("/admin/units", headers=HTML))
    assert http.post("/api/v1/units", json=body, headers={"x-csrf-token": token}).status_code == 201


def test_wrong_password_shows_the_error_beside_the_field_in_both_languages(
    http: httpx.Client, office
) -> None:  # noqa: ANN001
    r = _web_login(http, "office", "Wrong-passw0rd")
    assert r.status_code == 401
    assert 'id="password-error"' in r.text and "用户名或密码错误" in r.text
    assert SESSION_COOKIE not in http.cookies
    http.cookies.set("lang", "en")
    r = _web_login(http, "office", "Wrong-passw0rd")
    assert "wrong username or password" in r.text


def test_logout_ends_the_session(http: httpx.Client, db: Database, office) -> None:  # noqa: ANN001
    _web_login(http, "office")
    token = _csrf(http.get("/", headers=HTML))
    assert http.post("/logout", data={"csrf_token": token}, headers=HTML).headers["location"] == "/login"
    with db.session() as s:
        assert s.execute(select(WebSession.revoked_at)).scalar_one() is not None
    assert http.get("/", headers=HTML).status_code == 303


def test_sod_refusal_on_the_grant_form_is_readable(http: httpx.Client, accounts, office) -> None:  # noqa: ANN001
    accounts.create(username="aud", roles=("auditor",), unit_code="0002")
    _web_login(http, "office")
    token = _csrf(http.get("/admin/accounts/aud", headers=HTML))
    r = http.post(
        "/admin/accounts/aud/roles", data={"role": "tech_support", "csrf_token": token}, headers=HTML
    )
    assert r.status_code == 409
    assert 'id="role-error"' in r.text and "不相容岗位" in r.text and "第三十条" in r.text
    assert 'data-role="tech_support"' not in r.text


@pytest.mark.parametrize("name", ["<script>alert(1)</script>", "'); DROP TABLE org_unit;--"])
def test_injection_in_a_unit_name_is_refused_and_echoed_escaped(
    http: httpx.Client,
    db: Database,
    office,
    name: str,  # noqa: ANN001
) -> None:
    _web_login(http, "office")
    with db.session() as s:
        before = s.execute(select(func.count()).select_from(Unit)).scalar_one()
    token = _csrf(http.get("/admin/units", headers=HTML))
    r = http.post(
        "/admin/units",
        data={"code": "0503", "name": name, "unit_type": "user", "csrf_token": token},
        headers=HTML,
    )
    assert r.status_code == 422 and 'id="name-error"' in r.text
    assert "<script>alert(1)" not in r.text
    if "<" in name:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    with db.session() as s:
        assert s.execute(select(func.count()).select_from(Unit)).scalar_one() == before


def test_office_opens_an_account_with_roles_from_the_page(http: httpx.Client, office) -> None:  # noqa: ANN001
    _web_login(http, "office")
    token = _csrf(http.get("/admin/accounts", headers=HTML))
    form = {
        "username": "xgb",
        "display_name": "李老师",
        "unit_code": "0104",
        "password": PASSWORD,
        "csrf_token": token,
    }
    r = http.post(
        "/admin/accounts", data={**form, "roles": ["unit_data_officer", "unit_reviewer"]}, headers=HTML
    )
    assert r.status_code == 303 and r.headers["location"] == "/admin/accounts/xgb"
    page = http.get("/admin/accounts/xgb", headers=HTML)
    assert 'data-role="unit_data_officer"' in page.text and 'data-role="unit_reviewer"' in page.text
    dup = http.post("/admin/accounts", data={**form, "csrf_token": _csrf(page)}, headers=HTML)
    assert dup.status_code == 409 and 'id="username-error"' in dup.text


def test_a_non_office_account_cannot_open_admin_pages(http: httpx.Client, accounts) -> None:  # noqa: ANN001
    accounts.create(username="lib", roles=("applicant",), unit_code="0110")
    _web_login(http, "lib")
    assert http.get("/admin/units", headers=HTML).status_code == 403
    assert 'href="/admin/units"' not in http.get("/", headers=HTML).text


def test_totp_enrolment_from_the_account_page_then_required_at_web_login(
    http: httpx.Client, accounts
) -> None:  # noqa: ANN001
    accounts.create(username="lib", roles=("applicant",), unit_code="0110")
    _web_login(http, "lib")
    token = _csrf(http.get("/account", headers=HTML))
    shown = http.post("/account/totp", data={"csrf_token": token}, headers=HTML)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', shown.text).group(1)
    confirmed = http.post(
        "/account/totp/confirm", data={"csrf_token": token, "code": pyotp.TOTP(secret).now()}, headers=HTML
    )
    assert confirmed.status_code == 303
    assert secret not in http.get("/account", headers=HTML).text  # shown once only

    http.cookies.clear()
    asked = _web_login(http, "lib")
    assert asked.status_code == 401 and 'id="totp-error"' in asked.text
    code = pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=30))
    assert _web_login(http, "lib", totp=code).status_code == 303


def test_a_made_up_csrf_cookie_and_field_pair_is_refused_on_the_login_forms(
    http: httpx.Client, office
) -> None:  # noqa: ANN001
    made_up = "attacker-chosen-value"
    for path, data in (
        ("/login", {"username": "office", "password": PASSWORD}),
        ("/open/login", {"email": "x@example.org", "password": "y"}),
    ):
        http.cookies.clear()
        r = http.post(
            path, data={**data, "csrf_token": made_up}, headers=HTML, cookies={"edudata_csrf": made_up}
        )
        assert r.status_code == 403, (path, r.status_code)
    # A token the server issued works; a forged signature on the same shape does not.
    http.cookies.clear()
    token = _csrf(http.get("/login", headers=HTML))
    nonce, issued, _mac = token.split(".")
    forged = f"{nonce}.{issued}.{'0' * 32}"
    http.cookies.clear()
    r = http.post("/login", data={"username": "office", "password": PASSWORD, "csrf_token": forged},
                  headers=HTML, cookies={"edudata_csrf": forged})  # fmt: skip
    assert r.status_code == 403
    http.cookies.clear()
    assert _web_login(http, "office").status_code == 303
