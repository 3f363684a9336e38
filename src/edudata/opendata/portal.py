"""Reading the open catalogue: listing, search, rows and downloads — every read through the data path (Art. 45).

Rows come from a published version (immutable once written), decoded once per process and kept in a small LRU:
a new version has a new id, so no app server can serve a stale cache. Filters use the data API's JSON filter
language (:mod:`edudata.access.filters`), applied to the published rows as Polars expressions.
"""

from __future__ import annotations

import io
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edudata.access import datapath, decision, filters, formats
from edudata.errors import NotFound, ValidationFailed
from edudata.opendata import search
from edudata.opendata.models import OpenVersion, OpenView
from edudata.opendata.publish import current_version
from edudata.opendata.review import get_view

_CACHE: OrderedDict[tuple[int, str], pl.DataFrame] = OrderedDict()
_LOCK = threading.Lock()
CACHE_SIZE = 32
_FILES: OrderedDict[tuple, bytes] = OrderedDict()
FILE_CACHE_SIZE = 24


def check_limit(limit: int, maximum: int, field: str = "limit") -> None:
    """A page is bounded: asking for more rows than ``maximum`` is a clear 422, not a slow death."""
    if not 1 <= limit <= maximum:
        raise ValidationFailed(
            f"{field}：每页最多 {maximum} 行（请分页获取，或下载完整文件）",
            f"{field}: at most {maximum} rows per page (page through, or download the file)",
            field=field,
        )


def published(session: Session, code: str) -> OpenView:
    """A published view, else 404 (proposals under review are not shown to the public)."""
    view = get_view(session, code)
    if view.status != "published":
        raise NotFound(f"没有已发布的开放数据“{code[:64]}”", f"no published open-data view '{code[:64]}'")
    return view


def as_decision_view(view: OpenView, version: OpenVersion | None) -> decision.OpenView:
    columns = tuple(c["code"] for c in (version.columns if version else []))
    return decision.OpenView(
        view.code, view.dataset_code, view.open_category, view.status == "published", columns
    )


def list_published(
    session: Session, q: str = "", offset: int = 0, limit: int = 20
) -> tuple[list[OpenView], int]:
    """Published views matching ``q`` (Chinese full-text), best first; without ``q``, newest first."""
    base = select(OpenView).where(OpenView.status == "published")
    if q.strip():
        ids = search.matching_view_ids(session, q) or []
        views = {v.id: v for v in session.scalars(base.where(OpenView.id.in_(ids)))} if ids else {}
        ordered = [views[i] for i in ids if i in views]
        return ordered[offset : offset + limit], len(ordered)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.scalars(
        base.order_by(OpenView.published_at.desc(), OpenView.id.desc()).offset(offset).limit(limit)
    )
    return list(rows), total


#: The portal's facets (CKAN's "groups" and "formats", data.gov.cn's 提供单位/主题/格式/许可): query-string key →
#: what the view is filtered on. Formats are those every published view offers for download.
FACETS = ("publisher", "category", "format", "licence")


@dataclass(frozen=True)
class Facets:
    """Counts per value of each facet among the views matching the search and the other facets' choices."""

    counts: dict[str, dict[str, int]]
    chosen: dict[str, str]


def _facet_values(view: OpenView, subject: dict[str, str]) -> dict[str, list[str]]:
    return {
        "publisher": [view.unit_code],
        "category": [subject.get(view.dataset_code, "")],
        "format": list(DOWNLOADS),
        "licence": [view.licence],
    }


def search_published(
    session: Session, q: str = "", chosen: Mapping[str, str] | None = None, offset: int = 0, limit: int = 20
) -> tuple[list[OpenView], int, Facets]:
    """The portal's search: ``q`` (Chinese full-text) and one value per facet; the matching window, its total,
    and each facet's counts under the search and the other facets (so a choice shows what else it leaves)."""
    from edudata.catalog.models import Dataset  # the catalogue's subject area is the portal's category

    chosen = {k: v for k, v in (chosen or {}).items() if k in FACETS and v}
    views, _ = list_published(session, q, 0, 1_000_000)
    subject = dict(session.execute(select(Dataset.code, Dataset.subject_area)).tuples().all())
    values = {v.id: _facet_values(v, subject) for v in views}

    def keeps(view: OpenView, skip: str | None = None) -> bool:
        return all(val in values[view.id][key] for key, val in chosen.items() if key != skip)

    counts: dict[str, dict[str, int]] = {}
    for key in FACETS:
        tally: dict[str, int] = {}
        for view in views:
            if keeps(view, skip=key):
                for val in values[view.id][key]:
                    if val:
                        tally[val] = tally.get(val, 0) + 1
        counts[key] = dict(sorted(tally.items(), key=lambda kv: (-kv[1], kv[0])))
    matching = [v for v in views if keeps(v)]
    return matching[offset : offset + limit], len(matching), Facets(counts, chosen)


