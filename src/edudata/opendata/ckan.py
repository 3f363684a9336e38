"""CKAN Action API, read side (``/api/3/action/…`` and ``/api/action/…``), so open-data clients and harvesters
(``ckanapi``, CKAN harvesters, the city's platform) work unchanged (Art. 45 可机读, C5).

Actions: ``package_list``, ``package_show``, ``package_search``, ``organization_list``, ``organization_show``,
``resource_show``, ``status_show`` and ``datastore_search``. GET with query parameters and POST with a JSON body
both work, as on CKAN. Errors use CKAN's shape (``success: false``, ``error.__type``) with CKAN's status codes
(404 Not Found Error, 403 Authorization Error, 409 Validation Error, 429 with Retry-After).
Packages are published views; organisations are the producer units; each package has three resources (CSV,
JSON, XLSX) and ``datastore_search`` answers on any of them — through the data path, like every read.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata import __version__
from edudata.api.deps import get_session
from edudata.errors import EduDataError, NotFound, RateLimited, ValidationFailed
from edudata.opendata import deps, portal, views
from edudata.opendata.models import OpenView

router = APIRouter(include_in_schema=True, tags=["ckan"])
FORMATS = ("csv", "json", "xlsx")
MAX_SEARCH_ROWS = 1000
_TYPES = {
    404: "Not Found Error",
    401: "Authorization Error",
    403: "Authorization Error",
    422: "Validation Error",
    429: "Rate Limit Error",
}


def _ok(request: Request, action: str, result: Any) -> JSONResponse:
    return JSONResponse(
        {
            "help": f"{str(request.base_url).rstrip('/')}/api/3/action/help_show?name={action}",
            "success": True,
            "result": result,
        }
    )


def _error(request: Request, action: str, err: EduDataError) -> JSONResponse:
    status = 409 if err.status == 422 else err.status
    etype = _TYPES.get(err.status, "Validation Error" if err.status < 500 else "Internal Error")
    error: dict[str, Any] = {"__type": etype, "message": f"{etype}: {err.zh} / {err.en}"}
    if err.field:
        error[err.field] = [f"{err.zh} / {err.en}"]
    headers = {"Retry-After": str(err.extra["retry_after"])} if isinstance(err, RateLimited) else None
    if getattr(err, "audited", False):  # the data path recorded it; otherwise the audit middleware will
        request.scope.setdefault("state", {})["audited"] = True
    return JSONResponse(
        {
            "help": f"{str(request.base_url).rstrip('/')}/api/3/action/help_show?name={action}",
            "success": False,
            "error": error,
        },
        status_code=status,
        headers=headers,
    )


def _int(data: dict[str, Any], name: str, default: int, maximum: int) -> int:
    raw = data.get(name, default)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationFailed(f"{name}：应为整数", f"{name}: must be an integer", field=name) from None
    if not 0 <= value <= maximum:
        raise ValidationFailed(
            f"{name}：应在 0 到 {maximum} 之间", f"{name}: must be between 0 and {maximum}", field=name
        )
    return value


def _text(data: dict[str, Any], name: str, required: bool = True) -> str:
    value = data.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise ValidationFailed(f"{name}：缺少或不合法", f"{name}: missing or invalid", field=name)
    return value.strip()


def _package(request: Request, session: Session, view: OpenView) -> dict[str, Any]:
    v = views.view_summary(session, view)
    base = str(request.base_url).rstrip("/")
    resources = [
        {
            "id": f"{view.code}-{fmt}", "package_id": view.code, "name": f"{view.title} ({fmt.upper()})",
            "format": fmt.upper(), "url": f"{base}/api/v1/open/datasets/{view.code}/data.{fmt}",
            "mimetype": portal.DOWNLOADS[fmt][0].split(";")[0], "datastore_active": True,
            "last_modified": v["updated_at"], "created": v["published_at"], "position": i, "state": "active",
        }
        for i, fmt in enumerate(FORMATS)
    ]  # fmt: skip
    return {
        "id": view.code, "name": view.code, "title": view.title, "notes": view.description, "type": "dataset",
        "state": "active", "private": False, "license_id": view.licence, "license_title": v["licence"]["title"],
        "license_url": v["licence"]["url"], "metadata_created": v["published_at"], "metadata_modified": v["updated_at"],
        "owner_org": view.unit_code, "organization": _org(v["unit"]), "url": f"{base}/open/datasets/{view.code}",
        "version": str(view.current_version), "num_resources": len(resources), "resources": resources,
        "tags": [{"name": k, "display_name": k} for k in view.keywords or []], "num_tags": len(view.keywords or []),
        "extras": [
            {"key": "open_category", "value": view.open_category},
            {"key": "update_frequency", "value": view.update_frequency},
            {"key": "title_en", "value": view.title_en},
        ],
    }  # fmt: skip


def _org(unit: dict[str, str]) -> dict[str, Any]:
    return {
        "id": unit["code"],
        "name": unit["code"],
        "title": unit["name"],
        "description": unit.get("name_en", ""),
        "type": "organization",
        "state": "active",
        "is_organization": True,
    }


def _published(session: Session, code: str) -> OpenView:
    return portal.published(session, code)


def _resource_view(session: Session, resource_id: str) -> tuple[OpenView, str]:
    code, _, fmt = resource_id.rpartition("-")
    if fmt not in FORMATS or not code:
        raise NotFound(f"没有资源“{resource_id[:80]}”", f"no resource '{resource_id[:80]}'")
    return portal.published(session, code), fmt


_FQ = re.compile(r'^(organization|owner_org|tags|res_format|license_id|name):"?([^"\s]{1,64})"?$')


def _fq(raw: Any) -> list[tuple[str, str]]:
    """CKAN ``fq`` (Solr filter query) of the simple kind harvesters send: ``organization:0106 tags:论文``."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, str) or len(raw) > 300:
        raise ValidationFailed("fq：过滤条件不超过 300 字", "fq: at most 300 characters", field="fq")
    out = []
    for token in raw.replace("+", " ").split():
        m = _FQ.match(token)
        if not m:
            raise ValidationFailed(
                "fq：只支持 organization、tags、res_format、license_id、name 字段",
                "fq: only organization, tags, res_format, license_id and name are supported",
                field="fq",
            )
        out.append((m.group(1), m.group(2)))
    return out


