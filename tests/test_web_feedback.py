"""Feedback on the pages (issue 18): one flash message after an action, shown once by the base layout and only
when this platform signed it; a server fault answers a proper 500 page whose request id is in the server log."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from edudata.api.app import create_app
from edudata.config import Settings
from edudata.db import Database
from edudata.web.flash import COOKIE
from support.pages import HTML, csrf_field, page_login
from support.server import LiveServer


def _flash(page: str) -> str | None:
    if 'id="flash"' not in page:
        return None
    return page.split('id="flash">')[1].split("<")[0]


def test_a_message_follows_the_action_once_and_then_is_gone(
    http: httpx.Client, accounts, server: LiveServer
) -> None:
    accounts.create(username="office", roles=("office_admin",), unit_code="0002")
    with page_login(server.url, "office", "/catalog") as office:
        first = office.get("/catalog")
        assert _flash(first.text) == "已登录"
        assert _flash(office.get("/catalog").text) is None  # shown once
        logout = office.post("/logout", data={"csrf_token": csrf_field(first.text)})
        assert logout.status_code == 303
        assert _flash(office.get("/open").text) == "已退出登录"


def test_a_message_in_a_cookie_this_platform_did_not_sign_is_not_shown(
    http: httpx.Client, server: LiveServer
) -> None:
    with httpx.Client(base_url=server.url, headers=HTML) as client:
        real = client.post("/login", data={"username": "nobody", "password": "x"})  # refused: no message
        assert COOKIE not in real.cookies
        for forged in ("eyJ6aCI6Iuiiq-m7keWuoiIsImVuIjoieCIsImtpbmQiOiJvayJ9.AAAA", "garbage", "a.b.c"):
            client.cookies.set(COOKIE, forged)
            page = client.get("/open")
            assert page.status_code == 200 and _flash(page.text) is None


@pytest.fixture
def broken_server(settings: Settings, tmp_path: Path):  # noqa: ANN201
    """The app over a database file that is not a database (overwritten by mistake): every query is a fault."""
    gone = tmp_path / "edudata.db"
    gone.write_bytes(b"this is not a database file" * 100)
    app = create_app(
        settings.model_copy(update={"database_url": f"sqlite:///{gone}"}), db=Database(f"sqlite:///{gone}")
    )
    live = LiveServer(app)
    live.start()
    yield live
    live.stop()


def test_a_server_fault_is_a_proper_500_page_with_the_request_id_of_the_log_line(
    broken_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="edudata"):
        r = httpx.get(f"{broken_server.url}/open", headers=HTML)
    assert r.status_code == 500
    assert "<title>服务器内部错误 ·" in r.text and "<h1>服务器内部错误</h1>" in r.text
    rid = r.headers["x-request-id"]
    assert f'<code id="request-id">{rid}</code>' in r.text
    assert any(rid in rec.getMessage() for rec in caplog.records if rec.levelno == logging.ERROR)
    api = httpx.get(f"{broken_server.url}/api/3/action/package_list")
    assert api.status_code == 500 and api.json()["title"] == "服务器内部错误 / Server error"
    assert api.json()["request_id"] == api.headers["x-request-id"]
