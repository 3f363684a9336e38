"""Sign-on over OpenID Connect (Art. 54) against a real provider: ``oidc-provider`` from npm (OpenID-certified),
run by node for the module. Authorization code with PKCE, id-token validation, claims mapped to the account
by 工号, refusals audited, RP-initiated logout, and back-channel logout (the provider ends our session)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import select

from edudata.api.app import create_app
from edudata.audit.models import AuditRecord
from edudata.config import Settings
from edudata.db import Database
from edudata.identity.models import WebSession
from edudata.identity.oidc import BACKCHANNEL_EVENT
from edudata.org.service import create_account, create_person, get_account, set_disabled
from support import clock
from support import oidc as oidc_support
from support.server import LiveServer

PASSWORD = "Passw0rd!edu"


@pytest.fixture(scope="module")
def provider_and_site(
    settings: Settings, database: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[oidc_support.OidcProvider, LiveServer]]:
    provider = oidc_support.OidcProvider(tmp_path_factory.mktemp("oidc"), [], [])
    configured = settings.model_copy(update={
        "oidc_issuer": provider.issuer, "oidc_client_id": oidc_support.CLIENT_ID,
        "oidc_client_secret": oidc_support.CLIENT_SECRET, "sso_attr_number": "employee_number",
        "sso_attr_name": "name", "sso_attr_unit": "unit_code",
    })  # fmt: skip
    site = LiveServer(create_app(configured, db=database))
    site.start()
    provider.redirect_uris = [f"{site.url}/login/oidc/callback"]
    provider.post_logout_uris = [f"{site.url}/login"]
    provider.backchannel_uri = f"{site.url}/login/oidc/backchannel-logout"
    provider.start()
    yield provider, site
    provider.stop()
    site.stop()


@pytest.fixture
def provider(provider_and_site) -> oidc_support.OidcProvider:  # noqa: ANN001
    return provider_and_site[0]


@pytest.fixture
def site(provider_and_site, db: Database) -> LiveServer:  # noqa: ANN001
    return provider_and_site[1]


def _staff(db: Database, accounts, username: str, number: str) -> None:  # noqa: ANN001
    accounts.ensure_units()
    with db.session() as s:
        create_person(s, name="李四", number=number, unit_code="0110")
        create_account(s, username=username, password=PASSWORD, unit_code="0110", display_name="李四",
                       roles=("applicant",), person_number=number, granted_by="tests")  # fmt: skip
        s.commit()


def _sign_on(
    client: httpx.Client, site: LiveServer, provider: oidc_support.OidcProvider, login: str
) -> httpx.Response:
    start = client.get(f"{site.url}/login/oidc", params={"next": "/account"})
    assert start.status_code == 303
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["response_type"] == ["code"]
    assert start.headers["location"].startswith(provider.issuer)
    back = provider.sign_in(client, start.headers["location"], login)
    assert back.headers["location"].startswith(f"{site.url}/login/oidc/callback?code=")
    return client.get(back.headers["location"])


def test_oidc_sign_on_validates_the_id_token_and_maps_the_claims(
    site: LiveServer,
    provider: oidc_support.OidcProvider,
    db: Database,
    accounts,  # noqa: ANN001
) -> None:
    _staff(db, accounts, "lisi", "T4001")
    provider.add_user("wang.laoshi", employee_number="T4001", name="王老师", unit_code="0110")
    with httpx.Client(timeout=30) as client:
        back = _sign_on(client, site, provider, "wang.laoshi")
        assert back.status_code == 303 and back.headers["location"] == "/account", back.text[:400]
        me = client.get(f"{site.url}/api/v1/me").json()
    assert me["username"] == "lisi" and me["display_name"] == "王老师" and me["via"] == "session"
    with db.session() as s:
        assert s.execute(select(WebSession.auth_method)).scalar_one() == "oidc"
        login = s.execute(select(AuditRecord).where(AuditRecord.operation == "login")).scalar_one()
        assert login.result == "success" and login.detail == {"via": "oidc", "sso_user": "wang.laoshi"}


def test_an_oidc_user_without_an_account_or_with_a_disabled_one_is_refused(
    site: LiveServer,
    provider: oidc_support.OidcProvider,
    db: Database,
    accounts,  # noqa: ANN001
) -> None:
    provider.add_user("nobody", employee_number="T4999", name="无账户", unit_code="0110")
    _staff(db, accounts, "leaver", "T4002")
    with db.session() as s:
        set_disabled(s, get_account(s, "leaver"), True, "tests")
        s.commit()
    provider.add_user("leaver", employee_number="T4002", name="孙八", unit_code="0110")
    with httpx.Client(timeout=30) as client:
        refused = _sign_on(client, site, provider, "nobody")
        assert refused.status_code == 403 and "尚无账户" in refused.text
    with httpx.Client(timeout=30) as client:
        disabled = _sign_on(client, site, provider, "leaver")
        assert disabled.status_code == 403 and "账户已停用" in disabled.text
        assert client.get(f"{site.url}/api/v1/me").status_code == 401
    with db.session() as s:
        reasons = [
            r.detail["reason"] for r in s.scalars(select(AuditRecord).where(AuditRecord.operation == "login"))
        ]
    assert reasons == ["sso_no_account", "disabled"]


def test_a_callback_this_browser_did_not_start_is_refused(site: LiveServer) -> None:
    with httpx.Client(timeout=30) as client:
        r = client.get(f"{site.url}/login/oidc/callback", params={"code": "x", "state": "y"})
    assert r.status_code == 401 and "并非由本浏览器发起" in r.text


def test_logout_ends_the_session_and_signs_out_at_the_provider(
    site: LiveServer,
    provider: oidc_support.OidcProvider,
    db: Database,
    accounts,  # noqa: ANN001
) -> None:
    _staff(db, accounts, "zhou9", "T4003")
    provider.add_user("zhou9", employee_number="T4003", name="周九", unit_code="0110")
    with httpx.Client(timeout=30) as client:
        assert _sign_on(client, site, provider, "zhou9").status_code == 303
        page = client.get(f"{site.url}/")
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        out = client.post(f"{site.url}/logout", data={"csrf_token": token})
        assert out.status_code == 303 and out.headers["location"].startswith(provider.issuer)
        query = parse_qs(urlsplit(out.headers["location"]).query)
        assert query["client_id"] == [oidc_support.CLIENT_ID] and query["post_logout_redirect_uri"] == [
            f"{site.url}/login"
        ]
        assert client.get(f"{site.url}/api/v1/me").status_code == 401
        back = provider.sign_in(
            client, out.headers["location"], ""
        )  # the provider's "sign out?" confirmation
        assert back.headers["location"] == f"{site.url}/login"
        again = client.get(f"{site.url}/login/oidc")
        login_page = client.get(again.headers["location"], follow_redirects=True)
        assert "<title>Sign-in</title>" in login_page.text  # the provider asks again: its session ended


def test_signing_out_at_the_provider_ends_the_session_here_through_the_back_channel(
    site: LiveServer,
    provider: oidc_support.OidcProvider,
    db: Database,
    accounts,  # noqa: ANN001
) -> None:
    _staff(db, accounts, "wu10", "T4004")
    provider.add_user("wu10", employee_number="T4004", name="吴十", unit_code="0110")
    with httpx.Client(timeout=30) as client:
        assert _sign_on(client, site, provider, "wu10").status_code == 303
        assert client.get(f"{site.url}/account").status_code == 200
        # The person signs out at the provider (another system's logout button), not here.
        end = httpx.get(f"{provider.issuer}/.well-known/openid-configuration").json()["end_session_endpoint"]
        query = {"client_id": oidc_support.CLIENT_ID, "post_logout_redirect_uri": f"{site.url}/login"}
        back = provider.sign_in(client, f"{end}?{urlencode(query)}", "")
        assert back.headers["location"] == f"{site.url}/login"
        page = client.get(f"{site.url}/account")
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
    with db.session() as s:
        assert s.execute(select(WebSession.revoked_at)).scalar_one() is not None
        out = s.execute(select(AuditRecord).where(AuditRecord.operation == "logout")).scalar_one()
    assert out.result == "success" and out.detail == {"via": "oidc-backchannel", "sso_user": "wu10"}


def test_a_forged_or_unsigned_logout_token_is_refused_and_audited(
    site: LiveServer,
    provider: oidc_support.OidcProvider,
    db: Database,
    accounts,  # noqa: ANN001
) -> None:
    _staff(db, accounts, "zheng11", "T4005")
    provider.add_user("zheng11", employee_number="T4005", name="郑十一", unit_code="0110")
    with httpx.Client(timeout=30) as client:
        assert _sign_on(client, site, provider, "zheng11").status_code == 303
        with db.session() as s:
            sid_digest = s.execute(select(WebSession.sso_ref)).scalar_one()
        assert sid_digest  # the id token's sid is kept (as its hash) to match the logout token
        issued = int(clock.now().timestamp())
        claims = {"iss": provider.issuer, "aud": oidc_support.CLIENT_ID, "iat": issued, "exp": issued + 120, "jti": "forged", "sub": "zheng11", "sid": "any",
                  "events": {BACKCHANNEL_EVENT: {}}}  # fmt: skip
        forged_key = RSAKey.generate_key(2048)
        forged = jwt.encode({"alg": "RS256", "kid": "forged"}, claims, forged_key)
        unsigned = (
            ".".join(  # alg "none", no signature: what a forger without any key would send
                base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()
                for part in ({"alg": "none", "typ": "logout+jwt"}, claims)
            )
            + "."
        )
        url = f"{site.url}/login/oidc/backchannel-logout"
        for token in (forged, unsigned, ""):
            r = httpx.post(url, data={"logout_token": token}, timeout=30)
            assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json", r.text
            assert "单点登出令牌未通过校验" in r.json()["detail_zh"]
        assert client.get(f"{site.url}/account").status_code == 200  # still signed in
    with db.session() as s:
        refused = s.scalars(
            select(AuditRecord).where(AuditRecord.operation == "logout", AuditRecord.result == "denied")
        ).all()
    assert [r.detail["via"] for r in refused] == ["oidc-backchannel"] * 3
    assert all("validation" in r.detail["reason"] or "no logout_token" in r.detail["reason"] for r in refused)
