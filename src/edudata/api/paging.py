"""One pagination style for every list of the API: ``limit`` + an opaque ``cursor`` in, one envelope out.

A list route takes ``page: PageQuery = Depends(paging(default, maximum))`` and answers
``Page[Item]``: ``{"items": [...], "total": n, "next_cursor": "…" | null}``. The client passes ``next_cursor``
back as ``cursor`` until it is null. The cursor is opaque (base64url of a small JSON object) so a list may page by
position today and by key tomorrow without changing its clients: most lists page by position (``offset``), the
data API pages by keyset (the last row's ``_id``, :func:`edudata.access.datapath.query`). A cursor that does not
decode answers 422 with a bilingual problem, like any other bad parameter (and is audited).

``total`` counts every item the caller may see under the same filters; the data API counts only when asked
(``total=true``: counting a governed dataset under row scope costs a second query) and says ``null`` otherwise.
Web pages (server-side paged lists) use the same helpers with the same cursor.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from edudata.errors import ValidationFailed

T = TypeVar("T")

#: The largest position a cursor may carry (a bound, so a forged cursor cannot ask the database for 2⁶³).
MAX_OFFSET = 10_000_000
_KEY_LIMIT = 2**63 - 1
_MAX_CURSOR_CHARS = 200


class Page(BaseModel, Generic[T]):
    """The envelope of every API list (docs/architecture.md, "Lists")."""

    items: list[T]
    total: int | None = Field(description="符合条件的总数 / items matching the filters (null: not counted)")
    next_cursor: str | None = Field(
        description="下一页的游标，作为 cursor 传回；为空表示已到最后一页 / pass back as cursor; null on the last page"
    )


@dataclass
class PageQuery:
    """A page request: how many items, and the client's cursor — decoded when the route first reads a
    position, i.e. after the policy dependency has named (or refused) the caller, so a bad cursor from an
    anonymous caller is still a 401 and a signed-in caller's bad cursor is audited under their name."""

    limit: int
    cursor: str | None = None

    @cached_property
    def _position(self) -> tuple[int, int | None]:
        return decode_cursor(self.cursor)

    @property
    def offset(self) -> int:
        """Where a position-paged list starts."""
        return self._position[0]

    @property
    def after(self) -> int | None:
        """The last key served, for a keyset-paged list."""
        return self._position[1]

    def key(self) -> int | None:
        """The keyset position of a keyset-paged list (None: the first page); a position cursor is refused."""
        if self.offset:
            raise _bad_cursor()
        return self.after


def _bad_cursor() -> ValidationFailed:
    return ValidationFailed(
        "分页游标无效：请使用上一页返回的 next_cursor",
        "invalid cursor: pass the next_cursor of the previous page",
        field="cursor",
    )


def encode_cursor(*, offset: int | None = None, after: int | None = None) -> str:
    """The opaque cursor for a position (``offset``) or a keyset position (``after``: the last key served)."""
    body = {"o": offset} if after is None else {"k": after}
    raw = json.dumps(body, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[int, int | None]:
    """``(offset, after)`` of a cursor; a malformed or out-of-range cursor is a 422 (never a 500)."""
    if not cursor:
        return 0, None
    if len(cursor) > _MAX_CURSOR_CHARS:
        raise _bad_cursor()
    try:
        body = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _bad_cursor() from None
    if not isinstance(body, dict) or len(body) != 1:
        raise _bad_cursor()
    ((kind, value),) = body.items()
    # bool is an int in Python; a cursor of true/false is not ours
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _bad_cursor()
    if kind == "o" and value <= MAX_OFFSET:
        return value, None
    if kind == "k" and value <= _KEY_LIMIT:
        return 0, value
    raise _bad_cursor()


def paging(default: int = 50, maximum: int | None = 500) -> Callable[..., PageQuery]:
    """The FastAPI dependency of a list route: ``limit`` (1…``maximum``) and ``cursor``. ``maximum=None``
    leaves the bound to the route, when it is a setting (the open portal's ``opendata_max_rows``)."""

    def dependency(
        limit: int = Query(default, ge=1, le=maximum, description="每页条数 / items per page"),
        cursor: str | None = Query(
            None,
            max_length=_MAX_CURSOR_CHARS,
            description="上一页返回的 next_cursor / the next_cursor of the previous page",
        ),
    ) -> PageQuery:
        return PageQuery(limit, cursor)

    return dependency


def keyset_page(
    items: list[Any], total: int | None, page: PageQuery, key: Callable[[Any], int]
) -> dict[str, Any]:
    """The envelope of a keyset-paged window fetched with ``page.limit + 1`` rows: the extra row only says
    that a next page exists; the cursor is the key of the last item served."""
    window = items[: page.limit]
    more = len(items) > page.limit
    return {
        "items": window,
        "total": total,
        "next_cursor": encode_cursor(after=key(window[-1])) if more else None,
    }


def page_of(
    items: list[Any], total: int | None, page: PageQuery, *, more: bool | None = None
) -> dict[str, Any]:
    """The envelope of one window of a position-paged list (``items`` starts at ``page.offset``).

    ``more`` says whether a next page exists when ``total`` is not counted."""
    end = page.offset + len(items)
    has_more = (end < total) if total is not None else bool(more)
    return {"items": items, "total": total, "next_cursor": encode_cursor(offset=end) if has_more else None}


def paginate_list(
    items: Iterable[T], page: PageQuery, view: Callable[[T], Any] | None = None
) -> dict[str, Any]:
    """Page a list already in memory (short registers: roles, code sets, obligations)."""
    everything: Sequence[T] = items if isinstance(items, Sequence) else list(items)
    window = everything[page.offset : page.offset + page.limit]
    return page_of([view(i) for i in window] if view else list(window), len(everything), page)


def paginate(
    session: Session, stmt: Select[Any], page: PageQuery, view: Callable[[Any], Any] | None = None
) -> dict[str, Any]:
    """Page an ORM ``select`` (it must have a total order, e.g. ``order_by(Model.id.desc())``): the count of
    the same filtered statement, and the window at the cursor's position, each item passed through ``view``."""
    total = session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    rows = session.execute(stmt.offset(page.offset).limit(page.limit)).scalars().all()
    return page_of([view(r) for r in rows] if view else list(rows), total, page)
