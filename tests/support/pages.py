"""Signing in to the pages over real HTTP (a browser's cookies, the login form's CSRF token) without a browser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from support.students import PASSWORD

HTML = {"accept": "text/html"}


def csrf_field(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no CSRF field"
    return found.group(1)


@contextmanager
def page_login(base_url: str, username: str, next_path: str = "/") -> Iterator[httpx.Client]:
    """A client holding ``username``'s session cookie, as after the login form (follows no redirect)."""
    with httpx.Client(base_url=base_url, timeout=30, follow_redirects=False, headers=HTML) as client:
        page = client.get("/login")
        r = client.post(
            "/login",
            data={
                "csrf_token": csrf_field(page.text),
                "username": username,
                "password": PASSWORD,
                "next": next_path,
            },
        )
        assert r.status_code == 303, r.text
        yield client
