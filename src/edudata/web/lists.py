"""The pages' one list component (issue 18): server-side sorting, paging and filtering with the total shown.

A page builds its ``select`` with the filters applied (pickers, not free text), names the columns a person may sort
on, and calls :func:`listing`; the template uses the macros of ``templates/_list.html`` (``sort_th``, ``pager``,
``total``). Paging is the API's own (``edudata.api.paging.paginate``: the count of the same filtered statement and
the window at a position), so pages and API lists page the same way; the page number is the page's address.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from edudata.api.paging import PageQuery, encode_cursor, paginate

PAGE_SIZES = (25, 50, 100)
MAX_PAGE = 100_000


@dataclass
class Listing:
    """One page of a list: its items, the total under the filters, and what the links keep."""

    items: list[Any]
    total: int
    page: int
    size: int
    sort: str
    desc: bool
    #: The filters as chosen (query-string key → value), kept in every sort and page link.
    filters: dict[str, str] = field(default_factory=dict)
    #: The id of the page element htmx swaps (``region`` in ``templates/_list.html``); one per list on a page.
    region: str = "list-region"

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    def href(self, **changes: Any) -> str:
        """The query string of this list with ``changes`` (``page=2``, ``sort="name"``); empty values dropped."""
        params: dict[str, Any] = {
            **self.filters,
            "sort": self.sort,
            "dir": "desc" if self.desc else "asc",
            "page": self.page,
            "size": self.size,
        }
        params.update(changes)
        return "?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})

    def sort_href(self, key: str) -> str:
        """A column header's link: sort by ``key``, or turn the order round when already sorted by it."""
        desc = not self.desc if key == self.sort else False
        return self.href(sort=key, dir="desc" if desc else "asc", page=1)


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(high, max(low, int(value or default)))
    except ValueError:
        return default


def listing(
    session: Session,
    stmt: Select[Any],
    params: Mapping[str, str],
    *,
    sorts: Mapping[str, ColumnElement[Any]],
    default_sort: str,
    default_desc: bool = False,
    tiebreak: ColumnElement[Any] | None = None,
    filters: Mapping[str, str] | None = None,
    view: Callable[[Any], Any] | None = None,
    region: str = "list-region",
    default_size: int = PAGE_SIZES[0],
) -> Listing:
    """Sort ``stmt`` by the chosen column (one of ``sorts``; anything else is the default), then page it.

    ``params`` is the request's query string (``sort``, ``dir``, ``page``, ``size``); ``tiebreak`` (a unique
    column) makes the order total so no row shows on two pages."""
    sort = params.get("sort") if params.get("sort") in sorts else default_sort
    direction = params.get("dir")
    desc = default_desc if direction not in ("asc", "desc") else direction == "desc"
    size = _int(params.get("size"), default_size, 1, PAGE_SIZES[-1])
    page = _int(params.get("page"), 1, 1, MAX_PAGE)
    column = sorts[sort]
    order = [column.desc() if desc else column.asc()]
    if tiebreak is not None:
        order.append(tiebreak.desc() if desc else tiebreak.asc())
    window = paginate(
        session, stmt.order_by(*order), PageQuery(size, encode_cursor(offset=(page - 1) * size)), view
    )
    total = window["total"] or 0
    last = max(1, math.ceil(total / size))
    if page > last:  # past the end (a filter shrank the list): show the last page instead of an empty one
        page = last
        window = paginate(
            session, stmt.order_by(*order), PageQuery(size, encode_cursor(offset=(page - 1) * size)), view
        )
    kept = {k: v for k, v in (filters or {}).items() if v}
    return Listing(window["items"], total, page, size, sort, desc, kept, region)
