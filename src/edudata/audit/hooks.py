"""Every refused or failed request leaves an audit record (Art. 30; 行为追溯, Art. 59).

:func:`install` appends a hook to ``app.state.on_problem`` (called for every problem response) and adds a thin
ASGI middleware that catches the refusals no handler sees (the body-size limit answers 413 before routing).
Records are written with :func:`record_now` — a transaction of their own — because the refused request's own
transaction has already rolled back. Code that audits a refusal itself sets ``request.state.audited = True`` or
``err.audited = True`` on the error it raises, so the refusal is not recorded twice.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

from fastapi import FastAPI, Request
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from edudata.api.deps import client_address
from edudata.api.problems import is_busy
from edudata.audit.service import enable_checkpoints, record_now
from edudata.db import Database
from edudata.errors import EduDataError

log = logging.getLogger("edudata.audit")

DENIED = {401, 403, 423, 429}
FAILED = {404, 409, 413, 422}
ERROR = {500, 503}  # 503: the database was too busy to take the change (nothing was done)
AUDITED = DENIED | FAILED | ERROR


def _classify(status: int) -> tuple[str, str]:
    if status in DENIED:
        return "permission_denied", "denied"
    return "request_failed", "error" if status in ERROR else "failed"


def _wanted(status: int, path: str) -> bool:
    """404s are recorded for the API only: crawlers probing web paths are noise, not behaviour to trace."""
    return status in AUDITED and (status != 404 or path.startswith("/api/"))


def _fields(status: int, method: str, path: str, state: dict[str, Any], address: str) -> dict[str, Any]:
    operation, result = _classify(status)
    fields: dict[str, Any] = {
        "operation": operation,
        "result": result,
        "source_ip": address,
        "request_id": state.get("request_id"),
        "detail": {"method": method, "path": path[:500], "status": status},
    }
    principal = state.get("principal")
    if principal is not None:
        fields.update(
            account_id=principal.account_id,
            username=principal.username,
            unit_code=principal.unit_code,
            source_ip=principal.source_ip or address,
        )
    return fields


RETRY_BUSY_FOR = 120.0  # seconds a refusal's record keeps trying while the database stays busy


def _write(database: Database, fields: dict[str, Any]) -> None:
    try:
        record_now(database, **fields)
    except OperationalError as exc:
        if not is_busy(exc):
            log.exception("could not record a refused request in the audit log: %s", fields)
            return
        # The database that refused the request as busy may still be busy (SQLite: another writer holds the
        # file's one lock): the record is written as soon as it frees, from a thread, so the answer is not held.
        threading.Thread(target=_write_when_free, args=(database, fields), daemon=True).start()
    except Exception:  # the user still gets their answer; the failure to audit is loud in the logs
        log.exception("could not record a refused request in the audit log: %s", fields)


def _write_when_free(database: Database, fields: dict[str, Any]) -> None:
    deadline = time.monotonic() + RETRY_BUSY_FOR
    pause = 0.05
    while True:
        try:
            record_now(database, **fields)
            return
        except OperationalError as exc:
            if not is_busy(exc) or time.monotonic() > deadline:
                log.exception("could not record a refused request in the audit log: %s", fields)
                return
        time.sleep(pause)
        pause = min(pause * 2, 2.0)


def record_problem(request: Request, err: EduDataError) -> None:
    """``on_problem`` hook: record the refusal or failure, with who asked when the principal is known."""
    state = request.scope.setdefault("state", {})
    if state.get("audited") or getattr(err, "audited", False):
        state["audited"] = True
        return
    if not _wanted(err.status, request.url.path):
        return  # not marked: the body limit may still turn this answer into a 413, which is audited
    state["audited"] = True
    fields = _fields(err.status, request.method, request.url.path, state, client_address(request))
    fields["detail"].update(code=err.code, reason=err.en[:500])
    # what a compare-and-set found (edudata.transition), and the policy action refused (edudata.policy)
    for name in ("target", "state", "decided_by", "action"):
        if err.extra.get(name) is not None:
            fields["detail"][name] = str(err.extra[name])[:200]
    _write(request.app.state.db, fields)


class RefusalAuditMiddleware:
    """Records audited statuses that reached the client without passing the ``on_problem`` hook."""

    def __init__(self, app: ASGIApp, database: Database) -> None:
        self.app, self.database = app, database

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        pending: list[dict[str, Any]] = []

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                state = scope.setdefault("state", {})
                status = message["status"]
                if not state.get("audited") and _wanted(status, scope.get("path", "")):
                    state["audited"] = True
                    client = scope.get("client")
                    address = client[0] if client else ""
                    pending.append(_fields(status, scope["method"], scope.get("path", ""), state, address))
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            # Written once the answer is out: an early refusal (413) must not wait on the database.
            for fields in pending:
                # Shielded: a client that hangs up after a 413 cancels this task, but not its audit record.
                await asyncio.shield(run_in_threadpool(_write, self.database, fields))


def install(app: FastAPI) -> None:
    """Audit refusals; sign the chain's head every ``audit_checkpoint_every`` records appended by this app."""
    enable_checkpoints(app.state.db, app.state.settings)
    app.state.on_problem.append(record_problem)
    app.add_middleware(RefusalAuditMiddleware, database=app.state.db)
