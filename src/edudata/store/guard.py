"""Nothing reaches governed data except through the data path (C3; DESIGN "one picture").

Every SQL statement on the app's engine is inspected; one that names a governed table (``gd_…``) outside
:func:`datapath_scope` is refused before it runs. The data path opens the scope after it has authenticated,
decided and is about to audit; maintenance (migrating a table's layout, test clean-up) opens it explicitly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.engine import Engine

from edudata.errors import PermissionDenied

GOVERNED = re.compile(r"\bgd_[a-z0-9_]+", re.IGNORECASE)
_scope: ContextVar[str | None] = ContextVar("edudata_datapath_scope", default=None)


class BypassAttempt(PermissionDenied):
    code = "datapath-bypass"


@contextmanager
def datapath_scope(reason: str) -> Iterator[None]:
    token = _scope.set(reason)
    try:
        yield
    finally:
        _scope.reset(token)


def in_scope() -> bool:
    return _scope.get() is not None


def _check(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001 - SQLAlchemy hook
    if _scope.get() is None and GOVERNED.search(statement):
        raise BypassAttempt(
            "受管数据只能经由统一数据通道访问（鉴权、授权、脱敏、审计）",
            "governed data may only be reached through the data path (authorise, scope, mask, audit)",
        )


def install_guard(engine: Engine) -> None:
    if not event.contains(engine, "before_cursor_execute", _check):
        event.listen(engine, "before_cursor_execute", _check)
