"""Every person of the demo university logs in through the login page and follows every link from their home page
(issue 18): no link answers 4xx or 5xx, no page is raw JSON, and in Chinese mode no page shows what a university
office does not read — element codes (XH、XM), unit codes (0104), usernames, stored enumerations (``important``,
``pending_office``, ``login``), developer markup (``:func:``), Latin article numbers (Art. 55), UTC times or JSON.

Codes may stand beside the name they belong to as secondary text (``<code>`` or ``class="code"``); the page's
visible text outside those is what is checked (tests/support/world.py). Links to the machine-readable API (``/api/``,
labelled as such on the portal) and to downloads are not pages and are not followed.
"""

from __future__ import annotations

import re
from collections import deque
from pathlib import Path
from urllib.parse import parse_qsl, urljoin, urlparse

import httpx
import pytest
from sqlalchemy import select

from edudata.catalog.models import DataElement
from edudata.config import Settings
from edudata.db import Database
from edudata.org.models import Unit
from edudata.web import labels
from support.server import LiveServer
from support.world import demo_world, log_in, read

#: Links that are not pages a person reads: the API, the API docs, files, the language switch, ending the session.
NOT_PAGES = ("/api/", "/docs", "/redoc", "/static/", "/lang/", "/logout")
DOWNLOADS = re.compile(r"/download(\.[a-z]+)?$|\.(csv|xlsx|pdf|zip|json|ttl|jsonld)$")
MAX_PAGES = 400  # per person: far more than any role's pages, a stop against a link loop


def _english_values() -> set[str]:
    """Every stored enumeration value the labels module knows, as it is stored (``important``, ``daily``)."""
    values = {str(getattr(v, "value", v)) for kind in labels.KINDS.values() for v in kind}
    return {v for v in values if re.fullmatch(r"[a-z][a-z0-9_]*", v)}


def _problems(text: str, element_codes: set[str], unit_codes: set[str], usernames: set[str]) -> list[str]:
    found: list[str] = []
    words = set(re.findall(r"(?<![A-Za-z0-9_./-])[A-Za-z0-9_]+(?![A-Za-z0-9_])", text))
    found += sorted(f"element code {w}" for w in words & element_codes)
    found += sorted(f"unit code {w}" for w in words & unit_codes)
    found += sorted(f"username {w}" for w in words & usernames)
    found += sorted(f"enumeration {w}" for w in words & _english_values())
    found += [f"identifier {m}" for m in sorted(set(re.findall(r"\b[a-z]+_[a-z0-9_]+\b", text)))]
    for pattern, what in (
        (r":func:|:class:|``", "developer markup"),
        (r"\bArt\.\s*\d+", "Latin article number"),
        (r"\bUTC\b|\d{4}-\d\d-\d\dT\d\d:\d\d", "UTC or ISO time"),
        (r"\{\s*\"|\"\s*:\s*[\"{\[0-9]", "JSON"),
        (r"\b[a-z]+/[a-z]+\b", "event code"),
    ):
        for m in sorted(set(re.findall(pattern, text))):
            found.append(f"{what} {m!r}")
    return found


def _crawl(
    client: httpx.Client, base: str, vocabulary: tuple[set[str], set[str], set[str]]
) -> tuple[dict[str, list[str]], int]:
    """Follow every link from the home page; returns {page: problems} and the number of pages read."""
    host = urlparse(base).netloc
    seen: set[str] = set()
    queue = deque(["/"])
    problems: dict[str, list[str]] = {}
    shapes: set[tuple[str, tuple[str, ...]]] = set()
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        answer = client.get(path)
        if answer.status_code in (302, 303, 307):  # a page that sends on (the home of a role, after a form)
            queue.append(answer.headers["location"])
            continue
        if answer.status_code >= 400:
            problems[path] = [f"HTTP {answer.status_code}"]
            continue
        kind = answer.headers.get("content-type", "")
        if "json" in kind:
            problems[path] = ["raw JSON page"]
            continue
        if "text/html" not in kind:
            continue
        text, hrefs = read(answer.text)
        found = _problems(text, *vocabulary)
        if found:
            problems[path] = found
        for href in hrefs:
            target = urlparse(urljoin(base + path, href))
            if target.netloc != host or target.scheme not in ("http", "https"):
                continue
            link = target.path + (f"?{target.query}" if target.query else "")
            if link.startswith(NOT_PAGES) or DOWNLOADS.search(target.path) or link in seen:
                continue
            # One page of each shape: the same path with the same query key (a facet, a sort, a page number) is
            # the same template with other values, and one combination of several stands for all (the portal's
            # facet combinations would otherwise multiply past its rate limit).
            keys = tuple(sorted({k for k, _ in parse_qsl(target.query)}))
            shape = (target.path, keys if len(keys) <= 1 else ("*",))
            if shape in shapes:
                continue
            shapes.add(shape)
            queue.append(link)
    return problems, len(seen)


def test_every_person_follows_every_link_from_home_and_reads_words_not_codes(
    db: Database, settings: Settings, server: LiveServer, output_dir: Path
) -> None:
    logins = demo_world(settings)
    with db.session() as session:
        element_codes = set(session.scalars(select(DataElement.code)))
        unit_codes = set(session.scalars(select(Unit.code)))
    # A username that is also a Chinese-free word of the pages' English (none today) would be a false alarm.
    vocabulary = (element_codes, unit_codes, {login.username for login in logins if "_" in login.username})
    assert {"XH", "XM"} <= element_codes and "0104" in unit_codes

    report: dict[str, dict[str, list[str]]] = {}
    read_pages = {}
    for login in logins:
        with httpx.Client(base_url=server.url, timeout=60, cookies={"lang": "zh"}) as client:
            log_in(client, login)
            problems, count = _crawl(client, server.url, vocabulary)
        read_pages[login.username] = count
        if problems:
            report[login.username] = problems
    # Every person reached more than their home page (the technical support's included, issue 18's dead end).
    assert all(count > 3 for count in read_pages.values()), read_pages
    lines = [
        f"{who} {page}: {'; '.join(found)}" for who, pages in report.items() for page, found in pages.items()
    ]
    (output_dir / "crawl-problems.txt").write_text("\n".join(lines), encoding="utf-8")  # every one, to read
    assert not lines, f"{len(lines)} pages with problems:\n" + "\n".join(lines[:200])


@pytest.mark.parametrize("value", ["important", "pending_office", "login"])
def test_the_checks_catch_what_they_are_for(value: str) -> None:
    """The crawl's rules are not vacuous: each kind of problem in a page's text is found."""
    codes = ({"XH"}, {"0104"}, {"xgb_officer"})
    assert _problems(f"状态：{value}", *codes)
    assert _problems("学号 XH 单位 0104 由 xgb_officer", *codes) == [
        "element code XH", "unit code 0104", "username xgb_officer", "identifier xgb_officer",
    ]  # fmt: skip
    assert _problems("见 :func:`verify_chain` (Art. 55)", *codes)
    assert _problems('{"masking": {"XM": "name"}}', *codes)
    assert _problems("2026-12-02T13:04:24Z", *codes)
    text, _ = read('<p>学号<span class="code">XH</span> <code>0104</code>，第五十五条，北京时间 21:04</p>')
    assert _problems(text, *codes) == []
