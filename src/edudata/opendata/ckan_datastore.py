"""CKAN's DataStore read actions over published views: ``datastore_search`` and ``datastore_info``
(ckanext/datastore/logic/action.py shapes).

Every ``datastore_search`` is a read through the data path (:func:`edudata.opendata.portal.read`): decided on the
published view (conditional views need a key approved for them), audited as ``open_query``, answered from the
published version — whose small cells were suppressed when it was materialised, so no query can see more than
the portal shows. ``datastore_info`` is metadata (the element dictionary and the row count the portal shows).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from typing import Any
from urllib.parse import urlencode

from edudata.api.context import request_context
from edudata.errors import NotFound, ValidationFailed
from edudata.opendata import ckan_index as idx
from edudata.opendata import portal
from edudata.opendata.ckan_actions import Call

PARAMS = {
    "resource_id", "id", "q", "full_text", "plain", "language", "filters", "fields", "sort", "limit", "offset",
    "distinct", "include_total", "records_format", "include_next_page", "total_estimation_threshold",
}  # fmt: skip
FORMATS = ("objects", "lists", "csv", "tsv")
_TYPES = {"int": "int8", "numeric": "numeric", "bool": "bool", "text": "text"}


def _invalid(name: str, value: Any) -> ValidationFailed:
    return ValidationFailed(
        f"{name}：取值“{str(value)[:60]}”无效", f'{name}: invalid value "{str(value)[:60]}"', field=name
    )


def _entry(call: Call) -> tuple[idx.Entry, str]:
    """The published view behind a resource id (``<view>-csv`` …); CKAN's "Resource … was not found"."""
    rid = call.data.get("resource_id") or call.data.get("id")
    if not isinstance(rid, str) or not rid.strip():
        raise ValidationFailed("resource_id：缺少取值", "resource_id: Missing value", field="resource_id")
    rid = rid.strip()[:200]
    code, _, fmt = rid.rpartition("-")
    for e in call.entries:
        if fmt in idx.FORMATS and e.view.code == code:
            return e, rid
    raise NotFound(f"没有资源“{rid[:80]}”", f'Resource "{rid[:80]}" was not found.')


def _columns(entry: idx.Entry) -> list[dict[str, Any]]:
    return entry.version.columns if entry.version else []


def _list(raw: Any, name: str) -> list[str]:
    if raw in (None, ""):
        return []
    if isinstance(raw, str):
        return [p.strip() for p in raw.split(",") if p.strip()]
    if isinstance(raw, list) and all(isinstance(p, str) for p in raw):
        return raw
    raise ValidationFailed(f"{name}：应为列名列表", f"{name}: a list of column names", field=name)


def _filters(raw: Any, types: dict[str, str]) -> Any:
    """CKAN ``filters`` ({"col": value or [values]}) as the data path's JSON filter."""
    if raw in (None, "", {}):
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ValidationFailed(
                "filters：不是合法的 JSON", "filters: Could not parse as valid JSON", field="filters"
            ) from None
    if not isinstance(raw, dict) or len(raw) > 50:
        raise ValidationFailed(
            "filters：应为 {列: 值} 对象", "filters: must be an object {column: value}", field="filters"
        )
    items = []
    for k, v in raw.items():
        if k not in types:
            raise _invalid("filters", k)
        if isinstance(v, list):
            items.append({"element": k, "op": "in", "value": v})
        elif isinstance(v, dict | type(None)):
            raise _invalid("filters", k)
        else:
            items.append({"element": k, "op": "eq", "value": v})
    return {"all": items}


def _sort(raw: Any, types: dict[str, str]) -> list[tuple[str, bool, bool]]:
    """``"col1, col2 desc nulls last"`` → (column, descending, nulls last); CKAN's default is ``_id``."""
    out = []
    for part in _list(raw, "sort"):
        words = part.replace('"', "").split()
        name, rest = words[0], [w.lower() for w in words[1:]]
        desc = bool(rest) and rest[0] == "desc"
        if rest and rest[0] in ("asc", "desc"):
            rest = rest[1:]
        nulls_last = not desc
        if rest in (["nulls", "first"], ["nulls", "last"]):
            nulls_last, rest = rest[1] == "last", []
        if (name not in types and name != "_id") or rest:
            raise _invalid("sort", part)
        out.append((name, desc, nulls_last))
    return out