def frame_of(version: OpenVersion) -> pl.DataFrame:
    """The version's rows, decoded once per process (keyed by id and content hash, so a restored or
    re-created database can never be answered from another version's rows)."""
    key = (version.id, version.sha256)
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
            return cached
    frame = pl.read_ipc(io.BytesIO(version.data))
    with _LOCK:
        _CACHE[key] = frame
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return frame


def _value(kind: str, value: Any, code: str) -> Any:
    try:
        if kind == "int":
            if isinstance(value, bool):
                raise ValueError
            return int(value)
        if kind == "numeric":
            return float(value)
    except (TypeError, ValueError):
        raise ValidationFailed(
            f"筛选条件有误：{code} 应为数值", f"invalid filter: {code} takes a number", field="filter"
        ) from None
    if kind == "bool":
        return bool(value)
    if (
        not isinstance(value, str | int | float)
        or isinstance(value, bool)
        or len(str(value)) > filters.MAX_TEXT
    ):
        raise ValidationFailed(
            f"筛选条件有误：{code} 的取值不合法", f"invalid filter: bad value for {code}", field="filter"
        )
    return str(value)


def to_expr(node: filters.Node, types: dict[str, str]) -> pl.Expr:
    """The JSON filter as a Polars expression over the published columns (values are literals, never code)."""
    if isinstance(node, filters.Group):
        parts = [to_expr(i, types) for i in node.items]
        if node.kind == "not":
            return ~parts[0]
        out = parts[0]
        for p in parts[1:]:
            out = (out & p) if node.kind == "all" else (out | p)
        return out
    col, kind = pl.col(node.element), types[node.element]
    if node.op == "is_null":
        return col.is_null()
    if node.op == "not_null":
        return col.is_not_null()
    if node.op in ("in", "not_in"):
        if not isinstance(node.value, list) or not 1 <= len(node.value) <= filters.MAX_IN_VALUES:
            raise ValidationFailed(
                f"筛选条件有误：“{node.op}”需要取值列表",
                f"invalid filter: '{node.op}' needs a list",
                field="filter",
            )
        values = [_value(kind, v, node.element) for v in node.value]
        expr = col.is_in(values)
        return expr.fill_null(False) if node.op == "in" else (~expr).fill_null(True)
    v = _value(kind, node.value, node.element)
    if node.op == "prefix":
        if kind != "text":
            raise ValidationFailed(
                f"筛选条件有误：{node.element} 不支持前缀匹配",
                f"invalid filter: no prefix match on {node.element}",
                field="filter",
            )
        return col.str.starts_with(str(v)).fill_null(False)
    ops = {
        "eq": col == v,
        "ne": (col != v).fill_null(True),
        "lt": col < v,
        "le": col <= v,
        "gt": col > v,
        "ge": col >= v,
    }
    return ops[node.op].fill_null(False)


@dataclass
class Rows:
    view: OpenView
    version: OpenVersion
    frame: pl.DataFrame  # the page (or every row, for a download)
    total: int
    offset: int
    limit: int | None


