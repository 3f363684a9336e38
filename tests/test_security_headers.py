"""The web's defences on every route (pages, API, docs, static, errors): security headers present, no inline
script in any page, Secure cookies and HSTS under TLS, X-Forwarded-For believed from trusted proxies only."""

from __future__ import annotations

import re
import ssl

import httpx
import pytest

from edudata.api.security import CSP
from support.org import PASSWORD
from support.server import LiveServer
from support.tls import self_signed_certificate

HTML = {"accept": "text/html"}
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.IGNORECASE)


def _check_headers(r: httpx.Response, where: str) -> None:
    h = r.headers
    assert h.get("content-security-policy") == CSP, where
    assert "frame-ancestors 'none'" in CSP and "script-src 'self';" in CSP
    assert h.get("x-content-type-options") == "nosniff", where
    assert h.get("referrer-policy") == "same-origin", where
    assert h.get("x-frame-options") == "DENY", where
    if not where.split()[-1].startswith("/static/"):
        assert h.get("cache-control") == "no-store", where


def _check_page(r: httpx.Response, where: str) -> None:
    if "text/html" not in r.headers.get("content-type", ""):
        return
    text = r.text
    assert not INLINE_SCRIPT.search(text), (where, INLINE_SCRIPT.search(text).group(0))
    assert not INLINE_HANDLER.search(text), (where, INLINE_HANDLER.search(text).group(0))
    assert not JS_URL.search(text), where
    for src in re.findall(r"<script[^>]*\bsrc=[\"']([^\"']+)", text):
        assert src.startswith("/static/"), (where, src)  # self-hosted only: no CDN


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def _flat(routes):  # noqa: ANN001, ANN202 - FastAPI includes routers lazily; walk into them
    for route in routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            for c in contexts() if callable(contexts) else contexts:
                yield c.path, getattr(c.original_route, "methods", None) or set()
        else:
            yield getattr(route, "path", None), getattr(route, "methods", None) or set()


def _routes(app) -> list[tuple[str, str]]:  # noqa: ANN001
    """Every (method, path) the app serves, path parameters filled with 1 (so ids are looked up and refused)."""
    out: list[tuple[str, str]] = []
    for path, methods in _flat(app.routes):
        if not path or not methods or ":path" in path:
            continue
        for method in sorted(set(methods) - {"HEAD", "OPTIONS"}):
            out.append((method, _fill(path)))
    assert len(out) > 150
    return out


@pytest.fixture
def office_session(http: httpx.Client, accounts) -> httpx.Client:  # noqa: ANN001
    accounts.create(username="office", roles=("office_admin",), unit_code="0002")
    page = http.get("/login", headers=HTML)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = http.post(
        "/login", data={"username": "office", "password": PASSWORD, "csrf_token": token}, headers=HTML
    )
    assert r.status_code == 303, r.text
    return http


def test_every_route_answers_with_the_security_headers_and_no_inline_script(
    app,
    server,
    office_session: httpx.Client,
    catalog,  # noqa: ANN001
) -> None:
    catalog.demo()
    anonymous = httpx.Client(base_url=server.url, timeout=30)
    try:
        for method, path in _routes(app):
            for client in (office_session, anonymous):
                r = client.request(method, path, headers=HTML if method == "GET" else {})
                where = f"{method} {path}"
                assert r.status_code < 500, (where, r.status_code, r.text[:300])
                _check_headers(r, where)
                _check_page(r, where)
    finally:
        anonymous.close()


def test_static_assets_docs_and_errors_carry_the_headers(http: httpx.Client) -> None:
    for path in (
        "/static/style.css",
        "/static/js/busy.js",
        "/docs",
        "/redoc",
        "/no/such/page",
        "/api/v1/nope",
    ):
        r = http.get(path, headers=HTML)
        _check_headers(r, f"GET {path}")
        _check_page(r, path)
    docs = http.get("/docs").text
    assert "/static/apidocs/vendor/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
    assert http.get("/static/apidocs/vendor/swagger-ui-bundle.js").status_code == 200
    assert http.get("/static/apidocs/vendor/redoc.standalone.js").status_code == 200


def test_a_forged_x_forwarded_for_does_not_reach_the_audit_log_or_the_lockout(
    http: httpx.Client,
    accounts,
    settings,  # noqa: ANN001
) -> None:
    accounts.create(username="lib", roles=("applicant",), unit_code="0110")
    for _ in range(settings.lockout_threshold):
        r = http.post(
            "/api/v1/auth/token",
            json={"username": "nobody", "password": "wrong"},
            headers={"x-forwarded-for": f"10.9.{_}.1"},
        )
        assert r.status_code == 401
    from edudata.identity.models import LoginAttempt

    db = accounts.db
    with db.session() as s:
        addresses = {a.address for a in s.query(LoginAttempt).all()}
    assert addresses == {"127.0.0.1"}


def test_a_trusted_proxy_is_believed_and_its_https_makes_cookies_secure(
    settings,
    database,
    accounts,
    catalog,  # noqa: ANN001
) -> None:
    from edudata.api.app import create_app
    from edudata.identity.models import LoginAttempt

    behind = create_app(settings.model_copy(update={"trusted_proxies": ["127.0.0.1/32"]}), db=database)
    live = LiveServer(behind)
    live.start()
    try:
        accounts.create(username="office", roles=("office_admin",), unit_code="0002")
        with httpx.Client(base_url=live.url, timeout=30) as proxy:
            forwarded = {"x-forwarded-for": "6.6.6.6, 203.0.113.7", "x-forwarded-proto": "https"}
            r = proxy.post(
                "/api/v1/auth/token", json={"username": "nobody", "password": "x"}, headers=forwarded
            )
            assert r.status_code == 401
            assert r.headers["strict-transport-security"].startswith("max-age=")  # TLS at the proxy
            page = proxy.get("/login", headers={**HTML, **forwarded})
            assert "secure" in page.headers["set-cookie"].lower()
        with database.session() as s:
            assert {a.address for a in s.query(LoginAttempt).all()} == {"203.0.113.7"}
    finally:
        live.stop()


def test_tls_gives_hsts_and_secure_cookies(app, tmp_path) -> None:  # noqa: ANN001
    cert, key = self_signed_certificate(tmp_path)
    live = LiveServer(app, ssl_certfile=str(cert), ssl_keyfile=str(key))
    live.start()
    try:
        with httpx.Client(
            base_url=live.url, verify=ssl.create_default_context(cafile=str(cert)), timeout=30
        ) as client:
            r = client.get("/login", headers=HTML)
            assert r.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
            assert all("secure" in c.lower() for c in r.headers.get_list("set-cookie"))
            _check_headers(r, "GET /login")
    finally:
        live.stop()