def _fq_match(view: OpenView, wanted: list[tuple[str, str]]) -> bool:
    values = {
        "organization": {view.unit_code}, "owner_org": {view.unit_code}, "tags": set(view.keywords or []),
        "res_format": {f.upper() for f in FORMATS}, "license_id": {view.licence}, "name": {view.code},
    }  # fmt: skip
    return all((v.upper() if k == "res_format" else v) in values[k] for k, v in wanted)


def _filters(raw: Any) -> Any:
    """CKAN ``filters`` ({"col": value or [values]}) as the data path's JSON filter."""
    if raw in (None, "", {}):
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ValidationFailed(
                "filters：不是合法的 JSON", "filters: not valid JSON", field="filters"
            ) from None
    if not isinstance(raw, dict) or len(raw) > 50:
        raise ValidationFailed(
            "filters：应为 {列: 值} 对象", "filters: must be an object {column: value}", field="filters"
        )
    items = [
        {"element": str(k), "op": "in", "value": v}
        if isinstance(v, list)
        else {"element": str(k), "op": "eq", "value": v}
        for k, v in raw.items()
    ]
    return {"all": items}


def _run(action: str, data: dict[str, Any], request: Request, session: Session, caller: Any) -> Any:
    published = select(OpenView).where(OpenView.status == "published")
    if action == "status_show":
        return {
            "site_title": f"{request.app.state.settings.school_name}开放数据", "site_url": str(request.base_url).rstrip("/"),
            "ckan_version": "2.10.4", "edudata_version": __version__, "locale_default": "zh_Hans_CN",
            "extensions": ["datastore", "dcat"], "site_description": "教育数据开放目录 / open education data",
        }  # fmt: skip
    if action == "package_list":
        limit = _int(data, "limit", MAX_SEARCH_ROWS, MAX_SEARCH_ROWS)
        offset = _int(data, "offset", 0, 10_000_000)
        return list(
            session.scalars(
                published.with_only_columns(OpenView.code).order_by(OpenView.code).offset(offset).limit(limit)
            )
        )
    if action == "package_show":
        return _package(request, session, _published(session, _text(data, "id")))
    if action == "package_search":
        rows = _int(data, "rows", 10, MAX_SEARCH_ROWS)
        start = _int(data, "start", 0, 10_000_000)
        q = data.get("q") or ""
        if not isinstance(q, str) or len(q) > 100:
            raise ValidationFailed("q：检索词不超过 100 字", "q: at most 100 characters", field="q")
        q = "" if q.strip() in ("*:*", "*") else q
        wanted = _fq(data.get("fq"))
        if wanted:
            everything, _ = portal.list_published(session, q, 0, 100_000)
            matching = [v for v in everything if _fq_match(v, wanted)]
            items, total = matching[start : start + rows], len(matching)
        else:
            items, total = portal.list_published(session, q, start, rows)
        return {
            "count": total,
            "results": [_package(request, session, v) for v in items],
            "sort": "score desc",
            "facets": {},
            "search_facets": {},
        }
    if action == "organization_list":
        codes = sorted(set(session.scalars(published.with_only_columns(OpenView.unit_code))))
        if str(data.get("all_fields", "")).lower() in ("true", "1"):
            names = views.unit_names(session, codes)
            return [
                _org({"code": c, "name": names.get(c, (c, c))[0], "name_en": names.get(c, (c, c))[1]})
                for c in codes
            ]
        return codes
    if action == "organization_show":
        code = _text(data, "id")
        names = views.unit_names(session, [code])
        members = list(session.scalars(published.where(OpenView.unit_code == code).order_by(OpenView.code)))
        if code not in names or not members:
            raise NotFound(f"没有机构“{code[:40]}”", f"no organization '{code[:40]}'")
        org = _org({"code": code, "name": names[code][0], "name_en": names[code][1]})
        return {
            **org,
            "package_count": len(members),
            "packages": [_package(request, session, v) for v in members],
        }
    if action == "resource_show":
        view, fmt = _resource_view(session, _text(data, "id"))
        return next(r for r in _package(request, session, view)["resources"] if r["format"] == fmt.upper())
    if action == "datastore_search":
        return _datastore_search(data, request, session, caller)
    raise NotFound(f"不支持的操作“{action[:40]}”", f"unknown action '{action[:40]}'")


