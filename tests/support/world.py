"""The demo university in the test database, for tests that walk the pages as each of its people (the crawl, axe,
screenshots): built by the platform's own ``build_demo`` (real accounts, collection through the data path, the
showcase's open dataset and pending application), small enough to build in seconds.

Also the one reader of a page's visible text: what a person reads, without markup, scripts, attribute values and
codes shown as secondary text beside the name they belong to (``<code>``, ``class="code"`` or 名称（CODE）).
"""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import httpx

from edudata import cache
from edudata.clock import today_in_china
from edudata.config import Settings
from edudata.db import Database
from edudata.demo.service import ACCOUNTS, Login, build_demo
from edudata.lifecycle.people import record_agreement
from edudata.org.service import get_account
from edudata.policy.roles import Role

STUDENTS, STAFF = 60, 20


def demo_world(settings: Settings) -> list[Login]:
    """Build the demo on the (emptied) test database; returns one login per demo account."""
    logins = build_demo(settings, students=STUDENTS, staff=STAFF)
    database = Database(settings.resolved_database_url())
    try:  # the technical support signs in once the office has filed their unit's 附件3 (Art. 12)
        with database.session() as session:
            support = [a.username for a in ACCOUNTS if a.role == Role.TECH_SUPPORT]
            for username in support:
                record_agreement(session, account=get_account(session, username), kind="annex3",
                                 signed_on=today_in_china() - timedelta(days=1), document_ref="附件3（演示）",
                                 document_sha256=None, recorded_by="office")  # fmt: skip
            session.commit()
    finally:
        database.dispose()
    cache.clear_all()  # built through another engine than the live server's: drop what the server cached
    return logins


def log_in(client: httpx.Client, login: Login) -> None:
    """Log in through the login page, as a person would (the form's CSRF token, then the session cookie)."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "the login page has no CSRF token"
    answer = client.post(
        "/login",
        data={
            "csrf_token": token.group(1),
            "username": login.username,
            "password": login.password,
            "next": "/",
        },
    )
    assert answer.status_code == 303, f"{login.username} could not log in: {answer.status_code}"


_BRACKETED = re.compile(r"（[A-Za-z0-9_.\-]+）")
_VOID = {"br", "img", "input", "meta", "link", "hr", "wbr", "source", "col", "area"}


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, bool]] = []  # (tag, its text is hidden: code, script, style or inside one)
        self.parts: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.hrefs.append(values["href"] or "")
        if tag in _VOID:
            return
        hidden = (
            tag in ("code", "script", "style", "template") or "code" in (values.get("class") or "").split()
        )
        self.open.append((tag, hidden or bool(self.open and self.open[-1][1])))

    def handle_endtag(self, tag: str) -> None:
        if any(t == tag for t, _ in self.open):
            while self.open and self.open.pop()[0] != tag:
                pass

    def handle_data(self, data: str) -> None:
        if not (self.open and self.open[-1][1]):
            self.parts.append(data)


def read(html: str) -> tuple[str, list[str]]:
    """(visible text, hrefs of the page's links)."""
    reader = _Reader()
    reader.feed(html)
    text = " ".join(" ".join(reader.parts).split())
    # A code in full-width brackets right after its name (学号（XH）, in a picker's option) is secondary text too.
    return _BRACKETED.sub("", text), reader.hrefs
