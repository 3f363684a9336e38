"""The CKAN 2.10/2.11 catalogue actions (read side), answering in CKAN's shapes (ckan/logic/action/get.py).

Each action takes the :class:`Call` (the request's parameters, the session, the caller) and returns the
``result`` of CKAN's envelope; errors are the platform's typed errors, which :mod:`edudata.opendata.ckan` turns
into CKAN's error shapes. Packages are published views only (Art. 45); nothing here reads rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy.orm import Session

from edudata import __version__
from edudata.errors import NotFound, ValidationFailed
from edudata.opendata import ckan_index as idx
from edudata.opendata.definitions import LICENCES


@dataclass
class Call:
    data: dict[str, Any]
    session: Session
    caller: Any
    base: str  # public base URL
    school: str
    request: Any = None

    @cached_property
    def entries(self) -> list[idx.Entry]:
        return idx.catalogue(self.session)


def _id(call: Call, name: str = "id") -> str:
    value = call.data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(f"{name}：缺少取值", f"{name}: Missing value", field=name)
    return value.strip()[:200]


def status_show(call: Call) -> dict[str, Any]:
    """The site: CKAN version it answers as, extensions (datastore, dcat), default locale."""
    return {
        "site_title": f"{call.school}开放数据", "site_url": call.base, "ckan_version": "2.10.4",
        "edudata_version": __version__, "locale_default": "zh_Hans_CN", "extensions": ["datastore", "dcat"],
        "site_description": "教育数据开放目录 / open education data", "error_emails_to": None,
    }  # fmt: skip


def package_list(call: Call) -> list[str]:
    """Names of the published views, alphabetically; ``limit``/``offset`` page them."""
    limit = idx.natural(call.data, "limit")
    offset = idx.natural(call.data, "offset", 0) or 0
    names = sorted(e.view.code for e in call.entries)[offset:]
    return names[:limit] if limit else names


def package_show(call: Call) -> dict[str, Any]:
    """A published view as a CKAN package (``id`` or ``name``: the view code)."""
    return idx.package(idx.find(call.entries, _id(call)), call.base)


def package_search(call: Call) -> dict[str, Any]:
    """Search with ``q``, ``fq`` (Solr syntax), ``facet.field``, ``facet.limit``, ``sort``, ``rows``, ``start``."""
    d = call.data
    rows = min(idx.natural(d, "rows", 10) or 0, idx.ROWS_MAX)
    start = idx.natural(d, "start", 0) or 0
    for name in ("include_private", "include_drafts", "include_deleted", "use_default_schema"):
        idx.flag(d, name)  # validated; every package is public and active, there is nothing more to include
    sort = idx._text(d, "sort").strip() or idx.DEFAULT_SORT
    if sort == "rank":
        sort = idx.DEFAULT_SORT
    found = idx.sort_entries(idx.matching(call.session, call.entries, d), sort)
    facet_fields = idx.strings(d, "facet.field")
    raw_limit = d.get("facet.limit", idx.FACET_LIMIT)
    try:
        facet_limit = int(raw_limit)
    except (TypeError, ValueError):
        raise ValidationFailed(
            "facet.limit：应为整数", "facet.limit: Invalid integer", field="facet.limit"
        ) from None
    mincount = idx.natural(d, "facet.mincount", 1) or 0
    counted = idx.facets(found, facet_fields, facet_limit, mincount) if idx.flag(d, "facet", True) else {}
    page = found[start : start + rows]
    fl = d.get("fl")
    if fl:
        wanted = fl.replace(",", " ").split() if isinstance(fl, str) else [str(f) for f in fl]
        results: list[Any] = [
            {k: v for k, v in idx.package(e, call.base).items() if k in wanted} for e in page
        ]
    else:
        results = [idx.package(e, call.base) for e in page]
    return {
        "count": len(found), "facets": counted, "results": results, "sort": sort,
        "search_facets": _search_facets(call, counted),
    }  # fmt: skip


def _search_facets(call: Call, counted: dict[str, dict[str, int]]) -> dict[str, Any]:
    """CKAN's restructured facets: organisations and groups by title, licences by licence title."""
    titles: dict[str, dict[str, str]] = {"organization": {}, "owner_org": {}, "groups": {}, "license_id": {}}
    for e in call.entries:
        titles["organization"][e.view.unit_code] = titles["owner_org"][e.view.unit_code] = e.unit[0]
        if e.group:
            titles["groups"][e.group[0]] = e.group[1]
    titles["license_id"] = {k: v[1] for k, v in LICENCES.items()}
    out = {}
    for name, values in counted.items():
        items = [
            {"name": v, "display_name": titles.get(name, {}).get(v) or v, "count": c}
            for v, c in values.items()
        ]
        out[name] = {"title": name, "items": sorted(items, key=lambda i: i["display_name"], reverse=True)}
    return out