def _datastore_search(
    data: dict[str, Any], request: Request, session: Session, caller: Any
) -> dict[str, Any]:
    view, _fmt = _resource_view(session, _text(data, "resource_id"))
    limit = _int(data, "limit", 100, 10**12)
    portal.check_limit(limit, request.app.state.settings.opendata_max_rows)
    offset = _int(data, "offset", 0, 10_000_000)
    fields = data.get("fields")
    if isinstance(fields, str):
        fields = [f.strip() for f in fields.split(",") if f.strip()]
    if fields is not None and (not isinstance(fields, list) or not all(isinstance(f, str) for f in fields)):
        raise ValidationFailed("fields：应为列名列表", "fields: a list of column names", field="fields")
    q = data.get("q") or ""
    if not isinstance(q, str) or len(q) > 100:
        raise ValidationFailed("q：检索词不超过 100 字", "q: at most 100 characters", field="q")
    rows = portal.read(
        caller, deps.ctx(request, session), view, filter=_filters(data.get("filters")), q=q, fields=fields,
        offset=offset, limit=limit,
    )  # fmt: skip
    session.commit()
    columns = [c for c in rows.version.columns if not fields or c["code"] in fields]
    records = [{"_id": offset + i + 1, **r} for i, r in enumerate(rows.frame.to_dicts())]
    return {
        "resource_id": data["resource_id"], "fields": [{"id": "_id", "type": "int"}] + [{"id": c["code"], "type": c["type"], "info": {"label": c["name"]}} for c in columns],
        "records": records, "total": rows.total, "limit": limit, "offset": offset,
        "_links": {"start": f"/api/3/action/datastore_search?resource_id={data['resource_id']}", "next": f"/api/3/action/datastore_search?resource_id={data['resource_id']}&offset={offset + limit}"},
    }  # fmt: skip


async def _data(request: Request) -> dict[str, Any]:
    if request.method == "GET":
        return dict(request.query_params)
    body = await request.body()
    if not body:
        return dict(request.query_params)
    try:
        data = json.loads(body)
    except ValueError:
        raise ValidationFailed("请求体不是合法的 JSON", "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ValidationFailed("请求体应为 JSON 对象", "the body must be a JSON object")
    return data


def _action_sync(action: str, data: dict[str, Any], request: Request, session: Session) -> JSONResponse:
    try:
        caller = deps.open_caller(request, session)
        return _ok(request, action, _run(action, data, request, session, caller))
    except EduDataError as err:
        return _error(request, action, err)


async def _action(action: str, request: Request, session: Session) -> JSONResponse:
    from starlette.concurrency import run_in_threadpool

    try:
        data = await _data(request)
    except EduDataError as err:
        return _error(request, action, err)
    return await run_in_threadpool(_action_sync, action, data, request, session)


@router.api_route("/api/3/action/{action}", methods=["GET", "POST"])
async def ckan_action(action: str, request: Request, session: Session = Depends(get_session)) -> JSONResponse:
    """CKAN Action API (read)."""
    return await _action(action, request, session)


@router.api_route("/api/action/{action}", methods=["GET", "POST"], include_in_schema=False)
async def ckan_action_unversioned(
    action: str, request: Request, session: Session = Depends(get_session)
) -> JSONResponse:
    return await _action(action, request, session)