def read(
    caller: Any,
    ctx: datapath.Context,
    view: OpenView,
    *,
    filter: Any = None,
    q: str | Mapping[str, str] = "",
    fields: Sequence[str] | None = None,
    offset: int = 0,
    limit: int | None = 100,
    version_number: int | None = None,
    operation: str = "open_query",
    sort: Sequence[tuple[str, bool, bool]] = (),
    distinct: bool = False,
    row_ids: bool = False,
) -> Rows:
    """One page (or, with ``limit=None``, all) of a published view's rows, through the data path.

    ``q`` is text searched in every text column, or ``{column: text}``; ``sort`` is (column, descending,
    nulls last); ``row_ids`` adds ``_id``, the row's 1-based place in the version (CKAN's datastore ``_id``)."""
    version = current_version(ctx.session, view, version_number)
    if version is None:
        raise NotFound(
            f"开放数据“{view.code}”没有第 {version_number} 版",
            f"open-data view {view.code} has no version {version_number}",
        )
    types = {c["code"]: c["type"] for c in version.columns}
    if fields:
        unknown = [f for f in fields if f not in types]
        if unknown:
            raise ValidationFailed(
                f"fields：没有数据项 {', '.join(unknown)[:80]}",
                f"fields: no column {', '.join(unknown)[:80]}",
                field="fields",
            )
    total = [0]

    def fetch(node: filters.Node | None) -> pl.DataFrame:
        frame = frame_of(version)
        if row_ids:
            frame = frame.with_row_index("_id", offset=1).with_columns(pl.col("_id").cast(pl.Int64))
        if node is not None:
            frame = frame.filter(to_expr(node, types))
        searches = {c: q for c, t in types.items() if t == "text"} if isinstance(q, str) else dict(q)
        needles = {c: str(v).strip()[:100] for c, v in searches.items() if str(v).strip()}
        if needles:
            hits = [
                pl.col(c).cast(pl.String).str.contains(n, literal=True).fill_null(False)
                for c, n in needles.items()
            ]
            # One text in every text column: any column may hold it; {column: text}: each column its own.
            frame = frame.filter(pl.any_horizontal(hits) if isinstance(q, str) else pl.all_horizontal(hits))
        elif isinstance(q, str) and q.strip():
            frame = frame.clear()  # a text search on a view without text columns finds nothing
        keep = (["_id"] if row_ids and not distinct else []) + [c for c in (fields or types) if c != "_id"]
        if distinct:
            frame = frame.select(keep).unique(maintain_order=True)
        if sort:
            frame = frame.sort(
                [c for c, _, _ in sort],
                descending=[d for _, d, _ in sort],
                nulls_last=[n for _, _, n in sort],
            )
        total[0] = frame.height
        frame = frame.slice(offset, limit) if limit is not None else frame.slice(offset)
        return frame.select(keep) if (fields or row_ids) else frame

    detail = {"version": version.number, "offset": offset, "limit": limit}
    _decision, frame = datapath.open_read(
        caller, ctx, as_decision_view(view, version), fetch, filter=filter, operation=operation, detail=detail
    )
    return Rows(view, version, frame, total[0], offset, limit)


DOWNLOADS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "json": ("application/json", "json"),
    "xlsx": (formats.FORMATS["xlsx"][0], "xlsx"),
}


def download(
    caller: Any,
    ctx: datapath.Context,
    view: OpenView,
    fmt: str,
    version_number: int | None = None,
    headers: str = "code",
) -> tuple[bytes, str, str]:
    """Every row of the view in ``fmt`` (CSV with BOM, JSON, XLSX: the same rows and columns), audited as an
    ``open_download``; returns (content, media type, file name). ``headers="zh"``: a CSV or XLSX file's column
    headers are the elements' Chinese names (the portal page's default), ``"code"`` the element codes."""
    if fmt not in DOWNLOADS:
        raise ValidationFailed("format：应为 csv、json 或 xlsx", "format: csv, json or xlsx", field="format")
    rows = read(caller, ctx, view, limit=None, version_number=version_number, operation="open_download")
    zh = headers == "zh" and fmt in ("csv", "xlsx")
    key = (rows.version.id, rows.version.sha256, fmt, view.code, view.title, view.licence, zh)
    with _LOCK:
        content = _FILES.get(key)
    if content is None:
        content = _render(view, rows, fmt, chinese_headers=zh)
        with _LOCK:
            _FILES[key] = content
            while len(_FILES) > FILE_CACHE_SIZE:
                _FILES.popitem(last=False)
    media, ext = DOWNLOADS[fmt]
    return content, media, f"{view.code}-v{rows.version.number}.{ext}"


def _chinese_headers(frame: pl.DataFrame, columns: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    """Column headers in Chinese (论文题目, not LWTM); a name shared by two elements keeps its code beside it."""
    names = {c["code"]: c.get("name") or c["code"] for c in columns}
    seen: dict[str, int] = {}
    for code in frame.columns:
        seen[names.get(code, code)] = seen.get(names.get(code, code), 0) + 1
    mapping = {
        code: names.get(code, code)
        if seen[names.get(code, code)] == 1
        else f"{names.get(code, code)}（{code}）"
        for code in frame.columns
    }
    return frame.rename(mapping)


def _render(view: OpenView, rows: Rows, fmt: str, chinese_headers: bool = False) -> bytes:
    """The file of a whole version (immutable, so rendered once per process and format)."""
    frame = _chinese_headers(rows.frame, rows.version.columns or []) if chinese_headers else rows.frame
    if fmt == "csv":
        return formats.to_csv(frame)
    if fmt == "xlsx":
        return formats.to_xlsx(frame, view.code)
    meta = {
        "dataset": view.code,
        "title": view.title,
        "version": rows.version.number,
        "licence": view.licence,
        "columns": rows.version.columns,
        "row_count": frame.height,
    }
    return json.dumps({**meta, "rows": frame.to_dicts()}, ensure_ascii=False, default=str).encode("utf-8")
