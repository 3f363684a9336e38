"""The role × action matrix, generated from the policy (edudata.policy.table): every route of the app, API and
pages, every method, called by an account of every role with ids from one seeded world.

- A route that names no policy action and is not a public path fails the test (a new route must say what it is).
- A role the policy refuses gets 403, the database keeps every row it had (counts of every table but the audit
  log), and the audit tail holds the refusal naming the caller and the action (Art. 30, 59).
- A role the policy lets take the action anywhere is never refused at the door (no 401/403) — unless the route's
  service refuses for a reason of state or separation of duties listed in ``STATE_REFUSALS`` below.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select, text

from edudata import cache
from edudata.audit.models import AuditRecord
from edudata.db import Database
from edudata.lifecycle.people import record_agreement
from edudata.org.service import create_account, get_account
from edudata.policy import may_attempt
from edudata.policy.roles import Role
from edudata.policy.table import public_path, rule
from edudata.reference import seed_reference_data
from edudata.schema import load_all_models
from edudata.sharing.heads import set_head
from support import clock
from support.catalog import CatalogFactory
from support.org import PASSWORD
from support.reset import reset_database
from support.sharing import apply, sign_and_submit
from support.students import student

#: One account per role, in the unit where that role works (the demo university).
ROLE_ACCOUNTS: dict[Role, tuple[str, str]] = {
    Role.LEADERSHIP: ("m_leader", "0001"),
    Role.OFFICE_ADMIN: ("m_office", "0002"),
    Role.UNIT_DATA_OFFICER: ("m_officer", "0104"),
    Role.UNIT_REVIEWER: ("m_reviewer", "0104"),
    Role.APPLICANT: ("m_applicant", "0110"),
    Role.AUDITOR: ("m_auditor", "0002"),
    Role.DESTRUCTION_OFFICER: ("m_destroyer", "0002"),
    Role.DATA_PROTECTION_OFFICER: ("m_dpo", "0002"),
    Role.TECH_SUPPORT: ("m_support", "0301"),
}
#: (method, path) → roles that may take the route's action anywhere yet are refused by its service for a reason
#: of state or duty, not of role: e.g. the leadership reviews an open-data view only at its own level.
STATE_REFUSALS: dict[tuple[str, str], frozenset[Role]] = {}
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
#: Routes that end or re-key the caller's own session (logout, password, second factor; every signed-in account
#: may, none is refused): calling them would end the matrix's sessions, so the matrix leaves them out.
ENDS_OWN_SESSION = {"/logout", "/api/v1/auth/logout"}


def _routes(app: Any) -> Iterator[tuple[str, str, Any]]:
    for route in app.routes:
        if isinstance(route, APIRoute):
            for method in sorted(route.methods):
                yield method, route.path, route.dependant
        elif type(route).__name__ == "_IncludedRouter":
            for ctx in route.effective_route_contexts():
                for method in sorted(ctx.methods):
                    yield method, ctx.path, ctx.dependant


def _action(dependant: Any) -> str | None:
    for dep in dependant.dependencies:
        action = getattr(dep.call, "policy_action", None) or _action(dep)
        if action:
            return action
    return None


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def _login(base_url: str, username: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base_url, timeout=60, follow_redirects=False)
    html = {"accept": "text/html"}
    form = client.get("/login", headers=html)
    r = client.post("/login", headers=html, data={
        "csrf_token": _csrf(form.text), "username": username, "password": PASSWORD, "next": "/",
    })  # fmt: skip
    assert r.status_code == 303, r.text
    return client, _csrf(client.get("/", headers=html).text)


def _counts(database: Database) -> dict[str, int]:
    tables = [t.name for t in load_all_models().sorted_tables if not t.name.startswith("audit_")]
    query = " UNION ALL ".join(f"SELECT '{t}', COUNT(*) FROM \"{t}\"" for t in tables)  # noqa: S608 - known names
    with database.engine.connect() as conn:
        return {name: n for name, n in conn.execute(text(query))}


@pytest.fixture(scope="module")
def world(database: Database, server: Any) -> Iterator[dict[str, Any]]:
    """One seeded world per backend: the demo catalogue, an account per role, students, an application."""
    reset_database(database)
    with database.session() as session:
        seed_reference_data(session)
        session.commit()
    cache.clear_all()
    CatalogFactory(database).demo()

    with database.session() as session:
        for role, (username, unit) in ROLE_ACCOUNTS.items():
            create_account(session, username=username, password=PASSWORD, unit_code=unit, roles=(role.value,),
                           granted_by="tests")  # fmt: skip
        create_account(session, username="m_victim", password=PASSWORD, unit_code="0110", roles=("applicant",),
                       granted_by="tests")  # fmt: skip
        set_head(session, "0110", ROLE_ACCOUNTS[Role.APPLICANT][0], by="tests")  # signs 附件2 for the unit
        session.commit()
    with database.session() as session:  # support staff sign in once their 附件3 is on file (Art. 12)
        create_account(session, username="m_victim_support", password=PASSWORD, unit_code="0301",
                       roles=("tech_support",), granted_by="tests")  # fmt: skip
        victim_agreement = record_agreement(session, account=get_account(session, "m_victim_support"),
                                            kind="annex3", signed_on=clock.days_from_today(-1),
                                            document_ref="附件3", document_sha256=None, recorded_by="tests")  # fmt: skip
        record_agreement(session, account=get_account(session, ROLE_ACCOUNTS[Role.TECH_SUPPORT][0]),
                         kind="annex3", signed_on=clock.days_from_today(-1), document_ref="附件3", document_sha256=None,
                         recorded_by="tests")  # fmt: skip
        session.commit()
        victim_agreement_id = str(victim_agreement.id)
    clients = {role: _login(server.url, username) for role, (username, _unit) in ROLE_ACCOUNTS.items()}
    officer, officer_csrf = clients[Role.UNIT_DATA_OFFICER]
    rows = [student(i, "0201") for i in range(6)]
    r = officer.post(
        "/api/v1/data/student_basic/rows", json={"rows": rows}, headers={"x-csrf-token": officer_csrf}
    )
    assert r.status_code in (201, 202), r.text
    batch = r.json().get("code")
    if batch:  # the rows went in as a batch for review (Art. 22): the unit, then the office, approve it
        for role in (Role.UNIT_REVIEWER, Role.OFFICE_ADMIN):
            client, csrf = clients[role]
            done = client.post(f"/api/v1/ingest/batches/{batch}/review", json={"decision": "approve"},
                               headers={"x-csrf-token": csrf})  # fmt: skip
            assert done.status_code == 200, done.text
    applicant, applicant_csrf = clients[Role.APPLICANT]
    app = apply(applicant, {"x-csrf-token": applicant_csrf})
    sign_and_submit(applicant, {"x-csrf-token": applicant_csrf}, app["id"])
    ids = {
        "dataset": "student_basic", "code": "student_basic", "element_code": "XM", "standard_code": "XM",
        "app_id": str(app["id"]), "application_id": str(app["id"]), "username": "m_victim", "role": "applicant",
        "role_a": "unit_data_officer", "role_b": "unit_reviewer", "fmt": "json", "action": "view", "name": "none",
        "agreement_id": victim_agreement_id, "batch": batch or "",
    }  # fmt: skip
    yield {"clients": clients, "ids": ids}
    for client, _csrf_token in clients.values():
        client.close()


def _url(path: str, ids: dict[str, str]) -> str:
    def value(m: re.Match[str]) -> str:
        name = m.group(1)
        if name == "code" and "/units" in path:
            return "0104"
        if name == "code" and "/batches" in path and ids.get("batch"):
            return ids["batch"]
        return ids.get(name, "1")

    return re.sub(r"{(\w+)(?::\w+)?}", value, path)


def _call(client: httpx.Client, csrf: str, method: str, path: str, url: str) -> httpx.Response:
    headers = {"x-csrf-token": csrf}
    if not path.startswith("/api/"):
        headers["accept"] = "text/html"
        if method in _UNSAFE:
            return client.request(method, url, headers=headers, data={"csrf_token": csrf})
        return client.request(method, url, headers=headers)
    if method in ("POST", "PUT", "PATCH"):
        return client.request(method, url, headers=headers, json={})
    return client.request(method, url, headers=headers)


def _last_refusal(database: Database) -> AuditRecord | None:
    with database.session() as s:
        return s.scalar(select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(1))


def test_every_route_names_its_action_or_is_public(app: Any) -> None:
    missing = [(m, p) for m, p, d in _routes(app) if _action(d) is None and not public_path(p)]
    assert missing == [], "routes without a policy action: add allow(...) and a line in edudata.policy.table"


def test_every_role_on_every_route_gets_what_the_policy_says(
    app: Any, world: dict, database: Database
) -> None:
    clients, ids = world["clients"], world["ids"]
    wrong: list[str] = []
    previous = ""
    for method, path, dependant in _routes(app):
        action = _action(dependant)
        if action is None or path in ENDS_OWN_SESSION or action == "identity.account.self":
            continue
        r = rule(action)
        url = _url(path, ids)
        refused = [role for role in Role if not may_attempt([role], action)]
        before = _counts(database)
        for role in refused:
            client, csrf = clients[role]
            answer = _call(client, csrf, method, path, url)
            last = _last_refusal(database)
            if answer.status_code != 403:
                wrong.append(f"{method} {path} [{action}] {role}: {answer.status_code}, policy refuses")
            elif (
                last is None
                or last.result != "denied"
                or last.detail.get("action") != action
                or (last.username != ROLE_ACCOUNTS[role][0])
            ):
                wrong.append(f"{method} {path} [{action}] {role}: refusal not in the audit tail")
        if refused and _counts(database) != before:
            changed = {k for k, v in _counts(database).items() if before.get(k) != v}
            wrong.append(f"{method} {path} [{action}]: a refused call changed {sorted(changed)}")
        for role in Role:
            if role in refused:
                continue
            client, csrf = clients[role]
            answer = _call(client, csrf, method, path, url)
            strict = (
                role in r.roles and not r.signed_in and role not in STATE_REFUSALS.get((method, path), ())
            )
            if answer.status_code == 401 or (strict and answer.status_code == 403):
                wrong.append(f"{method} {path} [{action}] {role}: {answer.status_code}, policy allows")
            if answer.status_code >= 500:  # e.g. an answer its response model does not fit (a 500, not a 4xx)
                wrong.append(f"{method} {path} [{action}] {role}: {answer.status_code}, a fault")
            if answer.status_code == 401:
                pytest.fail(f"the session of {role} ended after {previous}:\n" + "\n".join(wrong))
        previous = f"{method} {path}"
    assert wrong == [], "\n".join(wrong)


def test_every_action_a_route_names_is_in_the_table(app: Any) -> None:
    with pytest.raises(KeyError):
        rule("no.such.action")
    for _method, _path, dependant in _routes(app):
        action = _action(dependant)
        if action is not None:
            rule(action)  # raises KeyError for an action the table lacks