def datastore_search(call: Call) -> dict[str, Any]:
    """Rows of a resource: ``q``, ``filters``, ``fields``, ``sort``, ``distinct``, ``limit``, ``offset``."""
    d = call.data
    unknown = sorted(set(d) - PARAMS)
    if unknown:
        raise ValidationFailed(
            f"{unknown[0][:40]}：不支持的参数",
            f"{unknown[0][:40]}: The input field was not expected",
            field=unknown[0],
        )
    entry, rid = _entry(call)
    types = {c["code"]: c["type"] for c in _columns(entry)}
    maximum = call.request.app.state.settings.opendata_max_rows
    limit = min(idx.natural(d, "limit", 100) or 0, maximum)  # CKAN cuts to rows_max and says so in `limit`
    offset = idx.natural(d, "offset", 0) or 0
    fields = _list(d.get("fields"), "fields")
    for f in fields:
        if f not in types and f != "_id":
            raise _invalid("fields", f)
    q = d.get("q") if d.get("q") not in (None, "") else d.get("full_text") or ""
    if isinstance(q, str) and q.startswith("{"):
        with contextlib.suppress(ValueError):
            q = json.loads(q)
    if isinstance(q, dict):
        for k, v in q.items():
            if k not in types or not isinstance(v, str):
                raise _invalid("q", k)
    elif not isinstance(q, str) or len(q) > 100:
        raise ValidationFailed("q：检索词不超过 100 字", "q: text of at most 100 characters", field="q")
    fmt = str(d.get("records_format") or "objects")
    if fmt not in FORMATS:
        raise ValidationFailed(
            "records_format：应为 objects、lists、csv 或 tsv", "records_format: Value must be one of objects, lists, csv, tsv",
            field="records_format",
        )  # fmt: skip
    distinct, include_total = idx.flag(d, "distinct"), idx.flag(d, "include_total", True)
    rows = portal.read(
        call.caller, request_context(call.request, call.session), entry.view, filter=_filters(d.get("filters"), types),
        q=q, fields=[f for f in fields if f != "_id"] or None, offset=offset, limit=limit,
        sort=_sort(d.get("sort"), types), distinct=distinct, row_ids=not distinct or "_id" in fields,
    )  # fmt: skip
    call.session.commit()
    frame = rows.frame
    names = list(frame.columns)
    labels = {c["code"]: c for c in _columns(entry)}
    out: dict[str, Any] = {
        "resource_id": rid, "include_total": include_total, "limit": limit, "offset": offset,
        "records_format": fmt, "total_estimation_threshold": None,
        "fields": [{"id": "_id", "type": "int"} if n == "_id" else _field(labels[n]) for n in names],
        "records": _records(frame, fmt), "_links": _links(call, rid, limit, offset),
    }  # fmt: skip
    for echo in ("q", "filters", "sort", "distinct"):
        if d.get(echo) not in (None, ""):
            out[echo] = d[echo] if echo != "sort" else _list(d[echo], "sort")
    if include_total:
        out["total"], out["total_was_estimated"] = rows.total, False
    return out


def _field(column: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": column["code"], "type": _TYPES.get(column["type"], "text"),
        "info": {"label": column.get("name", ""), "label_en": column.get("name_en", ""), "notes": "", "type_override": ""},
    }  # fmt: skip


def _records(frame: Any, fmt: str) -> Any:
    if fmt == "objects":
        return frame.to_dicts()
    if fmt == "lists":
        return [list(r) for r in frame.iter_rows()]
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
    writer.writerows(["" if v is None else v for v in r] for r in frame.iter_rows())
    return buf.getvalue()


def _links(call: Call, rid: str, limit: int, offset: int) -> dict[str, str]:
    """CKAN's ``_links``: the same query from the start, and its next (and previous) page."""
    params = {
        k: v for k, v in call.data.items() if isinstance(v, str | int | float) and k not in ("id", "offset")
    }
    params["resource_id"] = rid
    path = "/api/3/action/datastore_search"
    links = {
        "start": f"{path}?{urlencode(params)}",
        "next": f"{path}?{urlencode({**params, 'offset': offset + limit})}",
    }
    if offset - limit > 0:
        links["prev"] = f"{path}?{urlencode({**params, 'offset': offset - limit})}"
    return links


def datastore_info(call: Call) -> dict[str, Any]:
    """The resource's columns (with the element dictionary's names) and row count."""
    entry, rid = _entry(call)
    return {
        "meta": {
            "id": rid, "count": entry.version.row_count if entry.version else 0, "table_type": "BASE TABLE",
            "aliases": [], "size": None, "idx_size": None, "db_size": None,
        },
        "fields": [
            {**_field(c), "schema": {"native_type": _TYPES.get(c["type"], "text"), "notnull": False,
                                     "index_name": None, "is_index": False, "uniquekey": False}}
            for c in _columns(entry)
        ],
    }  # fmt: skip