def current_package_list_with_resources(call: Call) -> list[dict[str, Any]]:
    """Packages with their resources, most recently modified first (``limit``, ``offset``, ``page``)."""
    limit = idx.natural(call.data, "limit")
    offset = idx.natural(call.data, "offset", 0) or 0
    page = idx.natural(call.data, "page")
    if "offset" not in call.data and page is not None:
        if page < 1:
            raise ValidationFailed("page：应为正整数", "page: Must be a positive integer", field="page")
        offset = (page - 1) * limit if limit else 0
    ordered = idx.sort_entries(call.entries, idx.DEFAULT_SORT)
    rows = min(limit if limit is not None else 10, idx.ROWS_MAX)
    return [idx.package(e, call.base) for e in ordered[offset : offset + rows]]


def package_autocomplete(call: Call) -> list[dict[str, Any]]:
    """Packages whose name or title contains ``q`` (up to ``limit``, default 10)."""
    q = call.data.get("q")
    if not isinstance(q, str) or not q.strip():
        raise ValidationFailed("q：缺少取值", "q: Missing value", field="q")
    q = q.strip()[:100]
    limit = idx.natural(call.data, "limit", 10) or 0
    low, out = q.lower(), []
    for e in sorted(call.entries, key=lambda e: e.view.code):
        v = e.view
        if low in v.code or low in v.title.lower() or low in (v.title_en or "").lower():
            name_hit = low in v.code
            out.append({
                "name": v.code, "title": v.title, "match_field": "name" if name_hit else "title",
                "match_displayed": v.code if name_hit else f"{v.title} ({v.code})",
            })  # fmt: skip
    return out[:limit]


def format_autocomplete(call: Call) -> list[str]:
    q = str(call.data.get("q") or "").strip().lower()
    return [f.upper() for f in idx.FORMATS if q in f][: idx.natural(call.data, "limit", 5) or 0]


def resource_show(call: Call) -> dict[str, Any]:
    """One of a package's three resources (``<view>-csv``, ``-json``, ``-xlsx``)."""
    rid = _id(call)
    code, _, fmt = rid.rpartition("-")
    if fmt in idx.FORMATS and code:
        for e in call.entries:
            if e.view.code == code:
                return idx.resources(e, call.base)[idx.FORMATS.index(fmt)]
    raise NotFound(f"没有资源“{rid[:80]}”", f"Resource was not found: {rid[:80]}")


def resource_view_list(call: Call) -> list[dict[str, Any]]:
    resource_show(call)
    return []


def license_list(call: Call) -> list[dict[str, Any]]:
    """The licences the office offers (CKAN's licence dictionaries)."""
    return [
        {
            "id": code, "title": en, "title_zh": zh, "url": url, "status": "active", "maintainer": "",
            "family": "", "domain_content": True, "domain_data": True, "domain_software": False,
            "is_generic": False, "is_okd_compliant": True, "is_osi_compliant": False,
            "od_conformance": "approved", "osd_conformance": "not reviewed",
        }
        for code, (zh, en, url) in LICENCES.items()
    ]  # fmt: skip


def tag_list(call: Call) -> list[Any]:
    """Keywords of the published views; ``query`` narrows them, ``all_fields`` gives tag dictionaries."""
    query = str(call.data.get("query") or call.data.get("q") or "").strip().lower()
    if call.data.get("vocabulary_id"):
        raise NotFound("没有该词表", "Could not find vocabulary")
    names = sorted({t for e in call.entries for t in e.view.keywords or [] if query in t.lower()})
    if idx.flag(call.data, "all_fields"):
        return [{"id": t, "name": t, "display_name": t, "vocabulary_id": None} for t in names]
    return names


