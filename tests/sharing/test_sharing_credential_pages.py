"""The application's page lists each grant credential with why it ended: one ended with its holder (role lost, moved
away) reads 已失效 and the reason, in Chinese first and in English."""

from __future__ import annotations

import re

import httpx
import pytest

from support.sharing import change_post, credential, granted
from support.students import PASSWORD

HTML = {"accept": "text/html"}


def _web_login(http: httpx.Client, username: str) -> None:
    page = http.get("/login", headers=HTML)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = http.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}, headers=HTML
    )
    assert r.status_code == 303, r.text


def _states(page: httpx.Response) -> list[str]:
    assert page.status_code == 200, page.text
    return re.findall(r'<td class="credential-state">([^<]*)</td>', page.text)


@pytest.mark.parametrize(
    ("end_holder", "zh", "en"),
    [
        (lambda http, h: change_post(http, h),
         "已失效：持有人不再具有申请人角色", "ended: the holder no longer has the applicant role"),
        (lambda http, h: http.post("/api/v1/accounts/lib/unit", json={"unit_code": "0201"}, headers=h),
         "已失效：持有人已调离申请单位", "ended: the holder has left the applicant unit"),
    ],
    ids=["role_lost", "moved"],
)  # fmt: skip
def test_the_application_page_shows_why_a_holders_credential_ended(
    http: httpx.Client,
    world: dict,
    end_holder,
    zh: str,
    en: str,  # noqa: ANN001
) -> None:
    app = granted(http, world)
    credential(http, world["h"]["lib"], app["id"])
    credential(http, world["h"]["lib2"], app["id"])
    assert end_holder(http, world["h"]["office"]).status_code == 200
    _web_login(http, "lib2")
    page = f"/sharing/applications/{app['id']}"
    assert _states(http.get(page, headers=HTML)) == [zh, "有效"]
    assert _states(http.get(page + "?lang=en", headers=HTML)) == [en, "live"]


def test_a_credential_revoked_by_its_holder_reads_revoked(http: httpx.Client, world: dict) -> None:
    app = granted(http, world)
    credential(http, world["h"]["lib"], app["id"])
    [cred] = http.get(f"/api/v1/sharing/applications/{app['id']}", headers=world["h"]["lib"]).json()[
        "credentials"
    ]
    r = http.delete(
        f"/api/v1/sharing/applications/{app['id']}/credentials/{cred['id']}", headers=world["h"]["lib"]
    )
    assert r.status_code in (200, 204), r.text
    _web_login(http, "lib")
    assert _states(http.get(f"/sharing/applications/{app['id']}", headers=HTML)) == ["已撤销"]