def tag_show(call: Call) -> dict[str, Any]:
    name = _id(call)
    members = [e for e in call.entries if name in (e.view.keywords or [])]
    if not members:
        raise NotFound(f"没有标签“{name[:40]}”", f"Could not find tag {name[:40]}")
    out: dict[str, Any] = {"id": name, "name": name, "display_name": name, "vocabulary_id": None}
    if idx.flag(call.data, "include_datasets"):
        out["packages"] = [idx.package(e, call.base) for e in members]
    return out


def vocabulary_list(call: Call) -> list[Any]:
    return []


# ---- groups (subject areas) and organisations (producer units) ------------------------------------------------


def _groups(call: Call, is_org: bool) -> dict[str, tuple[dict[str, Any], list[idx.Entry]]]:
    found: dict[str, tuple[dict[str, Any], list[idx.Entry]]] = {}
    if is_org:
        for e in call.entries:
            key = e.view.unit_code
            found.setdefault(key, (idx.organization(key, e.unit, e.view.published_at), []))[1].append(e)
        return found
    for code, (zh, en) in idx.group_labels(call.session).items():
        found[code] = (idx.group(code, zh, en), [])
    for e in call.entries:
        if e.group:
            found.setdefault(e.group[0], (idx.group(*e.group), []))[1].append(e)
    return found


def _list(call: Call, is_org: bool) -> list[Any]:
    d = call.data
    limit = idx.natural(d, "limit")
    offset = idx.natural(d, "offset", 0) or 0
    all_fields = idx.flag(d, "all_fields")
    names = d.get("organizations" if is_org else "groups")
    wanted = set(names.split(",") if isinstance(names, str) else names or [])
    q = str(d.get("q") or "").strip().lower()
    sort = str(d.get("sort") or d.get("order_by") or "title asc").strip()
    if sort in ("packages", "package_count"):
        sort = "package_count desc"
    field, _, direction = sort.partition(" ")
    field = "package_count" if field == "packages" else field
    if field not in ("name", "title", "package_count") or direction.strip() not in ("", "asc", "desc"):
        raise ValidationFailed(
            "sort：应为 name、title 或 package_count，方向 asc 或 desc",
            "sort: name, title or package_count, asc or desc",
            field="sort",
        )
    rows = [
        {**g, "package_count": len(members), "num_followers": 0}
        for g, members in _groups(call, is_org).values()
        if (not wanted or g["name"] in wanted)
        and (not q or q in g["name"].lower() or q in g["title"].lower() or q in g["description"].lower())
    ]
    rows.sort(key=lambda g: g[field], reverse=direction.strip() == "desc")
    rows = rows[offset:]
    rows = rows[: min(limit, 1000)] if limit else rows[: 25 if all_fields else 1000]
    return rows if all_fields else [g["name"] for g in rows]


def _show(call: Call, is_org: bool) -> dict[str, Any]:
    key = _id(call)
    found = _groups(call, is_org).get(key)
    if found is None or (is_org and not found[1]):
        kind = ("机构", "organization") if is_org else ("分组", "group")
        raise NotFound(f"没有{kind[0]}“{key[:40]}”", f"{kind[1]} not found: {key[:40]}")
    g, members = found
    out = {**g, "package_count": len(members), "num_followers": 0, "extras": [], "groups": [], "tags": [],
           "users": []}  # fmt: skip
    if idx.flag(call.data, "include_datasets"):
        out["packages"] = [
            idx.package(e, call.base) for e in sorted(members, key=lambda e: e.view.code)[:1000]
        ]
    return out


def group_list(call: Call) -> list[Any]:
    """Our categories: the subject areas (数据主题) of the catalogue, with their published views."""
    return _list(call, is_org=False)


def group_show(call: Call) -> dict[str, Any]:
    return _show(call, is_org=False)


def organization_list(call: Call) -> list[Any]:
    """The producer units that have published views."""
    return _list(call, is_org=True)


def organization_show(call: Call) -> dict[str, Any]:
    return _show(call, is_org=True)


ACTIONS: dict[str, Callable[[Call], Any]] = {
    f.__name__: f
    for f in (
        status_show, package_list, package_show, package_search, current_package_list_with_resources,
        package_autocomplete, format_autocomplete, resource_show, resource_view_list, license_list, tag_list,
        tag_show, vocabulary_list, group_list, group_show, organization_list, organization_show,
    )
}  # fmt: skip
